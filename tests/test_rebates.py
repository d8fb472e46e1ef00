"""Tiered rebates (#16, seed 001): what a programme counts by its basis, what it pays by its mode,
when the client is told (near the next tier, behind the pace) and when we must settle."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from crmgen.format.model import Client, Order, Payment, Rebate, RebateTier
from crmgen.load.book import parse_client_text
from crmgen.load.project import Settings
from crmgen.rules import rebates
from crmgen.rules.reminders import due

D = dt.date
YEAR = dict(start=D(2026, 1, 1), end=D(2026, 12, 31))
TIERS = (RebateTier(100_000, 0.01), RebateTier(200_000, 0.02))


def book(*orders: Order, **rebate) -> Client:
    return Client(slug="acme", path="clients/acme.md", name="Acme", grade="F", orders=orders,
                  rebate=Rebate(**{**YEAR, "tiers": TIERS, **rebate}))


def kinds(c: Client, today: D, within: int = 0) -> list[tuple[str, D, float | None]]:
    return [(r.kind, r.date, r.amount) for r in due([c], today, Settings(), within=within)
            if r.kind in ("rebate", "settle")]


@pytest.mark.parametrize(("total", "whole", "above"), [
    (99_999, 0, 0),
    (100_000, 1_000, 0),  # at the threshold: the whole amount earns its rate; nothing is above it
    (150_000, 1_500, 500),
    (200_000, 4_000, 1_000),  # above: 1% of 100,000..200,000
    (300_000, 6_000, 3_000),  # above: 1,000 + 2% of the 100,000 over 200,000
])
def test_both_modes_at_and_between_the_thresholds(total: float, whole: float, above: float) -> None:
    assert rebates.earned(Rebate(**YEAR, tiers=TIERS), total) == pytest.approx(whole)
    assert rebates.earned(Rebate(**YEAR, tiers=TIERS, mode="above"), total) == pytest.approx(above)


def test_each_basis_counts_its_own_day() -> None:
    """An order placed in December, delivered in January and paid in February of the next year."""
    straddling = Order(date=D(2026, 12, 20), amount=50_000, delivered=D(2027, 1, 5), paid=50_000,
                       payments=(Payment(D(2027, 2, 1), 50_000),))
    inside = Order(date=D(2026, 3, 1), amount=80_000, delivered=D(2026, 3, 3), paid=30_000,
                   payments=(Payment(D(2026, 4, 1), 30_000),))
    before = Order(date=D(2025, 12, 30), amount=10_000, delivered=D(2026, 1, 2), paid=10_000)  # no payments list
    c = book(straddling, inside, before)
    assert rebates.counted(c, dataclasses.replace(c.rebate, basis="ordered")) == 130_000
    assert rebates.counted(c, dataclasses.replace(c.rebate, basis="delivered")) == 90_000
    assert rebates.counted(c, dataclasses.replace(c.rebate, basis="paid")) == 30_000  # `before`: paid on its date


def test_near_the_next_tier_the_client_is_told_in_time_to_order_and_deliver() -> None:
    c = book(Order(date=D(2026, 6, 1), amount=170_000))
    assert kinds(c, D(2026, 10, 31)) == []  # the day before its lead (30 days)
    [(kind, day, missing)] = kinds(c, D(2026, 11, 1))
    assert (kind, day, missing) == ("rebate", D(2026, 12, 1), 30_000)  # rebate_action: 30 days before the end
    [r] = [r for r in due([c], D(2026, 12, 1), Settings(), within=0) if r.kind == "rebate"]
    assert "at that tier the rebate is ¥4,000, ¥1,700 now" in r.title
    assert kinds(c, D(2026, 12, 31)) == [("rebate", D(2026, 12, 1), 30_000)]  # late, to the last day
    assert kinds(c, D(2027, 1, 1), within=30) == [("settle", D(2027, 1, 1), 1_700)]  # then we owe 1% of 170,000


def test_behind_the_pace_at_mid_period() -> None:
    mid = rebates.midpoint(Rebate(**YEAR, tiers=TIERS))
    assert mid == D(2026, 7, 2)
    slow = book(Order(date=D(2026, 3, 1), amount=40_000))  # 40,000 by mid-period; the 100,000 tier needs ~50,150
    pace = rebates.pace(slow, slow.rebate)
    assert pace is not None and pace.behind and pace.target.over == 100_000 and pace.needed == 50_137
    assert kinds(slow, D(2026, 6, 1)) == []  # before mid-period (no lead for it: within 0 and lead 30 -> 2 Jun)
    assert kinds(slow, D(2026, 7, 2)) == [("rebate", mid, 60_000)]
    on_pace = book(Order(date=D(2026, 3, 1), amount=60_000))
    assert not rebates.pace(on_pace, on_pace.rebate).behind and kinds(on_pace, D(2026, 7, 2)) == []
    caught_up = book(Order(date=D(2026, 3, 1), amount=40_000), Order(date=D(2026, 8, 1), amount=45_000))
    # 85,000 by August: now near the tier (80%): the near reminder takes over, dated 1 December
    assert kinds(caught_up, D(2026, 8, 2), within=200) == [("rebate", D(2026, 12, 1), 15_000)]


def test_a_programme_that_earned_nothing_or_is_settled_raises_nothing_after_it_ends() -> None:
    assert kinds(book(Order(date=D(2026, 3, 1), amount=10_000)), D(2027, 1, 2)) == []
    settled = book(Order(date=D(2026, 3, 1), amount=150_000), settled=D(2027, 1, 10))
    assert kinds(settled, D(2027, 1, 2)) == []
    assert kinds(dataclasses.replace(settled, rebate=dataclasses.replace(settled.rebate, settled=None)),
                 D(2027, 3, 1)) == [("settle", D(2027, 1, 1), 1_500)]  # stays until settled


def test_several_programmes_each_with_its_own_reminders_and_keys() -> None:
    text = """---
