"""Orders, payments and promises about an order, spliced into a client file (:mod:`crmgen.edit`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmgen.edit import (
    EditError,
    WhichOrder,
    add_order,
    add_payment,
    add_promise,
    edit_bytes,
    find_order,
    new_order_id,
    promise_with_order,
)
from crmgen.format.errors import ExitCode
from crmgen.load.book import parse_client_text
from tests.test_edit import client_of, inserted

D = dt.date
REL = "clients/acme.md"

ORDERS = """---
name: Acme
grade: B
orders:
  - id: 2026-09-A   # the big one
    date: 2026-09-01
    amount: 86000
    payments:
      - {date: 2026-10-01, amount: 40000}
  - date: 2026-10-20
    amount: 12000
    paid: 2000
  - date: 2026-11-16
    amount: 5000
---
Notes.
"""


def test_add_order_writes_an_id_and_every_field_given() -> None:
    text, oid = add_order(ORDERS, D(2026, 12, 7), 50000, items="L-HM46 液压油 200L x 40", terms="月结45天",
                          pay_by=None, delivered=D(2026, 12, 10))
    assert oid == "2026-12-07"
    assert inserted(ORDERS, text) == (
        '  - id: "2026-12-07"\n    date: 2026-12-07\n    amount: 50000\n    terms: 月结45天\n'
        "    delivered: 2026-12-10\n    items: L-HM46 液压油 200L x 40\n")
    order = client_of(text).orders[-1]
    assert (order.id, order.amount, order.terms.days, order.delivered) == ("2026-12-07", 50000, 45, D(2026, 12, 10))


def test_order_ids_are_made_unique_and_a_taken_id_is_refused() -> None:
    text, first = add_order(ORDERS, D(2026, 12, 7), 1)
    text, second = add_order(text, D(2026, 12, 7), 2)
    assert (first, second) == ("2026-12-07", "2026-12-07-2")
    assert new_order_id([{"id": "x"}, {"id": "2026-12-07"}, {"id": "2026-12-07-2"}], D(2026, 12, 7)) == "2026-12-07-3"
    with pytest.raises(EditError, match="an order already has the id '2026-09-A'; give this one its own "
                                        r"\(or leave out --id: crmgen picks 2026-12-07\)"):
        add_order(ORDERS, D(2026, 12, 7), 1, order_id="2026-09-A")
    with pytest.raises(EditError, match="more than 0"):
        add_order(ORDERS, D(2026, 12, 7), 0)


def test_add_order_to_a_file_without_orders_and_to_a_flow_list() -> None:
    bare = "---\nname: Acme\ngrade: B\n---\n"
    text, _ = add_order(bare, D(2026, 1, 2), 12.5)
    assert text == '---\nname: Acme\ngrade: B\norders:\n  - id: "2026-01-02"\n    date: 2026-01-02\n    amount: 12.5\n---\n'
    flow = "---\nname: Acme\ngrade: B\norders: [{date: 2026-01-01, amount: 5}]\n---\n"
    text, _ = add_order(flow, D(2026, 1, 2), 7, items="a, b")
    assert 'orders: [{date: 2026-01-01, amount: 5}, {id: "2026-01-02", date: 2026-01-02, amount: 7, items: "a, b"}]' in text


@pytest.mark.parametrize(("ref", "index"), [
    ("2026-09-A", 0), ("1", 0), ("#2", 1), ("3", 2), ("2026-10-20", 1), (" 2026-11-16 ", 2),
])
def test_find_order_by_id_number_or_date(ref: str, index: int) -> None:
    orders = client_data(ORDERS)["orders"]
    assert find_order(orders, ref) == index


def test_find_order_without_a_reference_takes_the_one_that_owes_money() -> None:
    orders = client_data(ORDERS)["orders"]
    with pytest.raises(WhichOrder, match=r"3 orders owe money \(#1 of 2026-09-01, ¥86,000 \(id 2026-09-A\), owes "
                                         r"¥46,000; #2 of 2026-10-20, ¥12,000, owes ¥10,000; #3 of 2026-11-16, "
                                         r"¥5,000, owes ¥5,000\); say which with --order ID or --order N"):
        find_order(orders, None, owing=True)
    orders[0]["payments"].append({"date": D(2026, 11, 1), "amount": 46000})
    orders[1]["paid"] = 12000
    assert find_order(orders, None, owing=True) == 2
    orders[2]["paid"] = 5000
    with pytest.raises(WhichOrder, match="no order owes money"):
        find_order(orders, None, owing=True)


def test_find_order_refusals_are_usage_errors_that_list_the_orders() -> None:
    orders = client_data(ORDERS)["orders"]
    assert WhichOrder.exit_code == ExitCode.USAGE
    with pytest.raises(WhichOrder, match=r"there is no order #4: orders are numbered 1 to 3 .*#1 of 2026-09-01"):
        find_order(orders, "4")
    with pytest.raises(WhichOrder, match=r"no order '2026-09-B': name it by its id, its number from 1, or its date"):
        find_order(orders, "2026-09-B")
    twice = [{"date": D(2026, 1, 1), "amount": 1}, {"date": D(2026, 1, 1), "amount": 2}]
    with pytest.raises(WhichOrder, match="2 orders are dated 2026-01-01"):
        find_order(twice, "2026-01-01")
    with pytest.raises(EditError, match="this client has no orders yet; record one with 'crmgen order'"):
        add_payment("---\nname: A\ngrade: B\n---\n", None, D(2026, 1, 1), 5)


def test_a_payment_joins_the_orders_payments() -> None:
    text, info = add_payment(ORDERS, "2026-09-A", D(2026, 11, 2), 6000, "bank transfer")
    assert text == ORDERS.replace("      - {date: 2026-10-01, amount: 40000}\n", "      - {date: 2026-10-01, amount: 40000}\n"
                                  "      - {date: 2026-11-02, amount: 6000, note: bank transfer}\n")
    assert (info.number, info.owed, info.dated) == (1, 40000, True)
    order = client_of(text).orders[0]
    assert (order.paid, [p.amount for p in order.payments]) == (46000, [40000, 6000])


def test_a_payment_on_an_order_without_payments_starts_the_list() -> None:
    text, info = add_payment(ORDERS, "3", D(2026, 12, 1), 5000)
    assert inserted(ORDERS, text) == "    payments:\n      - date: 2026-12-01\n        amount: 5000\n"
    assert (info.owed, info.dated) == (0, True)
    order = client_of(text).orders[2]
    assert (order.paid, order.settled) == (5000, D(2026, 12, 1))


def test_a_payment_on_an_order_that_keeps_only_a_total_adds_to_paid() -> None:
    text, info = add_payment(ORDERS, "2026-10-20", D(2026, 12, 1), 3000)
    assert text == ORDERS.replace("    paid: 2000\n", "    paid: 5000\n")
    assert (info.owed, info.dated) == (7000, False)


def test_paid_is_kept_equal_to_the_payments() -> None:
    both = ORDERS.replace("      - {date: 2026-10-01, amount: 40000}\n",
                          "      - {date: 2026-10-01, amount: 40000}\n    paid: 40000\n")
    text, _ = add_payment(both, "1", D(2026, 11, 2), 1000.5)
    order_text = text.split("  - date: 2026-10-20")[0]
    assert "      - {date: 2026-11-02, amount: 1000.5}\n    paid: 41000.5\n" in order_text
    client, problems = parse_client_text(text, REL)
    assert client is not None and not problems  # no "paid but the payments add up to" warning
    zero = ORDERS.replace("    amount: 5000\n", "    amount: 5000\n    paid: 0\n")
    text, _ = add_payment(zero, "3", D(2026, 12, 1), 100)
    assert "    paid: 100\n    payments:\n      - date: 2026-12-01\n        amount: 100\n" in text


def test_a_payment_in_a_flow_order() -> None:
    flow = "---\nname: A\ngrade: B\norders:\n  - {date: 2026-01-01, amount: 500}\n---\n"
    text, _ = add_payment(flow, None, D(2026, 2, 1), 200, "cash, at the door")
    assert '  - {date: 2026-01-01, amount: 500, payments: [{date: 2026-02-01, amount: 200, note: "cash, at the door"}]}' in text
    assert client_of(text).orders[0].paid == 200


def test_more_than_the_order_owes_is_refused() -> None:
    with pytest.raises(EditError, match=r"order #2 of 2026-10-20, ¥12,000, owes ¥10,000: the payment of ¥10,000.01 "
                                        "is more than it owes"):
        add_payment(ORDERS, "2", D(2026, 12, 1), 10000.01)
    text, info = add_payment(ORDERS, "2", D(2026, 12, 1), 10000)  # to the cent is fine
    assert info.owed == 0
    with pytest.raises(WhichOrder, match=r"order #2 .*paid in full: nothing to record"):
        add_payment(text, "2", D(2026, 12, 2), 1)


def test_a_promise_about_an_order_names_its_id_and_gives_one_when_missing() -> None:
    text, oid = promise_with_order(ORDERS, "client", "付清余款", D(2026, 12, 21), agreed=D(2026, 12, 7), order="1")
    assert oid == "2026-09-A"
    assert inserted(ORDERS, text).endswith(
        "promises:\n  - by: client\n    what: 付清余款\n    due: 2026-12-21\n    agreed: 2026-12-07\n"
        "    order: 2026-09-A\n")
    text, oid = promise_with_order(ORDERS, "client", "pay", D(2026, 12, 21), order="2026-10-20")
    assert oid == "2026-10-20"
    assert '    paid: 2000\n    id: "2026-10-20"\n' in text  # the order gets the id the promise names
    client = client_of(text)
    assert client.promises[-1].order == client.orders[1].id == "2026-10-20"
    with pytest.raises(WhichOrder, match="no order '9'|there is no order #9"):
        add_promise(ORDERS, "client", "x", D(2026, 12, 21), order="9")


def test_a_promise_records_because() -> None:
    base = ("---\nname: A\ngrade: B\npromises:\n  - {by: us, what: deliver, due: 2026-01-01, broken: 2026-01-02}\n"
            "---\n")
    text = add_promise(base, "client", "pay", D(2026, 1, 10), because=1)
    assert client_of(text).promises[-1].because == 1


def client_data(text: str):
    import yaml

    return yaml.safe_load(text.split("---\n")[1])


# -- on every sample client, and on generated amounts: only the intended bytes change ------

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "clients").glob("*.md"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_orders_and_payments_on_every_sample_client(path: Path) -> None:
    data = path.read_bytes()
    rel = f"clients/{path.name}"
    before, _ = parse_client_text(data.decode("utf-8-sig"), rel)
    assert before is not None
    new, oid = edit_bytes(data, rel, lambda t: add_order(t, D(2027, 1, 5), 1234.5, items="样品"))
    assert new is not None
    inserted(data.decode("latin-1"), new.decode("latin-1"))
    after = parse_client_text(new.decode("utf-8-sig"), rel)[0]
    assert after.orders[-1].id == oid and after.orders[-1].amount == 1234.5
    paid, info = edit_bytes(new, rel, lambda t: add_payment(t, oid, D(2027, 1, 6), 234.5))
    assert paid is not None and info.owed == 1000
    assert parse_client_text(paid.decode("utf-8-sig"), rel)[0].orders[-1].paid == 234.5
    promised, _ = edit_bytes(paid, rel, lambda t: promise_with_order(t, "client", "余款", D(2027, 2, 1), order=oid))
    assert parse_client_text(promised.decode("utf-8-sig"), rel)[0].promises[-1].order == oid


@given(st.integers(1, 10**6), st.integers(1, 100), st.sampled_from(["1", "2", "3", "2026-09-A", "2026-11-16"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_property_a_payment_changes_only_that_order(cents: int, percent: int, ref: str) -> None:
    client = client_of(ORDERS)
    i = {"1": 0, "2": 1, "3": 2, "2026-09-A": 0, "2026-11-16": 2}[ref]
    owed = client.orders[i].owed
    amount = round(min(cents / 100, owed * percent / 100), 2)
    text, info = add_payment(ORDERS, ref, D(2026, 12, 1), amount)
    after = client_of(text)
    assert after.orders[i].paid == pytest.approx(client.orders[i].paid + amount, abs=0.005)
    assert info.owed == pytest.approx(owed - amount, abs=0.005)
    def others(orders):
        return [dataclasses.replace(o, line=0) for j, o in enumerate(orders) if j != i]

    assert others(after.orders) == others(client.orders)
