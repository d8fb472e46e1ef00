"""An incremental build gives the same site as a full one, byte for byte (search index included)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.render.build import build_site
from tests.conftest import write_client

TODAY = dt.date(2026, 11, 23)


def client_text(name: str, grade: str = "B", *, referred_by: str | None = None, extra: str = "") -> str:
    ref = f"referred_by: {referred_by}\n" if referred_by else ""
    return (f"---\nname: {name}\ngrade: {grade}\nstage: customer\nowner: 王磊\n{ref}"
            "orders:\n  - {date: 2026-09-01, amount: 5000, paid: 1000, pay_by: 2026-10-01}\n"
            f"---\n## 2026-11-01 visit: 拜访 {name}\nNext: 2026-11-25 send quote\n{extra}")


def build(root: Path, site: Path, *, full: bool = False):
    project = load_project(root)
    book = load_book(project)
    assert not book.has_errors, [p.format() for p in book.problems]
    return build_site(project, book.clients, today=TODAY, site_dir=site, full=full)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def book(project: Path) -> Path:
    write_client(project, "alpha", client_text("Alpha Trading"))
    write_client(project, "beta", client_text("华东润滑油", "A", referred_by="alpha"))
    write_client(project, "gamma", client_text("Gamma Foods", "C", referred_by="beta"))
    write_client(project, "delta", client_text("Delta Parks", "D"))
    return project


def test_incremental_builds_equal_a_full_build(book: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = build(book, site)
    assert not first.incremental and first.rendered == 4

    # an appended interaction: that client's page and beta's, which lists gamma as its referral
    path = book / "clients" / "gamma.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-20 call: 回访 payment\n", encoding="utf-8")
    second = build(book, site)
    assert second.incremental and second.rendered == 2

    # a new client and a deleted one
    write_client(book, "epsilon", client_text("Epsilon 保险", "E", referred_by="alpha"))
    (book / "clients" / "delta.md").unlink()
    third = build(book, site)
    assert third.incremental and third.rendered == 2  # epsilon, and alpha who now has a referral

    # a renamed referrer: the pages that show its name change with it
    path = book / "clients" / "alpha.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Alpha Trading", "Alpha 贸易"), encoding="utf-8")
    fourth = build(book, site)
    assert fourth.incremental and fourth.rendered == 3  # alpha, and beta and epsilon it referred
    assert not (site / "clients" / "delta").exists()

    incremental_site = tree(site)
    full_site = tmp_path / "full"
    assert not build(book, full_site, full=True).incremental
    full = tree(full_site)
    assert sorted(incremental_site) == sorted(full)
    for rel in full:
        assert incremental_site[rel] == full[rel], f"{rel} differs after incremental builds"
    import json

    # the inlined copy for file:// is what Material's offline plugin writes
    assert incremental_site["search/search_index.js"] == b"var __index = " + incremental_site["search/search_index.json"]
    docs = json.loads(incremental_site["search/search_index.json"])["docs"]
    index = " ".join(d["title"] + " " + d["text"] for d in docs).replace("\u200b", "")
    for word in ("Alpha 贸易", "Gamma Foods", "Epsilon", "回访"):
        assert word in index
    assert "Delta Parks" not in index


def test_nothing_changed_renders_nothing(book: Path, tmp_path: Path) -> None:
    build(book, tmp_path / "site")
    again = build(book, tmp_path / "site")
    assert again.incremental and again.rendered == 0 and again.written == 0


def test_nothing_changed_leaves_the_build_as_it_was_and_the_site_whole(book: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(book, site)
    build_dir = book / ".crmgen" / "site-build"
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in build_dir.rglob("*") if p.is_file()}
    published = tree(site)
    build(book, site)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in build_dir.rglob("*") if p.is_file()} == before
    assert tree(site) == published
    import shutil

    shutil.rmtree(site)  # a site deleted by hand comes back from an unchanged build
    build(book, site)
    assert tree(site) == published


def test_a_deleted_client_leaves_no_file_behind_in_the_docs_tree(book: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(book, site)
    docs = book / ".crmgen" / "docs"
    assert (docs / "clients" / "delta" / "index.md").is_file()
    (book / "clients" / "delta.md").unlink()
    assert build(book, site).deleted >= 1
    assert not (docs / "clients" / "delta").exists()
    incremental_docs = tree(docs)
    build(book, tmp_path / "full", full=True)
    assert tree(docs) == incremental_docs


def test_a_new_day_rebuilds_everything_it_touches(book: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(book, site)
    project = load_project(book)
    result = build_site(project, load_book(project).clients, today=TODAY + dt.timedelta(days=1), site_dir=site)
    assert result.rendered == 4  # every client page shows days relative to today


def test_published_files_are_never_written_in_place(book: Path, tmp_path: Path) -> None:
    """The site being served keeps its old files whole while the next build runs."""
    site = tmp_path / "site"
    build(book, site)
    served = site / "clients" / "gamma" / "index.html"
    old_inode, old_bytes = served.stat().st_ino, served.read_bytes()
    handle = open(served, "rb")  # a web server in the middle of sending the page
    path = book / "clients" / "gamma.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-21 call: new text here\n", encoding="utf-8")
    build(book, site)
    assert handle.read() == old_bytes
    handle.close()
    assert b"new text here" in served.read_bytes() and served.stat().st_ino != old_inode


def test_interrupted_build_makes_the_next_one_full(book: Path, tmp_path: Path, monkeypatch) -> None:
    import crmgen.render.build as site_mod

    site = tmp_path / "site"
    build(book, site)

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(site_mod, "run_mkdocs", explode)
    path = book / "clients" / "gamma.md"  # a change: MkDocs has a page to build
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-21 call: interrupted\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        build(book, site)
    monkeypatch.undo()
    assert not build(book, site).incremental


def test_changed_template_rebuilds_every_page(book: Path, tmp_path: Path) -> None:
    from importlib import resources

    site = tmp_path / "site"
    build(book, site)
    (book / "templates").mkdir(exist_ok=True)
    source = resources.files("crmgen").joinpath("templates", "client.md.j2").read_text(encoding="utf-8")
    (book / "templates" / "client.md.j2").write_text(source + "\nCustom footer\n", encoding="utf-8")
    result = build(book, site)
    assert result.rendered == 4
    assert b"Custom footer" in (site / "clients" / "alpha" / "index.html").read_bytes()


def test_calendar_events_are_reused_across_builds(book: Path, tmp_path: Path) -> None:
    import crmgen.render.ics as ics

    site = tmp_path / "site"
    build(book, site)
    calendar = (site / "reminders" / "reminders.ics").read_bytes()
    # a build in which no calendar changes must not forget the events for the next one
    path = book / "clients" / "alpha.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA note that moves no reminder.\n", encoding="utf-8")
    build(book, site)
    assert (site / "reminders" / "reminders.ics").read_bytes() == calendar
    serialised = []
    original = ics.event
    try:
        ics.event = lambda r, uid, **kw: serialised.append(r) or original(r, uid, **kw)
        path = book / "clients" / "delta.md"
        path.write_text(path.read_text(encoding="utf-8").replace("paid: 1000", "paid: 2000"), encoding="utf-8")
        build(book, site)
    finally:
        ics.event = original
    assert serialised and all(r.client == "delta" for r in serialised)
    assert (site / "reminders" / "reminders.ics").read_bytes() != calendar
    full = tmp_path / "full"
    build(book, full, full=True)
    assert (site / "reminders" / "reminders.ics").read_bytes() == (full / "reminders" / "reminders.ics").read_bytes()


def test_calendar_events_serialised_in_a_second_process_give_the_same_feeds(
    book: Path, tmp_path: Path, monkeypatch
) -> None:
    import crmgen.render.ics as ics
    from crmgen.accel import events

    plain = tmp_path / "plain"
    build(book, plain, full=True)
    monkeypatch.setattr(events, "PREFILL_MIN", 1)
    in_parent = []
    original = ics.event
    monkeypatch.setattr(ics, "event", lambda r, uid, **kw: in_parent.append(r) or original(r, uid, **kw))
    prefilled = tmp_path / "prefilled"
    build(book, prefilled, full=True)
    assert in_parent == []  # every event came from the forked process
    feeds = sorted(p.relative_to(plain) for p in plain.rglob("*.ics"))
    assert feeds
    for rel in feeds:
        assert (prefilled / rel).read_bytes() == (plain / rel).read_bytes()


def test_fingerprint_depends_on_values_not_on_shared_objects() -> None:
    from crmgen.render.tree import fingerprint

    tag = "".join(["lubri", "cants"])  # a distinct but equal string object
    shared = ("lubricants", "lubricants")
    separate = ("lubricants", tag)
    assert shared[0] is shared[1] and separate[0] is not separate[1]
    assert fingerprint(shared) == fingerprint(separate)
    assert fingerprint(("a",)) != fingerprint(("b",))


def test_second_build_after_a_fresh_one_renders_nothing(book: Path, tmp_path: Path) -> None:
    """The first build parses the files, the second reads them from the cache: same pages."""
    import shutil

    shutil.rmtree(book / ".crmgen", ignore_errors=True)
    build(book, tmp_path / "site")
    again = build(book, tmp_path / "site")
    assert again.incremental and again.rendered == 0


def test_a_changed_theme_override_or_hook_rebuilds_every_page(book: Path, tmp_path: Path) -> None:
    """Files of the project's theme.custom_dir and its own MkDocs hooks are read for every page:
    after a change to one, the site is the one a full build makes."""
    overrides = book / "overrides"
    overrides.mkdir()
    (overrides / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}{{ super() }}<p>first</p>{% endblock %}\n', encoding="utf-8")
    (book / "hooks.py").write_text("def on_page_content(html, **kwargs):\n    return html + '<p>hook 1</p>'\n",
                                   encoding="utf-8")
    config = book / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8")
                      + "\ntheme:\n  name: material\n  custom_dir: overrides\nhooks:\n  - hooks.py\n", encoding="utf-8")
    site = tmp_path / "site"
    assert not build(book, site).incremental
    assert build(book, site).incremental  # nothing changed
    page = site / "clients" / "alpha" / "index.html"
    assert b"<p>first</p>" in page.read_bytes() and b"hook 1" in page.read_bytes()
    main = overrides / "main.html"
    main.write_text(main.read_text(encoding="utf-8").replace("first", "second"), encoding="utf-8")
    assert not build(book, site).incremental
    assert b"<p>second</p>" in page.read_bytes()
    # (MkDocs loads a hook module once per process, so this process cannot show the new hook's
    # output; `crmgen build` is a process of its own)
    hooks = book / "hooks.py"
    hooks.write_text(hooks.read_text(encoding="utf-8").replace("hook 1", "hook 2"), encoding="utf-8")
    assert not build(book, site).incremental
    (overrides / "partials").mkdir()
    (overrides / "partials" / "footer.html").write_text("<footer>shadowed</footer>", encoding="utf-8")
    assert not build(book, site).incremental
    build(book, tmp_path / "full", full=True)
    assert tree(site) == tree(tmp_path / "full")
