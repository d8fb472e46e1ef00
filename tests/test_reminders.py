"""The reminder rules, each at its edges: the day before, of and after its date and its lead."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmgen.format.model import (
    Anniversary,
    Birthday,
    Client,
    Complaint,
    Contact,
    Interaction,
    Opportunity,
    Order,
    Promise,
    Rebate,
    RebateTier,
    Service,
)
from crmgen.load.project import Settings
from crmgen.rules.reminders import KINDS, Reminder, due, group

D = dt.date
TODAY = D(2026, 12, 1)


def client(slug: str = "acme", **kw) -> Client:
    kw.setdefault("name", "Acme")
    kw.setdefault("grade", "B")
    return Client(slug=slug, path=f"clients/{slug}.md", **kw)


def visit(date: dt.date, next_date: dt.date | None = None, next_what: str | None = None) -> Interaction:
    return Interaction(date=date, type="visit", summary="talked", next_date=next_date, next_what=next_what)


def kinds(
    c: Client | list[Client], today: dt.date = TODAY, within: int = 0, **kw
) -> list[tuple[str, dt.date]]:
    clients = c if isinstance(c, list) else [c]
    return [(r.kind, r.date) for r in due(clients, today, Settings(), within=within, **kw)]


def of_kind(kind: str, c: Client, today: dt.date = TODAY, within: int = 0, **kw) -> list[Reminder]:
    return [r for r in due([c], today, Settings(), within=within, **kw) if r.kind == kind]


def no_touch(**kw) -> Client:
    """A client whose touch reminder is far away (contact logged today), to isolate other kinds."""
    interactions = kw.pop("interactions", (visit(TODAY),))
    kw.setdefault("grade", "F")  # cadence 90 days
    return client(interactions=interactions, **kw)


# --- the listing window --------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "within", "shown"),
    [(7, 7, True), (8, 7, False), (0, 0, True), (1, 0, False), (30, 30, True), (31, 30, False)],
)
def test_window_is_within_days_for_lead_zero_kinds(offset, within, shown):
    c = client(grade="A", interactions=(visit(TODAY - dt.timedelta(days=7 - offset)),))
    assert bool(of_kind("touch", c, within=within)) is shown


def test_within_defaults_to_settings():
    c = client(grade="A", interactions=(visit(TODAY - dt.timedelta(days=7 - 10)),))  # due in 10 days
    assert due([c], TODAY, Settings()) == []
    assert [r.kind for r in due([c], TODAY, Settings(within=10))] == ["touch"]
    assert [r.kind for r in due([c], TODAY, Settings(within=10), within=9)] == []


def test_lead_widens_the_window_beyond_within():
    # Payment lead is 7: shown 7 days ahead even with within 0, not 8.
    o = Order(date=D(2026, 11, 1), amount=100, pay_by=TODAY + dt.timedelta(days=7))
    assert [r.kind for r in of_kind("payment", no_touch(orders=(o,)))] == ["payment"]
    o8 = dataclasses.replace(o, pay_by=TODAY + dt.timedelta(days=8))
    assert of_kind("payment", no_touch(orders=(o8,))) == []


def test_lead_setting_is_used():
    s = Settings()
    s.leads = {**s.leads, "payment": 10}
    o = Order(date=D(2026, 11, 1), amount=100, pay_by=TODAY + dt.timedelta(days=10))
    rs = [r for r in due([no_touch(orders=(o,))], TODAY, s, within=0) if r.kind == "payment"]
    assert [(r.lead, r.days) for r in rs] == [(10, 10)]


# --- touch ---------------------------------------------------------------------


def test_touch_counts_from_latest_interaction_with_grade_cadence():
    c = client(grade="B", interactions=(visit(D(2026, 10, 1)), visit(D(2026, 11, 20)), visit(D(2026, 11, 2))))
    (r,) = of_kind("touch", c, within=7)
    assert (r.date, r.days, r.lead) == (D(2026, 12, 4), 3, 0)
    assert r.title == "Get in touch with Acme (last contact 2026-11-20; every 14 days)"


@pytest.mark.parametrize(("grade", "days"), [("A", 7), ("B", 14), ("C", 30), ("D", 30), ("E", 60), ("F", 90)])
def test_touch_cadence_by_grade(grade, days):
    c = client(grade=grade, interactions=(visit(D(2026, 1, 1)),))
    (r,) = of_kind("touch", c)
    assert r.date == D(2026, 1, 1) + dt.timedelta(days=days)


def test_touch_own_cadence_wins_and_names_contact():
    c = client(
        grade="F",
        cadence=3,
        contacts=(Contact(name="王伟", left=D(2026, 1, 1)), Contact(name="李娜")),
        interactions=(visit(D(2026, 11, 28)),),
    )
    (r,) = of_kind("touch", c)
    assert (r.date, r.days) == (D(2026, 12, 1), 0)
    assert r.title == "Get in touch with Acme (李娜) (last contact 2026-11-28; every 3 days)"


def test_touch_stays_overdue_until_an_interaction_is_logged():
    c = client(grade="A", interactions=(visit(D(2026, 1, 1)),))
    (r,) = of_kind("touch", c)
    assert (r.date, r.days) == (D(2026, 1, 8), -327)
    logged = dataclasses.replace(c, interactions=(*c.interactions, visit(TODAY)))
    assert of_kind("touch", logged) == []


def test_touch_fallbacks_since_then_git_then_today():
    c = client(grade="A", since=D(2026, 11, 20))
    assert [r.date for r in of_kind("touch", c, first_seen={"acme": D(2026, 11, 1)})] == [D(2026, 11, 27)]
    c = client(grade="A")
    (r,) = of_kind("touch", c, first_seen={"acme": D(2026, 11, 1)})
    assert (r.date, r.title) == (
        D(2026, 11, 8),
        "Get in touch with Acme (added 2026-11-01, no contact logged; every 7 days)",
    )
    assert of_kind("touch", c, within=7, first_seen={"other": D(2026, 11, 1)})[0].date == D(2026, 12, 8)


def test_touch_not_for_lost_clients():
    assert of_kind("touch", client(grade="A", stage="lost", since=D(2020, 1, 1))) == []


def test_a_lost_client_is_touched_at_its_own_cadence_only():
    lost = client(grade="A", stage="lost", cadence=180, interactions=(visit(D(2026, 6, 1)),))
    assert [r.date for r in of_kind("touch", lost)] == [D(2026, 11, 28)]  # 06-01 + 180 days


def test_no_touch_before_blocked_until():
    waiting = client(grade="C", interactions=(visit(D(2026, 10, 1)),), blocked_until=D(2027, 3, 1))
    assert of_kind("touch", waiting, within=89) == []  # not due in the next 89 days: 10-31 moved to 03-01
    assert [r.date for r in of_kind("touch", waiting, within=90)] == [D(2027, 3, 1)]
    free = dataclasses.replace(waiting, blocked_until=D(2026, 10, 15))
    assert [r.date for r in of_kind("touch", free)] == [D(2026, 10, 31)]  # already past: the cadence rules
    unknown = client(grade="C", blocked_until=D(2026, 12, 20))  # no contact known: from that day
    assert [r.date for r in of_kind("touch", unknown, within=30)] == [D(2026, 12, 20)]


def test_win_back_three_weeks_before_until_a_contact():
    lost = client(grade="F", stage="lost", win_back=D(2026, 12, 20), interactions=(visit(D(2026, 6, 1)),))
    (r,) = of_kind("win_back", lost)
    assert (r.date, r.days, r.lead) == (D(2026, 12, 20), 19, 21)  # shown from 11-29
    assert r.title.startswith("Win back Acme: 2026-12-20 is the day noted to try again")
    assert of_kind("win_back", lost, today=D(2026, 11, 28)) == []
    called = dataclasses.replace(lost, interactions=(*lost.interactions, visit(D(2026, 11, 30))))
    assert of_kind("win_back", called) == []
    assert len(of_kind("touch", client(grade="A", stage="dormant", since=D(2020, 1, 1)))) == 1


# --- next ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "days"), [(D(2026, 12, 9), None), (D(2026, 12, 10), 0), (D(2026, 12, 11), -1)]
)
def test_next_before_on_after(today, days):
    c = client(grade="F", interactions=(visit(D(2026, 12, 1), D(2026, 12, 10), "send samples"),))
    rs = of_kind("next", c, today=today)  # lead 0, within 0: shown from its day on
    assert [r.days for r in rs] == ([] if days is None else [days])
    for r in rs:
        assert r.title == "Next step with Acme: send samples (from the visit on 2026-12-01)"


def test_next_not_shown_before_its_window():
    c = client(grade="F", interactions=(visit(D(2026, 12, 1), D(2026, 12, 10), "x"),))
    assert of_kind("next", c, today=D(2026, 12, 2), within=7) == []
    assert len(of_kind("next", c, today=D(2026, 12, 3), within=7)) == 1


def test_next_resolved_by_interaction_on_or_after_its_date():
    first = visit(D(2026, 12, 1), D(2026, 12, 10), "x")
    for logged, resolved in [(D(2026, 12, 9), False), (D(2026, 12, 10), True), (D(2026, 12, 11), True)]:
        c = client(grade="F", interactions=(first, visit(logged)))
        assert (of_kind("next", c, today=D(2026, 12, 20)) == []) is resolved


def test_later_interaction_with_next_supersedes():
    c = client(
        grade="F",
        interactions=(
            visit(D(2026, 11, 1), D(2026, 11, 5), "call back"),
            visit(D(2026, 11, 3), D(2026, 12, 20), "send contract"),
            visit(D(2026, 11, 4)),  # a later contact without Next: keeps the step
        ),
    )
    (r,) = of_kind("next", c, within=30)
    assert (r.date, r.title) == (
        D(2026, 12, 20),
        "Next step with Acme: send contract (from the visit on 2026-11-03)",
    )


# --- birthday / anniversary -----------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 12, 2), None),  # 8 days before: outside the 7-day lead
        (D(2026, 12, 3), 7),
        (D(2026, 12, 10), 0),
        (D(2026, 12, 11), None),  # passed: never overdue, next year's is far away
    ],
)
def test_birthday_lead_and_never_overdue(today, expected):
    c = no_touch(contacts=(Contact(name="王伟", birthday=Birthday(12, 10, 1980)),))
    rs = of_kind("birthday", c, today=today)
    assert [r.days for r in rs] == ([] if expected is None else [expected])


def test_birthday_title_age_and_left_contacts():
    c = no_touch(
        contacts=(
            Contact(name="王伟", birthday=Birthday(12, 5, 1980)),
            Contact(name="李娜", birthday=Birthday(12, 6), left=D(2026, 6, 1)),
            Contact(name="Bob", birthday=Birthday(12, 7)),
        )
    )
    assert [r.title for r in of_kind("birthday", c)] == [
        "Birthday of 王伟 at Acme, turns 46",
        "Birthday of Bob at Acme",
    ]


def test_birthday_next_year_across_new_year():
    c = no_touch(contacts=(Contact(name="A", birthday=Birthday(1, 2)),))
    assert [(r.date, r.days) for r in of_kind("birthday", c, today=D(2026, 12, 30))] == [(D(2027, 1, 2), 3)]


@pytest.mark.parametrize(
    ("today", "date"),
    [
        (D(2027, 2, 21), D(2027, 2, 28)),  # non-leap: 28 Feb
        (D(2027, 2, 28), D(2027, 2, 28)),
        (D(2028, 2, 22), D(2028, 2, 29)),  # leap year: 29 Feb itself
        (D(2028, 2, 29), D(2028, 2, 29)),
    ],
)
def test_birthday_29_february(today, date):
    c = no_touch(interactions=(visit(today),), contacts=(Contact(name="A", birthday=Birthday(2, 29, 2000)),))
    assert [r.date for r in of_kind("birthday", c, today=today)] == [date]


def test_birthday_29_february_passed_in_non_leap_year():
    c = no_touch(contacts=(Contact(name="A", birthday=Birthday(2, 29)),))
    assert of_kind("birthday", c, today=D(2027, 3, 1), within=400)[0].date == D(2028, 2, 29)


def test_anniversary_yearly():
    c = no_touch(dates=(Anniversary(what="First deal", date=D(2019, 12, 5)),))
    (r,) = of_kind("anniversary", c)
    assert (r.date, r.lead, r.title) == (D(2026, 12, 5), 7, "First deal at Acme (7 years since 2019-12-05)")
    assert of_kind("anniversary", c, today=D(2026, 11, 27)) == []
    assert of_kind("anniversary", c, today=D(2026, 12, 6)) == []
    leap = no_touch(dates=(Anniversary(what="Founded", date=D(2016, 2, 29)),))
    assert [r.date for r in of_kind("anniversary", leap, today=D(2026, 2, 25))] == [D(2026, 2, 28)]


# --- promises --------------------------------------------------------------------


def promise(by: str, **kw) -> Promise:
    kw.setdefault("what", "deliver 20 drums")
    kw.setdefault("due", D(2026, 12, 10))
    return Promise(by=by, **kw)


@pytest.mark.parametrize(
    ("today", "days"),
    [
        (D(2026, 12, 6), None),
        (D(2026, 12, 7), 3),
        (D(2026, 12, 10), 0),
        (D(2026, 12, 11), -1),
        (D(2027, 3, 1), -81),
    ],
)
def test_our_promise_lead_3_and_overdue_while_open(today, days):
    c = no_touch(interactions=(visit(today),), promises=(promise("us", amount=5000),))
    rs = of_kind("promise", c, today=today)
    assert [r.days for r in rs] == ([] if days is None else [days])
    for r in rs:
        assert (r.amount, r.title) == (
            5000,
            "Keep our promise to Acme: deliver 20 drums (¥5,000), due 2026-12-10",
        )


@pytest.mark.parametrize("closed", [{"kept": D(2026, 12, 9)}, {"broken": D(2026, 12, 12)}])
@pytest.mark.parametrize("by", ["us", "client"])
def test_kept_or_broken_promises_give_nothing(closed, by):
    c = no_touch(interactions=(visit(D(2026, 12, 12)),), promises=(promise(by, **closed),))
    assert kinds(c, today=D(2026, 12, 12), within=30) == []
    assert kinds(c, today=D(2026, 12, 5), within=30) == []
    still_open = dataclasses.replace(c, promises=(promise(by),))
    assert kinds(still_open, today=D(2026, 12, 12), within=30) != []


@pytest.mark.parametrize(
    ("amount", "ahead"),
    [(None, 2), (0, 2), (9_999.99, 2), (10_000, 5), (99_999, 5), (100_000, 10), (5_000_000, 10)],
)
def test_remind_grows_with_amount(amount, ahead):
    c = no_touch(promises=(promise("client", amount=amount, what="pay invoice 88", due=D(2026, 12, 20)),))
    (r,) = of_kind("remind", c, within=30)
    assert (r.date, r.lead, r.amount) == (D(2026, 12, 20) - dt.timedelta(days=ahead), 0, amount)


def test_remind_steps_from_settings():
    s = Settings(remind_steps=[(500, 1), (None, 20)])
    c = no_touch(promises=(promise("client", amount=600),))
    # 2026-11-20 is before today: remind is late but stays until the due day, collect is ahead.
    assert [r.kind for r in due([c], TODAY, s, within=30)] == ["remind", "collect"]
    assert [r.date for r in due([c], D(2026, 11, 20), s, within=0) if r.kind == "remind"] == [D(2026, 11, 20)]


@pytest.mark.parametrize(
    ("today", "listed"),
    [
        (D(2026, 12, 4), []),
        (D(2026, 12, 5), [("remind", 0)]),  # 50,000: remind 5 days ahead
        (D(2026, 12, 6), [("remind", -1)]),  # missed yesterday: still there to do
        (D(2026, 12, 9), [("remind", -4)]),  # the last day before it is due
        (D(2026, 12, 10), [("collect", 0)]),  # the due day: collect takes over
        (D(2026, 12, 11), [("collect", -1)]),  # stays until kept or broken
    ],
)
def test_client_promise_remind_then_collect(today, listed):
    c = no_touch(
        interactions=(visit(today),), promises=(promise("client", amount=50_000, what="pay ¥50,000"),)
    )
    got = [(r.kind, r.days) for r in due([c], today, Settings(), within=0) if r.kind != "touch"]
    assert got == listed


def test_titles_are_one_line():
    c = no_touch(promises=(promise("us", what="deliver\n20 drums\r\n  by truck\n"),))
    assert [r.title for r in of_kind("promise", c, within=30)] == [
        "Keep our promise to Acme: deliver 20 drums by truck, due 2026-12-10"
    ]


def test_collect_and_remind_titles():
    c = no_touch(promises=(promise("client", what="pay the deposit", amount=12_000.5),))
    rs = {r.kind: r.title for r in due([c], D(2026, 12, 5), Settings(), within=10)}
    assert rs["remind"] == "Remind Acme of their promise: pay the deposit (¥12,000.50), due 2026-12-10"
    assert (
        rs["collect"] == "Collect / confirm with Acme: pay the deposit (¥12,000.50), promised for 2026-12-10"
    )


# --- orders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid", "owed"), [(0, 50_000.0), (20_000, 30_000.0), (49_999.5, 0.5), (50_000, None)]
)
def test_payment_partial(paid, owed):
    o = Order(date=D(2026, 11, 1), amount=50_000, paid=paid, pay_by=D(2026, 11, 30), items="机油 20桶")
    rs = of_kind("payment", no_touch(orders=(o,)))
    assert [r.amount for r in rs] == ([] if owed is None else [owed])
    if paid == 20_000:
        assert rs[0].title == (
            "Payment from Acme: ¥30,000 owed on the order of 2026-11-01 (机油 20桶), "
            "¥20,000 of ¥50,000 paid, due 2026-11-30"
        )
        assert rs[0].days == -1


def test_payment_lead_edges_and_no_pay_by():
    o = Order(date=D(2026, 11, 1), amount=100, pay_by=D(2026, 12, 10))
    assert [r.days for r in of_kind("payment", no_touch(orders=(o,)), today=D(2026, 12, 2))] == []
    assert [r.days for r in of_kind("payment", no_touch(orders=(o,)), today=D(2026, 12, 3))] == [7]
    # without pay_by: due by the team's terms (30 days) from the order date
    (r,) = of_kind("payment", no_touch(orders=(dataclasses.replace(o, pay_by=None),)), within=400)
    assert r.date == D(2026, 12, 1) and "by the terms (30 days)" in r.title


@pytest.mark.parametrize(
    ("today", "days"), [(D(2026, 12, 7), None), (D(2026, 12, 8), 0), (D(2026, 12, 9), -1)]
)
def test_review_after_delivery(today, days):
    o = Order(date=D(2026, 11, 1), amount=100, paid=100, delivered=D(2026, 12, 1), items="纸箱")
    rs = of_kind("review", no_touch(interactions=(visit(today),), orders=(o,)), today=today)
    assert [r.days for r in rs] == ([] if days is None else [days])
    if rs:
        assert (
            rs[0].title
            == "After-sale review visit at Acme: the order of 2026-11-01 (纸箱), delivered 2026-12-01"
        )
    reviewed = dataclasses.replace(o, reviewed=D(2026, 12, 8))
    assert of_kind("review", no_touch(orders=(reviewed,)), today=today) == []


def test_review_after_setting():
    o = Order(date=D(2026, 11, 1), amount=100, paid=100, delivered=D(2026, 11, 1))
    rs = [
        r
        for r in due([no_touch(orders=(o,))], TODAY, Settings(review_after=30), within=0)
        if r.kind == "review"
    ]
    assert [r.date for r in rs] == [D(2026, 12, 1)]


# --- complaints ----------------------------------------------------------------------


def test_complaint_when_its_step_is_due_names_the_step():
    # analyse reached 11-28: its 3 days end 12-01 (today)
    comp = Complaint(opened=D(2026, 11, 26), what="桶漏油", step="analyse", steps=(("analyse", D(2026, 11, 28)),))
    (r,) = of_kind("complaint", no_touch(complaints=(comp,)))
    assert (r.date, r.days) == (D(2026, 12, 1), 0)
    assert (
        r.title == "Complaint from Acme: 桶漏油 (opened 2026-11-26; step 2 of 6, analyse: analyse the cause)"
    )
    assert of_kind("complaint", no_touch(complaints=(comp,)), today=D(2026, 11, 30)) == []
    assert [r.days for r in of_kind("complaint", no_touch(complaints=(comp,)), today=D(2026, 12, 2))] == [-1]
    # the next step reached: its own days count from its day
    moved = dataclasses.replace(comp, step="solve", steps=(*comp.steps, ("solve", D(2026, 12, 1))))
    assert [r.date for r in of_kind("complaint", no_touch(complaints=(moved,)), today=D(2026, 12, 2), within=7)] == [
        D(2026, 12, 6)]
    closed = dataclasses.replace(comp, step="review", closed=D(2026, 12, 2))
    assert of_kind("complaint", no_touch(complaints=(closed,)), today=D(2026, 12, 3)) == []


def test_revisit_after_a_complaint_closed_until_visited():
    comp = Complaint(opened=D(2026, 11, 1), what="桶漏油", step="review", closed=D(2026, 11, 17))
    before = (visit(D(2026, 11, 10)),)  # the last contact before it closed
    (r,) = of_kind("revisit", no_touch(complaints=(comp,), interactions=before))
    assert (r.date, r.days) == (D(2026, 12, 1), 0)
    assert r.title == ("Visit Acme after the complaint closed 2026-11-17: 桶漏油; is the client satisfied now?")
    visited = dataclasses.replace(comp, visited=D(2026, 11, 30))
    assert of_kind("revisit", no_touch(complaints=(visited,), interactions=before)) == []
    # a contact logged after it closed is the visit; a note, or a contact on the day it closed, is not
    assert of_kind("revisit", no_touch(complaints=(comp,), interactions=(visit(D(2026, 11, 18)),))) == []
    note = Interaction(date=D(2026, 11, 18), type="note", summary="internal")
    for i in (note, visit(D(2026, 11, 17))):
        assert len(of_kind("revisit", no_touch(complaints=(comp,), interactions=(i,)))) == 1


# --- rebate ----------------------------------------------------------------------------


def rebate_client(*amounts_dates: tuple[float, dt.date], tiers=((100_000, 0.02), (200_000, 0.03))) -> Client:
    return no_touch(
        orders=tuple(Order(date=d, amount=a, paid=a, index=i) for i, (a, d) in enumerate(amounts_dates)),
        rebate=Rebate(
            start=D(2026, 1, 1),
            end=D(2026, 12, 31),
            tiers=tuple(RebateTier(over=o, rate=r) for o, r in reversed(tiers)),  # unsorted on purpose
        ),
    )


@pytest.mark.parametrize(
    ("total", "missing"),
    [
        (79_999, None),
        (80_000, 20_000),
        (99_999, 1),
        (100_000, None),
        (159_999, None),
        (160_000, 40_000),
        (200_000, None),
    ],
)
def test_rebate_near_next_tier(total, missing):
    c = rebate_client((total, D(2026, 6, 1)))
    rs = [r for r in of_kind("rebate", c) if not r.key.endswith(":pace")]  # the pace: test_rebates
    assert [r.amount for r in rs] == ([] if missing is None else [missing])
    for r in rs:  # rebate_action (30) days before the period ends: time to order and deliver
        assert (r.date, r.lead, r.days) == (D(2026, 12, 1), 30, 0)


def test_rebate_counts_only_orders_inside_the_period():
    c = rebate_client(
        (50_000, D(2025, 12, 31)),  # before
        (30_000, D(2026, 1, 1)),  # first day
        (55_000, D(2026, 12, 31)),  # last day
        (50_000, D(2027, 1, 1)),  # after
    )
    (r,) = of_kind("rebate", c)
    assert r.amount == 15_000
    assert (
        r.title
        == "Acme is ¥15,000 short of the 2% rebate tier (¥85,000 of ¥100,000 bought; the period ends 2026-12-31; "
        "at that tier the rebate is ¥2,000, ¥0 now)"
    )


def test_rebate_lead_and_end_of_period():
    c = rebate_client((90_000, D(2026, 6, 1)))
    assert of_kind("rebate", c, today=D(2026, 10, 31)) == []  # the day before its lead (30 days)
    assert [r.days for r in of_kind("rebate", c, today=D(2026, 11, 1))] == [30]
    assert [r.days for r in of_kind("rebate", c, today=D(2026, 12, 31))] == [-30]  # late, to the last day
    assert of_kind("rebate", c, today=D(2027, 1, 1)) == []
    assert of_kind("rebate", dataclasses.replace(c, rebate=Rebate(start=None, end=None)), within=400) == []


def test_rebate_near_setting():
    c = rebate_client((60_000, D(2026, 6, 1)))
    rs = [r for r in due([c], TODAY, Settings(rebate_near=0.5), within=0) if r.kind == "rebate"]
    assert [r.amount for r in rs] == [40_000]


# --- successor / dormant -----------------------------------------------------------------


def test_successor_after_contact_left():
    c = client(
        grade="F",
        contacts=(Contact(name="张总", role="采购经理", left=D(2026, 11, 17)),),
        interactions=(visit(D(2026, 11, 17)),),  # on the day they left: not a meeting with the successor
    )
    (r,) = of_kind("successor", c)
    assert (r.date, r.days) == (D(2026, 12, 1), 0)
    assert r.title == "张总 (采购经理) left Acme on 2026-11-17: meet whoever replaced them"
    assert of_kind("successor", c, today=D(2026, 11, 30)) == []
    assert [r.days for r in of_kind("successor", c, today=D(2027, 1, 1))] == [-31]
    met = dataclasses.replace(c, interactions=(*c.interactions, visit(D(2026, 11, 18))))
    assert of_kind("successor", met) == []


def test_dormant_customer_after_180_days():
    orders = (
        Order(date=D(2026, 6, 4), amount=100, paid=100, items="润滑油", index=0),
        Order(date=D(2026, 1, 1), amount=100, paid=100, index=1),
    )
    c = no_touch(stage="customer", orders=orders)
    (r,) = of_kind("dormant", c)
    assert (r.date, r.days) == (D(2026, 12, 1), 0)
    assert r.title == "Acme has not ordered since 2026-06-04 (润滑油): time to win them back"
    assert of_kind("dormant", c, today=D(2026, 11, 30)) == []
    assert of_kind("dormant", dataclasses.replace(c, stage="prospect")) == []
    newer = dataclasses.replace(c, orders=(*orders, Order(date=D(2026, 11, 1), amount=1, paid=1, index=2)))
    assert of_kind("dormant", newer) == []


def test_dormant_against_the_customers_own_rhythm():
    # orders every 30 days or so: gaps 31, 28, 31 (median 31): dormant 47 days after the latest
    days = (D(2026, 7, 1), D(2026, 8, 1), D(2026, 8, 29), D(2026, 9, 29))
    c = no_touch(stage="customer", orders=tuple(Order(date=d, amount=1, paid=1, index=i) for i, d in enumerate(days)))
    (r,) = of_kind("dormant", c, within=30)
    assert r.date == D(2026, 11, 15)  # 09-29 + 31 × 1.5 (46.5, half up) = 47 days
    assert r.title == ("Acme has not ordered since 2026-09-29, against its usual 31 days between orders: "
                       "time to win them back")
    # weekly: 1.5 × 7 is under dormant_min (30); yearly: 1.5 × 365 is over dormant_after (180)
    weekly = tuple(Order(date=D(2026, 10, 1) + dt.timedelta(days=7 * i), amount=1, paid=1, index=i) for i in range(3))
    assert [r.date for r in of_kind("dormant", no_touch(stage="customer", orders=weekly), within=30)] == [
        D(2026, 11, 14)]  # 10-15 + 30
    yearly = tuple(Order(date=D(2023 + i, 6, 1), amount=1, paid=1, index=i) for i in range(3))
    assert [r.date for r in of_kind("dormant", no_touch(stage="customer", orders=yearly), within=30)] == [
        D(2025, 11, 28)]  # 2025-06-01 + 180
    # two orders on one day are one order day: two gaps are needed
    same_day = (Order(date=D(2026, 9, 1), amount=1, paid=1, index=0), Order(date=D(2026, 9, 1), amount=1, paid=1,
                index=1), Order(date=D(2026, 10, 1), amount=1, paid=1, index=2))
    assert [r.date for r in of_kind("dormant", no_touch(stage="customer", orders=same_day), within=200)] == [
        D(2027, 3, 30)]  # 10-01 + 180: one gap only


# --- order, grouping, json ------------------------------------------------------------------


def test_sorted_by_date_client_kind_and_deterministic():
    a = client(
        "b-client",
        name="B",
        grade="A",
        interactions=(visit(D(2026, 11, 24)),),
        promises=(promise("us", due=TODAY), promise("client", due=TODAY)),
    )
    b = client("a-client", name="A", grade="A", interactions=(visit(D(2026, 11, 24)),))
    rs = due([a, b], TODAY, Settings(), within=0)
    assert [(r.client, r.kind) for r in rs] == [
        ("a-client", "touch"),
        ("b-client", "collect"),
        ("b-client", "promise"),
        ("b-client", "touch"),
    ]
    assert due([b, a], TODAY, Settings(), within=0) == rs


def test_group_boundaries():
    def r(days: int) -> Reminder:
        return Reminder("c", "C", None, "touch", TODAY + dt.timedelta(days=days), days, 0, f"t{days}")

    groups = group([r(d) for d in (-1, 0, 1, 7, 8)])
    assert list(groups) == ["Overdue", "Today", "This week", "Later"]
    assert {k: [x.days for x in v] for k, v in groups.items()} == {
        "Overdue": [-1],
        "Today": [0],
        "This week": [1, 7],
        "Later": [8],
    }
    assert {k: v for k, v in group([]).items()} == {"Overdue": [], "Today": [], "This week": [], "Later": []}


def test_to_json_has_exactly_the_contract_keys():
    o = Order(date=D(2026, 11, 1), amount=100, paid=40, pay_by=D(2026, 12, 2))
    c = no_touch(owner="李明", orders=(o,))
    (r,) = of_kind("payment", c)
    data = r.to_json()
    assert data == {
        "client": "acme",
        "name": "Acme",
        "owner": "李明",
        "kind": "payment",
        "date": "2026-12-02",
        "days": 1,
        "lead": 7,
        "title": r.title,
        "amount": 60.0,
    }
    assert json.loads(json.dumps(data)) == data


def test_every_kind_can_be_produced():
    c = client(
        grade="A",
        stage="customer",
        contacts=(Contact(name="A", birthday=Birthday(12, 3)), Contact(name="B", left=D(2026, 11, 1))),
        dates=(Anniversary(what="Founded", date=D(2000, 12, 4)),),
        interactions=(visit(D(2026, 10, 1), D(2026, 11, 20), "call"),),
        promises=(promise("us"), promise("client", due=D(2026, 12, 3), amount=100),
                  promise("client", what="deposit", due=D(2026, 11, 3), broken=D(2026, 11, 4))),
        orders=(Order(date=D(2026, 5, 1), amount=90_000, pay_by=D(2026, 11, 1), delivered=D(2026, 5, 2)),
                Order(date=D(2025, 5, 1), amount=60_000, paid=60_000)),
        credit_limit=50_000,
        complaints=(Complaint(opened=D(2026, 11, 1), what="late"),
                    Complaint(opened=D(2026, 10, 1), what="dents", step="review", closed=D(2026, 11, 10))),
        opportunities=(Opportunity(what="renewal", stage="proposal", expected=D(2026, 11, 30)),),
        win_back=D(2026, 12, 20),
        services=(Service(what="oil testing", every=90, last=D(2026, 9, 1)),),
        rebate=Rebate(start=D(2026, 1, 1), end=D(2026, 12, 20), tiers=(RebateTier(100_000, 0.02),)),
        rebates=(Rebate(start=D(2025, 1, 1), end=D(2025, 12, 31), tiers=(RebateTier(50_000, 0.01),), index=1),),
    )
    got = {r.kind for r in due([c], TODAY, Settings(), within=30)}
    assert got == set(KINDS)


# --- invariants over arbitrary books ---------------------------------------------------------


dates = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))
money = st.one_of(st.none(), st.floats(min_value=0, max_value=1e7, allow_nan=False))


@st.composite
def clients(draw) -> Client:
    return client(
        slug=draw(st.sampled_from(["a", "b", "c"])),
        grade=draw(st.sampled_from("ABCDEF")),
        stage=draw(st.sampled_from(["prospect", "customer", "dormant", "lost"])),
        since=draw(st.one_of(st.none(), dates)),
        cadence=draw(st.one_of(st.none(), st.integers(1, 400))),
        contacts=tuple(
            Contact(
                name=f"c{i}",
                birthday=draw(
                    st.one_of(
                        st.none(),
                        st.builds(
                            Birthday,
                            st.integers(1, 12),
                            st.integers(1, 28),
                            st.one_of(st.none(), st.integers(1950, 2000)),
                        ),
                    )
                ),
                left=draw(st.one_of(st.none(), dates)),
            )
            for i in range(draw(st.integers(0, 2)))
        ),
        dates=tuple(Anniversary(what="x", date=d) for d in draw(st.lists(dates, max_size=2))),
        promises=tuple(
            Promise(
                by=draw(st.sampled_from(["us", "client"])),
                what=f"p{i}",
                due=draw(dates),
                amount=draw(money),
                kept=draw(st.one_of(st.none(), dates)),
            )
            for i in range(draw(st.integers(0, 3)))
        ),
        orders=tuple(
            Order(
                date=draw(dates),
                amount=1000.0,
                paid=draw(st.sampled_from([0.0, 500.0, 1000.0])),
                pay_by=draw(st.one_of(st.none(), dates)),
                delivered=draw(st.one_of(st.none(), dates)),
                index=i,
            )
            for i in range(draw(st.integers(0, 3)))
        ),
        complaints=tuple(Complaint(opened=d, what="x") for d in draw(st.lists(dates, max_size=2))),
        rebate=Rebate(
            start=D(2026, 1, 1), end=draw(dates), tiers=(RebateTier(2000, 0.01), RebateTier(3000, 0.02))
        ),
        interactions=tuple(
            visit(d, draw(st.one_of(st.none(), dates)), "x") for d in draw(st.lists(dates, max_size=3))
        ),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(clients(), max_size=3), dates, st.integers(0, 60))
def test_invariants(book, today, within):
    rs = due(book, today, Settings(), within=within)
    assert rs == sorted(rs, key=lambda r: (r.date, r.client, r.kind, r.title, r.key))
    assert due(list(reversed(book)), today, Settings(), within=within) == rs or len(
        {c.slug for c in book}
    ) < len(book)
    for r in rs:
        assert r.kind in KINDS
        assert r.days == (r.date - today).days
        assert r.days <= max(r.lead, within)
        assert not (r.kind in {"birthday", "anniversary"} and r.days < 0)
        if r.kind == "remind":  # it may be late, but it ends when the promise is due (collect's day)
            assert today <= dt.date.fromisoformat(r.title.rsplit("due ", 1)[1])
        if r.kind == "rebate":  # late at most until its period ends (the first part of its key)
            assert today <= dt.date.fromisoformat(r.key.split(":", 1)[0])
        assert r.title and "\n" not in r.title
        assert r.amount is None or r.amount >= 0


def test_reminders_are_the_objects_their_constructor_makes() -> None:
    # due() fills each Reminder's fields directly (no frozen __init__): every field, nothing else
    c = client(promises=(), interactions=(visit(D(2026, 10, 1), D(2026, 11, 20), "send the quote"),))
    rs = due([c], TODAY, Settings(), within=400)
    assert rs
    names = [f.name for f in dataclasses.fields(Reminder)]
    for r in rs:
        assert list(vars(r)) == names
        copy = Reminder(**{n: getattr(r, n) for n in names})
        assert copy == r and hash(copy) == hash(r) and repr(copy) == repr(r)


def _memo_book() -> list[Client]:
    return [
        client("a", interactions=(visit(D(2026, 10, 1), D(2026, 11, 20), "send the quote"),),
               contacts=(Contact(name="王伟", birthday=Birthday(12, 5, 1980)), Contact(name="李娜", left=D(2026, 9, 1)))),
        client("b", name="Beta", grade="A"),  # no contact logged: touch counted from today (relative)
        client("c", name="Gamma", dates=(Anniversary(what="first order", date=D(2019, 12, 3)),)),
    ]


def test_plan_memo_gives_the_plan_worked_out_afresh() -> None:
    from crmgen.rules.reminders import PlanMemo, plan

    book = _memo_book()
    digests = {c.slug: f"digest-{c.slug}" for c in book}
    first = PlanMemo(lambda c: digests[c.slug])
    seen = {"b": D(2026, 1, 5)}
    assert plan(book, Settings(), seen, memo=first) == plan(book, Settings(), seen)
    # the next build: every client from the memo, in another order (their indexes change)
    again = PlanMemo(lambda c: digests[c.slug], first.new)
    order = book[::-1]
    assert plan(order, Settings(), seen, memo=again) == plan(order, Settings(), seen)
    assert again.new == first.new
    for day in (TODAY, D(2026, 12, 20)):
        assert due(order, day, Settings(), first_seen=seen, memo=PlanMemo(lambda c: digests[c.slug], first.new)) \
            == due(order, day, Settings(), first_seen=seen)


def test_plan_memo_is_used_only_for_the_same_digest_and_first_seen() -> None:
    from crmgen.rules.reminders import PlanMemo, plan

    book = _memo_book()
    first = PlanMemo(lambda c: "d-" + c.slug)
    plan(book, Settings(), {}, memo=first)
    marked = {key: tuple(tuple((*r[:3], "MARK", *r[4:]) if len(r) == 6 and isinstance(r[3], str) else r
                               for r in rows) for rows in value) for key, value in first.new.items()}
    reused = plan(book, Settings(), {}, memo=PlanMemo(lambda c: "d-" + c.slug, marked))
    assert any(r[3] == "MARK" for r in reused["fixed"])  # the memo answered
    changed = plan(book, Settings(), {}, memo=PlanMemo(lambda c: "other-" + c.slug, marked))
    assert changed == plan(book, Settings(), {})  # another digest: worked out afresh
    moved = plan(book, Settings(), {"b": D(2026, 2, 1)}, memo=PlanMemo(lambda c: "d-" + c.slug, marked))
    fresh = plan(book, Settings(), {"b": D(2026, 2, 1)})
    assert [r for r in moved["fixed"] if r[2] == 1] == [r for r in fresh["fixed"] if r[2] == 1]  # b: new first_seen
    unknown = plan(book, Settings(), {}, memo=PlanMemo(lambda c: None, marked))
    assert unknown == plan(book, Settings(), {})  # no digest: never from the memo
