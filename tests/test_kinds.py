"""The rules: one pure function per reminder kind, each returning typed records of its kind."""

from __future__ import annotations

import datetime as dt

import pytest

from crmgen.load.book import parse_client_text
from crmgen.load.project import Settings
from crmgen.rules.dueplan import KINDS
from crmgen.rules.kinds import RULES, Dated, FromToday, Until, Yearly

EVERYTHING = """\
---
name: 华东润滑油
grade: A
stage: customer
credit_limit: 100000
contacts:
  - name: 周建国
    role: 采购经理
    birthday: 1980-12-03
  - name: 李强
    left: 2026-10-01
dates:
  - date: 2019-05-01
    what: 合作开始
promises:
  - by: us
    what: 送样品
    due: 2026-12-05
  - by: client
    what: 结清三季度货款
    amount: 210000
    due: 2026-11-30
  - by: client
    what: 付定金
    due: 2026-10-15
    broken: 2026-10-16
orders:
  - date: 2025-06-01
    amount: 150000
    paid: 150000
  - date: 2026-08-01
    amount: 220000
    paid: 100000
    pay_by: 2026-12-10
    delivered: 2026-08-10
complaints:
  - opened: 2026-11-20
    what: 包装破损
    step: analyse
  - {opened: 2026-10-01, what: 到货晚, step: review, closed: 2026-10-20}
opportunities:
  - {what: 年度合同, amount: 500000, stage: proposal, expected: 2026-12-31}
win_back: 2027-06-30
services:
  - {what: 油品检测, every: 3m, from: 2026-06-01}
rebate:
  from: 2026-01-01
  to: 2026-12-31
  tiers:
    - over: 230000
      rate: 0.02
rebates:
  - name: 2025 年度返利
    from: 2025-01-01
    to: 2025-12-31
    tiers: [{over: 100000, rate: 1%}]
---

## 2026-09-28 visit: 回访
Next: 2026-12-15 送新品目录
"""


def _client(text: str = EVERYTHING):
    client, problems = parse_client_text(text, "clients/huadong.md")
    assert client is not None, problems
    return client


def test_one_rule_per_kind_in_the_order_of_kinds() -> None:
    assert tuple(RULES) == KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_each_rule_gives_records_of_its_own_kind(kind: str) -> None:
    settings = Settings(dormant_after=30)
    records = RULES[kind](_client(), settings, {})
    assert records, f"the fixture should raise a {kind} reminder"
    assert all(isinstance(r, (Dated, Yearly, Until, FromToday)) and r.kind == kind for r in records)


def test_rules_are_pure() -> None:
    client, settings = _client(), Settings()
    assert [rule(client, settings, {}) for rule in RULES.values()] == [rule(client, settings, {})
                                                                       for rule in RULES.values()]


def test_touch_counts_from_what_is_known() -> None:
    bare = _client("---\nname: Acme\ngrade: B\n---\n")
    settings = Settings()
    (from_today,) = RULES["touch"](bare, settings, {})
    assert isinstance(from_today, FromToday) and from_today.days == settings.cadence["B"]
    assert from_today.title.endswith("(no contact logged; every 14 days)")
    (added,) = RULES["touch"](bare, settings, {"huadong": dt.date(2026, 1, 1)})
    assert isinstance(added, Dated) and added.date == dt.date(2026, 1, 15)
    assert "added 2026-01-01, no contact logged" in added.title
    lost = _client("---\nname: Acme\ngrade: B\nstage: lost\n---\n")
    assert RULES["touch"](lost, settings, {}) == []


def test_birthdays_and_anniversaries_come_back_every_year() -> None:
    (birthday,) = RULES["birthday"](_client(), Settings(), {})
    assert isinstance(birthday, Yearly) and (birthday.month, birthday.day, birthday.base_year) == (12, 3, 1980)
    assert birthday.first is None and birthday.head == "Birthday of 周建国 at 华东润滑油"
    (anniversary,) = RULES["anniversary"](_client(), Settings(), {})
    assert anniversary.first == dt.date(2019, 5, 1) and anniversary.head == "合作开始 at 华东润滑油"
