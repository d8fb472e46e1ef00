"""The promise record (#16, seed 001): kept on time, kept late, broken; the score's formula."""

from __future__ import annotations

import datetime as dt

import pytest

from crmgen.format.model import Promise
from crmgen.rules.record import HALF_LIFE, record, sides

TODAY = dt.date(2026, 12, 1)
D = dt.date


def kept(days_late: int, *, amount: float | None = None, ago: int = 0, index: int = 0, by: str = "client") -> Promise:
    day = TODAY - dt.timedelta(days=ago)
    return Promise(by=by, what="p", due=day - dt.timedelta(days=days_late), kept=day, amount=amount, index=index)


def broken(*, amount: float | None = None, ago: int = 0, index: int = 0, by: str = "client",
           because: int | None = None) -> Promise:
    day = TODAY - dt.timedelta(days=ago)
    return Promise(by=by, what="p", due=day, broken=day, amount=amount, index=index, because=because)


def test_a_promise_kept_28_days_late_is_not_kept_on_time() -> None:
    r = record([kept(0), kept(28)], TODAY)
    assert (r.on_time, r.late, r.broken, r.median_delay) == (1, 1, 0, 28)
    assert r.on_time_rate == 0.5
    assert r.other_score == pytest.approx((1 + 2 / 30) / 2)  # 28 days late counts 1 - 28/30


@pytest.mark.parametrize(("days_late", "value"), [(0, 1), (1, 29 / 30), (15, 0.5), (29, 1 / 30), (30, 0), (90, 0)])
def test_lateness_lowers_a_kept_promise_to_nothing_at_30_days(days_late: int, value: float) -> None:
    assert record([kept(days_late)], TODAY).other_score == pytest.approx(value)


def test_recent_promises_weigh_more_half_a_year_halves_the_weight() -> None:
    r = record([kept(0, ago=0), broken(ago=HALF_LIFE)], TODAY)
    assert r.other_score == pytest.approx(1 / 1.5)  # weights 1 and 0.5


def test_money_promises_are_scored_apart_and_weighed_by_amount() -> None:
    r = record([kept(0, amount=90_000), broken(amount=10_000), broken(), kept(0)], TODAY)
    assert r.money_score == pytest.approx(0.9) and r.other_score == pytest.approx(0.5)
    assert record([kept(0)], TODAY).money_score is None


def test_open_promises_are_counted_not_scored() -> None:
    late_open = Promise(by="client", what="p", due=TODAY - dt.timedelta(days=3))
    open_ = Promise(by="client", what="p", due=TODAY + dt.timedelta(days=3))
    r = record([late_open, open_], TODAY)
    assert (r.open, r.overdue, r.decided, r.other_score, r.on_time_rate) == (2, 1, 0, None, None)


def test_a_client_promise_broken_because_of_ours_is_not_held_against_the_client() -> None:
    ours = broken(by="us", index=0)
    theirs = broken(by="client", index=1, because=1)
    both = sides((ours, theirs, kept(0, index=2)), TODAY)
    assert (both["us"].broken, both["client"].broken, both["client"].excused) == (1, 0, 1)
    assert both["client"].other_score == 1
