"""A client's page in Chinese (issue #19 item 3): crmgen/templates/client.md.j2, the reminder
table and the change history of _macros.md.j2, and what crmgen/render/pages.py puts on it (the
profile card, the statuses of promises and payments, the ageing bands, the rebates' names).

A small book whose clients fill every section of the page (profile and badges, reminders,
notes, contacts with one who left, interactions with their next steps and the folded earlier
ones, promises of both sides kept, kept late, broken, excused, late and open, orders, payments
and what is owed, complaints open and closed, rebates of every kind, referrals both ways, the
change history with a grade history, a file not yet committed) is built by the real
``crmgen build`` with ``theme: language: zh``. The text a reader sees or hears in a client
page's article (the reminders' titles and their "3 days late" from crmgen/rules included) must
hold no Latin word but the user's own and those of :data:`ALLOWED`.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pagetext import visible_text

from crmgen import i18n
from crmgen.cli.app import main
from crmgen.format import schema

TODAY = dt.date(2026, 12, 1)
WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Latin words a Chinese client page still shows, each for a reason (text inside <code> is not
# read at all: commands, file names, the file format's own words and commit ids stay as typed).
ALLOWED = {
    "git",  # the tool's name: "没有提交到 git", "把项目放进 git"
}
MKDOCS = """\
site_name: 销售客户
theme:
  name: material
  language: {language}
extra:
  crmgen:
    currency: "¥"
