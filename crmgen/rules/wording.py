"""The words for time: which group a day falls in, and how far away it is; and the reminders' titles.

One vocabulary for ``due``, the site and the dashboard: a day 3 days past is
"3 days late" wherever it is shown, in the group "Overdue".

Everything here is said in the active language (:mod:`crmgen.i18n`): a title is one whole
message with named placeholders, one message per variant (with or without the contact,
the sum, the items...), so that a translator can put the parts in the order of their
language. The plan (:mod:`crmgen.rules.dueplan`) keeps titles already written, in the
language of the run that made it.
"""

from __future__ import annotations

from crmgen.i18n import N_, _, label, ngettext

# The groups of reminders, in English: what ``reminders.group`` is keyed by and the templates
# show with ``{{ _(name) }}``; :func:`group_name` is one in the active language.
GROUPS = (N_("Overdue"), N_("Today"), N_("This week"), N_("Later"))
WEEK = 7  # "This week": from tomorrow to this many days ahead


def group_of(days: int) -> int:
    """The index in :data:`GROUPS` of a reminder ``days`` from today (negative: past)."""
    if days < 0:
        return 0
    if days == 0:
        return 1
    return 2 if days <= WEEK else 3


def group_name(index: int) -> str:
    """The name of the group :data:`GROUPS` ``[index]`` in the active language (``逾期``)."""
    return _(GROUPS[index])


def when(days: int) -> str:
    """``-3`` -> ``3 days late``, ``-1`` -> ``1 day late``, ``0`` -> ``today``, ``1`` ->
    ``tomorrow``, ``5`` -> ``in 5 days``."""
    if days < 0:
        return ngettext("%(num)d day late", "%(num)d days late", -days) % {"num": -days}
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return ngettext("in %(num)d day", "in %(num)d days", days) % {"num": days}


# The words :func:`plural` counts in the active language; any other is counted in English.
_COUNTED = {
    "day": lambda n: ngettext("%(num)d day", "%(num)d days", n),
    "year": lambda n: ngettext("%(num)d year", "%(num)d years", n),
}


def plural(n: int, word: str) -> str:
    """``1 day``, ``2 days`` (``2 天`` in Chinese, for the words crmgen counts)."""
    counted = _COUNTED.get(word)
    if counted is not None:
        return counted(n) % {"num": n}
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- the titles of the reminders, one function per kind ------------------------------
# ``name`` and every other text argument is already on one line (see ``one_line``); an
# optional part (``None``) is left out: each variant is its own message.


def one_line(text: str) -> str:
    """User text on one line: a YAML block scalar must not break a list row or a calendar summary."""
    return " ".join(text.split())


def touch(name: str, contact: str | None, since: str, cadence: int) -> str:
    """``since``: what the cadence counts from, e.g. ``last contact 2026-11-10`` (:func:`touch_since`)."""
    values = {"name": name, "contact": contact, "since": since, "num": cadence}
    if contact is not None:
        return ngettext("Get in touch with %(name)s (%(contact)s) (%(since)s; every %(num)d day)",
                        "Get in touch with %(name)s (%(contact)s) (%(since)s; every %(num)d days)", cadence) % values
    return ngettext("Get in touch with %(name)s (%(since)s; every %(num)d day)",
                    "Get in touch with %(name)s (%(since)s; every %(num)d days)", cadence) % values


_COUNTED_FROM = {
    "contact": N_("last contact %(day)s"),
    "client": N_("client since %(day)s, no contact logged"),
    "added": N_("added %(day)s, no contact logged"),
}


def touch_since(counted_from: str | None, day: object) -> str:
    """What the ``touch`` cadence counts from, in words: the last ``contact``, the day it became a
    ``client``, the day its file was ``added`` to git, or (None) nothing known."""
    if counted_from is None:
        return _("no contact logged")
    return _(_COUNTED_FROM[counted_from]) % {"day": day}


def next_step(name: str, what: str, kind: str, on: object) -> str:
    """``kind``: the interaction the step was written after, as shown (``call``, 电话)."""
    return _("Next step with %(name)s: %(what)s (from the %(kind)s on %(on)s)") % {
        "name": name, "what": what, "kind": kind, "on": on}


