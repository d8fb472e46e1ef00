"""The calendar feed: valid RFC 5545, read back by an independent parser (vobject)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import vobject

from crmgen.render.ics import reminder_uid, to_ics
from crmgen.rules.reminders import Reminder

LONG = "收款：华东润滑油有限公司，第二季度货款（含运费、包装费；逗号, 分号; 反斜杠\\ 与换行）" * 2


def reminder(**kw) -> Reminder:
    base = dict(
        client="huadong-runhuayou",
        name="华东润滑油",
        owner="李明",
        kind="collect",
        date=dt.date(2026, 12, 10),
        days=9,
        lead=0,
        title=LONG,
        amount=50_000.0,
        key="client:pay the Q2 invoice",
    )
    base.update(kw)
    return Reminder(**base)


def parse(data: bytes):
    return vobject.readOne(data.decode("utf-8"))


def test_parsed_back_by_vobject():
    rs = [
        reminder(),
        reminder(
            client="acme",
            name="Acme",
            owner=None,
            kind="birthday",
            lead=7,
            title="Birthday of Bob",
            amount=None,
            key="Bob",
            date=dt.date(2027, 2, 28),
            days=89,
        ),
    ]
    cal = parse(to_ics(rs, calendar_name="李明的提醒"))
    assert cal.prodid.value == "-//crmgen//crmgen reminders//EN"
    assert cal.version.value == "2.0"
    assert cal.contents["x-wr-calname"][0].value == "李明的提醒"
    events = cal.vevent_list
    assert len(events) == 2
    first, second = events
    assert first.summary.value == LONG  # escaping of , ; \ and newline undone exactly
    assert first.dtstart.value == dt.date(2026, 12, 10)
    assert first.dtend.value == dt.date(2026, 12, 11)
    assert first.dtstamp.value == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)  # the feed's day: date - days
    assert first.description.value == (
        "Client: 华东润滑油 (huadong-runhuayou)\nOwner: 李明\nAmount: 50,000\nKind: collect"
    )
    assert first.uid.value == reminder_uid(rs[0])
    assert first.valarm.action.value == "DISPLAY"
    assert first.valarm.trigger.value == dt.timedelta(hours=9)  # lead 0: on the day, at 09:00
    assert second.valarm.trigger.value == dt.timedelta(days=-7, hours=9)
    assert second.dtend.value == dt.date(2027, 3, 1)
    assert second.description.value == "Client: Acme (acme)\nKind: birthday"
    assert first.valarm.description.value == LONG


def test_raw_bytes_crlf_and_folding():
    data = to_ics([reminder(), reminder(kind="remind", title=LONG * 3)])
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines)  # every line ends in CRLF, no bare LF
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # long lines were folded...
    for line in lines:
        line.decode("utf-8")  # ...and never inside a UTF-8 character
    assert b"DTSTART;VALUE=DATE:20261210\r\n" in data
    assert b"DTEND;VALUE=DATE:20261211\r\n" in data
    assert data.count(b"TRIGGER:PT9H\r\n") == 2
    assert data.count(b"\r\nDTSTAMP:20261201T000000Z\r\n") == 2


def test_uid_stable_across_runs_and_independent_of_date_days_and_title():
    r = reminder()
    moved = dataclasses.replace(r, date=dt.date(2026, 12, 20), days=19, title="other words", amount=10.0)
    assert reminder_uid(moved) == reminder_uid(r)
    assert reminder_uid(dataclasses.replace(r, kind="remind")) != reminder_uid(r)
    assert reminder_uid(dataclasses.replace(r, client="other")) != reminder_uid(r)
    assert reminder_uid(dataclasses.replace(r, key="client:another promise")) != reminder_uid(r)


def test_byte_identical_for_the_same_input():
    rs = [reminder(), reminder(kind="promise", lead=3, key="us:x")]
    assert to_ics(rs) == to_ics(list(rs))


def test_duplicate_uids_are_numbered():
    cal = parse(to_ics([reminder(), reminder(date=dt.date(2026, 12, 11))]))
    uids = [e.uid.value for e in cal.vevent_list]
    assert len(set(uids)) == 2
    assert uids[1] == uids[0].replace("@", "-2@")


def test_empty_calendar_is_valid():
    cal = parse(to_ics([]))
    assert cal.contents.get("vevent", []) == []


def test_same_bytes_as_serialising_the_whole_calendar_at_once():
    import icalendar

    from crmgen.render.ics import PRODID, event, to_ics

    rs = [reminder(), reminder(kind="promise", lead=3, key="us:x", title="短")]
    cal = icalendar.Calendar()
    for name, value in [
        ("prodid", PRODID),
        ("version", "2.0"),
        ("calscale", "GREGORIAN"),
        ("method", "PUBLISH"),
        ("x-wr-calname", "n"),
        ("name", "n"),
    ]:
        cal.add(name, value)
    for r in rs:
        ev = event(r, reminder_uid(r))
        ev["DTSTAMP"] = icalendar.vDDDTypes(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
        cal.add_component(ev)
    assert to_ics(rs, calendar_name="n") == cal.to_ical()


def test_events_kept_between_builds_give_the_same_bytes(tmp_path, monkeypatch):
    import crmgen.render.ics as ics
    from crmgen.accel.events import EventCache

    store = tmp_path / "events.pickle"
    rs = [reminder(), reminder(), reminder(kind="promise", lead=3, key="us:x", title="短", amount=None)]
    first = EventCache.load(None)
    fresh = first.to_ics(rs, calendar_name="n")
    assert fresh == to_ics(rs, calendar_name="n")  # the cache gives the plain feed's bytes
    first.save(store)
    cache = EventCache.load(store)  # the next build, in a new process
    serialised = []
    original = ics.event
    monkeypatch.setattr(ics, "event", lambda r, uid, **kw: serialised.append(r) or original(r, uid, **kw))
    monkeypatch.setattr(ics, "calendar_lines", None)  # kept too: icalendar is not needed
    moved = [dataclasses.replace(r, days=r.days - 1) for r in rs]  # the next day: only DTSTAMP changes
    next_day = cache.to_ics(moved, calendar_name="n")
    assert serialised == []  # the two identical promises too: two events (numbered UIDs)
    assert next_day == fresh.replace(b"DTSTAMP:20261201T", b"DTSTAMP:20261202T") != fresh
    changed = [*moved[:2], dataclasses.replace(moved[2], title="longer")]
    partly_cached = cache.to_ics(changed, calendar_name="n")
    assert serialised == [changed[2]]  # only the changed event is serialised again
    monkeypatch.undo()
    assert partly_cached == to_ics(changed, calendar_name="n") != fresh
    assert next_day == to_ics(moved, calendar_name="n")


def test_a_few_new_events_are_saved_in_the_journal_only(tmp_path):
    from crmgen.accel.events import JOURNAL_SUFFIX, EventCache

    store = tmp_path / "events.pickle"
    journal = tmp_path / ("events.pickle" + JOURNAL_SUFFIX)
    rs = [reminder(key=f"client:promise {i}", title=f"promise {i}") for i in range(20)]
    cache = EventCache.load(None)
    cache.to_ics(rs)
    cache.save(store)
    assert store.is_file() and not journal.exists()
    written = store.stat().st_mtime_ns

    for step in range(2):  # two builds, each after one edit
        cache = EventCache.load(store)
        rs[step] = dataclasses.replace(rs[step], title=f"moved {step}")
        cache.to_ics(rs)
        cache.save(store)
        assert store.stat().st_mtime_ns == written and journal.is_file()
    cache = EventCache.load(store)
    assert cache.loaded == 23 and len(cache.journal) == 2  # 20 + 2 events, and the calendar's lines
    assert cache.to_ics(rs) == to_ics(rs)  # kept bytes are the bytes made anew

    cache = EventCache.load(store)
    rs = [dataclasses.replace(r, title=r.title + " again") for r in rs[:10]]  # too many new: one file again
    cache.to_ics(rs)
    cache.save(store)
    assert store.stat().st_mtime_ns != written and not journal.exists()
    assert EventCache.load(store).loaded == 11


def test_a_late_reminder_is_on_the_feeds_day_and_the_cache_follows_it(tmp_path):
    from crmgen.accel.events import EventCache

    late = reminder(date=dt.date(2026, 11, 20), days=-11, lead=7)
    cal = parse(to_ics([late]))
    (ev,) = cal.vevent_list
    assert ev.dtstart.value == dt.date(2026, 12, 1) and ev.dtend.value == dt.date(2026, 12, 2)
    assert ev.categories.value == ["collect", "overdue"]
    assert ev.description.value.startswith("Overdue since 2026-11-20\nClient: ")
    assert ev.valarm.trigger.value == dt.timedelta(hours=9)  # its lead has passed: that day, at 09:00
    store = tmp_path / "events.pickle"
    cache = EventCache.load(None)
    cache.to_ics([late])
    cache.save(store)
    tomorrow = dataclasses.replace(late, days=-12)
    assert EventCache.load(store).to_ics([tomorrow]) == to_ics([tomorrow])  # moved on, not the kept bytes
    assert parse(to_ics([tomorrow])).vevent.dtstart.value == dt.date(2026, 12, 2)


def test_the_alarm_time_is_part_of_the_kept_events_key(tmp_path):
    from crmgen.accel.events import EventCache

    store = tmp_path / "events.pickle"
    rs = [reminder(), reminder(kind="promise", lead=3, key="us:x")]
    cache = EventCache.load(None)
    cache.to_ics(rs)
    cache.save(store)
    early = EventCache.load(store, alarm_time="06:15").to_ics(rs)
    assert early == to_ics(rs, alarm_time="06:15") != to_ics(rs)
    triggers = [e.valarm.trigger.value for e in parse(early).vevent_list]
    assert triggers == [dt.timedelta(hours=6, minutes=15), dt.timedelta(days=-3, hours=6, minutes=15)]


def test_the_placeholder_stamp_is_never_left_in_a_feed():
    from crmgen.render.ics import PLACEHOLDER_STAMP

    tricky = reminder(title="DTSTAMP:19700101T000000Z\nDTSTAMP:19700101T000000Z")  # text is escaped
    data = to_ics([tricky, reminder(kind="promise", key="us:y")])
    assert data.count(b"\r\nDTSTAMP:20261201T000000Z\r\n") == 2
    assert [e.dtstamp.value for e in parse(data).vevent_list] == [dt.datetime(2026, 12, 1, tzinfo=dt.UTC)] * 2
    assert parse(data).vevent.summary.value == tricky.title
    placeholder = PLACEHOLDER_STAMP.strftime("%Y%m%dT%H%M%SZ").encode()
    assert b"\r\nDTSTAMP:" + placeholder not in data  # only the (escaped) title still says it
    assert data.count(placeholder) == 2 * 2  # the title twice: SUMMARY and the alarm's DESCRIPTION
