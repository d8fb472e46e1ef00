"""Chinese word segmentation (jieba) for search, loaded fast and remembered across builds.

Material's search plugin segments every run of Han characters with jieba so the
browser-side index can find Chinese words. Three costs dominate a small rebuild:

- jieba's dictionary: ``jieba.initialize()`` reads its marshal cache through a
  file object (~0.8-1.4 s); reading the same file in one go and decoding it takes
  a third of that (:func:`load_jieba`);
- segmenting text that has not changed. :class:`Memo` stands in for the ``jieba``
  module inside Material's plugin: ``cut()`` answers from a memo of earlier
  segmentations (kept in ``.crmgen/cache/segments.pickle``) and asks jieba only
  for text it has not seen, so after one edit jieba's dictionary is loaded only
  when the edit brought new Chinese text;
- loading the dictionary at all to segment the one or two new texts an edit
  brings. jieba's default tokenizer only asks its ``FREQ`` dict (every word and
  every prefix of a word, a prefix counting 0) about substrings of the text, and
  ``total``. The first time the whole dictionary is loaded on a machine
  (:func:`load_jieba`), it is also written to an index beside jieba's own cache
  (:func:`write_index`: an sqlite file, one row per first character holding the
  words that start with it). A memo miss then segments with a
  :func:`lazy tokenizer <open_index>`, a plain ``jieba.Tokenizer`` whose ``FREQ``
  reads just the rows of the characters in the text, so the answer is jieba's own,
  computed by jieba's own code.

The index costs ~0.3 s of CPU to write and ~13 MB, once per machine and jieba
dictionary (as jieba's cache does, which costs more); it is written in the
process that loaded the dictionary rather than in a forked child, which on a
small machine would compete with the build's own chunk processes for the same
cores anyway. One row per first character rather than one per word: writing
500,000 rows into an sqlite B-tree costs two to three times as long, and a text
asks about few characters (a memo miss reads ~40 rows, a few milliseconds).

The file is named after jieba's version and the sizes and times of its
dictionary and of its cache (what jieba would load), written to a temporary file
and renamed into place, and trusted only when it is ours, sqlite opens it (a
truncated file is "malformed") and its ``meta`` rows (written last) name the same
key. Otherwise, or on an error while reading it (which deletes it, so that the
full load that follows writes it again), the memo asks the real dictionary.

The memo holds exactly what jieba returned for the same input, so a site built
with it is byte for byte the one built without.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import marshal
import os
import pickle
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from crmgen.format.errors import DAMAGED_CACHE, warn_damaged

MEMO_FILE = "segments.pickle"
_FORMAT = 1
_INDEX_FORMAT = 1
log = logging.getLogger(__name__)


def import_jieba() -> Any:
    """``import jieba``, without the ``pkg_resources`` jieba imports only to open its data files.

    Importing ``pkg_resources`` is a tenth of a second of every build (Material's search
    plugin imports jieba); without it jieba opens the same files by their path.
    """
    module = sys.modules.get("jieba")
    if module is not None:
        _use_cache_dir(module.dt)
        return module
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import fails: jieba's fallback
    try:
        import jieba
    finally:
        if blocked and "pkg_resources" in sys.modules and sys.modules["pkg_resources"] is None:
            del sys.modules["pkg_resources"]
    _use_cache_dir(jieba.dt)
    return jieba


def _use_cache_dir(tokenizer: Any) -> None:
    """Keep jieba's dictionary cache and crmgen's index of it in crmgen's cache directory
    (``$XDG_CACHE_HOME/crmgen/jieba``), not in the system temp dir, unless the tokenizer was
    given a directory already. Without a usable cache directory jieba's own default stays."""
    if tokenizer.tmp_dir:
        return
    from crmgen.load.project import cache_dir_for

    where = cache_dir_for(Path(os.sep)).parent / "jieba"  # beside the projects' caches, one per user
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    tokenizer.tmp_dir = str(where)


