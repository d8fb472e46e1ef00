"""Reminders as an iCalendar (RFC 5545) feed: one all-day event per reminder.

A salesperson subscribes to the file (or imports it) in any calendar app. Each
event keeps the same UID from one run to the next, so a re-imported or
refreshed feed updates events instead of duplicating them. Escaping and line
folding (75 octets, never inside a UTF-8 character) are left to ``icalendar``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import operator
from collections.abc import Iterable
from typing import Any

from crmgen.rules.reminders import Reminder

PRODID = "-//crmgen//crmgen reminders//EN"


def reminder_uid(reminder: Reminder) -> str:
    """A UID that names the client, the kind and the thing referred to, not the date or wording.

    A touch reminder moves when a contact is logged, a payment's amount shrinks
    with each part paid; the UID stays, so calendar apps move or update the event.
    """
    ident = "\x1f".join((reminder.client, reminder.kind, reminder.key))
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32] + "@crmgen"


# What a reminder's event is made of: every field ``event`` reads (``days`` is not one).
# Read by attrgetter, in C: hashing 40,000 frozen dataclasses (a Python ``__hash__`` and
# ``__eq__`` per lookup) was most of the calendars' time in a build after one edit.
_FIELDS = operator.attrgetter("client", "kind", "key", "date", "title", "name", "owner", "amount", "lead")
_IDENT = operator.attrgetter("client", "kind", "key")  # what the UID is made of

EventKey = tuple[tuple[Any, ...], int]  # (the fields, the reminder's number among those sharing its UID)


def event_keys(reminders: list[Reminder]) -> list[EventKey]:
    """The key of each reminder's event in a calendar of ``reminders``.

    Two identical promises in one file would share a UID; the rest are numbered in
    list order (which is deterministic) so none is silently merged. The number is
    part of the key, since it is part of the UID.
    """
    idents = list(map(_IDENT, reminders))
    numbers: Iterable[int]
    if len(set(idents)) == len(idents):
        numbers = itertools.repeat(1)  # the usual case: no UID twice, no counting
    else:
        seen: dict[tuple[str, str, str], int] = {}
        numbers = []
        for ident in idents:
            seen[ident] = seen.get(ident, 0) + 1
            numbers.append(seen[ident])
    return list(zip(map(_FIELDS, reminders), numbers, strict=False))  # numbers may be repeat(1)


def uid_of(r: Reminder, number: int) -> str:
    """The UID of a reminder's event, numbered when ``number`` > 1 (see :func:`event_keys`)."""
    uid = reminder_uid(r)
    return uid if number == 1 else uid.replace("@", f"-{number}@", 1)


def head_key(calendar_name: str) -> EventKey:
    """The key of a calendar's own lines, among those of its events (their numbers start at 1)."""
    return (("VCALENDAR", calendar_name), 0)


def serialise(todo: list[tuple[Reminder, int]]) -> list[bytes]:
    """The bytes of the events of ``(reminder, number)`` pairs."""
    return [event(r, uid_of(r, number)).to_ical() for r, number in todo]


def to_ics(reminders: Iterable[Reminder], *, calendar_name: str = "crmgen") -> bytes:
    """The reminders as an RFC 5545 calendar (bytes, CRLF line ends).

    Exactly what serialising the whole calendar gives, made as its own lines, each
    event's and the end: so that a build can keep each event's bytes between builds
    (:mod:`crmgen.accel.events`) and give the same feed.
    """
    rs = list(reminders)
    events = serialise([(r, key[1]) for r, key in zip(rs, event_keys(rs), strict=True)])
    return b"".join([calendar_lines(calendar_name), *events, END])


END = b"END:VCALENDAR\r\n"


def calendar_lines(calendar_name: str) -> bytes:
    """The calendar's properties: what comes before its events."""
    import icalendar  # here: a build whose calendars are all known never needs it

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name)
    cal.add("name", calendar_name)
    return cal.to_ical()[: -len(END)]  # it ends with END: no events yet


def event(r: Reminder, uid: str) -> Any:
    """One all-day VEVENT for a reminder, with its lead as a display alarm."""
    import icalendar

    ev = icalendar.Event()
    ev.add("uid", uid)
    # DTSTAMP is required and must be a UTC date-time. The clock would make
    # every run differ; the reminder's own date is stable for the same input,
    # so the same files give a byte-identical feed (diffable, cacheable).
    ev.add("dtstamp", dt.datetime.combine(r.date, dt.time(0), tzinfo=dt.UTC))
    ev.add("dtstart", r.date)
    ev.add("dtend", r.date + dt.timedelta(days=1))
    ev.add("summary", r.title)
    ev.add("description", _description(r))
    ev.add("categories", [r.kind])
    ev.add("transp", "TRANSPARENT")  # a reminder does not make the day busy

    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", r.title)
    alarm.add("trigger", -dt.timedelta(days=r.lead))
    ev.add_component(alarm)
    return ev


def _description(r: Reminder) -> str:
    # The title is the SUMMARY already; repeating it would only make the feed longer.
    lines = [f"Client: {r.name} ({r.client})"]
    if r.owner:
        lines.append(f"Owner: {r.owner}")
    if r.amount is not None:
        lines.append(f"Amount: {r.amount:,.2f}".rstrip("0").rstrip("."))
    lines.append(f"Kind: {r.kind}")
    return "\n".join(lines)
