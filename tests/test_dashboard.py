"""The dashboard's numbers on handcrafted clients, and the home page template rendered."""

from __future__ import annotations

import datetime as dt
import html.parser
import re
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import markdown
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from crmgen.format.model import (
    COMPLAINT_STEPS,
    GRADES,
    STAGES,
    Client,
    Complaint,
    Contact,
    Interaction,
    Order,
    Promise,
)
from crmgen.load.project import Settings
from crmgen.render import dashboard, pages
from crmgen.render.dashboard import bucket_labels, dashboard_context, format_money, to_cents
from crmgen.render.markup import plain
from crmgen.rules.reminders import Reminder, due

TODAY = dt.date(2026, 11, 23)
D = dt.date
XSS = "<script>alert(1)</script>"
TEMPLATES = Path(dashboard.__file__).parents[1] / "templates"


def days(n: int) -> dt.date:
    """The date ``n`` days before TODAY."""
    return TODAY - dt.timedelta(days=n)


def client(slug: str, name: str | None = None, grade: str = "B", stage: str = "customer", **kw) -> Client:
    return Client(
        slug=slug, path=f"clients/{slug}.md", name=name or slug.title(), grade=grade, stage=stage, **kw
    )


def reminder(days_from_today: int, slug: str = "acme", title: str = "call") -> Reminder:
    return Reminder(
        client=slug,
        name=slug.title(),
        owner=None,
        kind="next",
        date=TODAY + dt.timedelta(days=days_from_today),
        days=days_from_today,
        lead=0,
        title=title,
    )


# --- money ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (0, "¥", "¥0"),
        (123456789, "¥", "¥1,234,567.89"),
        (100000000, "¥", "¥1,000,000"),
        (5, "US$", "US$0.05"),
        (-150, "€", "-€1.50"),
    ],
)
def test_format_money(cents: int, currency: str, text: str) -> None:
    assert format_money(cents, currency) == text


def test_to_cents_is_exact_for_decimal_amounts() -> None:
    assert to_cents(0.1) + to_cents(0.2) == to_cents(0.3)
    assert to_cents(1.005) == 101  # half up on the decimal spelling, not the binary float
    assert to_cents(12) == 1200
    assert to_cents(None) == 0


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_to_cents_rounds_like_the_decimal_spelling(value: Decimal) -> None:
    # The fast float path must agree with exact decimal rounding (half up).
    amount = float(value)
    expected = int((Decimal(repr(amount)) * 100).to_integral_value(ROUND_HALF_UP))
    assert to_cents(amount) == expected


# --- receivables and ageing ----------------------------------------------------------


def test_bucket_labels_follow_the_team_bands() -> None:
    assert bucket_labels([30, 60, 90, 180, 365]) == [
        "Not yet due", "1–30 days late", "31–60 days late", "61–90 days late", "91–180 days late",
        "181–365 days late", "Over 365 days late"]
    assert bucket_labels([15]) == ["Not yet due", "1–15 days late", "Over 15 days late"]


def ageing_book() -> list[Client]:
    # One order per edge; the amount encodes the days late so totals are checkable.
    orders = tuple(
        Order(date=days(200), amount=1000 + late, paid=0, pay_by=days(late), index=i)
        for i, late in enumerate([0, 1, 30, 31, 60, 61, 90, 91])
    )
    extra = (
        Order(date=days(10), amount=500, paid=100),  # no pay_by: due by the team's 30 days, not yet
        Order(date=days(10), amount=700, paid=0, pay_by=TODAY + dt.timedelta(days=3)),
        Order(date=days(10), amount=900, paid=900, pay_by=days(100)),  # paid in full
        Order(date=days(10), amount=0.3, paid=0.1, pay_by=days(2)),  # owes exactly 0.20
    )
    return [
        client("acme", "Acme", orders=orders),
        client("beta", XSS, orders=extra),
    ]