def load_jieba() -> Any:
    """The jieba module, its default dictionary loaded (quietly, and fast when its cache exists)."""
    jieba = import_jieba()

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.dt
    loading_default = not tokenizer.initialized and _default_dictionary(tokenizer)
    if loading_default:
        # The same file and the same test jieba.initialize() uses for the default dictionary.
        cache = os.path.join(_tmp_dir(tokenizer), "jieba.cache")
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            with open(cache, "rb") as fh:
                freq, total = marshal.loads(fh.read())
            if isinstance(freq, dict) and freq and isinstance(total, int):
                with tokenizer.lock:
                    if not tokenizer.initialized:
                        tokenizer.FREQ, tokenizer.total = freq, total
                        tokenizer.initialized = True
    if tokenizer.initialized:
        tokenizer.check_initialized()
    else:
        _load_quietly(tokenizer)  # builds the dictionary (and its cache) the slow way
    if loading_default:  # FREQ is exactly the default dictionary: nothing has added words yet
        _ensure_index(tokenizer)
    return jieba


def _load_quietly(tokenizer: Any) -> None:
    """``tokenizer.check_initialized()``, a failed write of jieba's cache (a full disk) neither
    logged with a traceback nor leaving jieba's temporary file: a cache is only a cache."""
    jieba = import_jieba()

    where = _tmp_dir(tokenizer)
    try:
        before = set(os.listdir(where))
    except OSError:
        before = None

    def not_a_failed_dump(record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], OSError))

    jieba.default_logger.addFilter(not_a_failed_dump)
    try:
        tokenizer.check_initialized()
    finally:
        jieba.default_logger.removeFilter(not_a_failed_dump)
    if before is not None:
        with contextlib.suppress(OSError):
            for name in set(os.listdir(where)) - before:
                if name.startswith("tmp"):  # jieba's mkstemp, left when its write failed
                    os.unlink(os.path.join(where, name))


def _default_dictionary(tokenizer: Any) -> bool:
    jieba = import_jieba()

    return tokenizer.dictionary == jieba.DEFAULT_DICT and not tokenizer.cache_file


def _tmp_dir(tokenizer: Any) -> str:
    return tokenizer.tmp_dir or tempfile.gettempdir()


def index_key(tmp_dir: str) -> tuple[str, str] | None:
    """``(path, key)`` of the index for the dictionary jieba would load from ``tmp_dir`` now.

    None without jieba's cache there (jieba would build the dictionary afresh).
    """
    jieba = import_jieba()

    try:
        stats = [os.stat(os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME)),
                 os.stat(os.path.join(tmp_dir, "jieba.cache"))]
    except OSError:
        return None
    key = " ".join([f"crmgen-jieba-index {_INDEX_FORMAT}", jieba.__version__,
                    *(f"{st.st_size}:{st.st_mtime_ns}" for st in stats)])
    name = f"crmgen-jieba.{hashlib.sha256(key.encode()).hexdigest()[:20]}.sqlite"
    return os.path.join(tmp_dir, name), key


_index_tried: set[str] = set()


def _ensure_index(tokenizer: Any) -> None:
    found = index_key(_tmp_dir(tokenizer))
    if found is None or found[0] in _index_tried:
        return
    _index_tried.add(found[0])  # once per process, even when it cannot be written
    if os.path.exists(found[0]):
        opened = _connect(*found)
        if opened is not None:
            opened[0].close()
            return
    if os.access(os.path.dirname(found[0]), os.W_OK):  # a damaged or missing index: (re)write it
        write_index(tokenizer.FREQ, tokenizer.total, *found)


