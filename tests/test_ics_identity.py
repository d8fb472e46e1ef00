"""The calendar feed over edits and days (#22): stable UIDs, a revision signal, overdue
events on the feed's day, alarms at the team's time. Every feed is made by the real
``crmgen due --format ics`` on real client files and read back with icalendar."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import icalendar
import pytest
import vobject
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.format.errors import SettingsError
from crmgen.load.project import DEFAULT_LEADS, Settings
from tests.conftest import write_client

TODAY = dt.date(2026, 12, 1)

HEAD = """\
---
name: 华东润滑油
grade: A
stage: customer
owner: 王磊
orders:
"""
FIRST = """\
  - date: 2026-10-01
    amount: 10000
    paid: 2000
    pay_by: 2026-12-05
    items: 液压油
    delivered: 2026-10-03
"""
SECOND = """\
  - date: 2026-11-01
    amount: 5000
    pay_by: 2026-12-10
    items: 齿轮油
"""
OLDER = """\
  - date: 2026-09-01
    amount: 3000
    pay_by: 2026-12-08
    items: 防冻液
    delivered: 2026-09-02
"""


def orders(*parts: str) -> str:
    return HEAD + "".join(parts) + "---\n"


PROMISES = """
    ---
    name: Kingsway Supermarkets
    grade: B
    stage: customer
    owner: Sarah Lin
    promises:
      - by: client
        id: q3
        what: {what}
        due: {due}
        amount: 50000
      - by: us
        what: {ours}
        due: 2026-12-04
    ---