def test_receivables_ageing_buckets_on_the_edges() -> None:
    ctx = dashboard_context(ageing_book(), [], TODAY, Settings())
    recv = ctx["receivables"]
    buckets = {b["key"]: b for b in recv["buckets"]}
    assert [b["key"] for b in recv["buckets"]] == ["not due", "1–30", "31–60", "61–90", "91–180", "181–365",
                                                   "over 365"]
    assert buckets["not due"]["total"] == 1000 + 400 + 700
    assert buckets["not due"]["count"] == 3
    assert buckets["1–30"]["total"] == pytest.approx(1001 + 1030 + 0.2)
    assert buckets["1–30"]["total_fmt"] == "¥2,031.20"
    assert buckets["31–60"]["total"] == 1031 + 1060
    assert buckets["61–90"]["total"] == 1061 + 1090
    assert buckets["91–180"]["total"] == 1091
    assert buckets["91–180"]["clients"] == ["acme"]
    assert buckets["over 365"]["total"] == 0
    assert sorted(buckets["1–30"]["clients"]) == ["acme", "beta"]
    assert recv["count"] == 11  # the fully paid order is not owed
    assert recv["late_count"] == 8
    assert recv["total"] == pytest.approx(sum(b["total"] for b in recv["buckets"]))
    assert recv["late_total_fmt"] == format_money(to_cents(recv["late_total"]))
    # Most late first.
    assert [i["days_late"] for i in recv["late"]] == [91, 90, 61, 60, 31, 30, 2, 1]
    assert recv["late"][0]["owed_fmt"] == "¥1,091"


def test_receivables_use_the_team_currency() -> None:
    settings = Settings(currency="US$")
    ctx = dashboard_context(ageing_book(), [], TODAY, settings)
    assert ctx["receivables"]["buckets"][4]["total_fmt"] == "US$1,091"  # 91–180 days late


def test_receivables_by_client_and_owner_and_the_credit_list() -> None:
    from crmgen.format.model import Payment
    from crmgen.format.terms import parse

    book = [
        client("near", owner="王磊", credit_limit=1000, orders=(
            Order(date=days(100), amount=950, pay_by=days(40)),)),  # 95% of its limit, 40 days late
        client("over", owner="王磊", credit_limit=1000, orders=(
            Order(date=days(10), amount=1200, delivered=days(10), terms=parse("net 60")),)),  # over, not due
        client("fine", owner="Li Na", credit_limit=10_000, orders=(
            Order(date=days(200), amount=500, pay_by=days(190)),  # 190 days late: 181–365
            Order(date=days(90), amount=300, paid=300, delivered=days(88),
                  payments=(Payment(days(70), 100), Payment(days(58), 200))),)),  # paid in 30 days
        client("nolimit", orders=(Order(date=days(5), amount=10),)),
    ]
    recv = dashboard_context(book, [], TODAY, Settings())["receivables"]
    rows = {c["slug"]: c for c in recv["by_client"]}
    assert list(rows) == ["near", "fine", "over", "nolimit"]  # most late money first
    assert rows["near"]["bands_fmt"][2] == "¥950" and rows["near"]["share_fmt"] == "95%"
    assert rows["over"]["bands_fmt"][0] == "¥1,200" and rows["over"]["over"]
    assert rows["over"]["available_fmt"] == "-¥200"
    assert rows["fine"]["bands_fmt"][5] == "¥500" and rows["fine"]["days_to_pay"] == "30"
    assert rows["nolimit"]["limit_fmt"] is None
    assert [c["slug"] for c in recv["credit"]] == ["over", "near"]  # 90% or more used, most used first
    owners = {o["owner"]: o for o in recv["by_owner"]}
    assert owners["王磊"]["owed_fmt"] == "¥2,150" and owners["王磊"]["late_fmt"] == "¥950"
    assert owners["Li Na"]["late_fmt"] == "¥500" and owners[None]["owed_fmt"] == "¥10"
    assert [o["owner"] for o in recv["by_owner"]] == ["王磊", "Li Na", None]