def write_index(freq: dict[str, int], total: int, path: str, key: str) -> bool:
    """Write ``freq`` and ``total`` to an index at ``path`` (atomically); False if it could not."""
    import sqlite3

    buckets: dict[str, dict[str, int]] = {}
    for word, count in freq.items():
        bucket = buckets.get(word[:1])
        if bucket is None:
            bucket = buckets[word[:1]] = {}
        bucket[word] = count
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".crmgen-jieba.", suffix=".tmp")
    os.close(fd)
    try:
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            # A temporary file nobody reads until it is renamed: no journal, no syncs.
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("CREATE TABLE bucket (head TEXT PRIMARY KEY, words BLOB NOT NULL) WITHOUT ROWID")
            con.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID")
            con.execute("BEGIN")
            con.executemany("INSERT INTO bucket VALUES (?, ?)",
                            ((head, marshal.dumps(words)) for head, words in buckets.items()))
            con.executemany("INSERT INTO meta VALUES (?, ?)", [("total", total), ("key", key)])
            con.execute("COMMIT")
        finally:
            con.close()
        os.replace(tmp, path)
        return True
    except (OSError, sqlite3.Error) as exc:
        log.debug("jieba index not written to %s: %s", path, exc)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


class BrokenIndex(Exception):
    """The index could not be read (a damaged row, an sqlite error)."""


