"""The dashboard's complaints by cause with the time to resolve them (#18) and the month's targets
(#17 item 5): every number worked out by hand from a small book, the template rendered in English
and in Chinese, a real Chinese build, and the page on a 390 px phone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from crmgen import i18n
from crmgen.cli.app import main
from crmgen.format.model import Client, Complaint, Order
from crmgen.load.project import Settings
from crmgen.render import dashboard, pages
from crmgen.render.dashboard import complaint_causes, dashboard_context, owner_progress, targets
from crmgen.render.markup import html_block, plain
from tests.test_browser_phone import ALLOWED, AXE_RUN, OVERFLOW, _axe_js, chromium  # noqa: F401 - chromium is a fixture (over this file's sample_site)

TODAY = dt.date(2026, 12, 10)  # 10 of December's 31 days: 32% of the month gone
D = dt.date
TEMPLATES = Path(dashboard.__file__).parents[1] / "templates"


def client(slug: str, owner: str | None = None, **kw) -> Client:
    return Client(slug=slug, path=f"clients/{slug}.md", name=slug.title(), grade="B", stage="customer",
                  owner=owner, **kw)


def closed(opened: dt.date, days: int, cause: str | None) -> Complaint:
    return Complaint(opened=opened, what=f"took {days}", step="review", closed=opened + dt.timedelta(days=days),
                     cause=cause)


def complaint_book(*extra: Complaint) -> list[Client]:
    """Five complaints: closed in 2, 9 and 6 days, and two open (one with no cause written)."""
    return [
        client("huaxin", "王磊", complaints=(
            closed(D(2026, 11, 1), 2, "salesperson"),
            closed(D(2026, 11, 1), 9, "product"),
            Complaint(opened=D(2026, 12, 1), what="still open", step="solve", cause="salesperson"),
        )),
        client("lantian", "李娜", complaints=(
            closed(D(2026, 10, 1), 6, "client"),
            Complaint(opened=D(2026, 12, 5), what="just in"),
            *extra,
        )),
    ]


TARGETS = {
    "王磊": 100000.0,
    "李娜": {"monthly": 50000.0, "2026-12": 200000.0},  # December's own
    "赵六": 30000.0,  # no client of theirs: no page to link to
    "陈七": {"2027-01": 10000.0},  # nothing for December: no row
}


def target_book() -> list[Client]:
    return [
        client("huaxin", "王磊", orders=(
            Order(date=D(2026, 11, 30), amount=50000),  # last month
            Order(date=D(2026, 12, 2), amount=30000),
            Order(date=D(2026, 12, 10), amount=10000),  # today counts
            Order(date=D(2026, 12, 11), amount=99999),  # tomorrow does not
        )),
        client("lantian", "李娜", orders=(Order(date=D(2026, 12, 3), amount=20000),)),
        client("nobody", None, orders=(Order(date=D(2026, 12, 4), amount=7000),)),
    ]


def with_targets(t: dict | None = None) -> Settings:
    return dataclasses.replace(Settings(), targets=TARGETS if t is None else t)


def memo_rows(name: str, macro, items, *args) -> Markup:
    return Markup("".join(str(macro(item, *args)) for item in items))


def render(ctx: dict) -> str:
    """The home page template in an environment like the build's (as tests/test_dashboard.py does)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)
    env.filters["html_block"] = html_block
    env.filters["plain"] = plain
    pages.install_messages(env)
    site = {"today": TODAY, "title": "Test CRM", "client_url": lambda slug: f"clients/{slug}/",
            "owner_url": lambda owner: f"reminders/{owner}.html", "memo_rows": memo_rows}
    return env.get_template("dashboard.md.j2").render(site=site, **ctx)


def section(page: str, heading: str) -> str:
    """From ``## heading`` to the next heading."""
    start = page.index(f"## {heading}\n")
    end = page.find("\n## ", start + 3)
    return page[start:end if end >= 0 else None]


# --- complaints by cause -----------------------------------------------------------------


