"""Safe file writes: atomic replacement, no-clobber creation, change detection.

Every write goes to a temporary file in the target's directory, is flushed and
fsynced, then renamed over the target (``os.replace`` is atomic on POSIX and
Windows), and the directory is fsynced so the rename itself survives a crash.
A reader therefore sees the old file or the new one, never half of either.

Temporary files are named ``.<name>.<pid>.<random>.crmgen-tmp``: hidden, not
``*.md`` (so ``check``, ``build`` and ``serve`` ignore them), and tagged with
the writer's pid so that a later write can remove the leftovers of a writer
that was killed (SIGKILL, power loss) before it could clean up.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from crmgen.format.errors import CrmgenError

TEMP_SUFFIX = ".crmgen-tmp"


class FileChanged(CrmgenError):
    """The file on disk is no longer the one that was read (another writer saved meanwhile)."""


@dataclass(frozen=True)
class Snapshot:
    """What a file looked like when it was read: enough to notice any later change."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, data: bytes, st: os.stat_result) -> Snapshot:
        return cls(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())


def read_with_snapshot(path: Path) -> tuple[bytes, Snapshot]:
    """The file's bytes and a snapshot taken from the same open file."""
    with open(path, "rb") as fh:
        st_before = os.fstat(fh.fileno())
        data = fh.read()
        st_after = os.fstat(fh.fileno())
    if (st_before.st_mtime_ns, st_before.st_size) != (st_after.st_mtime_ns, st_after.st_size):
        # Written to while we read it: report a snapshot that cannot match, so the
        # caller re-reads rather than trusting a torn read.
        return data, Snapshot(-1, -1, "")
    return data, Snapshot.of(data, st_after)


def current_snapshot(path: Path) -> Snapshot | None:
    """A fresh snapshot of ``path`` (None when it does not exist)."""
    try:
        return read_with_snapshot(path)[1]
    except FileNotFoundError:
        return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    # Directories cannot be opened for fsync on Windows; nothing to do there.
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems (e.g. certain FUSE mounts) refuse
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temps(path: Path) -> list[Path]:
    """Remove temporary files for ``path`` left behind by writers that died."""
    removed: list[Path] = []
    prefix = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except FileNotFoundError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        middle = name[len(prefix) : -len(TEMP_SUFFIX)]
        pid_text = middle.split(".", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _write_temp(target: Path, data: bytes, mode: int) -> Path:
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write(path: Path, data: bytes, *, expect: Snapshot | None = None, sweep: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permission bits.

    With ``expect``, the file is re-read just before the rename and
    :class:`FileChanged` is raised (nothing written) if it no longer matches:
    someone else saved it since it was read. A symlink is followed, so the file
    it points to is replaced and the link stays a link. With ``sweep``, temp
    files of earlier writers of this file that died are removed first (it lists
    the directory, so bulk writers leave it off).
    """
    target = Path(os.path.realpath(path))
    if sweep:
        sweep_stale_temps(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    tmp = _write_temp(target, data, mode)
    try:
        with _locked(target if expect is not None else None):
            if expect is not None and current_snapshot(target) != expect:
                raise FileChanged(f"{path} changed on disk since it was read")
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


@contextlib.contextmanager
def _locked(target: Path | None) -> Iterator[None]:
    """Hold an exclusive lock on ``target``'s current inode while checking and replacing it.

    Two crmgen writers thus cannot both pass the "unchanged since read" check
    and then replace each other's work: the second one to get the lock sees the
    first one's file. (Editors do not take the lock; against them the window is
    the few microseconds between the check and the rename.)
    """
    if target is None or fcntl is None:
        yield
        return
    try:
        fd = os.open(target, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class Busy(CrmgenError):
    """Another crmgen process holds the lock (see :func:`exclusive`)."""


@contextlib.contextmanager
def exclusive(lock_file: Path, what: str, *, wait: bool = True,
              on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the exclusive lock ``lock_file`` stands for (``flock``: the kernel drops it when the
    process ends, however it ends).

    When another process holds it: with ``wait``, ``on_wait`` is told (a sentence naming
    that process) and the lock is waited for; without, :class:`Busy` is raised. The file
    holds the pid of the process that has the lock, for the message.
    """
    if fcntl is None:  # pragma: no cover - Windows: no lock
        yield
        return
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            except OSError:
                holder = ""
            who = f"another {what} (process {holder})" if holder.isdigit() else f"another {what}"
            if not wait:
                raise Busy(f"{who} is running; try again when it has finished") from None
            if on_wait is not None:
                on_wait(f"waiting for {who} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def create_new(path: Path, data: bytes) -> None:
    """Write a new file atomically; raise FileExistsError if ``path`` already exists.

    The data goes to a temporary file first and is then hard-linked into place:
    ``link`` fails instead of overwriting, so two writers racing for the same
    name cannot clobber each other, and no reader ever sees a half-written file.
    """
    target = Path(path)
    tmp = _write_temp(target, data, 0o666 & ~_umask())
    try:
        try:
            os.link(tmp, target)
        except OSError as exc:
            if isinstance(exc, FileExistsError):
                raise
            # Filesystems without hard links: fall back to an exclusive create.
            if os.path.lexists(target):
                raise FileExistsError(errno.EEXIST, "File exists", str(target)) from exc
            os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _fsync_dir(target.parent)
