"""The rules: one pure function per reminder kind, each returning small typed records.

Every rule takes ``(client, settings, first_seen)`` and returns what the client could
be reminded of, whatever the day: a :class:`Dated` reminder (a fixed date), a
:class:`Yearly` one (a birthday, an anniversary: the day decides the year) or a
:class:`FromToday` one (counted from whatever day it is). Which of them show on a given
day is :mod:`crmgen.rules.dueplan`'s business; their titles are worded in
:mod:`crmgen.rules.wording`. :data:`RULES` lists them in the order of
:data:`~crmgen.rules.dueplan.KINDS`.

A title is written here, once, in the active language (:mod:`crmgen.i18n`): the plan keeps
it, so whatever caches a plan keys it by the settings, the language among them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from crmgen.format.model import Client, Interaction, Order, Promise
from crmgen.format.money import money
from crmgen.format.terms import DAYS, Terms
from crmgen.i18n import _, label
from crmgen.load.project import Settings
from crmgen.rules import complaints, opportunities, rebates, receivables, wording
from crmgen.rules.wording import one_line

DAY = dt.timedelta(days=1)


class Dated(NamedTuple):
    """A reminder on a fixed date."""

    kind: str
    date: dt.date
    title: str
    amount: float | None = None
    key: str = ""  # what it refers to inside the client, stable while the date and title change


class Yearly(NamedTuple):
    """A reminder that comes back every year on ``month``/``day``."""

    kind: str
    month: int
    day: int
    first: dt.date | None  # not before this day (an anniversary's first occurrence)
    base_year: int | None  # the year it counts from (a birth year; the anniversary's year)
    head: str  # the title without the age or the years
    key: str
    # what the whole title is made of, beside the age or the years: (contact, client name) of a
    # birthday, (what, client name) of an anniversary (see wording.birthday_title, anniversary_title),
    # and a lunar date's day in Chinese (then month and day are lunar: see _lunar_yearly)
    words: tuple[str, ...] = ("", "")


class Until(NamedTuple):
    """A reminder from ``date`` that stays until ``until`` (it is never overdue after that day:
    ``remind``, which ``collect`` follows on the due day)."""

    kind: str
    date: dt.date
    until: dt.date
    title: str
    amount: float | None = None
    key: str = ""


class FromToday(NamedTuple):
    """A reminder ``days`` after whatever day it is (``touch`` when no contact is known)."""

    kind: str
    days: int
    title: str
    key: str = ""


Record = Dated | Yearly | Until | FromToday
Rule = Callable[[Client, Settings, Mapping[str, dt.date]], list[Record]]


def touch(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """Keep in touch at the client's cadence, counted from the last contact (else the day it
    became a client, else the day git first saw its file, else today); not before
    ``blocked_until``. A lost client only at its own ``cadence`` (a light touch), never its grade's."""
    cadence = client.cadence if client.cadence is not None else settings.cadence.get(client.grade)
    if (client.stage == "lost" and client.cadence is None) or cadence is None:
        return []
    known = (("contact", client.last_contact), ("client", client.since), ("added", first_seen.get(client.slug)))
    counted_from, last = next(((what, day) for what, day in known if day is not None), (None, None))
    current = client.current_contacts
    title = wording.touch(one_line(client.name), one_line(current[0].name) if current else None,
                          wording.touch_since(counted_from, last), cadence)
    waits = client.blocked_until
    if last is None:
        return [Dated("touch", waits, title) if waits is not None else FromToday("touch", cadence, title)]
    return [Dated("touch", max(last + cadence * DAY, waits) if waits is not None else last + cadence * DAY, title)]


