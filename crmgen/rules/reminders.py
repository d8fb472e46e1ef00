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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crmgen.format.model import COMPLAINT_STEPS, Client, Interaction, RebateTier
from crmgen.format.money import money
from crmgen.load.project import DEFAULT_LEADS, Settings
from crmgen.rules.dueplan import ENDING_KINDS, KINDS, next_yearly, select, sort_key
from crmgen.rules.wording import GROUPS, group_of, plural

__all__ = ["ENDING_KINDS", "GROUPS", "KINDS", "STEP_TASKS", "Reminder", "due", "group", "plan"]


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
    memo: PlanMemo | None = None,
) -> list[Reminder]:
    """Every reminder to show on ``today``, sorted by date, client, kind and title.

    ``within`` (default ``settings.within``) widens the window: a reminder shows
    from ``max(lead, within)`` days before its date. ``first_seen`` maps a slug to
    the day its file was added to git (the last resort for the ``touch`` rule).
    ``memo`` keeps each client's share of the plan between builds (:class:`PlanMemo`).
    """
    ahead = settings.within if within is None else within
    leads = lead_days(settings)
    the_plan = plan(clients, settings, first_seen, memo=memo)
    return reminders_of(the_plan, select(the_plan, today, ahead, leads), today, leads)


def lead_days(settings: Settings) -> dict[str, int]:
    """Days ahead each kind of reminder shows (its lead), with the defaults filled in."""
    return {kind: settings.leads.get(kind, DEFAULT_LEADS[kind]) for kind in KINDS}


def reminders_of(the_plan: dict, rows: list, today: dt.date, leads: Mapping[str, int]) -> list[Reminder]:
    """:class:`Reminder` objects for rows picked by :func:`crmgen.rules.dueplan.select`."""
    clients = the_plan["clients"]
    t = today.toordinal()
    out = []
    # Reminder's frozen __init__ sets each field with object.__setattr__: filling the
    # instance dict at once is six times faster (40,000 reminders at 10,000 clients).
    # Every field is given, so the object is the one Reminder(...) would make.
    new = object.__new__
    for o, kind, ci, title, amount, key in rows:
        slug, name, owner = clients[ci]
        r = new(Reminder)
        r.__dict__.update(client=slug, name=name, owner=owner, kind=kind, date=dt.date.fromordinal(o),
                          days=o - t, lead=leads[kind], title=title, amount=amount, key=key)
        out.append(r)
    return out


def needs_history(clients: Iterable[Client]) -> bool:
    """Whether the plan needs to know when git first saw each file: only for a client with
    neither a logged contact nor ``since`` (the ``touch`` rule's last resort)."""
    return any(c.stage != "lost" and not c.interactions and c.since is None for c in clients)


def group(reminders: Iterable[Reminder]) -> dict[str, list[Reminder]]:
    """Split reminders into Overdue, Today, This week (1..7 days) and Later, in that order."""
    groups: dict[str, list[Reminder]] = {name: [] for name in GROUPS}
    for r in reminders:
        groups[GROUPS[group_of(r.days)]].append(r)
    return groups


# --- the rules ---------------------------------------------------------------


def plan(
    clients: Iterable[Client], settings: Settings, first_seen: Mapping[str, dt.date] | None = None,
    *, memo: PlanMemo | None = None,
) -> dict:
    """Every reminder the clients could raise, whatever the day (see :mod:`crmgen.rules.dueplan`).

    The result is plain data (tuples of str, int, float and None), so it can be
    cached; :func:`crmgen.rules.dueplan.select` picks what shows on a given day.
    """
    metas: list[tuple[str, str, str | None]] = []
    fixed: list[tuple] = []
    yearly: list[tuple] = []
    relative: list[tuple] = []
    seen = first_seen or {}
    for ci, client in enumerate(clients):
        metas.append((client.slug, client.name, client.owner))
        if memo is None:
            _client_plan(client, ci, settings, seen, fixed, yearly, relative)
        else:
            memo.add(client, ci, settings, seen, fixed, yearly, relative)
    fixed.sort(key=sort_key(metas))
    return {"clients": metas, "fixed": fixed, "yearly": yearly, "relative": relative}


class PlanMemo:
    """Each client's share of :func:`plan`, kept between builds.

    A client's rows are a pure function of the client, the settings and the day its
    file was first committed: kept by the digest of what the client was parsed from
    (``crmgen.load.book.Book.digest``) and that day, for one code version and one set of
    settings (the caller keeps ``old`` only for those). Working the rules out for
    10,000 clients was half of ``due()`` in a build after one edit.
    """

    def __init__(self, digest: Callable[[Client], str | None], old: dict[Any, tuple] | None = None,
                 key: str = "") -> None:
        self.digest = digest
        self.old = old or {}
        self.new: dict[Any, tuple] = {}
        self.key = key  # the code and settings ``old`` was made with (kept beside it by the caller)

    def add(self, client: Client, ci: int, settings: Settings, first_seen: Mapping[str, dt.date],
            fixed: list[tuple], yearly: list[tuple], relative: list[tuple]) -> None:
        """What :func:`_client_plan` adds for ``client``, from the memo when it has it."""
        digest = self.digest(client)
        if digest is None:
            _client_plan(client, ci, settings, first_seen, fixed, yearly, relative)
            return
        key = (digest, first_seen.get(client.slug))
        rows = self.old.get(key)
        if rows is None:
            lists: tuple[list[tuple], list[tuple], list[tuple]] = ([], [], [])
            _client_plan(client, 0, settings, first_seen, *lists)
            rows = tuple(tuple(rs) for rs in lists)
        self.new[key] = rows
        # the rows hold the client's index (kept as 0) at these places: see _client_plan
        fixed.extend([(r[0], r[1], ci, *r[3:]) for r in rows[0]])
        yearly.extend([(*r[:6], ci, *r[7:]) for r in rows[1]])
        relative.extend([(r[0], r[1], ci, *r[3:]) for r in rows[2]])


