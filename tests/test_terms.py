"""Payment terms (format/terms.py): every written form, the refusals, and the due day at its edges."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from crmgen.cli import main
from crmgen.format import terms
from crmgen.format.schema import DATE_MAX, DATE_MIN
from crmgen.format.terms import DAYS, END_OF_MONTH, ON_DELIVERY, PREPAID, TERMS_MAX, Terms, parse
from crmgen.load.book import parse_client_text
from crmgen.load.project import Settings
from tests.conftest import write_client

D = dt.date

EXAMPLES = "60, net 60, EOM 45, 月结45天, 货到付款 (COD) or 款到发货 (prepaid)"


@pytest.mark.parametrize(
    ("written", "kind", "days"),
    [
        # days after delivery
        (60, DAYS, 60),
        (0, DAYS, 0),
        (TERMS_MAX, DAYS, TERMS_MAX),
        ("60", DAYS, 60),
        ("0", DAYS, 0),
        ("60d", DAYS, 60),
        ("60D", DAYS, 60),
        ("60 d", DAYS, 60),
        ("60 day", DAYS, 60),
        ("60 days", DAYS, 60),
        ("60 DAYS", DAYS, 60),
        ("net 60", DAYS, 60),
        ("Net 60", DAYS, 60),
        ("NET60", DAYS, 60),
        ("net   60   days", DAYS, 60),
        ("  net 60  ", DAYS, 60),
        ("net\t60", DAYS, 60),
        ("n60", DAYS, 60),
        ("N 60", DAYS, 60),
        ("60天", DAYS, 60),
        ("60日", DAYS, 60),
        ("60 天", DAYS, 60),
        ("账期60天", DAYS, 60),
        ("账期 60 天", DAYS, 60),
        ("账期\u300060天", DAYS, 60),  # an ideographic space
        ("賬期60天", DAYS, 60),
        ("账期90", DAYS, 90),
        ("3650", DAYS, 3650),
        # the end of the month, plus days
        ("EOM 45", END_OF_MONTH, 45),
        ("eom 45", END_OF_MONTH, 45),
        ("Eom45", END_OF_MONTH, 45),
        ("EOM+45", END_OF_MONTH, 45),
        ("eom + 45", END_OF_MONTH, 45),
        ("EOM 45 days", END_OF_MONTH, 45),
        ("eom 45d", END_OF_MONTH, 45),
        ("EOM 0", END_OF_MONTH, 0),
        ("EOM", END_OF_MONTH, 30),
        ("月结45天", END_OF_MONTH, 45),
        ("月结 45 天", END_OF_MONTH, 45),
        ("月结45", END_OF_MONTH, 45),
        ("月结+60天", END_OF_MONTH, 60),
        ("月結45天", END_OF_MONTH, 45),
        ("月结", END_OF_MONTH, 30),
        (" 月结 ", END_OF_MONTH, 30),
        ("月結", END_OF_MONTH, 30),
        ("EOM 3650", END_OF_MONTH, 3650),
        # on delivery
        ("COD", ON_DELIVERY, 0),
        ("cod", ON_DELIVERY, 0),
        ("Cash on delivery", ON_DELIVERY, 0),
        ("cash  on   delivery", ON_DELIVERY, 0),
        ("货到付款", ON_DELIVERY, 0),
        ("貨到付款", ON_DELIVERY, 0),
        ("货到付", ON_DELIVERY, 0),
        (" 货到付款 ", ON_DELIVERY, 0),
        # before anything is sent
        ("prepaid", PREPAID, 0),
        ("Prepaid", PREPAID, 0),
        ("PREPAID", PREPAID, 0),
        ("CIA", PREPAID, 0),
        ("cwo", PREPAID, 0),
        ("cash in advance", PREPAID, 0),
        ("款到发货", PREPAID, 0),
        ("款到發貨", PREPAID, 0),
        ("先款后货", PREPAID, 0),
        ("先款後貨", PREPAID, 0),
        ("预付", PREPAID, 0),
        ("預付", PREPAID, 0),
        ("预付款", PREPAID, 0),
    ],
)
def test_every_written_form_parses(written, kind, days) -> None:
    read = parse(written)
    assert read is not None
    assert (read.kind, read.days) == (kind, days)


@pytest.mark.parametrize(
    ("written", "shown"),
    [("Net   60", "Net 60"), ("  月结45天 ", "月结45天"), ("EOM+45", "EOM+45"), (60, "60 days"), ("COD", "COD")],
)
def test_terms_are_shown_as_written_with_spaces_collapsed(written, shown) -> None:
    read = parse(written)
    assert read is not None and read.text == shown and str(read) == shown


@pytest.mark.parametrize(
    "written",
    [
        "", "   ", "net", "n", "账期", "days", "sixty", "net sixty", "60.5", "-5", "net -5", "EOM -5", "30 weeks",
        "60 months", "2m", "60%", "net 60 net", "60 60", "EOM 45 EOM", "月结45周", "cod 30", "prepaid 30",
        "货到", "1:00", "net 3651", "3651", "3651 days", "账期3651天", "EOM 3651", "月结3651天", "99999",
        "123456", "net 1000000", True, False, -1, 3651, 10**20,
    ],
)
def test_bad_forms_and_more_than_ten_years_are_refused(written) -> None:
    assert parse(written) is None


def _problems(front: str) -> list[str]:
    client, problems = parse_client_text(f"---\nname: Acme\ngrade: B\n{front}---\n", "clients/acme.md")
    return [p.format() for p in problems]


@pytest.mark.parametrize(
    ("value", "col"),
    [("net sixty", 8), ("3651", 8), ("'3651'", 8), ("EOM 3651", 8), ("60.5", 8), ("true", 8), ("060", 8),
     ("  30 weeks", 10)],
)
def test_bad_client_terms_are_a_located_error(value, col) -> None:
    shown = value.strip().strip("'")
    assert _problems(f"terms: {value}\n") == [
        f"clients/acme.md:4:{col}: error: terms: '{shown}' is not payment terms; write e.g. {EXAMPLES} "
        "(at most 3,650 days) [bad-terms]"
    ]


def test_bad_order_terms_are_located_at_the_value() -> None:
    front = "orders:\n  - date: 2026-10-01\n    amount: 100\n    terms: 月结3651天\n"
    assert _problems(front) == [
        f"clients/acme.md:7:12: error: orders[0].terms: '月结3651天' is not payment terms; write e.g. {EXAMPLES} "
        "(at most 3,650 days) [bad-terms]"
    ]


def test_good_terms_in_a_file_are_read() -> None:
    text = ("---\nname: Acme\ngrade: B\nterms: 月结45天\norders:\n  - date: 2026-10-01\n    amount: 100\n"
            "    terms: 3650\n  - date: 2026-10-02\n    amount: 100\n    terms: 货到付款\n---\n")
    client, problems = parse_client_text(text, "clients/acme.md")
    assert problems == [] and client is not None
    assert client.terms == Terms(END_OF_MONTH, 45, "月结45天")
    assert [o.terms for o in client.orders] == [Terms(DAYS, 3650, "3650 days"), Terms(ON_DELIVERY, 0, "货到付款")]


@pytest.mark.parametrize(("value", "shown"), [("net 3651", "'net 3651'"), ("3651", "3651"), ("60.5", "60.5")])
def test_bad_team_terms_are_a_located_setting_error(project: Path, value, shown) -> None:
    (project / "mkdocs.yml").write_text(f"site_name: T\nextra:\n  crmgen:\n    terms: {value}\n", encoding="utf-8")
    write_client(project, "a", "---\nname: A\ngrade: A\n---\n")
    result = CliRunner().invoke(main, ["-C", str(project), "check"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"mkdocs.yml:4:12: error: extra.crmgen.terms: {shown} is not payment terms; write e.g. {EXAMPLES} "
        "(at most 3,650 days)",
        "crmgen: error: 1 bad setting in mkdocs.yml",
    ]


def test_good_team_terms_are_the_default_of_every_order() -> None:
    assert Settings().terms == Terms(DAYS, 30, "30 days")
    assert Settings.from_mapping({"terms": "月结"}).terms == Terms(END_OF_MONTH, 30, "月结")
    assert Settings.from_mapping({"terms": 0}).terms == Terms(DAYS, 0, "0 days")


# --- the due day --------------------------------------------------------------------


def _due(written: str, ordered: dt.date, delivered: dt.date | None = None) -> dt.date | None:
    read = parse(written)
    assert read is not None
    return read.due(ordered, delivered)


@pytest.mark.parametrize(
    ("written", "ordered", "delivered", "due"),
    [
        ("net 60", D(2026, 1, 10), D(2026, 1, 25), D(2026, 3, 26)),  # from the delivery
        ("net 60", D(2026, 1, 10), None, D(2026, 3, 11)),  # not delivered: from the order
        ("60", D(2026, 1, 10), D(2026, 1, 10), D(2026, 3, 11)),
        ("net 0", D(2026, 5, 5), D(2026, 5, 9), D(2026, 5, 9)),
        ("30", D(2026, 12, 15), None, D(2027, 1, 14)),
        ("账期90天", D(2028, 1, 1), None, D(2028, 3, 31)),  # 2028 is a leap year
        ("账期90天", D(2027, 1, 1), None, D(2027, 4, 1)),
        ("3650", D(2026, 1, 1), None, D(2035, 12, 30)),
    ],
)
def test_net_days_from_delivery_else_the_order(written, ordered, delivered, due) -> None:
    assert _due(written, ordered, delivered) == due


@pytest.mark.parametrize(
    ("written", "ordered", "delivered", "due"),
    [
        ("EOM 45", D(2026, 1, 31), None, D(2026, 3, 17)),  # 31 Jan + 45, February of 28 days
        ("EOM 45", D(2028, 1, 31), None, D(2028, 3, 16)),  # ... of 29 days
        ("EOM 45", D(2026, 1, 1), None, D(2026, 3, 17)),  # any day of the month: the same day
        ("EOM 0", D(2026, 2, 1), None, D(2026, 2, 28)),
        ("EOM 0", D(2028, 2, 1), None, D(2028, 2, 29)),
        ("EOM 0", D(2100, 2, 10), None, D(2100, 2, 28)),  # a century: not a leap year
        ("EOM 0", D(2000, 2, 10), None, D(2000, 2, 29)),  # ... unless divisible by 400
        ("EOM 1", D(2026, 2, 28), None, D(2026, 3, 1)),
        ("EOM 1", D(2028, 2, 28), None, D(2028, 3, 1)),
        ("EOM 1", D(2028, 2, 29), None, D(2028, 3, 1)),
        ("EOM 0", D(2026, 4, 30), None, D(2026, 4, 30)),
        ("EOM 0", D(2026, 4, 1), None, D(2026, 4, 30)),
        ("月结", D(2026, 4, 10), None, D(2026, 5, 30)),  # 月结 alone: 30 days
        ("月结45天", D(2026, 12, 5), None, D(2027, 2, 14)),  # 31 Dec into the next year
        ("EOM 1", D(2026, 12, 31), None, D(2027, 1, 1)),
        ("EOM 30", D(2026, 12, 1), None, D(2027, 1, 30)),
        ("EOM 30", D(2026, 1, 20), D(2026, 2, 3), D(2026, 3, 30)),  # the month of the delivery
        ("EOM 30", D(2026, 11, 20), D(2026, 12, 31), D(2027, 1, 30)),
    ],
)
def test_end_of_month_across_month_ends(written, ordered, delivered, due) -> None:
    assert _due(written, ordered, delivered) == due


def test_cash_on_delivery_waits_for_the_delivery() -> None:
    assert _due("COD", D(2026, 3, 1)) is None
    assert _due("货到付款", D(2026, 3, 1), D(2026, 3, 4)) == D(2026, 3, 4)


def test_prepaid_is_due_on_the_order_date_whatever_the_delivery() -> None:
    assert _due("prepaid", D(2026, 3, 1)) == D(2026, 3, 1)
    assert _due("款到发货", D(2026, 3, 1), D(2026, 3, 20)) == D(2026, 3, 1)


def test_a_delivery_dated_before_the_order_counts_from_the_order() -> None:
    # A delivery written before the order (a typo, or goods sent ahead) must not make the
    # order due before it was placed.
    assert _due("net 0", D(2026, 5, 10), D(2026, 4, 1)) == D(2026, 5, 10)
    assert _due("net 30", D(2026, 5, 10), D(2026, 4, 1)) == D(2026, 6, 9)
    assert _due("EOM 0", D(2026, 5, 10), D(2026, 3, 15)) == D(2026, 5, 31)


dates = st.dates(min_value=DATE_MIN, max_value=DATE_MAX)
not_cod = st.builds(Terms, st.sampled_from([DAYS, END_OF_MONTH, PREPAID]), st.integers(0, TERMS_MAX), st.just("t"))


@given(not_cod, dates, st.none() | dates)
def test_due_is_never_before_the_order(read: Terms, ordered: dt.date, delivered: dt.date | None) -> None:
    due = read.due(ordered, delivered)
    assert due is not None and due >= ordered
    if delivered is not None and delivered >= ordered and read.kind != PREPAID:
        assert due >= delivered


@given(st.text() | st.integers())
def test_parse_never_raises(text: str | int) -> None:
    read = terms.parse(text)
    assert read is None or (read.kind in (DAYS, END_OF_MONTH, ON_DELIVERY, PREPAID) and 0 <= read.days <= TERMS_MAX)


@given(st.integers(0, TERMS_MAX), st.sampled_from(["{}", "net {}", "n{}", "{} days", "账期{}天", "{}d"]),
       st.sampled_from([str.lower, str.upper, str.title]))
def test_any_number_of_days_in_any_form_and_case(days: int, form: str, case) -> None:
    read = parse(case(form.format(days)))
    assert read is not None and (read.kind, read.days) == (DAYS, days)


@pytest.mark.parametrize(("text", "kind", "days"), [("账期：60天", "days", 60), ("账期:60天", "days", 60),
                                                    ("月结：45天", "eom", 45), ("EOM:45", "eom", 45)])
def test_a_colon_after_the_word_is_read_as_people_write_it(text: str, kind: str, days: int) -> None:
    read = parse(text)
    assert read is not None and (read.kind, read.days) == (kind, days)
