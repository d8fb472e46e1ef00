"""The index pages in Chinese (issue #19 item 3): the dashboard and its charts, the client lists,
the reminders pages (everyone's and each owner's) and the receivables page.

A small book, every section of those pages non-empty (long tables folded, a broken file, a
client without owner or tag, late and near-limit money, promises kept, broken and past their
date, an open complaint, clients out of touch), is built by the real ``crmgen build`` with
``theme: language: zh``. The text a reader sees or hears inside each page's article (text,
SVG titles and labels, ``title``, ``aria-label``, ``data-label``) must hold no Latin word but
the user's own and the few of :data:`ALLOWED`. What other parts of crmgen put on these pages
is left out of the count (their own tests check it): the reminders' titles and their "3 days
late", the names of the groups (crmgen/rules), and the reminder tables of ``_macros.md.j2``. Material's chrome around
the article is Material's.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from pagetext import visible_text

from crmgen import i18n
from crmgen.cli.app import main

TODAY = dt.date(2026, 12, 1)
WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Latin words a Chinese page still shows, each for a reason.
ALLOWED = {
    "crmgen",  # the program's name, in a command the reader is told to run
    "ics",  # the calendar file's kind: "日历文件（.ics）"
}
PAGES = [
    "index.html", "receivables.html", "clients/index.html", "lists/grade.html", "lists/owner.html",
    "lists/tag.html", "lists/stage.html", "reminders/index.html", "reminders/zhangmin.html",
    "reminders/lina.html", "reminders/no-owner.html",
]
MKDOCS = """\
site_name: 销售客户
theme:
  name: material
  language: {language}
extra:
  crmgen:
    currency: "¥"
    cadence: {{A: 7, B: 14, C: 30, D: 30, E: 60, F: 90}}
"""
CLIENTS = {
    # owes 90% of its limit, late by its terms; broke a promise to pay; our promise is past its date
    "huaxin-wujin": """\
        ---
        name: 华新五金批发部
        grade: A
        stage: customer
        owner: 张敏
        tags: [五金, 批发]
        phone: "0571-8888 1234"
        email: boss@huaxin.example.cn
        since: 2024-01-10
        credit_limit: 100000
        terms: 月结30天
        promises:
          - by: client
            what: 结清九月货款
            due: 2026-11-20
            amount: 90000
            broken: 2026-11-21
          - by: client
            what: 年底前付尾款
            due: 2026-10-10
            kept: 2026-10-09
          - by: us
            what: 送新品样品
            due: 2026-11-25
          - by: us
            what: 寄报价单
            due: 2026-09-20
            kept: 2026-09-19
          - by: client
            what: 今天确认订单
            due: 2026-12-01
        orders:
          - date: 2026-09-01
            amount: 90000
            paid: 0
            delivered: 2026-09-02
          - date: 2026-03-01
            amount: 50000
            paid: 50000
            pay_by: 2026-04-01
            delivered: 2026-03-02
            reviewed: 2026-03-20
        complaints:
          - opened: 2026-11-10
            what: 包装破损
            step: analyse
        ---

        ## 2026-11-28 visit: 上门拜访

        谈了回款。
        """,
    # a prospect out of touch, owing money not yet due
    "lantian-shangmao": """\
        ---
        name: 蓝天商贸
        grade: B
        stage: prospect
        owner: 李娜
        since: 2025-06-01
        orders:
          - date: 2026-11-01
            amount: 20000
            paid: 5000
            pay_by: 2026-12-20
        promises:
          - by: client
            what: 付定金
            due: 2026-12-05
        ---

        ## 2026-08-01 call: 问候

        说年底再谈。
        """,
    # no owner, no tag, never contacted, late for months
    "yuanfang-maoyi": """\
        ---
        name: 远方贸易
        grade: C
        stage: dormant
        orders:
          - date: 2026-06-01
            amount: 10000
            paid: 0
            pay_by: 2026-07-01
        ---
        """,
}


def generated_client(i: int) -> str:
    """One of sixteen alike: out of touch, a late unpaid order (the long tables fold)."""
    return f"""\
        ---
        name: 客户{i:02d}号
        grade: A
        stage: customer
        owner: 王磊
        tags: [零售]
        since: 2025-01-01
        orders:
          - date: 2026-08-01
            amount: 10000
            paid: 0
            pay_by: 2026-09-01
        ---

        ## 2026-09-01 visit: 送货

        顺利。
        """


def _git(root: Path, *args: str) -> None:
    date = "2026-06-01T10:00:00+08:00"
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "张敏", "GIT_AUTHOR_EMAIL": "zm@example.com",
                        "GIT_COMMITTER_NAME": "张敏", "GIT_COMMITTER_EMAIL": "zm@example.com",
                        "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
                        "PATH": "/usr/bin:/bin", "HOME": str(root)})


def make_book(root: Path, language: str, *, empty: bool = False) -> Path:
    (root / "clients").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(MKDOCS.format(language=language), encoding="utf-8")
    if not empty:
        texts = dict(CLIENTS) | {f"kehu-{i:02d}": generated_client(i) for i in range(1, 17)}
        for slug, text in texts.items():
            (root / "clients" / f"{slug}.md").write_text(textwrap.dedent(text), encoding="utf-8")
        # a file with an error: left out, and the dashboard says so
        (root / "clients" / "cuowu.md").write_text("---\nname: 错误的文件\ngrade: Z\n---\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "客户资料", "--allow-empty")
    return root


def build(root: Path) -> Path:
    site = root / "site"
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--keep-going", "--today", TODAY.isoformat(),
                                       "-d", str(site)])
    assert result.exit_code == 0, result.output  # the broken file is reported, the rest built
    return site


def article(page: str) -> str:
    """The page's own content: crmgen's, inside Material's chrome."""
    found = re.search(r"<article\b.*?</article>", page, re.S)
    assert found, "no article"
    return found[0]