def test_complaints_are_counted_by_cause_open_and_closed():
    c = complaint_causes(complaint_book())
    # salesperson: a closed one and the open one; client: one; product: one; not known: the new one
    assert [(r["key"], r["label"], r["count"]) for r in c["causes"]] == [
        ("salesperson", "Salesperson", 2), ("client", "Client", 1), ("product", "Product", 1),
        (None, "Not known", 1)]
    assert (c["total"], c["open"], c["closed"]) == (5, 2, 3)


def test_the_median_of_an_odd_number_of_closed_complaints_is_the_middle_one():
    c = complaint_causes(complaint_book())
    # closed in 2, 9 and 6 days: sorted 2, 6, 9
    assert (c["median_days"], c["longest_days"]) == (6, 9)
    assert (c["median_fmt"], c["longest_fmt"]) == ("6 days", "9 days")


def test_the_median_of_an_even_number_is_halfway_between_the_middle_two():
    c = complaint_causes(complaint_book(closed(D(2026, 9, 1), 20, "product")))
    # 2, 6, 9, 20: (6 + 9) / 2; the longest is the new one
    assert (c["median_days"], c["longest_days"]) == (7.5, 20)
    assert (c["median_fmt"], c["longest_fmt"]) == ("7.5 days", "20 days")
    assert c["closed"] == 4 and [r["count"] for r in c["causes"] if r["key"] == "product"] == [2]
    c = complaint_causes(complaint_book(closed(D(2026, 9, 1), 10, None)))
    assert c["median_days"] == 7.5 and c["median_fmt"] == "7.5 days"  # 2, 6, 9, 10
    c = complaint_causes(complaint_book(closed(D(2026, 9, 1), 8, None)))
    assert c["median_days"] == 7 and c["median_fmt"] == "7 days"  # 2, 6, 8, 9: a whole day


def test_one_day_is_one_day():
    c = complaint_causes([client("a", complaints=(closed(D(2026, 12, 1), 1, "client"),))])
    assert (c["median_fmt"], c["longest_fmt"]) == ("1 day", "1 day")


def test_the_complaints_section_shows_the_causes_the_counts_and_the_times():
    part = section(render(dashboard_context(complaint_book(), [], TODAY, Settings())), "Open complaints")
    # the per-step chart and the open complaints stay first
    assert part.index("Open complaints per step") < part.index("Every complaint, open and closed, by cause")
    assert "<title>Complaints by cause, open and closed: Salesperson 2, Client 1, Product 1, Not known 1</title>" in part
    assert part.count("<svg") == 2
    for cause, n in (("Salesperson", 2), ("Client", 1), ("Product", 1), ("Not known", 1)):
        assert (f'<tr><td data-label="Cause">{cause}</td>'
                f'<td class="crmgen-num" data-label="Complaints">{n}</td></tr>') in part
    assert "<li><strong>All complaints:</strong> 5 in all, 2 open and 3 closed.</li>" in part
    assert ("<li><strong>Time to resolve, from opened to closed:</strong> "
            "median 6 days, longest 9 days.</li>") in part


def test_no_time_to_resolve_while_none_is_closed_and_no_chart_of_unknown_causes_alone():
    book = [client("a", complaints=(Complaint(opened=D(2026, 12, 1), what="x"),
                                    Complaint(opened=D(2026, 12, 2), what="y")))]
    part = section(render(dashboard_context(book, [], TODAY, Settings())), "Open complaints")
    assert "2 in all, 2 open and 0 closed." in part
    assert "Time to resolve" not in part
    # one bar "not known" would only repeat the table: the per-step chart is the only one
    assert part.count("<svg") == 1 and "Complaints by cause" not in part
    assert '<td data-label="Cause">Not known</td><td class="crmgen-num" data-label="Complaints">2</td>' in part


def test_closed_complaints_alone_still_show_their_causes():
    book = [client("a", complaints=(closed(D(2026, 11, 1), 4, "product"),))]
    part = section(render(dashboard_context(book, [], TODAY, Settings())), "Open complaints")
    assert "<p>No open complaints.</p>" in part
    assert "1 in all, 0 open and 1 closed." in part and "median 4 days, longest 4 days." in part


