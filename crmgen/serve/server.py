"""``crmgen serve``: build, serve over HTTP, watch the files, rebuild, reload the browser.

Three parts, each in its own thread:

- the **HTTP server** (stdlib ``ThreadingHTTPServer``) serves whatever the site
  directory holds at each request: ``build_site`` swaps a new site in by renaming,
  so nothing is cached. Into every HTML response (never into the files on disk) it
  injects a small inline script that long-polls ``/__crmgen__/events`` and reloads
  the page when the build number changes, and, while a client file has errors, a
  banner listing them;
- the **watcher** (watchdog, real filesystem events) records relevant paths in
  ``clients/``, ``templates/`` and ``mkdocs.yml`` into a ``changed`` set, ignoring
  editor swap/backup files and crmgen's own output;
- the **rebuild loop** (the calling thread) waits for changes, lets a burst settle
  (:data:`DEBOUNCE` seconds of quiet), re-validates with ``load_book`` (the parse
  cache makes unchanged files cheap) and calls ``build_site`` again. When the save
  changed a few clients and nothing else, their pages are first re-rendered alone
  from a loaded MkDocs session (:mod:`crmgen.accel.live`: the same bytes the build
  makes, in a fraction of a second) and put into the served site; the whole build,
  which every index page needs, runs once the saves pause for :data:`DEFER` seconds.

A file saved mid-edit with errors does not take its page away: the last valid
version of that client is kept in the build (so edits to other files still show),
and when nothing that the site is made of changed no build runs at all; the errors
go to the terminal and into the banner. No exception in a rebuild stops serving.

No Click here: the command in :mod:`crmgen.cli.serve` passes an ``out`` callable.
"""

from __future__ import annotations

import datetime as dt
import errno
import html
import http.server
import io
import json
import os
import queue
import secrets
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from crmgen.accel.cache import ParseCache
from crmgen.format.errors import CrmgenError, Problem, UsageError, sort_problems, summary_line
from crmgen.format.model import Client
from crmgen.load.project import CONFIG_FILE, Project, load_project

# Seconds of quiet after the last event before rebuilding: editors write a file in
# several steps (temp file, rename, chmod), and `git checkout` touches many at once.
DEBOUNCE = 0.15
# A stream of events that never goes quiet still rebuilds this often.
DEBOUNCE_MAX = 2.0
# A save that changes at most this many clients shows their pages at once
# (crmgen.accel.live); more (a `git pull`) just rebuilds.
LIVE_MAX = 5
# After such a quick update, the whole site (reminders, lists, dashboard: every index
# page changes with any client, seconds of work at 1,000 clients) is rebuilt once the
# saves pause this long, so an editor's autosave never queues one rebuild per save.
DEFER = 3.0
# How long an events request waits for a new build before answering "no change".
LONG_POLL = 25.0
# How often the loop wakes up to notice that the day changed (reminders move with it).
TICK = 60.0

EVENTS_PATH = "/__crmgen__/events"
PREFIX = "/__crmgen__/"

# Editor droppings that are never content: vim swap files and its write probe
# "4913", backups "name~", emacs locks ".#name" and autosaves "#name#", JetBrains'
# safe-write temporaries, Kate swap files, gedit's output streams, any ".tmp".
_IGNORED_SUFFIXES = (".swp", ".swo", ".swx", ".swpx", "~", ".tmp", ".temp", ".bak", ".orig",
                     ".kate-swp", ".crmgen-tmp", "___jb_tmp___", "___jb_old___", ".crdownload", ".part")
_IGNORED_PREFIXES = (".#", ".goutputstream-", ".~lock.")
_IGNORED_NAMES = {"4913", ".DS_Store", "Thumbs.db"}
_IGNORED_DIRS = {".crmgen", ".git", "site", "__pycache__", "node_modules"}


