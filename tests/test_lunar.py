"""crmgen.rules.lunar against published dates (the Purple Mountain Observatory's calendar, as printed
in Chinese almanacs), and at the edges of its two rules."""

from __future__ import annotations

import datetime as dt

import pytest

from crmgen.rules import lunar
from crmgen.rules.lunar import LunarDay

D = dt.date


@pytest.mark.parametrize(("year", "month", "day", "expected"), [
    (2025, 1, 1, D(2025, 1, 29)),  # 春节
    (2026, 1, 1, D(2026, 2, 17)),
    (2027, 1, 1, D(2027, 2, 6)),
    (2026, 1, 15, D(2026, 3, 3)),  # 元宵
    (2026, 5, 5, D(2026, 6, 19)),  # 端午
    (2026, 8, 15, D(2026, 9, 25)),  # 中秋
    (2024, 8, 15, D(2024, 9, 17)),
])
def test_published_festivals(year: int, month: int, day: int, expected: dt.date) -> None:
    assert lunar.to_gregorian(year, month, day) == expected


def test_leap_month_of_2023() -> None:
    assert lunar.leap_month(2023) == 2
    assert lunar.to_gregorian(2023, 2, 1) == D(2023, 2, 20)  # 二月初一
    assert lunar.to_gregorian(2023, 2, 1, leap=True) == D(2023, 3, 22)  # 闰二月初一
    assert lunar.from_gregorian(D(2023, 3, 22)) == LunarDay(2, 1, True, 2023)
    assert lunar.from_gregorian(D(2023, 3, 21)) == LunarDay(2, 30, False, 2023)


def test_leap_date_in_a_year_without_that_leap_month_is_the_ordinary_month() -> None:
    assert lunar.leap_month(2026) == 0
    assert lunar.to_gregorian(2026, 2, 1, leap=True) == lunar.to_gregorian(2026, 2, 1)
    assert lunar.leap_month(2025) == 6  # 2025 repeats the sixth month, not the second
    assert lunar.to_gregorian(2025, 2, 1, leap=True) == lunar.to_gregorian(2025, 2, 1)
    assert lunar.to_gregorian(2025, 6, 1, leap=True) == D(2025, 7, 25)  # 闰六月初一


def test_a_30th_in_a_29_day_month_is_its_last_day() -> None:
    # 腊月 of lunar 2024 has 29 days: 除夕 is 廿九, the day before 春节 2025-01-29
    assert lunar.month_days(2024, 12) == 29
    assert lunar.to_gregorian(2024, 12, 30) == D(2025, 1, 28) == lunar.to_gregorian(2024, 12, 29)
    # 2025-2029 have no 年三十 (published): lunar 2025's 腊月 has 29 days too, 除夕 2026-02-16
    assert lunar.month_days(2025, 12) == 29
    assert lunar.to_gregorian(2025, 12, 30) == D(2026, 2, 16)
    # 腊月 of lunar 2023 has 30: 三十 is its own day, 除夕 2024-02-09, the day before 春节 2024-02-10
    assert lunar.month_days(2023, 12) == 30
    assert lunar.to_gregorian(2023, 12, 30) == D(2024, 2, 9)
    assert lunar.to_gregorian(2023, 12, 29) == D(2024, 2, 8)


def test_next_occurrence_the_day_before_of_and_after() -> None:
    mid_autumn = D(2026, 9, 25)
    assert lunar.next_occurrence(8, 15, False, mid_autumn - dt.timedelta(days=1)) == (mid_autumn, 2026)
    assert lunar.next_occurrence(8, 15, False, mid_autumn) == (mid_autumn, 2026)
    assert lunar.next_occurrence(8, 15, False, mid_autumn + dt.timedelta(days=1)) == (D(2027, 9, 15), 2027)


def test_next_occurrence_of_the_twelfth_month_is_in_the_next_gregorian_year() -> None:
    # on 2026-01-10 lunar 2025 is still running: its 腊月初八 (腊八) is 2026-01-26
    assert lunar.next_occurrence(12, 8, False, D(2026, 1, 10)) == (D(2026, 1, 26), 2025)
    assert lunar.next_occurrence(12, 8, False, D(2026, 1, 27)) == (D(2027, 1, 15), 2026)


@pytest.mark.parametrize(("text", "expected"), [
    ("农历三月初五", LunarDay(3, 5)),
    ("农历正月十五", LunarDay(1, 15)),
    ("农历冬月廿三", LunarDay(11, 23)),
    ("农历十一月二十", LunarDay(11, 20)),
    ("农历腊月三十", LunarDay(12, 30)),
    ("农历闰四月十二", LunarDay(4, 12, True)),
    ("1968年农历三月初五", LunarDay(3, 5, False, 1968)),
    ("2023年农历闰二月初一", LunarDay(2, 1, True, 2023)),
    ("lunar 03-05", LunarDay(3, 5)),
    (" lunar L04-12 ", LunarDay(4, 12, True)),
    ("lunar 1968-03-05", LunarDay(3, 5, False, 1968)),
    ("lunar 2023-L02-29", LunarDay(2, 29, True, 2023)),
])
def test_parse(text: str, expected: LunarDay) -> None:
    assert lunar.parse(text) == expected
    assert lunar.is_lunar(text)
    assert lunar.parse(str(expected)) == expected  # str() writes the notation back


@pytest.mark.parametrize(("text", "message"), [
    ("农历三月初", "is not a lunar date; write e.g."),
    ("农历十三月初五", "is not a lunar date"),
    ("lunar 3-5", "is not a lunar date"),
    ("lunar 13-05", "a lunar month is 01 to 12"),
    ("lunar 00-05", "a lunar month is 01 to 12"),
    ("lunar 03-31", "a lunar day is 01 to 30"),
    ("lunar 03-00", "a lunar day is 01 to 30"),
    ("lunar 2026-L02-01", "lunar year 2026 has no leap month 2 (it has no leap month)"),
    ("2025年农历闰二月初一", "lunar year 2025 has no leap month 2 (its leap month is 6)"),
    ("lunar 2024-12-30", "lunar month 12 of 2024 has 29 days"),
    ("lunar 1899-01-01", "the year must be 1900 to 2998"),
])
def test_parse_refuses(text: str, message: str) -> None:
    result = lunar.parse(text)
    assert isinstance(result, str) and message in result


def test_the_ends_of_the_year_range_convert() -> None:
    assert lunar.to_gregorian(lunar.YEAR_MIN, 1, 1) == D(1900, 1, 31)
    assert lunar.to_gregorian(lunar.YEAR_MAX, 12, 29).year == lunar.YEAR_MAX + 1
    assert not lunar.is_lunar("--03-05")
