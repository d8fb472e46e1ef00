"""Days typed on a command line: ISO dates and words relative to an injected today."""

from __future__ import annotations

import datetime as dt

import pytest

from crmgen.format.days import DayError, add_months, parse_day

D = dt.date
TODAY = D(2026, 1, 31)


@pytest.mark.parametrize(("text", "day"), [
    ("today", TODAY), ("Today", TODAY), (" tomorrow ", D(2026, 2, 1)), ("yesterday", D(2026, 1, 30)),
    ("今天", TODAY), ("明天", D(2026, 2, 1)), ("后天", D(2026, 2, 2)), ("昨天", D(2026, 1, 30)),
    ("前天", D(2026, 1, 29)),
    ("+10d", D(2026, 2, 10)), ("+0d", TODAY), ("-3d", D(2026, 1, 28)), ("+2w", D(2026, 2, 14)),
    ("+2W", D(2026, 2, 14)), ("-1w", D(2026, 1, 24)), ("+ 5d", D(2026, 2, 5)),
    ("+1m", D(2026, 2, 28)),  # 31 January + a month stays in February
    ("+13m", D(2027, 2, 28)), ("-2m", D(2025, 11, 30)), ("+12m", D(2027, 1, 31)),
    ("2026-11-02", D(2026, 11, 2)), ("2024-02-29", D(2024, 2, 29)),
])
def test_days_people_type(text: str, day: dt.date) -> None:
    assert parse_day(text, TODAY) == day


@pytest.mark.parametrize("text", ["", "soon", "2026-02-30", "2026-13-01", "+d", "10d", "+1y", "+1.5w", "next week",
                                  "02/11/2026"])
def test_what_is_not_a_day_says_what_is(text: str) -> None:
    with pytest.raises(DayError, match=r"is not a date; write YYYY-MM-DD \(2026-11-02\), today, tomorrow"):
        parse_day(text, TODAY)


def test_offsets_off_the_calendar_are_refused() -> None:
    with pytest.raises(DayError, match="lands outside the calendar"):
        parse_day("+9999w", D(9999, 1, 1))
    with pytest.raises(DayError, match="lands outside the calendar"):
        parse_day("-9999m", D(1, 1, 1))


def test_add_months_at_month_ends_and_leap_years() -> None:
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2026, 12, 15), 1) == D(2027, 1, 15)
    assert add_months(D(2026, 1, 15), -1) == D(2025, 12, 15)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