def test_a_team_sets_its_own_ageing_bands_and_credit_share() -> None:
    book = [client("a", credit_limit=1000, orders=(Order(date=days(100), amount=700, pay_by=days(20)),))]
    recv = dashboard_context(book, [], TODAY, Settings(ageing=[15, 45], credit_near=0.7))["receivables"]
    assert [b["label"] for b in recv["buckets"]] == ["Not yet due", "1–15 days late", "16–45 days late",
                                                     "Over 45 days late"]
    assert recv["buckets"][2]["total"] == 700 and [c["slug"] for c in recv["credit"]] == ["a"]


def test_nothing_owed() -> None:
    book = [client("a", orders=(Order(date=days(3), amount=10, paid=10),))]
    recv = dashboard_context(book, [], TODAY, Settings())["receivables"]
    assert recv["count"] == 0 and recv["total_fmt"] == "¥0"
    assert all(b["count"] == 0 for b in recv["buckets"])


# --- revenue and 80/20 ---------------------------------------------------------------


def test_revenue_window_is_the_last_365_days_including_today() -> None:
    orders = (
        Order(date=days(365), amount=1),  # just outside
        Order(date=days(364), amount=10),  # first day in
        Order(date=TODAY, amount=100),  # today counts
        Order(date=TODAY + dt.timedelta(days=1), amount=1000),  # future: not yet revenue
    )
    rev = dashboard_context([client("a", orders=orders)], [], TODAY, Settings())["revenue"]
    assert rev["total"] == 110
    assert rev["first_day"] == days(364)
    assert rev["end"] == TODAY


def revenue_of(amounts: list[float]) -> dict:
    book = [
        client(f"c{i}", f"Client {chr(65 + i)}", orders=(Order(date=days(30), amount=a),) if a else ())
        for i, a in enumerate(amounts)
    ]
    return dashboard_context(book, [], TODAY, Settings())["revenue"]


@pytest.mark.parametrize(
    ("amounts", "top"),
    [
        ([80, 20], 1),  # exactly 80% is enough
        ([79, 21], 2),
        ([25, 25, 25, 25], 4),  # ties: 75% after three is not enough
        ([40, 20, 20, 20], 3),  # ties at the cut: 80% after three
        ([1, 1, 1, 1, 1], 4),
        ([50, 30, 10, 10], 2),
        ([100], 1),
        ([0.1, 0.2, 0.7], 2),  # float amounts: 0.7 + 0.2 = 0.9 reaches 80%
        ([70, 10, 0, 20], 2),  # a client without orders is not in the count
    ],
)
def test_pareto_cut_is_the_smallest_top_set_reaching_80_percent(amounts: list[float], top: int) -> None:
    rev = revenue_of(amounts)
    assert rev["top_count"] == top
    assert len(rev["top"]) == top
    assert rev["client_count"] == sum(1 for a in amounts if a)
    shares = [r["amount"] for r in rev["clients"]]
    assert shares == sorted(shares, reverse=True)
    assert [r["top"] for r in rev["clients"]] == [i < top for i in range(len(rev["clients"]))]
    assert rev["clients"][-1]["cumulative_fmt"] == "100%"


def test_pareto_ties_are_ordered_by_name_and_share_is_reported() -> None:
    rev = revenue_of([20, 40, 20, 20, 0])
    assert [r["name"] for r in rev["clients"]] == ["Client B", "Client A", "Client C", "Client D"]
    assert rev["top_count"] == 3
    assert rev["top_share_fmt"] == "75%"  # 3 of the 4 buying clients
    assert rev["top_revenue_share_fmt"] == "80%"
    assert rev["top_revenue_fmt"] == "¥80"


def test_no_revenue() -> None:
    rev = revenue_of([0, 0])
    assert rev["top_count"] == 0 and rev["client_count"] == 0 and rev["top_share_fmt"] == "0%"


# --- promises, complaints, contact ---------------------------------------------------


