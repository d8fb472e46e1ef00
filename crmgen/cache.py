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
(:mod:`crmgen.summary`, same keys, same rule) answers them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from . import __version__

RACY_NS = 2_000_000_000
CACHE_FILE = "parse-v1.pickle"


def _format_version() -> str:
    # A new crmgen or a changed schema invalidates every entry.
    import hashlib

    from . import schema

    fields = repr(sorted((k, f.kind, f.required) for k, f in schema.CLIENT.items()))
    return __version__ + ":" + hashlib.sha256(fields.encode()).hexdigest()[:16]


def fingerprint(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class ParseCache:
    """Validated files by relative path, valid while their fingerprint matches."""

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / CACHE_FILE if directory else None
        self.saved_ns = 0
        self.entries: dict[str, tuple[tuple[int, ...], Any]] = {}
        self.fresh: dict[str, tuple[tuple[int, ...], Any]] = {}
        self.hits = 0
        self.started_ns = 0
        if self.path is not None:
            self._load()

    def begin(self) -> None:
        """Start a pass over the book. A cache kept in memory (``crmgen serve``) carries the
        previous pass's entries over, trusted as of the moment that pass started."""
        if self.started_ns:
            self.entries = self.fresh
            self.saved_ns = self.started_ns
        self.started_ns = time.time_ns()
        self.fresh = {}
        self.hits = 0

    def _load(self) -> None:
        assert self.path is not None
        import pickle  # only with a cache to read: `check --no-cache` does without

        try:
            with open(self.path, "rb") as fh:
                data = pickle.load(fh)
            if data.get("version") == _format_version():
                self.entries = data["entries"]
                self.saved_ns = data["saved_ns"]
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError,
                ValueError, ImportError):
            self.entries = {}

    def get(self, rel: str, path: Path) -> tuple[tuple[int, ...] | None, Any]:
        """(fingerprint to store under, cached value or None)."""
        try:
            if path.is_symlink():
                return None, None
            st = path.stat()
        except OSError:
            return None, None
        key = fingerprint(st)
        if st.st_mtime_ns >= self.saved_ns - RACY_NS:
            return key, None
        hit = self.entries.get(rel)
        if hit is not None and hit[0] == key:
            self.hits += 1
            self.fresh[rel] = hit
            return key, hit[1]
        return key, None

    def put(self, rel: str, key: tuple[int, ...] | None, value: Any) -> None:
        if key is not None:
            self.fresh[rel] = (key, value)

    def save(self) -> None:
        """Write only what was seen this run (deleted files drop out); never fail the command."""
        if self.path is None or (self.fresh.keys() == self.entries.keys() and self.hits == len(self.fresh)
                                 and self.saved_ns):
            return
        # entries are trusted as of the start of the pass that read them
        data = {"version": _format_version(), "saved_ns": self.started_ns or time.time_ns(),
                "entries": self.fresh}
        import pickle

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            pass
