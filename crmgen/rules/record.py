"""The record of promises (慎诺重行, seed 001): kept on time, kept late, broken, on each side.

A pure function of the promises and the day; the client page, the dashboard and the
owners' records all ask here. Money promises (with an ``amount``) and the others are scored
apart, each weighing the recent (and, for money, the large) more:

    score = Σ wᵢ·vᵢ / Σ wᵢ   over the promises of its kind kept or broken,

    vᵢ = 1 when kept on time (on or before ``due``), 1 − days late / 30 when kept late
         (0 from 30 days late), 0 when broken;
    wᵢ = 0.5 ^ (days since it was kept or broken / 180), × its amount for a money promise.

A client promise broken ``because:`` of one of ours (its number on the page) does not count
against the client: it is shown, not scored.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from typing import NamedTuple

from crmgen.format.model import Promise

HALF_LIFE = 180  # days: a promise settled half a year ago weighs half as much as today's
LATE_ZERO = 30  # days late at which a kept promise scores as a broken one


class Record(NamedTuple):
    """One side's promises, counted and scored."""

    on_time: int
    late: int  # kept, after the day
    broken: int
    open: int
    overdue: int  # open, past the day
    excused: int  # broken because of one of ours (client side): not scored
    median_delay: float | None  # days late, among those kept late
    money_score: float | None  # see the module docstring; None when no money promise was kept or broken
    other_score: float | None  # the same for the promises without an amount

    @property
    def decided(self) -> int:
        return self.on_time + self.late + self.broken

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.decided if self.decided else None


def value(p: Promise) -> float | None:
    """How well a settled promise was kept: 1 on time, less the later, 0 broken (None: open)."""
    if p.broken is not None:
        return 0.0
    if p.kept is None:
        return None
    late = p.days_late or 0
    return max(0.0, 1 - late / LATE_ZERO) if late else 1.0


def weight(p: Promise, today: dt.date) -> float:
    settled = p.kept or p.broken or today
    age = max((today - settled).days, 0)
    return 0.5 ** (age / HALF_LIFE) * (p.amount if p.amount else 1.0)


def record(promises: Iterable[Promise], today: dt.date, *, excused: frozenset[int] = frozenset()) -> Record:
    """The record of ``promises`` (one side's) on ``today``; ``excused``: indexes of broken promises
    caused by the other side, left out of the counts and the score."""
    on_time = late = broken = open_ = overdue = skipped = 0
    delays: list[int] = []
    total = [0.0, 0.0]  # money, other
    weights = [0.0, 0.0]
    for p in promises:
        if p.broken is not None and p.index in excused:
            skipped += 1
            continue
        v = value(p)
        if v is None:
            open_ += 1
            overdue += p.due < today
            continue
        if p.broken is not None:
            broken += 1
        elif p.days_late:
            late += 1
            delays.append(p.days_late)
        else:
            on_time += 1
        kind = 0 if p.amount else 1
        w = weight(p, today)
        total[kind] += w * v
        weights[kind] += w
    scores = [t / w if w else None for t, w in zip(total, weights, strict=True)]
    return Record(on_time, late, broken, open_, overdue, skipped,
                  statistics.median(delays) if delays else None, scores[0], scores[1])


def excused(promises: Iterable[Promise]) -> frozenset[int]:
    """The indexes of client promises broken ``because`` of one of ours."""
    return frozenset(p.index for p in promises if p.by != "us" and p.broken is not None and p.because is not None)


def sides(promises: tuple[Promise, ...], today: dt.date) -> dict[str, Record]:
    """The ``us`` and ``client`` records of one client's promises."""
    skip = excused(promises)
    return {"us": record((p for p in promises if p.by == "us"), today),
            "client": record((p for p in promises if p.by != "us"), today, excused=skip)}