def test_promises_kept_broken_open_by_side() -> None:
    book = [
        client(
            "a",
            "Alpha",
            promises=(
                Promise(by="us", what="deliver", due=days(10), kept=days(10)),
                Promise(by="us", what="discount", due=days(5)),  # open and late
                Promise(by="us", what="visit", due=TODAY),  # open, due today: not late
                Promise(by="client", what="pay", due=days(40), broken=days(39)),
                Promise(by="client", what="pay", due=days(20), broken=days(19)),
                Promise(by="client", what="pay", due=days(3), kept=days(3)),
            ),
        ),
        client(
            "b",
            "Beta",
            promises=(
                Promise(by="client", what="pay", due=days(9), broken=days(8)),
                Promise(by="us", what="ship", due=days(2), broken=days(1)),
            ),
        ),
    ]
    p = dashboard_context(book, [], TODAY, Settings())["promises"]
    assert {k: p["us"][k] for k in ("kept", "broken", "open", "late", "total")} == {
        "kept": 1,
        "broken": 1,
        "open": 2,
        "late": 1,
        "total": 4,
    }
    assert {k: p["client"][k] for k in ("kept", "broken", "open", "late", "total")} == {
        "kept": 1,
        "broken": 3,
        "open": 0,
        "late": 0,
        "total": 4,
    }
    assert p["client"]["kept_share_fmt"] == "25%"
    assert [(b["slug"], b["broken"], b["kept"]) for b in p["breakers"]] == [("a", 2, 1), ("b", 1, 0)]


def test_open_complaints_by_step_in_order() -> None:
    book = [
        client(
            "a",
            complaints=(
                Complaint(opened=days(9), what="leak", step="solve"),
                Complaint(opened=days(3), what="late", step="listen"),
                Complaint(opened=days(30), what="old", step="review", closed=days(2)),
                Complaint(opened=days(1), what="again", step="solve"),
            ),
        ),
    ]
    comp = dashboard_context(book, [], TODAY, Settings())["complaints"]
    assert [s["key"] for s in comp["steps"]] == list(COMPLAINT_STEPS)
    assert {s["key"]: s["count"] for s in comp["steps"]} == {
        "listen": 1,
        "analyse": 0,
        "solve": 2,
        "inform": 0,
        "act": 0,
        "review": 0,
    }
    assert comp["open"] == 3
    assert [(c["what"], c["days_open"], c["step_number"]) for c in comp["list"]] == [
        ("leak", 9, 3),
        ("late", 3, 1),
        ("again", 1, 3),
    ]


def test_out_of_touch_uses_last_interaction_else_since_and_the_right_cadence() -> None:
    settings = Settings(cadence={"A": 7, "B": 14, "C": 30, "D": 30, "E": 60, "F": 90})
    book = [
        # Grade A (7 days): contacted 7 days ago is on time, 8 days ago is not.
        client("on-time", grade="A", interactions=(Interaction(date=days(7), type="call", summary="x"),)),
        client("late-a", grade="A", interactions=(Interaction(date=days(8), type="call", summary="x"),)),
        # The latest interaction counts, not the first one, and not `since`.
        client(
            "recent",
            grade="A",
            since=days(900),
            interactions=(
                Interaction(date=days(100), type="visit", summary="x"),
                Interaction(date=days(2), type="call", summary="y"),
            ),
        ),
        # No interaction: `since` is the last contact.
        client("since-only", grade="B", since=days(20)),
        # Own cadence beats the team's.
        client(
            "own", grade="F", cadence=10, interactions=(Interaction(date=days(11), type="call", summary="x"),)
        ),
        client("lost", grade="A", stage="lost", since=days(500)),
        # No contact and no since: counted from the day git first saw the file, as `due` does;
        # never committed (or committed today): counted from today, so not late.
        client("never-b", grade="B"),
        client("never-a", grade="A", stage="prospect"),
        client("added-today", grade="A"),
        client("added-8", grade="A"),
        client("added-7", grade="A"),
        client("dormant", grade="C", stage="dormant", since=days(31)),
    ]
    seen = {"added-today": TODAY, "added-8": days(8), "added-7": days(7), "since-only": days(300)}
    reminders = due(book, TODAY, settings, first_seen=seen)
    rows = dashboard_context(book, reminders, TODAY, settings)["out_of_touch"]
    by_slug = {r["slug"]: r for r in rows}
    # Exactly the clients `due` says are late to keep in touch with.
    assert set(by_slug) == {r.client for r in reminders if r.kind == "touch" and r.days < 0}
    assert set(by_slug) == {"late-a", "since-only", "own", "added-8", "dormant"}
    assert by_slug["added-8"]["last_contact"] is None and by_slug["added-8"]["added"] == days(8)
    assert by_slug["added-8"]["days_since"] == 8 and by_slug["late-a"]["added"] is None
    assert by_slug["late-a"]["days_since"] == 8 and by_slug["late-a"]["cadence"] == 7
    assert by_slug["since-only"]["days_since"] == 20 and by_slug["since-only"]["since_only"]
    assert not by_slug["late-a"]["since_only"]
    assert by_slug["own"]["cadence"] == 10 and by_slug["own"]["over"] == 1
    # Most overdue first (since-only is 6 days over; the rest 1 day, better grades first).
    assert [r["slug"] for r in rows] == ["since-only", "added-8", "late-a", "dormant", "own"]


