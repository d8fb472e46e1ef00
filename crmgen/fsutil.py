"""Safe file writes: atomic replacement, no-clobber creation, change detection.

Every write goes to a temporary file in the target's directory, is flushed and
fsynced, then renamed over the target (``os.replace`` is atomic on POSIX and
Windows), and the directory is fsynced so the rename itself survives a crash.
A reader therefore sees the old file or the new one, never half of either.

Temporary files are named ``.<name>.<pid>.<random>.crmgen-tmp``: hidden, not
``*.md`` (so ``check``, ``build`` and ``serve`` ignore them), and tagged with
the writer's pid so that a later writing command can remove the leftovers of a
writer that was killed (SIGKILL, power loss) before it could clean up
(:func:`sweep_dir`).

A write that fails for a reason outside crmgen (a full disk, a read-only file,
directory or file system, no permission) raises :class:`WriteFailed`: one line
naming the file, the reason and the way out, the old file intact and no
temporary file left. A file without any write bit is never replaced (not even by
root, whom the kernel would let), and a replaced file keeps its mode, owner and
group, or is not replaced.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from crmgen.format.errors import CrmgenError

TEMP_SUFFIX = ".crmgen-tmp"
# A temporary file older than this is stale whatever its pid says: the pid may have been
# reused, or belong to another machine or container sharing the directory. No write takes
# that long.
STALE_TEMP_AFTER = 3600  # seconds

# errno -> (why, what to do), for the reasons a write fails that are outside crmgen.
_FAULTS = {
    errno.ENOSPC: ("no space left on device", "free some space and run the command again"),
    errno.EDQUOT: ("disk quota exceeded", "free some space (or get a larger quota) and run the command again"),
    errno.EFBIG: ("the file would exceed the size limit for files (ulimit -f)",
                  "raise the limit and run the command again"),
    errno.EROFS: ("the file system is read-only",
                  "mount it read-write (or work in a writable copy) and run the command again"),
    errno.EACCES: ("permission denied: {dir} is not writable",
                   "make it writable (chmod u+w {dir}) and run the command again, or run it as the owner"),
    errno.EPERM: ("operation not permitted in {dir}",
                  "make it writable and run the command again, or run it as the owner"),
    errno.EIO: ("input/output error", "check the disk and run the command again"),
}


class FileChanged(CrmgenError):
    """The file on disk is no longer the one that was read (another writer saved meanwhile)."""


class WriteFailed(CrmgenError, OSError):
    """A file could not be written: ``cannot write PATH: why; what to do (what became of
    the files)``.

    Also an :class:`OSError` (with the errno when there is one), so that code that treats
    any failed write as "not saved" (caches) goes on doing so. ``reason`` and ``fix`` may
    name ``{path}`` and ``{dir}`` (its directory), filled in as the file is named at last.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, fix: str, *, err: int | None = None,
                 outcome: str = "nothing was changed") -> None:
        OSError.__init__(self, err, reason, os.fspath(path))
        self.path, self.reason, self.fix, self.outcome = os.fspath(path), reason, fix, outcome

    @classmethod
    def of(cls, exc: OSError, path: str | os.PathLike[str], *, outcome: str | None = None) -> WriteFailed:
        """The failure ``exc``, raised while writing ``path``, in words (see :func:`fault`)."""
        if isinstance(exc, WriteFailed):
            return exc.at(path, outcome=outcome)
        reason, fix = fault(exc)
        return cls(path, reason, fix, err=exc.errno, outcome="nothing was changed" if outcome is None else outcome)

    def at(self, path: str | os.PathLike[str], *, outcome: str | None = None) -> WriteFailed:
        """The same failure, the file named as ``path`` (relative to the project, say)."""
        return WriteFailed(path, self.reason, self.fix, err=self.errno,
                           outcome=self.outcome if outcome is None else outcome)

    def __str__(self) -> str:
        where = {"path": self.path, "dir": os.path.dirname(self.path.rstrip(os.sep)) or "."}
        reason, fix = self.reason.format(**where), self.fix.format(**where)
        return f"cannot write {self.path}: {reason}; {fix}" + (f" ({self.outcome})" if self.outcome else "")


