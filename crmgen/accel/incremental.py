"""Incremental builds: after one edit, rebuild the pages that changed, not 10,000.

A full MkDocs build renders every page; at 10,000 clients that is minutes. An
incremental build gives the same site, byte for byte, by doing only the work
whose inputs changed:

1. **Page fingerprints.** A client page is a pure function of the client, its
   reminders, its git history, its referral neighbours and the build's global
   inputs (today, settings, templates, versions). Their hash is kept per page in
   ``.crmgen/pages.pickle``; a page whose hash is unchanged is not rendered again
   and its Markdown in the docs tree is left untouched (:data:`KEEP`).
2. **MkDocs ``dirty``.** The site is built in a persistent ``.crmgen/site-build/``.
   When the generated ``mkdocs.yml`` (nav, theme, plugins), the assets and the
   versions are the same as last time, MkDocs runs with ``dirty=True``: it skips
   every page whose Markdown is older than its HTML. Before it runs, the HTML of
   changed and deleted pages is removed, so exactly those are rebuilt.
3. **Search index.** Under ``dirty`` Material writes a search index of the
   rebuilt pages only (measured: 1.3 MB became 1.5 KB). :func:`merge_search_index`
   (run from crmgen's MkDocs hook between Material's search and offline plugins)
   puts back the entries of every other page, in the order a full build writes
   them, copied as bytes from the last build's index (kept as
   ``.crmgen/search-index.json``, a hard link) at the places
   ``.crmgen/search-spans.pickle`` records.
4. **Publishing.** The finished build is published by hard-linking its files
   into a fresh directory beside the site and swapping it in, as a full build
   does. Files MkDocs writes are unlinked first (:func:`unlink_before_write`),
   so a rebuild never writes into a file the published site shares.

Anything unusual — no previous state, a changed config or asset, a failed or
interrupted build — makes the next build a full one.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmgen.format.errors import DAMAGED_CACHE, warn_damaged
from crmgen.render.tree import fingerprint

STATE_FILE = "incremental.pickle"  # in the project's cache directory
TOKEN_FILE = "build-token"  # in .crmgen/: ties the state to this build tree
SEARCH_STORE = "search-index.json"  # the last build's search index (a hard link to it)
SEARCH_FILE = "search-spans.json"  # where each page's entries are in SEARCH_STORE
EVENTS_FILE = "ics-events.pickle"
BUILD_DIR = "site-build"
FORMAT_VERSION = 5  # 5: the files of the docs tree are kept (State.files)


def versions() -> tuple[Any, ...]:
    """What made the last build besides its inputs: the one code key (crmgen's code, the
    versions of its dependencies and Python: :func:`crmgen.accel.codekey.code_key`)."""
    from crmgen.accel.codekey import code_key

    return (code_key(),)


@dataclass
class State:
    """What the last successful build in ``.crmgen/site-build`` was made from."""

    key: str = ""  # config text + assets + versions: any change means a full build
    pages: dict[str, str] = field(default_factory=dict)  # docs path -> fingerprint
    # The pages there are and the build date: what the theme's 404 page and sitemap show.
    # While it stays the same, an incremental build keeps them as they are.
    static: str = ""
    # Every file of the docs tree the build left (docs-relative paths); None: not known, walk it.
    files: list[str] | None = None

    @classmethod
    def load(cls, cache: Path, work: Path) -> State:
        """The state kept in ``cache`` for the build tree in ``work``: empty (a full build) when
        ``work`` is not the tree it was saved with (deleted, or another one)."""
        data = load_pickle(cache / STATE_FILE)
        try:
            token = (work / TOKEN_FILE).read_text(encoding="ascii")
        except (OSError, UnicodeError):
            return cls()
        try:
            if data.get("format") == FORMAT_VERSION and data.get("token") == token:
                return cls(key=data["key"], pages=data["pages"], static=data["static"], files=data["files"])
        except (KeyError, TypeError, AttributeError):
            pass
        return cls()

    def save(self, cache: Path, work: Path) -> None:
        token = os.urandom(16).hex()
        data = {"format": FORMAT_VERSION, "key": self.key, "pages": self.pages, "static": self.static,
                "files": self.files, "token": token}
        if not _atomic_pickle(cache / STATE_FILE, data):  # an older state may be left: make it mismatch
            with contextlib.suppress(OSError):
                (work / TOKEN_FILE).unlink()
            return
        _atomic_bytes(work / TOKEN_FILE, token.encode("ascii"))

    @staticmethod
    def forget(work: Path) -> None:
        """Drop the state before touching the build dir: an interrupted build is never trusted."""
        # A cache that cannot be written (read-only): :meth:`save` then unties the old state.
        with contextlib.suppress(OSError):
            (work / STATE_FILE).unlink()


def _atomic_pickle(path: Path, data: Any) -> bool:
    return _atomic_bytes(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))


def _atomic_bytes(path: Path, data: bytes) -> bool:
    """Replace a cache file whole (no fsync: a file torn by a crash fails to load and is made again).

    False when that failed (a full disk, a read-only cache): a cache is only a cache, so the
    command goes on, without the file and without a temporary file left behind.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


