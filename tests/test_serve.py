"""``crmgen serve``: the pure parts, then the real thing in a subprocess.

The live tests run ``python -m crmgen serve --port 0`` against a copy of
tests/projects/small, edit files the way people and editors do, and poll the
served pages over HTTP. MkDocs builds take seconds, so the scenario is one
process with as few builds as possible.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from watchdog.events import (
    DirModifiedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from crmgen.cli import main
from crmgen.load.project import load_project
from crmgen.serve.rebuild import LiveServer
from crmgen.serve.server import EVENTS_PATH, LiveState, banner_html, inject, reload_script
from crmgen.serve.watcher import Watched, changed_paths, is_ignored_name

FIXTURE = Path(__file__).parent / "projects" / "small"
REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 60.0  # per wait; generous because CI machines and this one are shared


# ---------------------------------------------------------------------------
# Pure parts


@pytest.mark.parametrize(
    "name",
    [".acme.md.swp", ".acme.md.swo", ".acme.md.swx", "acme.md~", "4913", ".#acme.md", "#acme.md#",
     "acme.md.tmp", "acme.md___jb_tmp___", "acme.md___jb_old___", ".acme.md.kate-swp",
     ".goutputstream-ABC123"],
)
def test_editor_droppings_are_ignored(name):
    assert is_ignored_name(name)


@pytest.mark.parametrize("name", ["acme.md", "client.md.j2", "shanghai-runhuayou.md", "a.md", "swp.md"])
def test_real_files_are_not_ignored(name):
    assert not is_ignored_name(name)


@pytest.fixture
def watched(tmp_path) -> Watched:
    (tmp_path / "mkdocs.yml").write_text("site_name: T\n", encoding="utf-8")
    (tmp_path / "clients").mkdir()
    (tmp_path / "templates").mkdir()
    return Watched.of(load_project(tmp_path), (tmp_path / "site").resolve())


def test_relevant_paths(watched):
    root = watched.root
    assert watched.relevant(root / "clients" / "acme.md")
    assert watched.relevant(root / "mkdocs.yml")
    assert watched.relevant(root / "templates" / "client.md.j2")
    assert watched.relevant(root / "templates" / "partials" / "x.html")
    assert watched.relevant(root / "clients")  # the directory replaced, e.g. by git checkout
    assert not watched.relevant(root / "clients" / ".acme.md.swp")
    assert not watched.relevant(root / "clients" / "4913")
    assert not watched.relevant(root / "clients" / "acme.md~")
    assert not watched.relevant(root / "clients" / "notes.txt")
    assert not watched.relevant(root / "clients" / "archive" / "old.md")  # load_book reads no subdirectories
    assert not watched.relevant(root / "templates" / ".client.md.j2.swp")
    assert not watched.relevant(root / ".crmgen" / "docs" / "index.md")
    assert not watched.relevant(root / "site" / "index.html")
    assert not watched.relevant(root / ".site.crmgen-new-abc")
    assert not watched.relevant(root / "README.md")


def test_events_from_editors(watched):
    clients = watched.root / "clients"
    acme = str(clients / "acme.md")
    # vim/VS Code/JetBrains: write a temporary file, rename it over the client file
    assert changed_paths(FileMovedEvent(str(clients / "acme.md.tmp"), acme), watched) == [Path(acme)]
    assert changed_paths(FileMovedEvent(str(clients / "acme.md___jb_tmp___"), acme), watched) == [Path(acme)]
    # vim's backupcopy=no: the file itself is renamed away first
    assert changed_paths(FileMovedEvent(acme, str(clients / "acme.md~")), watched) == [Path(acme)]
    assert changed_paths(FileModifiedEvent(acme), watched) == [Path(acme)]
    assert changed_paths(FileClosedEvent(acme), watched) == [Path(acme)]
    assert changed_paths(FileCreatedEvent(str(clients / "4913")), watched) == []
    assert changed_paths(FileCreatedEvent(str(clients / ".acme.md.swp")), watched) == []
    assert changed_paths(FileOpenedEvent(acme), watched) == []
    assert changed_paths(DirModifiedEvent(str(clients)), watched) == []


def test_inject_before_body_end():
    page = b"<html><body><p>hi</p></body></html>"
    out = inject(page, "<script>x</script>")
    assert out == b"<html><body><p>hi</p><script>x</script></body></html>"
    assert inject(b"<p>no body</p>", "<i>") == b"<p>no body</p><i>"
    # the last </body> counts (one may appear inside a code block on the page)
    tricky = b"<body><pre>&lt;/body&gt; </body> text</BODY>"
    assert inject(tricky, "S").endswith(b"textS</BODY>")


def test_banner_escapes_messages():
    line = 'clients/x.md:3:1: error: bad value "<script>alert(1)</script>" & more [yaml-syntax]'
    banner = banner_html([line], "1 error <b>")
    assert "<script>alert" not in banner
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in banner
    assert "&amp; more" in banner and "1 error &lt;b&gt;" in banner
    assert banner_html([], "nothing") == ""


def test_reload_script_is_inline_and_polls_events():
    script = reload_script('abc-"3')
    assert script.startswith("<script>") and "src=" not in script
    assert EVENTS_PATH in script
    assert '"abc-\\"3"' in script  # the token is a JSON string literal


def test_long_poll_wakes_on_a_new_build():
    state = LiveState()
    token = state.snapshot().token
    started = time.monotonic()
    assert state.wait_change(token, 0.2).token == token  # nothing changed: times out
    assert time.monotonic() - started >= 0.19
    timer = threading.Timer(0.1, lambda: state.update(bump=True))
    timer.start()
    status = state.wait_change(token, 10)
    timer.join()
    assert status.build == 1 and status.token != token
    assert state.wait_change("another-session", 10).build == 1  # a stale token answers at once


def test_port_in_use_is_a_usage_error(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "p")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["-C", str(tmp_path / "p"), "serve", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"port {port}" in result.output and "--port" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "p" / "site").exists()  # failed before building anything


def test_a_crash_in_a_rebuild_is_reported_not_raised(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "p")
    said: list[str] = []

    def broken_clock():
        raise RuntimeError("the clock broke")

    live = LiveServer(tmp_path / "p", port=0, today=broken_clock, out=said.append)
    live.rebuild({live.watched.clients / "acme-trading.md"})  # must not raise
    status = live.state.snapshot()
    assert status.build == 1  # browsers reload to show the banner
    assert status.errors == ["crmgen: error: the build failed: RuntimeError: the clock broke"]
    assert any("Traceback" in s and "the clock broke" in s for s in said)  # a bug: full details
    assert not (tmp_path / "p" / "site").exists()


def test_a_broken_mkdocs_yml_is_reported_and_retried(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURE, root)
    said: list[str] = []
    live = LiveServer(root, port=0, out=said.append)
    (root / "mkdocs.yml").write_text("site_name: [unclosed\n", encoding="utf-8")
    live.rebuild({root.resolve() / "mkdocs.yml"})
    status = live.state.snapshot()
    assert len(status.errors) == 1 and "mkdocs.yml" in status.errors[0] and "not valid YAML" in status.errors[0]
    assert live.project is None
    assert not any("Traceback" in s for s in said)


def _wait_until(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_watcher_records_real_saves_and_ignores_droppings(tmp_path):
    """The real watchdog observer, no build: what lands in ``changed``."""
    root = tmp_path / "p"
    shutil.copytree(FIXTURE, root)
    live = LiveServer(root, port=0, out=lambda s: None)
    live.start()
    try:
        clients = live.watched.clients
        acme = clients / "acme-trading.md"

        def changed() -> set[Path]:
            with live._changed_lock:
                return set(live.changed)

        def take() -> set[Path]:
            with live._changed_lock:
                got, live.changed = live.changed, set()
                return got

        acme.write_text(acme.read_text(encoding="utf-8") + "\nmore\n", encoding="utf-8")
        _wait_until(lambda: acme in changed(), "an in-place write")
        time.sleep(0.2)
        assert take() == {acme}

        replace_like_vim(acme, acme.read_text(encoding="utf-8") + "\nagain\n")
        (clients / "notes.txt").write_text("not a client", encoding="utf-8")
        _wait_until(lambda: acme in changed(), "a save through a temporary file")
        time.sleep(0.3)
        assert take() == {acme}  # no .swp, 4913, .tmp or .txt

        (root / "mkdocs.yml").write_text("site_name: Renamed\n", encoding="utf-8")
        _wait_until(lambda: live.watched.config in changed(), "mkdocs.yml")
        take()

        # templates/ appears later (as `git checkout` or mkdir would make it)
        (root / "templates").mkdir()
        _wait_until(lambda: live.watched.templates in changed(), "the templates directory appearing")
        live._sync_watches()
        template = live.watched.templates / "client.md.j2"
        template.write_text("{{ client.name }}\n", encoding="utf-8")
        _wait_until(lambda: template in changed(), "a new template")

        # clients/ replaced by another directory: the new one is watched
        os.rename(clients, root / "clients-old")
        shutil.copytree(root / "clients-old", clients)
        _wait_until(lambda: clients in changed(), "clients/ replaced")
        live._sync_watches()
        take()
        fresh = clients / "new-client.md"
        fresh.write_text("---\nname: New\n---\n", encoding="utf-8")
        _wait_until(lambda: fresh in changed(), "a file in the new clients/")
    finally:
        live.close()


def test_http_injects_into_html_only_and_serves_events(tmp_path):
    """The real HTTP server over a hand-made site (no MkDocs): injection, banner, events."""
    root = tmp_path / "p"
    shutil.copytree(FIXTURE, root)
    live = LiveServer(root, port=0, out=lambda s: None)
    live.start()
    try:
        base = live.url

        def get(path: str) -> tuple[int, bytes, str]:
            try:
                with urllib.request.urlopen(base + path, timeout=10) as r:
                    return r.status, r.read(), r.headers.get("Content-Type", "")
            except urllib.error.HTTPError as e:
                return e.code, e.read(), e.headers.get("Content-Type", "")

        code, body, _ = get("")
        assert code == 503 and b"Building the site" in body and b"live reload" in body  # no site yet

        site = live.site
        (site / "clients" / "acme").mkdir(parents=True)
        page = b"<html><body><h1>Acme</h1></body></html>"
        (site / "clients" / "acme" / "index.html").write_bytes(page)
        (site / "style.css").write_bytes(b"body{}</body>")
        (site / "index.html").write_bytes(b"<html><body>home</body></html>")

        code, body, kind = get("clients/acme/")
        assert code == 200 and kind.startswith("text/html")
        assert body.startswith(b"<html><body><h1>Acme</h1><script>") and body.endswith(b"</body></html>")
        assert (site / "clients" / "acme" / "index.html").read_bytes() == page  # never on disk
        assert get("style.css")[1] == b"body{}</body>"  # other files untouched
        assert get("../mkdocs.yml")[0] == 404 and get("nope.html")[0] == 404

        status = json.loads(get(EVENTS_PATH.lstrip("/"))[1])
        assert status["build"] == 0 and status["errors"] == []
        token = status["token"]
        later = threading.Timer(0.3, lambda: live.state.update(
            bump=True, errors=['clients/acme.md:2:1: error: <img src=x onerror=alert(1)> [yaml-syntax]']))
        later.start()
        started = time.monotonic()
        answer = json.loads(get(f"{EVENTS_PATH.lstrip('/')}?token={token}")[1])  # long poll
        later.join()
        assert answer["build"] == 1 and answer["token"] != token and time.monotonic() - started < 5
        body = get("index.html")[1].decode()
        assert 'id="crmgen-problems"' in body and "&lt;img src=x onerror=alert(1)&gt;" in body
        assert "<img src=x" not in body
        assert json.dumps(answer["token"]) in body  # the page polls with the new token
    finally:
        live.close()


# ---------------------------------------------------------------------------
# The real thing


class Serving:
    """A ``crmgen serve`` subprocess; its stderr is collected by a thread."""

    def __init__(self, root: Path, *args: str) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crmgen", "-C", str(root), "serve", "--port", "0", "--today", "2026-06-15",
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, encoding="utf-8",
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_url()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", self.output)
            if m:
                return m.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"serve printed no URL:\n{self.output}")

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=TIMEOUT) as response:
            return response.read().decode("utf-8")

    def status(self) -> dict:
        return json.loads(self.get(EVENTS_PATH))

    def poll(self, path: str, predicate, what: str) -> str:
        """GET ``path`` until ``predicate(text)``; fail with the server output after TIMEOUT."""
        deadline = time.monotonic() + TIMEOUT
        text = ""
        while time.monotonic() < deadline:
            try:
                text = self.get(path)
            except (urllib.error.URLError, ConnectionError):
                text = ""
            if text and predicate(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; server output:\n{self.output}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            try:  # where it is stuck: faulthandler's dump (serve registers it on SIGUSR1)
                self.proc.send_signal(signal.SIGUSR1)
                time.sleep(1)
            finally:
                self.kill()
            raise AssertionError(f"serve did not stop on signal {sig}; output:\n{self.output}") from None
        finally:
            self.kill()
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        if self.proc.stdout is not None and not self._reader.is_alive():
            self.proc.stdout.close()


@pytest.fixture
def browser():
    """A headless Chromium page (Playwright), or None where there is none (then the
    live-reload check in a real browser is skipped; on CI it must run)."""
    chromium = os.environ.get("CRMGEN_CHROMIUM", "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(chromium).exists():
        if os.environ.get("CI"):
            pytest.fail("the live-reload browser check must run on CI: no chromium/playwright")
        yield None
        return
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield instance.new_page()
        finally:
            instance.close()


@pytest.fixture
def small(tmp_path) -> Path:
    root = tmp_path / "crm"
    shutil.copytree(FIXTURE, root)
    (root / "templates").mkdir()
    return root


def replace_like_vim(path: Path, text: str) -> None:
    """Save as editors do: swap file and vim's 4913 probe, a temp file renamed over the original."""
    swap = path.with_name(f".{path.name}.swp")
    swap.write_text("swap", encoding="utf-8")
    probe = path.with_name("4913")
    probe.write_bytes(b"")
    probe.unlink()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    swap.unlink()


