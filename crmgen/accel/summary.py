"""The book summary: one file that answers ``crmgen check`` for an unchanged book.

The parse cache (:mod:`crmgen.accel.cache`) still reads a pickled client per file;
for a book of 10,000 that costs more than a second. When nothing has changed,
``check`` only needs the problems, so they are kept for the whole book in one file,
``.crmgen/cache/book-v2.marshal`` (data only: ``marshal`` runs no code), written by
every ``check``/``due`` that read the whole book with the cache on.

The summary is trusted only when every input is exactly as it was, checked on
every run (never a timestamp alone):

- the same code key (:mod:`crmgen.accel.codekey`: the content of every file of crmgen,
  the versions of its dependencies, and Python);
- ``mkdocs.yml`` (the settings) with the same stat fingerprint;
- the same list of client files, each with the same fingerprint (size, mtime,
  ctime, inode, device), so any edit, ``touch``, rename, replacement, addition or
  deletion is seen;
- no file (``mkdocs.yml`` included) modified within :data:`RACY_NS` of the moment
  the run that wrote the summary started (git's "racy clean" rule: a second edit
  in the same clock tick could keep the fingerprint), and no symlinks.

Otherwise the command reads the book and writes a new summary. The file is written
atomically; one that cannot be read is ignored.

``due`` keeps the book's reminder plan (:func:`crmgen.rules.reminders.plan`, plain
data) beside it, in :data:`PLAN_FILE`, under an id the summary names: a summary
written without a plan (by ``check``, or for a book whose plan depends on git)
names none, so a plan is only ever read for the very book it was made from.
``check`` never reads it. Its rows with a fixed date (sorted by date) are kept in
blocks of :data:`BLOCK` rows, each its own marshal data: ``due`` reads those up to the
furthest day it can show (at 10,000 clients, most rows are further off).
"""

from __future__ import annotations

import marshal
import os
import stat
from typing import Any

from crmgen.format.errors import DAMAGED_CACHE, warn_damaged

RACY_NS = 2_000_000_000  # as crmgen.accel.cache.RACY_NS
FILE = "book-v2.marshal"
PLAN_FILE = "plan-v2.marshal"
BLOCK = 2000  # fixed rows per block of the kept plan
MAGIC = "crmgen book summary 2"
CONFIG_FILE = "mkdocs.yml"


def code_key() -> str:
    """What identifies the running crmgen (:func:`crmgen.accel.codekey.code_key`)."""
    from crmgen.accel.codekey import code_key as key

    return key()


def fingerprint(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """As :func:`crmgen.accel.cache.fingerprint`: any write changes at least one of these."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def path_of(root: str) -> str:
    from pathlib import Path  # as crmgen.load.project does anyway

    from crmgen.load.project import cache_dir_for

    return os.path.join(cache_dir_for(Path(root)), FILE)


def scan(root: str, clients_dir: str, limit_ns: int) -> list[tuple[str, tuple]] | None:
    """(name, fingerprint) of every client file, as :func:`crmgen.load.book.client_paths` lists them.

    None when a file cannot be trusted: a symlink, or modified at or after ``limit_ns``.
    """
    directory = os.path.join(root, clients_dir)
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []  # no clients directory: an empty book
    except OSError:
        return None
    out = []
    prefix = os.path.join(directory, "")
    lstat = os.lstat
    for name in sorted(n for n in names if n.endswith(".md") and not n.startswith(".")):
        try:
            st = lstat(prefix + name)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode) or st.st_mtime_ns >= limit_ns:
            return None
        out.append((name, (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)))
    return out


def load(root: str) -> dict | None:
    """The summary's head if it still describes the book exactly, else None.

    It holds ``files``, ``has_errors`` and ``problems`` (sorted tuples
    ``(path, line, col, severity, message, code)``).
    """
    try:
        with open(path_of(root), "rb") as fh:
            head = marshal.loads(fh.read())
        if not isinstance(head, dict) or head.get("magic") != MAGIC:
            return None
        if head["code"] != code_key() or head["root"] != root:
            return None
        saved = head["saved_ns"]
        st = os.stat(os.path.join(root, CONFIG_FILE))
        if fingerprint(st) != head["config"] or st.st_mtime_ns >= saved - RACY_NS:
            return None
        if scan(root, head["clients_dir"], saved - RACY_NS) != head["entries"]:
            return None
    except DAMAGED_CACHE as exc:  # whatever is wrong with it, the book is read again
        warn_damaged(path_of(root), exc)
        return None
    return head


def load_plan(root: str, head: dict, until: int | None = None) -> dict | None:
    """The reminder plan kept with the summary ``head`` (what :func:`load` returned), or None.

    ``until`` (an ordinal): the rows of ``fixed`` after that day may be left out."""
    plan_id = head.get("plan_id")
    if not plan_id:
        return None
    path = os.path.join(os.path.dirname(path_of(root)), PLAN_FILE)
    try:
        with open(path, "rb") as fh:
            kept = marshal.loads(fh.read())
    except DAMAGED_CACHE as exc:
        warn_damaged(path, exc)
        return None
    if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == plan_id and isinstance(kept[1], dict)):
        return None
    plan = dict(kept[1])
    try:
        fixed: list = []
        for first, block in plan.pop("blocks"):
            if until is not None and first > until:
                break
            fixed += marshal.loads(block)
    except DAMAGED_CACHE as exc:
        warn_damaged(path, exc)
        return None
    plan["fixed"] = fixed
    return plan


def _blocks(fixed: list) -> list[tuple[int, bytes]]:
    """``fixed`` (sorted by date) as (the first row's ordinal, marshal data of the rows)."""
    return [(fixed[i][0], marshal.dumps(fixed[i:i + BLOCK])) for i in range(0, len(fixed), BLOCK)]


def save(root: str, *, saved_ns: int, config: tuple, clients_dir: str, entries: list[tuple[str, tuple]],
         files: int, has_errors: bool, problems: list[tuple], plan: dict | None = None,
         language: str = "en") -> None:
    """Write the summary atomically (and ``plan``, the book's reminder plan, beside it); never
    fail the command (it is only a cache).

    ``saved_ns`` must be no later than the moment the settings and the first
    client file were read: files modified since then are not trusted next time.
    """
    head = {"magic": MAGIC, "code": code_key(), "root": root, "saved_ns": saved_ns, "config": config,
            "clients_dir": clients_dir, "entries": entries, "files": files, "has_errors": has_errors,
            "problems": problems, "plan_id": "", "language": language}
    path = path_of(root)
    if plan is not None:
        plan_id = os.urandom(12).hex()
        try:
            kept: Any = {**{k: v for k, v in plan.items() if k != "fixed"}, "blocks": _blocks(plan["fixed"])}
        except (KeyError, ValueError, TypeError, IndexError):
            kept = None
        if kept is not None and _write(os.path.join(os.path.dirname(path), PLAN_FILE), (plan_id, kept)):
            head["plan_id"] = plan_id
    _write(path, head)


def _write(path: str, value: Any) -> bool:
    """Write ``value`` as marshal data to ``path`` atomically; False when that failed."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        data = marshal.dumps(value)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # no fsync: a file torn by a crash fails to load and is simply rebuilt
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True
