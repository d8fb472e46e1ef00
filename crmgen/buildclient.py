"""``crmgen build`` through the build server: hand the command to a process that has
already imported everything a build needs.

A build after one edit does little work, but each ``crmgen build`` process first
spends about 0.3 s importing Click, Jinja2, MkDocs, Material, Markdown and Babel
and validating them. The build server (:mod:`crmgen.buildserver`) imports them once
and forks a fresh copy of itself for every build, so the build starts with its
modules loaded. Nothing else is shared: each build runs in its own process, forked
from a server that has never built anything, with this command's arguments, working
directory, environment, umask and standard streams (passed over a Unix socket), and
its exit status comes back here.

How it runs:

- ``crmgen build`` first asks the server for its :func:`address`. When none answers,
  the build runs in this process as always and, at its end, starts the server
  (:func:`start_server`) for the next build. The server exits after
  :data:`IDLE_SECONDS` without a build, and as soon as crmgen's code, Python or the
  installed packages change (all part of its :func:`key`).
- Ctrl-C here interrupts the served build (its whole process group), as it would a
  build in this process; a client that dies takes its build with it.
- Off with ``CRMGEN_BUILD_SERVER=0``, in CI (``CI`` set), under a profiler or
  tracer, and where Unix sockets cannot pass file descriptors (Windows).

This module is loaded by every ``crmgen build``: standard library only, and small.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from typing import Any

# A server with nothing to do for this long exits.
IDLE_SECONDS = 15 * 60

# Environment variables that change how Python starts or how it writes: part of the key,
# so a client is only served by a server that started the way it would have.
_START_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ")

_PACKAGE = os.path.dirname(os.path.abspath(__file__))

# Set in a build the server forked: it must not ask a server, or start one.
SERVED = False
SERVER_BASE: str | None = None  # that server's files, without their suffix
PRELOADED: frozenset = frozenset()  # the modules it had imported
# The socket this process found no server at: start one there when the build ends.
_WANTED: str | None = None

PROTOCOL = 1


def enabled(environ: Any = None) -> bool:
    """Whether builds may go through a build server here."""
    env = os.environ if environ is None else environ
    if env.get("CRMGEN_BUILD_SERVER", "").strip().lower() in ("0", "off", "no", "false"):
        return False
    if env.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    if os.name != "posix" or not hasattr(os, "fork"):
        return False
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return False
    import socket

    return hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX")


def package_stamps(root: str = _PACKAGE) -> list[tuple]:
    """``(path, size, mtime)`` of every Python module of crmgen, sorted: any edit changes it."""
    out: list[tuple] = []
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__" and not entry.name.startswith("."):
                    stack.append(entry.path)
            elif entry.name.endswith(".py"):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                out.append((entry.path[len(root):], st.st_size, st.st_mtime_ns))
    out.sort()
    return out


def key(path: list[str] | None = None, environ: Any = None) -> bytes:
    """What a server must share with a client to serve it: the interpreter and how it started,
    the module search path with the modification time of each of its directories (installing
    or removing a package changes its directory), crmgen's modules, and the user."""
    env = os.environ if environ is None else environ
    search = list(sys.path if path is None else path)
    stamps = []
    for entry in search:
        if os.path.basename(entry.rstrip(os.sep)) not in ("site-packages", "dist-packages"):
            continue  # only packages come and go; the working directory's time changes all day
        try:
            stamps.append((entry, os.stat(entry).st_mtime_ns))
        except OSError:
            stamps.append((entry, None))
    started = sorted((k, v) for k, v in env.items() if k.startswith("PYTHON") or k in _START_ENV)
    return marshal.dumps((
        PROTOCOL, sys.executable, sys.version, tuple(sys.flags), sys.getfilesystemencoding(),
        os.getuid(), search, stamps, started, package_stamps(),
    ))


def runtime_dir(environ: Any = None) -> str:
    """The directory of this user's servers: ``$CRMGEN_RUNTIME_DIR``, else
    ``$XDG_RUNTIME_DIR/crmgen``, else ``/tmp/crmgen-UID``."""
    env = os.environ if environ is None else environ
    if env.get("CRMGEN_RUNTIME_DIR"):
        return env["CRMGEN_RUNTIME_DIR"]
    base = env.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return os.path.join(base, "crmgen")
    return os.path.join(env.get("TMPDIR") or "/tmp", f"crmgen-{os.getuid()}")


def private_dir(directory: str, create: bool = False) -> bool:
    """True when ``directory`` is a real directory of this user that nobody else may enter
    (made so when ``create``): only then is a socket in it trusted with our files."""
    import stat

    if create:
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError:
            return False
    try:
        st = os.lstat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def address(the_key: bytes, environ: Any = None) -> str:
    """The socket of the server for ``the_key`` (the other files share its name)."""
    return os.path.join(runtime_dir(environ), f"build-{zlib.crc32(the_key):08x}.sock")


# -- messages: a 4-byte length, then marshal -------------------------------------------

def pack(message: Any) -> bytes:
    data = marshal.dumps(message)
    return len(data).to_bytes(4, "big") + data


def receive(sock: Any, head: bytes = b"") -> Any:
    """The next message, or None at the end of the connection; ``head``: its first bytes,
    read already (with the file descriptors that came with them)."""
    rest = exactly(sock, 4 - len(head))
    if rest is None:
        return None
    body = exactly(sock, int.from_bytes(head + rest, "big"))
    return None if body is None else marshal.loads(body)