def test_counts_per_grade_and_stage_include_zeros() -> None:
    book = [
        client("a", grade="A"),
        client("b", grade="A", stage="lost"),
        client("c", grade="F", stage="prospect"),
    ]
    ctx = dashboard_context(book, [], TODAY, Settings())
    assert [(g["key"], g["count"]) for g in ctx["grades"]] == list(
        zip(GRADES, [2, 0, 0, 0, 0, 1], strict=True)
    )
    assert [(s["key"], s["count"]) for s in ctx["stages"]] == list(zip(STAGES, [1, 1, 0, 1], strict=True))
    assert ctx["client_count"] == 3


def test_reminder_counts() -> None:
    rems = [reminder(-30, "old"), reminder(-1), reminder(0), reminder(1), reminder(7), reminder(8)]
    r = dashboard_context([], rems, TODAY, Settings())["reminders"]
    assert (r["overdue"], r["today"], r["week"], r["later"], r["total"]) == (2, 1, 2, 1, 6)
    assert [x.days for x in r["top_overdue"]] == [-30, -1]


def test_only_a_few_most_overdue_reminders_are_listed() -> None:
    rems = [reminder(-d, f"c{d}") for d in range(1, 12)]
    r = dashboard_context([], rems, TODAY, Settings())["reminders"]
    assert r["overdue"] == 11
    assert [x.days for x in r["top_overdue"]] == [-11, -10, -9, -8, -7]


def test_broken_files_and_charts_are_passed_on() -> None:
    ctx = dashboard_context([], [], TODAY, Settings(), broken=["clients/x.md"])
    assert ctx["broken"] == ["clients/x.md"]
    assert set(ctx["charts"]) == {"grades", "stages", "complaints", "ageing", "pareto", "promises"}
    for svg in ctx["charts"].values():
        ET.fromstring(str(svg))


# --- the template ----------------------------------------------------------------------


def sample_book() -> list[Client]:
    return [
        client(
            "xss",
            XSS,
            grade="A",
            owner="<b>bold</b>",
            orders=(
                Order(
                    date=days(100),
                    amount=80000,
                    paid=0,
                    pay_by=days(45),
                    items="<img src=x onerror=alert(1)>",
                ),
            ),
            complaints=(Complaint(opened=days(4), what="<img src=x onerror=alert(2)>", step="inform"),),
            promises=(Promise(by="client", what="pay", due=days(45), broken=days(44)),),
        ),
        client(
            "huadong",
            "华东润滑油有限公司华东分公司特约经销商",
            grade="A",
            orders=(Order(date=days(50), amount=400000, paid=400000),),
            interactions=(Interaction(date=days(1), type="visit", summary="拜访"),),
        ),
        client("md", "*not emphasis* [link](http://evil) | pipe", grade="C", since=days(400)),
    ]