def test_no_complaints_no_causes():
    book = [client("a")]
    part = section(render(dashboard_context(book, [], TODAY, Settings())), "Open complaints")
    assert "No open complaints." in part
    assert "Cause" not in part and "All complaints" not in part and "<svg" not in part


# --- the month's targets ------------------------------------------------------------------


def test_targets_worked_out_by_hand():
    rows = targets(target_book(), with_targets(), TODAY)
    assert [r["owner"] for r in rows] == ["王磊", "李娜", "赵六"]  # the settings' order; 陈七 has none this month
    wang, li, zhao = rows
    # 30,000 on the 2nd + 10,000 today (not November's, not tomorrow's) of 100,000: 40% >= 10/31
    assert (wang["target_fmt"], wang["sold_fmt"], wang["share_fmt"], wang["expected_fmt"]) == (
        "¥100,000", "¥40,000", "40%", "32%")
    assert wang["share"] == 0.4 and wang["expected"] == 10 / 31
    assert wang["on_track"] and not wang["behind"] and wang["page_owner"] == "王磊"
    # December's own target (200,000), not the monthly one: 20,000 is 10% < 32%
    assert (li["target_fmt"], li["sold_fmt"], li["share_fmt"]) == ("¥200,000", "¥20,000", "10%")
    assert li["behind"] and not li["on_track"]
    # nobody's client's 7,000 counts for no one; 赵六 has no client, so no page
    assert (zhao["sold_fmt"], zhao["share_fmt"], zhao["behind"], zhao["page_owner"]) == ("¥0", "0%", True, None)


def test_on_the_pace_exactly_is_on_track():
    # 1 December: 1/31 of the month gone; 1/31 of 31,000 is 1,000
    book = [client("a", "王磊", orders=(Order(date=D(2026, 12, 1), amount=1000),))]
    (row,) = targets(book, with_targets({"王磊": 31000.0}), D(2026, 12, 1))
    assert row["on_track"] and not row["behind"] and (row["share_fmt"], row["expected_fmt"]) == ("3%", "3%")
    (row,) = targets(book, with_targets({"王磊": 31001.0}), D(2026, 12, 1))
    assert row["behind"]


def test_the_targets_section():
    page = render(dashboard_context(target_book(), [], TODAY, with_targets()))
    part = section(page, "Targets this month")
    assert page.index("## 80/20") < page.index("## Targets this month") < page.index("## Promises")
    assert "<caption>Ordered from 2026-12-01 to 2026-12-10 against each salesperson's target" in part
    assert ('<tr><td data-label="Owner"><a href="reminders/王磊.html">王磊</a></td>'
            '<td class="crmgen-num" data-label="Target">¥100,000</td>'
            '<td class="crmgen-num" data-label="Ordered">¥40,000</td>'
            '<td class="crmgen-num" data-label="Reached">40%</td>'
            '<td class="crmgen-num" data-label="Month gone">32%</td></tr>') in part
    assert ('<td class="crmgen-num crmgen-late" data-label="Reached">10% (behind)</td>'
            '<td class="crmgen-num" data-label="Month gone">32%</td></tr>') in part
    assert '<td data-label="Owner">赵六</td>' in part
    assert "陈七" not in part
    assert part.count("<tr>") == 1 + 3 and part.count("crmgen-late") == 2
    # every cell a card can name (tables become cards on a phone)
    assert part.count("<td ") == part.count("<td data-label=") + part.count('<td class="crmgen-num" data-label=') \
        + part.count('<td class="crmgen-num crmgen-late" data-label=')


@pytest.mark.parametrize("t", [{}, {"陈七": {"2027-01": 10000.0}}, {"王磊": 0.0}])
def test_no_target_this_month_no_section(t):
    ctx = dashboard_context(target_book(), [], TODAY, with_targets(t))
    assert ctx["targets"] == []
    page = render(ctx)
    assert "Targets this month" not in page and "Month gone" not in page
    # and the page is the one without any targets setting
    assert page == render(dashboard_context(target_book(), [], TODAY, Settings()))