def visible(fragment: str) -> str:
    return visible_text(fragment)


def others_text(root: Path) -> list[str]:
    """What other parts of crmgen write on these pages, in Chinese: each reminder's title, its
    "3 days late" and the name of its group (crmgen/rules), longest first so a shorter one never
    cuts a longer one."""
    from crmgen.history import read_history
    from crmgen.load.book import load_book
    from crmgen.load.project import load_project
    from crmgen.rules.reminders import due
    from crmgen.rules.wording import GROUPS, when

    project = load_project(root)
    first_seen = read_history(root, project.settings.clients_dir).first_seen()
    with i18n.using("zh"):
        reminders = due(load_book(project).clients, TODAY, project.settings, first_seen=first_seen)
        texts = {r.title for r in reminders} | {when(r.days) for r in reminders} | {i18n._(g) for g in GROUPS}
    return sorted(texts, key=len, reverse=True)


def user_words(root: Path) -> set[str]:
    """Every Latin word the user wrote (e-mail addresses, slugs, the site's name)."""
    words: set[str] = set()
    for path in [root / "mkdocs.yml", *sorted((root / "clients").glob("*.md"))]:
        words |= set(WORD.findall(path.read_text(encoding="utf-8")))
    return words


def english_left(root: Path, site: Path, pages: list[str]) -> dict[str, list[str]]:
    """Per page, the Latin words in its article that are neither the user's, nor allowed, nor
    another part of crmgen's (see the module's docstring)."""
    mine, others = user_words(root), others_text(root)
    left: dict[str, list[str]] = {}
    for rel in pages:
        content = article((site / rel).read_text(encoding="utf-8"))
        content = re.sub(r'<div class="crmgen-reminders">.*?</table>\s*</div>', " ", content, flags=re.S)
        text = visible(content)
        for piece in others:
            text = text.replace(piece, " ")
        text = re.sub(r"\S+@\S+", " ", text)
        found = sorted({w for w in WORD.findall(text) if w not in mine and w not in ALLOWED})
        if found:
            left[rel] = found
    return left