def is_ignored_name(name: str) -> bool:
    """True for editor swap/backup/temporary files, whose changes are not content."""
    if name in _IGNORED_NAMES or name.endswith(_IGNORED_SUFFIXES) or name.startswith(_IGNORED_PREFIXES):
        return True
    if name.startswith("#") and name.endswith("#"):  # emacs autosave
        return True
    # vim's numbered swap files: .name.swp, .name.swo, ... .name.swa
    return name.startswith(".") and len(name) > 4 and name[-4:-1] == ".sw"


def _within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


@dataclass
class Watched:
    """What the watcher cares about, as absolute paths (resolved once, per project load)."""

    root: Path
    clients: Path
    templates: Path
    config: Path
    site: Path
    ignored: tuple[Path, ...] = ()

    @classmethod
    def of(cls, project: Project, site: Path) -> Watched:
        root = project.root.resolve()
        return cls(
            root=root,
            clients=(root / project.settings.clients_dir).resolve(),
            templates=(root / project.settings.templates_dir).resolve(),
            config=root / CONFIG_FILE,
            site=site,
            ignored=(root / ".crmgen", root / ".git", site),
        )

    def relevant(self, path: Path) -> bool:
        """Would a change at ``path`` change the site?

        Client files are the ``*.md`` directly in the clients directory (what
        ``load_book`` reads); anything in templates/ that is not an editor's
        temporary file; mkdocs.yml; and the two directories themselves (created,
        deleted or renamed, as by ``git checkout``).
        """
        if any(_within(path, d) for d in self.ignored):
            return False
        if path in (self.config, self.clients, self.templates):
            return True
        if is_ignored_name(path.name):
            return False
        if path.parent == self.clients:
            return path.suffix == ".md" and not path.name.startswith(".")
        if _within(path, self.templates):
            rel = path.relative_to(self.templates).parts
            return not any(part in _IGNORED_DIRS or is_ignored_name(part) for part in rel)
        return False


def changed_paths(event: Any, watched: Watched) -> list[Path]:
    """The relevant paths a watchdog event touches (both ends of a move).

    Editors that save through a temporary file and a rename (vim, VS Code,
    JetBrains) show up as a move whose *destination* is the client file; vim's
    default ``backupcopy`` moves the file away first (the *source* matters).
    Opening and read-only closing change nothing.
    """
    if event.event_type in ("opened", "closed_no_write"):
        return []
    if event.is_directory and event.event_type == "modified":
        return []  # a directory's mtime: the file events say more
    paths = [event.src_path]
    dest = getattr(event, "dest_path", "")
    if dest:
        paths.append(dest)
    out = []
    for raw in paths:
        p = Path(os.fsdecode(raw))
        if watched.relevant(p):
            out.append(p)
    return out


# ---------------------------------------------------------------------------
# What the browser gets: the reload script and the problems banner.


def reload_script(token: str) -> str:
    """The inline script: long-poll the events endpoint, reload when the build changes.

    Errors (the server restarting, a laptop waking up) retry after a second; a
    server that came back with another session token also reloads the page.
    """
    return (
        "<script>/* crmgen serve: live reload */(function(){"
        f"var t={json.dumps(token)};"
        "function poll(){"
        f"fetch('{EVENTS_PATH}?token='+encodeURIComponent(t),{{cache:'no-store'}})"
        ".then(function(r){if(!r.ok)throw r.status;return r.json()})"
        ".then(function(d){if(d.token!==t){location.reload()}else{poll()}})"
        ".catch(function(){setTimeout(poll,1000)})}"
        "poll()})();</script>"
    )


BANNER_STYLE = (
    "position:fixed;left:0;right:0;bottom:0;z-index:100000;max-height:45vh;overflow:auto;"
    "margin:0;padding:.7em 1em;background:#b71c1c;color:#fff;"
    "font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "box-shadow:0 -2px 8px rgba(0,0,0,.3);text-align:left"
)