class IndexedFreq:
    """jieba's ``FREQ`` read from an index: one row per first character, each kept once read."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[str, int]] = {}

    def _bucket(self, word: str) -> dict[str, int]:
        head = word[:1]
        bucket = self._buckets.get(head)
        if bucket is None:
            import sqlite3

            try:
                with self._lock:
                    row = self._con.execute("SELECT words FROM bucket WHERE head = ?", (head,)).fetchone()
                bucket = marshal.loads(row[0]) if row else {}
            except (sqlite3.Error, ValueError, EOFError, TypeError) as exc:
                raise BrokenIndex(f"row {head!r}: {exc}") from exc
            if not isinstance(bucket, dict):
                raise BrokenIndex(f"row {head!r}: not a dict")
            self._buckets[head] = bucket
        return bucket

    def __contains__(self, word: str) -> bool:
        return word in self._bucket(word)

    def __getitem__(self, word: str) -> int:
        return self._bucket(word)[word]

    def get(self, word: str, default: Any = None) -> Any:
        return self._bucket(word).get(word, default)


def _ours(path: str) -> bool:
    """Written by this user (in a shared /tmp, another user's file could say anything)."""
    return not hasattr(os, "getuid") or os.stat(path).st_uid == os.getuid()


def _connect(path: str, key: str) -> tuple[Any, int] | None:
    """A read-only connection to the index at ``path`` and its total, if it is whole and for ``key``."""
    import sqlite3

    con = None
    try:
        if not _ours(path):
            return None
        # immutable: the file is never written once renamed into place, so no locks.
        uri = f"{Path(path).absolute().as_uri()}?mode=ro&immutable=1"
        con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        meta = dict(con.execute("SELECT name, value FROM meta").fetchall())
        total = meta.get("total")
        if meta.get("key") == key and isinstance(total, int) and total > 0:
            return con, total
    except (OSError, sqlite3.Error):
        pass
    if con is not None:
        con.close()
    return None


def open_index(tmp_dir: str) -> Any:
    """A jieba Tokenizer for the default dictionary that reads the index in ``tmp_dir``, or None.

    None when there is no index for the dictionary jieba would load now, or it is
    truncated, incomplete, stale or unreadable.
    """
    jieba = import_jieba()

    found = index_key(tmp_dir)
    opened = _connect(*found) if found else None
    if opened is None:
        return None
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total = IndexedFreq(opened[0]), opened[1]
    tokenizer.tmp_dir = tmp_dir
    tokenizer.initialized = True  # never load the real dictionary into this one
    return tokenizer


# (jieba's temp dir, pid, index path, tokenizer or None), looked up once per process and
# temp dir: every memo miss asks, and finding the index stats two files and hashes a key.
# An sqlite connection must not cross a fork, hence the pid.
_lazy: tuple[str, int, str, Any] | None = None


def _lazy_tokenizer() -> Any:
    """The index's tokenizer while the real dictionary is not loaded, else None."""
    global _lazy
    jieba = import_jieba()

    real = jieba.dt
    if real.initialized or not _default_dictionary(real):
        return None
    tmp_dir = _tmp_dir(real)
    if _lazy is None or _lazy[:2] != (tmp_dir, os.getpid()):
        found = index_key(tmp_dir)
        _lazy = (tmp_dir, os.getpid(), found[0] if found else "", open_index(tmp_dir) if found else None)
    return _lazy[3]


def index_ready() -> bool:
    """True when new text can be segmented from the index, without loading the dictionary."""
    return _lazy_tokenizer() is not None


def cut(sentence: bytes | str) -> tuple[str, ...]:
    """The words of ``jieba.cut(sentence)`` (its default mode), from the index when the
    dictionary is not loaded."""
    global _lazy
    lazy = _lazy_tokenizer()
    if lazy is not None:
        try:
            return tuple(lazy.cut(sentence))
        except BrokenIndex as exc:  # the real dictionary answers
            log.debug("jieba index unusable: %r", exc)
            if _lazy is not None:
                with contextlib.suppress(OSError):
                    os.unlink(_lazy[2])  # for load_jieba below to write it again
                _lazy = (*_lazy[:3], None)
    return tuple(load_jieba().cut(sentence))


def _versions() -> tuple[str, ...]:
    """What the memo's segmentations depend on: its format and the one code key (which covers
    jieba's and Material's versions)."""
    from crmgen.accel.codekey import code_key

    return (str(_FORMAT), code_key())


class Memo:
    """A drop-in for the ``jieba`` module where Material calls ``jieba.cut(text)``."""

    def __init__(self, known: dict[bytes | str, tuple[str, ...]] | None = None) -> None:
        self.known: dict[bytes | str, tuple[str, ...]] = dict(known or {})
        self.used: set[bytes | str] = set()
        self.new: dict[bytes | str, tuple[str, ...]] = {}

    def cut(self, sentence: bytes | str, *args: Any, **kwargs: Any) -> tuple[str, ...]:
        if args or kwargs:  # another mode (cut_all, HMM off): not remembered
            return tuple(load_jieba().cut(sentence, *args, **kwargs))
        words = self.known.get(sentence)
        if words is None:
            words = cut(sentence)
            self.known[sentence] = words
            self.new[sentence] = words
        self.used.add(sentence)
        return words

    def __getattr__(self, name: str) -> Any:  # set_dictionary, load_userdict, ...: the real module
        if name.startswith("__"):  # copy, pickle and finalisers probing dunders: not jieba's
            raise AttributeError(name)
        return getattr(load_jieba(), name)

    def __bool__(self) -> bool:
        return True

    @classmethod
    def load(cls, path: Path) -> Memo:
        try:
            versions, known = pickle.loads(Path(path).read_bytes())
            if versions == _versions() and isinstance(known, dict):
                return cls(known)
        except (*DAMAGED_CACHE, pickle.UnpicklingError) as exc:
            warn_damaged(path, exc)
        return cls()

    def save(self, path: Path, *, prune: bool) -> None:
        """Write the memo; ``prune`` keeps only what this build used (after a full build)."""
        known = {k: v for k, v in self.known.items() if k in self.used} if prune else self.known
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                pickle.dump((_versions(), known), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:  # a cache: segmented again next time
            with contextlib.suppress(OSError):
                tmp.unlink()


def install(search_config: Any, memo: Memo | None = None) -> Memo | None:
    """Put ``memo`` (or a fresh memo) in place of jieba in Material's search plugin; return it.

    Not when the project sets its own jieba dictionaries (``jieba_dict``,
    ``jieba_dict_user``): the memo is keyed by text alone.
    """
    try:
        from material.plugins.search import plugin as search
    except ImportError:  # pragma: no cover - Material is a dependency
        return memo
    if getattr(search, "jieba", None) is None:
        return memo
    if search_config is not None and (search_config.get("jieba_dict") or search_config.get("jieba_dict_user")):
        return memo
    if memo is None:
        memo = Memo()
    search.jieba = memo
    return memo


def uninstall() -> None:
    """Give Material's search plugin the real jieba back."""
    with contextlib.suppress(ImportError):
        from material.plugins.search import plugin as search

        if isinstance(getattr(search, "jieba", None), Memo):
            jieba = import_jieba()

            search.jieba = jieba
