"""Memos of the build kept on disk in shards: the index pages' rows (:class:`crmgen.render.pages.RowMemo`)
and the clients' reminder plans (:class:`crmgen.rules.reminders.PlanMemo`).

At 10,000 clients the row memo holds 180,000 rows (63 MB) and the plan memo 12 MB:
written whole, they were 0.6 s of every build after one edit, which changes the
entries of one client. Each entry is kept under what it is made of, whose first part
(its ``head``) is the fingerprint of its client (or, for a row, of the inputs every
page shares), so entries go into :data:`SHARDS` files by their head and a build
rewrites only the files whose set of keys changed: one or two after one edit.

An entry's value is a function of its key (a memo never keeps a new value under an
old key), so a store left half written by an interrupted build is still right: a
shard of the last build or of this one holds only entries that are true.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from crmgen.format.errors import DAMAGED_CACHE, warn_damaged

SHARDS = 64
ROWS = "rows"  # directories in the project's cache directory
PLANS = "plans"
_SUFFIX = ".pickle"


def row_head(key: Any) -> Any:
    """What a row kept under ``key`` (``(name, page, what, args)``) is made of first."""
    what = key[2]
    return what if isinstance(what, str) else what[0]


def plan_head(key: Any) -> Any:
    """What a client's plan kept under ``key`` (``(digest, first seen)``) is made of first."""
    return key[0]


def shard_of(key: Any, memo: dict[Any, int], head: Callable[[Any], Any] = row_head) -> int:
    """Which file the entry kept under ``key`` goes to."""
    first = head(key)
    at = memo.get(first)
    if at is None:
        at = memo[first] = zlib.crc32(str(first).encode()) % SHARDS
    return at


def _split(rows: Mapping[Any, Any], head: Callable[[Any], Any]) -> list[dict[Any, Any]]:
    memo: dict[Any, int] = {}
    parts: list[dict[Any, Any]] = [{} for _ in range(SHARDS)]
    for key, text in rows.items():
        parts[shard_of(key, memo, head)][key] = text
    return parts


class ShardedMemo:
    """The entries of the last build, read from ``cache/<name>/``; :meth:`save` writes what changed."""

    def __init__(self, cache: Path, name: str = ROWS, head: Callable[[Any], Any] = row_head) -> None:
        self.path = cache / name
        self.head = head
        self.rows: dict[Any, Any] = {}
        self._keys: list[set[Any] | None] = [None] * SHARDS  # each shard's keys as read; None: unread

    @classmethod
    def load(cls, cache: Path, name: str = ROWS, head: Callable[[Any], Any] = row_head) -> ShardedMemo:
        store = cls(cache, name, head)
        damaged = 0
        for i in range(SHARDS):
            try:
                part = pickle.loads((store.path / f"{i:02d}{_SUFFIX}").read_bytes())
            except (FileNotFoundError, NotADirectoryError):
                continue
            except (*DAMAGED_CACHE, pickle.UnpicklingError):
                part = None
            if isinstance(part, dict):
                store.rows.update(part)
                store._keys[i] = set(part)
            else:
                damaged += 1
        warn_damaged(store.path, count=damaged)
        return store

    def save(self, rows: Mapping[Any, Any]) -> int:
        """Keep ``rows`` (this build's) for the next build; returns how many shard files were written.

        Only the shards that gained or lost a key are looked at (an entry's value follows from its key).
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError:  # a cache: the rows are made again next time
            return 0
        if any(keys is None for keys in self._keys):  # a shard not read: write them all
            parts: dict[int, dict[Any, Any]] = dict(enumerate(_split(rows, self.head)))
        else:
            memo: dict[Any, int] = {}
            gained = rows.keys() - self.rows.keys()
            lost = self.rows.keys() - rows.keys()
            head = self.head
            touched = {shard_of(key, memo, head) for key in gained} | {shard_of(key, memo, head) for key in lost}
            parts = {i: {} for i in touched}
            for i in touched:
                keys = self._keys[i]
                assert keys is not None
                part = parts[i]
                for key in keys:
                    if key not in lost:
                        part[key] = rows[key]
            for key in gained:
                parts[shard_of(key, memo, head)][key] = rows[key]
        written = 0
        for i, part in parts.items():
            if self._keys[i] is not None and self._keys[i] == part.keys():
                continue
            target = self.path / f"{i:02d}{_SUFFIX}"
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            try:
                tmp.write_bytes(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))
                os.replace(tmp, target)
            except OSError:  # a cache: the rows are made again next time
                with contextlib.suppress(OSError):
                    tmp.unlink()
                continue
            self._keys[i] = set(part)
            written += 1
        self.rows = rows if isinstance(rows, dict) else dict(rows)
        return written

    @classmethod
    def keyed(cls, cache: Path, name: str, key: str, head: Callable[[Any], Any], *, fresh: bool = False) -> ShardedMemo:
        """The store ``name`` when it was made under ``key`` (the code and settings its values
        follow from), else an empty one that will be (``fresh``: empty in any case)."""
        marker = cache / name / "key"
        try:
            same = marker.read_text(encoding="ascii") == key
        except (OSError, UnicodeError):
            same = False
        if same and not fresh:
            return cls.load(cache, name, head)
        cls.clear(cache, name)
        with contextlib.suppress(OSError):
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(key, encoding="ascii")  # before any shard: every shard is of this key
        return cls(cache, name, head)

    @staticmethod
    def clear(cache: Path, name: str = ROWS) -> None:
        """Drop the store (a full build starts without a memo)."""
        shutil.rmtree(cache / name, ignore_errors=True)


RowStore = ShardedMemo  # the rows' store: ShardedMemo(cache) with its defaults
