"""Reminders as an iCalendar (RFC 5545) feed: one all-day event per reminder.

A salesperson subscribes to the file (or imports it) in any calendar app. Each
event keeps the same UID from one run to the next, so a re-imported or
refreshed feed updates events instead of duplicating them. Escaping and line
folding (75 octets, never inside a UTF-8 character) are left to ``icalendar``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

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


def _keyed(reminders: Iterable[Reminder]) -> tuple[list[Reminder], list[EventKey]]:
    """The reminders and the key of each one's event in a calendar of ``reminders``.

    Two identical promises in one file would share a UID; the rest are numbered in
    list order (which is deterministic) so none is silently merged. The number is
    part of the key, since it is part of the UID.
    """
    global _KEYED
    rs = list(reminders)
    last, last_keys = _KEYED
    if len(rs) == len(last) and all(map(operator.is_, rs, last)):
        return rs, last_keys  # the very reminders (frozen) of the last call: prefill's are the team feed's
    idents = list(map(_IDENT, rs))
    numbers: Iterable[int]
    if len(set(idents)) == len(idents):
        numbers = itertools.repeat(1)  # the usual case: no UID twice, no counting
    else:
        seen: dict[tuple[str, str, str], int] = {}
        numbers = []
        for ident in idents:
            seen[ident] = seen.get(ident, 0) + 1
            numbers.append(seen[ident])
    _KEYED = (rs, list(zip(map(_FIELDS, rs), numbers, strict=False)))  # numbers may be repeat(1)
    return _KEYED


def _uid(r: Reminder, number: int) -> str:
    uid = reminder_uid(r)
    return uid if number == 1 else uid.replace("@", f"-{number}@", 1)


def to_ics(reminders: Iterable[Reminder], *, calendar_name: str = "crmgen") -> bytes:
    """The reminders as an RFC 5545 calendar (bytes, CRLF line ends)."""
    # icalendar spends ~0.5 ms per event; a site build writes the same events into
    # the team feed and each owner's feed, so each event is serialised once and
    # cached (the bytes are exactly what serialising the whole calendar gives).
    # The calendar's own lines are cached too: after an edit that serialises no
    # event, icalendar (a tenth of a second to import) is not needed.
    head_key = (("VCALENDAR", calendar_name), 0)  # no event's: their numbers start at 1
    head = _EVENTS.get(head_key) or _remember(head_key, _calendar_lines(calendar_name))
    rs, keys = _keyed(reminders)
    events = list(map(_EVENTS.get, keys))  # after one edit, all but a few are known
    if None in events:
        for i in [i for i, data in enumerate(events) if data is None]:
            events[i] = _remember(keys[i], event(rs[i], _uid(rs[i], keys[i][1])).to_ical())
    filled = cast("list[bytes]", events)  # every None was replaced above
    _USED[head_key] = head
    _USED.update(zip(keys, filled, strict=True))
    return b"".join([head, *filled, _END])


_END = b"END:VCALENDAR\r\n"


def _calendar_lines(calendar_name: str) -> bytes:
    """The calendar's properties: what comes before its events."""
    import icalendar  # here: a build whose calendars are all known never needs it

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name)
    cal.add("name", calendar_name)
    return cal.to_ical()[: -len(_END)]  # it ends with _END: no events yet


def _remember(key: EventKey, data: bytes) -> bytes:
    _EVENTS[key] = data
    _DISK.fresh.add(key)
    return data


# Serialised events by key (:func:`_keyed`). A site build keeps them across builds
# (:func:`load_events`, :func:`save_events`), so after one edit only the changed
# reminders are serialised.
_EVENTS: dict[EventKey, bytes] = {}
_USED: dict[EventKey, bytes] = {}  # the entries of _EVENTS the calendars took in this build
_KEYED: tuple[list[Reminder], list[EventKey]] = ([], [])  # the last _keyed() call's


@dataclass
class _Disk:
    """What the cache files held when loaded, and what was serialised since."""

    loaded: int = 0  # entries read (0: no cache file)
    journal: set[EventKey] = field(default_factory=set)  # keys read from the journal
    fresh: set[EventKey] = field(default_factory=set)  # keys serialised in this process