"""
CLIENTS = {
    # Every section: both sides' promises in every state, orders paid, owed late and not yet due,
    # a rebate on its way, a complaint open and one closed, a contact who left, next steps,
    # referred by one client and the referrer of two. Graded B first, then A (two commits).
    "huadong-runhuayou": """\
        ---
        name: 华东润滑油有限公司
        grade: B
        stage: customer
        owner: 王磊
        tags: [经销商, 重点客户]
        phone: "021-5488 3120"
        email: purchase@huadong-oil.example.cn
        website: https://huadong-oil.example.cn
        address: 上海市闵行区春东路 518 号
        industry: 润滑油经销
        notes: 华东区最大的经销商。
        since: 2019-12-08
        cadence: 14
        credit_limit: 800000
        terms: 月结45天
        referred_by: laoke-qixiu
        contacts:
          - name: 周建国
            role: 总经理
            phone: "139 1650 2288"
            email: zhoujg@huadong-oil.example.cn
            birthday: "--12-12"
            notes: 喜欢普洱茶。
          - name: 徐丽
            role: 采购主管
            left: 2026-03-31
        dates:
          - what: 首次合作纪念日
            date: 2019-12-08
        promises:
          - by: us
            what: 促销备货按期送达
            due: 2026-10-28
            kept: 2026-10-27
          - by: client
            what: 结清三季度货款
            due: 2026-10-15
            amount: 110000
            agreed: 2026-09-30
            order: Q3-01
            kept: 2026-10-18
          - by: us
            what: 提供两名技术讲师
            due: 2026-11-10
            broken: 2026-11-11
          - by: client
            what: 付冬季品定金
            due: 2026-11-15
            broken: 2026-11-16
            because: 3
          - by: client
            what: 确认年度合同
            due: 2026-11-25
          - by: us
            what: 送冬季新品资料
            due: 2026-12-20
        orders:
          - date: 2025-11-20
            amount: 200000
            paid: 200000
            delivered: 2025-11-25
            items: 全合成机油
          - date: 2026-03-10
            id: Q1-01
            amount: 240000
            payments:
              - {date: 2026-04-20, amount: 240000, note: 电汇}
            pay_by: 2026-04-30
            delivered: 2026-03-14
            reviewed: 2026-03-24
            items: 柴机油
          - date: 2026-09-20
            id: Q3-01
            amount: 210000
            payments:
              - {date: 2026-10-18, amount: 110000, note: 首款}
            delivered: 2026-09-25
            reviewed: 2026-10-05
            items: 液压油
          - date: 2026-11-16
            amount: 150000
            delivered: 2026-11-19
            items: 防冻液
        rebate:
          name: 2026 年度返利
          from: 2026-01-01
          to: 2026-12-31
          basis: ordered
          tiers:
            - over: 500000
              rate: 2%
            - over: 1000000
              rate: 3%
        complaints:
          - opened: 2026-06-10
            what: 两桶外漆刮花
            step: review
            closed: 2026-06-20
          - opened: 2026-11-20
            what: 防冻液标签印错
            step: solve
        extra:
          开票抬头: 上海华东润滑油有限公司
          增值税专票: true
          zip_code: "201108"
        ---

        华东区总经销。

        ## 2026-11-20 meeting: 冬季品到货确认

        现场验收无问题。

        下一步：2026-12-10 年底冲量方案面谈

        ## 2026-11-05 visit: 促销装到货回访

        周总说动销不错。

        Next: 2026-12-15

        ## 2026-10-14 message: 货款到账

        徐丽微信告知已付。
        """,
    # Never committed, no interactions; a bare number of days as terms; rebates without names:
    # ended and settled, ended and not settled, on its way counting payments above each threshold.
    "jinhai-baozhuang": """\
        ---
        name: 金海包装
        grade: C
        stage: prospect
        owner: 王磊
        referred_by: huadong-runhuayou
        terms: 30
        credit_limit: 8000
        orders:
          - date: 2024-06-01
            amount: 5000
            paid: 5000
            delivered: 2024-06-03
          - date: 2025-06-01
            amount: 1000
            delivered: 2025-06-02
          - date: 2025-03-01
            amount: 30000
            paid: 30000
            delivered: 2025-03-05
          - date: 2026-02-01
            amount: 12000
            payments:
              - {date: 2026-03-01, amount: 2000}
            delivered: 2026-02-03
        rebates:
          - from: 2024-01-01
            to: 2024-12-31
            basis: delivered
            tiers:
              - {over: 100, rate: 1%}
            settled: 2025-01-20
          - from: 2025-01-01
            to: 2025-12-31
            basis: delivered
            tiers:
              - {over: 1000, rate: 1%}
          - from: 2026-01-01
            to: 2026-12-31
            basis: paid
            mode: above
            tiers:
              - {over: 1000, rate: 1%}
              - {over: 500000, rate: 2%}
        ---
        """,
    # More interactions than get a heading each; cash on delivery, one order waiting for its
    # delivery and one due today.
    "wanjia-chaoshi": """\
        ---
        name: 万家超市
        grade: B
        stage: customer
        owner: 李娜
        referred_by: huadong-runhuayou
        terms: 货到付款
        orders:
          - date: 2026-11-28
            amount: 5000
            items: 饮料
          - date: 2026-11-01
            amount: 3000
            pay_by: 2026-12-01
            delivered: 2026-11-02
        ---
        """,
    "laoke-qixiu": """\
        ---
        name: 老柯汽修
        grade: D
        stage: lost
        ---

        ## 2025-01-10 call: 问候

        说明年再谈。
        """,
}
EARLIER = 3  # interactions beyond those that get a heading each (client.md.j2's HEADINGS_MAX: 300)


def many_interactions() -> str:
    return "".join(f"\n## 2026-{1 + i % 10:02d}-{1 + i % 28:02d} visit: 第 {i} 次拜访\n\n送货。\n\n"
                   f"下一步：2026-12-{1 + i % 28:02d} 第 {i} 次回访\n" for i in range(300 + EARLIER))


AUTHOR = "张敏"
SUBJECTS = ("客户资料", "华东升为 A 级")


def _git(root: Path, *args: str, date: str = "2026-06-01T10:00:00+08:00") -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": AUTHOR, "GIT_AUTHOR_EMAIL": "zm@example.com",
                        "GIT_COMMITTER_NAME": AUTHOR, "GIT_COMMITTER_EMAIL": "zm@example.com",
                        "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
                        "PATH": "/usr/bin:/bin", "HOME": str(root)})


def make_book(root: Path, language: str) -> Path:
    (root / "clients").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(MKDOCS.format(language=language), encoding="utf-8")
    for slug, text in CLIENTS.items():
        text = textwrap.dedent(text) + (many_interactions() if slug == "wanjia-chaoshi" else "")
        (root / "clients" / f"{slug}.md").write_text(text, encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "mkdocs.yml", "clients/huadong-runhuayou.md", "clients/wanjia-chaoshi.md",
         "clients/laoke-qixiu.md")
    _git(root, "commit", "-qm", SUBJECTS[0])
    path = root / "clients" / "huadong-runhuayou.md"
    path.write_text(path.read_text(encoding="utf-8").replace("grade: B", "grade: A"), encoding="utf-8")
    _git(root, "commit", "-qam", SUBJECTS[1], date="2026-11-21T10:00:00+08:00")
    return root


def build(root: Path) -> Path:
    site = root / "site"
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--today", TODAY.isoformat(), "-d", str(site)])
    assert result.exit_code == 0, result.output
    return site


def page_text(site: Path, slug: str) -> str:
    """What a reader sees or hears of a client page's article (crmgen's, inside Material's chrome)."""
    page = (site / "clients" / slug / "index.html").read_text(encoding="utf-8")
    found = re.search(r"<article\b.*?</article>", page, re.S)
    assert found, "no article"
    return visible_text(found[0])