def fault(exc: OSError) -> tuple[str, str]:
    """(why, what to do) for a failure to write a file, in words that may name ``{path}`` and
    ``{dir}`` (see :class:`WriteFailed`)."""
    if exc.errno in _FAULTS:
        return _FAULTS[exc.errno]
    if isinstance(exc, FileNotFoundError):
        return "{dir} does not exist (any more)", "create it and run the command again"
    text = (exc.strerror or str(exc) or type(exc).__name__).replace("{", "{{").replace("}", "}}")
    return text[:1].lower() + text[1:], "see that it and {dir} can be written and run the command again"


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


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def _writer_pid(name: str) -> int | None:
    """The pid in ``.<name>.<pid>.<random>.crmgen-tmp`` (None when the name has none)."""
    parts = name[: -len(TEMP_SUFFIX)].rsplit(".", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def sweep_dir(directory: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files in ``directory`` that writers which died left behind.

    One listing of the directory. A temporary file is stale when the process named in
    it no longer runs, or when it is older than :data:`STALE_TEMP_AFTER` (pids are
    reused). Best effort: what cannot be removed (a read-only directory) stays, and
    the command goes on. Returns what was removed.
    """
    removed: list[Path] = []
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not _is_temp(entry.name):
            continue
        pid = _writer_pid(entry.name)
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                continue
            if (pid is not None and not _pid_alive(pid)) or now - st.st_mtime > STALE_TEMP_AFTER:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _refuse_replacing(path: str | os.PathLike[str], st: os.stat_result) -> None:
    """Refuse to replace a file without any write bit: root may (the kernel lets it), but the
    file says it is not to change, as an editor warns before writing a read-only file."""
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISREG(st.st_mode) and not mode & 0o222:
        raise WriteFailed(path, f"the file is read-only (mode {mode:o})",
                          "if it is to change, make it writable (chmod u+w {path}) and run the command again",
                          err=errno.EACCES)


def _owner_name(uid: int, gid: int) -> str:
    try:
        import grp
        import pwd

        name = f"{pwd.getpwuid(uid).pw_name}:{grp.getgrgid(gid).gr_name}"
    except (ImportError, KeyError):
        return f"{uid}:{gid}"
    return name.replace("{", "{{").replace("}", "}}")  # it goes into a message template


def _write_temp(target: Path, data: bytes, mode: int, owner: tuple[int, int] | None = None,
                shown: str | os.PathLike[str] | None = None) -> Path:
    """``data`` in a new temporary file beside ``target``, with ``mode`` and ``owner`` (uid, gid),
    flushed to disk. Nothing is left behind when it fails."""
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if owner is not None and hasattr(os, "fchown"):
                _keep_owner(fh.fileno(), owner, shown if shown is not None else target)
            # After the chown, which clears the set-user-ID and set-group-ID bits.
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
            else:  # pragma: no cover - Windows
                os.chmod(tmp, mode)
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _keep_owner(fd: int, owner: tuple[int, int], shown: str | os.PathLike[str]) -> None:
    """Give the temporary file ``fd`` the owner and group of the file it replaces, or refuse."""
    st = os.fstat(fd)
    uid, gid = owner
    if (st.st_uid, st.st_gid) == (uid, gid):
        return
    try:
        os.fchown(fd, uid if st.st_uid != uid else -1, gid if st.st_gid != gid else -1)
    except PermissionError:
        raise WriteFailed(
            shown, f"it belongs to {_owner_name(uid, gid)}, and crmgen, running as "
            f"{_owner_name(st.st_uid, st.st_gid)}, cannot replace it without changing that",
            f"run the command again as {_owner_name(uid, gid).split(':')[0]}", err=errno.EPERM) from None


def atomic_write(path: Path, data: bytes, *, expect: Snapshot | None = None, sweep: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its mode, owner and group.

    With ``expect``, the file is re-read just before the rename and
    :class:`FileChanged` is raised (nothing written) if it no longer matches:
    someone else saved it since it was read. A symlink is followed, so the file
    it points to is replaced and the link stays a link. With ``sweep``, stale
    temporary files in its directory are removed first (:func:`sweep_dir`).

    Any failure to write is :class:`WriteFailed` (naming ``path`` as given), with the
    file as it was and no temporary file left; so is a file with no write bit, or
    one whose owner or group the new file could not keep.
    """
    target = Path(os.path.realpath(path))
    if sweep:
        sweep_dir(target.parent)
    try:
        try:
            st: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None:
            _refuse_replacing(path, st)
            mode, owner = stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)
        else:
            mode, owner = 0o666 & ~_umask(), None
        tmp = _write_temp(target, data, mode, owner, shown=path)
        try:
            with _locked(target if expect is not None else None):
                if expect is not None and current_snapshot(target) != expect:
                    raise FileChanged(f"{path} changed on disk since it was read")
                os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise WriteFailed.of(exc, path) from exc
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
        with contextlib.suppress(OSError):  # only for the message; the lock holds without it (a full disk)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def create_new(path: Path, data: bytes) -> os.stat_result:
    """Write a new file atomically and return its status; raise FileExistsError if ``path``
    already exists.

    The data goes to a temporary file first and is then hard-linked into place:
    ``link`` fails instead of overwriting, so two writers racing for the same
    name cannot clobber each other, and no reader ever sees a half-written file.
    Any other failure is :class:`WriteFailed`, with nothing created and no temporary file left.
    """
    target = Path(path)
    try:
        tmp = _write_temp(target, data, 0o666 & ~_umask())
        try:
            made = os.lstat(tmp)  # the inode that becomes ``target``
            try:
                os.link(tmp, target)
            except OSError as exc:
                if isinstance(exc, FileExistsError) or exc.errno not in _NO_LINKS:
                    raise
                # Filesystems without hard links: fall back to an exclusive create.
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, "File exists", str(target)) from exc
                os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteFailed.of(exc, path) from exc
    _fsync_dir(target.parent)
    return made


# What link() says on a file system without hard links (FAT: EPERM; some FUSE mounts).
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


def remove_created(paths: list[tuple[Path, os.stat_result]]) -> list[Path]:
    """Undo :func:`create_new`: remove each of ``paths`` (with the status it returned) that is
    still the file this run made (same inode and size: nobody has replaced or grown it).
    Returns those left in place."""
    kept: list[Path] = []
    for path, made in reversed(paths):
        try:
            st = os.lstat(path)
            if (st.st_ino, st.st_dev, st.st_size) != (made.st_ino, made.st_dev, made.st_size):
                kept.append(path)
                continue
            os.unlink(path)
        except FileNotFoundError:
            continue
        except OSError:
            kept.append(path)
    return kept
