"""Lunar birthdays and anniversaries (农历, #18): the notation in a client file, check's errors,
the model, and the reminders on the right Gregorian day, through ``crmgen due``, the calendar
feed and the visit plan, in English and in Chinese.

The expected days are published ones (the Purple Mountain Observatory's calendar, as printed
in almanacs): 端午 (五月初五) 2026-06-19, 2027-06-09, 2028-05-28 (lunar 2028 repeats the fifth
month: 闰五月初五 is 2028-06-27); 中秋 (八月十五) 2026-09-25, 2027-09-15; 七夕 (七月初七) 2027-08-08;
重阳 (九月初九) 2027-10-08; 春节 2027-02-06; 除夕 2025-01-28 (腊月廿九: no 三十 in lunar 2024).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen import i18n
from crmgen.cli import main
from crmgen.format.model import Birthday, Client
from crmgen.load.book import load_book, parse_client_text
from crmgen.load.project import load_project
from crmgen.rules import dueplan, lunar, wording
from crmgen.rules import plan as visit_plan
from crmgen.rules.reminders import due
from tests.conftest import REPO, write_client

D = dt.date

CLIENT = """\
    ---
    name: 诚信汽配
    grade: C
    owner: 李娜
    contacts:
      - name: 陈国富
        birthday: 1968年农历十月廿六
      - name: 何美玲
        birthday: lunar 05-05
      - name: 老周
        birthday: 1987-04-03
    dates:
      - what: 开店纪念日
        date: lunar 2009-01-26
    ---
    """


def _client(text: str, slug: str = "ce-shi") -> Client:
    client, problems = parse_client_text(textwrap.dedent(text).lstrip("\n"), f"clients/{slug}.md")
    assert problems == [] and client is not None
    return client


def _front(birthday: str = "农历三月初八", date: str = "2012-06-18") -> str:
    return ("---\nname: 测试\ngrade: A\ncontacts:\n  - name: 甲\n    birthday: " + birthday
            + "\ndates:\n  - what: 纪念日\n    date: " + date + "\n---\n")


def _problems(text: str) -> list[tuple[int, int, str, str]]:
    return [(p.line, p.col, p.code, p.message) for p in parse_client_text(text, "clients/ce-shi.md")[1]]


# -- the file and the model ----------------------------------------------------------------------

def test_a_lunar_birthday_is_kept_lunar_and_shown_as_written() -> None:
    client = _client(CLIENT)
    chen, he, zhou = (c.birthday for c in client.contacts)
    assert chen == Birthday(10, 26, 1968, lunar=True, written="1968年农历十月廿六")
    assert str(chen) == "1968年农历十月廿六"
    assert he == Birthday(5, 5, None, lunar=True, written="lunar 05-05") and str(he) == "lunar 05-05"
    assert zhou == Birthday(4, 3, 1987) and str(zhou) == "1987-04-03"  # Gregorian: as before
    (shop,) = client.dates
    assert shop.lunar == (2009, 1, 26, False) and shop.written == "lunar 2009-01-26"
    assert shop.date == D(2009, 2, 20)  # the Gregorian day it first fell on (the page sorts by it)


def test_a_leap_month_birthday_is_kept_leap() -> None:
    b = _client(_front("2023年农历闰二月初一")).contacts[0].birthday
    assert (b.month, b.day, b.year, b.lunar, b.leap) == (2, 1, 2023, True, True)
    b = _client(_front("lunar L04-12")).contacts[0].birthday
    assert (b.month, b.day, b.year, b.leap) == (4, 12, None, True)


@pytest.mark.parametrize(("birthday", "date", "expected"), [
    ("lunar 2026-L02-01", "2012-06-18",
     (6, 15, "impossible-date", "contacts[0].birthday: 'lunar 2026-L02-01': lunar year 2026 has no leap month 2 "
      "(it has no leap month); write the ordinary month, without 闰 or L")),
    ("2025年农历闰二月初一", "2012-06-18",
     (6, 15, "impossible-date", "contacts[0].birthday: '2025年农历闰二月初一': lunar year 2025 has no leap month 2 "
      "(its leap month is 6); write the ordinary month, without 闰 or L")),
    ("2024年农历腊月三十", "2012-06-18",
     (6, 15, "impossible-date", "contacts[0].birthday: '2024年农历腊月三十': lunar month 12 of 2024 has 29 days; "
      "its last day is the 29th (廿九)")),
    ("农历三月初", "2012-06-18",
     (6, 15, "bad-date", "contacts[0].birthday: '农历三月初' is not a lunar date; write e.g. 农历三月初五, "
      "农历闰四月十二, 1968年农历三月初五, lunar 03-05, lunar L04-12 or lunar 1968-03-05")),
    ("lunar 13-05", "2012-06-18", (6, 15, "bad-date", "contacts[0].birthday: 'lunar 13-05': a lunar month is 01 to 12")),
    ("lunar 1899-01-01", "2012-06-18",
     (6, 15, "date-range", "contacts[0].birthday: 'lunar 1899-01-01': the year must be 1900 to 2998")),
    ("农历三月初八", "农历五月初九",
     (9, 11, "bad-date", "dates[0].date: '农历五月初九' has no year; a lunar anniversary needs the year it first "
      "happened (1998年农历五月初九 or lunar 1998-05-09)")),
    ("农历三月初八", "lunar 2024-12-30",
     (9, 11, "impossible-date", "dates[0].date: 'lunar 2024-12-30': lunar month 12 of 2024 has 29 days; its last "
      "day is the 29th (廿九)")),
])
def test_check_refuses_a_bad_lunar_date_and_says_how_to_fix_it(birthday: str, date: str, expected: tuple) -> None:
    assert _problems(_front(birthday, date)) == [expected]


def test_check_accepts_a_30th_without_a_year_and_a_leap_month_without_a_year() -> None:
    # no year: every year has its own months; a short one puts the 30th on its 29th (below)
    assert _problems(_front("农历腊月三十")) == []
    assert _problems(_front("农历闰四月十二", "2023年农历闰二月三十")) == [
        (9, 11, "impossible-date", "dates[0].date: '2023年农历闰二月三十': lunar month 2 of 2023 has 29 days; its "
         "last day is the 29th (廿九)")]
    assert _problems(_front("lunar L02-30", "2023年农历闰二月廿九")) == []


def test_check_prints_the_problem_line_gcc_style(project: Path) -> None:
    write_client(project, "ce-shi", _front("lunar 2026-L02-01"))
    result = CliRunner().invoke(main, ["-C", str(project), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "clients/ce-shi.md:6:15: error: contacts[0].birthday: 'lunar 2026-L02-01': lunar year 2026 has no leap "
        "month 2 (it has no leap month); write the ordinary month, without 闰 or L [impossible-date]")


# -- the day each year -------------------------------------------------------------------------------

def _yearly(birthday: str, today: dt.date) -> dt.date:
    b = _client(_front(birthday)).contacts[0].birthday
    return dueplan.next_birthday(b, today)


@pytest.mark.parametrize(("birthday", "today", "expected"), [
    ("农历五月初五", D(2026, 1, 1), D(2026, 6, 19)),  # 端午, published
    ("农历五月初五", D(2026, 6, 19), D(2026, 6, 19)),  # on the day: today
    ("农历五月初五", D(2026, 6, 20), D(2027, 6, 9)),  # passed: next lunar year's
    ("lunar 08-15", D(2026, 9, 1), D(2026, 9, 25)),  # 中秋
    ("lunar 08-15", D(2026, 9, 26), D(2027, 9, 15)),
    ("1990年农历七月初七", D(2027, 1, 1), D(2027, 8, 8)),  # 七夕
    ("农历九月初九", D(2027, 8, 9), D(2027, 10, 8)),  # 重阳
    ("农历三月初八", D(2027, 1, 1), D(2027, 4, 14)),  # 三月初一 is 2027-04-07 (new moon 04-06 23:51 UTC)
    ("农历正月初一", D(2026, 12, 1), D(2027, 2, 6)),  # 春节 2027
    # 腊月: in January the lunar year before is still running
    ("农历腊月初八", D(2026, 1, 10), D(2026, 1, 26)),
    ("农历腊月初八", D(2026, 1, 27), D(2027, 1, 15)),
    # a 30th in a 29-day month: its 29th, the month's last day (除夕 2025-01-28); in a 30-day one, itself
    ("农历腊月三十", D(2025, 1, 1), D(2025, 1, 28)),
    ("农历腊月三十", D(2024, 1, 1), D(2024, 2, 9)),
    # a leap month: in its year, the leap month; in a year without it, the ordinary month
    ("2023年农历闰二月初一", D(2023, 3, 1), D(2023, 3, 22)),
    ("2023年农历闰二月初一", D(2026, 1, 1), D(2026, 3, 19)),
    ("农历闰五月初五", D(2028, 1, 1), D(2028, 6, 27)),  # lunar 2028 repeats the fifth month
    ("农历五月初五", D(2028, 1, 1), D(2028, 5, 28)),  # and its ordinary month is the one of 端午
])
def test_a_lunar_birthday_falls_on_its_gregorian_day(birthday: str, today: dt.date, expected: dt.date) -> None:
    assert _yearly(birthday, today) == expected


def test_a_gregorian_birthday_is_as_before() -> None:
    assert _yearly("--02-29", D(2027, 1, 1)) == D(2027, 2, 28)
    assert _yearly("1987-04-03", D(2027, 4, 4)) == D(2028, 4, 3)


# -- the reminders -----------------------------------------------------------------------------------

def _due(project: Path, today: dt.date, within: int = 400) -> list:
    proj = load_project(project)
    return due(load_book(proj).clients, today, proj.settings, within=within)


def test_the_reminders_count_the_age_and_the_years_in_lunar_years(project: Path) -> None:
    write_client(project, "chengxin", CLIENT)
    rows = [(r.kind, r.date, r.title) for r in _due(project, D(2026, 12, 1)) if r.kind in ("birthday", "anniversary")]
    assert rows == [
        ("birthday", D(2026, 12, 4), "Birthday of 陈国富 at 诚信汽配 (农历十月廿六), turns 58"),
        ("anniversary", D(2027, 3, 3), "开店纪念日 at 诚信汽配 (农历正月廿六, 18 years since 2009-02-20)"),
        ("birthday", D(2027, 4, 3), "Birthday of 老周 at 诚信汽配, turns 40"),
        ("birthday", D(2027, 6, 9), "Birthday of 何美玲 at 诚信汽配 (农历五月初五)"),
    ]


def test_the_age_of_a_twelfth_month_birthday_counts_from_the_lunar_birth_year(project: Path) -> None:
    # born 1970年农历腊月初八 = 1971-01-04: on 2026-01-26 (lunar 2025's 腊八) they turn 55, not 56
    write_client(project, "ce-shi", _front("1970年农历腊月初八"))
    (r,) = [r for r in _due(project, D(2026, 1, 10), 30) if r.kind == "birthday"]
    assert (r.date, r.title) == (D(2026, 1, 26), "Birthday of 甲 at 测试 (农历腊月初八), turns 55")


def test_a_lunar_anniversary_in_its_first_year_and_before(project: Path) -> None:
    write_client(project, "ce-shi", _front("--01-01", "2026年农历十月廿六"))
    (r,) = [r for r in _due(project, D(2026, 11, 1), 60) if r.kind == "anniversary"]
    assert (r.date, r.title) == (D(2026, 12, 4), "纪念日 at 测试 (农历十月廿六, on 2026-12-04)")
    assert [r for r in _due(project, D(2025, 11, 1), 60) if r.kind == "anniversary"] == []  # not before it happened


def test_the_titles_in_chinese() -> None:
    with i18n.using("zh"):
        assert wording.birthday_title("陈国富", "诚信汽配", 58, "农历十月廿六") == "诚信汽配 陈国富的生日（农历十月廿六），满 58 岁"
        assert wording.birthday_title("何美玲", "诚信汽配", None, "农历五月初五") == "诚信汽配 何美玲的生日（农历五月初五）"
        assert (wording.anniversary_title("开店纪念日", "诚信汽配", 18, D(2009, 2, 20), "农历正月廿六")
                == "诚信汽配：开店纪念日（农历正月廿六，自 2009-02-20 起 18 周年）")
        assert (wording.anniversary_title("开店纪念日", "诚信汽配", 0, D(2009, 2, 20), "农历正月廿六")
                == "诚信汽配：开店纪念日（农历正月廿六，2009-02-20）")
    # English, and a Gregorian date's titles as before
    assert wording.birthday_title("A", "B", 3, "农历十月廿六") == "Birthday of A at B (农历十月廿六), turns 3"
    assert wording.birthday_title("A", "B", 3) == "Birthday of A at B, turns 3"
    assert wording.anniversary_title("x", "B", 2, D(2009, 2, 20)) == "x at B (2 years since 2009-02-20)"


def test_the_lunar_day_in_chinese() -> None:
    assert lunar.LunarDay(10, 26).chinese() == "农历十月廿六"
    assert lunar.LunarDay(4, 12, True).chinese() == "农历闰四月十二"
    assert lunar.LunarDay(1, 1).chinese() == "农历正月初一"
    assert lunar.LunarDay(11, 20).chinese() == "农历冬月二十"
    assert lunar.LunarDay(12, 30).chinese() == "农历腊月三十"
    for month in range(1, 13):
        for day in range(1, 31):
            assert lunar.parse(lunar.LunarDay(month, day).chinese()) == lunar.LunarDay(month, day)


def test_the_visit_plan_lists_a_lunar_birthday_on_its_day(project: Path) -> None:
    write_client(project, "chengxin", CLIENT)
    proj = load_project(project)
    client = load_book(proj).clients[0]
    b = visit_plan.brief(client, proj.settings, D(2026, 12, 1), D(2026, 12, 7))
    assert b.birthdays == [("陈国富", D(2026, 12, 4))]
    b = visit_plan.brief(client, proj.settings, D(2027, 6, 7), D(2027, 6, 13))
    assert b.birthdays == [("何美玲", D(2027, 6, 9))]


# -- the whole path: crmgen due as a real process, cold, warm and with no cache ----------------------

def _crmgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(root / "xdg-cache")}
    return subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def _titles(root: Path, today: str, *extra: str) -> list[tuple[str, str, str]]:
    done = _crmgen(root, "due", "--today", today, "--format", "json", *extra)
    assert done.returncode == 0, done.stderr
    return [(r["kind"], r["date"], r["title"]) for r in json.loads(done.stdout) if r["kind"] in ("birthday", "anniversary")]


def test_due_json_cold_warm_and_without_cache(project: Path) -> None:
    write_client(project, "chengxin", CLIENT)
    expected = [("birthday", "2026-12-04", "Birthday of 陈国富 at 诚信汽配 (农历十月廿六), turns 58")]
    for extra in ((), (), ("--no-cache",)):
        assert _titles(project, "2026-12-01", *extra) == expected
    # the same plan, on another day: the next lunar year's days
    assert _titles(project, "2027-02-28") == [
        ("anniversary", "2027-03-03", "开店纪念日 at 诚信汽配 (农历正月廿六, 18 years since 2009-02-20)")]
    assert _titles(project, "2027-06-05") == [("birthday", "2027-06-09", "Birthday of 何美玲 at 诚信汽配 (农历五月初五)")]


def test_due_json_in_chinese(project: Path) -> None:
    (project / "mkdocs.yml").write_text("site_name: Test CRM\ntheme:\n  language: zh\n", encoding="utf-8")
    write_client(project, "chengxin", CLIENT)
    assert _titles(project, "2026-12-01") == [("birthday", "2026-12-04", "诚信汽配 陈国富的生日（农历十月廿六），满 58 岁")]
    assert _titles(project, "2027-02-28") == [
        ("anniversary", "2027-03-03", "诚信汽配：开店纪念日（农历正月廿六，自 2009-02-20 起 18 周年）")]


def test_the_calendar_feed_has_each_lunar_event_on_its_day(project: Path) -> None:
    # every reminder is one dated event (no RRULE): a lunar one is simply on this year's day
    write_client(project, "chengxin", CLIENT)
    done = _crmgen(project, "due", "--today", "2026-12-01", "--within", "200", "--format", "ics")
    assert done.returncode == 0, done.stderr
    feed = done.stdout.replace("\r\n", "\n").replace("\n ", "")  # unfolded
    assert "RRULE" not in feed
    events = {}
    for block in feed.split("BEGIN:VEVENT")[1:]:
        fields = dict(line.split(":", 1) for line in block.splitlines() if ":" in line)
        events[fields["SUMMARY"]] = fields["DTSTART;VALUE=DATE"]
    assert events["Birthday of 陈国富 at 诚信汽配 (农历十月廿六)\\, turns 58"] == "20261204"
    assert events["开店纪念日 at 诚信汽配 (农历正月廿六\\, 18 years since 2009-02-20)"] == "20270303"


_IMPORTS = """
import sys, datetime as dt
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.rules.reminders import due
project = load_project(sys.argv[1])
due(load_book(project).clients, dt.date(2026, 12, 1), project.settings, within=400)
print("lunar_python" in sys.modules)
"""


@pytest.mark.parametrize(("birthday", "imported"), [("1968-03-15", "False"), ("1968年农历十月廿六", "True")])
def test_lunar_python_is_imported_only_for_a_book_with_a_lunar_date(project: Path, birthday: str, imported: str) -> None:
    write_client(project, "ce-shi", _front(birthday))
    done = subprocess.run([sys.executable, "-c", _IMPORTS, str(project)], capture_output=True, text=True,
                          check=False, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == imported


def test_the_client_page_shows_the_birthday_as_written(project: Path, tmp_path: Path) -> None:
    from crmgen.render.build import build_site

    write_client(project, "chengxin", CLIENT)
    proj = load_project(project)
    build_site(proj, load_book(proj).clients, today=D(2026, 12, 1), site_dir=tmp_path / "site")
    page = (tmp_path / "site" / "clients" / "chengxin" / "index.html").read_text(encoding="utf-8")
    assert "1968年农历十月廿六" in page and "lunar 05-05" in page


def test_the_sample_shows_a_lunar_birthday_and_anniversary() -> None:
    text = (REPO / "clients" / "chengxin-qipei.md").read_text(encoding="utf-8")
    client, problems = parse_client_text(text, "clients/chengxin-qipei.md")
    assert problems == [] and client is not None
    assert any(c.birthday is not None and c.birthday.lunar for c in client.contacts)
    assert any(a.lunar is not None for a in client.dates)


@pytest.mark.parametrize("text", ["农历三月初八", "1968年农历三月初八", "lunar 03-08", "lunarx", "--03-08", "1968-03-08",
                                  "三月初八", "Lunar 03-08"])
def test_check_knows_a_lunar_date_as_the_lunar_module_does(text: str) -> None:
    from crmgen.format import validation

    assert validation._is_lunar(text) == lunar.is_lunar(text)
