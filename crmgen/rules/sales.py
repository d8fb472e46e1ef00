"""Sales by month, growth, the business mix, value classes and targets (#17, seed 004): pure rules.

Money is summed in whole cents (integers), as on the dashboard, so a total and a cut never
depend on the order of a sum. An order counts on its ``date``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from crmgen.format.model import Client
from crmgen.format.money import to_cents

REVENUE_DAYS = 365  # the value classes look at the last twelve months, as the dashboard's 80/20


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _orders(clients: Iterable[Client], start: dt.date, end: dt.date) -> Iterable[tuple[Client, Any]]:
    for c in clients:
        for o in c.orders:
            if start <= o.date <= end:
                yield c, o


def monthly(clients: Iterable[Client], start: dt.date, end: dt.date) -> dict[str, int]:
    """Cents ordered per month from ``start`` to ``end`` (both included), every month listed."""
    out: dict[str, int] = {}
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out[f"{y:04d}-{m:02d}"] = 0
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    for _c, o in _orders(clients, start, end):
        out[month_of(o.date)] += to_cents(o.amount)
    return out


def by_owner(clients: Iterable[Client], start: dt.date, end: dt.date) -> dict[str | None, int]:
    """Cents ordered per owner in the span (None: clients nobody owns), largest first."""
    out: dict[str | None, int] = defaultdict(int)
    for c, o in _orders(clients, start, end):
        out[c.owner] += to_cents(o.amount)
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or "")))


def same_day_last_year(day: dt.date) -> dt.date:
    """29 February becomes the 28th."""
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))


class Growth(NamedTuple):
    """This year to date against last year to the same date: a partial year against the same part."""

    this: int  # cents, 1 January to today
    last: int  # cents, 1 January to the same day last year
    rate: float | None  # (this - last) / last; None when last year had nothing

    @property
    def rate_text(self) -> str:
        return "" if self.rate is None else f"{self.rate:+.1%}"


def growth(clients: Iterable[Client], today: dt.date) -> Growth:
    book = list(clients)
    this = sum(to_cents(o.amount) for _c, o in _orders(book, today.replace(month=1, day=1), today))
    last_day = same_day_last_year(today)
    last = sum(to_cents(o.amount) for _c, o in _orders(book, last_day.replace(month=1, day=1), last_day))
    return Growth(this, last, (this - last) / last if last else None)


class Mix(NamedTuple):
    """The business of a span: from new clients (their first order ever), of which referred ones
    (``referred_by``), and repeat business."""

    new: int
    referred: int  # part of new
    repeat: int
    new_clients: int
    referred_clients: int


def mix(clients: Iterable[Client], start: dt.date, end: dt.date) -> Mix:
    new = referred = repeat = 0
    new_clients: set[str] = set()
    referred_clients: set[str] = set()
    for c in clients:
        if not c.orders:
            continue
        first = min(c.orders, key=lambda o: (o.date, o.index))
        for o in c.orders:
            if not start <= o.date <= end:
                continue
            cents = to_cents(o.amount)
            if o is first:
                new += cents
                new_clients.add(c.slug)
                if c.referred_by:
                    referred += cents
                    referred_clients.add(c.slug)
            else:
                repeat += cents
    return Mix(new, referred, repeat, len(new_clients), len(referred_clients))


def value_classes(clients: Iterable[Client], today: dt.date, shares: Mapping[str, float]) -> dict[str, str]:
    """A, B or C per client by revenue in the last twelve months (apart from the prospect grade A–F):
    A is the smallest set of the largest clients reaching ``shares["A"]`` of the revenue (0.8: the
    80/20 of the dashboard), B the next ones up to ``shares["B"]``, C the rest that bought; a client
    that bought nothing has no class. Ties go by name and slug, which never changes a cut."""
    start = today - dt.timedelta(days=REVENUE_DAYS)
    rows = []
    for c in clients:
        cents = sum(to_cents(o.amount) for o in c.orders if start < o.date <= today)
        if cents > 0:
            rows.append((cents, c.name, c.slug))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    total = sum(r[0] for r in rows)
    cuts = [("A", _fraction(shares["A"])), ("B", _fraction(shares["B"]))]
    out: dict[str, str] = {}
    cum = 0
    for cents, _name, slug in rows:
        klass = "C"
        for name, (num, den) in cuts:
            if cum * den < total * num:  # still short of the share before this client
                klass = name
                break
        out[slug] = klass
        cum += cents
    return out


def _fraction(share: float) -> tuple[int, int]:
    """A share as an exact fraction of integers (to a ten-thousandth: 0.8 is 8000/10000)."""
    return round(share * 10_000), 10_000


class Progress(NamedTuple):
    """One owner against the month's target, on a day of it."""

    owner: str
    month: str
    target: int  # cents
    sold: int  # cents ordered in the month up to the day
    share: float  # sold / target
    expected: float  # the share of the month gone by the day (the pace to be on track)

    @property
    def on_track(self) -> bool:
        return self.share >= self.expected


def target_of(targets: Mapping[str, Any], owner: str, month: str) -> float | None:
    """An owner's target for ``month``: a number (every month) or a mapping of months
    (``2026-12``) with ``monthly`` for the others."""
    t = targets.get(owner)
    if isinstance(t, Mapping):
        t = t.get(month, t.get("monthly"))
    return float(t) if t is not None else None


def progress(clients: Iterable[Client], targets: Mapping[str, Any], today: dt.date) -> list[Progress]:
    """Every owner with a target this month, in the order of the settings."""
    book = list(clients)
    month = month_of(today)
    first = today.replace(day=1)
    days = calendar.monthrange(today.year, today.month)[1]
    from crmgen.format.owners import owner_key

    sold: dict[str, int] = defaultdict(int)
    for owner, cents in by_owner(book, first, today).items():
        if owner is not None:
            sold[owner_key(owner)] += cents
    out = []
    for owner in targets:
        target = target_of(targets, owner, month)
        if not target:
            continue
        cents = to_cents(target)
        got = sold.get(owner_key(owner), 0)
        out.append(Progress(owner, month, cents, got, got / cents, today.day / days))
    return out