def birthday(contact: str, name: str, lunar: str | None = None) -> str:
    """A birthday's title when the age is not known (the head :func:`birthday_title` completes);
    ``lunar``: the lunar day (农历三月初八) of a lunar birthday."""
    if lunar is not None:
        return _("Birthday of %(contact)s at %(name)s (%(lunar)s)") % {"contact": contact, "name": name,
                                                                      "lunar": lunar}
    return _("Birthday of %(contact)s at %(name)s") % {"contact": contact, "name": name}


def birthday_title(contact: str, name: str, turns: int | None, lunar: str | None = None) -> str:
    """A birthday's title, with the age the contact turns when the birth year is known."""
    if turns is None:
        return birthday(contact, name, lunar)
    values = {"contact": contact, "name": name, "age": turns, "lunar": lunar}
    if lunar is not None:
        return _("Birthday of %(contact)s at %(name)s (%(lunar)s), turns %(age)d") % values
    return _("Birthday of %(contact)s at %(name)s, turns %(age)d") % values


def anniversary(what: str, name: str) -> str:
    """An anniversary's head: what :func:`anniversary_title` completes with the years."""
    return _("%(what)s at %(name)s") % {"what": what, "name": name}


def anniversary_title(what: str, name: str, years: int, since: object, lunar: str | None = None) -> str:
    """An anniversary's title, ``years`` after ``since`` (0: its first occurrence); ``lunar``: the
    lunar day (农历五月初九) of a lunar anniversary, ``years`` then counted in lunar years."""
    values = {"what": what, "name": name, "num": years, "since": since, "lunar": lunar}
    if lunar is not None:
        if not years:
            return _("%(what)s at %(name)s (%(lunar)s, on %(since)s)") % values
        return ngettext("%(what)s at %(name)s (%(lunar)s, %(num)d year since %(since)s)",
                        "%(what)s at %(name)s (%(lunar)s, %(num)d years since %(since)s)", years) % values
    if not years:
        return _("%(what)s at %(name)s (on %(since)s)") % values
    return ngettext("%(what)s at %(name)s (%(num)d year since %(since)s)",
                    "%(what)s at %(name)s (%(num)d years since %(since)s)", years) % values


def successor(contact: str, role: str | None, name: str, left: object) -> str:
    values = {"contact": contact, "role": role, "name": name, "left": left}
    if role is not None:
        return _("%(contact)s (%(role)s) left %(name)s on %(left)s: meet whoever replaced them") % values
    return _("%(contact)s left %(name)s on %(left)s: meet whoever replaced them") % values


def promise(name: str, what: str, amount: str | None, due: object) -> str:
    values = {"name": name, "what": what, "amount": amount, "due": due}
    if amount is not None:
        return _("Keep our promise to %(name)s: %(what)s (%(amount)s), due %(due)s") % values
    return _("Keep our promise to %(name)s: %(what)s, due %(due)s") % values


def remind(name: str, what: str, amount: str | None, due: object) -> str:
    values = {"name": name, "what": what, "amount": amount, "due": due}
    if amount is not None:
        return _("Remind %(name)s of their promise: %(what)s (%(amount)s), due %(due)s") % values
    return _("Remind %(name)s of their promise: %(what)s, due %(due)s") % values


def collect(name: str, what: str, amount: str | None, due: object) -> str:
    values = {"name": name, "what": what, "amount": amount, "due": due}
    if amount is not None:
        return _("Collect / confirm with %(name)s: %(what)s (%(amount)s), promised for %(due)s") % values
    return _("Collect / confirm with %(name)s: %(what)s, promised for %(due)s") % values


# The title of a payment, by what is known: (the order's items, a part paid, due by the terms).
_PAYMENT = {
    (False, False, False): N_("Payment from %(name)s: %(owed)s owed on the order of %(on)s, due %(due)s"),
    (True, False, False): N_("Payment from %(name)s: %(owed)s owed on the order of %(on)s (%(items)s), "
                             "due %(due)s"),
    (False, True, False): N_("Payment from %(name)s: %(owed)s owed on the order of %(on)s, "
                             "%(paid)s of %(total)s paid, due %(due)s"),
    (True, True, False): N_("Payment from %(name)s: %(owed)s owed on the order of %(on)s (%(items)s), "
                            "%(paid)s of %(total)s paid, due %(due)s"),
    (False, False, True): N_("Payment from %(name)s: %(owed)s owed on the order of %(on)s, "
                             "due %(due)s by the terms (%(terms)s)"),
    (True, False, True): N_("Payment from %(name)s: %(owed)s owed on the order of %(on)s (%(items)s), "
                            "due %(due)s by the terms (%(terms)s)"),
    (False, True, True): N_("Payment from %(name)s: %(owed)s owed on the order of %(on)s, "
                            "%(paid)s of %(total)s paid, due %(due)s by the terms (%(terms)s)"),
    (True, True, True): N_("Payment from %(name)s: %(owed)s owed on the order of %(on)s (%(items)s), "
                           "%(paid)s of %(total)s paid, due %(due)s by the terms (%(terms)s)"),
}