name: Acme
grade: F
orders:
  - {date: 2026-02-01, amount: 90000, paid: 90000}
rebate: {name: 年度返利, from: 2026-01-01, to: 2026-12-31, tiers: [{over: 100000, rate: 2%}]}
rebates:
  - {name: 一季度返利, from: 2026-01-01, to: 2026-03-31, tiers: [{over: 50000, rate: 1%}]}
  - {from: 2026-01-01, to: 2026-06-30, basis: paid, tiers: [{over: 50000, rate: 1%}], settled: 2026-07-05}
---
"""
    client, problems = parse_client_text(text, "clients/acme.md")
    assert problems == [] and client is not None and [r.index for r in client.programmes] == [0, 1, 2]
    got = [r for r in due([client], D(2026, 12, 1), Settings(), within=0) if r.kind in ("rebate", "settle")]
    assert [(r.kind, r.key) for r in got] == [("settle", "2026-03-31"), ("rebate", "2026-12-31:100000")]
    assert "一季度返利" in got[0].title and "of 年度返利" in got[1].title



def test_a_programme_s_key_survives_reordering_and_renaming() -> None:
    """The calendar's UID is made of the key: a programme is known by its period, not by its place."""
    base = """---
name: Acme
grade: F
orders:
  - {date: 2026-02-01, amount: 90000, paid: 90000}
rebates:
%s---
"""
    q1 = "  - {name: %s, from: 2026-01-01, to: 2026-03-31, tiers: [{over: 50000, rate: 1%%}]}\n"
    h1 = "  - {name: 上半年, from: 2026-01-01, to: 2026-06-30, tiers: [{over: 80000, rate: 1%}]}\n"
    h1b = "  - {name: 上半年B, from: 2026-02-01, to: 2026-06-30, tiers: [{over: 60000, rate: 1%}]}\n"

    def keys(body: str) -> set[tuple[str, str]]:
        client, problems = parse_client_text(base % body, "clients/acme.md")
        assert problems == [] and client is not None
        return {(r.kind, r.key) for r in due([client], D(2026, 7, 2), Settings(), within=0)
                if r.kind in ("rebate", "settle")}

    first = keys(q1 % "一季度" + h1)
    assert first == {("settle", "2026-03-31"), ("settle", "2026-06-30")}
    assert keys(h1 + q1 % "Q1 返利") == first  # reordered and renamed: the same keys
    both = keys(q1 % "一季度" + h1 + h1b)  # two programmes end the same day: told apart by their start
    assert both == {("settle", "2026-03-31"), ("settle", "2026-06-30:from 2026-01-01"),
                    ("settle", "2026-06-30:from 2026-02-01")}


def test_a_period_that_ends_before_it_starts_or_is_settled_early_is_located() -> None:
    text = """---
name: Acme
grade: F
rebates:
  - {from: 2026-12-31, to: 2026-01-01, tiers: [{over: 1, rate: 1%}]}
  - {from: 2026-01-01, to: 2026-12-31, tiers: [{over: 1, rate: 1%}], settled: 2026-06-01}
---
"""
    _client, problems = parse_client_text(text, "clients/acme.md")
    assert [(p.line, p.code, p.severity) for p in problems] == [(5, "bad-period", "error"),
                                                                (6, "settled-early", "warning")]
    assert problems[0].message.startswith("rebates[0]: 'to' 2026-01-01 is before 'from' 2026-12-31")