def test_one_owners_progress_for_their_reminders_page():
    book, settings = target_book(), with_targets()
    wang = owner_progress(book, settings, TODAY, "王磊")
    assert wang == targets(book, settings, TODAY)[0]
    assert wang["text"] == "Target for 2026-12: ¥40,000 of ¥100,000 ordered (40%), with 32% of the month gone: on track"
    li = owner_progress(book, settings, TODAY, " 李娜 ")  # matched as --owner is
    assert li is not None and li["owner"] == "李娜"
    assert li["text"] == ("Target for 2026-12: ¥20,000 of ¥200,000 ordered (10%), with 32% of the month gone: "
                          "behind the pace")
    assert owner_progress(book, settings, TODAY, "陈七") is None  # a target, not this month
    assert owner_progress(book, settings, TODAY, "张三") is None
    assert owner_progress(book, settings, TODAY, None) is None
    assert owner_progress(book, Settings(), TODAY, "王磊") is None
    settings = with_targets({"Wang Lei": 1000.0})
    assert owner_progress([client("a", "wang lei")], settings, TODAY, "WANG LEI")["page_owner"] == "wang lei"


# --- in Chinese -----------------------------------------------------------------------------


def test_the_new_parts_in_chinese():
    with i18n.using("zh"):
        book = complaint_book() + target_book()[2:]
        book[0] = dataclasses.replace(book[0], orders=target_book()[0].orders)
        page = render(dashboard_context(book, [], TODAY, with_targets()))
        row = owner_progress(book, with_targets(), TODAY, "王磊")
    mine = section(page, "本月目标") + section(page, "未结投诉")
    for words in ("本月目标", "2026-12-01 至 2026-12-10 的下单额与每位销售人员本月目标的对比", 'data-label="负责人"',
                  'data-label="完成率">0%（落后）', 'data-label="时间进度">32%', "各原因的投诉（含未结与已结）：销售人员 2",
                  'data-label="原因">客户自身', 'data-label="原因">产品', 'data-label="原因">未查明', 'data-label="投诉">2',
                  "全部投诉（未结与已结）按原因", "<strong>全部投诉：</strong> 共 5 起，未结 2 起，已结 3 起。",
                  "<strong>处理时长（从投诉到结案）：</strong> 中位数 6 天，最长 9 天。"):
        assert words in mine, words
    text = re.sub(r"<[^>]*>", " ", mine)
    for user in ("Huaxin", "Lantian", "Nobody", "still open", "just in", "took", "crmgen"):
        text = text.replace(user, " ")
    assert re.findall(r"[A-Za-z]{2,}", text) == []
    assert row["text"] == "2026-12 目标：已下单 ¥40,000，目标 ¥100,000（完成 40%），时间进度 32%：进度正常"


BOOK_MKDOCS = """\
site_name: 销售客户
theme:
  name: material
  language: {language}
extra:
  crmgen:
    currency: "¥"
    targets: {{王磊: 100000, 李娜: {{monthly: 50000, "2026-12": 80000}}}}
"""
BOOK = {
    "huaxin": """\
        ---
        name: 华新五金批发部
        grade: A
        stage: customer
        owner: 王磊
        since: 2024-01-10
        orders:
          - date: 2026-12-02
            amount: 40000
            paid: 40000
        complaints:
          - opened: 2026-11-01
            what: 送货晚了
            step: review
            cause: salesperson
            closed: 2026-11-04
            visited: 2026-11-10
          - opened: 2026-11-20
            what: 包装破损
            step: analyse
            cause: product
        ---
        """,
    "lantian": """\
        ---
        name: 蓝天商贸
        grade: B
        stage: customer
        owner: 李娜
        since: 2025-06-01
        complaints:
          - opened: 2026-10-01
            what: 自己记错型号
            step: review
            cause: client
            closed: 2026-10-08
            visited: 2026-10-20
        ---
        """,
}


