"""Follow-ups the salesperson owes, computed from the client files.

The rules, one function per kind, are in :mod:`crmgen.rules.kinds`; their titles in
:mod:`crmgen.rules.wording`. Here they become the plan (plain rows, kept between runs)
and the :class:`Reminder` objects shown on a day. Every rule is a pure function of
(client, settings, the day git first saw its file): no I/O, no clock.
The same input always gives the same list, in the same order.

A reminder is listed when ``date <= today + max(lead, within)``. Once its date
has passed it stays listed (overdue, ``days < 0``) until the files show it was
resolved: a promise kept, an order paid, an interaction logged... The kinds in
:data:`ENDING_KINDS` instead simply end when their date has passed: a birthday
moves on to next year. ``remind`` (a few days before a client's due date) stays,
late, until the day before it is due, when ``collect`` takes over; ``rebate`` until
its period ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crmgen.format.model import Client
from crmgen.load.project import Settings
from crmgen.rules.dueplan import ENDING_KINDS, KINDS, lead_days, select, sort_key
from crmgen.rules.kinds import RULES, Dated, Until, Yearly
from crmgen.rules.wording import GROUPS, STEP_TASKS, group_of

__all__ = ["ENDING_KINDS", "GROUPS", "KINDS", "STEP_TASKS", "Reminder", "due", "group", "lead_days", "plan"]


@dataclass(frozen=True)
class Reminder:
    """One follow-up: what to do (``title``, in the language of the run), for whom, and when (``date``)."""

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
    """Split reminders into Overdue, Today, This week (1..7 days) and Later, in that order.

    The keys are the English names of :data:`GROUPS` (what code and templates index by); a
    reader sees ``_(name)`` in a template, :func:`crmgen.rules.wording.group_name` in Python."""
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
    spans: list[tuple] = []
    seen = first_seen or {}
    for ci, client in enumerate(clients):
        metas.append((client.slug, client.name, client.owner))
        if memo is None:
            _client_plan(client, ci, settings, seen, fixed, yearly, relative, spans)
        else:
            memo.add(client, ci, settings, seen, fixed, yearly, relative, spans)
    fixed.sort(key=sort_key(metas))
    return {"clients": metas, "fixed": fixed, "yearly": yearly, "relative": relative, "spans": spans}


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
            fixed: list[tuple], yearly: list[tuple], relative: list[tuple], spans: list[tuple]) -> None:
        """What :func:`_client_plan` adds for ``client``, from the memo when it has it."""
        digest = self.digest(client)
        if digest is None:
            _client_plan(client, ci, settings, first_seen, fixed, yearly, relative, spans)
            return
        key = (digest, first_seen.get(client.slug))
        rows = self.old.get(key)
        if rows is None:
            lists: tuple[list[tuple], list[tuple], list[tuple], list[tuple]] = ([], [], [], [])
            _client_plan(client, 0, settings, first_seen, *lists)
            rows = tuple(tuple(rs) for rs in lists)
        self.new[key] = rows
        # the rows hold the client's index (kept as 0) at these places: see _client_plan
        fixed.extend([(r[0], r[1], ci, *r[3:]) for r in rows[0]])
        yearly.extend([(*r[:6], ci, *r[7:]) for r in rows[1]])
        relative.extend([(r[0], r[1], ci, *r[3:]) for r in rows[2]])
        spans.extend([(*r[:3], ci, *r[4:]) for r in rows[3]])


def _client_plan(
    client: Client,
    ci: int,
    settings: Settings,
    first_seen: Mapping[str, dt.date],
    fixed: list[tuple],
    yearly: list[tuple],
    relative: list[tuple],
    spans: list[tuple],
) -> None:
    """Add one client's possible reminders (every rule of :data:`crmgen.rules.kinds.RULES`) to
    the plan's lists, as the plain rows :mod:`crmgen.rules.dueplan` reads."""
    for rule in RULES.values():
        for r in rule(client, settings, first_seen):
            if isinstance(r, Dated):
                fixed.append((r.date.toordinal(), r.kind, ci, r.title, r.amount, r.key))
            elif isinstance(r, Until):
                spans.append((r.date.toordinal(), r.until.toordinal(), r.kind, ci, r.title, r.amount, r.key))
            elif isinstance(r, Yearly):
                first = r.first.toordinal() if r.first is not None else 0
                yearly.append((r.kind, r.month, r.day, first, r.base_year, r.head, ci, r.key, None, r.words))
            else:
                relative.append((r.days, r.kind, ci, r.title, r.key, None))
