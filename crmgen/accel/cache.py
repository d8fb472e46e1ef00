"""A parse cache so that checking an unchanged book of 10,000 clients is instant.

Each entry is keyed by the file's stat fingerprint (size, mtime, ctime, inode,
device). Any edit, ``touch``, rename, replacement or deletion changes the
fingerprint or the path, so the file is read again. As in git's "racy clean"
rule, a file whose mtime is within :data:`RACY_NS` of the moment the cache was
saved is never trusted (a second edit in the same clock tick could keep the
same fingerprint) and symlinks are never cached.

The cache lives in ``.crmgen/cache/`` under the project (git-ignored), is
written atomically, and a cache that cannot be read or written is ignored.
``check`` and ``due`` on an unchanged book do not even read it: the book summary
(:mod:`crmgen.accel.summary`, same keys, same rule) answers them.

So that a pass after one edit does not write the whole book again, the cache is
:data:`SHARDS` files (a client file's entry always in the same one, by a CRC of
its path), each a small cache of its own under the rule above: trusted as of the
start of the pass that wrote it, replaced atomically, and rewritten only when a
pass learnt something for it that a later pass could trust (a file read again
and not racy, a file gone). Each entry is pickled on its own and its bytes are
kept from load to save, so a save pickles only the entries read again. A shard
file starts with its length and CRC-32: one torn or cut short (the files are not
fsynced) is not trusted at all.
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crmgen.format.errors import DAMAGED_CACHE, warn_damaged

RACY_NS = 2_000_000_000
CACHE_DIR = "parse-v2"  # holds the shards 00.pickle .. 31.pickle; a new format, a new name
SHARDS = 32  # part of the format (which shard holds a path): change CACHE_DIR with it
MAGIC = b"crmgenP2"
HEADER = struct.Struct("<8sQQI")  # magic, length of the index, of all after the header, CRC-32 of that
FREEZE_MIN = 1000  # entries from which loaded objects are kept out of the garbage collector

Blob = bytes | memoryview  # a pickled value
# fingerprint, value, the value pickled (None until needed), trusted as of (ns)
Entry = tuple[tuple[int, ...], Any, Blob | None, int]


def _format_version() -> str:
    # Any change to crmgen's code, its dependencies or Python invalidates every entry.
    from crmgen.accel.codekey import code_key

    return code_key()


def fingerprint(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def shard_of(rel: str) -> int:
    """The shard a path's entry lives in: the same in every process (unlike ``hash``)."""
    return zlib.crc32(rel.encode("utf-8", "surrogateescape")) % SHARDS


def write_shard(path: Path, version: str, saved_ns: int, entries: list[tuple[str, tuple[int, ...], Blob]]) -> None:
    """Write ``(path, fingerprint, pickled value)`` entries atomically, behind a header that lets
    :func:`read_shard` tell the whole file from a torn one."""
    import pickle

    index = pickle.dumps((version, saved_ns, [(rel, key, len(blob)) for rel, key, blob in entries]),
                         pickle.HIGHEST_PROTOCOL)
    crc = zlib.crc32(index)
    for _, _, blob in entries:
        crc = zlib.crc32(blob, crc)
    size = len(index) + sum(len(blob) for _, _, blob in entries)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(HEADER.pack(MAGIC, len(index), size, crc))
            fh.write(index)
            fh.writelines(blob for _, _, blob in entries)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def read_shard(path: Path) -> tuple[str, int, list[tuple[str, tuple[int, ...], Blob]]]:
    """(format version, saved_ns, entries) of a shard file; ValueError unless it is exactly
    what was written. The pickled values are views of the file's bytes, not copies."""
    with open(path, "rb") as fh:
        return split_shard(fh.read())


def decode_shard(raw: bytes) -> tuple[str, dict[str, Entry]]:
    """(format version, entries by path) of a shard file's bytes, the values unpickled."""
    import pickle

    version, saved_ns, index = split_shard(raw)
    return version, {rel: (key, pickle.loads(blob), blob, saved_ns) for rel, key, blob in index}


def split_shard(raw: bytes) -> tuple[str, int, list[tuple[str, tuple[int, ...], Blob]]]:
    """:func:`read_shard` of a file's bytes."""
    import pickle

    if len(raw) < HEADER.size:
        raise ValueError("cache file too short")
    magic, index_size, size, crc = HEADER.unpack_from(raw)
    body = memoryview(raw)[HEADER.size:]
    if magic != MAGIC or size != len(body) or index_size > size or crc != zlib.crc32(body):
        raise ValueError("cache file torn, cut short or of another format")
    version, saved_ns, index = pickle.loads(body[:index_size])
    entries: list[tuple[str, tuple[int, ...], Blob]] = []
    start = index_size
    for rel, key, n in index:
        entries.append((rel, key, body[start:start + n]))
        start += n
    if start != size:
        raise ValueError("cache file index does not match its entries")
    return version, saved_ns, entries


