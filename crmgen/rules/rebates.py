"""Tiered rebates (年累计销量分档返利): what a programme counts, what it pays, where the client stands.

Pure functions of a validated client and one of its programmes
(:attr:`crmgen.format.model.Client.programmes`); the ``rebate`` and ``settle`` rules and the
client page ask here, so the money is worked out one way everywhere.

- **basis**: ``ordered`` counts orders dated in the period, ``delivered`` orders delivered
  in it, ``paid`` the payments received in it (an order without a payments list counts
  what it says is ``paid`` on its order date).
- **mode**: ``whole`` pays the rate of the highest tier passed on everything bought;
  ``above`` pays each tier's rate only on the part between its threshold and the next.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

from crmgen.format.model import Client, Rebate, RebateTier
from crmgen.i18n import _


def counted(client: Client, rebate: Rebate, until: dt.date | None = None) -> float:
    """What the programme counts from its start to its end (or to ``until``, when earlier)."""
    start = rebate.start or dt.date.min
    end = min(rebate.end or dt.date.max, until or dt.date.max)
    total = 0.0
    for o in client.orders:
        if rebate.basis == "delivered":
            if o.delivered is not None and start <= o.delivered <= end:
                total += o.amount
        elif rebate.basis == "paid":
            if o.payments:
                total += sum(p.amount for p in o.payments if start <= p.date <= end)
            elif start <= o.date <= end:
                total += o.paid
        elif start <= o.date <= end:
            total += o.amount
    return total


def earned(rebate: Rebate, total: float) -> float:
    """The rebate ``total`` bought in the period earns (0 below the first tier)."""
    tiers = sorted(rebate.tiers, key=lambda t: t.over)
    if rebate.mode == "above":
        out = 0.0
        for i, t in enumerate(tiers):
            top = tiers[i + 1].over if i + 1 < len(tiers) else total
            if total > t.over:
                out += (min(total, top) - t.over) * t.rate
        return out
    reached = [t for t in tiers if total >= t.over]
    return total * reached[-1].rate if reached else 0.0


class Standing(NamedTuple):
    """Where a client stands in a programme."""

    total: float  # counted so far
    reached: RebateTier | None
    next: RebateTier | None
    earned: float  # what ``total`` earns
    at_next: float | None  # what reaching the next tier would earn
    missing: float  # how much more reaches the next tier (0 at the top)


def standing(client: Client, rebate: Rebate, until: dt.date | None = None) -> Standing:
    total = counted(client, rebate, until)
    tiers = sorted(rebate.tiers, key=lambda t: t.over)
    reached = next((t for t in reversed(tiers) if total >= t.over), None)
    upcoming = next((t for t in tiers if total < t.over), None)
    return Standing(total, reached, upcoming, earned(rebate, total),
                    earned(rebate, upcoming.over) if upcoming else None,
                    upcoming.over - total if upcoming else 0.0)


def midpoint(rebate: Rebate) -> dt.date | None:
    """The middle day of the period: where its pace is checked."""
    if rebate.start is None or rebate.end is None:
        return None
    return rebate.start + (rebate.end - rebate.start) // 2


class Pace(NamedTuple):
    """How the client stood at mid-period against the tier it was working towards."""

    day: dt.date  # the middle of the period
    counted: float  # counted by then
    target: RebateTier  # the lowest tier not reached by then
    needed: float  # the share of the target due by then (target.over × time elapsed, rounded up)

    @property
    def behind(self) -> bool:
        return self.counted < self.needed


def pace(client: Client, rebate: Rebate) -> Pace | None:
    """The client's pace at mid-period, or None (no dates, or every tier reached by then)."""
    day = midpoint(rebate)
    if day is None or rebate.start is None or rebate.end is None or not rebate.tiers:
        return None
    got = counted(client, rebate, day)
    target = next((t for t in sorted(rebate.tiers, key=lambda t: t.over) if got < t.over), None)
    if target is None:
        return None
    share = ((day - rebate.start).days + 1) / ((rebate.end - rebate.start).days + 1)
    return Pace(day, got, target, math.ceil(target.over * share))  # in whole units of money


def label(rebate: Rebate) -> str:
    """How a reminder names the programme: its name, else its period (in the active language)."""
    if rebate.name:
        return rebate.name
    return _("the %(start)s to %(end)s rebate") % {"start": rebate.start or "…", "end": rebate.end or "…"}
