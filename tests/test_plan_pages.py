"""The week's plan on the site (#17 item 3): plans/index.md for the team and plans/<owner>.md for each
salesperson, as of the build day; by region and day, each client with its reminders and brief, then
the plan against done of last week and this week. Every number worked out by hand from the book."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_browser_phone import chromium, sample_site  # noqa: F401  (the phone tests' fixtures)
from tests.test_plan import TODAY, _write, book

# The book of tests/test_plan.py (today is Wednesday 2026-12-02, the week 11-30 to 12-06), and 诚信汽配
# of 李娜 in 宁波: a complaint at its first step (listen, due 11-22: late on 11-23 and today) and a call on
# 11-24, in last week. Its address is hostile: the page must show it as text.
ADDRESS = "宁波 <b>北仑</b> [x](javascript:alert(1))"


def _book(tmp_path: Path, language: str = "en") -> Path:
    root = book(tmp_path, language)
    _write(root, "chengxin", f"""
        ---
        name: 诚信汽配
        grade: B
        owner: 李娜
        region: 宁波
        cadence: 30
        address: "{ADDRESS}"
        complaints:
          - {{opened: 2026-11-20, what: 发票开错, step: listen}}
        ---
        ## 2026-11-24 call: 电话道歉
        """)
    return root


def _build(root: Path) -> Path:
    run = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), "build", "--today", TODAY],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return root / ".crmgen" / "docs"


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    return _build(_book(tmp_path_factory.mktemp("plan-en")))


@pytest.fixture(scope="module")
def docs_zh(tmp_path_factory) -> Path:
    return _build(_book(tmp_path_factory.mktemp("plan-zh"), "zh"))


def _page(docs: Path, name: str) -> str:
    return (docs / "plans" / f"{name}.md").read_text(encoding="utf-8")


def _outline(text: str) -> list[str]:
    """The headings, and each card's client (by its link), in page order."""
    found = re.findall(r"^(#+ .*)$|<strong><a href=\"[^\"]*/([^/\"]+)/index\.html\">", text, re.M)
    return [heading or f"client {slug}" for heading, slug in found]


