"""The index pages' row memo (:class:`crmgen.render.pages.RowMemo`) on disk, in shards.

At 10,000 clients the memo holds 180,000 rows (63 MB): written whole, it was 0.5 s
of every build after one edit, which changes the rows of one client. Each row is
kept under what it is made of, whose first part is the fingerprint of its client
(or of the inputs every page shares), so rows go into :data:`SHARDS` files by that
fingerprint and a build rewrites only the files whose set of keys changed: one or
two after one edit.

A row's text is a function of its key (the memo never keeps a new text under an
old key), so a store left half written by an interrupted build is still right: a
shard of the last build or of this one holds only rows that are true.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SHARDS = 64
DIR = "rows"  # in the project's cache directory
_SUFFIX = ".pickle"


def shard_of(key: Any, memo: dict[Any, int]) -> int:
    """Which file the row kept under ``key`` (``(name, page, what, args)``) goes to."""
    what = key[2]
    head = what if isinstance(what, str) else what[0]
    at = memo.get(head)
    if at is None:
        at = memo[head] = zlib.crc32(str(head).encode()) % SHARDS
    return at


def _split(rows: Mapping[Any, str]) -> list[dict[Any, str]]:
    memo: dict[Any, int] = {}
    parts: list[dict[Any, str]] = [{} for _ in range(SHARDS)]
    for key, text in rows.items():
        parts[shard_of(key, memo)][key] = text
    return parts


class RowStore:
    """The rows of the last build, read from ``cache/rows/``; :meth:`save` writes what changed."""

    def __init__(self, cache: Path) -> None:
        self.path = cache / DIR
        self.rows: dict[Any, str] = {}
        self._keys: list[set[Any] | None] = [None] * SHARDS  # each shard's keys as read; None: unread

    @classmethod
    def load(cls, cache: Path) -> RowStore:
        store = cls(cache)
        for i in range(SHARDS):
            try:
                part = pickle.loads((store.path / f"{i:02d}{_SUFFIX}").read_bytes())
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError,
                    ValueError):
                continue
            if isinstance(part, dict):
                store.rows.update(part)
                store._keys[i] = set(part)
        return store

    def save(self, rows: Mapping[Any, str]) -> int:
        """Keep ``rows`` (this build's) for the next build; returns how many shard files were written.

        Only the shards that gained or lost a key are looked at (a row's text follows from its key).
        """
        self.path.mkdir(parents=True, exist_ok=True)
        if any(keys is None for keys in self._keys):  # a shard not read: write them all
            parts: dict[int, dict[Any, str]] = dict(enumerate(_split(rows)))
        else:
            memo: dict[Any, int] = {}
            gained = rows.keys() - self.rows.keys()
            lost = self.rows.keys() - rows.keys()
            touched = {shard_of(key, memo) for key in gained} | {shard_of(key, memo) for key in lost}
            parts = {i: {} for i in touched}
            for i in touched:
                keys = self._keys[i]
                assert keys is not None
                part = parts[i]
                for key in keys:
                    if key not in lost:
                        part[key] = rows[key]
            for key in gained:
                parts[shard_of(key, memo)][key] = rows[key]
        written = 0
        for i, part in parts.items():
            if self._keys[i] is not None and self._keys[i] == part.keys():
                continue
            target = self.path / f"{i:02d}{_SUFFIX}"
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            with contextlib.suppress(OSError):
                tmp.write_bytes(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))
                os.replace(tmp, target)
                self._keys[i] = set(part)
                written += 1
        self.rows = rows if isinstance(rows, dict) else dict(rows)
        return written

    @staticmethod
    def clear(cache: Path) -> None:
        """Drop the store (a full build starts without rows)."""
        shutil.rmtree(cache / DIR, ignore_errors=True)
