"""The period's report (周报 / 月报 / 日报): what happened in a day, a week or a month, from the files.

Pure: :func:`report` takes the clients, the period and, where git knows them, the
days the client files were added, and answers with a :class:`Report` of plain
records. Nothing is estimated: every line of the report is a dated fact in a file.

- **Interactions**: each ``## DATE type: summary`` section dated in the period.
- **New clients**: files added to git in the period (without git history: none; a
  client's ``since`` is the start of the business, not the day it was recorded).
- **Promises**: made (``agreed`` in the period), kept and broken (their day in the
  period), ours and the client's.
- **Orders** dated in the period and **payments** received in it, with totals in
  whole cents (as the dashboard sums money: no float drift).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from crmgen.format.model import Client
from crmgen.format.money import to_cents

PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    kind: str  # day, week (Monday to Sunday) or month
    start: dt.date
    end: dt.date  # inclusive

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def period_of(kind: str, day: dt.date) -> Period:
    """The day, ISO week (Monday first) or calendar month that holds ``day``."""
    if kind == "day":
        return Period(kind, day, day)
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return Period(kind, start, following - dt.timedelta(days=1))
    raise ValueError(f"a period is one of {', '.join(PERIODS)}, not {kind!r}")


@dataclass(frozen=True)
class Line:
    """One fact of the report: the day, the client (slug and name), what, and a sum if any."""

    date: dt.date
    client: str
    name: str
    what: str
    kind: str = ""  # the interaction's type, or the promise's side ("us" / "client")
    amount: float | None = None


@dataclass(frozen=True)
class Report:
    period: Period
    owner: str | None
    interactions: list[Line] = field(default_factory=list)
    new_clients: list[Line] = field(default_factory=list)
    promises_made: list[Line] = field(default_factory=list)
    promises_kept: list[Line] = field(default_factory=list)
    promises_broken: list[Line] = field(default_factory=list)
    orders: list[Line] = field(default_factory=list)
    payments: list[Line] = field(default_factory=list)
    # opportunities found in the period (opened), and moved to a stage in it (since; kind: the stage)
    opportunities_opened: list[Line] = field(default_factory=list)
    opportunities_moved: list[Line] = field(default_factory=list)

    @property
    def by_type(self) -> dict[str, int]:
        """Interactions counted by type, most first (then by name)."""
        counts = Counter(line.kind for line in self.interactions)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def ordered_cents(self) -> int:
        return sum(to_cents(line.amount or 0) for line in self.orders)

    @property
    def received_cents(self) -> int:
        return sum(to_cents(line.amount or 0) for line in self.payments)

    @property
    def clients_touched(self) -> int:
        """Clients with at least one interaction in the period."""
        return len({line.client for line in self.interactions})


def report(clients: Iterable[Client], period: Period, *, owner: str | None = None,
           first_seen: Mapping[str, dt.date] | None = None) -> Report:
    """What happened in ``period`` at ``clients`` (already chosen for ``owner``, which is only named)."""
    out = Report(period, owner)
    seen = first_seen or {}
    for c in sorted(clients, key=lambda c: c.slug):
        def line(day: dt.date, what: str, kind: str = "", amount: float | None = None, c: Client = c) -> Line:
            return Line(day, c.slug, c.name, what, kind, amount)

        out.interactions.extend(line(i.date, i.summary, i.type) for i in c.interactions if i.date in period)
        if (added := seen.get(c.slug)) is not None and added in period:
            out.new_clients.append(line(added, c.stage, c.grade))
        for p in c.promises:
            for day, into in ((p.agreed, out.promises_made), (p.kept, out.promises_kept),
                              (p.broken, out.promises_broken)):
                if day is not None and day in period:
                    into.append(line(day, p.what, p.by, p.amount))
        for o in c.orders:
            if o.date in period:
                out.orders.append(line(o.date, o.items or "", o.id or "", o.amount))
            for pay in o.payments:
                if pay.date in period:
                    out.payments.append(line(pay.date, pay.note or "", o.id or o.date.isoformat(), pay.amount))
        for opp in c.opportunities:
            if opp.opened is not None and opp.opened in period:
                out.opportunities_opened.append(line(opp.opened, opp.what, opp.stage or "", opp.amount))
            if opp.since is not None and opp.since in period and opp.stage is not None:
                out.opportunities_moved.append(line(opp.since, opp.what, opp.stage, opp.amount))
    for lines in (out.interactions, out.new_clients, out.promises_made, out.promises_kept, out.promises_broken,
                  out.orders, out.payments, out.opportunities_opened, out.opportunities_moved):
        lines.sort(key=lambda x: (x.date, x.client))
    return out
