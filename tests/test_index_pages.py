"""Index pages (dashboard, reminders, client lists) kept between builds: rendered again
exactly when something they are made of changed, and then the same as a full build's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crmgen.accel.rowstore import RowStore
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.render import pages as site_pages
from crmgen.render.build import build_site
from crmgen.render.dashboard import dashboard_context
from crmgen.render.tree import KEEP
from tests.conftest import render_with_cache, write_client

TODAY = dt.date(2026, 11, 23)
INDEX = [site_pages.HOME, site_pages.REMINDERS, site_pages.ALL_CLIENTS, *(p for p, _ in site_pages.LISTS.values())]


def client_text(name: str, owner: str = "王磊", grade: str = "B") -> str:
    return (f"---\nname: {name}\ngrade: {grade}\nstage: customer\nowner: {owner}\ntags: [oil]\n"
            "promises:\n  - {by: us, what: send samples, due: 2026-11-20}\n"
            "orders:\n  - {date: 2026-09-01, amount: 86000, paid: 40000, pay_by: 2026-10-31}\n"
            f"---\n## 2026-11-01 visit: 拜访 {name}\nNext: 2026-11-25 send quote\n")


def build(root: Path, site: Path, *, today: dt.date = TODAY, full: bool = False) -> dict[str, bytes]:
    """A build as ``crmgen build`` makes it; the docs tree it leaves."""
    project = load_project(root)
    book = load_book(project, digests=True)
    assert not book.has_errors, [p.format() for p in book.problems]
    build_site(project, book.clients, today=today, site_dir=site, full=full, digest=book.digest)
    docs = root / ".crmgen" / "docs"
    return {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*.md"))}


@pytest.fixture
def book(project: Path) -> Path:
    write_client(project, "alpha", client_text("Alpha Trading"))
    write_client(project, "beta", client_text("Beta Foods", owner="李娜", grade="C"))
    return project


def render(root: Path, docs: Path, old: dict[str, str], calls: list[int] | None = None, clients=None):
    """render_pages with a page cache over ``docs``, as build_site calls it; written like publish does."""
    project = load_project(root)
    clients = clients if clients is not None else load_book(project).clients

    def dashboard(*args):
        if calls is not None:
            calls.append(1)
        return dashboard_context(*args)

    return render_with_cache(project, clients, docs, old, TODAY, dashboard=dashboard)


def test_nothing_changed_renders_no_index_page(book: Path, tmp_path: Path, monkeypatch) -> None:
    import dataclasses

    docs = tmp_path / "docs"
    first, state = render(book, docs, {})
    calls: list[int] = []
    environments: list[object] = []
    make_environment = site_pages.make_environment
    monkeypatch.setattr(site_pages, "make_environment", lambda *a: environments.append(a) or make_environment(*a))
    again, state = render(book, docs, state, calls)
    assert all(again[p] is KEEP for p in INDEX)
    assert calls == [] and environments == []  # not even the dashboard's numbers or the templates
    # one client's grade: every index page lists it, so every one is made again
    clients = [dataclasses.replace(c, grade="A") if c.slug == "beta" else c for c in load_book(load_project(book)).clients]
    after, _ = render(book, docs, state, calls, clients=clients)
    assert all(after[p] is not KEEP for p in INDEX) and calls == [1]
    assert after[site_pages.LISTS["grade"][0]] != first[site_pages.LISTS["grade"][0]]


def test_a_kept_page_is_rendered_when_its_file_is_gone(book: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    first, state = render(book, docs, {})
    (docs / site_pages.ALL_CLIENTS).unlink()
    again, _ = render(book, docs, state)
    assert again[site_pages.ALL_CLIENTS] == first[site_pages.ALL_CLIENTS]


def edit_client(root: Path) -> None:
    path = root / "clients" / "beta.md"
    path.write_text(path.read_text(encoding="utf-8").replace("grade: C", "grade: A"), encoding="utf-8")


def edit_settings(root: Path) -> None:
    (root / "mkdocs.yml").write_text("site_name: Test CRM\nextra:\n  crmgen:\n    currency: \"US$\"\n", encoding="utf-8")


def edit_template(root: Path) -> None:
    source = (site_pages.PACKAGE_TEMPLATES / "list.md.j2").read_text(encoding="utf-8")
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "list.md.j2").write_text(source.replace("# {{ heading }}", "# {{ heading }} (ours)"),
                                                   encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "today", "changed"),
    [
        (edit_client, TODAY, [site_pages.LISTS["grade"][0], site_pages.ALL_CLIENTS, site_pages.HOME]),
        (None, TODAY + dt.timedelta(days=1), [site_pages.HOME, site_pages.REMINDERS]),
        (edit_settings, TODAY, [site_pages.HOME]),
        (edit_template, TODAY, [p for p, _ in site_pages.LISTS.values()]),
    ],
    ids=["client-field", "today", "settings", "template"],
)
def test_every_kind_of_input_changes_the_index_pages(book: Path, tmp_path: Path, edit, today, changed) -> None:
    site = tmp_path / "site"
    before = build(book, site)
    assert build(book, site) == before  # nothing changed: the kept pages are whole
    if edit is not None:
        edit(book)
    incremental = build(book, site, today=today)
    assert [p for p in changed if incremental[p] == before[p]] == []
    assert incremental == build(book, tmp_path / "full-site", today=today, full=True)


def test_rows_of_kept_pages_serve_the_next_edit(book: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(book, site)
    build(book, site)  # nothing changed: no index page is rendered, their rows are kept all the same
    cache = load_project(book).cache_dir
    kept = RowStore.load(cache).rows
    assert {key[1] for key in kept} >= {site_pages.ALL_CLIENTS, site_pages.REMINDERS, site_pages.HOME}
    # Mark the kept rows: only rows that are reused show the mark.
    RowStore(cache).save({key: text.replace("<tr>", "<tr data-kept>") for key, text in kept.items()})
    path = book / "clients" / "beta.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Beta Foods", "Beta Foods 食品"), encoding="utf-8")
    listing = build(book, site)[site_pages.ALL_CLIENTS].decode()
    alpha_row = next(line for line in listing.split("\n<tr") if "Alpha Trading" in line)
    beta_row = next(line for line in listing.split("\n<tr") if "Beta Foods" in line)
    assert "data-kept" in alpha_row and "data-kept" not in beta_row
