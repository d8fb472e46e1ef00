"""One money formatter: the site, the dashboard and ``due`` (and so the calendar) write an
amount the same way, half cents rounded up from the amount's decimal spelling."""

from __future__ import annotations

import datetime as dt

import pytest

from crmgen.format import money
from crmgen.load.project import Settings
from crmgen.render import dashboard, pages
from crmgen.rules import kinds, reminders
from tests.conftest import write_client


@pytest.mark.parametrize(("amount", "text"), [
    (1.005, "¥1.01"), (0.125, "¥0.13"), (86000, "¥86,000"), (1234.5, "¥1,234.50"), (2.675, "¥2.68"),
    (-3.5, "-¥3.50"), (0, "¥0"), (None, ""), (1e7 + 0.01, "¥10,000,000.01"),
])
def test_money_is_written_one_way(amount, text) -> None:
    assert money.money(amount) == text
    assert pages.money(amount, "¥") == text
    if amount is not None:
        assert kinds.money is money.money  # the rules word amounts with the one formatter
        assert dashboard.format_money(dashboard.to_cents(amount), "¥") == text


def test_a_half_cent_owed_reads_the_same_in_due_and_on_the_site(project) -> None:
    from crmgen.load.book import load_book
    from crmgen.load.project import load_project

    write_client(project, "a", """
        ---
        name: A
        grade: A
        orders:
          - date: 2026-11-01
            amount: 1.005
            pay_by: 2026-11-20
        ---
        """)
    proj = load_project(project)
    clients = load_book(proj).clients
    due = reminders.due(clients, dt.date(2026, 11, 18), Settings())
    payment = next(r for r in due if r.kind == "payment")
    assert "¥1.01 owed" in payment.title
    assert pages.money(clients[0].orders[0].amount, "¥") == "¥1.01"


# -- amounts typed on a command line ---------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("50000", 50000), ("50,000", 50000), ("¥50,000", 50000), ("￥50,000", 50000), ("¥ 50,000", 50000),
    ("5万", 50000), ("5 万", 50000), ("1.2万", 12000), ("1.1万", 11000), ("0.35万", 3500), ("¥5万", 50000),
    ("5万元", 50000), ("86,000.50元", 86000.5), ("86000.5", 86000.5), ("1,234,567.89", 1234567.89),
    ("RMB 1,234", 1234), ("cny1234", 1234), ("1.2亿", 120_000_000), ("3千", 3000), ("0", 0), ("0.01", 0.01),
    ("1.234万", 12340), ("1,000,000,000,000,000", 10**15),
])
def test_amounts_people_type(text: str, value: float) -> None:
    got = money.parse_amount(text)
    assert got == value
    assert isinstance(got, int) == float(value).is_integer()  # whole amounts are written as integers


@pytest.mark.parametrize(("text", "why"), [
    ("-5", "is negative"), ("-5万", "is negative"), ("abc", "is not an amount"), ("", "is not an amount"),
    ("5,00", "is not an amount"), ("1,2345", "is not an amount"), ("50,000,", "is not an amount"),
    ("1e5", "is not an amount"), ("5万万", "is not an amount"), ("1.", "is not an amount"), (".5", "is not an amount"),
    ("0.005", "fraction of a cent"), ("1.2345678万", "fraction of a cent"),
    ("1,000,000,000,000,001", "beyond the amounts"), ("10亿亿", "is not an amount"),
])
def test_what_is_not_an_amount_says_why(text: str, why: str) -> None:
    with pytest.raises(money.AmountError, match=why):
        money.parse_amount(text)