def load_pickle(path: Path) -> Any:
    """A cache file's content, or None when it is missing or unreadable (from a spare's
    read-ahead when the file's bytes are the same, :mod:`crmgen.warm`)."""
    try:
        return pickle.loads(Path(path).read_bytes())
    except (*DAMAGED_CACHE, pickle.UnpicklingError) as exc:
        warn_damaged(path, exc)
        return None


def save_pickle(path: Path, data: Any) -> None:
    with contextlib.suppress(OSError):
        _atomic_pickle(path, data)


def global_key(config_text: str, assets: dict[str, bytes], made_by: tuple[Any, ...] | None = None) -> str:
    """What every page of the last build shares; ``made_by`` is :func:`versions` when known."""
    return fingerprint(config_text, sorted(assets.items()), versions() if made_by is None else made_by)


# -- MkDocs writes ------------------------------------------------------------

@contextlib.contextmanager
def unlink_before_write(written: set[str] | None = None) -> Iterator[None]:
    """Make MkDocs replace files instead of writing into them; add their paths to ``written``.

    The published site shares its files with the build dir through hard links;
    writing in place would change the published copy while it is being served.
    """
    from mkdocs import utils

    original_write, original_copy = utils.write_file, utils.copy_file
    seen = written if written is not None else set()

    def write_file(content: bytes, output_path: str) -> None:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            os.unlink(output_path)
        seen.add(output_path)
        original_write(content, output_path)

    def copy_file(source_path: str, output_path: str) -> None:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            os.unlink(output_path)
        seen.add(output_path)
        original_copy(source_path, output_path)

    utils.write_file, utils.copy_file = write_file, copy_file
    try:
        yield
    finally:
        utils.write_file, utils.copy_file = original_write, original_copy


def remove_outputs(build_dir: Path, html_paths: list[str]) -> None:
    """Remove the HTML of pages that changed or went away (MkDocs then rebuilds the former)."""
    for rel in html_paths:
        path = build_dir / rel
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        parent = path.parent
        while parent != build_dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


# -- the search index -----------------------------------------------------------

@dataclass
class SearchMerge:
    """Made by the build before MkDocs runs; read by its plugin (:mod:`.plugin`) after Material's search."""

    work: Path
    dirty: bool  # a search index of the previous build is to be merged into
    order: list[str] = field(default_factory=list)  # page URLs, in MkDocs' file order
    built: set[str] = field(default_factory=set)  # page URLs rebuilt in this run
    extra: dict[str, Span] = field(default_factory=dict)  # where the search entries of pages chunks built are
    skip: frozenset[str] = frozenset()  # docs paths built by chunk processes: MkDocs leaves them alone
    static_templates: bool = True  # False: the 404 page and sitemap of the last build still hold
    write_js: bool = False  # write search_index.js in place of Material's offline plugin
    # Docs paths of the pages without HTML in the build dir: those MkDocs is to build (the
    # others are unchanged, or built by chunks); None: MkDocs compares modification times.
    todo: frozenset[str] | None = None


Span = tuple[int, int, int]  # (file descriptor, start, end): bytes of an open file


