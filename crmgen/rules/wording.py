"""The words for time: which group a day falls in, and how far away it is.

One vocabulary for ``due``, the site and the dashboard: a day 3 days past is
"3 days late" wherever it is shown, in the group "Overdue".
"""

from __future__ import annotations

GROUPS = ("Overdue", "Today", "This week", "Later")
WEEK = 7  # "This week": from tomorrow to this many days ahead


def group_of(days: int) -> int:
    """The index in :data:`GROUPS` of a reminder ``days`` from today (negative: past)."""
    if days < 0:
        return 0
    if days == 0:
        return 1
    return 2 if days <= WEEK else 3


def when(days: int) -> str:
    """``-3`` -> ``3 days late``, ``-1`` -> ``1 day late``, ``0`` -> ``today``, ``1`` ->
    ``tomorrow``, ``5`` -> ``in 5 days``."""
    if days < 0:
        return f"{plural(-days, 'day')} late"
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def plural(n: int, word: str) -> str:
    """``1 day``, ``2 days``."""
    return f"{n} {word}{'' if n == 1 else 's'}"
