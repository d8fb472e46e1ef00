"""``crmgen report``: the day's, week's and month's report, computed by hand from a small book."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.load.book import parse_client_text
from crmgen.render.report import as_json, as_markdown, as_text
from crmgen.rules.report import Period, period_of, report
from tests.conftest import write_client

D = dt.date

HUADONG = """\
---
name: 华东润滑油
grade: A
owner: 王磊
promises:
  - {by: client, what: 结清三季度货款, due: 2026-11-30, amount: 210000, agreed: 2026-11-16, kept: 2026-11-22}
  - {by: us, what: 送样品, due: 2026-11-20, agreed: 2026-11-15, broken: 2026-11-23}
orders:
  - id: Q3
    date: 2026-11-16
    amount: 86000.10
    items: 液压油
    payments:
      - {date: 2026-11-22, amount: 40000.05, note: 转账}
      - {date: 2026-11-23, amount: 100}
  - {date: 2026-11-15, amount: 5000, paid: 5000}
---

## 2026-11-15 call: before the week

## 2026-11-16 visit: 拜访周建国

## 2026-11-22 call: 催款

## 2026-11-23 visit: after the week
"""

ACME = """\
---
name: Acme & Sons
grade: C
owner: Sarah Lin
---

## 2026-11-18 email: price list
"""


def clients() -> list:
    out = []
    for slug, text in (("huadong", HUADONG), ("acme", ACME)):
        c, problems = parse_client_text(text, f"clients/{slug}.md")
        assert c is not None, problems
        out.append(c)
    return out


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        ("week", D(2026, 11, 16), D(2026, 11, 16), D(2026, 11, 22)),  # a Monday starts its week
        ("week", D(2026, 11, 22), D(2026, 11, 16), D(2026, 11, 22)),  # a Sunday ends it
        ("week", D(2026, 11, 23), D(2026, 11, 23), D(2026, 11, 29)),
        ("week", D(2026, 12, 31), D(2026, 12, 28), D(2027, 1, 3)),  # across the year's end
        ("month", D(2026, 11, 30), D(2026, 11, 1), D(2026, 11, 30)),
        ("month", D(2028, 2, 10), D(2028, 2, 1), D(2028, 2, 29)),  # a leap February
        ("month", D(2026, 12, 1), D(2026, 12, 1), D(2026, 12, 31)),
        ("day", D(2026, 11, 18), D(2026, 11, 18), D(2026, 11, 18)),
    ],
)
def test_periods(kind: str, day: dt.date, start: dt.date, end: dt.date) -> None:
    assert period_of(kind, day) == Period(kind, start, end)


def test_the_week_s_facts_and_only_those() -> None:
    r = report(clients(), period_of("week", D(2026, 11, 18)))
    assert [(x.date, x.client, x.kind, x.what) for x in r.interactions] == [
        (D(2026, 11, 16), "huadong", "visit", "拜访周建国"),
        (D(2026, 11, 18), "acme", "email", "price list"),
        (D(2026, 11, 22), "huadong", "call", "催款"),
    ]
    assert r.by_type == {"call": 1, "email": 1, "visit": 1}
    assert r.clients_touched == 2
    assert [(x.date, x.kind) for x in r.promises_made] == [(D(2026, 11, 16), "client")]  # ours was agreed the 15th
    assert [(x.date, x.amount) for x in r.promises_kept] == [(D(2026, 11, 22), 210000)]
    assert r.promises_broken == []  # broken on the 23rd: next week
    assert [(x.date, x.amount, x.kind, x.what) for x in r.orders] == [(D(2026, 11, 16), 86000.10, "Q3", "液压油")]
    # the payment of the 22nd, not that of the 23rd; the order of the 15th has only a paid: total
    assert [(x.date, x.amount, x.kind, x.what) for x in r.payments] == [(D(2026, 11, 22), 40000.05, "Q3", "转账")]
    assert (r.ordered_cents, r.received_cents) == (8_600_010, 4_000_005)
    assert r.new_clients == []  # no git history given


def test_the_next_week_and_the_month() -> None:
    week = report(clients(), period_of("week", D(2026, 11, 23)))
    assert [x.what for x in week.interactions] == ["after the week"]
    assert [x.what for x in week.promises_broken] == ["送样品"]
    assert [x.amount for x in week.payments] == [100]
    month = report(clients(), period_of("month", D(2026, 11, 1)))
    assert len(month.interactions) == 5 and len(month.orders) == 2 and len(month.payments) == 2
    assert month.ordered_cents == 8_600_010 + 500_000 and month.received_cents == 4_000_005 + 10_000
    assert len(month.promises_made) == 2


def test_new_clients_are_the_files_added_in_the_period() -> None:
    seen = {"huadong": D(2026, 11, 22), "acme": D(2026, 11, 23)}
    r = report(clients(), period_of("week", D(2026, 11, 16)), first_seen=seen)
    assert [(x.client, x.kind, x.what) for x in r.new_clients] == [("huadong", "A", "prospect")]


def test_text_markdown_and_json_say_the_same() -> None:
    r = report(clients(), period_of("week", D(2026, 11, 18)))
    text = as_text(r)
    assert text.splitlines()[:7] == [
        "Weekly report: 2026-W47 (2026-11-16 to 2026-11-22)",
        "",
        "Interactions: 3 (1 call, 1 email, 1 visit) with 2 clients",
        "New clients: 0",
        "Promises: 1 made, 1 kept, 0 broken",
        "Orders: 1, ¥86,000.10",
        "Payments received: 1, ¥40,000.05",
    ]
    assert "  2026-11-22 华东润滑油: ¥40,000.05 for the order Q3 (转账)" in text
    md = as_markdown(r)
    assert md.startswith("# Weekly report: 2026-W47 (2026-11-16 to 2026-11-22)\n\n- Interactions: 3")
    assert "- 2026-11-18 Acme \\& Sons: email: price list" in md  # client text cannot become markup
    doc = json.loads(as_json(r))
    assert doc["period"] == {"kind": "week", "start": "2026-11-16", "end": "2026-11-22"}
    assert doc["totals"] == {"ordered": 86000.10, "received": 40000.05}
    assert doc["counts"]["interactions"] == 3 and doc["counts"]["by_type"] == {"call": 1, "email": 1, "visit": 1}
    assert doc["orders"] == [{"date": "2026-11-16", "client": "huadong", "name": "华东润滑油", "id": "Q3",
                              "items": "液压油", "amount": 86000.10}]
    assert doc["promises_kept"][0] == {"date": "2026-11-22", "client": "huadong", "name": "华东润滑油",
                                       "by": "client", "what": "结清三季度货款", "amount": 210000}


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), "report", *args])


@pytest.fixture
def book(project: Path) -> Path:
    write_client(project, "huadong", HUADONG)
    write_client(project, "acme", ACME)
    return project


def test_cli_owner_formats_and_errors(book: Path) -> None:
    mine = run(book, "--week", "--date", "2026-11-18", "--owner", "sarah lin", "--format", "json")
    assert mine.exit_code == 0, mine.output
    doc = json.loads(mine.stdout)
    assert doc["owner"] == "Sarah Lin" and [i["client"] for i in doc["interactions"]] == ["acme"]
    nobody = run(book, "--owner", "zhangmin")
    assert nobody.exit_code == 2
    assert "no clients with owner 'zhangmin' (owners: Sarah Lin, 王磊)" in nobody.stderr
    day = run(book, "--day", "--date", "2026-11-22")
    assert day.exit_code == 0 and day.stdout.startswith("Daily report: 2026-11-22\n")
    write_client(book, "bad", "---\nname: Bad\ngrade: Z\n---\n")
    broken = run(book, "--month", "--date", "2026-11-01")
    assert broken.exit_code == 1 and broken.stdout.startswith("Monthly report: 2026-11 (2026-11-01 to 2026-11-30)")
    assert "clients/bad.md:3:8: error" in broken.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_cli_new_clients_from_git(book: Path) -> None:
    def git(*args: str, when: str) -> None:
        env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "t",
               "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
               "PATH": "/usr/bin:/bin", "HOME": str(book)}
        subprocess.run(["git", *args], cwd=book, env=env, check=True, capture_output=True)

    git("init", "-q", when="2026-11-01T10:00:00+08:00")
    git("add", "mkdocs.yml", "clients/acme.md", when="2026-11-01T10:00:00+08:00")
    git("commit", "-qm", "acme", when="2026-11-01T10:00:00+08:00")
    git("add", "clients/huadong.md", when="2026-11-17T10:00:00+08:00")
    git("commit", "-qm", "huadong", when="2026-11-17T10:00:00+08:00")
    doc = json.loads(run(book, "--date", "2026-11-20", "--format", "json").stdout)
    assert [(n["client"], n["date"], n["grade"]) for n in doc["new_clients"]] == [("huadong", "2026-11-17", "A")]


def test_opportunities_found_and_moved_in_the_period() -> None:
    from crmgen.format.model import Client, Opportunity

    c = Client(slug="hd", path="clients/hd.md", name="华东润滑油", grade="A", opportunities=(
        Opportunity(what="框架合同", amount=600000, stage="won", opened=D(2026, 10, 1), since=D(2026, 11, 20)),
        Opportunity(what="试用装", stage="lead", opened=D(2026, 11, 17)),
        Opportunity(what="切削液", amount=50000, stage="lost", since=D(2026, 11, 30)),  # next week
    ))
    r = report([c], period_of("week", D(2026, 11, 18)))
    assert [(x.date, x.what, x.kind) for x in r.opportunities_opened] == [(D(2026, 11, 17), "试用装", "lead")]
    assert [(x.date, x.what, x.kind, x.amount) for x in r.opportunities_moved] == [
        (D(2026, 11, 20), "框架合同", "won", 600000)]
    text = as_text(r)
    assert "Opportunities: 1 found, 1 moved (1 won, 0 lost)" in text
    assert "Opportunities moved\n  2026-11-20 华东润滑油: 框架合同 (¥600,000), to won\n" in text
    assert "Opportunities found\n  2026-11-17 华东润滑油: 试用装\n" in text
    doc = json.loads(as_json(r))
    assert doc["counts"]["opportunities_moved"] == 1
    assert doc["opportunities_moved"] == [{"date": "2026-11-20", "client": "hd", "name": "华东润滑油", "stage": "won",
                                           "what": "框架合同", "amount": 600000}]