"""


def _project(root: Path, settings: str = "") -> Path:
    (root / "mkdocs.yml").write_text("site_name: T\n" + textwrap.dedent(settings), encoding="utf-8")
    (root / "clients").mkdir(exist_ok=True)
    return root


def feed(root: Path, today: dt.date = TODAY, within: int = 30) -> bytes:
    result = CliRunner().invoke(main, ["-C", str(root), "due", "--today", today.isoformat(), "--within",
                                       str(within), "--format", "ics", "--no-cache"])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def events(data: bytes) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    found = list(cal.walk("VEVENT"))
    assert not cal.errors and not any(e.errors for e in found)  # icalendar parsed every line cleanly
    return found


def by_summary(data: bytes) -> dict[str, icalendar.Event]:
    return {str(e["SUMMARY"]): e for e in events(data)}


def uids_of(data: bytes, kind: str) -> dict[str, str]:
    """{summary: uid} of the events of ``kind``."""
    return {str(e["SUMMARY"]): str(e["UID"]) for e in events(data) if kind in e.categories}


def newer(new: icalendar.Event, old: icalendar.Event) -> bool:
    """RFC 5546 section 2.1.5: the higher SEQUENCE wins; with equal SEQUENCE, the later DTSTAMP."""
    def rank(e: icalendar.Event) -> tuple[int, dt.datetime]:
        return int(e.get("SEQUENCE", 0)), e.decoded("DTSTAMP")
    return rank(new) > rank(old)


def test_inserting_an_older_order_keeps_the_uids_of_the_others(tmp_path: Path) -> None:
    root = _project(tmp_path)
    path = write_client(root, "huadong", orders(FIRST, SECOND))
    before = feed(root)
    payments, reviews = uids_of(before, "payment"), uids_of(before, "review")
    assert len(payments) == 2 and len(reviews) == 1

    write_client(root, "huadong", orders(OLDER, FIRST, SECOND))  # an older order, first in the list
    after = feed(root)
    new_payments, new_reviews = uids_of(after, "payment"), uids_of(after, "review")
    assert len(new_payments) == 3 and len(new_reviews) == 2
    for title, uid in payments.items():
        assert new_payments[title] == uid  # the same two events, now orders 2 and 3
    assert new_reviews.items() >= reviews.items()
    assert len(set(new_payments.values()) | set(new_reviews.values())) == 5  # and no UID twice

    # Rewording an order's items keeps its UID too (an order without an id is known by its date).
    path.write_text(path.read_text(encoding="utf-8").replace("齿轮油", "重负荷齿轮油"), encoding="utf-8")
    reworded = uids_of(feed(root), "payment")
    assert set(reworded.values()) == set(new_payments.values())
    assert set(reworded) != set(new_payments)  # the titles did change


def test_an_order_id_keeps_its_uid_when_its_date_is_corrected(tmp_path: Path) -> None:
    root = _project(tmp_path)
    text = orders(FIRST, SECOND).replace("  - date: 2026-11-01", "  - id: B-7\n    date: 2026-11-01")
    path = write_client(root, "huadong", text)
    before = uids_of(feed(root), "payment")
    path.write_text(text.replace("date: 2026-11-01", "date: 2026-11-02"), encoding="utf-8")
    after = uids_of(feed(root), "payment")
    assert set(after.values()) == set(before.values())


def test_rewording_a_promise_keeps_its_uids(tmp_path: Path) -> None:
    root = _project(tmp_path)
    write_client(root, "kingsway", PROMISES.format(what="Pay the Q3 invocie", due="2026-12-08",
                                                          ours="Send the samlpes"))
    before = events(feed(root))
    kinds = sorted(str(k) for e in before for k in e.categories if k != "overdue")
    assert kinds == ["collect", "promise", "remind", "touch"]
    # A typo fixed in both, and the promise with an id moved to another day.
    write_client(root, "kingsway", PROMISES.format(what="Pay the Q3 invoice", due="2026-12-09",
                                                   ours="Send the samples"))
    after = events(feed(root))
    assert sorted(str(e["UID"]) for e in after) == sorted(str(e["UID"]) for e in before)
    assert len({str(e["SUMMARY"]) for e in after} - {str(e["SUMMARY"]) for e in before}) == 3
    assert sum("invoice" in str(e["SUMMARY"]) for e in after) == 2  # remind and collect
    assert sum("samples" in str(e["SUMMARY"]) for e in after) == 1

    # Without an id the promise is known by its side and due day: a new day is a new event.
    write_client(root, "kingsway", PROMISES.format(what="Pay the Q3 invoice", due="2026-12-09",
                                                   ours="Send the samples").replace("2026-12-04", "2026-12-05"))
    moved = {str(e["UID"]): str(e["SUMMARY"]) for e in events(feed(root))}
    kept = {str(e["UID"]) for e in after} & set(moved)
    assert len(kept) == 3 and all("samples" not in moved[uid] for uid in kept)  # ours is a new event


def test_a_changed_title_is_newer_by_rfc_5546(tmp_path: Path) -> None:
    root = _project(tmp_path)
    path = write_client(root, "huadong", orders(FIRST, SECOND))
    first = feed(root)
    assert feed(root) == first  # the same files on the same day: the same bytes
    path.write_text(path.read_text(encoding="utf-8").replace("paid: 2000", "paid: 6000"), encoding="utf-8")
    revised = feed(root, TODAY + dt.timedelta(days=1))
    old = {str(e["UID"]): e for e in events(first)}
    changed = 0
    for e in events(revised):
        before = old[str(e["UID"])]
        assert newer(e, before) and not newer(before, e)
        changed += str(e["SUMMARY"]) != str(before["SUMMARY"])
    assert changed == 1  # the payment of the order paid in part
    # DTSTAMP is the day the feed was made for, not an event's own (future) date.
    assert {e.decoded("DTSTAMP") for e in events(revised)} == {dt.datetime(2026, 12, 2, tzinfo=dt.UTC)}
    assert all(e.decoded("DTSTART") > TODAY + dt.timedelta(days=1) for e in events(revised)
               if "overdue" not in e.categories)


def test_overdue_reminders_are_events_on_the_feeds_day(tmp_path: Path) -> None:
    root = _project(tmp_path)
    write_client(root, "huadong", orders(OLDER, FIRST, SECOND))
    for today in (TODAY, TODAY + dt.timedelta(days=5)):
        cal = events(feed(root, today))
        late = [e for e in cal if "overdue" in e.categories]
        # at TODAY: two reviews (due 2026-09-09 and 10-10) and the usage review of the latest delivered
        # order (11-14); five days on, also the payment due 12-05
        assert len(late) == (3 if today == TODAY else 4)
        for e in late:
            assert e.decoded("DTSTART") == today and e.decoded("DTEND") == today + dt.timedelta(days=1)
            since = dt.date.fromisoformat(str(e["DESCRIPTION"]).split("\n")[0].removeprefix("Overdue since "))
            assert since < today
            alarm = e.walk("VALARM")[0]
            assert alarm.decoded("TRIGGER") == dt.timedelta(hours=9)  # 09:00 on that day
        for e in cal:
            if "overdue" not in e.categories:
                assert e.decoded("DTSTART") >= today
                assert not str(e["DESCRIPTION"]).startswith("Overdue")
    # vobject, another parser, sees the same placement
    parsed = vobject.readOne(feed(root).decode("utf-8"))
    assert sorted(e.dtstart.value for e in parsed.vevent_list)[0] == TODAY


def _alarm_at(e: icalendar.Event) -> dt.datetime:
    """When the event's alarm goes off, as local (floating) time: the all-day start plus the trigger."""
    return dt.datetime.combine(e.decoded("DTSTART"), dt.time(0)) + e.walk("VALARM")[0].decoded("TRIGGER")


