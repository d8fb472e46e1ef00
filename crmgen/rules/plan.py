"""The week's plan (#17, seed 004: 利用客户资料卡订立访问计划): pure rules, no I/O, no clock.

Everything due in a week (Monday to Sunday), grouped by the clients' ``region`` and by day,
each client once with a brief to read before the visit: the last orders, what is owed,
the open promises both ways, open complaints, the rebate position, birthdays coming, open
opportunities, and the last interaction with its next step. Reminders already late when
the plan starts are put on its first day. And the plan against what was done: per owner,
the clients due a contact that week and those contacted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crmgen.format.model import Client, Interaction
from crmgen.rules import opportunities, rebates, receivables
from crmgen.rules.complaints import due as complaint_due
from crmgen.rules.complaints import number as step_number
from crmgen.rules.dueplan import next_birthday

DAY = dt.timedelta(days=1)
# The reminders that ask for a contact: what "plan against done" counts as planned.
CONTACT_KINDS = frozenset({"touch", "next", "review", "successor", "dormant", "complaint"})
# The interactions that are a contact with the client (a note is not).
CONTACT_TYPES = frozenset({"visit", "call", "meeting", "message", "email", "gift"})
NO_REGION = None
LAST_ORDERS = 3


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """(Monday, Sunday) of the week holding ``day``."""
    monday = day - day.weekday() * DAY
    return monday, monday + 6 * DAY


def plan_start(monday: dt.date, today: dt.date) -> dt.date:
    """The first day the plan still has: today inside the week, else the Monday."""
    return today if monday <= today <= monday + 6 * DAY else monday


@dataclass
class Brief:
    """What to read about a client before the visit."""

    orders: list[Any]  # the last orders, newest first
    owed: float
    owed_late: float  # of which past its due day
    ours: list[Any]  # our open promises
    theirs: list[Any]  # the client's open promises
    complaints: list[tuple[Any, int, dt.date | None]]  # (complaint, its step's number, when that step is due)
    rebates: list[tuple[Any, Any]]  # (programme, standing) of the programmes running on the day
    birthdays: list[tuple[str, dt.date]]  # (contact, day) within the week
    opportunities: list[tuple[Any, str]]  # (open opportunity, its stage)
    last: Interaction | None
    next_step: Interaction | None  # the latest interaction with a next step


def brief(client: Client, settings: Any, start: dt.date, end: dt.date) -> Brief:
    """The client as a salesperson needs it before a visit between ``start`` and ``end``."""
    orders = sorted(client.orders, key=lambda o: (o.date, o.index), reverse=True)[:LAST_ORDERS]
    owed = [r for r in receivables.receivables(client, settings, start)]
    late = round(sum(r.owed for r in owed if r.days_late is not None and r.days_late > 0), 2)
    open_promises = [p for p in client.promises if p.is_open]
    running = [(p, rebates.standing(client, p, start)) for p in client.programmes
               if p.start is not None and p.end is not None and p.start <= start <= p.end]
    birthdays = []
    for c in client.current_contacts:
        if c.birthday is not None:
            day = next_birthday(c.birthday, start)  # Gregorian or lunar
            if day <= end:
                birthdays.append((c.name, day))
    interactions = sorted(client.interactions, key=lambda i: (i.date, i.line))
    with_next = [i for i in interactions if i.next_date is not None or i.next_what]
    return Brief(
        orders=orders, owed=round(sum(r.owed for r in owed), 2), owed_late=late,
        ours=[p for p in open_promises if p.by == "us"], theirs=[p for p in open_promises if p.by == "client"],
        complaints=[(c, step_number(c.step), complaint_due(c, settings)) for c in client.complaints
                    if c.closed is None],
        rebates=running, birthdays=sorted(birthdays, key=lambda b: b[1]),
        opportunities=[(o, opportunities.stage(o, settings)) for o in client.opportunities
                       if opportunities.is_open(o, settings)],
        last=interactions[-1] if interactions else None,
        next_step=with_next[-1] if with_next else None,
    )


@dataclass
class Visit:
    """A client on a day of the plan: its reminders, and its brief."""

    client: Client
    reminders: list[Any]
    brief: Brief


@dataclass
class Region:
    name: str | None
    days: list[tuple[dt.date, list[Visit]]]


@dataclass
class Done:
    """The plan against what was done, for one owner: clients due a contact and clients contacted."""

    owner: str | None
    planned: list[str]  # slugs due a contact in the week
    contacted: list[str]  # slugs with a contact logged in the week
    planned_and_contacted: list[str]


@dataclass
class WeekPlan:
    monday: dt.date
    sunday: dt.date
    start: dt.date
    owner: str | None
    regions: list[Region]
    done: list[Done] = field(default_factory=list)

    @property
    def visits(self) -> int:
        return sum(len(v) for r in self.regions for _d, v in r.days)

    @property
    def reminders(self) -> int:
        return sum(len(x.reminders) for r in self.regions for _d, v in r.days for x in v)


def week_plan(clients: Sequence[Client], reminders: Iterable[Any], settings: Any, *, monday: dt.date,
              today: dt.date, owner: str | None = None,
              first_seen: Mapping[str, dt.date] | None = None, done: list[Done] | None = None) -> WeekPlan:
    """The plan of the week from ``monday``: ``reminders`` as :func:`crmgen.rules.reminders.due` gives them
    on :func:`plan_start` (those after Sunday are left out; those before the start go on the start)."""
    sunday = monday + 6 * DAY
    start = plan_start(monday, today)
    by_slug = {c.slug: c for c in clients}
    # a client is visited once, on the day of its earliest reminder
    first: dict[str, dt.date] = {}
    mine: dict[str, list[Any]] = defaultdict(list)
    for r in reminders:
        if r.date > sunday or r.client not in by_slug:
            continue
        mine[r.client].append(r)
        day = max(r.date, start)
        first[r.client] = min(first.get(r.client, day), day)
    regions: dict[str | None, dict[dt.date, list[Visit]]] = defaultdict(lambda: defaultdict(list))
    for slug, day in first.items():
        c = by_slug[slug]
        regions[c.region][day].append(Visit(c, sorted(mine[slug], key=lambda r: (r.date, r.kind, r.title)),
                                            brief(c, settings, start, sunday)))
    out = []
    for name in sorted(regions, key=lambda n: (n is None, _pinyin(n or ""))):
        days = sorted(regions[name].items())
        out.append(Region(name, [(d, sorted(v, key=lambda x: (_pinyin(x.client.name), x.client.slug)))
                                 for d, v in days]))
    if done is None:  # (worked out once for a whole book by a caller with several plans to make)
        done = plan_against_done(clients, settings, monday, first_seen)
    return WeekPlan(monday, sunday, start, owner, out, done=done)


def _pinyin(name: str) -> str:
    """The lists' order: Chinese names by their pinyin, among the Latin ones."""
    from crmgen.slugs import slugify

    return slugify(name) if name else ""