@pytest.fixture(scope="module")
def zh_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = make_book(tmp_path_factory.mktemp("zh") / "book", "zh")
    return root, build(root)


def page_text(site: Path, rel: str) -> str:
    return visible(article((site / rel).read_text(encoding="utf-8")))


def test_the_book_fills_every_section_of_the_index_pages(zh_book):
    """The check below means something only if every section it reads has rows."""
    _root, site = zh_book
    home = (site / "index.html").read_text(encoding="utf-8")
    for part in ('class="admonition warning crmgen-broken"', 'class="crmgen-today"', "<details>",
                 'class="crmgen-stat__n crmgen-late"', 'class="crmgen-tight"', "crmgen-pareto",
                 "crmgen-stacked", 'data-label="投诉"', 'data-label="联系周期"'):
        assert part in home, part
    assert home.count("<summary>") == 4  # today's list, late payments, the top clients, out of touch
    receivables = (site / "receivables.html").read_text(encoding="utf-8")
    assert receivables.count('class="crmgen-scroll"') == 3 and "信用额度" in receivables
    for rel in PAGES:
        assert (site / rel).is_file(), rel


def test_the_index_pages_show_no_english_of_crmgens_in_chinese(zh_book):
    root, site = zh_book
    assert english_left(root, site, PAGES) == {}


def test_the_index_pages_say_it_in_chinese(zh_book):
    _root, site = zh_book
    expected = {
        "index.html": [
            "概览", "截至 2026-12-01", "位客户", "1 个客户文件有错误，未收入本站", "逾期", "今天", "本周",
            "今天要做：逾期", "今天还有 ", "未收回，共 ", "已逾期，共 ", "逾期回款（逾期最久的在前）",
            "另有 ", "超出或接近信用额度（已用 90% 或以上）", "80/20：近 12 个月的销售额",
            "位购买客户中的 13 位", "前 13 位：合计", "前 13 位中的其余 1 位", "我方：", "客户方：",
            "（兑现率 ", "项已过期", "对我方违约：", "（违约 1，兑现 1）", "各负责人的承诺记录",
            "我方按时", "客户方：金钱", "未结投诉", "2/6 分析", "久未联系",
            "这些客户已超过联系周期无人联系", "位客户久未联系", "从未联系（2026-06-01 录入）",
            "客户的等级与阶段", "各等级客户数：A 级 17", "各阶段客户数：潜在客户 1，客户 17", "潜在客户",
            "各步骤未结投诉：1. 倾听 0，2. 分析 1", "应收账款账龄：未到期 ¥15,000（1），逾期 1–30 天 ¥0（0）",
            "逾期超过 365 天", "近 12 个月各客户销售额：华新五金批发部", "承诺：已兑现、违约与待兑现：我方：",
            "已兑现", "违约", "待兑现", "按负责人和客户查看应收账款、账龄与信用额度 →",
        ],
        "receivables.html": [
            "应收账款", "笔订单共欠", "其中", "已逾期。", "订单在其", "按负责人", "（无负责人）", "按客户",
            "信用额度", "可用额度", "回款天数", "回款天数：从交货到付清", "欠款达到信用额度 90% 或以上的客户：",
            "额度", "已用", "逾期订单", "（按账期：月结30天）", "逾期天数", "逾期 31–60 天",
        ],
        "clients/index.html": ["客户", "位客户", "按", "等级", "负责人", "标签", "阶段", "最近联系", "下次提醒",
                               "潜在客户", "休眠"],
        "lists/grade.html": ["按等级查看客户", "A 级（17）", "B 级（1）", "阶段", "负责人", "最近联系"],
        "lists/owner.html": ["按负责人查看客户", "（无负责人）（1）", "王磊（16）", "等级"],
        "lists/tag.html": ["按标签查看客户", "（无标签）（2）", "零售（16）"],
        "lists/stage.html": ["按阶段查看客户", "客户（17）", "潜在客户（1）", "休眠（1）"],
        "reminders/index.html": ["提醒", "截至 2026-12-01：", "条提醒", "日历文件（.ics）", "按负责人：",
                                 "（无负责人）", "逾期（", "今天（"],
        "reminders/zhangmin.html": ["张敏 的提醒", "所有人的提醒", "客户（1）", "等级", "下次提醒"],
        "reminders/no-owner.html": ["（无负责人） 的提醒", "休眠"],
        "reminders/lina.html": ["李娜 的提醒", "今天没有事项。"],
    }
    for rel, words in expected.items():
        text = page_text(site, rel)
        missing = [w for w in words if w not in text]
        assert missing == [], (rel, missing)