def _items(text: str, cls: str) -> list[list[str]]:
    """The text of each <li> of every <ul class="crmgen-plan__<cls>">, tags removed."""
    return [[re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li>(.*?)</li>", ul)]
            for ul in re.findall(rf'<ul class="crmgen-plan__{cls}">\n(.*?)</ul>', text, re.S)]


def test_the_team_page_by_region_then_day_each_client_once(docs):
    text = _page(docs, "index")
    # 宁波 (ningbo) before 上海 (shanghai) by pinyin, the clients without a region last; every late
    # reminder goes on today; 金海包装's touch (11-30 + 7 = 12-07) is next week's
    assert _outline(text) == [
        "# The week&#39;s plan: 2026-11-30 to 2026-12-06",
        "## 宁波", "### Wed 2026-12-02", "client chengxin",
        "## 上海", "### Wed 2026-12-02", "client huadong",
        "## (no region)", "### Wed 2026-12-02", "client laoliu",
        "## Plan against done", "### Last week, 2026-11-23 to 2026-11-29", "### This week, 2026-11-30 to 2026-12-06",
    ]
    # 1 reminder of 诚信汽配 (its complaint), 6 of 华东润滑油, 1 of 老刘汽修 (its touch, due 10-31)
    assert "As of 2026-12-02 · 3 clients, 8 reminders · " in text
    assert ('By salesperson: <a href="lina.html">李娜</a> · <a href="wanglei.html">王磊</a>') in text


def test_each_card_links_the_client_and_its_phone_and_escapes_its_values(docs):
    text = _page(docs, "wanglei")
    assert ('<strong><a href="../clients/huadong/index.html">华东润滑油</a></strong>'
            ' · <a href="tel:021-54883120">021-5488 3120</a>') in text
    lina = _page(docs, "lina")
    assert "<b>" not in lina and "](javascript" not in lina
    assert "宁波 &#60;b&#62;北仑&#60;/b&#62; &#91;x&#93;(javascript:alert(1))" in lina


def test_an_owners_page_has_their_clients_reminders_and_briefs(docs):
    text = _page(docs, "wanglei")
    assert _outline(text)[:4] == ["# The week&#39;s plan for 王磊: 2026-11-30 to 2026-12-06", "## 上海",
                                  "### Wed 2026-12-02", "client huadong"]
    assert "chengxin" not in text and "laoliu" not in text
    assert "As of 2026-12-02 · 1 client, 6 reminders · " in text
    assert '<a href="index.html">The whole team\'s plan</a> · <a href="../reminders/wanglei.html">' in text
    (reminders,) = _items(text, "reminders")
    # late ones first (on today), then by date; each with its day and how far it is
    assert [r.split(" ", 3)[:3] for r in reminders] == [
        ["2026-11-30", "·", "2"], ["2026-11-30", "·", "2"], ["2026-12-03", "·", "tomorrow"],
        ["2026-12-04", "·", "in"], ["2026-12-04", "·", "in"], ["2026-12-05", "·", "in"]]
    assert reminders[1].endswith("Payment from 华东润滑油: ¥100,000 owed on the order of 2026-10-20 (促销装), "
                                 "¥120,000 of ¥220,000 paid, due 2026-11-30")
    assert reminders[5] == "2026-12-05 · in 3 days Birthday of 周建国 at 华东润滑油, turns 56"
    (brief,) = _items(text, "brief")
    assert brief == [
        "Last orders: 2026-10-20 ¥220,000 (促销装); 2026-06-18 ¥210,000",
        "Owed: ¥100,000 (¥100,000 past due)",  # 220,000 - 120,000, due 11-30
        "Our promise: 送两名技术讲师, due 2026-12-04",
        "Their promise: 付清十月货款 (¥100,000), due 2026-12-20",
        "Open complaint: 两桶刮花 (step 2 of 6, analyse, due 2026-11-30)",
        "Birthday: 周建国 on 2026-12-05",
        "Opportunity: 2027 框架合同 ¥1,200,000 (negotiation, expected 2026-12-31)",
        "Last contact: 2026-11-20 meeting: 到货确认",
        "Next step on 2026-12-03: 年底冲量方案面谈 (from 2026-11-20)",
    ]


def test_plan_against_done_last_week_and_this_week(docs):
    # Last week (as of Monday 11-23): 李娜 was due to contact 诚信汽配 (complaint late since 11-22) and
    # 老刘汽修 (touch late since 10-31) and called 诚信汽配 on 11-24; 王磊 had nothing due, logged nothing.
    # This week: 李娜 has both still due, no contact yet; 王磊 has 华东润滑油 due (touch, next step) and
    # called 金海包装 (not due) on 11-30.
    last = "李娜: 1 of 2 clients due a contact were contacted; 0 more contacted"
    this_lina = "李娜: 0 of 2 clients due a contact were contacted; 0 more contacted"
    this_wang = "王磊: 0 of 1 clients due a contact were contacted; 1 more contacted"
    assert _items(_page(docs, "index"), "done") == [[last], [this_lina, this_wang]]
    assert _items(_page(docs, "lina"), "done") == [[last], [this_lina]]
    assert _items(_page(docs, "wanglei"), "done") == [["nothing planned, nothing logged"], [this_wang]]


def test_the_site_links_the_plans(docs):
    root = docs.parent.parent
    reminders = (docs / "reminders" / "lina.md").read_text(encoding="utf-8")
    assert '<a href="../plans/lina.html">This week\'s plan</a>' in reminders
    assert "plans/" not in (docs / "reminders" / "index.md").read_text(encoding="utf-8")
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="plans/index.html"[^>]*>\s*(<span[^>]*>\s*)?Plans', home)
    assert (root / "site" / "plans" / "wanglei.html").is_file()


def test_the_pages_in_chinese(docs_zh):
    text = _page(docs_zh, "lina")
    assert _outline(text)[:3] == ["# 本周计划（李娜）：2026-11-30 至 2026-12-06", "## 宁波", "### 周三 2026-12-02"]
    for words in ("## （无区域）", "## 计划与完成", "### 上周：2026-11-23 至 2026-11-29", "### 本周：2026-11-30 至 2026-12-06",
                  "截至 2026-12-02", "全队的计划", "李娜 的提醒", "命令行里也能看到同样的计划",
                  "未结投诉：发票开错", "最近联系：2026-11-24 电话：电话道歉"):
        assert words in text, words
    wang = _page(docs_zh, "wanglei")
    assert "没有计划，也没有记录" in wang
    # the brief's own punctuation in Chinese too
    assert "最近订单：2026-10-20 ¥220,000（促销装）；2026-06-18 ¥210,000" in wang
    assert "客户承诺：付清十月货款（¥100,000），截止 2026-12-20" in wang
    assert "按销售人员：" in _page(docs_zh, "index")
    assert "本周计划</a>" in (docs_zh / "reminders" / "lina.md").read_text(encoding="utf-8")
    english = re.compile(r"The week|Plan against|Last week|This week|Wed |no region|Open complaint|Last contact|"
                         r"command line|whole team|Reminders for|nothing planned|clients due|By salesperson")
    for name in ("index", "lina", "wanglei"):
        assert not english.findall(_page(docs_zh, name)), name


@pytest.mark.browser
@pytest.mark.slow
def test_the_plans_fit_a_390px_phone(sample_site, chromium):  # noqa: F811
    """The sample book's plans (as of 2026-06-15): no sideways scroll, nothing past the viewport, and
    no serious or critical axe-core violation of crmgen's."""
    from tests.test_browser_phone import ALLOWED, AXE_RUN, OVERFLOW, _axe_js

    axe = _axe_js()
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    try:
        for path in ("plans/index.html", "plans/wanglei.html"):
            page.goto((sample_site / path).as_uri(), wait_until="load")
            assert page.locator("article .crmgen-plan__visit").count() > 0, path
            assert page.locator('article .crmgen-plan__visit a[href^="tel:"]').count() > 0, path
            found = page.evaluate(OVERFLOW)
            assert found["scroll"] <= found["width"] and not found["wide"], (path, found)
            page.add_script_tag(path=str(axe))
            violations = [v for v in page.evaluate(AXE_RUN, None) if (v[0], v[1]) not in ALLOWED]
            assert violations == [], (path, violations)
    finally:
        context.close()


def test_an_edit_renders_the_plans_again(tmp_path):
    root = _book(tmp_path)
    docs = _build(root)
    assert _outline(_page(docs, "lina"))[1] == "## 宁波"
    path = root / "clients" / "chengxin.md"
    path.write_text(path.read_text(encoding="utf-8").replace("region: 宁波", "region: 杭州"), encoding="utf-8")
    _build(root)  # incremental: the plan pages are made of every client
    assert _outline(_page(docs, "lina"))[1] == "## 杭州"
    assert "## 杭州" in _page(docs, "index") and "## 宁波" not in _page(docs, "index")