@pytest.mark.parametrize(("setting", "at"), [("", dt.time(9)), ('alarm_time: "07:30"', dt.time(7, 30)),
                                             ('alarm_time: "0:00"', dt.time(0)),
                                             ('alarm_time: "23:59"', dt.time(23, 59))])
def test_alarms_go_off_at_the_teams_time(tmp_path: Path, setting: str, at: dt.time) -> None:
    root = _project(tmp_path, f"extra:\n  crmgen:\n    {setting}\n" if setting else "")
    write_client(root, "huadong", orders(OLDER, FIRST, SECOND))
    write_client(root, "kingsway", PROMISES.format(what="Pay", due="2026-12-20", ours="Samples"))
    cal = events(feed(root, within=30))
    leads = DEFAULT_LEADS  # (payment 7, promise 3, the others 0 here; a lead moves a coming event's alarm)
    seen = set()
    for e in cal:
        kind = next(k for k in e.categories if k != "overdue")
        lead = 0 if "overdue" in e.categories else leads[kind]
        seen.add((kind, lead))
        assert _alarm_at(e) == dt.datetime.combine(e.decoded("DTSTART") - dt.timedelta(days=lead), at)
    assert {("payment", 7), ("promise", 3), ("remind", 0), ("review", 0)} <= seen


def test_the_alarm_time_setting_is_checked() -> None:
    assert Settings().alarm_time == "09:00"
    assert Settings.from_mapping({"alarm_time": "7:05"}).alarm_time == "07:05"
    for value, extra in [(570, ', in quotes (YAML reads 9:30 unquoted as the number 570)'), ("24:00", ""),
                         ("9", ""), ("09:60", ""), (None, "")]:
        with pytest.raises(SettingsError) as info:
            Settings.from_mapping({"alarm_time": value})
        assert str(info.value).endswith(
            f'error: extra.crmgen.alarm_time: must be a time of day from "00:00" to "23:59"{extra}, '
            f'e.g. "09:00", not {value!r}')


@pytest.mark.parametrize("day", ["2026-06-15", "2026-12-01", "2027-02-28"])
def test_the_samples_feed_is_strict_rfc_5545(samples: Path, day: str) -> None:
    data = feed(samples, dt.date.fromisoformat(day), within=7)
    cal = icalendar.Calendar.from_ical(data)
    assert cal.to_ical() == data  # icalendar reads it back and writes the very same bytes
    found = events(data)
    assert found
    uids = [str(e["UID"]) for e in found]
    assert len(set(uids)) == len(uids)
    stamp = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(0), tzinfo=dt.UTC)
    for e in found:
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert len(e.property_items(recursive=False)) and name in e  # required once (5545 3.6.1)
        assert e.decoded("DTSTAMP") == stamp
        assert e.decoded("DTEND") - e.decoded("DTSTART") == dt.timedelta(days=1)
        assert e.decoded("DTSTART") >= stamp.date()  # nothing on a past day


WORDED = """\
---
name: 老刘汽修厂
grade: C
stage: customer
owner: 李娜
dates:
  - what: {date_what}
    date: 2019-12-06
complaints:
  - opened: 2026-11-28
    what: {complaint_what}
    step: {step}
---

## 2026-11-20 visit: 送样品
Next: 2026-12-03 {next_what}
"""


def test_rewording_an_anniversary_a_complaint_or_a_next_step_keeps_its_uid(tmp_path: Path) -> None:
    root = _project(tmp_path)
    write_client(root, "laoliu", WORDED.format(date_what="开业纪念日", complaint_what="机油漏液",
                                               step="inform", next_what="回访"))
    before = {str(k): str(e["UID"]) for e in events(feed(root)) for k in e.categories}
    assert {"anniversary", "complaint", "next", "touch"} <= set(before)
    write_client(root, "laoliu", WORDED.format(date_what="开业七周年", complaint_what="机油桶漏液（3 桶）",
                                               step="solve", next_what="回访，带新样品"))
    after = events(feed(root))
    assert {str(k): str(e["UID"]) for e in after for k in e.categories} == before
    assert any("七周年" in str(e["SUMMARY"]) for e in after)
    assert any("3 桶" in str(e["SUMMARY"]) for e in after)
    assert any("新样品" in str(e["SUMMARY"]) for e in after)