def next_step(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """The next step written after the latest interaction that has one, until a later one is logged."""
    step = _latest_next(client.interactions)
    if step is None or step.next_date is None or any(i.date >= step.next_date for i in client.interactions):
        return []
    what = one_line(step.next_what or "") or _("follow up")
    # No key: a client has one next step at a time, and its calendar event moves with it
    # (rewording it, or writing a newer one, updates the event instead of adding one).
    return [Dated("next", step.next_date, wording.next_step(one_line(client.name), what,
                                                            label("interaction", step.type), step.date))]


def birthday(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """The birthdays of the current contacts (a lunar one: see :func:`_lunar_yearly`)."""
    name = one_line(client.name)
    out: list[Record] = []
    for c in client.contacts:
        b = c.birthday
        if b is None or c.left is not None:
            continue
        who = one_line(c.name)
        if b.lunar:
            month, words = _lunar_yearly(b.month, b.day, b.leap, (who, name))
            out.append(Yearly("birthday", month, b.day, None, b.year, wording.birthday(who, name, words[2]),
                              c.name, words))
        else:
            out.append(Yearly("birthday", b.month, b.day, None, b.year, wording.birthday(who, name), c.name,
                              (who, name)))
    return out


def anniversary(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """Each of the client's ``dates``, every year from its first occurrence on (a lunar one, on its
    lunar day, the years counted from its lunar year)."""
    name = one_line(client.name)
    out: list[Record] = []
    for a in client.dates:
        what = one_line(a.what)
        if a.lunar is not None:
            year, month, day, leap = a.lunar
            month, words = _lunar_yearly(month, day, leap, (what, name))
            out.append(Yearly("anniversary", month, day, a.date, year, wording.anniversary(what, name),
                              f"{a.date}", words))
        else:
            out.append(Yearly("anniversary", a.date.month, a.date.day, a.date, a.date.year,
                              wording.anniversary(what, name), f"{a.date}", (what, name)))
    return out


def _lunar_yearly(month: int, day: int, leap: bool, words: tuple[str, str]) -> tuple[int, tuple[str, ...]]:
    """The month and the words of a lunar date's :class:`Yearly`, as :func:`crmgen.rules.dueplan.dynamic_rows`
    reads them: the leap month is negative (as lunar_python writes it), and a third word, the
    lunar day in Chinese (农历三月初八), marks the date lunar."""
    from crmgen.rules.lunar import LunarDay

    return (-month if leap else month), (*words, LunarDay(month, day, leap).chinese())


def promise(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """Our open promises, on the day they are due."""
    name = one_line(client.name)
    return [Dated("promise", p.due, wording.promise(name, one_line(p.what), _amount(p.amount, settings), p.due),
                  p.amount, _promise_key(p))
            for p in client.promises if p.is_open and p.by == "us"]


def remind(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """The client's open promises, a few days before they are due (the larger the sum, the earlier),
    until the due day, when ``collect`` takes over; none when the promise was made inside that time."""
    name = one_line(client.name)
    out: list[Record] = []
    for p in client.promises:
        if not p.is_open or p.by == "us":
            continue
        amount = _promise_amount(client, p)
        start = p.due - _remind_days(amount, settings) * DAY
        if p.agreed is not None and p.agreed > start:
            continue  # agreed a day or two before it is due: nothing to remind them of
        out.append(Until("remind", start, p.due - DAY if p.due > start else p.due,
                         wording.remind(name, one_line(p.what), _amount(amount, settings), p.due),
                         amount, _promise_key(p)))
    return out


def collect(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """The client's open promises, on the day they are due (a promise about an order stands for the
    order's payment: one reminder for one debt)."""
    name = one_line(client.name)
    out: list[Record] = []
    for p in client.promises:
        if p.is_open and p.by != "us":
            amount = _promise_amount(client, p)
            out.append(Dated("collect", p.due, wording.collect(name, one_line(p.what), _amount(amount, settings), p.due),
                             amount, _promise_key(p)))
    return out


def payment(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """What is still owed on each order, on the day it is due: ``pay_by``, else by its terms (the
    order's, the client's, else the team's); not for an order an open promise of the client's names."""
    name = one_line(client.name)
    promised = {p.order for p in client.promises if p.order is not None and p.is_open and p.by != "us"}
    out: list[Record] = []
    for o in client.orders:
        due, terms = receivables.due_of(o, client, settings)
        if due is None or o.paid >= o.amount or (o.id is not None and o.id in promised):
            continue
        owed = o.amount - o.paid
        paid = money(o.paid, settings.currency) if o.paid > 0 else None
        title = wording.payment(name, money(owed, settings.currency), o.date, _items(o), paid,
                                money(o.amount, settings.currency), due, _terms(terms) if terms else None)
        out.append(Dated("payment", due, title, owed, _order_key(o)))
    return out


def credit(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """The client owes more than its credit limit: from the order that took it over, until it is
    back under (payments, or a higher limit)."""
    limit = client.credit_limit
    if limit is None or round(client.owed - limit, 2) <= 0:  # to the cent: sums of floats differ by order
        return []
    orders = sorted(client.orders, key=lambda o: (o.date, o.index))
    owed, crossed = 0.0, orders[-1].date  # the last order, should float sums round the crossing away
    for o in orders:
        owed += o.owed
        if owed > limit:
            crossed = o.date
            break
    cur = settings.currency
    return [Dated("credit", crossed, wording.credit(one_line(client.name), money(client.owed, cur), money(limit, cur),
                                                     money(client.owed - limit, cur)), client.owed - limit)]


def broken(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """A broken promise, either side's: respond and agree a new date, until a contact is logged on
    or after the day it was broken, or a new promise of the same side follows it in the file
    (agreed on or after that day; without ``agreed``, due after it)."""
    name = one_line(client.name)
    out: list[Record] = []
    for p in client.promises:
        if p.broken is None:
            continue
        answered = any(i.date >= p.broken for i in client.interactions) or any(
            q.index > p.index and q.by == p.by and (q.agreed >= p.broken if q.agreed is not None else q.due > p.due)
            for q in client.promises)
        if not answered:
            out.append(Dated("broken", p.broken, wording.broken(name, p.by == "us", one_line(p.what), p.due, p.broken),
                             _promise_amount(client, p), _promise_key(p)))
    return out


def review(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """The after-sale review of each delivered order not reviewed yet."""
    name = one_line(client.name)
    return [Dated("review", o.delivered + settings.review_after * DAY,
                  wording.review(name, o.date, _items(o), o.delivered), key=_order_key(o))
            for o in client.orders if o.delivered and o.reviewed is None]


def usage(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """The usage review of the latest delivered order, ``usage_after`` days after delivery, until
    ``usage_reviewed``. Only the latest: a later delivery is the client using and buying again, and
    its own review follows it (a book kept before this rule raises one per client, not one per order)."""
    delivered = [o for o in client.orders if o.delivered is not None]
    if not delivered:
        return []
    o = max(delivered, key=lambda o: (o.delivered, o.date, o.index))
    if o.usage_reviewed is not None or o.delivered is None:
        return []
    return [Dated("usage", o.delivered + settings.usage_after * DAY,
                  wording.usage(one_line(client.name), o.date, _items(o), o.delivered), key=_order_key(o))]


def service(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """Each scheduled service when the next one is due (the last one's day, else the first's, plus
    ``every``), until the schedule's ``until``."""
    name = one_line(client.name)
    out: list[Record] = []
    for s in client.services:
        due = s.next_due
        if due is None:
            continue
        product = one_line(s.product) if s.product else None
        title = wording.service(name, one_line(s.what), product, s.last, s.from_)
        out.append(Dated("service", due, title, key=f"{one_line(s.what)}:{s.from_ or s.product or ''}"))
    return out


def complaint(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """Each open complaint when the step being worked on is due (the day it was reached and that
    step's days: :func:`crmgen.rules.complaints.due`), with the step it is at."""
    name = one_line(client.name)
    out: list[Record] = []
    for c in client.complaints:
        day = complaints.due(c, settings)
        if day is None:
            continue
        what = one_line(c.what)
        out.append(Dated("complaint", day, wording.complaint(name, what, c.opened, complaints.number(c.step), c.step),
                         key=f"{c.opened}"))
    return out


def revisit(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """Each closed complaint, ``complaint_visit_after`` days after closing, until ``visited`` or a
    contact (not a note) is logged after the day it closed."""
    name = one_line(client.name)
    out: list[Record] = []
    for c in client.complaints:
        day = complaints.visit_due(c, settings, client.interactions)
        if day is None or c.closed is None:
            continue
        out.append(Dated("revisit", day, wording.revisit(name, one_line(c.what), c.closed), key=f"{c.opened}"))
    return out


def win_back(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """The day noted to win a client back, shown its lead (``leads.win_back``, three weeks) before; until
    a contact is logged from that lead's first day on."""
    day = client.win_back
    if day is None:
        return []
    since = day - settings.leads.get("win_back", 21) * DAY
    if any(i.date >= since and i.type != "note" for i in client.interactions):
        return []
    return [Dated("win_back", day, wording.win_back(one_line(client.name), day))]


def opportunity(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """Each open opportunity the day after its expected day, or when it has stayed in its stage
    ``opportunity_stale`` days (:func:`crmgen.rules.opportunities.attention`)."""
    name = one_line(client.name)
    out: list[Record] = []
    for o in client.opportunities:
        seen = opportunities.attention(o, settings)
        if seen is None:
            continue
        what = one_line(o.what)
        if seen.why == "expected":
            title = wording.opportunity_expected(name, what, o.expected)
        else:
            title = wording.opportunity_stale(name, what, opportunities.stage(o, settings), o.since or o.opened)
        # its identity: the id, else the day it was found, else what it is
        key = o.id if o.id is not None else (f"{o.opened}" if o.opened is not None else what)
        out.append(Dated("opportunity", seen.date, title, amount=o.amount, key=key))
    return out


def rebate(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """For each programme: near its next tier (``rebate_near`` of it), ``rebate_action`` days before
    the period ends, leaving time to order and deliver; behind the pace for its next tier at
    mid-period. Each stays until the period ends (or the tier is reached)."""
    name, cur = one_line(client.name), settings.currency
    several = len(client.programmes) > 1
    out: list[Record] = []
    for reb in client.programmes:
        if reb.end is None or not reb.tiers:
            continue
        now = rebates.standing(client, reb)
        which = one_line(rebates.label(reb)) if several or reb.name else None
        suffix = _programme_key(client, reb)
        tier = now.next
        if tier is not None and now.total >= settings.rebate_near * tier.over:
            act = max(reb.end - settings.rebate_action * DAY, reb.start or reb.end)
            title = wording.rebate(name, money(now.missing, cur), tier.rate, money(now.total, cur),
                                   money(tier.over, cur), reb.end, which, money(now.at_next or 0, cur),
                                   money(now.earned, cur))
            out.append(Until("rebate", act, reb.end, title, now.missing, f"{reb.end}:{tier.over}{suffix}"))
            continue
        at_mid = rebates.pace(client, reb)
        if at_mid is not None and at_mid.behind and now.total < at_mid.target.over:
            title = wording.rebate_pace(name, one_line(rebates.label(reb)), at_mid.target.rate, at_mid.day,
                                        money(at_mid.counted, cur), money(at_mid.needed, cur),
                                        money(at_mid.target.over, cur), reb.end)
            out.append(Until("rebate", at_mid.day, reb.end, title, at_mid.target.over - now.total,
                             f"{reb.end}:{at_mid.target.over}:pace{suffix}"))
    return out


def settle(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """A programme whose period has ended with a tier reached: we owe the rebate, until ``settled``."""
    out: list[Record] = []
    for reb in client.programmes:
        if reb.end is None or reb.settled is not None:
            continue
        done = rebates.standing(client, reb)
        if done.reached is None or done.earned <= 0:
            continue
        title = wording.settle(one_line(client.name), one_line(rebates.label(reb)), money(done.earned, settings.currency),
                               done.reached.rate, money(done.total, settings.currency), reb.end)
        out.append(Dated("settle", reb.end + DAY, title, done.earned, f"{reb.end}{_programme_key(client, reb)}"))
    return out


def _programme_key(client: Client, reb: Any) -> str:
    """What the calendar knows a rebate programme by, beside its end: nothing more when no other
    programme of the client ends that day, else its start, then its name, and only when all of
    those are shared its place in the list (never its place otherwise: adding a programme above
    it keeps its events)."""
    same_end = [r for r in client.programmes if r.end == reb.end]
    if len(same_end) == 1:
        return ""
    same_start = [r for r in same_end if r.start == reb.start]
    if len(same_start) == 1:
        return f":from {reb.start}"
    same_name = [r for r in same_start if r.name == reb.name]
    if len(same_name) == 1:
        return f":from {reb.start}:{reb.name or ''}"
    return f":from {reb.start}:{reb.name or ''}:{same_name.index(reb) + 1}"


def successor(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """Someone left and no contact was logged since: meet whoever replaced them."""
    name = one_line(client.name)
    out: list[Record] = []
    for c in client.contacts:
        left = c.left
        if left is None or any(i.date > left for i in client.interactions):
            continue
        role = one_line(c.role) if c.role else None
        out.append(Dated("successor", left + settings.successor_after * DAY,
                         wording.successor(one_line(c.name), role, name, left), key=c.name))
    return out


def dormant(client: Client, settings: Settings, first_seen: Mapping[str, dt.date]) -> list[Record]:
    """A customer that has stopped ordering: against its own rhythm (:func:`order_rhythm`), else
    ``dormant_after`` days after its latest order."""
    if client.stage != "customer" or not client.orders:
        return []
    latest = max(client.orders, key=lambda o: (o.date, o.index))
    items = one_line(latest.items) if latest.items else None
    usual = order_rhythm(client)
    if usual is None:
        return [Dated("dormant", latest.date + settings.dormant_after * DAY,
                      wording.dormant(one_line(client.name), latest.date, items))]
    wait = min(max((usual * 3 + 1) // 2, settings.dormant_min), settings.dormant_after)  # 1.5 × usual, half up
    return [Dated("dormant", latest.date + wait * DAY, wording.dormant(one_line(client.name), latest.date, items,
                                                                       usual))]


def order_rhythm(client: Client) -> int | None:
    """A customer's usual days between orders: the median of the gaps between its order days, once
    it has three orders or more (two gaps); None before that."""
    days = sorted({o.date for o in client.orders})
    gaps = sorted((b - a).days for a, b in zip(days, days[1:], strict=False))
    if len(gaps) < 2:
        return None
    mid = len(gaps) // 2
    return gaps[mid] if len(gaps) % 2 else round((gaps[mid - 1] + gaps[mid]) / 2)


RULES: dict[str, Rule] = {
    "touch": touch,
    "next": next_step,
    "birthday": birthday,
    "anniversary": anniversary,
    "promise": promise,
    "remind": remind,
    "collect": collect,
    "payment": payment,
    "credit": credit,
    "broken": broken,
    "review": review,
    "usage": usage,
    "service": service,
    "complaint": complaint,
    "rebate": rebate,
    "settle": settle,
    "successor": successor,
    "dormant": dormant,
    "revisit": revisit,
    "win_back": win_back,
    "opportunity": opportunity,
}


def _amount(amount: float | None, settings: Settings) -> str | None:
    return money(amount, settings.currency) if amount is not None else None


def _promise_amount(client: Client, p: Any) -> float | None:
    """A promise's sum: its own, else what is still owed on the order it names."""
    if p.amount is not None or p.order is None:
        return p.amount
    return next((o.owed for o in client.orders if o.id == p.order), None)


def _promise_key(p: Promise) -> str:
    """What the calendar knows a promise by: its ``id``, else its side and due day.

    Never its wording or its place in the list: fixing a typo or adding a promise above it
    keeps its events' UIDs. Without an id, a new ``due`` is a new event (an id keeps it).
    """
    return f"id:{p.id}" if p.id is not None else f"{p.by}:{p.due}"


def _items(o: Order) -> str | None:
    """What an order's title says it was: its ``items`` on one line (None: nothing said)."""
    return one_line(o.items) if o.items else None


def _terms(terms: Terms) -> str:
    """Payment terms as written, but for the days a bare number makes (``terms: 30`` is
    ``30 days``), said in the active language (as the client page says them)."""
    if terms.kind == DAYS and terms.text == f"{terms.days} days":
        return _("%(n)s days") % {"n": terms.days}
    return str(terms)


def _order_key(o: Order) -> str:
    """What the calendar knows an order by: its ``id``, else its date (never its place in the
    list or its ``items``, which inserting an older order or rewording would change)."""
    return f"id:{o.id}" if o.id is not None else f"{o.date}"


def _latest_next(interactions: Iterable[Interaction]) -> Interaction | None:
    """The latest interaction with a ``Next:`` line; on a tie, the one further down the file."""
    best: tuple[dt.date, int] | None = None
    found = None
    for pos, i in enumerate(interactions):
        if i.next_date is None:
            continue
        rank = (i.date, pos)
        if best is None or rank >= best:
            best, found = rank, i
    return found


def _remind_days(amount: float | None, settings: Settings) -> int:
    """Days before a client's due date to remind them: the larger the sum, the earlier."""
    value = amount or 0.0
    for under, ahead in settings.remind_steps:
        if under is None or value < under:
            return ahead
    return settings.remind_steps[-1][1] if settings.remind_steps else 0
