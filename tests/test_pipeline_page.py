"""The pipeline page and the sales page (#17 items 2, 4, 5): a small book built for real, each number
on the page worked out by hand."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.cli.app import main

TODAY = "2026-12-10"


def _write(root: Path, slug: str, text: str) -> None:
    (root / "clients" / f"{slug}.md").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def build(tmp_path: Path, language: str = "en", settings: str = "") -> Path:
    root = tmp_path / "crm"
    (root / "clients").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(
        f"site_name: t\ntheme:\n  name: material\n  language: {language}\nextra:\n  crmgen:\n    within: 7\n{settings}",
        encoding="utf-8")
    _write(root, "huadong", """
        ---
        name: 华东润滑油
        grade: A
        stage: customer
        owner: 王磊
        orders:
          - {id: O-1, date: 2026-11-05, amount: 300000}
          - {date: 2025-11-05, amount: 100000}
        opportunities:
          - {what: 框架合同, amount: 1000000, stage: negotiation, expected: 2026-12-31, since: 2026-12-01}
          - {what: 试用装, amount: 40000, stage: proposal, probability: 25%, expected: 2026-12-05}
          - {what: 冬季装, amount: 300000, stage: won, order: O-1}
        ---
        """)
    _write(root, "jinhai", """
        ---
        name: 金海包装
        grade: B
        stage: customer
        owner: 李娜
        referred_by: huadong
        orders:
          - {date: 2026-12-02, amount: 100000}
        opportunities:
          - {what: 链条油, amount: 80000, stage: lost, lost_reason: 价格}
          - {what: 导轨油, amount: 20000, opened: 2026-10-01}
        complaints:
          - opened: 2026-11-20
            what: 两桶刮花
            step: solve
            steps: {analyse: 2026-11-22, solve: 2026-12-08}
            cause: product
            cause_note: 外箱太薄
            handler: 李娜
            escalated_to: 质量部
            escalated: 2026-11-22
          - {opened: 2026-10-01, what: 晚到, step: review, closed: 2026-10-11, compensation: 免运费,
             compensation_amount: 800}
        ---
        """)
    site = root / "site"
    run = CliRunner().invoke(main, ["-C", str(root), "build", "--today", TODAY, "-d", str(site)])
    assert run.exit_code == 0, run.output
    return site


def text_of(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("pipeline"))


def test_the_board_has_a_column_per_stage_with_its_totals(site):
    page = (site / "pipeline.html").read_text(encoding="utf-8")
    columns = re.findall(r'<h2 class="crmgen-board__stage">(\w+) <span class="crmgen-board__count">(\d+)</span></h2>\s*'
                         r'<p class="crmgen-board__sum">([^<]*)', page)
    assert columns == [
        ("lead", "1", "¥20,000 · "),  # 20,000 × 10%
        ("qualified", "0", "¥0 · "),
        ("proposal", "1", "¥40,000 · "),  # 40,000 × 25%
        ("negotiation", "1", "¥1,000,000 · "),  # × 75%
        ("won", "1", "¥300,000"),
        ("lost", "1", "¥80,000"),
    ]
    weighted = re.findall(r">weighted ([^<]*)</span>", page)
    assert weighted == ["¥2,000", "¥0", "¥10,000", "¥750,000"]
    text = text_of(page)
    # open: 20,000 + 40,000 + 1,000,000; weighted 2,000 + 10,000 + 750,000; won 1 of 2 decided
    assert "3 open opportunities worth ¥1,060,000, ¥762,000 weighted by their chances." in text
    assert "Won 1 of those decided (50%), worth ¥300,000." in text


def test_late_cards_say_why(site):
    page = (site / "pipeline.html").read_text(encoding="utf-8")
    cards = re.findall(r'<article class="crmgen-board__card( crmgen-board__card--late)?">(.*?)</article>', page, re.S)
    late = {re.search(r"<p>([^<]+)</p>", body)[1]: text_of(body) for mark, body in cards if mark}
    # 试用装 was expected 12-05; 导轨油 opened 10-01 has not moved for 30 days; 框架合同 moved 12-01
    assert set(late) == {"试用装", "导轨油"}
    assert late["试用装"].endswith("Its expected day has passed")
    assert late["导轨油"].endswith("Not moved for 30 days")


def test_forecast_owners_and_lost_reasons(site):
    text = text_of((site / "pipeline.html").read_text(encoding="utf-8"))
    assert "2026-12 ¥760,000" in text  # 10,000 + 750,000 expected in December
    assert "no date ¥2,000" in text
    assert "王磊 2 ¥1,040,000 ¥760,000 1 ¥300,000" in text
    assert "李娜 1 ¥20,000 ¥2,000 0 ¥0" in text
    assert "价格 1 ¥80,000" in text


def test_the_sales_page(site):
    text = text_of((site / "sales.html").read_text(encoding="utf-8"))
    assert "¥400,000 in the last twelve months" in text  # 2025-11-05 is more than a year before 12-10
    # this year to 12-10: 300,000 + 100,000; last year to 2025-12-10: 100,000
    assert "¥400,000 from 2026-01-01 to today, against ¥100,000 in the same days of last year (to 2025-12-10): +300.0% ." in text
    # jinhai's first order is new business from a referred client; huadong's of 2026 is repeat
    assert "This year: ¥100,000 from new clients (1), of which ¥100,000 from referred ones (1); ¥300,000 repeat business." in text
    # A: huadong (300,000 of 400,000 reaches 75% < 80%, so jinhai is A too)
    assert "Class A (2): 华东润滑油 , 金海包装" in text and "Class B (0)" in text


def test_targets_show_the_months_pace(tmp_path):
    site = build(tmp_path, settings="    targets: {王磊: 100000, 李娜: {monthly: 50000, \"2026-12\": 400000}, "
                                    "张敏: 5000}\n")
    text = text_of((site / "sales.html").read_text(encoding="utf-8"))
    # December to the 10th: 王磊 nothing of 100,000; 李娜 100,000 of 400,000 = 25%; 10 of 31 days = 32%
    assert "王磊 ¥100,000 ¥0 0% (behind) 32%" in text
    assert "李娜 ¥400,000 ¥100,000 25% (behind) 32%" in text
    assert "张敏 ¥5,000 ¥0 0% (behind) 32%" in text  # a salesperson without clients yet: no page to link
    # the owner's own page says it too
    mine = text_of((site / "reminders" / "lina.html").read_text(encoding="utf-8"))
    assert "Target for 2026-12: ¥100,000 of ¥400,000 ordered (25%), with 32% of the month gone: behind the pace" \
        in mine


def test_in_chinese(tmp_path):
    site = build(tmp_path, language="zh")
    page = (site / "pipeline.html").read_text(encoding="utf-8")
    assert "商务谈判" in page and "赢单" in page and "丢单" in page and "预测" in page
    assert "销售" in (site / "sales.html").read_text(encoding="utf-8")


def test_the_client_page_shows_its_opportunities_and_its_complaints_truthfully(site):
    text = text_of((site / "clients" / "jinhai" / "index.html").read_text(encoding="utf-8"))
    # open ones first; 导轨油 has stayed at the first stage since it was opened
    assert "Opportunities What Stage Worth Chance Expected Next step 导轨油 lead ¥20,000 10% not moved 链条油 lost · 价格" \
        in text
    # solve reached 12-08: its 5 days end 12-13; listen is the day it was opened
    assert ("两桶刮花 · open, step 3 of 6 this step due 2026-12-13 ✓ listen 2026-11-20 ✓ analyse 2026-11-22 3 solve "
            "2026-12-08 4 inform 5 act 6 review Cause product: 外箱太薄 Handled by 李娜 Escalated 质量部 · 2026-11-22") in text
    # closed 10-11, resolved in 10 days; no contact since: the follow-up visit was due 14 days later
    assert ("晚到 · closed 2026-10-11 (resolved in 10 days) ✓ listen 2026-10-01 ✓ analyse ✓ solve ✓ inform ✓ act ✓ "
            "review Compensation 免运费 · ¥800 Follow-up visit due 2026-10-25") in text


def test_the_report_pages_for_the_book_and_each_owner(site):
    book = text_of((site / "reports" / "index.html").read_text(encoding="utf-8"))
    # 2026-12-10 is in W50: jinhai's order of 12-02 was last week (W49), and in the month
    assert "Weekly report: 2026-W50 (2026-12-07 to 2026-12-13)" in book
    assert "Weekly report: 2026-W49 (2026-11-30 to 2026-12-06) Interactions: 0 (none) with 0 clients New clients: 0 " \
           "Promises: 0 made, 0 kept, 0 broken Orders: 1, ¥100,000" in book
    assert "Monthly report: 2026-12 (2026-12-01 to 2026-12-31)" in book
    assert "By salesperson: 李娜 · 王磊" in book
    # huadong's negotiation moved on 12-01 (week 49, the month); jinhai's 导轨油 was found 10-01 (neither)
    assert "Opportunities moved 2026-12-01 华东润滑油: 框架合同 (¥1,000,000), to negotiation" in book
    mine = text_of((site / "reports" / "wanglei.html").read_text(encoding="utf-8"))
    assert "Reports for 王磊" in mine and "Weekly report for 王磊: 2026-W49" in mine and "金海包装" not in mine


def test_a_client_page_shows_its_last_twelve_months(site):
    page = (site / "clients" / "huadong" / "index.html").read_text(encoding="utf-8")
    chart = re.search(r"<svg[^>]*>.*?</svg>", page[page.index('id="orders"'):], re.S)[0]
    # 2026-01 to 2026-12 (the build day's month): the order of 2025-11-05 is older than that
    assert "Orders by month: 2026-01 ¥0" in chart and "2026-11 ¥300,000" in chart and "2025-11" not in chart
    assert "2026-12 ¥100,000" in (site / "clients" / "jinhai" / "index.html").read_text(encoding="utf-8")
    # a client that ordered nothing in those months has no chart
    import datetime as dt

    from crmgen.format.model import Client, Order
    from crmgen.render.pipeline import client_months_chart

    old = Client(slug="o", path="clients/o.md", name="O", grade="C",
                 orders=(Order(date=dt.date(2025, 12, 31), amount=5),))
    assert client_months_chart(old, "¥", dt.date(2026, 12, 10)) is None
    assert client_months_chart(old, "¥", dt.date(2026, 11, 30)) is not None  # 2025-12 is in those months


def test_the_referrals_page(site):
    text = text_of((site / "referrals.html").read_text(encoding="utf-8"))
    # jinhai (¥100,000 in all) was referred by huadong (¥400,000)
    assert "1 client came through another client's referral (referred_by)." in text
    assert "华东润滑油 ordered ¥400,000 · referred 1 client, who ordered ¥100,000 金海包装 ordered ¥100,000" in text
    assert "2 clients say neither how they came (source) nor who referred them." not in text
    assert "1 client says neither how it came (source) nor who referred it." in text  # huadong
