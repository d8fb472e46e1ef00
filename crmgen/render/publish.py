"""Files on disk: the docs tree kept in sync, the site directory checked and swapped.

MkDocs empties its site directory before building, so a typo in ``-d`` must never
reach it: :func:`check_site_dir` refuses anything that holds the CRM or is not a
site crmgen built before (recognised by :data:`MARKER`). The build goes to a fresh
temporary directory beside the target; :func:`swap_in` renames it into place only
when it is complete, so a failed build leaves the previous site whole. After an
incremental build, :func:`publish_build` replaces only the files the build
changed instead, each with one rename (:func:`sync_links`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from crmgen.format.errors import UsageError
from crmgen.fsutil import WriteFailed
from crmgen.render.tree import KEEP

MARKER = ".crmgen-site"
STALE_AFTER = 3600  # seconds; no build takes that long
MARKER_TEXT = "This directory is a site built by crmgen; 'crmgen build' replaces it whole.\n"
SITE_KEPT = "the site was left as it was"


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


class Placed:
    """In a rendered tree: a page :class:`TreeWriter` put into the docs tree already, and its size."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


class TreeWriter:
    """Puts pages into a docs tree as they are rendered, as :func:`sync_tree_changes` would.

    The rendered tree then holds a :class:`Placed` for each instead of its text: at
    10,000 clients the pages' text was 230 MB, a quarter of the build's memory.
    """

    def __init__(self, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        self.target, self._root = target, target.resolve()
        self.written: list[str] = []  # relative paths whose content changed

    def __call__(self, rel: str, data: bytes) -> Placed:
        if _write_changed(self.target, self._root, rel, data):
            self.written.append(rel)
        return Placed(len(data))


def _write_changed(target: Path, root: Path, rel: str, data: bytes) -> bool:
    """Write ``data`` to ``target/rel`` unless it holds that already; True if written."""
    path = target / rel
    if not _is_within(path.resolve(), root):
        raise UsageError(f"refusing to write {rel}: it is outside {target}")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:  # a full disk: the site is built from this tree later, so it is as it was
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise WriteFailed.of(exc, path, outcome=SITE_KEPT) from None
    return True


def sync_tree_changes(target: Path, files: Mapping[str, Any],
                      known: Collection[str] | None = None) -> tuple[list[str], list[str]]:
    """Make ``target`` hold exactly ``files``: write changed ones, delete stale ones.

    Unchanged files keep their modification time, so MkDocs ``--dirty`` (and its
    successors) only rebuild the pages that changed. A value that is
    :data:`~crmgen.render.tree.KEEP`, or a :class:`Placed` (a :class:`TreeWriter`
    wrote it), leaves that file as it is. Returns the relative paths (written, deleted).

    ``known``, every file the tree held after the last sync when nothing has touched it
    since, spares the walk over the tree that finds stale files (10,000 directories:
    0.6 s of a build after one edit); they are ``known`` less ``files``.
    """
    target.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    deleted: list[str] = []
    root = target.resolve()
    for rel, data in files.items():
        if data is KEEP or isinstance(data, Placed):
            continue
        if _write_changed(target, root, rel, data):
            written.append(rel)
    wanted = set(files)
    if known is not None:
        for rel in sorted(set(known) - wanted):
            path = target / rel
            if not _is_within(path.resolve(), root):
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                deleted.append(rel)
            parent = path.parent
            while parent != target and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        return written, deleted
    # os.walk (scandir: no stat per entry) over the tree, deepest first, so emptied dirs go too;
    # a page per directory makes 10,000 of them: no relpath or listdir per directory.
    top = os.fspath(target)
    removed: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(top, topdown=False):
        prefix = dirpath[len(top) + 1:].replace(os.sep, "/")
        prefix += "/" if prefix else ""
        empty = all(os.path.join(dirpath, name) in removed for name in dirnames)
        for name in filenames:
            if prefix + name in wanted:
                empty = False
            else:
                os.unlink(os.path.join(dirpath, name))
                deleted.append(prefix + name)
        if empty and dirpath != top:
            os.rmdir(dirpath)
            removed.add(dirpath)
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
    built = Path(tempfile.mkdtemp(prefix=f".{site.name}.crmgen-new-", dir=site.parent))
    # mkdtemp makes it 0700; swapped in as the site, a web server of another user could not
    # read it. The mode of a directory made as usual (os.mkdir: 0777 less the umask).
    os.chmod(built, 0o777 & ~_umask())
    return built


def _umask() -> int:
    """The process's umask, read without setting it where Linux tells it (``serve`` has threads)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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


LINKS_FILE = "site-links"  # beside the build dir: the site that links its every file, as it is now
# Outputs MkDocs or crmgen write without mkdocs.utils, so unlink_before_write does not see
# them: the search index merge (a new file) and MkDocs' sitemap.xml.gz (written in place).
UNSEEN = ("search/search_index.json", "search/search_index.js", "sitemap.xml.gz")


def writes_seen(config: Mapping[str, Any]) -> bool:
    """True when every file a build with ``config`` writes is known to :func:`publish_build`.

    MkDocs, Material's search plugin and crmgen's hooks write through ``mkdocs.utils``
    (which :func:`~crmgen.accel.incremental.unlink_before_write` records) or :data:`UNSEEN`
    (offline's writing is done by crmgen); a plugin or hook of the project's own may
    write anything.
    """
    from crmgen.render.mkdocs.config import HOOKS_FILE

    plugins = [next(iter(p)) if isinstance(p, dict) else p for p in config.get("plugins") or []]
    return plugins == ["search", "offline"] and config.get("hooks") == [str(HOOKS_FILE)]


def publish_build(build_dir: Path, site: Path, *, dirty: bool, changed: Collection[str] | None = None) -> None:
    """Make ``site`` show the finished build in ``build_dir``, never writing into a file it serves.

    After an incremental build (``dirty``) the site is brought up to date file by
    file (:func:`sync_links`); ``changed``, the paths in ``build_dir`` this build
    wrote or removed, limits that to those files when the site is known to link
    every file the build dir held before the build (:data:`LINKS_FILE`). Otherwise
    a fresh directory of links is swapped in whole.
    """
    links = build_dir.parent / LINKS_FILE
    try:
        mirrored = links.read_bytes() == os.fsencode(str(site))
    except OSError:
        mirrored = False
    with contextlib.suppress(FileNotFoundError):
        links.unlink()  # until the site is whole again: an interrupted publish claims nothing
    serving = _serving()  # then the site may hold previews: neither trust nor leave a claim
    mirrored = mirrored and not serving
    if dirty and (site / MARKER).is_file():
        try:
            sync_links(build_dir, site, changed if mirrored else None)
        except OSError as exc:
            raise WriteFailed.of(exc, _named(exc, site), outcome="the site is partly updated, each of its files "
                                 "whole; the next build finishes it") from None
    else:
        try:
            out = new_build_dir(site)
            try:
                publish_links(build_dir, out)
                swap_in(out, site)
            except BaseException:
                discard(out)
                raise
        except OSError as exc:
            raise WriteFailed.of(exc, _named(exc, site), outcome=SITE_KEPT) from None
    if not serving:  # the claim is only a shortcut for the next build: without it, that one looks at every file
        tmp = links.with_name(f".{links.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(str(site), encoding="utf-8")
            os.replace(tmp, links)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _named(exc: OSError, site: Path) -> str:
    """The file a failure to publish names: the one it was about (WriteFailed knows it), else the site."""
    return exc.path if isinstance(exc, WriteFailed) else str(site)


def _serving() -> bool:
    """Whether this process may be serving the site (crmgen serve: its server's threads run).

    A server puts page previews into the site (:mod:`crmgen.accel.live`) that no build
    wrote; only a walk over every file finds them.
    """
    return threading.active_count() > 1 or "crmgen.accel.live" in sys.modules


def sync_links(build_dir: Path, site: Path, changed: Collection[str] | None = None) -> int:
    """Make ``site`` hard-link exactly the files of ``build_dir``, replacing only those that differ.

    After an incremental build most files of the build dir are the very files
    (inodes) the site already links; the few MkDocs rewrote, and the pages that
    went away, are put right one file at a time, each with a rename, so a reader
    sees the old file or the new one and never half of one. Returns how many
    files were replaced or removed.

    Both trees are walked, unless ``changed`` names the paths of ``build_dir``
    (relative, or absolute inside it) that were written or removed since the site
    last linked all of its files: then only those (and :data:`UNSEEN`) are looked
    at, and the walk is the fallback for anything unexpected on the way.
    """
    if changed is not None:
        count = _sync_changed(build_dir, site, changed)
        if count is not None:
            return count
    return _sync_all(build_dir, site)


def _replace(src: str, out: Path, name: str, theirs: os.stat_result | None) -> None:
    """Put a link to ``src`` at ``out/name`` with one rename (a copy on another file system)."""
    tmp = out / f".{name}.crmgen-new"
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        try:
            os.link(src, tmp)
        except OSError:  # another file system, or links not supported
            shutil.copy2(src, tmp)
        if theirs is not None and stat.S_ISDIR(theirs.st_mode):
            shutil.rmtree(out / name)
        os.replace(tmp, out / name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise WriteFailed.of(exc, out / name) from None


def _lstat(path: str | Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _sync_changed(build_dir: Path, site: Path, changed: Collection[str]) -> int | None:
    """:func:`sync_links` for the ``changed`` paths only; None when the walk must finish the work."""
    rels = set(UNSEEN)
    for path in changed:
        rel = os.path.relpath(path, build_dir) if os.path.isabs(path) else os.path.normpath(path)
        if rel.startswith(os.pardir) or os.path.isabs(rel):
            continue  # not an output (MkDocs writes nothing else; a stray path is not the site's)
        rels.add(rel.replace(os.sep, "/"))
    rels.discard(MARKER)
    count = 0
    for rel in sorted(rels):
        src = os.path.join(build_dir, rel)
        mine, theirs = _lstat(src), _lstat(site / rel)
        if mine is None:  # removed: so goes the site's link, and the directories it leaves empty
            if theirs is None:
                continue
            if not stat.S_ISREG(theirs.st_mode):
                return None
            os.unlink(site / rel)
            count += 1
            parent = (site / rel).parent
            while parent != site and not any(parent.iterdir()) and not (build_dir / parent.relative_to(site)).is_dir():
                parent.rmdir()
                parent = parent.parent
            continue
        if not stat.S_ISREG(mine.st_mode) or (theirs is not None and not stat.S_ISREG(theirs.st_mode)):
            return None  # a directory where a file was, or the other way round
        if theirs is not None and (theirs.st_ino, theirs.st_dev) == (mine.st_ino, mine.st_dev):
            continue
        out = (site / rel).parent
        try:
            out.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            return None  # a file where the site needs a directory
        _replace(src, out, (site / rel).name, theirs)
        count += 1
    return count


def _sync_all(build_dir: Path, site: Path) -> int:
    changed = 0
    for dirpath, _, filenames in os.walk(build_dir):
        rel = os.path.relpath(dirpath, build_dir)
        out = site if rel == "." else site / rel
        if out.is_symlink() or (out.exists() and not out.is_dir()):
            out.unlink()
        out.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            src = os.path.join(dirpath, name)
            mine = os.stat(src)
            theirs = _lstat(out / name)
            if theirs is not None and (theirs.st_ino, theirs.st_dev) == (mine.st_ino, mine.st_dev):
                continue
            _replace(src, out, name, theirs)
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


def publish_links(build_dir: Path, target: Path) -> None:
    """Fill the empty directory ``target`` with hard links to every file of ``build_dir``."""
    for dirpath, dirnames, filenames in os.walk(build_dir):
        dirnames.sort()
        rel = os.path.relpath(dirpath, build_dir)
        out = target if rel == "." else target / rel
        out.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            src = os.path.join(dirpath, name)
            try:
                os.link(src, out / name)
            except OSError:  # another file system, or links not supported
                shutil.copy2(src, out / name)