def user_words(root: Path) -> set[str]:
    """Every Latin word the user wrote as content (e-mail and web addresses, order ids, slugs, the
    keys of ``extra``). The file's other keys and the format's own words (a stage, a side, a step, an interaction's type, ``Next:``)
    are not: the page must say them in its language, so they are not excused here."""
    words: set[str] = set()
    keys: set[str] = set()
    for path in sorted((root / "clients").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        words |= set(WORD.findall(text))
        front = yaml.safe_load(text.split("---\n")[1])
        front.pop("extra", None)  # its keys are the user's own labels
        keys |= set(WORD.findall(" ".join(_keys(front))))
    vocabulary = {*schema.STAGES, *schema.INTERACTION_TYPES, *schema.PROMISE_SIDES, *schema.COMPLAINT_STEPS,
                  *schema.REBATE_BASES, *schema.REBATE_MODES, "Next", "true"}
    return words - keys - vocabulary


def _keys(data: object) -> list[str]:
    if isinstance(data, dict):
        return [str(k) for k in data] + [k for v in data.values() for k in _keys(v)]
    if isinstance(data, list):
        return [k for v in data for k in _keys(v)]
    return []


def english_left(root: Path, site: Path) -> dict[str, list[str]]:
    """Per client page, the Latin words that are neither the user's nor allowed."""
    mine = user_words(root)
    left: dict[str, list[str]] = {}
    for slug in CLIENTS:
        text = page_text(site, slug)
        found = sorted({w for w in WORD.findall(text) if w not in mine and w not in ALLOWED})
        if found:
            left[slug] = found
    return left


@pytest.fixture(scope="module")
def zh_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = make_book(tmp_path_factory.mktemp("zh") / "book", "zh")
    return root, build(root)


@pytest.fixture(scope="module")
def en_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = make_book(tmp_path_factory.mktemp("en") / "book", "en")
    return root, build(root)


def test_the_book_fills_every_section_of_a_client_page(zh_book):
    """The check below means something only if every section it reads is on a page."""
    _root, site = zh_book
    page = (site / "clients" / "huadong-runhuayou" / "index.html").read_text(encoding="utf-8")
    for part in ('class="crmgen-card"', 'class="crmgen-owner"', 'class="crmgen-reminders"', 'class="crmgen-left"',
                 'class="crmgen-next"', 'class="crmgen-record"', "crmgen-status--kept", "crmgen-status--late",
                 "crmgen-status--broken", "crmgen-status--open", 'class="crmgen-complaint"', "crmgen-step--current",
                 'class="crmgen-rebate"', 'class="crmgen-tiers"', 'class="crmgen-timeline"', 'class="crmgen-lastchange"'):
        assert part in page, part
    assert page.count("<table>") == 8  # reminders, contacts, promises, years, orders, payments, owed, changes
    jinhai = (site / "clients" / "jinhai-baozhuang" / "index.html").read_text(encoding="utf-8")
    assert jinhai.count('class="crmgen-rebate"') == 3
    wanjia = (site / "clients" / "wanjia-chaoshi" / "index.html").read_text(encoding="utf-8")
    assert 'class="crmgen-earlier"' in wanjia


def test_a_client_page_shows_no_english_of_crmgens_in_chinese(zh_book):
    root, site = zh_book
    assert english_left(root, site) == {}


def test_a_client_page_says_it_in_chinese(zh_book):
    _root, site = zh_book
    expected = {
        "huadong-runhuayou": [
            # the card: badges, fields (the values of the format through label())
            "A 级", "客户", "负责人：", "王磊", "行业", "电话", "邮箱", "网站", "地址", "合作始于", "联系周期", "14 天",
            "信用额度", "额度使用", "欠款 ¥250,000：可用 ¥550,000（已用 31%）", "账期", "月结45天", "回款天数",
            "中位数 37 天，最近一笔订单 37 天（从交货到付清；共 1 笔订单）", "介绍人", "老柯汽修", "最近联系",
            "首次合作纪念日", "开票抬头", "增值税专票", "是", "zip code201108",
            # reminders, notes, contacts
            "近期提醒", "时间", "事项", "类型", "确认兑现", "备注", "华东区最大的经销商。", "联系人", "姓名", "职务",
            "生日", "12-12", "2026-03-31 离职",
            # interactions and their next steps
            "联系记录", "2026-11-20 · 会面：冬季品到货确认", "2026-11-05 · 拜访：促销装到货回访",
            "2026-10-14 · 消息：货款到账", "下一步（2026-12-10）：年底冲量方案面谈", "下一步：2026-12-15",
            # promises
            "承诺", "我方：", "客户方：", "按时兑现 1", "迟兑现 1（迟延中位数 3 天）", "违约 1",
            "违约 0（另有 1 项因我方违约）", "逾期 1", "待兑现 1", "（已了结的承诺中按时兑现 50%；得分：其他承诺 ",
            "（已了结的承诺中按时兑现 0%；得分：金钱承诺 ", "所用的编号。得分：按时兑现计 1", "到期", "承诺方",
            "承诺内容", "金额", "状态", "我方", "（2026-09-30 约定）", "（订单 Q3-01）", "已兑现 2026-10-27",
            "迟 3 天兑现 2026-10-18", "违约 2026-11-11", "（因我方承诺 #3）", "逾期", "待兑现",
            # orders, payments, what is owed
            "订单", "年份", "订单数", "合计", "增长", "+200%", "日期", "编号", "货品", "已付", "付款期限", "交货",
            "售后回访", "（按账期：月结45天）", "付款日期", "对应订单", "电汇", "待收货款", "欠款", "账龄（逾期天数）",
            "逾期 17 天", "1–30", "2027-01-14", "44 天后到期", "未到期",
            # complaints, rebate, referrals, history
            "投诉", "2026-06-20 已结案", "处理中，第 3 步（共 6 步）", "倾听", "分析", "解决", "告知", "处理", "回顾",
            "返利", "2026 年度返利", "周期 2026-01-01 至 2026-12-31（还剩 30 天）：已订货 ¥600,000。",
            "当前返利 2%：¥12,000。", "再累计 ¥400,000 可达 3% 档（超过 ¥1,000,000），返利 ¥30,000。",
            "期中（2026-07-02）：¥240,000，", "落后于", "2% 档的进度（届时应达 ¥250,685）。", "超过 ¥500,000：2%",
            "转介绍", "由 老柯汽修 介绍。", "介绍了 2 位客户：", "金海包装，万家超市。",
            "变更历史", "最近一次修改：张敏，2026-11-21：华东升为 A 级", "等级变化", "首次定级为 B", "张敏 修改：客户资料",
            "修改记录", "修改人", "修改内容", "提交", "源文件：",
        ],
        "jinhai-baozhuang": [
            "C 级", "潜在客户", "账期", "30 天", "（按账期：30 天）", "欠款 ¥11,000：超出额度 ¥3,000",
            "还没有联系记录。用", "添加一条，或在", "还没有提交到 git。",
            "2024-01-01 至 2024-12-31 的返利", "2025-01-01 至 2025-12-31 的返利", "2026-01-01 至 2026-12-31 的返利",
            "已交货 ¥31,000", "已回款 ¥2,000（每档比例只计超出该档门槛的部分）", "已于 2025-01-20 结算。",
            "尚未结算。", "已达最高档。", "（还剩 30 天）", "逾期 271 天", "181–365", "逾期 517 天", "超过 365",
        ],
        "wanjia-chaoshi": [
            "B 级", "货到付款", "今天到期", f"更早的联系记录（{EARLIER}）",
            "2026-01-01 · 拜访：第 0 次拜访", "下一步（2026-12-01）：第 0 次回访", "由 华东润滑油有限公司 介绍。",
        ],
        "laoke-qixiu": ["D 级", "流失", "介绍了 1 位客户：华东润滑油有限公司。", "未来 7 天内没有这位客户的提醒。"],
    }
    for slug, words in expected.items():
        text = page_text(site, slug).replace("\n", "")
        missing = [w for w in words if w not in text]
        assert missing == [], (slug, missing)


def test_the_values_of_the_format_are_shown_through_label(zh_book):
    """A stage, an interaction's type, a side, a complaint step and a reminder's kind are the
    catalogue's words (crmgen.format.labels), not the file's."""
    _root, site = zh_book
    page = (site / "clients" / "huadong-runhuayou" / "index.html").read_text(encoding="utf-8")
    with i18n.using("zh"):
        stage, meeting, us, solve, collect = (i18n.label("stage", "customer"), i18n.label("interaction", "meeting"),
                                              i18n.label("side", "us"), i18n.label("step", "solve"),
                                              i18n.label("reminder", "collect"))
    assert stage == "客户"
    assert f'<span class="crmgen-stage crmgen-stage--customer">{stage}</span>' in page  # the class keeps the value
    assert f"· {meeting}：" in page
    assert f'<td data-label="承诺方">{us}</td>' in page
    assert f'<span class="crmgen-step__n">3</span> {solve}</li>' in page
    assert f'<td class="crmgen-kind" data-label="类型">{collect}</td>' in page


def test_the_same_book_in_english_is_english_and_the_check_finds_it(zh_book, en_book):
    """English stays the default, in the words it had before the catalogue (tests/test_golden.py holds
    a whole site byte for byte); the check above can fail."""
    root, site = en_book
    text = page_text(site, "huadong-runhuayou").replace("\n", "")
    for words in (
        "Grade A", "customer", "Owner: 王磊", "Industry", "Client since", "Contact every", "14 days",
        "owes ¥250,000: ¥550,000 available (31% used)", "Days to pay",
        "median 37 days, last order 37 days (from delivery to paid in full; 1 order)", "增值税专票yes", "Zip code201108",
        "Upcoming reminders", "WhenWhatKind", "collect", "Notes", "Contacts", "NameRolePhoneEmailBirthdayNotes",
        "left 2026-03-31", "Interactions", "2026-11-20 · meeting: 冬季品到货确认",
        "Next step on 2026-12-10: 年底冲量方案面谈", "Next step on 2026-12-15",
        "Ours: 1 kept on time · 1 broken · 0 late · 1 open (kept on time 50% of those settled; score: the others ",
        "Theirs: 0 kept on time · 1 kept late (median 3 days) · 0 broken (and 1 because of ours) · 1 late · 0 open",
        "#: the number", "DueByPromiseAmountStatus", "(agreed 2026-09-30)", "(order Q3-01)", "kept 2026-10-27",
        "kept 3 days late 2026-10-18", "broken 2026-11-11", "(because of our #3)",
        "YearOrdersTotalGrowth", "DateIdItemsAmountPaidPay byDeliveredReviewed", "(by the terms: 月结45天)",
        "Paid onFor the order ofAmountNote", "Payments owed", "OrderOwedDueStatusAge (days late)", "17 days late",
        "due in 44 days", "not due", "closed 2026-06-20", "open, step 3 of 6", "listen", "solve",
        "Period 2026-01-01 to 2026-12-31 (30 days left): ordered ¥600,000.", "Earning 2%: ¥12,000.",
        "¥400,000 more reaches 3% (over ¥1,000,000): ¥30,000.", "At mid-period (2026-07-02): ¥240,000, behind the pace",
        "over ¥500,000: 2%", "Referrals", "Referred by 老柯汽修.", "Referred 2 clients: 金海包装, 万家超市.",
        "History", "Last changed by 张敏 on 2026-11-21: 华东升为 A 级", "Grade history", "first graded B",
        "by 张敏: 客户资料", "Changes", "DateAuthorChangeCommit", "Source file:",
    ):
        assert words in text, words
    jinhai = page_text(site, "jinhai-baozhuang").replace("\n", "")
    for words in ("(by the terms: 30 days)", "the 2024-01-01 to 2024-12-31 rebate", "No interactions logged yet.",
                  "has not been committed to git yet.", ", settled 2025-01-20.", ", not settled yet.", "over 365"):
        assert words in jinhai, words
    laoke = page_text(site, "laoke-qixiu").replace("\n", "")
    assert "Referred 1 client: 华东润滑油有限公司." in laoke
    assert "No reminders for this client in the next 7 days." in laoke
    assert "Earlier interactions (3)" in page_text(site, "wanjia-chaoshi")
    # no Chinese of crmgen's on an English page: every Chinese character left is the user's (the
    # files', and git's author and subjects)
    written = "".join(path.read_text(encoding="utf-8") for path in (root / "clients").glob("*.md"))
    theirs = set(CJK.findall(written + AUTHOR + "".join(SUBJECTS)))
    assert set(CJK.findall(text)) <= theirs
    left = english_left(root, site)
    assert set(left) == set(CLIENTS)
    assert {"Interactions", "Promises", "History"} <= set(left["huadong-runhuayou"])


def test_no_change_history_is_said_in_chinese(tmp_path):
    """A project outside git: the history section says why, in the build's language."""
    from crmgen.history import History
    from crmgen.load.book import load_book
    from crmgen.load.project import load_project
    from crmgen.render import pages
    from crmgen.rules.reminders import due

    (tmp_path / "clients").mkdir()
    (tmp_path / "mkdocs.yml").write_text(MKDOCS.format(language="zh"), encoding="utf-8")
    (tmp_path / "clients" / "laoke-qixiu.md").write_text(textwrap.dedent(CLIENTS["laoke-qixiu"]), encoding="utf-8")
    project = load_project(tmp_path)
    clients = load_book(project).clients
    with i18n.using(project.settings.language):
        tree = pages.render_pages(pages.RenderInput(
            clients=clients, reminders=due(clients, TODAY, project.settings), today=TODAY, settings=project.settings,
            history=History(available=False, reason=i18n._("not a git repository")), title="销售客户",
            templates_dir=None), only={pages.client_page("laoke-qixiu")})
    text = tree[pages.client_page("laoke-qixiu")].decode("utf-8")
    assert "没有变更历史：项目不在 git 仓库中。把项目放进 git，就能看到谁在何时修改了这位客户。" in text
    assert "## 变更历史" in text and "No change history" not in text
