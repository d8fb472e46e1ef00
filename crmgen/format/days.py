"""Days as people type them on a command line: ISO dates and a few words relative to today.

``today``, ``tomorrow``, ``yesterday`` (and 今天, 明天, 后天, 昨天, 前天), ``+10d``,
``+2w``, ``+3m`` (calendar months: 31 January + 1m is 28 or 29 February), ``-1w``,
and ``YYYY-MM-DD``. Pure: ``today`` is given, never read from the clock here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_WORDS = {
    "today": 0, "tomorrow": 1, "yesterday": -1,
    "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "昨天": -1, "昨日": -1, "前天": -2,
}
_OFFSET = re.compile(r"^([+-])\s*([0-9]{1,4})\s*([dwm])\Z", re.IGNORECASE)


class DayError(ValueError):
    """Text that is not a day; the message says what is accepted."""


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, kept inside the month it lands in."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_day(text: str, today: dt.date) -> dt.date:
    """The day ``text`` names, counted from ``today`` when it is relative."""
    word = text.strip().lower()
    if word in _WORDS:
        return today + dt.timedelta(days=_WORDS[word])
    if m := _OFFSET.match(word):
        n = int(m[2]) * (1 if m[1] == "+" else -1)
        try:
            if m[3] == "m":
                return add_months(today, n)
            return today + dt.timedelta(days=n * (7 if m[3] == "w" else 1))
        except (OverflowError, ValueError):
            raise DayError(f"'{text}' lands outside the calendar") from None
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        raise DayError(
            f"'{text}' is not a date; write YYYY-MM-DD (2026-11-02), today, tomorrow, yesterday, "
            "or a number of days, weeks or months from today (+10d, +2w, +1m, -3d)"
        ) from None