def banner_html(lines: list[str], note: str) -> str:
    """The problems banner; every line is escaped (messages quote the user's text)."""
    if not lines:
        return ""
    body = "\n".join(html.escape(line, quote=True) for line in lines)
    return (
        f'<div id="crmgen-problems" role="alert" style="{BANNER_STYLE}">'
        f"<strong>{html.escape(note)}</strong>"
        f'<pre style="margin:.4em 0 0;white-space:pre-wrap;background:none;color:inherit;font:inherit">'
        f"{body}</pre></div>"
    )


def inject(page: bytes, snippet: str) -> bytes:
    """``page`` with ``snippet`` inserted before its last ``</body>`` (or appended)."""
    data = snippet.encode("utf-8")
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + data
    return page[:at] + data + page[at:]


PLACEHOLDER = (
    "<!doctype html><html><head><meta charset='utf-8'><title>crmgen serve</title></head>"
    "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p></body></html>"
)


# ---------------------------------------------------------------------------
# State shared between the rebuild loop and the request handlers.


@dataclass
class Status:
    """What the events endpoint reports (a snapshot)."""

    build: int
    token: str
    building: bool
    errors: list[str]
    message: str
    seconds: float | None  # from the first event of the last change to its site swapped in

    def to_json(self) -> dict[str, Any]:
        return {
            "build": self.build,
            "token": self.token,
            "building": self.building,
            "errors": self.errors,
            "message": self.message,
            "seconds": self.seconds,
        }


class LiveState:
    """The build number, the banner, and a condition the long-polls wait on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._session = secrets.token_hex(4)
        self.build = 0
        self.building = False
        self.errors: list[str] = []
        self.message = ""
        self.seconds: float | None = None
        self.closing = False

    def token(self) -> str:
        return f"{self._session}-{self.build}"

    def snapshot(self) -> Status:
        with self._cond:
            return Status(self.build, self.token(), self.building, list(self.errors), self.message,
                          self.seconds)

    def update(self, *, bump: bool, **values: Any) -> None:
        """Change fields and, with ``bump``, move to a new build number (browsers reload)."""
        with self._cond:
            for key, value in values.items():
                setattr(self, key, value)
            if bump:
                self.build += 1
            self._cond.notify_all()

    def wait_change(self, token: str, timeout: float) -> Status:
        """Block until the token differs from ``token`` (or timeout, or closing)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.token() == token and not self.closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        return self.snapshot()

    def close(self) -> None:
        with self._cond:
            self.closing = True
            self._cond.notify_all()