def _client_plan(
    client: Client,
    ci: int,
    settings: Settings,
    first_seen: Mapping[str, dt.date],
    fixed: list[tuple],
    yearly: list[tuple],
    relative: list[tuple],
) -> None:
    """Add one client's possible reminders to the plan's lists."""

    def add(kind: str, date: dt.date, title: str, amount: float | None = None, key: str = "") -> None:
        fixed.append((date.toordinal(), kind, ci, title, amount, key))

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
            last, since = None, "no contact logged"
        title = f"Get in touch with {name}{_main_contact(client)} ({since}; every {_plural(cadence, 'day')})"
        if last is None:  # counted from today, whatever today is
            relative.append((cadence, "touch", ci, title, "", None))
        else:
            add("touch", last + days(cadence), title)

    # next: the next step written after the latest interaction that has one.
    step = _latest_next(client.interactions)
    if step is not None and step.next_date is not None:
        if not any(i.date >= step.next_date for i in client.interactions):
            what = _line(step.next_what or "") or "follow up"
            add(
                "next",
                step.next_date,
                f"Next step with {name}: {what} (from the {step.type} on {step.date})",
                key=f"{step.date}:{step.next_date}:{what}",
            )

    for contact in client.contacts:
        # birthday: current contacts only.
        b = contact.birthday
        if b is not None and contact.left is None:
            yearly.append(("birthday", b.month, b.day, 0, b.year, f"Birthday of {_line(contact.name)} at {name}",
                           ci, contact.name, None))
        # successor: someone left; meet whoever replaced them.
        left = contact.left
        if left is not None and not any(i.date > left for i in client.interactions):
            role = f" ({_line(contact.role)})" if contact.role else ""
            add(
                "successor",
                left + days(settings.successor_after),
                f"{_line(contact.name)}{role} left {name} on {left}: meet whoever replaced them",
                key=contact.name,
            )

    # anniversary: each `dates` entry, from its first occurrence on.
    for ann in client.dates:
        d = ann.date
        yearly.append(("anniversary", d.month, d.day, d.toordinal(), d.year, f"{_line(ann.what)} at {name}",
                       ci, ann.what, None))

    for p in client.promises:
        if not p.is_open:
            continue
        money = f" ({_money(p.amount, cur)})" if p.amount is not None else ""
        key = f"{p.by}:{_line(p.what)}"
        if p.by == "us":
            add("promise", p.due, f"Keep our promise to {name}: {_line(p.what)}{money}, due {p.due}", p.amount, key)
            continue
        add(
            "remind",
            p.due - days(_remind_days(p.amount, settings)),
            f"Remind {name} of their promise: {_line(p.what)}{money}, due {p.due}",
            p.amount,
            key,
        )
        add(
            "collect",
            p.due,
            f"Collect / confirm with {name}: {_line(p.what)}{money}, promised for {p.due}",
            p.amount,
            key,
        )

    for o in client.orders:
        pay_by = o.pay_by if o.pay_by is not None and o.paid < o.amount else None
        review_on = o.delivered + days(settings.review_after) if o.delivered and o.reviewed is None else None
        if pay_by is None and review_on is None:
            continue
        order = f"the order of {o.date}" + (f" ({_line(o.items)})" if o.items else "")
        okey = f"{o.date}:{o.items or ''}:{o.index}"
        if pay_by is not None:
            owed = o.amount - o.paid
            part = f", {_money(o.paid, cur)} of {_money(o.amount, cur)} paid" if o.paid > 0 else ""
            add(
                "payment",
                pay_by,
                f"Payment from {name}: {_money(owed, cur)} owed on {order}{part}, due {pay_by}",
                owed,
                okey,
            )
        if review_on is not None:
            add(
                "review",
                review_on,
                f"After-sale review visit at {name}: {order}, delivered {o.delivered}",
                key=okey,
            )

    for c in client.complaints:
        if c.closed is not None:
            continue
        n = COMPLAINT_STEPS.index(c.step) + 1 if c.step in COMPLAINT_STEPS else 0
        task = STEP_TASKS.get(c.step, c.step)
        add(
            "complaint",
            c.opened + days(settings.complaint_after),
            f"Complaint from {name}: {_line(c.what)} (opened {c.opened}; step {n} of 6, {c.step}: {task})",
            key=f"{c.opened}:{_line(c.what)}",
        )

    reb = client.rebate
    if reb is not None and reb.end is not None:
        near = _rebate_gap(client, settings)
        if near is not None:
            missing, tier = near
            total = tier.over - missing
            add(
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
        what = f" ({_line(latest.items)})" if latest.items else ""
        add(
            "dormant",
            latest.date + days(settings.dormant_after),
            f"{name} has not ordered since {latest.date}{what}: time to win them back",
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


_next_yearly = next_yearly  # kept for callers of the old private names


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
    return money(amount, currency)


def _percent(rate: float) -> str:
    return f"{rate * 100:g}%"


_plural = plural


def _line(text: str) -> str:
    """User text on one line: a YAML block scalar must not break a list row or a calendar summary."""
    return " ".join(text.split())
