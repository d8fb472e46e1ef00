"""Reminders as an iCalendar (RFC 5545) feed: one all-day event per reminder.

A salesperson subscribes to the file (or imports it) in any calendar app. Each
event keeps the same UID from one run to the next, so a re-imported or
refreshed feed updates events instead of duplicating them. Escaping and line
folding (75 octets, never inside a UTF-8 character) are left to ``icalendar``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .reminders import Reminder

PRODID = "-//crmgen//crmgen reminders//EN"


def reminder_uid(reminder: Reminder) -> str:
    """A UID that names the client, the kind and the thing referred to, not the date or wording.

    A touch reminder moves when a contact is logged, a payment's amount shrinks
    with each part paid; the UID stays, so calendar apps move or update the event.
    """
    ident = "\x1f".join((reminder.client, reminder.kind, reminder.key))
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32] + "@crmgen"


def _numbered(reminders: Iterable[Reminder]) -> Iterator[tuple[Reminder, str]]:
    """Each reminder with the UID it has in a calendar of ``reminders``.

    Two identical promises in one file would share a UID; the rest are numbered in
    list order (which is deterministic) so none is silently merged.
    """
    used: dict[str, int] = {}
    for r in reminders:
        uid = reminder_uid(r)
        used[uid] = used.get(uid, 0) + 1
        yield r, (uid if used[uid] == 1 else uid.replace("@", f"-{used[uid]}@", 1))


def to_ics(reminders: Iterable[Reminder], *, calendar_name: str = "crmgen") -> bytes:
    """The reminders as an RFC 5545 calendar (bytes, CRLF line ends)."""
    import icalendar  # here: a build whose calendars are all unchanged never needs it

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name)
    cal.add("name", calendar_name)
    # icalendar spends ~0.5 ms per event; a site build writes the same events into
    # the team feed and each owner's feed, so each event is serialised once and
    # cached (the bytes are exactly what serialising the whole calendar gives).
    head, end = cal.to_ical(), b"END:VCALENDAR\r\n"
    parts = [head[: -len(end)]]
    for r, uid in _numbered(reminders):
        parts.append(_event_bytes(r, uid))
    parts.append(end)
    return b"".join(parts)


# Serialised events by (reminder, uid). A site build keeps this across builds
# (:func:`events_cache`), so after one edit only the changed reminders are serialised.
_EVENTS: dict[tuple[Reminder, str], bytes] = {}
_USED: set[tuple[Reminder, str]] = set()


def _event_bytes(r: Reminder, uid: str) -> bytes:
    key = (r, uid)
    _USED.add(key)
    data = _EVENTS.get(key)
    if data is None:
        data = _EVENTS[key] = event(r, uid).to_ical()
    return data


def events_cache(previous: dict[tuple[Reminder, str], bytes] | None = None) -> dict[tuple[Reminder, str], bytes]:
    """Seed the event cache with ``previous`` and return the entries used since the last call.

    Called before and after a build: what the build used is what the next one may reuse.
    """
    used = {key: _EVENTS[key] for key in _USED if key in _EVENTS}
    _USED.clear()
    if previous:
        _EVENTS.update(previous)
    if len(_EVENTS) > 200_000:  # a long `crmgen serve` session: keep what is current
        _EVENTS.clear()
        _EVENTS.update(used)
    return used


PREFILL_MIN = 1500  # uncached events worth a second process (icalendar: ~0.6 ms each)
# ... and at most this many: the second process holds the events, their bytes and a share
# of the parent's pages while the parent renders the pages (10,000 clients, 40,000 events:
# the build's memory peak went over 1 GiB).
PREFILL_MAX = 20_000


def _serialise(todo: list[tuple[Reminder, str]]) -> list[bytes]:
    return [event(r, uid).to_ical() for r, uid in todo]


def prefill(reminders: Iterable[Reminder]) -> Callable[[], None]:
    """Start serialising the events not cached yet in a forked process; call the result to collect them.

    A first build serialises every event (4,000 at 1,000 clients: seconds); meanwhile the
    build renders its pages. Only where forking is safe (no other thread); when it is
    not, or anything fails, the events are serialised on demand as usual.
    """
    from .forking import can_fork, frozen

    todo = [key for key in _numbered(reminders) if key not in _EVENTS]  # the team calendar's UIDs
    if not PREFILL_MIN <= len(todo) <= PREFILL_MAX or not can_fork():
        return lambda: None
    import concurrent.futures
    import multiprocessing

    try:
        with frozen():
            pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            future = pool.submit(_serialise, todo)  # forks here (the fork context starts its workers at once)
    except (OSError, ValueError):
        return lambda: None

    def collect() -> None:
        try:
            for key, data in zip(todo, future.result(), strict=True):
                _EVENTS.setdefault(key, data)
        except Exception:  # noqa: BLE001 - a cache: what is missing is serialised on demand
            pass
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return collect


def forget_events() -> None:
    """Drop the serialised events from memory (a build saved what the next one needs)."""
    _EVENTS.clear()
    _USED.clear()


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
