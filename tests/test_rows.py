"""Index page rows kept between builds (pages.RowMemo): reused exactly when their client is unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from crmgen.accel.rowstore import RowStore, shard_of
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.render import pages as site_pages
from crmgen.render.build import build_site
from tests.conftest import write_client

TODAY = dt.date(2026, 11, 23)


def client_text(name: str, owner: str = "王磊", grade: str = "B") -> str:
    return (f"---\nname: {name}\ngrade: {grade}\nstage: customer\nowner: {owner}\ntags: [oil]\n"
            "promises:\n  - {by: us, what: send samples, due: 2026-11-20}\n"
            f"---\n## 2026-11-01 visit: 拜访 {name}\nNext: 2026-11-25 send quote\n")


def build(root: Path, site: Path, *, full: bool = False):
    """A build as ``crmgen build`` makes it: unchanged clients known by their parse digests."""
    project = load_project(root)
    book = load_book(project, digests=True)
    assert not book.has_errors and book.digests, [p.format() for p in book.problems]
    return build_site(project, book.clients, today=TODAY, site_dir=site, full=full, digest=book.digest)


def rows(root: Path) -> dict:
    return RowStore.load(load_project(root).cache_dir).rows


def keep_rows(root: Path, kept: dict) -> None:
    """Replace the whole row store with ``kept``."""
    RowStore(load_project(root).cache_dir).save(kept)


def test_rows_are_reused_for_unchanged_clients_only(project: Path, tmp_path: Path, monkeypatch) -> None:
    write_client(project, "alpha", client_text("Alpha Trading"))
    write_client(project, "beta", client_text("Beta Foods", owner="李娜"))
    site = tmp_path / "site"
    build(project, site)
    kept = rows(project)
    # every kind of memoised row is there, for both clients
    assert {key[0] for key in kept} >= {"list-row", "clients-row", "reminder-row", "owner-client-row"}
    assert {key[1] for key in kept} >= {"clients/index.md", "reminders/index.md", "lists/grade.md"}

    # Mark alpha's and beta's kept rows: only rows that are reused show the mark.
    marked = {key: text.replace("<tr>", "<tr data-kept>") for key, text in kept.items()}
    keep_rows(project, marked)
    path = project / "clients" / "beta.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Beta Foods", "Beta Foods 食品"), encoding="utf-8")
    build(project, site)
    listing = (project / ".crmgen" / "docs" / "clients" / "index.md").read_text(encoding="utf-8")
    alpha_row = next(line for line in listing.split("\n<tr") if "Alpha Trading" in line)
    beta_row = next(line for line in listing.split("\n<tr") if "Beta Foods" in line)
    assert "data-kept" in alpha_row  # unchanged client: its row came from the memo
    assert "data-kept" not in beta_row and "食品" in beta_row  # edited client: rendered again


def test_incremental_index_pages_equal_full_ones_after_edits(project: Path, tmp_path: Path) -> None:
    for i, name in enumerate(["Alpha Trading", "Beta Foods", "华东润滑油", "Delta Parks"]):
        write_client(project, f"c{i}", client_text(name, owner="王磊" if i % 2 else "李娜", grade="ABCD"[i]))
    site = tmp_path / "site"
    build(project, site)
    # an edit that moves a client to another grade, owner and tag, a deletion and an addition
    path = project / "clients" / "c1.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("grade: B", "grade: A").replace("owner: 王磊", "owner: 张伟")
                    .replace("tags: [oil]", "tags: [food]"), encoding="utf-8")
    (project / "clients" / "c3.md").unlink()
    write_client(project, "c9", client_text("Epsilon 保险", grade="E"))
    build(project, site)
    incremental = {p.relative_to(project).as_posix(): p.read_bytes()
                   for p in sorted((project / ".crmgen" / "docs").rglob("*.md"))}
    build(project, tmp_path / "full-site", full=True)
    full = {p.relative_to(project).as_posix(): p.read_bytes()
            for p in sorted((project / ".crmgen" / "docs").rglob("*.md"))}
    assert incremental == full
    assert "张伟" in incremental[".crmgen/docs/lists/owner.md"].decode()


def test_a_full_build_ignores_kept_rows(project: Path, tmp_path: Path) -> None:
    write_client(project, "alpha", client_text("Alpha Trading"))
    site = tmp_path / "site"
    build(project, site)
    poisoned = {key: text.replace("Alpha Trading", "Stale Name") for key, text in rows(project).items()}
    keep_rows(project, poisoned)
    build(project, site, full=True)
    listing = (project / ".crmgen" / "docs" / "clients" / "index.md").read_text(encoding="utf-8")
    assert "Stale Name" not in listing and "Alpha Trading" in listing


def test_memo_without_a_row_memo_renders_the_macro() -> None:
    calls = []

    def macro(item, *args):
        calls.append((item, args))
        return "<tr>x</tr>\n"

    site = site_pages.SiteContext(today=TODAY, title="CRM", page="clients/index.md", settings=None,  # type: ignore[arg-type]
                                  views=None)  # type: ignore[arg-type]
    assert site.memo("clients-row", macro, "anything", 1) == "<tr>x</tr>\n"
    assert calls == [("anything", (1,))]


def test_owner_pages_and_calendars_follow_their_clients_only(project: Path, tmp_path: Path) -> None:
    write_client(project, "alpha", client_text("Alpha Trading", owner="王磊"))
    write_client(project, "beta", client_text("Beta Foods", owner="李娜"))
    site = tmp_path / "site"
    build(project, site)
    docs = project / ".crmgen" / "docs" / "reminders"
    owners = {p.stem: p for p in docs.glob("*.ics") if p.stem != "reminders"}
    assert len(owners) == 2
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in docs.iterdir()}
    path = project / "clients" / "beta.md"
    path.write_text(path.read_text(encoding="utf-8").replace("2026-11-25", "2026-11-26"), encoding="utf-8")
    build(project, site)
    after = {p.name: (p.stat().st_ino, p.read_bytes()) for p in docs.iterdir()}
    changed = {name for name in before if before[name] != after[name]}
    beta_owner = next(stem for stem in owners if "Beta Foods" in (docs / f"{stem}.md").read_text(encoding="utf-8"))
    # the team's page and calendar, and beta's owner's page and calendar; not alpha's owner's
    assert changed == {"index.md", "reminders.ics", f"{beta_owner}.md", f"{beta_owner}.ics"}


def test_kept_plans_follow_the_settings_and_the_files(project: Path, tmp_path: Path) -> None:
    from crmgen.accel.rowstore import PLANS

    def built(full: bool = False) -> dict[str, bytes]:
        build(project, tmp_path / ("full" if full else "site"), full=full)
        docs = project / ".crmgen" / "docs"
        return {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*.md"))}

    write_client(project, "alpha", client_text("Alpha Trading"))
    write_client(project, "beta", client_text("Beta Foods", owner="李娜"))
    built()
    kept = load_project(project).cache_dir / PLANS
    assert (kept / "key").is_file() and list(kept.glob("*.pickle"))
    # settings change every client's reminders: the kept plans must not answer
    (project / "mkdocs.yml").write_text("site_name: Test CRM\nextra:\n  crmgen:\n    cadence: {B: 3}\n",
                                        encoding="utf-8")
    incremental = built()
    assert "every 3 days" in incremental["reminders/index.md"].decode()
    assert incremental == built(full=True)
    # and an edit changes that client's reminders only
    path = project / "clients" / "beta.md"
    path.write_text(path.read_text(encoding="utf-8").replace("send samples", "send the contract"), encoding="utf-8")
    incremental = built()
    assert "send the contract" in incremental["reminders/index.md"].decode()
    assert incremental == built(full=True)


def test_rows_with_unhashable_arguments_are_rendered_not_kept() -> None:
    from crmgen.format.model import Client

    client = Client(slug="a", path="clients/a.md", name="A", grade="B")
    memo = site_pages.RowMemo({}, {}, lambda c: "key", views=None)  # type: ignore[arg-type]
    site = site_pages.SiteContext(today=TODAY, title="CRM", page="clients/index.md", settings=None,  # type: ignore[arg-type]
                                  views=None, row_memo=memo)  # type: ignore[arg-type]
    out = site.memo_rows("x", lambda c, extra: f"<tr>{c.name}{len(extra)}</tr>", [client], [1, 2])
    assert out == "<tr>A2</tr>" and memo.new == {}
    assert site.memo_rows("x", lambda c, extra: f"<tr>{c.name}{extra}</tr>", [client], 7) == "<tr>A7</tr>"
    assert list(memo.new.values()) == ["<tr>A7</tr>"]


def test_a_changed_crmgen_module_rebuilds_every_page(project: Path, tmp_path: Path, monkeypatch) -> None:
    # crmgen's version stays the same while it is worked on: its code (the code key, which
    # follows every byte of the package: tests/test_codekey.py) must count as an input
    from crmgen.accel import codekey

    write_client(project, "alpha", client_text("Alpha Trading"))
    write_client(project, "beta", client_text("Beta Foods"))
    site = tmp_path / "site"
    build(project, site)
    assert build(project, site).rendered == 0
    key = codekey.code_key()
    monkeypatch.setattr(codekey, "code_key", lambda: key + "-changed")
    again = build(project, site)
    assert not again.incremental and again.rendered == 2


def _fake_rows(heads: list[str], tag: str = "") -> dict:
    return {("list-row", "lists/grade.md", head, ()): f"<tr>{head}{tag}</tr>\n" for head in heads}


def test_the_store_rewrites_only_the_shards_whose_rows_changed(tmp_path: Path) -> None:
    heads = [f"{i:040x}" for i in range(300)]
    kept = {**_fake_rows(heads), **{("reminder-row", "reminders/index.md", (h, 0), ()): "<tr/>" for h in heads}}
    first = RowStore(tmp_path).save(kept)
    assert first == len({shard_of(k, {}) for k in kept}) > 1
    store = RowStore.load(tmp_path)
    assert store.rows == kept
    assert store.save(kept) == 0  # nothing changed: nothing written
    edited = dict(kept)
    del edited[("list-row", "lists/grade.md", heads[7], ())]  # one client's fingerprint changed
    edited[("list-row", "lists/grade.md", "f" * 40, ())] = "<tr>edited</tr>\n"
    assert 1 <= store.save(edited) <= 2
    assert RowStore.load(tmp_path).rows == edited


def test_a_store_half_of_one_build_and_half_of_the_next_still_builds_the_full_pages(
        project: Path, tmp_path: Path) -> None:
    for i, name in enumerate(["Alpha Trading", "Beta Foods", "华东润滑油", "Delta Parks", "Echo 五金"]):
        write_client(project, f"c{i}", client_text(name, owner="王磊" if i % 2 else "李娜", grade="ABCDE"[i]))
    site = tmp_path / "site"
    build(project, site)
    cache = load_project(project).cache_dir
    before = {p.name: p.read_bytes() for p in (cache / "rows").iterdir()}
    path = project / "clients" / "c1.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Beta Foods", "Beta 食品"), encoding="utf-8")
    build(project, site)
    for name, data in sorted(before.items())[::2]:  # as if a build had stopped half way through saving
        (cache / "rows" / name).write_bytes(data)
    path.write_text(path.read_text(encoding="utf-8").replace("grade: B", "grade: A"), encoding="utf-8")
    build(project, site)
    docs = project / ".crmgen" / "docs"
    incremental = {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*.md"))}
    build(project, tmp_path / "full-site", full=True)
    full = {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*.md"))}
    assert incremental == full


def test_a_keyed_store_answers_only_for_its_key(tmp_path: Path) -> None:
    from crmgen.accel.rowstore import PLANS, ShardedMemo, plan_head

    plans = {(f"{i:040x}", None): ((("next", i),), (), ()) for i in range(100)}
    ShardedMemo.keyed(tmp_path, PLANS, "code-1", plan_head).save(plans)
    assert ShardedMemo.keyed(tmp_path, PLANS, "code-1", plan_head).rows == plans
    assert ShardedMemo.keyed(tmp_path, PLANS, "code-1", plan_head, fresh=True).rows == {}  # --full
    ShardedMemo.keyed(tmp_path, PLANS, "code-1", plan_head).save(plans)
    other = ShardedMemo.keyed(tmp_path, PLANS, "code-2", plan_head)  # new code or settings
    assert other.rows == {} and not list((tmp_path / PLANS).glob("*.pickle"))
    assert ShardedMemo.keyed(tmp_path, PLANS, "code-1", plan_head).rows == {}  # the old key's shards are gone