def exactly(sock: Any, n: int) -> bytes | None:
    """``n`` bytes from ``sock``, or None if the connection ends first."""
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def request(argv: list[str], the_key: bytes) -> dict:
    """Everything the served build needs of this process."""
    streams = {}
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        streams[name] = (getattr(stream, "encoding", None), getattr(stream, "errors", None))
    return {
        "key": the_key, "argv": [sys.argv[0], *argv], "cwd": os.getcwd(), "env": dict(os.environ),
        "umask": _umask(), "streams": streams,
    }


def _umask() -> int:
    # as crmgen.fsutil's; that module is not loaded here (it pulls in crmgen.errors and dataclasses)
    mask = os.umask(0)
    os.umask(mask)
    return mask


def serve_build(argv: list[str]) -> int | None:
    """Run ``crmgen build ARGV...`` in the build server; its exit status, or None to build here."""
    global _WANTED
    if SERVED or not enabled():
        return None
    import socket

    the_key = key()
    path = address(the_key)
    if not private_dir(os.path.dirname(path)):
        _WANTED = path
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(5.0)
        sock.connect(path)
        data = pack(request(argv, the_key))
        sent = socket.send_fds(sock, [data], [0, 1, 2])
        if sent < len(data):  # (a send of nothing to a server that has replied and closed fails)
            sock.sendall(data[sent:])
        first = receive(sock)
    except (OSError, ValueError, EOFError, TypeError):  # no server, or not one that speaks this
        first = None
    if not isinstance(first, tuple) or len(first) != 2 or first[0] != "pid":
        sock.close()
        _WANTED = path
        return None
    sock.settimeout(None)
    return _wait(sock, first[1])


def _wait(sock: Any, pid: int) -> int:
    """Forward Ctrl-C and termination to the build's process group until its status comes."""
    import signal

    def forward(signum: int, _frame: Any) -> None:
        signal_build(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        reply = receive(sock)
    except (OSError, ValueError, EOFError, TypeError):
        reply = None
    finally:
        sock.close()
    if not isinstance(reply, tuple) or len(reply) != 3 or reply[0] != "exit":
        sys.stderr.write("crmgen: error: the build server stopped during the build; build again, "
                         "or set CRMGEN_BUILD_SERVER=0 to build in the command's own process\n")
        return 1
    _, code, usage = reply
    stats = os.environ.get("CRMGEN_BUILD_STATS")
    if stats:
        # for the benchmark: what the served build cost (os.wait4 in the server)
        try:
            with open(stats, "w", encoding="utf-8") as out:
                out.write(repr({"served": True, "pid": pid, **usage}))
        except OSError as exc:
            sys.stderr.write(f"crmgen: warning: CRMGEN_BUILD_STATS: {exc}\n")
    return code


def signal_build(pid: int, signum: int) -> None:
    """Send ``signum`` to the served build ``pid`` and its processes (its group; the build
    alone if it has not made its group yet)."""
    try:
        os.killpg(pid, signum)
    except OSError:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


def _replace(path: str, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file of this process, renamed)."""
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def start_server() -> None:
    """At the end of a build in this process: start a server for the next one, when this
    process looked for one and found none. It imports what this build imported."""
    if SERVED:
        report_modules()
        return
    path = _WANTED
    if path is None or not enabled():
        return
    import subprocess

    if not private_dir(os.path.dirname(path), create=True):
        return
    base = path[: -len(".sock")]
    try:
        _replace(f"{base}.modules", marshal.dumps(preload_names(sys.modules, sys.path)))
        log = open(f"{base}.log", "ab")
    except OSError:
        return
    code = ("import sys, marshal; sys.path[:] = marshal.loads(bytes.fromhex(sys.argv[1])); "
            "from crmgen.buildserver import main; main(sys.argv[2])")
    with log:
        try:
            subprocess.Popen(
                [sys.executable, "-c", code, marshal.dumps(list(sys.path)).hex(), path],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True,
                start_new_session=True, cwd="/",
            )
        except OSError:
            return


def holder(lock: str) -> int | None:
    """The pid of the server holding the lock file ``lock`` (``build-*.lock``); None when no
    process holds it, so that a pid left in a dead server's file is never signalled."""
    import fcntl

    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            pass  # held: the pid in it is the holder's
        else:
            return None  # nobody holds it
        try:
            return int(os.read(fd, 32).decode().strip() or 0) or None
        except ValueError:
            return None
    finally:
        os.close(fd)


def report_modules() -> None:
    """In a served build, at its end: add what it imported beyond the server's modules to the
    server's list, for the server to import before the next build."""
    if SERVER_BASE is None:
        return
    new = [n for n in preload_names(sys.modules, sys.path) if n not in PRELOADED]
    if not new:
        return
    listed = f"{SERVER_BASE}.modules"
    try:
        with open(listed, "rb") as f:
            names = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        names = []
    if not isinstance(names, list):
        names = []
    known = set(names)
    names += [n for n in new if n not in known]
    try:
        _replace(listed, marshal.dumps(names))
    except OSError:
        pass


def preload_names(modules: dict[str, Any], path: list[str]) -> list[str]:
    """The modules a server should import, in the order they were loaded: those of the
    standard library, crmgen and the installed packages, not the project's own files
    (MkDocs hooks) nor ``__main__``."""
    cwd = os.getcwd()
    roots = tuple(os.path.join(os.path.abspath(p), "") for p in path
                  if p and os.path.abspath(p) != cwd and os.path.isdir(p))
    roots += (os.path.join(os.path.dirname(_PACKAGE), "crmgen", ""),)
    names = []
    for name, module in list(modules.items()):
        if name.startswith("__") or module is None:
            continue
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if origin in ("built-in", "frozen") or (isinstance(origin, str) and origin.startswith(roots)):
            names.append(name)
    return names
