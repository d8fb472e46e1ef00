"""The HTTP half of ``crmgen serve`` (see :mod:`crmgen.serve.rebuild`): the site directory as it
is at each request, with the live-reload script and the problems banner injected into HTML.
"""


from __future__ import annotations

import errno
import html
import http.server
import io
import json
import secrets
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from crmgen.format.errors import UsageError

# How long an events request waits for a new build before answering "no change".
LONG_POLL = 25.0
EVENTS_PATH = "/__crmgen__/events"
PREFIX = "/__crmgen__/"


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
