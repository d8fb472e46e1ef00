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


# --- the titles of the reminders, one function per kind ------------------------------
# ``name`` and every other text argument is already on one line (see ``one_line``); an
# optional part (``None``) is left out.


def one_line(text: str) -> str:
    """User text on one line: a YAML block scalar must not break a list row or a calendar summary."""
    return " ".join(text.split())


def touch(name: str, contact: str | None, since: str, cadence: int) -> str:
    """``since``: what the cadence counts from, e.g. ``last contact 2026-11-10``."""
    person = f" ({contact})" if contact is not None else ""
    return f"Get in touch with {name}{person} ({since}; every {plural(cadence, 'day')})"


_COUNTED_FROM = {
    "contact": "last contact {}",
    "client": "client since {}, no contact logged",
    "added": "added {}, no contact logged",
}


def touch_since(counted_from: str | None, day: object) -> str:
    """What the ``touch`` cadence counts from, in words: the last ``contact``, the day it became a
    ``client``, the day its file was ``added`` to git, or (None) nothing known."""
    return _COUNTED_FROM[counted_from].format(day) if counted_from is not None else "no contact logged"


def next_step(name: str, what: str, kind: str, on: object) -> str:
    return f"Next step with {name}: {what} (from the {kind} on {on})"


def birthday(contact: str, name: str) -> str:
    """The head of a birthday's title; :func:`birthday_age` ends it."""
    return f"Birthday of {contact} at {name}"


def birthday_age(head: str, turns: int | None) -> str:
    return head + (f", turns {turns}" if turns is not None else "")


def anniversary(what: str, name: str) -> str:
    """The head of an anniversary's title; :func:`anniversary_years` ends it."""
    return f"{what} at {name}"


def anniversary_years(head: str, years: int, since: object) -> str:
    return f"{head} ({plural(years, 'year')} since {since})" if years else f"{head} (on {since})"


def successor(contact: str, role: str | None, name: str, left: object) -> str:
    as_role = f" ({role})" if role is not None else ""
    return f"{contact}{as_role} left {name} on {left}: meet whoever replaced them"


def promise(name: str, what: str, amount: str | None, due: object) -> str:
    return f"Keep our promise to {name}: {what}{_sum(amount)}, due {due}"


def remind(name: str, what: str, amount: str | None, due: object) -> str:
    return f"Remind {name} of their promise: {what}{_sum(amount)}, due {due}"


def collect(name: str, what: str, amount: str | None, due: object) -> str:
    return f"Collect / confirm with {name}: {what}{_sum(amount)}, promised for {due}"


def order(on: object, items: str | None) -> str:
    """How a reminder names an order: ``the order of 2026-10-20 (双十一促销组合装)``."""
    return f"the order of {on}" + (f" ({items})" if items is not None else "")


def payment(name: str, owed: str, order_words: str, paid: str | None, total: str, due: object,
            terms: str | None = None) -> str:
    """``terms``: the due day was worked out from these terms (the order has no ``pay_by``)."""
    part = f", {paid} of {total} paid" if paid is not None else ""
    by_terms = f" by the terms ({terms})" if terms is not None else ""
    return f"Payment from {name}: {owed} owed on {order_words}{part}, due {due}{by_terms}"


def credit(name: str, owed: str, limit: str, over: str) -> str:
    return f"{name} is over its credit limit: owes {owed} on a limit of {limit} ({over} over); collect before the next order"


def broken(name: str, ours: bool, what: str, due: object, on: object) -> str:
    if ours:
        return f"We broke our promise to {name}: {what} (due {due}, broken {on}); apologise and agree a new date"
    return f"{name} broke their promise: {what} (due {due}, broken {on}); say so plainly and agree a new date"


def review(name: str, order_words: str, delivered: object) -> str:
    return f"After-sale review visit at {name}: {order_words}, delivered {delivered}"


# What each of the six steps of complaint handling (DOMAIN.md) asks for.
STEP_TASKS = {
    "listen": "listen and record",
    "analyse": "analyse the cause",
    "solve": "find a solution",
    "inform": "tell the client",
    "act": "carry it out",
    "review": "review so it does not recur",
}


def complaint(name: str, what: str, opened: object, number: int, step: str) -> str:
    task = STEP_TASKS.get(step, step)
    return f"Complaint from {name}: {what} (opened {opened}; step {number} of 6, {step}: {task})"


def rebate(name: str, missing: str, rate: float, bought: str, over: str, end: object,
           programme: str | None = None, at_next: str | None = None, now: str | None = None) -> str:
    """``programme``: which one, when the client has several; ``at_next``/``now``: the money."""
    tier = f"{rate * 100:g}% tier of {programme}" if programme is not None else f"{rate * 100:g}% rebate tier"
    money = f"; at that tier the rebate is {at_next}, {now} now" if at_next is not None else ""
    return (f"{name} is {missing} short of the {tier} "
            f"({bought} of {over} bought; the period ends {end}{money})")


def rebate_pace(name: str, programme: str, rate: float, day: object, counted: str, needed: str, over: str,
                end: object) -> str:
    return (f"{name} is behind the pace for the {rate * 100:g}% tier of {programme}: {counted} by mid-period "
            f"({day}), {needed} needed to reach {over} by {end}; help them plan orders")


def settle(name: str, programme: str, earned: str, rate: float, counted: str, end: object) -> str:
    return (f"Settle {programme} with {name}: {earned} earned ({rate * 100:g}% tier, {counted} counted; "
            f"the period ended {end})")


def dormant(name: str, since: object, items: str | None) -> str:
    what = f" ({items})" if items is not None else ""
    return f"{name} has not ordered since {since}{what}: time to win them back"


def _sum(amount: str | None) -> str:
    return f" ({amount})" if amount is not None else ""