def payment(name: str, owed: str, on: object, items: str | None, paid: str | None, total: str, due: object,
            terms: str | None = None) -> str:
    """What is owed on the order of ``on`` (with its ``items``); ``paid``: the part paid of
    ``total``; ``terms``: the due day was worked out from these terms (the order has no ``pay_by``)."""
    message = _PAYMENT[items is not None, paid is not None, terms is not None]
    return _(message) % {"name": name, "owed": owed, "on": on, "items": items, "paid": paid, "total": total,
                         "due": due, "terms": terms}


def credit(name: str, owed: str, limit: str, over: str) -> str:
    return _("%(name)s is over its credit limit: owes %(owed)s on a limit of %(limit)s (%(over)s over); "
             "collect before the next order") % {"name": name, "owed": owed, "limit": limit, "over": over}


def broken(name: str, ours: bool, what: str, due: object, on: object) -> str:
    values = {"name": name, "what": what, "due": due, "on": on}
    if ours:
        return _("We broke our promise to %(name)s: %(what)s (due %(due)s, broken %(on)s); "
                 "apologise and agree a new date") % values
    return _("%(name)s broke their promise: %(what)s (due %(due)s, broken %(on)s); "
             "say so plainly and agree a new date") % values


def review(name: str, on: object, items: str | None, delivered: object) -> str:
    """The after-sale review of the order of ``on`` (with its ``items``)."""
    values = {"name": name, "on": on, "items": items, "delivered": delivered}
    if items is not None:
        return _("After-sale review visit at %(name)s: the order of %(on)s (%(items)s), "
                 "delivered %(delivered)s") % values
    return _("After-sale review visit at %(name)s: the order of %(on)s, delivered %(delivered)s") % values


def usage(name: str, on: object, items: str | None, delivered: object) -> str:
    """The usage review of the order of ``on`` (with its ``items``), some weeks after delivery."""
    values = {"name": name, "on": on, "items": items, "delivered": delivered}
    if items is not None:
        return _("Usage review at %(name)s: how is the order of %(on)s (%(items)s) working out? "
                 "Delivered %(delivered)s") % values
    return _("Usage review at %(name)s: how is the order of %(on)s working out? Delivered %(delivered)s") % values


def service(name: str, what: str, product: str | None, last: object | None, first: object | None) -> str:
    """A scheduled service (``what``, for ``product``) after the ``last`` one, else the ``first`` day."""
    values = {"name": name, "what": what, "product": product, "last": last, "first": first}
    if product is not None and last is not None:
        return _("Service at %(name)s: %(what)s for %(product)s (last done %(last)s)") % values
    if product is not None:
        return _("Service at %(name)s: %(what)s for %(product)s (first %(first)s)") % values
    if last is not None:
        return _("Service at %(name)s: %(what)s (last done %(last)s)") % values
    return _("Service at %(name)s: %(what)s (first %(first)s)") % values


# What each of the six steps of complaint handling (DOMAIN.md) asks for (in English: translate
# where shown, as :func:`complaint` does).
STEP_TASKS = {
    "listen": N_("listen and record"),
    "analyse": N_("analyse the cause"),
    "solve": N_("find a solution"),
    "inform": N_("tell the client"),
    "act": N_("carry it out"),
    "review": N_("review so it does not recur"),
}


def complaint(name: str, what: str, opened: object, number: int, step: str) -> str:
    """``step``: the step the complaint is at, as the file says it (shown as its label)."""
    task = _(STEP_TASKS[step]) if step in STEP_TASKS else step
    return _("Complaint from %(name)s: %(what)s (opened %(opened)s; step %(number)d of 6, %(step)s: %(task)s)") % {
        "name": name, "what": what, "opened": opened, "number": number, "step": label("step", step), "task": task}


