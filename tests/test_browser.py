"""The built site in a real browser: headless Debian chromium driven by Playwright.

The site is built once (module fixture) from tests/projects/small and served by
http.server on 127.0.0.1. Screenshots go to tests/artifacts/ (git-ignored).
Without chromium the tests skip, except on CI (``CI`` set) where they fail.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
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


# --- The sample project (Chinese contacts), its search, its 404 page, what it loads (#22) -------

REPO = Path(__file__).resolve().parent.parent
HAN = __import__("re").compile(r"^[\u4e00-\u9fff]{2,4}$")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The repository's sample project built once: (site dir, book, base URL over HTTP).

    The server answers a missing path with the site's 404 page, as static hosts do.
    """
    _need_browser()
    root = tmp_path_factory.mktemp("sample") / "project"
    shutil.copytree(REPO / "clients", root / "clients")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    project = load_project(root)
    book = load_book(project)
    site = build_site(project, book.clients, today=dt.date(2026, 6, 15)).site_dir

    class NotFound(_Quiet):
        def send_error(self, code, message=None, explain=None):
            if code != 404:
                return super().send_error(code, message, explain)
            body = (site / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(NotFound, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site, book, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _results(w: Watch, query: str) -> tuple[str, list[str], str]:
    """Search ``query`` from a fresh page: (the result count line, the result links in order, their text)."""
    w.page.keyboard.press("/")
    w.page.locator("input.md-search__input").fill(query)
    w.page.keyboard.press("End")
    meta = w.page.locator(".md-search-result__meta")
    w.page.wait_for_function(
        "q => document.querySelector('.md-search-result__meta').textContent.includes('matching')"
        " && document.querySelector('input.md-search__input').value === q", arg=query, timeout=15_000)
    w.page.wait_for_timeout(200)  # the result list follows its count line
    links = [a.get_attribute("href") or "" for a in w.page.locator(".md-search-result__item > a").all()]
    return meta.inner_text(), links, w.page.locator(".md-search-result").inner_text()


def _page_of(href: str) -> str:
    return href.split("?")[0].split("#")[0].rsplit("/clients/", 1)[-1].removesuffix("/index.html")


def _files_text(book) -> dict[str, str]:
    return {c.slug: (REPO / c.path).read_text(encoding="utf-8") for c in book.clients}


def test_a_contacts_full_chinese_name_finds_their_client_first(sample, browser):
    site, book, base = sample
    files = _files_text(book)
    # Every Chinese contact name that appears in one client's file only: that client is the answer.
    names = sorted({(p.name, c.slug) for c in book.clients for p in c.contacts
                    if HAN.match(p.name) and [s for s, t in files.items() if p.name in t] == [c.slug]})
    assert len(names) >= 10
    w = Watch(browser)
    try:
        for name, slug in names:
            w.open(base + "index.html")
            meta, links, _ = _results(w, name)
            assert links and _page_of(links[0]) == slug, (name, slug, meta, links)
        assert w.errors == []
    finally:
        w.close()


def test_a_chinese_name_found_nowhere_finds_nothing(sample, browser):
    site, book, base = sample
    text = "".join(_files_text(book).values()) + (site / "search" / "search_index.json").read_text(encoding="utf-8")
    surnames = sorted({p.name[0] for c in book.clients for p in c.contacts if HAN.match(p.name)})
    # Real surnames with given names no contact has: each shares its first character with a contact.
    made_up = [s + given for s in surnames[:6] for given in ("小明", "建华") if s + given not in text]
    assert len(made_up) >= 6
    w = Watch(browser)
    try:
        for name in made_up:
            w.open(base + "index.html")
            meta, links, _ = _results(w, name)
            assert links == [], (name, meta, links)
        assert w.errors == []
    finally:
        w.close()


def test_search_shows_no_zero_width_spaces_but_indexes_with_them(sample, browser):
    site, book, base = sample
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    assert any("\u200b" in d["text"] for d in docs)  # jieba's segmentation, which the browser's index splits on
    w = Watch(browser)
    try:
        for query in ("润滑油", "周建国", "warehouse"):
            w.open(base + "index.html")
            meta, links, shown = _results(w, query)
            assert links, query
            assert "\u200b" not in shown, query
            w.shot(f"search-{query}")
        # The client's name is shown whole, and the query is what is highlighted.
        w.open(base + "index.html")
        _results(w, "周建国")
        marks = {m.inner_text() for m in w.page.locator(".md-search-result mark").all()}
        assert marks == {"周建国"}, marks
        assert w.errors == []
    finally:
        w.close()


def test_chinese_search_ranks_the_same_from_file_urls(sample, browser):
    site, book, _ = sample
    w = Watch(browser)
    try:
        for name, slug in (("周建国", "huadong-runhuayou"), ("陈国富", "chengxin-qipei")):
            w.open((site / "index.html").as_uri())
            meta, links, shown = _results(w, name)
            assert links and _page_of(links[0]) == slug, (name, meta, links)
            assert "\u200b" not in shown
        assert w.hosts <= {"file"}, w.hosts
        assert w.errors == []
    finally:
        w.close()


def _styled(w: Watch) -> bool:
    """Material's stylesheet applies: its header is a fixed bar, not an unstyled block."""
    return w.page.evaluate("getComputedStyle(document.querySelector('.md-header')).position") == "sticky"


def test_the_404_page_works_from_file_urls_and_at_any_missing_address(sample, browser):
    site, _, base = sample
    for url in ((site / "404.html").as_uri(), base + "no-such-page.html", base + "clients/gone/index.html"):
        w = Watch(browser)
        failed: list[str] = []
        found: set[str] = set()
        w.page.on("requestfailed", lambda r, failed=failed: failed.append(r.url))
        w.page.on("response", lambda r, failed=failed, found=found, url=url: r.url != url and (
            failed.append(r.url) if r.status >= 400 else found.add(r.url)))
        try:
            w.open(url)
            # At a deeper missing address Chromium's preload scanner asks for the relative URLs
            # before the page's script sets their base; the page then loads each from the root.
            assert [u for u in failed if base + u.split("/assets/", 1)[-1].join(["assets/", ""]) not in found
                    or "/assets/" not in u] == [], (url, failed)
            assert _styled(w), url
            assert w.page.locator("article h1").inner_text().startswith("404")
            # Its links lead to the site: the dashboard from the nav.
            w.page.locator("a.md-header__button.md-logo").click()
            w.page.wait_for_load_state()
            assert w.page.locator("article h1").first.inner_text().strip() == "Dashboard", url
            assert w.errors == [] or url.startswith("http"), (url, w.errors)  # the 404 response itself is logged
        finally:
            w.close()


def test_every_shipped_asset_is_requested_and_every_request_found(sample, browser):
    """What the pages ask for, over HTTP and from file://, with a search on each: the site ships
    nothing else (robots.txt and calendars aside), and nothing asked for is missing."""
    site, _, base = sample
    kinds = ["index.html", "clients/index.html", "clients/huadong-runhuayou/index.html", "reminders/index.html",
             "reminders/wanglei.html", "lists/tag.html", "format.html", "receivables.html", "404.html"]
    asked: set[str] = set()
    failed: list[str] = []
    for root in (base, site.as_uri() + "/"):
        w = Watch(browser)
        w.page.on("request", lambda r, root=root: asked.add(r.url.split("?")[0].removeprefix(root)))
        w.page.on("requestfailed", lambda r: failed.append(r.url))
        w.page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
        try:
            for page in kinds:
                w.open(root + page)
                _results(w, "润滑油")
        finally:
            w.close()
    assert failed == []
    shipped = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    not_for_pages = {f for f in shipped if f.endswith((".html", ".ics"))} | {
        "robots.txt", "sitemap.xml", "sitemap.xml.gz", ".crmgen-site"}
    assert sorted(shipped - not_for_pages - asked) == []
    assert {"search/search_index.json", "search/search_index.js"} <= asked  # http, file://


def test_the_dashboard_opens_on_what_to_do_today_on_a_phone(served, browser):
    """At 390 px the first table under the counts is today's list, each card with a call link (#19)."""
    w = Watch(browser, width=390, height=844)
    try:
        w.open(served + "index.html")
        first = w.page.locator("article table").first
        assert first.locator("caption").inner_text().startswith("To do today")
        assert first.locator("tbody tr").first.evaluate("e => getComputedStyle(e).display") == "block"
        tel = first.locator('a[href^="tel:"]')
        assert tel.count() >= 1 and tel.first.is_visible()
        box = tel.first.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
        assert first.locator('a[href^="mailto:"]').count() >= 1
        w.shot("dashboard-phone")
        assert w.errors == []
    finally:
        w.close()