def contacted(client: Client, monday: dt.date, sunday: dt.date) -> bool:
    return any(monday <= i.date <= sunday and i.type in CONTACT_TYPES for i in client.interactions)


def as_of(client: Client, day: dt.date) -> Client:
    """The client as its file stood before ``day``, as far as contacts go: the interactions logged from
    that day on left out (the reminders they answered come back)."""
    if all(i.date < day for i in client.interactions):
        return client
    return dataclasses.replace(client, interactions=tuple(i for i in client.interactions if i.date < day))


def plan_against_done(clients: Sequence[Client], settings: Any, monday: dt.date,
                      first_seen: Mapping[str, dt.date] | None = None) -> list[Done]:
    """Per owner: the clients due a contact in the week, as the plan stood on its Monday (a reminder of
    :data:`CONTACT_KINDS` dated in it or before, with the contacts logged since left out: a contact
    answers the reminder it was due for), and the clients with a contact logged in it."""
    from crmgen.rules.reminders import due

    sunday = monday + 6 * DAY
    planned: dict[str | None, set[str]] = defaultdict(set)
    for r in due([as_of(c, monday) for c in clients], monday, settings, within=6, first_seen=first_seen):
        if r.kind in CONTACT_KINDS and r.date <= sunday:
            planned[r.owner].add(r.client)
    done: dict[str | None, set[str]] = defaultdict(set)
    for c in clients:
        if contacted(c, monday, sunday):
            done[c.owner].add(c.slug)
    owners = sorted(set(planned) | set(done), key=lambda o: (o is None, o or ""))
    return [Done(o, sorted(planned[o]), sorted(done[o]), sorted(planned[o] & done[o])) for o in owners]


def as_mapping(plan: WeekPlan) -> dict[str, Any]:
    """The plan as plain data (``crmgen plan --format json``): dates in ISO 8601, amounts as numbers."""
    def iso(d: dt.date | None) -> str | None:
        return d.isoformat() if d is not None else None

    def brief_of(b: Brief) -> dict[str, Any]:
        return {
            "orders": [{"date": iso(o.date), "amount": o.amount, "items": o.items, "owed": o.owed} for o in b.orders],
            "owed": b.owed, "owed_late": b.owed_late,
            "our_promises": [{"what": p.what, "due": iso(p.due), "amount": p.amount} for p in b.ours],
            "client_promises": [{"what": p.what, "due": iso(p.due), "amount": p.amount} for p in b.theirs],
            "complaints": [{"what": c.what, "opened": iso(c.opened), "step": c.step, "step_number": n,
                            "step_due": iso(d)} for c, n, d in b.complaints],
            "rebates": [{"name": p.name, "from": iso(p.start), "to": iso(p.end), "counted": s.total,
                         "next_tier": s.next.over if s.next else None, "missing": s.missing}
                        for p, s in b.rebates],
            "birthdays": [{"contact": n, "date": iso(d)} for n, d in b.birthdays],
            "opportunities": [{"what": o.what, "stage": s, "amount": o.amount, "expected": iso(o.expected)}
                              for o, s in b.opportunities],
            "last_interaction": None if b.last is None else {
                "date": iso(b.last.date), "type": b.last.type, "summary": b.last.summary},
            "next_step": None if b.next_step is None else {
                "date": iso(b.next_step.next_date), "what": b.next_step.next_what, "from": iso(b.next_step.date)},
        }

    return {
        "week": {"from": iso(plan.monday), "to": iso(plan.sunday), "start": iso(plan.start)},
        "owner": plan.owner,
        "regions": [{
            "region": r.name,
            "days": [{"date": iso(d), "clients": [{
                "client": v.client.slug, "name": v.client.name, "owner": v.client.owner, "phone": v.client.phone,
                "address": v.client.address, "reminders": [x.to_json() for x in v.reminders],
                "brief": brief_of(v.brief)} for v in visits]} for d, visits in r.days],
        } for r in plan.regions],
        "done": [{"owner": d.owner, "planned": d.planned, "contacted": d.contacted,
                  "planned_and_contacted": d.planned_and_contacted} for d in plan.done],
    }

