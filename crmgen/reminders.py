"""Follow-ups the salesperson owes, computed from the client files.

Every rule is a pure function of (clients, today, settings): no I/O, no clock.
The same input always gives the same list, in the same order.

A reminder is listed when ``date <= today + max(lead, within)``. Once its date
has passed it stays listed (overdue, ``days < 0``) until the files show it was
resolved: a promise kept, an order paid, an interaction logged... The kinds in
:data:`ENDING_KINDS` instead simply end when their date has passed: a birthday
moves on to next year, a rebate period is over, and ``remind`` (a few days
before a client's due date) is followed by ``collect`` on the due date itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .config import DEFAULT_LEADS, Settings
from .model import COMPLAINT_STEPS, Client, Interaction, RebateTier

KINDS: tuple[str, ...] = (
    "touch",
    "next",
    "birthday",
    "anniversary",
    "promise",
    "remind",
    "collect",
    "payment",
    "review",
    "complaint",
    "rebate",
    "successor",
    "dormant",
)

# Kinds that are never overdue: they end when their date has passed.
ENDING_KINDS = frozenset({"birthday", "anniversary", "remind", "rebate"})

GROUPS = ("Overdue", "Today", "This week", "Later")

# What each of the six steps of complaint handling (DOMAIN.md) asks for.
STEP_TASKS = {
    "listen": "listen and record",
    "analyse": "analyse the cause",
    "solve": "find a solution",
    "inform": "tell the client",
    "act": "carry it out",
    "review": "review so it does not recur",
}


@dataclass(frozen=True)
class Reminder:
    """One follow-up: what to do (``title``), for whom, and when (``date``)."""

    client: str
    name: str
    owner: str | None
    kind: str
    date: dt.date
    days: int
    lead: int
    title: str
    amount: float | None = None
    # What the reminder refers to inside the client (a promise, an order, a
    # contact...), stable while ``date``/``days``/``title`` change; the calendar
    # feed builds its UIDs from it. Not part of the JSON contract.
    key: str = ""

    def to_json(self) -> dict[str, object]:
        """The reminder as a JSON object: exactly the contract keys, dates in ISO 8601."""
        return {
            "client": self.client,
            "name": self.name,
            "owner": self.owner,
            "kind": self.kind,
            "date": self.date.isoformat(),
            "days": self.days,
            "lead": self.lead,
            "title": self.title,
            "amount": self.amount,
        }

    @property
    def overdue(self) -> bool:
        return self.days < 0


def due(
    clients: Iterable[Client],
    today: dt.date,
    settings: Settings,
    *,
    within: int | None = None,
    first_seen: Mapping[str, dt.date] | None = None,
) -> list[Reminder]:
    """Every reminder to show on ``today``, sorted by date, client, kind and title.

    ``within`` (default ``settings.within``) widens the window: a reminder shows
    from ``max(lead, within)`` days before its date. ``first_seen`` maps a slug to
    the day its file was added to git (the last resort for the ``touch`` rule).
    """
    ahead = settings.within if within is None else within
    leads = {kind: settings.leads.get(kind, DEFAULT_LEADS[kind]) for kind in KINDS}
    # The last date each kind can have and still be listed today; the earliest
    # is today for the kinds that end, none for the rest.
    horizon = {kind: today + dt.timedelta(days=max(lead, ahead)) for kind, lead in leads.items()}
    earliest = {kind: (today if kind in ENDING_KINDS else dt.date.min) for kind in KINDS}
    window = _Window(today, leads, horizon, earliest)
    found: list[Reminder] = []
    for client in clients:
        found.extend(_client_reminders(client, window, settings, first_seen or {}))
    found.sort(key=lambda r: (r.date, r.client, r.kind, r.title, r.key))
    return found


def group(reminders: Iterable[Reminder]) -> dict[str, list[Reminder]]:
    """Split reminders into Overdue, Today, This week (1..7 days) and Later, in that order."""
    groups: dict[str, list[Reminder]] = {name: [] for name in GROUPS}
    for r in reminders:
        if r.days < 0:
            groups["Overdue"].append(r)
        elif r.days == 0:
            groups["Today"].append(r)
        elif r.days <= 7:
            groups["This week"].append(r)
        else:
            groups["Later"].append(r)
    return groups


# --- the rules ---------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """Which dates are listed today, per kind."""

    today: dt.date
    leads: dict[str, int]
    horizon: dict[str, dt.date]
    earliest: dict[str, dt.date]

    def shows(self, kind: str, date: dt.date) -> bool:
        return self.earliest[kind] <= date <= self.horizon[kind]


def _client_reminders(
    client: Client, window: _Window, settings: Settings, first_seen: Mapping[str, dt.date]
) -> Iterator[Reminder]:
    """The listed reminders of one client.

    Each rule finds its date first and asks ``window.shows`` before building the
    title: most reminders of a large book are far away, and formatting them all
    would cost more than the rules themselves.
    """
    today = window.today
    shows = window.shows

    def make(kind: str, date: dt.date, title: str, amount: float | None = None, key: str = "") -> Reminder:
        return Reminder(
            client=client.slug,
            name=client.name,
            owner=client.owner,
            kind=kind,
            date=date,
            days=(date - today).days,
            lead=window.leads[kind],
            title=title,
            amount=amount,
            key=key,
        )

    cur = settings.currency
    name = _line(client.name)
    days = dt.timedelta

    # touch: keep in touch at the client's cadence.
    cadence = client.cadence if client.cadence is not None else settings.cadence.get(client.grade)
    if client.stage != "lost" and cadence is not None:
        last = client.last_contact
        if last is not None:
            since = f"last contact {last}"
        elif client.since is not None:
            last, since = client.since, f"client since {client.since}, no contact logged"
        elif client.slug in first_seen:
            last = first_seen[client.slug]
            since = f"added {last}, no contact logged"
        else:
            last, since = today, "no contact logged"
        date = last + days(cadence)
        if shows("touch", date):
            who = _main_contact(client)
            yield make(
                "touch", date, f"Get in touch with {name}{who} ({since}; every {_plural(cadence, 'day')})"
            )

    # next: the next step written after the latest interaction that has one.
    step = _latest_next(client.interactions)
    if step is not None and step.next_date is not None and shows("next", step.next_date):
        if not any(i.date >= step.next_date for i in client.interactions):
            what = _line(step.next_what or "") or "follow up"
            yield make(
                "next",
                step.next_date,
                f"Next step with {name}: {what} (from the {step.type} on {step.date})",
                key=f"{step.date}:{step.next_date}:{what}",
            )

    for contact in client.contacts:
        # birthday: current contacts only.
        b = contact.birthday
        if b is not None and contact.left is None:
            date = _next_yearly(b.month, b.day, today)
            if shows("birthday", date):
                age = f", turns {date.year - b.year}" if b.year is not None and date.year > b.year else ""
                yield make(
                    "birthday", date, f"Birthday of {_line(contact.name)} at {name}{age}", key=contact.name
                )
        # successor: someone left; meet whoever replaced them.
        left = contact.left
        if left is not None and shows("successor", date := left + days(settings.successor_after)):
            if not any(i.date > left for i in client.interactions):
                role = f" ({_line(contact.role)})" if contact.role else ""
                yield make(
                    "successor",
                    date,
                    f"{_line(contact.name)}{role} left {name} on {left}: meet whoever replaced them",
                    key=contact.name,
                )

    # anniversary: each `dates` entry, from its first occurrence on.
    for ann in client.dates:
        date = max(_next_yearly(ann.date.month, ann.date.day, today), ann.date)
        if shows("anniversary", date):
            years = date.year - ann.date.year
            count = f"{_plural(years, 'year')} since {ann.date}" if years else f"on {ann.date}"
            yield make("anniversary", date, f"{_line(ann.what)} at {name} ({count})", key=ann.what)

    for p in client.promises:
        if not p.is_open:
            continue
        money = f" ({_money(p.amount, cur)})" if p.amount is not None else ""
        key = f"{p.by}:{_line(p.what)}"
        if p.by == "us":
            if shows("promise", p.due):
                yield make(
                    "promise",
                    p.due,
                    f"Keep our promise to {name}: {_line(p.what)}{money}, due {p.due}",
                    p.amount,
                    key,
                )
            continue
        date = p.due - days(_remind_days(p.amount, settings))
        if shows("remind", date):
            yield make(
                "remind",
                date,
                f"Remind {name} of their promise: {_line(p.what)}{money}, due {p.due}",
                p.amount,
                key,
            )
        if shows("collect", p.due):
            yield make(
                "collect",
                p.due,
                f"Collect / confirm with {name}: {_line(p.what)}{money}, promised for {p.due}",
                p.amount,
                key,
            )

    for o in client.orders:
        pay_by = o.pay_by if o.pay_by is not None and o.paid < o.amount else None
        if pay_by is not None and not shows("payment", pay_by):
            pay_by = None
        review_on = o.delivered + days(settings.review_after) if o.delivered and o.reviewed is None else None
        if review_on is not None and not shows("review", review_on):
            review_on = None
        if pay_by is None and review_on is None:
            continue
        order = f"the order of {o.date}" + (f" ({_line(o.items)})" if o.items else "")
        okey = f"{o.date}:{o.items or ''}:{o.index}"
        if pay_by is not None:
            owed = o.amount - o.paid
            part = f", {_money(o.paid, cur)} of {_money(o.amount, cur)} paid" if o.paid > 0 else ""
            yield make(
                "payment",
                pay_by,
                f"Payment from {name}: {_money(owed, cur)} owed on {order}{part}, due {pay_by}",
                owed,
                okey,
            )
        if review_on is not None:
            yield make(
                "review",
                review_on,
                f"After-sale review visit at {name}: {order}, delivered {o.delivered}",
                key=okey,
            )

    for c in client.complaints:
        date = c.opened + days(settings.complaint_after)
        if c.closed is not None or not shows("complaint", date):
            continue
        n = COMPLAINT_STEPS.index(c.step) + 1 if c.step in COMPLAINT_STEPS else 0
        task = STEP_TASKS.get(c.step, c.step)
        yield make(
            "complaint",
            date,
            f"Complaint from {name}: {_line(c.what)} (opened {c.opened}; step {n} of 6, {c.step}: {task})",
            key=f"{c.opened}:{_line(c.what)}",
        )

    reb = client.rebate
    if reb is not None and reb.end is not None and shows("rebate", reb.end):
        near = _rebate_gap(client, settings)
        if near is not None:
            missing, tier = near
            total = tier.over - missing
            yield make(
                "rebate",
                reb.end,
                f"{name} is {_money(missing, cur)} short of the {_percent(tier.rate)} rebate tier "
                f"({_money(total, cur)} of {_money(tier.over, cur)} bought; the period ends {reb.end})",
                missing,
                key=f"{reb.end}:{tier.over}",
            )

    # dormant: a customer that has stopped ordering.
    if client.stage == "customer" and client.orders:
        latest = max(client.orders, key=lambda o: (o.date, o.index))
        date = latest.date + days(settings.dormant_after)
        if shows("dormant", date):
            what = f" ({_line(latest.items)})" if latest.items else ""
            yield make(
                "dormant", date, f"{name} has not ordered since {latest.date}{what}: time to win them back"
            )


def _main_contact(client: Client) -> str:
    current = client.current_contacts
    return f" ({_line(current[0].name)})" if current else ""


def _latest_next(interactions: Iterable[Interaction]) -> Interaction | None:
    """The latest interaction with a ``Next:`` line; on a tie, the one further down the file."""
    best: tuple[dt.date, int] | None = None
    found = None
    for pos, i in enumerate(interactions):
        if i.next_date is None:
            continue
        rank = (i.date, pos)
        if best is None or rank >= best:
            best, found = rank, i
    return found


def _next_yearly(month: int, day: int, today: dt.date) -> dt.date:
    """The next ``month``/``day`` on or after today; 29 Feb is 28 Feb in other years."""
    for year in (today.year, today.year + 1):
        when = _on_year(year, month, day)
        if when >= today:
            return when
    raise AssertionError("unreachable: next year always comes after today")


def _on_year(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        if (month, day) == (2, 29):
            return dt.date(year, 2, 28)
        raise


def _remind_days(amount: float | None, settings: Settings) -> int:
    """Days before a client's due date to remind them: the larger the sum, the earlier."""
    value = amount or 0.0
    for under, ahead in settings.remind_steps:
        if under is None or value < under:
            return ahead
    return settings.remind_steps[-1][1] if settings.remind_steps else 0


def _rebate_gap(client: Client, settings: Settings) -> tuple[float, RebateTier] | None:
    """(amount still missing, next tier) when the client's purchases are near its next tier."""
    reb = client.rebate
    if reb is None or reb.end is None or not reb.tiers:
        return None
    total = sum(
        o.amount for o in client.orders if (reb.start is None or o.date >= reb.start) and o.date <= reb.end
    )
    tiers = sorted(reb.tiers, key=lambda t: t.over)
    nxt = next((t for t in tiers if total < t.over), None)
    if nxt is None or total < settings.rebate_near * nxt.over:
        return None
    return nxt.over - total, nxt


def _money(amount: float, currency: str) -> str:
    if float(amount).is_integer():
        return f"{currency}{amount:,.0f}"
    return f"{currency}{amount:,.2f}"


def _percent(rate: float) -> str:
    return f"{rate * 100:g}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _line(text: str) -> str:
    """User text on one line: a YAML block scalar must not break a list row or a calendar summary."""
    return " ".join(text.split())