def context(book: list[Client], rems: list[Reminder], settings: Settings | None = None, **kw) -> dict:
    """dashboard_context with ``rems`` as the counted reminders, and the out-of-touch table from
    the book's real ``touch`` reminders (what ``due`` would list)."""
    settings = settings or Settings()
    ctx = dashboard_context(book, rems, TODAY, settings, **kw)
    touches = [r for r in due(book, TODAY, settings) if r.kind == "touch"]
    ctx["out_of_touch"] = dashboard.out_of_touch(book, touches, TODAY, settings)
    return ctx


def memo_rows(name: str, macro, items, *args) -> Markup:
    """``site.memo_rows`` without a memo: every row rendered."""
    return Markup("".join(str(macro(item, *args)) for item in items))


def render(ctx: dict, **env_options) -> str:
    from crmgen.render.markup import html_block

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined, **env_options
    )
    env.filters["html_block"] = html_block
    env.filters["plain"] = plain
    pages.install_messages(env)  # the messages and words the build's environment has
    site = {"today": TODAY, "title": "Test CRM", "client_url": lambda slug: f"clients/{slug}/",
            "memo_rows": memo_rows}
    return env.get_template("dashboard.md.j2").render(site=site, **ctx)


class TagCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_template_renders_numbers_and_escaped_names() -> None:
    rems = [reminder(-3, "xss", title=f"Payment from {XSS}"), reminder(-1), reminder(0), reminder(2)]
    ctx = context(sample_book(), rems, broken=["clients/<bad>.md"])
    page = render(ctx)
    # The three big numbers, in order, linking to the reminders page.
    assert '<span class="crmgen-kpi__n">2</span><span class="crmgen-kpi__label">Overdue</span>' in page
    assert '<span class="crmgen-kpi__n">1</span><span class="crmgen-kpi__label">Today</span>' in page
    assert '<span class="crmgen-kpi__n">1</span><span class="crmgen-kpi__label">This week</span>' in page
    assert page.count('href="reminders/"') == 3
    assert page.index("Overdue") < page.index("## Receivables") < page.index("## 80/20")
    assert page.index("## 80/20") < page.index("## Promises") < page.index("## Open complaints")
    assert (
        page.index("## Open complaints") < page.index("## Out of touch") < page.index("## Clients by grade")
    )
    # Broken files in a warning at the top.
    assert page.index('class="admonition warning') < page.index("crmgen-kpis")
    assert "<code>clients/&lt;bad&gt;.md</code>" in page
    # Money and counts.
    assert "¥80,000" in page and "owed on 1 order<" in page
    assert "<strong>1 of 2</strong> buying clients (50%)" in page
    # Names are escaped and linked to their pages.
    assert '<a href="clients/xss/">&lt;script&gt;alert(1)&lt;/script&gt;</a>' in page
    assert '<a href="clients/huadong/">华东润滑油有限公司华东分公司特约经销商</a>' in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert '<td data-label="Owner">&lt;b&gt;bold&lt;/b&gt;</td>' in page
    collector = TagCollector()
    collector.feed(page)
    assert "script" not in collector.tags and "img" not in collector.tags and "b" not in collector.tags
    assert not any(name.startswith("on") for name, _ in collector.attrs)


def test_template_through_markdown_keeps_html_whole_and_names_literal() -> None:
    ctx = context(sample_book(), [reminder(-1)])
    md = markdown.Markdown(extensions=["attr_list", "md_in_html", "tables", "admonition", "toc"])
    out = md.convert(render(ctx))
    collector = TagCollector()
    collector.feed(out)
    assert collector.tags.count("svg") == 6
    assert "script" not in collector.tags and "img" not in collector.tags
    assert "<em>not emphasis</em>" not in out and 'href="http://evil"' not in out
    assert "*not emphasis* [link](http://evil) | pipe" in out
    assert collector.tags.count("h1") == 1
    assert collector.tags.count("h2") == 6
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


