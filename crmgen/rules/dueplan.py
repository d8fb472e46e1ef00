"""Which reminders show on a given day, from a plan computed once per book.

:func:`crmgen.rules.reminders.plan` turns the clients into a *plan*: every dated
reminder a client could raise, with its title already written, in plain tuples
(dates as ordinals) so the whole plan can be cached in one compact file. Only a
few things depend on the day: the window itself, and birthdays and anniversaries,
which recur every year (their date and title are finished here). :func:`select`
is that last step, shared by ``crmgen due`` on a warm cache (which never builds
a :class:`~crmgen.format.model.Client`) and by :func:`crmgen.rules.reminders.due`, so the two
cannot disagree.

This module imports little beyond the standard library's ``bisect`` and ``datetime``
(and :mod:`crmgen.rules.wording`, for the words of the day): the fast path of the command
line loads it at start-up.

A plan is a dict:

- ``clients``: ``[(slug, name, owner), ...]``, indexed by ``ci`` below;
- ``fixed``: ``[(ordinal, kind, ci, title, amount, key), ...]`` sorted by
  (date, client slug, kind, title, key): the order of the output;
- ``yearly``: ``[(kind, month, day, first_ordinal, base_year, head, ci, key, amount, words), ...]``:
  birthdays (``first_ordinal`` 0, ``base_year`` the birth year or None) and
  anniversaries (from their first occurrence on); ``words``, what the title is made of
  beside the age or the years (:class:`crmgen.rules.kinds.Yearly`), is worded on the day
  (:func:`crmgen.rules.wording.birthday_title`, ``anniversary_title``) in the active language.
  A lunar date has a third word, its lunar day in Chinese: then ``month`` and ``day`` are
  lunar (a negative month is the leap month), ``base_year`` is a lunar year, and the
  Gregorian day is worked out on the day (:func:`next_lunar`);
- ``relative``: ``[(offset, kind, ci, title, key, amount), ...]``: dated ``offset``
  days after today;
- ``spans``: ``[(ordinal, until_ordinal, kind, ci, title, amount, key), ...]``: shown from
  their lead before ``ordinal`` until ``until_ordinal`` (``remind``), never overdue after it.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from crmgen.format.owners import owner_key
from crmgen.rules.wording import anniversary_title, birthday_title

KINDS: tuple[str, ...] = (
    "touch",
    "next",
    "birthday",
    "anniversary",
    "promise",
    "remind",
    "collect",
    "payment",
    "credit",
    "broken",
    "review",
    "usage",
    "service",
    "complaint",
    "rebate",
    "settle",
    "successor",
    "dormant",
    "revisit",
    "win_back",
    "opportunity",
)

# Kinds that are never overdue: they end when their date has passed. (``remind`` and ``rebate`` are
# spans: late from their date until the promise is due or the period ends; see ``spans`` above.)
ENDING_KINDS = frozenset({"birthday", "anniversary"})

# A row of the result: (ordinal, kind, ci, title, amount, key).
Row = tuple


def lead_days(settings: Any) -> dict[str, int]:
    """Days ahead each kind of reminder shows (its lead, ``settings.leads``), with the defaults filled in."""
    from crmgen.load.project import DEFAULT_LEADS

    return {kind: settings.leads.get(kind, DEFAULT_LEADS[kind]) for kind in KINDS}


def select(plan: dict, today: dt.date, ahead: int, leads: dict[str, int]) -> list[Row]:
    """The rows listed on ``today``, in output order.

    A reminder is listed when ``earliest <= date <= today + max(lead, ahead)``;
    ``earliest`` is today for :data:`ENDING_KINDS` and unbounded for the rest.
    """
    t = today.toordinal()
    horizon = {kind: t + max(leads[kind], ahead) for kind in KINDS}
    earliest = {kind: (t if kind in ENDING_KINDS else -1) for kind in KINDS}
    fixed = plan["fixed"]
    # sorted by date: nothing after the furthest horizon can show
    end = bisect_right(fixed, max(horizon.values()), key=_ordinal)
    shown = [r for r in fixed[:end] if earliest[r[1]] <= r[0] <= horizon[r[1]]]

    extra = dynamic_rows(plan, today, horizon, earliest)
    if not extra:
        return shown
    return merge(shown, extra, plan["clients"])


def pick(plan: dict, today: dt.date, ahead: int, leads: dict[str, int], owner: str | None = None,
         kinds: Sequence[str] = ()) -> list[Row]:
    """:func:`select`, then only the clients of ``owner`` (case-insensitive) and the ``kinds`` asked for."""
    rows = select(plan, today, ahead, leads)
    clients = plan["clients"]
    if owner is not None:
        wanted = owner_key(owner)
        rows = [r for r in rows if owner_key(clients[r[2]][2]) == wanted]
    if kinds:
        rows = [r for r in rows if r[1] in kinds]
    return rows


def dynamic_rows(plan: dict, today: dt.date, horizon: dict[str, int], earliest: dict[str, int]) -> list[Row]:
    """The rows whose date depends on today (birthdays, anniversaries, ``relative``) that show."""
    t = today.toordinal()
    extra: list[Row] = []
    for kind, month, day, first, base_year, head, ci, key, amount, words in plan["yearly"]:
        if len(words) > 2:  # a lunar date: its year is the lunar year it falls in
            date, year = next_lunar(month, day, today)
        else:
            date = next_yearly(month, day, today)
            year = date.year
        if first and first > date.toordinal():
            date, year = dt.date.fromordinal(first), base_year
        o = date.toordinal()
        if not earliest[kind] <= o <= horizon[kind]:
            continue
        if kind == "birthday":
            if base_year is not None and year > base_year:
                title = birthday_title(words[0], words[1], year - base_year, *words[2:])
            else:
                title = head
        else:
            title = anniversary_title(words[0], words[1], year - base_year, dt.date.fromordinal(first), *words[2:])
        extra.append((o, kind, ci, title, amount, key))
    for offset, kind, ci, title, key, amount in plan["relative"]:
        o = t + offset
        if earliest[kind] <= o <= horizon[kind]:
            extra.append((o, kind, ci, title, amount, key))
    for o, until, kind, ci, title, amount, key in plan.get("spans", ()):
        if t <= until and o <= horizon[kind]:
            extra.append((o, kind, ci, title, amount, key))
    return extra


def sort_key(clients: list) -> Callable[[Row], tuple]:
    """The output order of rows: date, client slug, kind, title, key."""
    return lambda r: (r[0], clients[r[2]][0], r[1], r[3], r[5])


def merge(rows: list[Row], extra: list[Row], clients: list) -> list[Row]:
    """``rows`` (already in order) with the few ``extra`` rows put in their places."""
    key = sort_key(clients)
    extra.sort(key=key)
    out: list[Row] = []
    start = 0
    for r in extra:
        pos = bisect_right(rows, key(r), lo=start, key=key)
        out.extend(rows[start:pos])
        out.append(r)
        start = pos
    out.extend(rows[start:])
    return out


def _ordinal(row: Row) -> int:
    return row[0]


def next_yearly(month: int, day: int, today: dt.date) -> dt.date:
    """The next ``month``/``day`` on or after today; 29 Feb is 28 Feb in other years."""
    for year in (today.year, today.year + 1):
        when = on_year(year, month, day)
        if when >= today:
            return when
    raise AssertionError("unreachable: next year always comes after today")


def next_lunar(month: int, day: int, today: dt.date) -> tuple[dt.date, int]:
    """The next lunar ``month``/``day`` (a negative month: the leap month) on or after today, and the
    lunar year it falls in (:func:`crmgen.rules.lunar.next_occurrence`). lunar_python is imported
    here, only for a book with a lunar date."""
    from crmgen.rules import lunar

    return lunar.next_occurrence(abs(month), day, month < 0, today)


def next_birthday(birthday: Any, today: dt.date) -> dt.date:
    """The next day on or after today that is ``birthday`` (a :class:`crmgen.format.model.Birthday`,
    Gregorian or lunar)."""
    if birthday.lunar:
        return next_lunar(-birthday.month if birthday.leap else birthday.month, birthday.day, today)[0]
    return next_yearly(birthday.month, birthday.day, today)


def on_year(year: int, month: int, day: int) -> dt.date:
    """``month``/``day`` in ``year``; 29 Feb is 28 Feb in a year that has none."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        if (month, day) == (2, 29):
            return dt.date(year, 2, 28)
        raise
