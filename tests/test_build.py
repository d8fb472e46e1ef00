"""``crmgen build`` end to end: real MkDocs builds of a fixture project, asserted on the HTML.

MkDocs builds take a few seconds, so one site is built per module (in a real git
repository with commits by two authors) and shared by most tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from html import unescape as html_unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.format.errors import CrmgenError
from crmgen.render import publish

FIXTURE = Path(__file__).parent / "projects" / "small"
TODAY = "2026-06-15"


def git(root: Path, *args: str, author: str = "Alice Wang", when: str = "2026-01-05T09:00:00+08:00") -> None:
    email = author.split()[0].lower() + "@example.com"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def copy_fixture(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest)
    return dest


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The fixture project in git (Alice adds Acme as B, Bob moves it to A), built once."""
    root = copy_fixture(tmp_path_factory.mktemp("build") / "crm")
    acme = root / "clients" / "acme-trading.md"
    final = acme.read_text(encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    acme.write_text(final.replace("grade: A", "grade: B"), encoding="utf-8")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "Add the first clients")
    acme.write_text(final, encoding="utf-8")
    git(root, "commit", "-q", "-am", "Acme moves up to A after the big order", author="Bob Li",
        when="2026-03-20T10:00:00+08:00")
    code, _, err = run("-C", str(root), "build", "--today", TODAY)
    assert code == 0, err
    assert "Built 3 client pages into" in err
    return root


def html(root: Path, page: str) -> str:
    return (root / "site" / page).read_text(encoding="utf-8")


def article(text: str) -> str:
    """The page's own content, without Material's header, nav and footer."""
    match = re.search(r"<article[^>]*>(.*?)</article>", text, re.DOTALL)
    assert match, "no <article> in the page"
    return match.group(1)


def test_site_layout(built):
    site = built / "site"
    for page in ("index.html", "reminders/index.html", "reminders/reminders.ics", "reminders/alice-wang.html",
                 "clients/index.html", "clients/acme-trading/index.html", "clients/shanghai-runhuayou/index.html",
                 "lists/grade.html", "lists/owner.html", "lists/tag.html", "lists/stage.html",
                 "search/search_index.json", "search/search_index.js", "assets/crmgen/pages.css", publish.MARKER):
        assert (site / page).is_file(), page
    assert (built / ".crmgen" / "docs" / "clients" / "acme-trading" / "index.md").is_file()
    assert not list(built.glob(".site.crmgen-*")), "temporary build directories left behind"
    # Nothing written into the clients or anywhere else in the project.
    assert sorted(p.name for p in built.iterdir()) == [".crmgen", ".git", "clients", "mkdocs.yml", "site"]
    assert sorted(p.name for p in (built / "clients").iterdir()) == [
        "acme-trading.md", "shanghai-runhuayou.md", "xss-test.md"]


def test_client_page_html(built):
    page = article(html(built, "clients/acme-trading/index.html"))
    assert "<h1" in page and "Acme Trading Co." in page
    assert '<a href="mailto:buyer@acme.example.com">' in page
    assert "<del>Old Zhang</del>" in page
    assert "<strong>second warehouse</strong>" in page  # Markdown in the interaction renders
    assert '<table>' in page and "¥150,000" in page
    assert 'class="crmgen-steps"' in page


def test_audit_trail_from_a_real_repository(built):
    page = article(html(built, "clients/acme-trading/index.html"))
    assert "Last changed by <strong>Bob Li</strong> on 2026-03-20: Acme moves up to A after the big order" in page
    timeline = page[page.index('class="crmgen-timeline"'):]
    assert timeline.index("2026-01-05") < timeline.index("2026-03-20")
    assert 'crmgen-grade--B">B</span> → <span class="crmgen-grade crmgen-grade--A">A</span>' in timeline
    assert '<td data-label="Author">Alice Wang</td>' in page and '<td data-label="Author">Bob Li</td>' in page


