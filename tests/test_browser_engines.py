"""The sample project built by each engine (``crmgen build --engine``, #20), in headless Chromium.

Over HTTP and from ``file://``: the pages open without errors, no request leaves the
machine, and search finds a client by a Chinese word and by an English word. The
helpers are tests/test_browser.py's; Zensical's search is its own (a dialog in a
shadow root, opened by the header's button), so it has its own helper here. An
engine that is not installed here is skipped (CI installs them all).
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.render.build import build_site
from tests.test_browser import ARGS, CHROMIUM, REPO, Watch, _need_browser, _page_of, _Quiet, _results
from tests.test_engines import ALL_ENGINES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [
    ("index.html", "Dashboard"),
    ("clients/index.html", "Clients"),
    ("clients/huadong-runhuayou/index.html", "华东润滑油有限公司"),
    ("reminders/index.html", "Reminders"),
]
# A word of one client's file each (besides the format page's example): Chinese, then English.
WORDS = [("润滑油", "huadong-runhuayou"), ("bearings", "oceanview-adventure-park")]


@pytest.fixture(scope="module", params=ALL_ENGINES)
def engine_site(request, tmp_path_factory):
    """The samples built by one engine: (engine, site dir, base URL over HTTP)."""
    _need_browser()
    engine = request.param
    root = tmp_path_factory.mktemp(engine) / "project"
    shutil.copytree(REPO / "clients", root / "clients")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    project = load_project(root)
    site = build_site(project, load_book(project).clients, today=dt.date(2026, 6, 15), engine=engine).site_dir
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield engine, site, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def zensical_results(w: Watch, query: str) -> tuple[str, list[str]]:
    """Search ``query`` in Zensical's search dialog on a fresh page: (its status line, the result links in order)."""
    w.page.locator(".md-search__button").click()
    box = w.page.locator('dialog input[role="combobox"]')
    box.fill(query)
    # The status line says how many results once the query is searched; the list follows it.
    w.page.wait_for_function(
        """q => [...document.querySelectorAll('body > div')].some(d => d.shadowRoot
              && d.shadowRoot.querySelector('input[role=combobox]')?.value === q
              && /result/i.test(d.shadowRoot.querySelector('[role=status]')?.textContent || ''))""",
        arg=query, timeout=15_000)
    w.page.wait_for_timeout(300)
    status = w.page.locator('dialog [role="status"]').inner_text()
    links = [a.get_attribute("href") or "" for a in w.page.locator('dialog [role="listbox"] a[role="option"]').all()]
    return status, links


def search(w: Watch, engine: str, query: str) -> list[str]:
    """The result links for ``query``, in order, with the engine's search box."""
    if engine == "zensical":
        return zensical_results(w, query)[1]
    return _results(w, query)[1]


def _roots(site: Path, base: str) -> list[tuple[str, set[str]]]:
    """Where the site is opened: over HTTP and from file://, each with the hosts it may ask."""
    return [(base, {"127.0.0.1"}), (site.as_uri() + "/", {"file"})]


def test_pages_open_without_errors_or_requests_off_the_machine(engine_site, browser):
    engine, site, base = engine_site
    for root, hosts in _roots(site, base):
        w = Watch(browser)
        try:
            for path, title in PAGES:
                w.open(root + path)
                assert w.page.locator("article h1").first.inner_text().strip().rstrip("¶") == title, (root, path)
                assert w.errors == [], (root, path, w.errors)
            w.open(root + "clients/index.html")
            w.page.locator("article a", has_text="华东润滑油有限公司").first.click()
            w.page.wait_for_load_state()
            assert w.page.url.endswith("/clients/huadong-runhuayou/index.html"), w.page.url
            assert w.hosts <= hosts, f"{engine} from {root}: requests to other hosts: {w.hosts}"
        finally:
            w.close()


def test_search_finds_a_client_by_a_chinese_and_an_english_word(engine_site, browser):
    engine, site, base = engine_site
    for root, hosts in _roots(site, base):
        w = Watch(browser)
        try:
            for word, slug in WORDS:
                w.open(root + "index.html")  # a fresh search box
                links = search(w, engine, word)
                assert slug in [_page_of(link) for link in links], (engine, root, word, links)
            w.shot(f"engine-{engine}-search")
            assert w.errors == [], (root, w.errors)
            assert w.hosts <= hosts, f"{engine} from {root}: requests to other hosts: {w.hosts}"
        finally:
            w.close()