@contextmanager
def _no_gc(freeze: Callable[[], bool]) -> Iterator[None]:
    """Unpickle without the cyclic garbage collector; with ``freeze``, keep it off what was made.

    Unpickling a book makes millions of objects, none of them garbage and none in a cycle;
    at 10,000 clients the collector's repeated passes over them took twice as long as the
    unpickling, and each later full pass costs ~0.4 s. Frozen (:func:`gc.freeze`), they
    are never scanned again; reference counting still frees each one that is dropped.
    Freezing also keeps out whatever else lives at that moment (and any garbage cycle
    among it, for good), so it is done only for a large book (``freeze()`` true at the end),
    read once per process.

    Re-measured for #14 (10,000 clients, a build after one edit): 5.5 s frozen, 6.0 s not.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze():
            gc.freeze()
    finally:
        if enabled:
            gc.enable()


_ERRORS = DAMAGED_CACHE


class ParseCache:
    """Validated files by relative path, valid while their fingerprint matches."""

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / CACHE_DIR if directory else None
        self.entries: dict[str, Entry] = {}
        self.fresh: dict[str, Entry] = {}
        self.hits = 0
        self.started_ns = 0
        self.loaded: set[int] = set()  # shards read whole from their file
        self.learnt: set[int] = set()  # shards this pass read a file for that a later pass may trust
        if self.path is not None:
            self._load()

    def begin(self) -> None:
        """Start a pass over the book. A cache kept in memory (``crmgen serve``) carries the
        previous pass's entries over, each trusted as of the moment it was last read."""
        if self.started_ns:
            # with no file to write, the pickled copies are only memory
            self.entries = self.fresh if self.path else {
                rel: (k, v, None, t) for rel, (k, v, _, t) in self.fresh.items()}
        self.started_ns = time.time_ns()
        self.fresh = {}
        self.hits = 0
        self.learnt = set()

    def _load(self) -> None:
        assert self.path is not None
        import pickle  # only with a cache to read: `check --no-cache` does without

        version = _format_version()
        damaged = 0
        with _no_gc(freeze=lambda: len(self.entries) >= FREEZE_MIN):
            for i in range(SHARDS):
                try:
                    file_version, entries = decode_shard((self.path / f"{i:02d}.pickle").read_bytes())
                except (FileNotFoundError, NotADirectoryError):
                    continue
                except (*_ERRORS, pickle.UnpicklingError):
                    damaged += 1
                    continue
                if file_version == version:
                    self.entries.update(entries)
                    self.loaded.add(i)
        warn_damaged(self.path, count=damaged)

    def get(self, rel: str, path: str | os.PathLike[str]) -> tuple[tuple[int, ...] | None, Any]:
        """(fingerprint to store under, cached value or None)."""
        try:
            st = os.lstat(path)  # for anything but a symlink, what stat() gives
        except OSError:
            return None, None
        if stat.S_ISLNK(st.st_mode):
            return None, None
        key = fingerprint(st)
        hit = self.entries.get(rel)
        if hit is not None and hit[0] == key and st.st_mtime_ns < hit[3] - RACY_NS:
            self.hits += 1
            self.fresh[rel] = hit
            return key, hit[1]
        return key, None

    def put(self, rel: str, key: tuple[int, ...] | None, value: Any) -> None:
        if key is not None:
            # entries are trusted as of the start of the pass that read them
            as_of = self.started_ns or time.time_ns()
            self.fresh[rel] = (key, value, None, as_of)
            if key[1] < as_of - RACY_NS:  # key[1], the mtime: not racy, so worth saving
                self.learnt.add(shard_of(rel))

    def digest(self, rel: str) -> str | None:
        """A digest of what this pass holds for ``rel``: of its pickled entry, the bytes that are
        (or will be) saved, so a file that did not change keeps its digest from pass to pass.

        A site build keys its pages by it instead of hashing 10,000 clients again.
        None for a file the cache does not keep (a symlink, no cache directory).
        """
        if rel not in self.fresh or self.path is None:
            return None
        import hashlib  # not at the top: OpenSSL's bindings load slowly, and `check` never digests

        return hashlib.blake2b(self._blob(rel), digest_size=16).hexdigest()

    def _blob(self, rel: str) -> Blob:
        """The pickled entry of ``rel`` this pass holds, pickled now if it was read afresh (and kept:
        :meth:`digest` and :meth:`save` use the same bytes)."""
        key, value, blob, as_of = self.fresh[rel]
        if blob is None:
            import pickle

            blob = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            self.fresh[rel] = (key, value, blob, as_of)
        return blob

    def save(self) -> None:
        """Write only what was seen this run (deleted files drop out); never fail the command.

        Only shards that changed are written: a shard whose file holds every hit of this
        pass, and for which every file read again is racy (it would not be trusted) or
        gone (never looked up again), serves the next pass as it is.
        """
        if self.path is None:
            return
        dirty = self.learnt | {shard_of(rel) for rel in self.entries.keys() - self.fresh.keys()}
        dirty |= set(range(SHARDS)) - self.loaded
        if not dirty:
            return
        shards: dict[int, list[str]] = {i: [] for i in dirty}
        for rel in self.fresh:
            if (shard := shards.get(shard_of(rel))) is not None:
                shard.append(rel)
        import pickle

        version, saved_ns = _format_version(), self.started_ns or time.time_ns()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for i, rels in sorted(shards.items()):
                write_shard(self.path / f"{i:02d}.pickle", version, saved_ns,
                            [(rel, self.fresh[rel][0], self._blob(rel)) for rel in rels])
                self.loaded.add(i)
        except (OSError, pickle.PicklingError):
            pass