_DISK = _Disk()
JOURNAL_SUFFIX = ".new"  # beside the cache file: the events serialised since it was written


def load_events(path: Path | None) -> None:
    """Start a build's event cache from the files the last build kept at ``path`` (None: empty).

    The file holds every event the last full save used; its journal, the few
    serialised by the builds since (see :func:`save_events`).
    """
    from crmgen.accel.incremental import load_pickle

    forget_events()
    main = load_pickle(path) if path is not None else None
    if not isinstance(main, dict):
        return
    assert path is not None  # main is None without a path
    _EVENTS.update(main)
    journal = load_pickle(path.with_name(path.name + JOURNAL_SUFFIX))
    if isinstance(journal, dict):
        _EVENTS.update(journal)
        _DISK.journal = set(journal)
    _DISK.loaded = len(_EVENTS)


def save_events(path: Path) -> None:
    """Keep the events this build's calendars used for the next build.

    A build after one edit serialises a few events: only those are written, to
    the journal (the 35 MB file of 40,000 events at 10,000 clients stays as it
    is). The file is written whole again, and the journal dropped, once the
    journal or the events no longer used are more than a quarter of those used.
    """
    from crmgen.accel.incremental import save_pickle

    journal_path = path.with_name(path.name + JOURNAL_SUFFIX)
    if not _USED and _DISK.loaded:
        return  # no calendar changed: the files still hold every event
    fresh = [key for key in _DISK.fresh if key in _USED]
    journal = [key for key in _DISK.journal if key in _USED] + fresh
    unused = _DISK.loaded - (len(_USED) - len(fresh))  # on disk, not used by this build
    if _DISK.loaded and max(len(journal), unused) <= len(_USED) // 4:
        save_pickle(journal_path, {key: _USED[key] for key in journal})
        return
    save_pickle(path, _USED)
    with contextlib.suppress(FileNotFoundError):
        journal_path.unlink()


PREFILL_MIN = 1500  # uncached events worth a second process (icalendar: ~0.6 ms each)
# ... and at most this many: the second process holds the events, their bytes and a share
# of the parent's pages while the parent renders the pages (10,000 clients, 40,000 events:
# the build's memory peak went over 1 GiB).
PREFILL_MAX = 20_000


def _serialise(todo: list[tuple[Reminder, int]]) -> list[bytes]:
    return [event(r, _uid(r, number)).to_ical() for r, number in todo]


def prefill(reminders: Iterable[Reminder]) -> Callable[[], None]:
    """Start serialising the events not cached yet in a forked process; call the result to collect them.

    A first build serialises every event (4,000 at 1,000 clients: seconds); meanwhile the
    build renders its pages. Only where forking is safe (no other thread); when it is
    not, or anything fails, the events are serialised on demand as usual.
    """
    from crmgen.accel.forking import can_fork, frozen

    rs, keys = _keyed(reminders)  # the team calendar's events
    cached = list(map(_EVENTS.get, keys))
    if not PREFILL_MIN <= cached.count(None) <= PREFILL_MAX or not can_fork():
        return lambda: None  # after one edit: a few, and no loop over 40,000 in Python
    todo = [i for i, data in enumerate(cached) if data is None]
    import concurrent.futures
    import multiprocessing

    try:
        with frozen():
            pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            # forks here (the fork context starts its workers at once)
            future = pool.submit(_serialise, [(rs[i], keys[i][1]) for i in todo])
    except (OSError, ValueError):
        return lambda: None

    def collect() -> None:
        try:
            for i, data in zip(todo, future.result(), strict=True):
                if _EVENTS.setdefault(keys[i], data) is data:
                    _DISK.fresh.add(keys[i])
        except Exception:  # noqa: BLE001 - a cache: what is missing is serialised on demand
            pass
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return collect


def forget_events() -> None:
    """Drop the serialised events from memory (a build saved what the next one needs)."""
    global _KEYED, _DISK
    _EVENTS.clear()
    _USED.clear()
    _KEYED = ([], [])
    _DISK = _Disk()


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