@pytest.mark.parametrize("options", [{}, {"trim_blocks": True, "lstrip_blocks": True}])
def test_template_html_blocks_have_no_blank_lines(options: dict) -> None:
    # A blank line inside a raw HTML block would let Markdown reinterpret what follows.
    ctx = dashboard_context(sample_book(), [reminder(-1)], TODAY, Settings(), broken=["a.md"])
    page = render(ctx, **options)
    # The build's hook takes marked blocks out whole; without it they must still hold.
    assert page.count("<!--crmgen-html-->\n") == page.count("<!--/crmgen-html-->\n") >= 7
    marked = re.findall(r"(?ms)^<!--crmgen-html-->\n(.*?)\n<!--/crmgen-html-->$", page)
    for block in marked:
        assert "\n\n" not in block and block.startswith("<") and block.endswith(">"), block[:200]
    page = re.sub(r"(?ms)^<!--crmgen-html-->\n.*?\n<!--/crmgen-html-->$", "", page)
    for block in page.split("\n\n"):
        block = block.strip()
        if block.startswith("<"):
            opened = block.split(">", 1)[0].split()[0].lstrip("<")
            assert block.endswith(f"</{opened}>") or block.startswith("<p"), block[:200]


def test_template_with_an_empty_book() -> None:
    page = render(dashboard_context([], [], TODAY, Settings()))
    assert "admonition" not in page
    assert "Nothing is owed" in page
    assert "No orders from 2025-11-24 to 2026-11-23" in page
    assert "No open complaints" in page
    assert "Every client has been contacted" in page


def test_long_tables_fold_the_rest_into_details() -> None:
    book = [
        client(
            f"c{i:02d}", f"Client {i:02d}", since=days(400),
            orders=(Order(date=days(40), amount=100 + i, pay_by=days(35)),),
        )
        for i in range(20)
    ]
    page = render(context(book, []))
    assert "<summary>8 more late payments</summary>" in page
    assert page.count('href="clients/c') >= 20 + 20  # every late payment and every out-of-touch row


def test_dashboard_is_deterministic() -> None:
    ctx1 = dashboard_context(sample_book(), [reminder(-1)], TODAY, Settings())
    ctx2 = dashboard_context(list(reversed(sample_book())), [reminder(-1)], TODAY, Settings())
    assert render(ctx1) == render(ctx2)


def test_template_in_the_site_environment() -> None:
    # The site helper's Environment: trim_blocks, StrictUndefined and a finalize hook
    # that also neutralises Markdown syntax in every plain string.
    pages = pytest.importorskip("crmgen.render.pages")
    env = pages.make_environment(None)

    class Site:
        today = TODAY
        title = "Test CRM"
        reminders_url = "reminders/index.html"

        @staticmethod
        def client_url(slug: str) -> str:
            return f"clients/{slug}/index.html"

        memo_rows = staticmethod(memo_rows)

    ctx = context(sample_book(), [reminder(-2, "xss")], broken=["clients/b.md"])
    page = env.get_template("dashboard.md.j2").render(site=Site(), **ctx)
    assert page.count('href="reminders/index.html"') >= 3
    assert '<a href="clients/huadong/index.html">' in page
    md = markdown.Markdown(extensions=["attr_list", "md_in_html", "tables", "admonition", "toc"])
    out = md.convert(page)
    collector = TagCollector()
    collector.feed(out)
    assert collector.tags.count("svg") == 6
    assert "script" not in collector.tags and "img" not in collector.tags and "em" not in collector.tags
    assert 'href="http://evil"' not in out
    text = html.unescape(out)
    assert XSS in text and "*not emphasis* [link](http://evil) | pipe" in text


def test_huge_tables_are_cut_so_the_home_page_stays_small() -> None:
    book = [
        client(f"c{i:03d}", f"Client {i:03d}", orders=(Order(date=days(40), amount=100, pay_by=days(35)),))
        for i in range(300)
    ]
    page = render(dashboard_context(book, [], TODAY, Settings()))
    assert "<summary>288 more late payments</summary>" in page
    assert "<p>… and 88 more.</p>" in page  # 300 - 12 shown - 200 folded
    assert page.count('<a href="clients/c') < 3 * (12 + 200) + 10