def make_book(root: Path, language: str) -> Path:
    (root / "clients").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(BOOK_MKDOCS.format(language=language), encoding="utf-8")
    for slug, text in BOOK.items():
        (root / "clients" / f"{slug}.md").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def build(root: Path) -> Path:
    site = root / "site"
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--today", TODAY.isoformat(), "-d", str(site)])
    assert result.exit_code == 0, result.output
    return site


def article_text(site: Path) -> str:
    from tests.test_i18n_index_pages import article, visible

    return visible(article((site / "index.html").read_text(encoding="utf-8")))


def test_a_chinese_build_shows_both_in_chinese(tmp_path):
    site = build(make_book(tmp_path / "book", "zh"))
    home = (site / "index.html").read_text(encoding="utf-8")
    text = article_text(site)
    for words in ("本月目标", "负责人", "目标", "已下单", "完成率", "时间进度", "¥40,000", "40%", "0%（落后）",
                  "各原因的投诉（含未结与已结）：销售人员 1，客户自身 1，产品 1", "全部投诉（未结与已结）按原因",
                  "共 3 起，未结 1 起，已结 2 起。", "中位数 5 天，最长 7 天。"):  # closed in 3 and 7 days
        assert words in text, words
    assert 'href="reminders/wanglei.html">王磊</a>' in home
    for english in ("Targets this month", "Month gone", "behind", "Salesperson", "Product", "Not known",
                    "All complaints", "Time to resolve", "median", "longest", "Cause"):
        assert english not in text, english


def test_the_same_build_in_english(tmp_path):
    site = build(make_book(tmp_path / "book", "en"))
    text = article_text(site)
    for words in ("Targets this month", "40%", "0% (behind)", "Complaints by cause, open and closed: Salesperson 1, "
                  "Client 1, Product 1", "3 in all, 1 open and 2 closed.", "median 5 days, longest 7 days."):
        assert words in text, words


# --- on a phone -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Path:
    """This file's book (the name is the one tests/test_browser_phone.py's ``chromium`` asks for)."""
    from tests.test_browser import _need_browser

    _need_browser()
    root = make_book(tmp_path_factory.mktemp("dash") / "book", "zh")
    # more salespeople with long names and big numbers, each with a client, to see the cards wrap
    # (a target naming someone with no client stops the sales page: see the report of #17)
    more = [f"销售人员第{i}号长名字" for i in range(6)]
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        text.replace("targets: {", "targets: {" + "".join(f"{m}: 1234567, " for m in more)), encoding="utf-8")
    for i, owner in enumerate(more):
        (root / "clients" / f"kehu-{i}.md").write_text(
            f"---\nname: 客户{i}号有限公司\ngrade: C\nstage: customer\nowner: {owner}\nsince: 2025-01-01\n"
            f"orders:\n  - date: 2026-12-0{i + 1}\n    amount: 876543.21\n    paid: 876543.21\n---\n",
            encoding="utf-8")
    return build(root)


@pytest.mark.browser
@pytest.mark.slow
def test_the_dashboard_fits_a_390px_phone_with_targets_as_cards_and_axe_finds_nothing(sample_site, chromium):  # noqa: F811
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto((sample_site / "index.html").as_uri(), wait_until="load")
        assert page.locator('article td[data-label="完成率"]').count() == 8
        found = page.evaluate(OVERFLOW)
        assert found["scroll"] <= found["width"] and found["wide"] == [], found
        cell = page.locator('article td[data-label="完成率"]').first
        assert cell.evaluate("e => getComputedStyle(e.parentElement).display") == "block"
        assert cell.evaluate("e => getComputedStyle(e, '::before').content") == '"完成率"'
        cause = page.locator('article td[data-label="原因"]').first
        assert cause.evaluate("e => getComputedStyle(e.parentElement).display") == "block"
        # and nothing serious for axe-core in the new sections (the sample project has no targets)
        page.add_script_tag(path=str(_axe_js()))
        found = [v for v in page.evaluate(AXE_RUN, None) if (v[0], v[1]) not in ALLOWED]
        assert found == []
    finally:
        context.close()