# ---------------------------------------------------------------------------
# HTTP


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site directory as it is now, with the live-reload script in HTML."""

    server: LiveHTTPServer

    def __init__(self, request: Any, client_address: Any, server: LiveHTTPServer) -> None:
        super().__init__(request, client_address, server, directory=str(server.site))

    def server_site(self) -> Path:
        return self.server.site  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # a request log would bury the build messages

    def end_headers(self) -> None:
        # Always revalidate: the same URL changes content on every build.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_GET(self) -> None:
        if self.path.startswith(PREFIX):
            self._events()
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        if self.path.startswith(PREFIX):
            self.send_error(405)
            return
        super().do_HEAD()

    def _events(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path != EVENTS_PATH:
            self.send_error(404)
            return
        query = urllib.parse.parse_qs(parsed.query)
        state = self.server.state
        token = (query.get("token") or [""])[0]
        status = state.wait_change(token, LONG_POLL) if token else state.snapshot()
        body = json.dumps(status.to_json(), ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _snippet(self) -> str:
        status = self.server.state.snapshot()
        note = self.server.banner_note(status)
        return banner_html(status.errors, note) + reload_script(status.token)

    def _html_file(self) -> Path | None:
        """The HTML file this request maps to, if any (directory requests end in '/')."""
        path = Path(self.translate_path(self.path))
        if self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"
        if path.suffix.lower() in (".html", ".htm"):
            return path
        return None

    def send_head(self) -> Any:
        site = self.server_site()
        for attempt in range(20):
            # build_site swaps the site in with two renames: for an instant there is
            # no site directory at all. Wait for it rather than answer 404.
            if site.is_dir() or attempt == 19:
                break
            time.sleep(0.025)
        page = self._html_file()
        if page is None:
            if not site.is_dir():
                return self._placeholder()
            return super().send_head()
        try:
            data = page.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            if not site.is_dir() or (page.name == "index.html" and page.parent == site):
                return self._placeholder()
            return super().send_head()  # its 404, redirects and listings
        except OSError:
            return super().send_head()
        data = inject(data, self._snippet())
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)

    def _placeholder(self) -> io.BytesIO:
        status = self.server.state.snapshot()
        if status.building or status.build == 0:
            title, text = "Building the site…", "This page reloads when the first build is done."
        else:
            title, text = "No site yet", "The first build failed: see the terminal. This page reloads after the next build."
        page = PLACEHOLDER.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")
        data = inject(page, self._snippet())
        self.send_response(503 if not status.build else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)


class LiveHTTPServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server that knows the site directory and the live state."""

    daemon_threads = True
    # On Windows SO_REUSEADDR would let two servers share a port silently.
    allow_reuse_address = sys.platform != "win32"

    def __init__(self, address: tuple[str, int], site: Path, state: LiveState) -> None:
        self.site = site
        self.state = state
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host up with getfqdn(), which can hang for
        # seconds on a machine with slow DNS; the name is only used in CGI variables.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = port

    def banner_note(self, status: Status) -> str:
        n = sum(1 for line in status.errors if ": error: " in line)
        what = f"{n} error{'s' if n != 1 else ''}" if n else "a problem"
        return f"crmgen serve: {what}; showing the last good version of the affected pages"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that reloads drops its pending long-poll: not worth a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def bind(host: str, port: int, site: Path, state: LiveState) -> LiveHTTPServer:
    """Bind the server; a port in use or a bad host is a usage error (exit 2)."""
    try:
        return LiveHTTPServer((host, port), site, state)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: cannot listen there: {exc.strerror}; try --host 127.0.0.1") from exc
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use (another crmgen serve or mkdocs serve?); "
                f"stop it, or choose another port with --port {port + 1 if port else 8001}"
            ) from exc
        if exc.errno == errno.EACCES:
            raise UsageError(
                f"not allowed to listen on port {port}: ports below 1024 need special rights; "
                "choose another with --port 8000"
            ) from exc
        if exc.errno == errno.EADDRNOTAVAIL:
            raise UsageError(f"--host {host}: not an address of this machine; try --host 127.0.0.1") from exc
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}; try another --port") from exc


def url_of(server: LiveHTTPServer) -> str:
    # An AF_INET/AF_INET6 socket's getsockname(): the host is a str (typeshed also allows bytes).
    host, port = cast("tuple[str, int]", server.server_address[:2])
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


# ---------------------------------------------------------------------------
# The live server: watcher + rebuild loop.

Out = Callable[[str], None]


@dataclass
class _Built:
    """What the site being served was built from, to skip builds that change nothing."""

    clients: list[Client] | None = None
    left_out: list[str] = field(default_factory=list)
    today: dt.date | None = None
    ok: bool = False