def test_the_same_book_in_english_is_english_and_the_check_finds_it(tmp_path):
    """English stays the default, in the same words as before; the check above can fail."""
    root = make_book(tmp_path / "book", "en")
    site = build(root)
    home = page_text(site, "index.html")
    for words in ("Dashboard", "1 client file has errors and is left out of this site", "To do today: ",
                  "Late payments, most late first", "The other 1 of the top 13", "Broke promises to us:",
                  "(1 broken, 1 kept)", "Out of touch", "never (added 2026-06-01)", "Clients per grade: Grade A 17",
                  "Open complaints per step: 1. Listen 0, 2. Analyse 1", "Promises kept, broken and open: Ours: "):
        assert words in home, words
    assert "Grade A (17)" in page_text(site, "lists/grade.html")
    assert "(no tag) (2)" in page_text(site, "lists/tag.html")
    assert "Reminders for (no owner)" in page_text(site, "reminders/no-owner.html")
    assert "(by the terms: 月结30天)" in page_text(site, "receivables.html")
    left = english_left(root, site, PAGES)
    assert set(left) == set(PAGES)
    assert {"Overdue", "Receivables", "Cadence"} <= set(left["index.html"])


def test_an_empty_book_in_chinese(tmp_path):
    root = make_book(tmp_path / "book", "zh", empty=True)
    site = build(root)
    pages = ["index.html", "receivables.html", "clients/index.html", "lists/grade.html", "reminders/index.html"]
    assert english_left(root, site, pages) == {}
    home = page_text(site, "index.html")
    for words in ("0 位客户", "没有逾期事项，今天也没有到期事项。", "没有欠款：所有订单均已付清。", "没有订单。",
                  "没有记录承诺", "没有未结投诉。", "所有客户都在联系周期内联系过。"):
        assert words in home, words
    assert "还没有客户。用" in page_text(site, "clients/index.html")
    assert "还没有客户。" in page_text(site, "lists/grade.html")
    receivables = page_text(site, "receivables.html")
    assert "没有欠款。" in receivables and "没有逾期回款。" in receivables and "没有客户的欠款达到" in receivables
    reminders = page_text(site, "reminders/index.html")
    for words in ("截至 2026-12-01：0 条提醒", "没有逾期事项。", "今天没有事项。", "本周没有事项。"):
        assert words in reminders, words


def test_the_placeholder_home_page_in_chinese():
    """The home page a project shows when it has no dashboard template (pages.py's fallback)."""
    from crmgen.render.pages import make_environment

    site = SimpleNamespace(title="销售客户", today="2026-12-01", reminders_url="reminders/",
                           url=lambda path: path.replace(".md", ".html"))
    template = make_environment(None).get_template("placeholder-dashboard.md.j2")
    with i18n.using("zh"):
        page = template.render(site=site, broken=["clients/cuowu.md"], clients=[object(), object()])
    text = re.sub(r"<code>.*?</code>", " ", page)
    assert "截至 2026-12-01 · 2 位客户" in text and ">提醒</a>" in text and ">全部客户</a>" in text
    assert "因有错误而未收入的文件" in text
    assert [w for w in WORD.findall(text) if w not in {"crmgen", "asof", "href", "reminders", "clients",
                                                       "index", "html", "class", "div", "admonition",
                                                       "warning", "title", "ul", "li"}] == []
    english = template.render(site=site, broken=[], clients=[object()])
    assert "As of 2026-12-01 · 1 clients · " in english and ">reminders</a>" in english