def test_nav_lists_index_pages_only(built):
    text = html(built, "index.html")
    links = re.findall(r'<a href="([^"]*)" class="md-nav__link', text)
    assert {"clients/index.html", "lists/grade.html", "reminders/alice-wang.html"} <= set(links)
    assert not [link for link in links if "acme-trading" in link]


def test_links_between_pages_resolve(built):
    site = built / "site"
    for page in ("index.html", "clients/index.html", "reminders/index.html", "lists/tag.html",
                 "clients/acme-trading/index.html"):
        for href in re.findall(r'href="([^"#?:]+\.html)"', html(built, page)):
            assert (site / page).parent.joinpath(href).resolve().is_file(), (page, href)


def test_no_external_requests(built):
    for path in (built / "site").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, path
        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', text), path


def test_xss_is_inert_everywhere_including_the_search_index(built):
    site = built / "site"
    for path in [*site.rglob("*.html"), site / "search" / "search_index.json", site / "search" / "search_index.js"]:
        text = path.read_text(encoding="utf-8")
        for bad in ("<script>alert", "<img src=x", "<svg onload", "<b>Mallory", 'href="javascript'):
            assert bad not in text, (path, bad)
    title = re.search(r"<title>(.*?)</title>", html(built, "clients/xss-test/index.html"), re.DOTALL).group(1)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in title
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    titles = [d["title"] for d in index["docs"] if d["location"] == "clients/xss-test/index.html"]
    assert titles == ["&lt;script&gt;alert(1)&lt;/script&gt;"]


