"""The built site in a real browser: headless Debian chromium driven by Playwright.

The site is built once (module fixture) from tests/projects/small and served by
http.server on 127.0.0.1. Screenshots go to tests/artifacts/ (git-ignored).
Without chromium the tests skip, except on CI (``CI`` set) where they fail.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.render.build import build_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("CRMGEN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FIXTURE = Path(__file__).parent / "projects" / "small"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need_browser() -> None:
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"chromium not found at {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright Python package is not installed"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run on CI: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    """The small fixture project, built once for this module."""
    _need_browser()
    root = tmp_path_factory.mktemp("browser") / "project"
    shutil.copytree(FIXTURE, root)
    project = load_project(root)
    book = load_book(project)
    return build_site(project, book.clients, today=dt.date(2026, 6, 15)).site_dir


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request log in the test output
        pass


@pytest.fixture(scope="module")
def served(site_dir):
    """The built site served over HTTP on 127.0.0.1: yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Watch:
    """A page that records console errors, page errors, dialogs and every host it asked for."""

    def __init__(self, browser, width=1280, height=900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.hosts: set[str] = set()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)

        def request(route):
            from urllib.parse import urlsplit

            url = urlsplit(route.request.url)
            self.hosts.add(url.hostname or url.scheme)
            if url.hostname == "127.0.0.1" or url.scheme in ("data", "blob", "about", "file"):
                route.continue_()
            else:
                route.abort()

        self.page.route("**/*", request)

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="networkidle")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize(
    "path, name, expect",
    [
        ("index.html", "dashboard", "Dashboard"),
        ("clients/acme-trading/index.html", "client", "Acme Trading Co."),
        ("reminders/index.html", "reminders", "Reminders"),
        ("clients/index.html", "clients", "Clients"),
    ],
)
def test_page_renders_offline_without_errors(served, browser, path, name, expect):
    w = Watch(browser)
    try:
        w.open(served + path)
        assert w.page.locator("article h1").first.inner_text().strip() == expect
        w.shot(name)
        assert w.errors == []
        assert w.hosts <= {"127.0.0.1"}, f"requests to other hosts: {w.hosts}"
    finally:
        w.close()


def test_client_page_on_a_phone(served, browser):
    w = Watch(browser, width=390, height=844)
    try:
        w.open(served + "clients/acme-trading/index.html")
        w.shot("client-phone")
        assert w.errors == []
    finally:
        w.close()


def _search(w: Watch, query: str):
    w.page.keyboard.press("/")  # Material's shortcut to focus search
    w.page.locator("input.md-search__input").fill(query)
    w.page.keyboard.press("End")  # Material searches on keyup
    results = w.page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15_000)
    return results


def test_search_finds_a_chinese_client_by_part_of_its_name(served, browser):
    w = Watch(browser)
    try:
        w.open(served + "index.html")
        results = _search(w, "润滑油")
        links = [a.get_attribute("href") or "" for a in w.page.locator(".md-search-result__link").all()]
        w.shot("search-chinese")
        assert any("clients/shanghai-runhuayou/index.html" in href for href in links), links
        assert results.count() >= 1
        assert w.errors == []
    finally:
        w.close()


def test_search_finds_an_english_word(served, browser):
    w = Watch(browser)
    try:
        w.open(served + "index.html")
        _search(w, "warehouse")
        links = [a.get_attribute("href") or "" for a in w.page.locator(".md-search-result__link").all()]
        assert any("clients/acme-trading/index.html" in href for href in links), links
    finally:
        w.close()


def test_xss_client_runs_nothing(served, browser):
    w = Watch(browser)
    try:
        for path in ("clients/xss-test/index.html", "index.html", "clients/index.html", "reminders/index.html",
                     "lists/owner.html", "lists/tag.html"):
            w.open(served + path)
        w.open(served + "clients/xss-test/index.html")
        assert "<script>alert(1)</script>" in w.page.locator("article h1").inner_text()
        assert "<img src=x onerror=alert(1)>" in w.page.locator("article").inner_text()
        assert w.page.locator("article a", has_text="click").count() == 0
        w.shot("xss")
        _search(w, "alert")
        w.page.wait_for_timeout(300)
        w.shot("xss-search")
        assert w.dialogs == []
        assert w.errors == []
    finally:
        w.close()


def test_site_works_from_file_urls(site_dir, browser):
    w = Watch(browser)
    try:
        w.open((site_dir / "index.html").as_uri())
        w.shot("file-dashboard")
        w.open((site_dir / "clients" / "index.html").as_uri())
        w.page.locator("article a", has_text="Acme Trading Co.").first.click()
        w.page.wait_for_load_state()
        assert w.page.url.endswith("/clients/acme-trading/index.html")
        assert w.page.locator("article h1").first.inner_text().strip() == "Acme Trading Co."
        # Search too, through crmgen's local iframe-worker shim.
        _search(w, "润滑油")
        links = [a.get_attribute("href") or "" for a in w.page.locator(".md-search-result__link").all()]
        assert any("clients/shanghai-runhuayou/index.html" in href for href in links), links
        w.shot("file-search")
        assert w.hosts <= {"file"}, f"requests to other hosts: {w.hosts}"
        assert w.errors == []
    finally:
        w.close()


def test_search_with_a_chinese_interface_finds_chinese_and_english(browser, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("  name: material\n", "  name: material\n  language: zh\n"),
                      encoding="utf-8")
    project = load_project(root)
    site = build_site(project, load_book(project).clients, today=dt.date(2026, 6, 15)).site_dir
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    w = Watch(browser)
    try:
        for query, page in (("润滑油", "shanghai-runhuayou"), ("warehouse", "acme-trading")):
            w.open(f"http://127.0.0.1:{server.server_address[1]}/index.html")  # a fresh search box
            _search(w, query)
            links = [a.get_attribute("href") or "" for a in w.page.locator(".md-search-result__link").all()]
            assert any(f"clients/{page}/index.html" in href for href in links), (query, links)
        assert w.errors == []
    finally:
        w.close()
        server.shutdown()
        server.server_close()
