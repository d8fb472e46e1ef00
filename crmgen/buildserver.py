"""The build server: a process that has imported what ``crmgen build`` needs and forks a
fresh copy of itself for each build (see :mod:`crmgen.buildclient` for why and how).

One server per user and :func:`crmgen.buildclient.key` (interpreter, search path,
installed packages, crmgen's code), listening on a Unix socket in a directory only
that user may enter. The server itself never builds: it imports, freezes its objects
for copy-on-write (``gc.freeze``), then waits. For each request it checks the key,
forks, and the child takes the client's standard streams, arguments, working
directory, environment and umask before running the command line exactly as
``crmgen build`` would. The server reports the child's exit status (and its
``os.wait4`` usage) to the client, kills the child's process group when the client
goes away first, and exits after :data:`~crmgen.buildclient.IDLE_SECONDS` idle, when
its key no longer matches (crmgen or a package changed), or when its socket was
removed or taken over. One process holds the lock file at a time. Single-threaded:
a child is forked from a process with no other thread.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import importlib
import marshal
import os
import selectors
import signal
import socket
import sys
import time

from . import buildclient

# How often an idle server checks that it is still current and still owns its socket.
CHECK_SECONDS = 5.0


def log(message: str) -> None:
    sys.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} crmgen build server {os.getpid()}: {message}\n")
    sys.stderr.flush()


def preload(base: str) -> int:
    """Import what the build that started this server imported (``BASE.modules``)."""
    # what any build needs, should the build that started the server have stopped early
    names: list[str] = ["crmgen.cli.app", "crmgen.cli.build", "crmgen.site", "mkdocs.commands.build",
                        "mkdocs.config.defaults", "material.plugins.search.plugin"]
    try:
        with open(f"{base}.modules", "rb") as f:
            names += [n for n in marshal.load(f) if isinstance(n, str)]
    except (OSError, EOFError, ValueError, TypeError):
        pass
    done = 0
    # What the build never imported stays out, even where a module would import it on the way
    # (jieba's _compat imports pkg_resources unless crmgen.segment keeps it out, as here).
    blocked = [name for name in BLOCK if name not in names and name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # an import of it fails: the fallback
    try:
        for name in names:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
                done += 1
            except Exception:  # noqa: BLE001 - a module that will not load here is left to the build
                continue
    finally:
        for name in blocked:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
    for name, function in WARM:
        try:
            getattr(sys.modules[name], function)()
        except Exception:  # noqa: BLE001 - not loaded, or not here: the build does it
            continue
    return done


# Modules a build keeps out on purpose (see crmgen.segment.import_jieba).
BLOCK = ("pkg_resources",)

# Caches of what is installed, filled once in the server for every build it forks (they
# hold as long as the server does: installing a package changes its key). MkDocs' list
# of themes reads the entry points of every installed package (15 ms a build).
WARM = (("crmgen.site.incremental", "dist_versions"), ("markdown.util", "get_installed_extensions"),
        ("mkdocs.utils", "get_themes"), ("crmgen.slugs", "_memo_key"), ("crmgen.segment", "_versions"),
        ("crmgen.buildserver", "warm_stdlib"))


def warm_stdlib() -> None:
    """Compile what every build compiles on first use: ``strptime``'s regular expressions
    (Click's ``--today``) and the locale tables behind them."""
    import datetime as dt

    dt.datetime.strptime("2026-01-01", "%Y-%m-%d")


class Server:
    def __init__(self, path: str, the_key: bytes) -> None:
        self.path = path
        self.key = the_key
        self.base = path[: -len(".sock")]
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, socket.socket] = {}  # pid -> its client's connection
        self.last = time.monotonic()
        self.idle = float(os.environ.get("CRMGEN_BUILD_SERVER_IDLE", buildclient.IDLE_SECONDS))
        self.listener: socket.socket | None = None
        self.lock_fd = -1
        self.wake_r = self.wake_w = -1
        self.inode = None
        self.modules_stamp = _stamp(f"{self.base}.modules")

    # -- start and stop ----------------------------------------------------------------

    def take_lock(self) -> bool:
        self.lock_fd = os.open(f"{self.base}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        os.ftruncate(self.lock_fd, 0)
        os.write(self.lock_fd, f"{os.getpid()}\n".encode())  # who holds it, for people and tests
        return True

    def listen(self) -> None:
        try:
            os.unlink(self.path)  # a dead server's; the lock says no live one has it
        except FileNotFoundError:
            pass
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        listener.listen(16)
        listener.setblocking(False)
        self.inode = os.stat(self.path).st_ino
        self.listener = listener
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w)
        self.selector.register(self.wake_r, selectors.EVENT_READ, "child")

    def owns_socket(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self.inode
        except OSError:
            return False

    def close(self) -> None:
        if self.listener is not None:
            if self.owns_socket():
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
            self.listener.close()

    # -- the loop ----------------------------------------------------------------------

    def run(self) -> str:
        """Serve until there is a reason to stop; the reason."""
        checked = time.monotonic()
        stopping = None
        while True:
            now = time.monotonic()
            if stopping and not self.children:
                return stopping
            if not self.children and now - self.last > self.idle:
                return f"idle for {self.idle:.0f} s"
            if now - checked >= CHECK_SECONDS and not stopping:
                checked = now
                if not self.owns_socket():
                    # no new builds; those running still get their exit status
                    stopping = "the socket was removed or replaced"
                    self.selector.unregister(self.listener)
                    self.listener.close()  # type: ignore[union-attr]
                    self.listener = None
                    continue
                if not self.children and buildclient.key() != self.key:
                    return "crmgen, Python or the installed packages changed"
            wait = CHECK_SECONDS if self.children else min(CHECK_SECONDS, self.idle - (now - self.last))
            for item, _ in self.selector.select(timeout=max(wait, 0.05)):
                if item.data == "accept":
                    self.accept()
                elif item.data == "child":
                    self.reap()
                else:
                    self.client_gone(item.data)

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()  # type: ignore[union-attr]
        except (BlockingIOError, InterruptedError):
            return
        self.last = time.monotonic()
        fds: list[int] = []
        try:
            conn.setblocking(True)
            conn.settimeout(5.0)
            if not self.same_user(conn):
                raise ConnectionError("a client of another user")
            # the descriptors come with the first bytes: the length, then the message
            head, fds, _, _ = socket.recv_fds(conn, 4, 3)
            req = buildclient.receive(conn, head) if len(fds) == 3 and head else None
            if not isinstance(req, dict):
                raise ConnectionError("a malformed or cut-short request")
            if req.get("key") != self.key:
                conn.sendall(buildclient.pack(("refused", "another crmgen or Python")))
                raise ConnectionError("a client with another key")
        except (OSError, ValueError, EOFError, TypeError, AttributeError) as exc:
            log(f"request dropped: {exc}")
            for fd in fds:
                os.close(fd)
            conn.close()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self.in_child(conn, fds, req)  # never returns
        for fd in fds:
            os.close(fd)
        try:
            conn.sendall(buildclient.pack(("pid", pid)))
        except OSError:
            buildclient.signal_build(pid, signal.SIGTERM)
        conn.setblocking(False)
        self.children[pid] = conn
        self.selector.register(conn, selectors.EVENT_READ, pid)

    @staticmethod
    def same_user(conn: socket.socket) -> bool:
        option = getattr(socket, "SO_PEERCRED", None)
        if option is None:
            return True  # the directory's permissions keep others out
        import struct

        creds = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", creds)
        return uid == os.getuid()

    def reap(self) -> None:
        try:
            while os.read(self.wake_r, 512):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while self.children:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            self.last = time.monotonic()
            if conn is None:
                continue
            with contextlib.suppress(KeyError):  # not when its client went away first
                self.selector.unregister(conn)
            code = os.waitstatus_to_exitcode(status)
            if code < 0:
                code = 128 - code  # killed by a signal: as a shell reports it
            stats = {"utime": usage.ru_utime, "stime": usage.ru_stime, "maxrss_kb": usage.ru_maxrss}
            try:
                conn.setblocking(True)
                conn.settimeout(5.0)
                conn.sendall(buildclient.pack(("exit", code, stats)))
            except OSError:
                pass
            conn.close()
        if not self.children:
            self.learn()

    def learn(self) -> None:
        """Import what the builds reported they imported beyond this server's modules (a server
        started by a build that rendered nothing learns, after one edit, what rendering needs)."""
        stamp = _stamp(f"{self.base}.modules")
        if stamp == self.modules_stamp:
            return
        self.modules_stamp = stamp
        started = time.monotonic()
        count = preload(self.base)
        if count:
            gc.collect()
            gc.freeze()
            log(f"learnt: {count} modules imported in {time.monotonic() - started:.2f} s")

    def client_gone(self, pid: int) -> None:
        """The client's connection is readable: it closed (it died, or was killed)."""
        conn = self.children.get(pid)
        if conn is None:
            return
        try:
            data = conn.recv(1)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(conn)
            log(f"client of build {pid} went away: stopping the build")
            buildclient.signal_build(pid, signal.SIGTERM)

    # -- the child: become the client's build --------------------------------------------

    def in_child(self, conn: socket.socket, fds: list[int], req: dict) -> None:
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.setpgid(0, 0)  # the client forwards Ctrl-C to this group, as a terminal would
            self.selector.close()
            for other in self.children.values():
                other.close()
            conn.close()
            if self.listener is not None:
                self.listener.close()
            for fd in (self.lock_fd, self.wake_r, self.wake_w):
                os.close(fd)
            code = become(fds, req, self.base)
        except SystemExit as exc:
            code = _exit_code(exc)
        except KeyboardInterrupt:  # Ctrl-C before the command line took over: as Click says it
            sys.stderr.write("\nAborted!\n")
            code = 1
        except BaseException:  # noqa: BLE001 - reported as the command would, then exit
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001
                    pass
            os._exit(code)


def become(fds: list[int], req: dict, base: str) -> int:
    """In the forked child: take on the client's process state, then run the command."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(req["cwd"])
    os.umask(req["umask"])
    os.environ.clear()
    os.environ.update(req["env"])
    time.tzset()
    sys.argv = list(req["argv"])
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        encoding, errors = req["streams"][name]
        try:
            stream.reconfigure(encoding=encoding, errors=errors,
                               line_buffering=name == "stderr" or os.isatty(stream.fileno()))
        except (AttributeError, ValueError, LookupError, OSError):
            pass
    _fresh_state()
    buildclient.SERVED = True
    buildclient.SERVER_BASE = base
    buildclient.PRELOADED = frozenset(sys.modules)
    from . import __main__ as command

    try:
        command.run()
    except SystemExit as exc:
        return _exit_code(exc)
    return 0


def _fresh_state() -> None:
    """What a module computed once in the server and must compute again in each build."""
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None  # from TMPDIR, on first use
        tempfile._name_sequence = None  # its own random names
    random = sys.modules.get("random")
    if random is not None:
        random.seed()


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    sys.stderr.write(f"{exc.code}\n")
    return 1


def main(path: str) -> None:
    """The server's process: started by :func:`crmgen.buildclient.start_server`."""
    the_key = buildclient.key()
    if buildclient.address(the_key) != path:
        log("not started: this process does not match the client that asked for it")
        return
    if not buildclient.private_dir(os.path.dirname(path)):
        log(f"not started: {os.path.dirname(path)} is not a private directory")
        return
    server = Server(path, the_key)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly: the socket goes too
    if not server.take_lock():
        return  # another server has it
    started = time.monotonic()
    count = preload(server.base)
    server.modules_stamp = _stamp(f"{server.base}.modules")
    gc.collect()
    gc.freeze()  # the children's pages stay shared: no collection touches the objects
    try:
        server.listen()
    except OSError as exc:
        if exc.errno in (errno.ENAMETOOLONG, errno.EINVAL):
            log(f"not started: socket path too long: {path}")
        else:
            log(f"not started: {exc}")
        return
    log(f"ready: {count} modules imported in {time.monotonic() - started:.2f} s")
    try:
        reason = server.run()
    finally:
        server.close()
    log(f"stopped: {reason}")
