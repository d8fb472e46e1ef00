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
from typing import Any

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
        ("crmgen.buildserver", "warm_patterns"))

# A spare no build has taken for this long is stopped: it holds a book's caches.
SPARE_SECONDS = 10 * 60.0


def warm_patterns() -> None:
    """Compile what every build compiles on first use: ``strptime``'s regular expressions
    (Click's ``--today``) and the pattern Material's search finds Chinese with (3 ms)."""
    import datetime as dt

    dt.datetime.strptime("2026-01-01", "%Y-%m-%d")
    from backrefs import bre

    bre.compile(r"(\p{script: Han}+)", bre.UNICODE)  # material.plugins.search.plugin._segment_chinese


class Spare:
    """A child forked after a build, with that build's directory, arguments and environment,
    that has read ahead what the next such build reads (:mod:`crmgen.warm`) and waits for it."""

    def __init__(self, pid: int, sock: socket.socket, req: dict) -> None:
        self.pid = pid
        self.sock = sock  # the request and the client's descriptors go to the spare here
        self.profile = self.profile_of(req)
        self.made = time.monotonic()

    @staticmethod
    def profile_of(req: dict) -> tuple:
        # What the read-ahead depends on; all else (environment, umask, streams) the build
        # takes at its start, and the values kept are checked against their inputs anyway.
        return (list(req["argv"][1:]), req["cwd"])

    def stop(self) -> None:
        buildclient.signal_build(self.pid, signal.SIGTERM)
        self.sock.close()


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
        self.spare: Spare | None = None
        self.last_request: dict | None = None  # the last build's, for the next spare

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
        self.drop_spare()
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
            if self.spare is not None and now - self.spare.made > SPARE_SECONDS:
                self.drop_spare()
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
        pid = self.hand_to_spare(req, fds)
        if pid is None:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                self.in_child(conn, fds, req)  # never returns
        for fd in fds:
            os.close(fd)
        self.last_request = req
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
        ended = False
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if self.spare is not None and pid == self.spare.pid:
                self.spare.sock.close()  # it died untaken: it failed, or was stopped
                self.spare = None
            conn = self.children.pop(pid, None)
            if conn is None:
                continue  # a spare
            ended = True
            self.last = time.monotonic()
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
        if ended and not self.children:
            self.learn()
            self.make_spare()

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

    # -- the spare -------------------------------------------------------------------------

    def make_spare(self) -> None:
        """Fork a spare for a build like the last one (none while builds run or the server stops)."""
        req = self.last_request
        if req is None or self.spare is not None or self.children or self.listener is None:
            return
        ours, theirs = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            ours.close()
            self.in_spare(theirs, req)  # never returns
        theirs.close()
        self.spare = Spare(pid, ours, req)

    def hand_to_spare(self, req: dict, fds: list[int]) -> int | None:
        """Give the request to the spare when it was made for such a build; its pid, else None."""
        spare, self.spare = self.spare, None
        if spare is None:
            return None
        if spare.profile != Spare.profile_of(req):
            spare.stop()
            return None
        try:
            spare.sock.setblocking(True)
            spare.sock.settimeout(5.0)
            data = buildclient.pack(req)
            sent = socket.send_fds(spare.sock, [data], fds)
            if sent < len(data):
                spare.sock.sendall(data[sent:])
        except OSError:  # it is gone: a build of its own, as without a spare
            spare.stop()
            return None
        spare.sock.close()
        return spare.pid

    def drop_spare(self) -> None:
        if self.spare is not None:
            self.spare.stop()
            self.spare = None

    def in_spare(self, sock: socket.socket, req: dict) -> None:
        def work() -> int:
            from . import warm

            preloaded = frozenset(sys.modules)  # what it imports from here on is the build's to report
            quiet = os.open(os.devnull, os.O_RDWR)
            for target in (0, 1, 2):
                os.dup2(quiet, target)  # the read-ahead says nothing
            os.close(quiet)
            take_on(req)
            with contextlib.suppress(Exception):
                warm.prepare(sys.argv[1:])
            sys.stdout.flush()
            sys.stderr.flush()
            head, fds, _, _ = socket.recv_fds(sock, 4, 3)
            new = buildclient.receive(sock, head) if len(fds) == 3 and head else None
            sock.close()
            if not isinstance(new, dict):
                return 0  # the server let it go
            return become(fds, new, self.base, preloaded)

        self.forked(work)

    # -- the child: become the client's build --------------------------------------------

    def in_child(self, conn: socket.socket, fds: list[int], req: dict) -> None:
        conn.close()
        self.forked(lambda: become(fds, req, self.base))

    def forked(self, work: Any) -> None:
        """In a forked child: leave the server's descriptors and signals behind, run ``work``,
        exit with its status. Never returns."""
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
            if self.spare is not None:
                self.spare.sock.close()
            if self.listener is not None:
                self.listener.close()
            for fd in (self.lock_fd, self.wake_r, self.wake_w):
                os.close(fd)
            code = work()
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


def become(fds: list[int], req: dict, base: str, preloaded: frozenset | None = None) -> int:
    """In the forked child: take on the client's process state, then run the command.
    ``preloaded``: the modules the server had (default: those loaded now)."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    take_on(req)
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
    buildclient.PRELOADED = frozenset(sys.modules) if preloaded is None else preloaded
    from . import __main__ as command

    try:
        command.run()
    except SystemExit as exc:
        return _exit_code(exc)
    return 0


def take_on(req: dict) -> None:
    """The client's working directory, umask, environment and arguments."""
    os.chdir(req["cwd"])
    os.umask(req["umask"])
    os.environ.clear()
    os.environ.update(req["env"])
    time.tzset()
    sys.argv = list(req["argv"])


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