def _git(root: Path, *args: str, day: str | None = None) -> None:
    import os
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if day:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{day}T10:00:00+08:00"
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def test_never_contacted_agrees_with_due_in_a_real_git_repo(tmp_path: Path) -> None:
    """A client file committed long ago with no contact is out of touch (never contacted,
    counted from the commit); one committed today is not, as `crmgen due` says too."""
    import json
    import subprocess
    import sys

    from crmgen.history import read_history
    from crmgen.load.book import load_book
    from crmgen.load.project import load_project

    (tmp_path / "clients").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: T\ntheme:\n  name: material\n", encoding="utf-8")
    _git(tmp_path, "init", "-q")
    old, new = days(40).isoformat(), TODAY.isoformat()
    for slug, name, day in (("old-one", "杭州鸿运五金有限公司", old), ("new-one", "新客户", new)):
        (tmp_path / "clients" / f"{slug}.md").write_text(
            f"---\nname: {name}\ngrade: B\nstage: prospect\nphone: \"138 0000 0000\"\n---\n", encoding="utf-8")
        _git(tmp_path, "add", f"clients/{slug}.md")
        _git(tmp_path, "commit", "-q", "-m", f"add {slug}", day=day)
    project = load_project(tmp_path)
    book = load_book(project).clients
    first_seen = read_history(tmp_path, project.settings.clients_dir).first_seen()
    assert first_seen == {"old-one": days(40), "new-one": TODAY}
    reminders = due(book, TODAY, project.settings, first_seen=first_seen)
    ctx = dashboard_context(book, reminders, TODAY, project.settings)
    rows = {r["slug"]: r for r in ctx["out_of_touch"]}
    assert set(rows) == {"old-one"}
    assert rows["old-one"]["last_contact"] is None and rows["old-one"]["added"] == days(40)
    assert rows["old-one"]["days_since"] == 40
    page = render(ctx)
    assert f"never (added {old})" in page
    assert page.count("never (added") == 1
    # `due` as a process, in the same repository, names the same client as late to keep in touch.
    out = subprocess.run([sys.executable, "-m", "crmgen", "due", "--format", "json", "--today", new],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    late = {r["client"] for r in json.loads(out.stdout) if r["kind"] == "touch" and r["days"] < 0}
    assert late == set(rows)
    # The today list: the overdue touch reminder with the client's phone as a tel: link.
    assert [t["r"].client for t in ctx["today_list"]] == ["old-one"]
    assert '<a href="tel:13800000000">138 0000 0000</a>' in page


def test_today_list_has_overdue_and_today_only_with_the_contact_to_call() -> None:
    book = [
        # The first current contact's numbers; one who left is skipped.
        client("a", contacts=(Contact(name="老王", phone="139 1111 2222", left=days(10)),
                              Contact(name="李娜", phone="138 0000 0000", email="lina@example.cn")),
               phone="021-1234 5678"),
        # No contact with a phone: the client's own line and email.
        client("b", contacts=(Contact(name="Zhang"),), phone="021-5555 0101", email="buyer@example.com"),
    ]
    rems = [reminder(1, "a"), reminder(0, "b"), reminder(-3, "a"), reminder(-1, "gone")]
    ctx = dashboard_context(book, rems, TODAY, Settings())
    rows = ctx["today_list"]
    assert [(t["r"].client, t["r"].days) for t in rows] == [("a", -3), ("gone", -1), ("b", 0)]
    assert (rows[0]["who"], rows[0]["phone"], rows[0]["email"]) == ("李娜", "138 0000 0000", "lina@example.cn")
    assert (rows[2]["who"], rows[2]["phone"], rows[2]["email"]) == (None, "021-5555 0101", "buyer@example.com")
    assert rows[1]["phone"] is None  # a reminder of a client not in the book
    page = render(ctx)
    assert '<a href="tel:13800000000">138 0000 0000</a>' in page
    assert '<a href="mailto:lina@example.cn">lina@example.cn</a>' in page
    assert '<a href="tel:021-55550101">021-5555 0101</a>' in page
    assert "3 days late" in page and "· today" in page
    assert page.index("To do today") < page.index("## Receivables")