def test_search_index_segments_chinese(built):
    index = json.loads((built / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "\\u200b" in index["config"]["separator"]
    page = next(d for d in index["docs"] if d["location"] == "clients/shanghai-runhuayou/index.html")
    assert "\u200b润滑油\u200b" in page["title"]


def test_calendar_file_is_served_beside_the_reminders(built):
    ics = (built / "site" / "reminders" / "reminders.ics").read_bytes()
    assert ics.startswith(b"BEGIN:VCALENDAR") and b"BEGIN:VEVENT" in ics
    assert 'href="reminders.ics"' in html(built, "reminders/index.html")


def test_rebuild_is_deterministic_and_incremental(built, tmp_path):
    docs = built / ".crmgen" / "docs"
    before = {p: p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()}
    other = tmp_path / "site2"
    # The installed command, as a real process.
    exe = shutil.which("crmgen")
    cmd = [exe] if exe else [sys.executable, "-m", "crmgen"]
    proc = subprocess.run([*cmd, "-C", str(built), "build", "--today", TODAY, "-d", str(other)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    after = {p: p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()}
    assert after == before  # nothing rewritten: same input, same tree
    first = {p.relative_to(built / "site"): p.read_bytes() for p in (built / "site").rglob("*") if p.is_file()}
    second = {p.relative_to(other): p.read_bytes() for p in other.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    differ = [str(p) for p in first if first[p] != second[p]]
    assert differ == []


def test_errors_stop_the_build_unless_keep_going(tmp_path):
    root = copy_fixture(tmp_path / "crm")
    (root / "clients" / "broken.md").write_text("---\nname: Broken\ngrade: Z\n---\n", encoding="utf-8")
    code, _, err = run("-C", str(root), "build", "--today", TODAY)
    assert code == 1
    assert "clients/broken.md:3:" in err and "not building" in err
    assert not (root / "site").exists()

    code, _, err = run("-C", str(root), "build", "--today", TODAY, "--keep-going")
    assert code == 0, err
    assert "1 broken file left out" in err
    assert "clients/broken.md" in article(html(root, "index.html"))
    assert not (root / "site" / "clients" / "broken").exists()
    # Outside git the client page says so, and the build still works.
    assert "No change history" in html(root, "clients/acme-trading/index.html")


@pytest.mark.parametrize("where", [".", "clients", "templates", ".."])
def test_site_dir_that_would_wipe_the_crm_is_refused(tmp_path, where):
    root = copy_fixture(tmp_path / "crm")
    (root / "templates").mkdir()
    code, _, err = run("-C", str(root), "build", "-d", str(root / where))
    assert code == 2
    assert "refusing to build the site into" in err
    assert (root / "clients" / "acme-trading.md").is_file()


def test_foreign_non_empty_dir_is_refused(tmp_path):
    root = copy_fixture(tmp_path / "crm")
    other = tmp_path / "report"
    other.mkdir()
    (other / "q3.xlsx").write_bytes(b"numbers")
    code, _, err = run("-C", str(root), "build", "-d", str(other))
    assert code == 2 and "was not built by crmgen" in err
    assert (other / "q3.xlsx").read_bytes() == b"numbers"


def test_failed_build_leaves_the_previous_site_whole(built, monkeypatch):
    from crmgen.render import build as site_mod

    before = html(built, "index.html")

    def explode(*args, **kwargs):
        raise CrmgenError("MkDocs could not build the site: boom")

    monkeypatch.setattr(site_mod, "run_mkdocs", explode)
    code, _, err = run("-C", str(built), "build", "--today", "2026-07-01")
    assert code == 1 and "boom" in err
    assert html(built, "index.html") == before
    assert not list(built.glob(".site.crmgen-*"))


def test_build_help_documents_the_options():
    code, out, _ = run("build", "--help")
    assert code == 0
    for option in ("--today", "--site-dir", "--strict", "--keep-going"):
        assert option in out


def test_today_is_a_date():
    code, _, err = run("build", "--today", "next week")
    assert code == 2 and "Invalid value for '--today'" in err


def test_sitemap_has_no_build_clock(built):
    sitemap = (built / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert dt.date.today().isoformat() not in sitemap or dt.date.today().isoformat() == TODAY


@pytest.mark.slow
def test_sample_project_builds_strictly(tmp_path):
    """The sample clients in the repository build with --strict (MkDocs warnings fail)."""
    repo = Path(__file__).parent.parent
    root = tmp_path / "samples"
    shutil.copytree(repo / "clients", root / "clients")
    shutil.copy(repo / "mkdocs.yml", root / "mkdocs.yml")
    code, _, err = run("-C", str(root), "build", "--today", "2026-11-23", "--strict")
    assert code == 0, err
    slugs = sorted(p.stem for p in (root / "clients").glob("*.md"))
    built = sorted(p.parent.name for p in (root / "site" / "clients").glob("*/index.html"))
    assert built == slugs
    assert "mkdocs: warning" not in err
    from crmgen.load.book import load_book
    from crmgen.load.project import load_project

    for client in load_book(load_project(root)).clients:
        page = article((root / "site" / "clients" / client.slug / "index.html").read_text(encoding="utf-8"))
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.DOTALL).group(1)
        assert html_unescape(heading.strip()) == client.name
        assert "## " not in page  # every Markdown heading was rendered


def test_strict_fails_on_mkdocs_warnings(tmp_path):
    root = copy_fixture(tmp_path / "crm")
    (root / "templates").mkdir()
    (root / "templates" / "clients.md.j2").write_text("# Clients\n\nSee [the list](missing.md).\n", encoding="utf-8")
    code, _, err = run("-C", str(root), "build", "--today", TODAY, "--strict")
    assert code == 1
    assert "MkDocs could not build the site" in err and "missing.md" in err
    assert not (root / "site").exists()
    assert not list(root.glob(".site.crmgen-*"))


def test_progress_is_shown_on_a_terminal(tmp_path, monkeypatch):
    from crmgen.cli import build as build_cli

    root = copy_fixture(tmp_path / "crm")
    monkeypatch.setattr(build_cli, "PROGRESS_FROM", 1)
    monkeypatch.setattr(build_cli, "_stderr_is_tty", lambda: True)
    calls = []

    def fake_build_site(project, clients, *, progress=None, **kwargs):
        for i in range(1, len(clients) + 1):
            progress(i)
        calls.append(len(clients))
        raise CrmgenError("stop here")

    monkeypatch.setattr("crmgen.render.build.build_site", fake_build_site)
    code, _, err = run("-C", str(root), "build", "--today", TODAY)
    assert calls == [3] and code == 1
    assert "Rendering client pages: 3/3" in err and "Building the site with MkDocs" in err
