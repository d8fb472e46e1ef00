"""The calendar event cache: each event's bytes kept from one build to the next.

icalendar spends ~0.5 ms per event; a site build writes the same events into the
team feed and each owner's feed, and after one edit all but a few events are the
ones the last build made. So a build's :class:`EventCache` serialises each event
once and keeps its bytes in the project's cache directory; the feeds it gives are
byte for byte what :func:`crmgen.render.ics.to_ics` gives (tests hold it). The
calendar's own lines are kept too: after an edit that serialises no event,
icalendar (a tenth of a second to import) is not needed.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from crmgen.accel.incremental import load_pickle, save_pickle
from crmgen.render import ics
from crmgen.render.ics import EventKey
from crmgen.rules.reminders import Reminder

JOURNAL_SUFFIX = ".new"  # beside the cache file: the events serialised since it was written
PREFILL_MIN = 1500  # uncached events worth a second process (icalendar: ~0.6 ms each)
# ... and at most this many: the second process holds the events, their bytes and a share
# of the parent's pages while the parent renders the pages (10,000 clients, 40,000 events:
# the build's memory peak went over 1 GiB).
PREFILL_MAX = 20_000


@dataclass
class EventCache:
    """One build's events: those the last build kept, and those serialised since."""

    events: dict[EventKey, bytes] = field(default_factory=dict)
    used: dict[EventKey, bytes] = field(default_factory=dict)  # the entries this build's calendars took
    loaded: int = 0  # entries read (0: no cache file)
    journal: set[EventKey] = field(default_factory=set)  # keys read from the journal
    fresh: set[EventKey] = field(default_factory=set)  # keys serialised in this process
    alarm_time: str = ics.DEFAULT_ALARM_TIME  # the team's (Settings.alarm_time); part of every key
    # The last keyed reminders (frozen): prefill's are the team feed's, keyed once.
    _keyed: tuple[list[Reminder], list[EventKey]] = field(default_factory=lambda: ([], []), repr=False)

    @classmethod
    def load(cls, path: Path | None, *, alarm_time: str = ics.DEFAULT_ALARM_TIME) -> EventCache:
        """The events the last build kept at ``path`` (None: none), for calendars with alarms at
        ``alarm_time``.

        The file holds every event the last full save used; its journal, the few
        serialised by the builds since (see :meth:`save`). Kept events carry the
        placeholder DTSTAMP (:func:`crmgen.render.ics.stamped`): they serve any day.
        """
        cache = cls(alarm_time=alarm_time)
        main = load_pickle(path) if path is not None else None
        if not isinstance(main, dict):
            return cache
        assert path is not None  # main is None without a path
        cache.events.update(main)
        journal = load_pickle(path.with_name(path.name + JOURNAL_SUFFIX))
        if isinstance(journal, dict):
            cache.events.update(journal)
            cache.journal = set(journal)
        cache.loaded = len(cache.events)
        return cache

    def save(self, path: Path) -> None:
        """Keep the events this build's calendars used for the next build.

        A build after one edit serialises a few events: only those are written, to
        the journal (the 35 MB file of 40,000 events at 10,000 clients stays as it
        is). The file is written whole again, and the journal dropped, once the
        journal or the events no longer used are more than a quarter of those used.
        """
        journal_path = path.with_name(path.name + JOURNAL_SUFFIX)
        if not self.used and self.loaded:
            return  # no calendar changed: the files still hold every event
        fresh = [key for key in self.fresh if key in self.used]
        journal = [key for key in self.journal if key in self.used] + fresh
        unused = self.loaded - (len(self.used) - len(fresh))  # on disk, not used by this build
        if self.loaded and max(len(journal), unused) <= len(self.used) // 4:
            save_pickle(journal_path, {key: self.used[key] for key in journal})
            return
        save_pickle(path, self.used)
        with contextlib.suppress(FileNotFoundError):
            journal_path.unlink()

    def keyed(self, reminders: Iterable[Reminder]) -> tuple[list[Reminder], list[EventKey]]:
        """The reminders and their events' keys (:func:`crmgen.render.ics.event_keys`)."""
        rs = list(reminders)
        last, last_keys = self._keyed
        if len(rs) == len(last) and all(map(operator.is_, rs, last)):
            return rs, last_keys
        self._keyed = (rs, ics.event_keys(rs, self.alarm_time))
        return self._keyed

    def to_ics(self, reminders: Iterable[Reminder], *, calendar_name: str = "crmgen") -> bytes:
        """:func:`crmgen.render.ics.to_ics`, from the kept events where there are some."""
        head_key = ics.head_key(calendar_name)
        head = self.events.get(head_key) or self._remember(head_key, ics.calendar_lines(calendar_name))
        rs, keys = self.keyed(reminders)
        events = list(map(self.events.get, keys))  # after one edit, all but a few are known
        if None in events:
            todo = [i for i, data in enumerate(events) if data is None]
            made = ics.serialise([(rs[i], keys[i][1]) for i in todo], self.alarm_time)
            for i, data in zip(todo, made, strict=True):
                events[i] = self._remember(keys[i], data)
        filled = cast("list[bytes]", events)  # every None was replaced above
        self.used[head_key] = head
        self.used.update(zip(keys, filled, strict=True))
        return ics.stamped(b"".join([head, *filled, ics.END]), rs)

    def _remember(self, key: EventKey, data: bytes) -> bytes:
        self.events[key] = data
        self.fresh.add(key)
        return data

    def prefill(self, reminders: Iterable[Reminder]) -> Callable[[], None]:
        """Start serialising the events not cached yet in a forked process; call the result to collect them.

        A first build serialises every event (4,000 at 1,000 clients: seconds); meanwhile the
        build renders its pages. Only where forking is safe (no other thread); when it is
        not, or anything fails, the events are serialised on demand as usual.
        """
        from crmgen.accel.forking import can_fork, frozen

        rs, keys = self.keyed(reminders)  # the team calendar's events
        cached = list(map(self.events.get, keys))
        if not PREFILL_MIN <= cached.count(None) <= PREFILL_MAX or not can_fork():
            return lambda: None  # after one edit: a few, and no loop over 40,000 in Python
        todo = [i for i, data in enumerate(cached) if data is None]
        import concurrent.futures
        import multiprocessing

        try:
            with frozen():
                pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
                # forks here (the fork context starts its workers at once)
                future = pool.submit(ics.serialise, [(rs[i], keys[i][1]) for i in todo], self.alarm_time)
        except (OSError, ValueError):
            return lambda: None

        def collect() -> None:
            try:
                for i, data in zip(todo, future.result(), strict=True):
                    if self.events.setdefault(keys[i], data) is data:
                        self.fresh.add(keys[i])
            except Exception as exc:  # noqa: BLE001 - a cache: what is missing is serialised on demand
                import logging

                logging.getLogger(__name__).debug("calendar prefill failed: %r", exc)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

        return collect
