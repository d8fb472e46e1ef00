"""Files on disk: the docs tree kept in sync, the site directory checked and swapped.

MkDocs empties its site directory before building, so a typo in ``-d`` must never
reach it: :func:`check_site_dir` refuses anything that holds the CRM or is not a
site crmgen built before (recognised by :data:`MARKER`). The build goes to a fresh
temporary directory beside the target; :func:`swap_in` renames it into place only
when it is complete, so a failed build leaves the previous site whole.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .incremental import KEEP

MARKER = ".crmgen-site"
STALE_AFTER = 3600  # seconds; no build takes that long
MARKER_TEXT = "This directory is a site built by crmgen; 'crmgen build' replaces it whole.\n"


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def check_site_dir(site_dir: Path, root: Path, protected: list[Path]) -> Path:
    """The resolved site directory, or UsageError when building there could destroy data."""
    site = site_dir.expanduser().resolve()
    root = root.resolve()
    for keep in [root, *protected]:
        keep = keep.resolve()
        if _is_within(keep, site):
            raise UsageError(
                f"refusing to build the site into {site_dir}: it holds {keep}, which the build "
                "would wipe; choose an empty directory or a previous site (the default is site/)"
            )
        if keep != root and _is_within(site, keep):
            raise UsageError(
                f"refusing to build the site into {site_dir}: it is inside {keep}; "
                "choose a directory outside it (the default is site/)"
            )
    if site.exists():
        if not site.is_dir():
            raise UsageError(f"refusing to build the site into {site_dir}: it is a file, not a directory")
        if any(site.iterdir()) and not (site / MARKER).is_file():
            raise UsageError(
                f"refusing to build the site into {site_dir}: it is not empty and was not built by "
                f"crmgen (no {MARKER} file in it); choose an empty directory or delete it first"
            )
    return site


def sync_tree(target: Path, files: Mapping[str, bytes]) -> tuple[int, int]:
    """Make ``target`` hold exactly ``files``; returns how many were (written, deleted)."""
    written, deleted = sync_tree_changes(target, files)
    return len(written), len(deleted)


def sync_tree_changes(target: Path, files: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Make ``target`` hold exactly ``files``: write changed ones, delete stale ones.

    Unchanged files keep their modification time, so MkDocs ``--dirty`` (and its
    successors) only rebuild the pages that changed. A value that is
    :data:`~crmgen.site.incremental.KEEP` leaves that file as it is. Returns the
    relative paths (written, deleted).
    """
    target.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    deleted: list[str] = []
    root = target.resolve()
    for rel, data in files.items():
        if data is KEEP:
            continue
        path = target / rel
        if not _is_within(path.resolve(), root):
            raise UsageError(f"refusing to write {rel}: it is outside {target}")
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written.append(rel)
    wanted = set(files)
    # os.walk (scandir: no stat per entry) over the tree, deepest first, so emptied dirs go too
    for dirpath, _dirnames, filenames in os.walk(target, topdown=False):
        rel_dir = os.path.relpath(dirpath, target)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        for name in filenames:
            if prefix + name not in wanted:
                os.unlink(os.path.join(dirpath, name))
                deleted.append(prefix + name)
        if rel_dir != "." and not os.listdir(dirpath):
            os.rmdir(dirpath)
    deleted.sort()
    return written, deleted


def new_build_dir(site: Path) -> Path:
    """A fresh, empty directory beside ``site`` to build into."""
    site.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for stale in site.parent.glob(f".{site.name}.crmgen-*"):
        # Left over by an interrupted build: never served, safe to remove. A young
        # one may belong to a build running right now (crmgen serve), so wait.
        try:
            age = now - stale.stat().st_mtime
        except OSError:
            continue
        if age > STALE_AFTER:
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f".{site.name}.crmgen-new-", dir=site.parent))


def swap_in(built: Path, site: Path) -> None:
    """Replace ``site`` by ``built``: rename the old one away, the new one in, delete the old."""
    (built / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    old: Path | None = None
    if site.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{site.name}.crmgen-old-", dir=site.parent))
        old.rmdir()
        os.replace(site, old)
    try:
        os.replace(built, site)
    except OSError:
        if old is not None:
            os.replace(old, site)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def discard(built: Path) -> None:
    """Remove an unfinished build directory."""
    shutil.rmtree(built, ignore_errors=True)


def empty_dir(path: Path) -> None:
    """Make ``path`` an empty directory (crmgen's own build dir under ``.crmgen/``, never the site)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.mkdir(parents=True)


def sync_links(build_dir: Path, site: Path) -> int:
    """Make ``site`` hard-link exactly the files of ``build_dir``, replacing only those that differ.

    After an incremental build most files of the build dir are the very files
    (inodes) the site already links; the few MkDocs rewrote, and the pages that
    went away, are put right one file at a time, each with a rename, so a reader
    sees the old file or the new one and never half of one. Returns how many
    files were replaced or removed.
    """
    changed = 0
    for dirpath, _, filenames in os.walk(build_dir):
        rel = os.path.relpath(dirpath, build_dir)
        out = site if rel == "." else site / rel
        if out.is_symlink() or (out.exists() and not out.is_dir()):
            out.unlink()
        out.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            src = os.path.join(dirpath, name)
            dst = out / name
            mine = os.stat(src)
            try:
                theirs = os.lstat(dst)
            except FileNotFoundError:
                theirs = None
            if theirs is not None and (theirs.st_ino, theirs.st_dev) == (mine.st_ino, mine.st_dev):
                continue
            tmp = out / f".{name}.crmgen-new"
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            try:
                os.link(src, tmp)
            except OSError:  # another file system, or links not supported
                shutil.copy2(src, tmp)
            if theirs is not None and stat.S_ISDIR(theirs.st_mode):
                shutil.rmtree(dst)
            os.replace(tmp, dst)
            changed += 1
    for dirpath, dirnames, filenames in os.walk(site, topdown=False):
        rel = os.path.relpath(dirpath, site)
        mirror = build_dir if rel == "." else build_dir / rel
        for name in filenames:
            if rel == "." and name == MARKER:
                continue
            if not os.path.lexists(mirror / name):
                os.unlink(os.path.join(dirpath, name))
                changed += 1
        for name in dirnames:
            if not (mirror / name).is_dir():
                shutil.rmtree(os.path.join(dirpath, name), ignore_errors=True)
    return changed
