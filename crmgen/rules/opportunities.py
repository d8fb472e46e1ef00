"""Opportunities (deals) and the pipeline (#17): pure rules, no I/O.

An opportunity is in one of the team's stages (``opportunity_stages``, in order, each with
its chance of winning), or won, or lost. Its probability is its own, else its stage's; its
weighted value is amount × probability. An open one is due for attention when its expected
day has passed, or when it has stayed in its stage ``opportunity_stale`` days (counted from
``since``, else ``opened``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

from crmgen.format.model import Client, Opportunity

WON, LOST = "won", "lost"
DAY = dt.timedelta(days=1)


def stages(settings: Any) -> list[str]:
    """Every stage in order: the team's, then won and lost."""
    return [*settings.opportunity_stages, WON, LOST]


def stage(o: Opportunity, settings: Any) -> str:
    """Its stage (the team's first when the file names none)."""
    return o.stage if o.stage is not None else next(iter(settings.opportunity_stages), WON)


def is_open(o: Opportunity, settings: Any) -> bool:
    return stage(o, settings) not in (WON, LOST)


def probability(o: Opportunity, settings: Any) -> float:
    """Its own chance, else its stage's: won is certain, lost is nothing."""
    s = stage(o, settings)
    if s == WON:
        return 1.0
    if s == LOST:
        return 0.0
    if o.probability is not None:
        return o.probability
    return float(settings.opportunity_stages.get(s, 0.0))


def weighted(o: Opportunity, settings: Any) -> float:
    return round((o.amount or 0) * probability(o, settings), 2)


class Attention(NamedTuple):
    """Why an open opportunity wants a look, from which day."""

    date: dt.date
    why: str  # "expected": its expected day has passed; "stale": it has not moved for the set days
    days: int  # for "stale", how many days it may stay; for "expected", 0


def attention(o: Opportunity, settings: Any) -> Attention | None:
    """The earlier of: the day after its expected day, and the day it has stayed too long in its stage."""
    if not is_open(o, settings):
        return None
    found: list[Attention] = []
    if o.expected is not None:
        found.append(Attention(o.expected + DAY, "expected", 0))
    moved = o.since or o.opened
    if moved is not None:
        found.append(Attention(moved + settings.opportunity_stale * DAY, "stale", settings.opportunity_stale))
    return min(found) if found else None


class Row(NamedTuple):
    client: Client
    opportunity: Opportunity
    stage: str
    probability: float
    weighted: float


def rows(clients: Iterable[Client], settings: Any) -> list[Row]:
    """Every opportunity of the book, each with its stage, probability and weighted value."""
    return [Row(c, o, stage(o, settings), probability(o, settings), weighted(o, settings))
            for c in clients for o in c.opportunities]


def _month(day: dt.date | None) -> str | None:
    return f"{day.year:04d}-{day.month:02d}" if day is not None else None


def pipeline(clients: Iterable[Client], settings: Any) -> dict[str, Any]:
    """The board and its numbers: per stage (the opportunities, their total and weighted total), the
    forecast of the open ones by expected month (weighted; ``None``: no expected day), per owner
    (open count, total, weighted; won count and amount), won and lost by reason."""
    all_rows = rows(clients, settings)
    board = []
    for s in stages(settings):
        here = [r for r in all_rows if r.stage == s]
        board.append({"stage": s, "rows": here, "count": len(here),
                      "total": round(sum(r.opportunity.amount or 0 for r in here), 2),
                      "weighted": round(sum(r.weighted for r in here), 2)})
    open_rows = [r for r in all_rows if r.stage not in (WON, LOST)]
    forecast: dict[str | None, float] = defaultdict(float)
    for r in open_rows:
        forecast[_month(r.opportunity.expected)] += r.weighted
    months = sorted(k for k in forecast if k is not None) + ([None] if None in forecast else [])
    owners: dict[str | None, dict[str, float]] = defaultdict(
        lambda: {"open": 0, "total": 0.0, "weighted": 0.0, "won": 0, "won_amount": 0.0})
    for r in all_rows:
        o = owners[r.client.owner]
        if r.stage == WON:
            o["won"] += 1
            o["won_amount"] += r.opportunity.amount or 0
        elif r.stage != LOST:
            o["open"] += 1
            o["total"] += r.opportunity.amount or 0
            o["weighted"] += r.weighted
    reasons: dict[str, dict[str, float]] = defaultdict(lambda: {"count": 0, "amount": 0.0})
    for r in all_rows:
        if r.stage == LOST:
            reason = reasons[r.opportunity.lost_reason or ""]
            reason["count"] += 1
            reason["amount"] += r.opportunity.amount or 0
    won = [r for r in all_rows if r.stage == WON]
    lost = [r for r in all_rows if r.stage == LOST]
    decided = len(won) + len(lost)
    return {
        "board": board,
        "open_total": round(sum(r.opportunity.amount or 0 for r in open_rows), 2),
        "open_weighted": round(sum(r.weighted for r in open_rows), 2),
        "forecast": [(m, round(forecast[m], 2)) for m in months],
        "owners": {k: {n: round(v, 2) if isinstance(v, float) else v for n, v in d.items()}
                   for k, d in sorted(owners.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))},
        "lost_by_reason": sorted(((k, {"count": int(v["count"]), "amount": round(v["amount"], 2)})
                                  for k, v in reasons.items()), key=lambda kv: (-kv[1]["count"], kv[0])),
        "won": {"count": len(won), "amount": round(sum(r.opportunity.amount or 0 for r in won), 2)},
        "win_rate": round(len(won) / decided, 4) if decided else None,
    }