class EntryWriter:
    """A chunk's search entries, written to a file as its pages are built, not kept in memory.

    Each page's entries go in as the JSON text Material's index holds
    (:func:`fragments`), one page after another with a comma between them, so the
    entries of neighbouring pages are copied into the index as one block. At
    10,000 clients the entries are 100 MB of text: held by the chunks and then by
    the parent until the index was written, they were a tenth of the build's memory.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.spans: dict[str, tuple[int, int]] = {}  # page URL -> (start, end) of its entries in the file
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close(), after the chunk's build
        self._size = 0

    def add(self, entries: list[Any]) -> None:
        """Append ``entries`` (Material's search entries of one or more pages)."""
        for url, text in fragments(entries).items():
            data = text.encode()
            if self._size:
                self._file.write(b",")
                self._size += 1
            self.spans[url] = (self._size, self._size + len(data))
            self._file.write(data)
            self._size += len(data)

    def close(self) -> None:
        self._file.close()


@dataclass
class Shard:
    """Made in a chunk's process (:mod:`.shards`) for its plugin: build only ``uris``, write their search entries."""

    uris: frozenset[str]  # docs paths of the pages this process renders
    entries: EntryWriter | None = None  # where the pages' search entries go
    built: set[str] = field(default_factory=set)  # page URLs rendered
    building: bool = False  # MkDocs is past reading pages (see plugin.AccelPlugin.on_files)
    files: Any = None  # MkDocs' Files, for rendering a page while it is built


class EntryFiles:
    """The files chunk processes wrote their search entries to, open for the merge (:func:`merge_search_index`).

    Each file is opened when its chunk has finished and read through its descriptor,
    so the chunks' temporary directory may go before the index is written.
    """

    def __init__(self) -> None:
        self.spans: dict[str, Span] = {}  # page URL -> where its entries are
        self._fds: list[int] = []

    def add(self, path: str, spans: dict[str, tuple[int, int]]) -> None:
        fd = os.open(path, os.O_RDONLY)
        self._fds.append(fd)
        self.spans.update((url, (fd, start, end)) for url, (start, end) in spans.items())

    def close(self) -> None:
        while self._fds:
            os.close(self._fds.pop())
        self.spans = {}


def group_entries(entries: list[Any]) -> dict[str, list[Any]]:
    """Search entries by the URL of their page, in their order."""
    out: dict[str, list[Any]] = {}
    for entry in entries:
        out.setdefault(_page_of(entry["location"]), []).append(entry)
    return out


def _page_of(location: str) -> str:
    return location.split("#", 1)[0]


def _dumps(value: Any) -> str:
    # Exactly how Material's search plugin serialises its index.
    return json.dumps(value, separators=(",", ":"), default=str)


def fragments(entries: list[Any]) -> dict[str, str]:
    """Search entries as JSON text per page URL: ``entry,entry,...`` as they appear in the index.

    Kept as text, the entries of 10,000 pages take a third of the memory of the
    parsed objects, and the index is written by joining them.
    """
    return {url: ",".join(_dumps(e) for e in page) for url, page in group_entries(entries).items()}


def merge_search_index(site_dir: Path, merge: SearchMerge) -> None:
    """Rewrite ``search/search_index.json`` with every page's entries, as a full build would.

    The text is Material's own serialisation, ``{"config":...,"docs":[...]}``,
    assembled from per-page fragments in the order of MkDocs' files: those of
    the pages built in this process, and those of every other page copied from
    the files chunk processes wrote (:class:`EntryWriter`) or from the last
    build's index (runs of neighbouring pages at once, by the kernel where it
    can): only the entries of pages built here pass through Python (at 10,000
    clients the index is 100 MB). The index is kept for the next build, with
    where each page's entries are in it.
    """
    path = site_dir / "search" / "search_index.json"
    if not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    fresh = {url: text.encode() for url, text in fragments(data["docs"]).items()}
    header = f'{{"config":{_dumps(data["config"])},"docs":['.encode()
    store = merge.work / SEARCH_STORE
    spans: dict[str, tuple[int, int]] = {}
    with contextlib.ExitStack() as stack:
        old: dict[str, tuple[int, int]] = {}
        source = -1
        if merge.dirty:
            old, source = _open_store(merge.work, stack)
        pieces: list[bytes | Span] = []  # in the order they are written: text, or a span of a file
        at = len(header)
        for url in merge.order:
            if url in merge.extra:
                piece: bytes | Span = merge.extra[url]
                size = piece[2] - piece[1]
            elif url in fresh:
                piece = fresh[url]
                size = len(piece)
            elif url in old and url not in merge.built:
                piece = (source, *old[url])
                size = piece[2] - piece[1]
            else:
                continue  # no entries (excluded from search)
            if spans:
                at += 1  # the comma
            spans[url] = (at, at + size)
            at += size
            pieces.append(piece)
        if merge.dirty or merge.extra or path.stat().st_size != at + 2 or not _same_text(path, header, pieces):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the mode open() gives
            try:
                _write_index(fd, header, pieces)
            finally:
                os.close(fd)
    _keep_store(path, store, spans)
    # The index inlined into a script, for file:// (what Material's offline plugin writes,
    # ``var __index = `` and the JSON), unlinked first: the published copy is never written into.
    script = site_dir / "search" / "search_index.js"
    with contextlib.suppress(FileNotFoundError):
        script.unlink()
    if merge.write_js:
        source = os.open(path, os.O_RDONLY)
        try:
            fd = os.open(script, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                _write_all(fd, b"var __index = ")
                _copy_range(source, fd, 0, os.fstat(source).st_size)
            finally:
                os.close(fd)
        finally:
            os.close(source)


def _open_store(work: Path, stack: contextlib.ExitStack) -> tuple[dict[str, tuple[int, int]], int]:
    """The last build's index, open for reading, and where each page's entries are in it."""
    try:
        saved = json.loads((work / SEARCH_FILE).read_bytes())
    except (OSError, ValueError):
        saved = None
    try:
        fd = os.open(work / SEARCH_STORE, os.O_RDONLY)
    except OSError:
        fd = -1
    else:
        stack.callback(os.close, fd)
    if fd < 0 or not isinstance(saved, dict) or saved.get("file") != list(_identity(os.fstat(fd))):
        raise RuntimeError("incremental build without a search index to merge into")
    return saved["spans"], fd


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    # A file replaced or written since its spans were recorded is another file.
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _same_text(path: Path, header: bytes, pieces: list[bytes | Span]) -> bool:
    """Whether ``path`` (an index Material wrote whole, in a small one-process build) is what crmgen would write."""
    expected = header + b",".join(p for p in pieces if isinstance(p, bytes)) + b"]}"
    return all(isinstance(p, bytes) for p in pieces) and path.read_bytes() == expected


def _write_index(fd: int, header: bytes, pieces: list[bytes | Span]) -> None:
    """Write ``header``, the pieces joined by commas, and ``]}`` to ``fd``.

    Spans of neighbouring pages in the same file (the store, a chunk's entries)
    are copied as one: the comma between them is in the file too.
    """
    text = [header]  # to write before the next span
    run: list[int] = []  # [file, start, end] still to copy

    def flush() -> None:
        _write_all(fd, b"".join(text))
        text.clear()
        if run:
            _copy_range(run[0], fd, run[1], run[2] - run[1])
            run.clear()

    for i, piece in enumerate(pieces):
        if isinstance(piece, tuple) and run and piece[0] == run[0] and piece[1] == run[2] + 1:
            run[2] = piece[2]
            continue
        if run or len(text) > 1000:
            flush()
        if i:
            text.append(b",")
        if isinstance(piece, tuple):
            run[:] = piece
        else:
            text.append(piece)
    flush()
    _write_all(fd, b"]}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _copy_range(source: int, target: int, start: int, length: int) -> None:
    """Append ``length`` bytes of ``source`` from ``start`` to ``target``, in the kernel where it can."""
    while length > 0:
        try:
            done = os.copy_file_range(source, target, length, start)
        except (AttributeError, OSError):  # not Linux, an old kernel, another file system
            done = len(chunk := os.pread(source, min(length, 1 << 20), start))
            _write_all(target, chunk)
        if done <= 0:
            raise OSError(f"a file the search index is copied from (the last build's index, a chunk's "
                          f"entries) ends before byte {start + length}")
        start += done
        length -= done


def _keep_store(path: Path, store: Path, spans: dict[str, tuple[int, int]]) -> None:
    """Keep the index just written as the next build's store (a hard link: it is never written into)."""
    tmp = store.with_name(f".{store.name}.{os.getpid()}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        try:
            os.link(path, tmp)
        except OSError:  # no hard links here
            shutil.copyfile(path, tmp)
        os.replace(tmp, store)
    except OSError:  # a cache: the next build reads the whole index instead
        with contextlib.suppress(OSError):
            tmp.unlink()
        return
    spans_json = json.dumps({"file": list(_identity(store.stat())), "spans": spans})  # data only: never run
    _atomic_bytes(store.with_name(SEARCH_FILE), spans_json.encode())
