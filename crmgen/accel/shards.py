"""Building many pages at once: MkDocs split over worker processes, in chunks.

MkDocs renders pages one after another in one process and keeps every page's
HTML in memory until the end: at 10,000 clients that is minutes on one core and
close to 2 GB. Pages are independent of each other once the docs tree is
written, so a big build is split:

1. the pages to build are cut into chunks (at most :data:`CHUNK_MAX` pages, a
   multiple of the cores), the heaviest pages spread first;
2. each chunk is built by its own short-lived process running the same MkDocs
   configuration with ``dirty=True``: it sees every file (links and nav resolve
   as in one build) but renders only its chunk (crmgen's hook marks the other
   files unmodified), each page when MkDocs builds it rather than all first (one
   page's HTML in memory at a time), skips the theme's static templates and
   assets, and writes its search entries to a file instead of a search index;
3. the parent then runs MkDocs once more over the same build dir: every page is
   built already, so it only copies assets, renders the 404 page and sitemap,
   and writes the search index with every chunk's entries copied in page order
   (:func:`crmgen.accel.incremental.merge_search_index`).

A chunk's process is started by a fork server that has imported MkDocs,
Material and jieba (:mod:`.chunk_preload`) and nothing else, not forked from the
build itself. A child forked from the build shares its pages until it writes to
them, and it writes to most: at 10,000 clients the build's heap is 540 MB with
70 MB of free blocks scattered through it, and the 90 MB a chunk allocates went
into those holes, copying every page they were in (a chunk held 230 MB of its
own, a fork server's holds 120 MB). Only when jieba's full dictionary is
loaded in the build (no index of it could be written) are chunks forked from
it, which then share the dictionary. At most one process per core runs at a
time, and each exits after its chunk, so memory stays bounded by the chunk size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import multiprocessing.connection
import os
import pickle
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmgen.accel import incremental
from crmgen.accel.forking import can_fork, frozen
from crmgen.format.errors import DAMAGED_CACHE, CrmgenError

# What the fork server imports before it forks a chunk's process (a module of crmgen's,
# so jieba is imported crmgen's quick way).
PRELOAD = ["crmgen.accel.chunk_preload"]

CHUNK_MAX = 3000  # pages per process: each chunk starts by listing every file (O(N)), so few chunks;
# a chunk holds one page's HTML at a time (accel.plugin), so memory does not limit their size
SHARD_MIN = 300  # fewer pages are built in-process: a chunk costs ~1 s of start-up (measured: at
# 160 pages two chunks were slower than one process)


def workers() -> int:
    """Processes to run at once: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def plan(pages: Sequence[str], weight: Callable[[str], int], cores: int, chunk_max: int | None = None) -> list[list[str]]:
    """Cut ``pages`` into chunks of similar total weight, none above ``chunk_max`` pages.

    The number of chunks is a multiple of ``cores`` (when there are that many
    pages), so the cores run whole rounds and none waits alone for a last chunk.
    The heaviest pages are placed first, each into the lightest chunk that still
    has room (longest-processing-time-first). Chunks keep the pages in their
    given order, so the result is deterministic.
    """
    if not pages:
        return []
    chunk_max = chunk_max or CHUNK_MAX
    count = -(-len(pages) // chunk_max)
    count = min(len(pages), -(-count // cores) * cores)  # whole rounds: no core waits for a last chunk
    capacity = -(-len(pages) // count)
    loads = [0] * count
    sizes = [0] * count
    where: dict[str, int] = {}
    for page in sorted(pages, key=lambda p: (-weight(p), p)):
        best = min((i for i in range(count) if sizes[i] < capacity), key=lambda i: (loads[i], i))
        where[page] = best
        loads[best] += max(1, weight(page))
        sizes[best] += 1
    chunks: list[list[str]] = [[] for _ in range(count)]
    for page in pages:
        chunks[where[page]].append(page)
    return [c for c in chunks if c]


@dataclass
class ChunkResult:
    """What one chunk's process hands back."""

    warnings: list[str] = field(default_factory=list)
    entries: dict[str, tuple[int, int]] = field(default_factory=dict)  # page URL -> its search entries in entry_file
    entry_file: str | None = None
    built: list[str] = field(default_factory=list)  # page URLs rendered
    segments: dict[Any, tuple[str, ...]] = field(default_factory=dict)  # new jieba results (crmgen.accel.segment)
    segmented: set[Any] = field(default_factory=set)  # texts whose segmentation was used
    error: str | None = None


@dataclass
class Chunks:
    """What all the chunks built; :meth:`close` once the search index is written."""

    warnings: list[str] = field(default_factory=list)
    entries: incremental.EntryFiles = field(default_factory=incremental.EntryFiles)
    built: list[str] = field(default_factory=list)
    segments: dict[Any, tuple[str, ...]] = field(default_factory=dict)
    segmented: set[Any] = field(default_factory=set)

    def close(self) -> None:
        self.entries.close()


def _run_chunk(config_file: str, build_dir: str, uris: list[str], strict: bool, today: dt.date, out: str,
               memo_file: str | None = None, memo: Any = None) -> None:
    """Child process: build ``uris`` with MkDocs, pickle a :class:`ChunkResult` to ``out``.

    ``memo``: the build's segmentation memo, in a forked child; else ``memo_file``, where
    the build loaded it from (a child the fork server started).
    """
    from crmgen.accel import segment
    from crmgen.accel.plugin import NAME, AccelPlugin
    from crmgen.render.mkdocs.run import run_mkdocs

    entry_file = f"{out}.search"
    result = ChunkResult(entry_file=entry_file)
    entries = incremental.EntryWriter(entry_file)
    shard = incremental.Shard(uris=frozenset(uris), entries=entries)
    if memo is None and memo_file is not None:
        memo = segment.Memo.load(Path(memo_file))
    plugin = AccelPlugin(shard=shard, memo=memo)
    try:
        try:
            with incremental.unlink_before_write():
                result.warnings = run_mkdocs(Path(config_file), Path(build_dir), strict=strict, today=today,
                                             dirty=True, plugins={NAME: plugin})
        finally:
            entries.close()
        result.entries = entries.spans
        result.built = sorted(shard.built)
        if plugin.memo is not None:
            result.segments, result.segmented = plugin.memo.new, plugin.memo.used
    except CrmgenError as exc:
        result.error = str(exc)
    except BaseException as exc:  # noqa: BLE001 - reported by the parent, with the traceback
        result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    tmp = f"{out}.tmp"
    with open(tmp, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, out)


def _context(share_dictionary: bool) -> multiprocessing.context.BaseContext:
    """The fork server; a fork of this process when the chunks are to share its jieba dictionary."""
    methods = multiprocessing.get_all_start_methods()
    # Forking a process that runs other threads (serve's watcher and HTTP server) can
    # copy a lock another thread holds; a fork server starts clean.
    if share_dictionary and can_fork():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)  # read when the server starts
        return ctx
    return multiprocessing.get_context("fork" if can_fork() else "spawn")


def prepare_parent(memo: Any = None) -> bool:
    """Load what every chunk needs once, before starting them; True when they should share it by fork.

    jieba's dictionary (~0.4-1.3 s per process) is loaded unless the segmentation
    memo already knows most of the text (then most chunks never need it) or new
    text can be segmented from the dictionary's index (:mod:`crmgen.accel.segment`).
    Loading it writes the index, which the chunks then read; only when it could
    not be written do they need this process's dictionary.
    """
    from crmgen.accel import segment

    with contextlib.suppress(ImportError):
        if (memo is None or not memo.known) and not segment.index_ready():
            segment.load_jieba()
            return not segment.index_ready()
    return False


def build_chunks(
    config_file: Path,
    build_dir: Path,
    chunks: list[list[str]],
    *,
    strict: bool,
    today: dt.date,
    cores: int,
    progress: Callable[[int], None] | None = None,
    memo_file: Path | None = None,
    memo: Any = None,
) -> Chunks:
    """Build every chunk in its own process, ``cores`` at a time; merge what they return.

    ``memo`` is the segmentation memo of this build (:class:`crmgen.accel.segment.Memo`),
    ``memo_file`` where it was loaded from. The result's search entries stay open until it is closed.
    """
    # A process running other threads (serve) never forks: its chunks load what they need.
    ctx = _context(can_fork() and prepare_parent(memo))
    forking = ctx.get_start_method() == "fork"
    if forking:
        with contextlib.suppress(ImportError):
            import material.plugins.search.plugin  # noqa: F401
            import mkdocs.commands.build  # noqa: F401
    # A forked chunk shares the build's memo; one the fork server starts reads it from its file.
    shared = (str(memo_file) if memo_file is not None else None, memo if forking else None)
    with frozen() if forking else contextlib.nullcontext():
        return _run_chunks(ctx, config_file, build_dir, chunks, strict, today, cores, progress, shared)


def _run_chunks(ctx: Any, config_file: Path, build_dir: Path, chunks: list[list[str]], strict: bool,
                today: dt.date, cores: int, progress: Callable[[int], None] | None,
                memo: tuple[str | None, Any]) -> Chunks:
    merged = Chunks()
    # Beside the config (.crmgen/), not in a /tmp that may be memory: the search entries are 100 MB.
    with tempfile.TemporaryDirectory(prefix="crmgen-chunks-", dir=config_file.parent) as tmp:
        queue = list(enumerate(chunks))
        running: dict[Any, tuple[Any, str, int]] = {}
        results: dict[int, ChunkResult] = {}
        try:
            while queue or running:
                while queue and len(running) < cores:
                    index, uris = queue.pop(0)
                    out = os.path.join(tmp, f"chunk-{index}.pickle")
                    proc = ctx.Process(
                        target=_run_chunk,
                        args=(str(config_file), str(build_dir), uris, strict, today, out, *memo),
                        name=f"crmgen-build-{index}",
                    )
                    proc.start()
                    running[proc.sentinel] = (proc, out, index)
                ready = multiprocessing.connection.wait(list(running))
                for sentinel in ready:
                    proc, out, index = running.pop(sentinel)
                    proc.join()
                    result = _read_result(out, proc.exitcode)
                    if result.error is not None:
                        raise CrmgenError(result.error)
                    if result.entry_file is not None:
                        merged.entries.add(result.entry_file, result.entries)  # open before tmp goes
                    results[index] = result
                    if progress is not None:
                        progress(len(chunks[index]))
        except BaseException:
            merged.close()
            raise
        finally:
            for proc, _, _ in running.values():
                proc.terminate()
            for proc, _, _ in running.values():
                proc.join()
    for index in sorted(results):
        result = results[index]
        merged.warnings.extend(result.warnings)
        merged.built.extend(result.built)
        merged.segments.update(result.segments)
        merged.segmented |= result.segmented
    return merged


def _read_result(path: str, exitcode: int | None) -> ChunkResult:
    try:
        with open(path, "rb") as fh:
            result = pickle.load(fh)
        if isinstance(result, ChunkResult):
            return result
    except (*DAMAGED_CACHE, pickle.UnpicklingError):
        pass
    return ChunkResult(error=f"a build process stopped without finishing its pages (exit code {exitcode})")

