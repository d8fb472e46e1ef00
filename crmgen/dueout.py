"""The last output of ``crmgen due``, kept: asked the same again, it is copied out as it was.

On a warm cache ``due`` is answered from the book summary (:mod:`crmgen.summary`), but a
large book still lists tens of thousands of lines (8 MB at 10,000 clients), and making
them costs a fifth of the run. So the fast path keeps the bytes it wrote to stdout in
``.crmgen/cache/due-output-v1.bin`` with the exit code, under a key (:func:`key`) made of
everything that decides them:

- the summary's ``token``, a random value written with each summary: the summary is
  trusted only while the book, the settings and crmgen are exactly as it recorded them,
  and any change makes a new summary, hence a new token;
- crmgen's code key (already in the summary; kept here too, so the rule holds alone);
- the day (``--today``, else the clock's, read once), every option as given, and the
  output mode: whether stdout is a terminal (colour) and its encoding and error handler;
- the boot the file was written in. The file is not fsynced (that would cost more than
  the listing on a miss): within one boot a renamed-into-place file is whole, but after
  a crash its bytes cannot be trusted, and a new boot has a new boot id. Where there is
  no boot id the file is fsynced before it replaces the old one.

The output is kept only when all of it went to stdout, and written to a temporary file
as it is written out, then renamed over the old one: a reader sees the old file or the
new one. Only the standard library is used: the fast path loads this on every ``due``.
"""

from __future__ import annotations

import errno
import marshal
import os
from typing import Any

FILE = "due-output-v1.bin"
MAGIC = "crmgen due output 1"


def path_of(root: str) -> str:
    return os.path.join(root, ".crmgen", "cache", FILE)


_BOOT: list = []


def boot_id() -> str | None:
    """The kernel's id of this boot (Linux), or None."""
    if not _BOOT:
        try:
            with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
                _BOOT.append(fh.read().strip() or None)
        except (OSError, ValueError):
            _BOOT.append(None)
    return _BOOT[0]


def key(head: dict, boot: str | None, day: tuple[int, int, int], options: tuple, mode: tuple) -> tuple | None:
    """What decides ``due``'s output on a book the summary ``head`` describes; None when the
    summary has no token (an older one): nothing is kept for it.

    ``options`` are the command's options as parsed, ``mode`` the output's (terminal?,
    encoding, errors)."""
    token = head.get("token")
    if token is None:
        return None
    return (MAGIC, token, head["code"], head["root"], boot, day, options, mode)


def find(root: str, wanted: tuple) -> tuple[Any, int, int] | None:
    """(open file, offset of the output, exit code) when the kept output is for ``wanted``, else None.

    The file: the header's length and the output's (8 bytes each), the header
    (``marshal``: key and exit code), the output."""
    try:
        fh = open(path_of(root), "rb")
    except OSError:
        return None
    try:
        start = fh.read(16)
        size, length = int.from_bytes(start[:8], "little"), int.from_bytes(start[8:], "little")
        header = marshal.loads(fh.read(size))
        if (isinstance(header, tuple) and len(header) == 2 and header[0] == wanted
                and os.fstat(fh.fileno()).st_size == 16 + size + length):
            return fh, 16 + size, header[1]
    except Exception:  # noqa: BLE001 - whatever is wrong with a cache file, the listing is made again
        pass
    fh.close()
    return None


def send(found: tuple[Any, int, int], stream: Any) -> None:
    """Write the kept output to the text stream ``stream`` (through its buffer), then close it."""
    fh, offset, _ = found
    with fh:
        stream.flush()
        buffer = stream.buffer
        buffer.flush()
        end = os.fstat(fh.fileno()).st_size
        try:
            out = buffer.fileno()
        except (AttributeError, OSError, ValueError):  # not a file descriptor (a test's capture)
            fh.seek(offset)
            buffer.write(fh.read())
            buffer.flush()
            return
        src = fh.fileno()
        while offset < end:
            try:
                n = os.sendfile(out, src, offset, end - offset)
            except OSError as exc:
                # sendfile refuses some outputs (a file opened to append, on Linux): copy instead
                if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK):
                    raise
                break
            if n == 0:
                return  # the file ended early (truncated in place by hand): nothing more to copy
            offset += n
        while offset < end:
            data = os.pread(src, min(end - offset, 1 << 20), offset)
            if not data:
                return
            view = memoryview(data)
            while view:
                view = view[os.write(out, view):]
            offset += len(data)


class Recorder:
    """Keeps what is written to stdout under ``wanted``, with exit code ``code``; never fails
    the command (it is only a cache): a write that fails leaves the old file, or none."""

    def __init__(self, root: str, wanted: tuple, code: int) -> None:
        self.path = path_of(root)
        self.tmp = f"{self.path}.{os.getpid()}.tmp"
        self.fsync = wanted[4] is None  # no boot id to tell a file torn by a crash
        self.length = 0
        self.fd: int | None = None
        header = marshal.dumps((wanted, code))
        try:
            self.fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            _write_all(self.fd, [len(header).to_bytes(8, "little"), bytes(8), header])
        except OSError:
            self.abandon()

    def add(self, pieces: list[bytes]) -> None:
        """Keep ``pieces``, the next bytes written to stdout."""
        if self.fd is None:
            return
        try:
            _write_all(self.fd, list(pieces))
        except OSError:
            self.abandon()
            return
        self.length += sum(len(p) for p in pieces)

    def commit(self) -> None:
        """Put the kept output in place (all of it has been written)."""
        if self.fd is None:
            return
        try:
            os.pwrite(self.fd, self.length.to_bytes(8, "little"), 8)
            if self.fsync:
                os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None
            os.replace(self.tmp, self.path)
        except OSError:
            self.abandon()
            return
        _sweep(self.path)

    def abandon(self) -> None:
        """Keep nothing (something did not go to stdout, or could not be kept)."""
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


def _sweep(path: str) -> None:
    """Remove the temporary files of writers that were killed (their pid is gone)."""
    directory, name = os.path.split(path)
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for other in names:
        pid = other[len(name) + 1:-4]
        if not (other.startswith(name + ".") and other.endswith(".tmp") and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            try:
                os.unlink(os.path.join(directory, other))
            except OSError:
                pass
        except (OSError, OverflowError):
            pass  # alive (another user's), or not a pid


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write every piece, at most 512 to a ``writev`` (the kernel takes 1,024)."""
    i = 0
    while i < len(pieces):
        done = os.writev(fd, pieces[i:i + 512])
        while i < len(pieces) and done >= len(pieces[i]):
            done -= len(pieces[i])
            i += 1
        if done:  # a piece written in part
            pieces[i] = pieces[i][done:]
