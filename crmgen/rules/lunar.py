"""Chinese lunar dates (农历): how they are written in a client file and which Gregorian day they fall on.

Pure functions: no clock, no I/O. The conversion itself is lunar_python's (6tail's ``lunar``,
computed from astronomical new moons and solar terms, with leap months), wrapped here so
that the rest of crmgen never imports it.

The notation, in either of two forms (the format page documents it):

- ``农历三月初五``, ``农历闰四月十二``, ``1968年农历腊月三十`` (months 正/一 … 十/十一/冬/十二/腊,
  days 初一 … 初十, 十一 … 十九, 二十, 廿一 … 廿九, 三十);
- ``lunar 03-05``, ``lunar L04-12`` (``L``: the leap month), ``lunar 1968-12-30``.

Two rules decide a day the lunar calendar does not have in a given year:

- a 30th in a month that has 29 days that year falls on its 29th, the month's last day
  (腊月三十 is then 除夕 all the same);
- a leap-month date (闰四月) in a year without that leap month falls in the ordinary month
  of the same number (四月), as people born in a leap month keep their birthday.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import NamedTuple

MONTH_NAMES = {"正": 1, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
               "十": 10, "十一": 11, "冬": 11, "十二": 12, "腊": 12}
_DIGITS = "一二三四五六七八九"
DAY_NAMES = {**{f"初{d}": i + 1 for i, d in enumerate(_DIGITS)}, "初十": 10,
             **{f"十{d}": 11 + i for i, d in enumerate(_DIGITS)}, "二十": 20,
             **{f"廿{d}": 21 + i for i, d in enumerate(_DIGITS)}, "三十": 30}
_MONTH_WORDS = ("正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊")
_DAY_WORDS = tuple(sorted(DAY_NAMES, key=DAY_NAMES.__getitem__))
# the years crmgen's dates cover (1900-2999), less the lunar years that start or end outside them
YEAR_MIN, YEAR_MAX = 1900, 2998

_CHINESE = re.compile(r"(?:([0-9]{4})年)?农历(闰)?(" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True))
                      + r")月(" + "|".join(DAY_NAMES) + r")")
_LATIN = re.compile(r"lunar (?:([0-9]{4})-)?(L)?([0-9]{2})-([0-9]{2})")
EXAMPLES = "农历三月初五, 农历闰四月十二, 1968年农历三月初五, lunar 03-05, lunar L04-12 or lunar 1968-03-05"


class LunarDay(NamedTuple):
    """A day of the lunar calendar: month 1-12 (``leap``: the leap month after it), day 1-30, and the
    lunar year when it is known."""

    month: int
    day: int
    leap: bool = False
    year: int | None = None

    def __str__(self) -> str:
        year = f"{self.year:04d}-" if self.year is not None else ""
        return f"lunar {year}{'L' if self.leap else ''}{self.month:02d}-{self.day:02d}"

    def chinese(self) -> str:
        """The day as people name it, without the year: 农历三月初八, 农历闰四月十二, 农历腊月三十."""
        return f"农历{'闰' if self.leap else ''}{_MONTH_WORDS[self.month - 1]}月{_DAY_WORDS[self.day - 1]}"


def is_lunar(text: str) -> bool:
    """Whether ``text`` is meant as a lunar date (so a bad one gets the lunar message)."""
    return text.strip().startswith("lunar") or "农历" in text


class Refused(str):
    """Why a text is not a lunar date (a sentence that says how to fix it), with the code of
    the problem ``check`` reports: ``bad-date``, ``date-range`` or ``impossible-date``."""

    code: str

    def __new__(cls, message: str, code: str = "bad-date") -> Refused:
        out = super().__new__(cls, message)
        out.code = code
        return out


def parse(text: str) -> LunarDay | Refused:
    """The lunar day ``text`` writes, or a sentence saying what is wrong with it."""
    text = text.strip()
    found = _CHINESE.fullmatch(text)
    if found:
        year, leap, month, day = found[1], bool(found[2]), MONTH_NAMES[found[3]], DAY_NAMES[found[4]]
    elif found := _LATIN.fullmatch(text):
        year, leap, month, day = found[1], bool(found[2]), int(found[3]), int(found[4])
        if not 1 <= month <= 12:
            return Refused(f"'{text}': a lunar month is 01 to 12")
        if not 1 <= day <= 30:
            return Refused(f"'{text}': a lunar day is 01 to 30")
    else:
        return Refused(f"'{text}' is not a lunar date; write e.g. {EXAMPLES}")
    if year is None:
        return LunarDay(month, day, leap)
    y = int(year)
    if not YEAR_MIN <= y <= YEAR_MAX:
        return Refused(f"'{text}': the year must be {YEAR_MIN} to {YEAR_MAX}", "date-range")
    if leap and leap_month(y) != month:
        has = leap_month(y)
        return Refused(f"'{text}': lunar year {y} has no leap month {month}"
                       + (f" (its leap month is {has})" if has else " (it has no leap month)")
                       + "; write the ordinary month, without 闰 or L", "impossible-date")
    if day > month_days(y, month, leap):
        return Refused(f"'{text}': lunar month {month} of {y} has 29 days; its last day is the 29th (廿九)",
                       "impossible-date")
    return LunarDay(month, day, leap, y)


def leap_month(year: int) -> int:
    """The number of the month lunar year ``year`` repeats as a leap month, 0 when it has none."""
    from lunar_python import LunarYear

    return int(LunarYear.fromYear(year).getLeapMonth())


def month_days(year: int, month: int, leap: bool = False) -> int:
    """How many days (29 or 30) the lunar month has in ``year``."""
    from lunar_python import LunarYear

    return int(LunarYear.fromYear(year).getMonth(-month if leap else month).getDayCount())


@functools.lru_cache(maxsize=4096)  # the same few days for every lunar row of a book, each day
def to_gregorian(year: int, month: int, day: int, leap: bool = False) -> dt.date:
    """The Gregorian day of lunar ``month``/``day`` in lunar year ``year``, by the two rules above."""
    from lunar_python import Lunar

    if leap and leap_month(year) != month:
        leap = False  # no such leap month this year: the ordinary month
    day = min(day, month_days(year, month, leap))  # a 30th in a short month: its last day
    solar = Lunar.fromYmd(year, -month if leap else month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


@functools.lru_cache(maxsize=256)
def lunar_year_of(day: dt.date) -> int:
    """The lunar year ``day`` falls in (a day of January is often still the year before)."""
    from lunar_python import Solar

    return int(Solar.fromYmd(day.year, day.month, day.day).getLunar().getYear())


def from_gregorian(day: dt.date) -> LunarDay:
    """The lunar day (with its year) of a Gregorian day."""
    from lunar_python import Solar

    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month = int(lunar.getMonth())
    return LunarDay(abs(month), int(lunar.getDay()), month < 0, int(lunar.getYear()))


def next_occurrence(month: int, day: int, leap: bool, today: dt.date) -> tuple[dt.date, int]:
    """The first Gregorian day on or after ``today`` that is lunar ``month``/``day``, and its lunar year."""
    start = lunar_year_of(today)
    for year in (start, start + 1):
        when = to_gregorian(year, month, day, leap)
        if when >= today:
            return when, year
    raise AssertionError("unreachable: a lunar date comes back within a year")
