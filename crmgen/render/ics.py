"""Reminders as an iCalendar (RFC 5545) feed: one all-day event per reminder.

A salesperson subscribes to the file (or imports it) in any calendar app. Each
event keeps the same UID from one run to the next, so a re-imported or
refreshed feed updates events instead of duplicating them. Escaping and line
folding (75 octets, never inside a UTF-8 character) are left to ``icalendar``.

The feed is a function of the book and the day it is made for ("today", which
every reminder carries as ``date - days``), never of the clock:

- DTSTAMP is that day, 00:00 UTC (with METHOD:PUBLISH, RFC 5545 makes it the time
  the feed was made). A feed made on a later day is newer by RFC 5546's ordering
  (same SEQUENCE, later DTSTAMP), so a revised event replaces the old one.
- An overdue reminder is an event on that day (it moves on with each day's feed),
  in the category ``overdue``, its description saying since when.
- The alarm goes off at the team's ``alarm_time`` (09:00), local time, ``lead``
  days before the event.
- The SUMMARY (the reminder's title) and the DESCRIPTION are in the active language
  (:mod:`crmgen.i18n`), part of every event's key. The CATEGORIES are not: they are the
  reminder's kind and ``overdue``, the words a calendar's filters and rules match on, as
  ``due --kind`` and its JSON name them (the DESCRIPTION shows the kind in words).

Each event is serialised with a placeholder DTSTAMP and the feed's day put in when
the feed is joined (:func:`stamped`), so an event's bytes can be kept from one day
to the next (:mod:`crmgen.accel.events`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import operator
from collections.abc import Iterable
from typing import Any

from crmgen import i18n
from crmgen.i18n import _, label
from crmgen.rules.reminders import Reminder

DEFAULT_ALARM_TIME = "09:00"
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
_DAYS = operator.attrgetter("days")

# ((the fields, how late (0: not late), the alarm time), the reminder's number among those sharing its UID)
EventKey = tuple[tuple[Any, ...], int]


def event_keys(reminders: list[Reminder], alarm_time: str = DEFAULT_ALARM_TIME) -> list[EventKey]:
    """The key of each reminder's event in a calendar of ``reminders``.

    Two identical promises in one file would share a UID; the rest are numbered in
    list order (which is deterministic) so none is silently merged. The number is
    part of the key, since it is part of the UID. An event that is not late does
    not depend on the day (its DTSTAMP is put in afterwards); a late one is on
    the day, so how late it is is part of its key.
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
    late = map(min, map(_DAYS, reminders), itertools.repeat(0))
    # the language of the description ("Overdue since ..."), whatever the title is
    made_of = zip(map(_FIELDS, reminders), late, itertools.repeat(alarm_time), itertools.repeat(i18n.active()))
    return list(zip(made_of, numbers, strict=False))  # numbers may be repeat(1)


def uid_of(r: Reminder, number: int) -> str:
    """The UID of a reminder's event, numbered when ``number`` > 1 (see :func:`event_keys`)."""
    uid = reminder_uid(r)
    return uid if number == 1 else uid.replace("@", f"-{number}@", 1)


def head_key(calendar_name: str) -> EventKey:
    """The key of a calendar's own lines, among those of its events (their numbers start at 1)."""
    return (("VCALENDAR", calendar_name), 0)


def serialise(todo: list[tuple[Reminder, int]], alarm_time: str = DEFAULT_ALARM_TIME) -> list[bytes]:
    """The bytes of the events of ``(reminder, number)`` pairs (with the placeholder DTSTAMP)."""
    return [event(r, uid_of(r, number), alarm_time=alarm_time).to_ical() for r, number in todo]


def to_ics(reminders: Iterable[Reminder], *, calendar_name: str = "crmgen",
           alarm_time: str = DEFAULT_ALARM_TIME) -> bytes:
    """The reminders as an RFC 5545 calendar (bytes, CRLF line ends).

    Exactly what serialising the whole calendar gives, made as its own lines, each
    event's and the end: so that a build can keep each event's bytes between builds
    (:mod:`crmgen.accel.events`) and give the same feed.
    """
    rs = list(reminders)
    events = serialise([(r, key[1]) for r, key in zip(rs, event_keys(rs, alarm_time), strict=True)], alarm_time)
    return stamped(b"".join([calendar_lines(calendar_name), *events, END]), rs)


END = b"END:VCALENDAR\r\n"
# What every event is serialised with; :func:`stamped` puts in the feed's day. A line that
# starts with "DTSTAMP:" is the property (text is escaped, a folded line starts with a space).
PLACEHOLDER_STAMP = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_PLACEHOLDER_LINE = b"\r\nDTSTAMP:19700101T000000Z\r\n"


def feed_day(reminders: list[Reminder]) -> dt.date | None:
    """The day a feed of ``reminders`` is made for (each reminder's ``date - days``; None: no reminder)."""
    if not reminders:
        return None
    r = reminders[0]
    return r.date - dt.timedelta(days=r.days)


def stamped(feed: bytes, reminders: list[Reminder]) -> bytes:
    """The feed with each event's DTSTAMP set to the day it is made for, 00:00 UTC."""
    day = feed_day(reminders)
    if day is None:
        return feed
    return feed.replace(_PLACEHOLDER_LINE, f"\r\nDTSTAMP:{day:%Y%m%d}T000000Z\r\n".encode())


def alarm_offset(alarm_time: str) -> dt.timedelta:
    """``"HH:MM"`` as the time after midnight (the settings have checked it)."""
    hours, minutes = alarm_time.split(":")
    return dt.timedelta(hours=int(hours), minutes=int(minutes))


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


def event(r: Reminder, uid: str, *, alarm_time: str = DEFAULT_ALARM_TIME) -> Any:
    """One all-day VEVENT for a reminder, with its lead as a display alarm at ``alarm_time``.

    A late reminder (``days`` < 0) is an event on the day the feed is made for: where
    a calendar user looks, not on a past day that no one scrolls back to.
    """
    import icalendar

    late = r.days < 0
    day = r.date - dt.timedelta(days=r.days) if late else r.date
    ev = icalendar.Event()
    ev.add("uid", uid)
    # Required, a UTC date-time: the placeholder, replaced by the feed's day (see stamped).
    ev.add("dtstamp", PLACEHOLDER_STAMP)
    ev.add("dtstart", day)
    ev.add("dtend", day + dt.timedelta(days=1))
    ev.add("summary", r.title)
    ev.add("description", _description(r))
    ev.add("categories", [r.kind, "overdue"] if late else [r.kind])
    ev.add("transp", "TRANSPARENT")  # a reminder does not make the day busy

    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", r.title)
    # An all-day event starts at local midnight: the alarm is lead days before, at alarm_time
    # (a late event's lead has passed: on its day, at alarm_time).
    alarm.add("trigger", alarm_offset(alarm_time) - dt.timedelta(days=0 if late else r.lead))
    ev.add_component(alarm)
    return ev


def _description(r: Reminder) -> str:
    # The title is the SUMMARY already; repeating it would only make the feed longer.
    lines = [_("Overdue since %(date)s") % {"date": r.date.isoformat()}] if r.days < 0 else []
    lines.append(_("Client: %(name)s (%(slug)s)") % {"name": r.name, "slug": r.client})
    if r.owner:
        lines.append(_("Owner: %(owner)s") % {"owner": r.owner})
    if r.amount is not None:
        lines.append(_("Amount: %(amount)s") % {"amount": f"{r.amount:,.2f}".rstrip("0").rstrip(".")})
    lines.append(_("Kind: %(kind)s") % {"kind": label("reminder", r.kind)})
    return "\n".join(lines)