@pytest.mark.slow
def test_serve_rebuilds_reloads_and_survives_errors(small, browser):
    acme = small / "clients" / "acme-trading.md"
    page = "clients/acme-trading/index.html"
    original = acme.read_text(encoding="utf-8")
    assert "Prefers calls in the morning." in original
    server = Serving(small)
    try:
        first = server.poll(page, lambda t: "Prefers calls in the morning" in t, "the first build")
        assert "/* crmgen serve: live reload */" in first and first.rstrip().endswith("</html>")
        assert "crmgen-problems" not in first
        assert "live reload" not in (small / "site" / page).read_text(encoding="utf-8")  # disk untouched
        # the site is swapped in a moment before the build number moves
        deadline = time.monotonic() + TIMEOUT
        while (before := server.status())["build"] < 1:
            assert time.monotonic() < deadline, server.output
            time.sleep(0.02)
        if browser is not None:
            requests: list[str] = []
            browser.on("request", lambda r: requests.append(r.url))
            browser.goto(server.url + page)

        # 1. a plain write in place
        acme.write_text(original.replace("in the morning", "after lunch, WRITTEN-IN-PLACE"), encoding="utf-8")
        server.poll(page, lambda t: "WRITTEN-IN-PLACE" in t, "the in-place edit")
        # the page is swapped in first, then the build number moves: the long poll
        # (what the injected script does) answers as soon as it does
        after_edit = json.loads(server.get(f"{EVENTS_PATH}?token={before['token']}"))
        assert after_edit["build"] > before["build"] and after_edit["token"] != before["token"]
        assert after_edit["errors"] == []
        if browser is not None:
            # the open page reloads by itself (the injected script saw the new build)
            browser.wait_for_function("document.body.innerText.includes('WRITTEN-IN-PLACE')",
                                      timeout=TIMEOUT * 1000)

        # 2. an editor's save: temporary file renamed over the client file
        replace_like_vim(acme, original.replace("in the morning", "at dusk, SAVED-BY-RENAME"))
        server.poll(page, lambda t: "SAVED-BY-RENAME" in t, "the rename save")

        # 3. saved mid-edit with a YAML error: banner, last good page still served
        acme.write_text(original.replace("grade: A", "grade: [A"), encoding="utf-8")
        broken = server.poll(page, lambda t: "crmgen-problems" in t, "the error banner")
        assert "SAVED-BY-RENAME" in broken  # the last good version of the page
        assert "clients/acme-trading.md:" in broken and "error:" in broken
        home = server.get("index.html")
        assert "crmgen-problems" in home  # on every page
        errors = server.status()["errors"]
        assert len(errors) == 1 and errors[0].startswith("clients/acme-trading.md:")
        assert "clients/acme-trading.md:" in server.output  # and in the terminal
        if browser is not None:
            browser.wait_for_selector("#crmgen-problems", state="visible", timeout=TIMEOUT * 1000)
            assert "clients/acme-trading.md:4:" in browser.inner_text("#crmgen-problems")
            assert "SAVED-BY-RENAME" in browser.inner_text("body")
            assert all(u.startswith(server.url) for u in requests), requests  # nothing external

        # 4. fixed: the banner goes, the new text shows
        acme.write_text(original.replace("in the morning", "FIXED-AGAIN"), encoding="utf-8")
        fixed = server.poll(page, lambda t: "FIXED-AGAIN" in t and "crmgen-problems" not in t, "the fix")
        assert "SAVED-BY-RENAME" not in fixed
        assert server.status()["errors"] == []

        # 5. a build that fails (a broken Jinja template) keeps serving the last site
        template = small / "templates" / "client.md.j2"
        template.write_text("{% if %}\n", encoding="utf-8")
        failing = server.poll(page, lambda t: "crmgen-problems" in t, "the build-failure banner")
        assert "FIXED-AGAIN" in failing and "client.md.j2:1:" in failing
        template.unlink()
        server.poll(page, lambda t: "crmgen-problems" not in t, "recovery after the template is removed")
        assert server.proc.poll() is None

        code = server.stop(signal.SIGINT)
    finally:
        server.kill()
    assert code == 0, server.output
    assert "Traceback" not in server.output and "KeyboardInterrupt" not in server.output
    assert "client.md.j2:1:" in server.output
    assert "page of acme-trading updated in" in server.output  # the quick preview before the rebuild
    assert server.output.rstrip().endswith("crmgen serve: stopped")
    assert not list(small.glob(".site.crmgen-*"))  # no temporary build left behind