def revisit(name: str, what: str, closed: object) -> str:
    """The follow-up visit after a complaint was closed."""
    return _("Visit %(name)s after the complaint closed %(closed)s: %(what)s; is the client satisfied now?") % {
        "name": name, "what": what, "closed": closed}


def win_back(name: str, day: object) -> str:
    return _("Win back %(name)s: %(day)s is the day noted to try again (their contract elsewhere ends, a tender "
             "opens); get in touch before it") % {"name": name, "day": day}


def opportunity_expected(name: str, what: str, expected: object) -> str:
    return _("Opportunity with %(name)s: %(what)s was expected to be decided by %(expected)s; "
             "update the date or move it on") % {"name": name, "what": what, "expected": expected}


def opportunity_stale(name: str, what: str, stage: str, since: object) -> str:
    """``stage``: as the team names it (shown as its label)."""
    return _("Opportunity with %(name)s: %(what)s has stayed at %(stage)s since %(since)s; "
             "take the next step or close it") % {"name": name, "what": what, "stage": label("opportunity", stage),
                                                  "since": since}


# The title of a rebate near its next tier, by what is known: (which programme, the money).
_REBATE = {
    (False, False): N_("%(name)s is %(missing)s short of the %(rate)s%% rebate tier "
                       "(%(bought)s of %(over)s bought; the period ends %(end)s)"),
    (True, False): N_("%(name)s is %(missing)s short of the %(rate)s%% tier of %(programme)s "
                      "(%(bought)s of %(over)s bought; the period ends %(end)s)"),
    (False, True): N_("%(name)s is %(missing)s short of the %(rate)s%% rebate tier "
                      "(%(bought)s of %(over)s bought; the period ends %(end)s; "
                      "at that tier the rebate is %(at_next)s, %(now)s now)"),
    (True, True): N_("%(name)s is %(missing)s short of the %(rate)s%% tier of %(programme)s "
                     "(%(bought)s of %(over)s bought; the period ends %(end)s; "
                     "at that tier the rebate is %(at_next)s, %(now)s now)"),
}


def rebate(name: str, missing: str, rate: float, bought: str, over: str, end: object,
           programme: str | None = None, at_next: str | None = None, now: str | None = None) -> str:
    """``programme``: which one, when the client has several; ``at_next``/``now``: the money."""
    message = _REBATE[programme is not None, at_next is not None]
    return _(message) % {"name": name, "missing": missing, "rate": _rate(rate), "bought": bought, "over": over,
                         "end": end, "programme": programme, "at_next": at_next, "now": now}


def rebate_pace(name: str, programme: str, rate: float, day: object, counted: str, needed: str, over: str,
                end: object) -> str:
    return _("%(name)s is behind the pace for the %(rate)s%% tier of %(programme)s: %(counted)s by mid-period "
             "(%(day)s), %(needed)s needed to reach %(over)s by %(end)s; help them plan orders") % {
        "name": name, "programme": programme, "rate": _rate(rate), "day": day, "counted": counted,
        "needed": needed, "over": over, "end": end}


def settle(name: str, programme: str, earned: str, rate: float, counted: str, end: object) -> str:
    return _("Settle %(programme)s with %(name)s: %(earned)s earned (%(rate)s%% tier, %(counted)s counted; "
             "the period ended %(end)s)") % {"name": name, "programme": programme, "earned": earned,
                                             "rate": _rate(rate), "counted": counted, "end": end}


def dormant(name: str, since: object, items: str | None, usual: int | None = None) -> str:
    """``usual``: the customer's usual days between orders, when its own rhythm set the day."""
    values = {"name": name, "since": since, "items": items, "usual": usual}
    if usual is not None and items is not None:
        return _("%(name)s has not ordered since %(since)s (%(items)s), against its usual %(usual)d days between "
                 "orders: time to win them back") % values
    if usual is not None:
        return _("%(name)s has not ordered since %(since)s, against its usual %(usual)d days between orders: "
                 "time to win them back") % values
    if items is not None:
        return _("%(name)s has not ordered since %(since)s (%(items)s): time to win them back") % values
    return _("%(name)s has not ordered since %(since)s: time to win them back") % values


def _rate(rate: float) -> str:
    """A tier's rate as a percentage without the sign: ``0.05`` -> ``5``."""
    return f"{rate * 100:g}"