class LiveServer:
    """Build, serve, watch and rebuild one project. See the module docstring.

    Use ``start()`` then ``run()`` (blocks until ``stop()``); ``close()`` always.
    :func:`serve` does all of it with signal handling for the command line.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        site_dir: Path | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        out: Out = print,
        debounce: float = DEBOUNCE,
        defer: float = DEFER,
    ) -> None:
        from crmgen.render.build import default_site_dir
        from crmgen.render.publish import check_site_dir

        self.root = Path(root).resolve()
        self.project: Project | None = load_project(self.root)
        site = site_dir if site_dir is not None else default_site_dir(self.project)
        if not site.is_absolute():
            site = Path.cwd() / site
        self.site = check_site_dir(site, self.project.root, [
            self.project.clients_dir, self.project.templates_dir, self.project.work_dir,
            self.project.root / ".git"])
        self.host = host
        self.port = port
        self.today = today
        self.out = out
        self.debounce = debounce
        self.defer = defer
        self._deferred: set[Path] = set()  # changes shown by a quick update, not yet built
        self.state = LiveState()
        self.server: LiveHTTPServer | None = None
        self.watched = Watched.of(self.project, self.site)
        self.changed: set[Path] = set()  # relevant paths since the last rebuild started
        self._changed_lock = threading.Lock()
        # The wake-up channel. SimpleQueue.put is safe to call from a signal handler.
        self._wake: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._first_event: float | None = None
        self._observer: Any = None
        self._watches: dict[Path, tuple[Any, int]] = {}
        self._http_thread: threading.Thread | None = None
        self._last_good: dict[str, Client] = {}
        self._parse_cache: ParseCache | None = None
        self._built = _Built()
        self._live: Any = None  # crmgen.accel.live.LiveSession of the last build, for previews
        self.building = False  # read by the signal handler
        self.stopping = False

    # -- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.server is not None
        return url_of(self.server)

    def start(self) -> None:
        """Bind the port (UsageError when taken), serve, and start watching."""
        self.server = bind(self.host, self.port, self.site, self.state)
        self._http_thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="crmgen-http", daemon=True)
        self._http_thread.start()
        self._start_observer()

    def _start_observer(self) -> None:
        from watchdog.observers import Observer

        self._observer = Observer()
        self._observer.daemon = True
        self._observer.start()
        self._sync_watches()

    def close(self) -> None:
        """Stop watching and serving; idempotent."""
        self.state.close()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout=5)
            except Exception:  # noqa: BLE001 - closing must not fail
                pass
            self._observer = None
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self._http_thread is not None:
            self._http_thread.join(timeout=5)
            self._http_thread = None

    def stop(self) -> None:
        """Ask :meth:`run` to return (thread- and signal-safe)."""
        self.stopping = True
        self._wake.put("stop")

    # -- watching ------------------------------------------------------------

    def _sync_watches(self) -> None:
        """Watch the root (for mkdocs.yml and the two directories appearing), clients/ and
        templates/; re-watch a directory that was replaced (inode changed)."""
        if self._observer is None:
            return
        handler = _EventHandler(self)
        wanted = {self.watched.root: False, self.watched.clients: False, self.watched.templates: True}
        for path in list(self._watches):
            if path not in wanted:
                self._unschedule(path)
        for path, recursive in wanted.items():
            try:
                inode = path.stat().st_ino if path.is_dir() else None
            except OSError:
                inode = None
            current = self._watches.get(path)
            if current is not None and (inode is None or current[1] != inode):
                self._unschedule(path)
                current = None
            if current is None and inode is not None:
                try:
                    watch = self._observer.schedule(handler, str(path), recursive=recursive)
                except OSError as exc:
                    self.out(f"crmgen serve: warning: cannot watch {path}: {exc}")
                    continue
                self._watches[path] = (watch, inode)

    def _unschedule(self, path: Path) -> None:
        watch, _ = self._watches.pop(path)
        try:
            self._observer.unschedule(watch)
        except (KeyError, OSError, Exception):  # noqa: BLE001 - the watch may be gone already
            pass

    def notice(self, paths: Iterable[Path]) -> None:
        """Record changed paths and wake the rebuild loop (called from the watcher thread)."""
        paths = list(paths)
        if not paths:
            return
        with self._changed_lock:
            if not self.changed:
                self._first_event = time.monotonic()
            self.changed.update(paths)
        self._wake.put("change")

    # -- the loop ------------------------------------------------------------

    def run(self) -> None:
        """Build once, then rebuild on every change until :meth:`stop`."""
        if self.stopping:
            return
        self.rebuild(set(), first=True)
        while not self.stopping:
            try:
                message = self._wake.get(timeout=self.defer if self._deferred else TICK)
            except queue.Empty:
                if self._deferred:
                    self.rebuild(set(self._deferred), preview=False)  # the saves paused
                    continue
                if self.project is not None and self._built.ok and self._built.today != self.today():
                    self.rebuild(set(), reason="the date changed")  # reminders move with the day
                continue
            if message == "stop":
                break
            if not self._settle():
                break
            with self._changed_lock:
                changed, self.changed = self.changed, set()
                first, self._first_event = self._first_event, None
            if changed:
                self.rebuild(changed, since=first)

    def _settle(self) -> bool:
        """Wait until no event came for ``debounce`` seconds; False when asked to stop."""
        start = time.monotonic()
        while True:
            left = min(self.debounce, start + DEBOUNCE_MAX - time.monotonic())
            if left <= 0:
                return True
            try:
                message = self._wake.get(timeout=left)
            except queue.Empty:
                return True
            if message == "stop":
                return False

    def _say(self, text: str) -> None:
        self.out(f"[{time.strftime('%H:%M:%S')}] {text}")

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.watched.root).as_posix()
        except ValueError:
            return str(path)

    def rebuild(self, changed: set[Path], *, first: bool = False, since: float | None = None,
                reason: str | None = None, preview: bool = True) -> None:
        """Re-validate and rebuild after ``changed``; never raises (except KeyboardInterrupt).

        ``changed`` holds the relevant absolute paths (client files, templates,
        mkdocs.yml) that changed since the last rebuild: what an incremental
        ``build_site`` will need.
        """
        started = since if since is not None else time.monotonic()
        if changed:
            names = sorted(self._rel(p) for p in changed)
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            self._say(f"changed: {shown}")
        elif reason:
            self._say(f"rebuilding: {reason}")
        # The whole rebuild may be interrupted by Ctrl-C: reading is side-effect
        # free, the parse cache is replaced atomically, and build_site builds into
        # a temporary directory that it discards on any exception.
        self.building = True
        try:
            self._rebuild(changed, first=first, started=started, preview=preview)
        except KeyboardInterrupt:
            raise
        except CrmgenError as exc:
            self._failed(str(exc))
        except Exception as exc:  # noqa: BLE001 - serving must survive any bug in a build
            detail = traceback.format_exc(limit=-8)
            self.out(detail.rstrip())
            self._failed(f"the build failed: {type(exc).__name__}: {exc}")
        finally:
            self.building = False

    def _failed(self, message: str) -> None:
        self._say(f"error: {message}")
        self._say("still serving the last good site; save a file to try again")
        self._built.ok = False
        self.state.update(bump=True, building=False, errors=[f"crmgen: error: {message}"], message=message)

    def _rebuild(self, changed: set[Path], *, first: bool, started: float, preview: bool = True) -> None:
        from crmgen.load.book import load_book
        from crmgen.render.build import build_site

        config_changed = first or self.project is None or self.watched.config in changed
        if config_changed and not first:
            try:
                self.project = load_project(self.root)
            except CrmgenError as exc:
                self.project = None
                raise CrmgenError(f"{exc} (fix {CONFIG_FILE}; the site is not rebuilt until then)") from exc
            self.watched = Watched.of(self.project, self.site)
        self._sync_watches()
        project = self.project
        assert project is not None

        if self._parse_cache is None:
            # kept in memory: re-reading an unchanged book costs a stat per file
            self._parse_cache = ParseCache(project.cache_dir)
        book = load_book(project, cache=self._parse_cache, digests=True)
        # After the first pass the cache lives in memory only: writing it back on every save
        # would cost more than it saves (a later `crmgen check` re-reads what changed).
        self._parse_cache.path = None
        self._report(book.problems, book.files, changed, first=first)
        errors = sort_problems([p for p in book.problems if p.is_error])

        # The last valid version of each client stands in for a file with errors.
        present = {Path(rel).stem for rel in book.broken} | {c.slug for c in book.clients}
        self._last_good = {slug: c for slug, c in self._last_good.items() if slug in present}
        self._last_good.update({c.slug: c for c in book.clients})
        valid = {c.slug for c in book.clients}
        clients = list(book.clients)
        left_out: list[str] = []
        kept: list[str] = []
        for rel in book.broken:
            slug = Path(rel).stem
            if slug in valid:
                continue
            if slug in self._last_good:
                clients.append(self._last_good[slug])
                kept.append(rel)
            else:
                left_out.append(rel)  # never valid while serving: the dashboard lists it
        clients.sort(key=lambda c: c.slug)

        banner = [p.format() for p in errors]
        today = self.today()
        templates_changed = any(_within(p, self.watched.templates) for p in changed)
        needed = (
            not self._built.ok
            or config_changed
            or templates_changed
            or today != self._built.today
            or clients != self._built.clients
            or left_out != self._built.left_out
            or bool(self._deferred)  # quick updates are in the served site: the build makes it whole
        )
        notes = []
        if kept:
            notes.append(f"last good version kept for {_files(kept)}")
        if left_out:
            notes.append(f"{_files(left_out)} left out")
        note = f" ({'; '.join(notes)})" if notes else ""
        if not needed:
            self._say(f"the site is unchanged{note}")
            before = self.state.snapshot().errors
            self.state.update(bump=banner != before, errors=banner, message="")
            return

        if self.stopping:
            return
        if preview and not first and not config_changed and not templates_changed:
            if self._preview(project, clients, left_out, today, banner):
                self._deferred |= changed
                return
        self._deferred.clear()  # this build covers them
        self.state.update(bump=False, building=True)
        if first:
            self._say(f"building the site ({len(clients)} client{'s' if len(clients) != 1 else ''})…")
        # `changed` is what an incremental build_site will take (the client files,
        # templates and mkdocs.yml changed since the last build); today it rebuilds all.
        result = build_site(project, clients, today=today, site_dir=self.site, broken=left_out, digest=book.digest)
        self._built = _Built(clients=clients, left_out=left_out, today=today, ok=True)
        seconds = time.monotonic() - started
        for message in result.warnings:
            self._say(f"mkdocs: warning: {message}")
        self.state.update(bump=True, building=False, errors=banner, message="", seconds=round(seconds, 3))
        self._say(
            f"built {result.clients} client page{'s' if result.clients != 1 else ''} in {result.seconds:.1f} s"
            f"{note}"
            + (f"; {seconds:.2f} s from save to served" if changed else "")
        )
        self._refresh_live(project, today)

    def _preview(self, project: Project, clients: list[Client], left_out: list[str], today: dt.date,
                 banner: list[str]) -> bool:
        """Show the edited clients' new pages at once (crmgen.accel.live); True when done.

        The pages are compared with the last full build, so a client edited twice
        before the rebuild is shown again with its latest text.
        """
        from crmgen.accel import live

        built = self._built
        if self._live is None or built.clients is None or today != built.today or left_out != built.left_out:
            return False
        before = {c.slug: c for c in built.clients}
        if set(before) != {c.slug for c in clients}:
            return False  # a page comes or goes: the nav and links change, only a build shows that
        edited = [c for c in clients if before[c.slug] != c]
        if not edited or len(edited) > LIVE_MAX:
            return False
        started = time.monotonic()
        try:
            shown = live.preview(project, clients, edited, today=today, broken=left_out,
                                 session=self._live, site=self.site)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - the full build below still runs
            self._live = None
            self._say(f"(no quick update: {type(exc).__name__}: {exc})")
            return False
        self.state.update(bump=True, errors=banner, message="")
        names = ", ".join(c.slug for c in edited)
        self._say(f"page of {names} updated in {time.monotonic() - started:.2f} s ({len(shown)} page"
                  f"{'s' if len(shown) != 1 else ''}); the other pages follow when the saves pause")
        return True

    def _refresh_live(self, project: Project, today: dt.date) -> None:
        """Keep a loaded MkDocs session that matches the site just built (for the next preview)."""
        from crmgen.accel import live

        config_file = project.work_dir / "mkdocs.yml"
        docs = project.work_dir / "docs"
        pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")}
        if self._live is not None and self._live.matches(config_file, pages, today):
            return
        self._live = None
        try:
            self._live = live.LiveSession(config_file, project.work_dir / "live", today)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - previews are an extra; builds go on without them
            self._say(f"(quick page previews are off: {type(exc).__name__}: {exc})")

    def _report(self, problems: list[Problem], files: int, changed: set[Path], *, first: bool) -> None:
        """Errors always (they block the pages), warnings for the files just changed."""
        rels = {self._rel(p) for p in changed}
        shown = [p for p in sort_problems(problems) if first or p.is_error or p.path in rels]
        for p in shown:
            self.out(p.format())
        had = bool(self.state.snapshot().errors)
        if problems and (shown or first):
            self.out(summary_line(problems, files))
        elif had and not any(p.is_error for p in problems):
            self._say("no more errors in the client files")


def _files(rels: list[str]) -> str:
    return ", ".join(rels) if len(rels) <= 3 else f"{len(rels)} files with errors"


class _EventHandler:
    """A watchdog handler that forwards relevant paths to the server (no filtering state)."""

    def __init__(self, server: LiveServer) -> None:
        self._server = server

    def dispatch(self, event: Any) -> None:
        try:
            self._server.notice(changed_paths(event, self._server.watched))
        except Exception as exc:  # noqa: BLE001 - the observer thread must not die
            self._server.out(f"crmgen serve: warning: watcher: {exc}")


def serve(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    site_dir: Path | None = None,
    today: Callable[[], dt.date] = dt.date.today,
    out: Out = print,
    handle_signals: bool = True,
    ready: Callable[[LiveServer], None] | None = None,
) -> None:
    """Serve the project at ``root`` until SIGINT/SIGTERM (or ``stop()`` from ``ready``'s server).

    Binds first (a port in use fails before any build), prints the URL, builds,
    then rebuilds on changes. Ctrl-C while a build runs interrupts it (the old site
    stays: builds go to a temporary directory); either way it returns normally.
    """
    live = LiveServer(root, host=host, port=port, site_dir=site_dir, today=today, out=out)
    saved: dict[signal.Signals, Any] = {}
    if handle_signals and hasattr(signal, "SIGUSR1"):
        import faulthandler

        # `kill -USR1 <pid>` prints where every thread of a stuck server is.
        try:
            # sys.__stderr__ may be None: faulthandler then takes sys.stderr (typeshed forbids None).
            faulthandler.register(signal.SIGUSR1, file=sys.__stderr__,  # type: ignore[arg-type]
                                  all_threads=True)
        except (AttributeError, ValueError, OSError, RuntimeError, io.UnsupportedOperation):
            pass  # no real standard error (embedded, tests): nothing to print to

    closing = False

    def on_signal(signum: int, frame: Any) -> None:
        if closing:
            return  # already shutting down: let it finish cleanly
        first = not live.stopping
        live.stop()
        if live.building or not first:
            raise KeyboardInterrupt  # abandon the build; build_site discards its temp dir

    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            saved[sig] = signal.signal(sig, on_signal)
    try:
        live.start()
        out(f"Serving {live.project.root if live.project else root} at {live.url}  (Ctrl-C to stop)")
        if ready is not None:
            ready(live)
        live.run()
    except KeyboardInterrupt:
        out("crmgen serve: build interrupted")
    finally:
        closing = True
        try:
            live.close()
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
    out("crmgen serve: stopped")