@pytest.mark.slow
def test_quick_page_update_then_the_whole_site_when_saves_pause(small):
    acme = small / "clients" / "acme-trading.md"
    original = acme.read_text(encoding="utf-8")
    assert "name: Acme Trading Co." in original
    server = Serving(small)
    try:
        server.poll("clients/acme-trading/index.html", lambda t: "Acme Trading Co." in t, "the first build")
        deadline = time.monotonic() + TIMEOUT
        while "page of acme-trading updated" not in server.output:
            # the loaded session is made just after the first build: save until it is used
            assert time.monotonic() < deadline, server.output
            n = server.output.count("changed: clients/acme-trading.md")
            acme.write_text(original.replace("name: Acme Trading Co.", f"name: Acme RENAMED-{n} Co."),
                            encoding="utf-8")
            server.poll("clients/acme-trading/index.html", lambda t, n=n: f"RENAMED-{n}" in t, "the new page")
            time.sleep(0.3)
        renamed = re.findall(r"RENAMED-\d+", acme.read_text(encoding="utf-8"))[0]
        # the all-clients list follows once the saves pause (serve's DEFER seconds)
        listing = server.poll("clients/index.html", lambda t: renamed in t, "the whole rebuild")
        assert "Acme Trading Co." not in listing
        # The new listing is published a moment before the build says it is done (it still
        # saves its state): stopping in between would interrupt it, so wait for its word.
        quick = server.output.index("page of acme-trading updated")
        while "built " not in server.output[quick:]:
            assert time.monotonic() < deadline + TIMEOUT, server.output
            time.sleep(0.05)
        code = server.stop(signal.SIGINT)
    finally:
        server.kill()
    assert code == 0, server.output
    assert "built " in server.output[quick:]  # the deferred build ran after the quick update


@pytest.mark.slow
def test_sigterm_during_the_first_build_stops_cleanly(small):
    server = Serving(small)
    try:
        code = server.stop(signal.SIGTERM)
    finally:
        server.kill()
    assert code == 0, server.output
    assert "Traceback" not in server.output
    assert server.output.rstrip().endswith("crmgen serve: stopped")
    assert not list(small.glob(".site.crmgen-*"))
