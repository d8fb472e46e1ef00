"""Private fields and passages are left out of the redacted client."""

from __future__ import annotations

import pytest

from crmgen.format.errors import UsageError
from crmgen.load.book import parse_client_text
from crmgen.privacy import check_private_fields, redact, strip_private_blocks

TEXT = """---
name: 华东润滑油
grade: B
phone: "021-6234 5678"
credit_limit: 500000
contacts:
  - name: 张伟
    phone: "138 0013 8000"
    birthday: 1983-03-15
orders:
  - {date: 2026-09-01, amount: 86000}
extra:
  微信: zw-1983
  区域: 华东
notes: Good payer. <!-- private -->Owner's brother is at a competitor.<!-- /private -->
---
## 2026-11-02 visit: reviewed contract
Fine.
<!-- private -->
Said their cash flow is tight until January.
Next: 2026-12-01 ask about the loan
<!-- /private -->

<!-- private -->
## 2026-11-05 gift: 红包 for the buyer
Next: 2026-11-20 check the buyer got it
<!-- /private -->

## 2026-11-10 call: follow-up
"""


def client():
    c, problems = parse_client_text(TEXT, "clients/huadong.md")
    assert problems == [] and c is not None
    return c


def test_private_fields_are_cleared() -> None:
    r = redact(client(), ["phone", "credit_limit", "contacts.phone", "contacts.birthday", "extra.微信", "orders"])
    assert (r.phone, r.credit_limit, r.orders) == (None, None, ())
    assert r.contacts[0].name == "张伟" and r.contacts[0].phone is None and r.contacts[0].birthday is None
    assert r.extra == {"区域": "华东"}


def test_private_passages_and_whole_interactions_go() -> None:
    r = redact(client(), [])
    assert "cash flow" not in r.body and "红包" not in r.body and "competitor" not in r.notes
    assert [(i.date.day, i.summary) for i in r.interactions] == [(2, "reviewed contract"), (10, "follow-up")]
    assert all(i.next_date is None for i in r.interactions)  # the private Next: lines are gone too
    assert client().interactions[1].summary == "红包 for the buyer"  # the original is untouched


def test_unclosed_private_block_runs_to_the_end() -> None:
    assert strip_private_blocks("a <!-- private --> b\nc") == "a "


@pytest.mark.parametrize("name", ["phnoe", "name", "contacts.fax"])
def test_bad_private_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError):
        check_private_fields([name])


def test_did_you_mean_for_a_misspelled_private_field() -> None:
    with pytest.raises(UsageError, match="did you mean 'phone'"):
        check_private_fields(["phnoe"])



def test_owner_is_matched_as_due_and_export_match_it() -> None:
    """build --owner, export --owner and due --owner (rules.dueplan.pick) share format.owners.owner_key."""
    from crmgen.format.model import Client
    from crmgen.privacy import select_clients
    from crmgen.transfer.exporter import select

    clients = [Client(slug="a", path="clients/a.md", name="A", grade="A", owner="Sarah Lin"),
               Client(slug="b", path="clients/b.md", name="B", grade="B")]
    for asked in ("Sarah Lin", "  sarah LIN ", "SARAH LIN"):
        assert [c.slug for c in select_clients(clients, owner=asked)] == ["a"]
        assert [c.slug for c in select(clients, asked)] == ["a"]
    assert select_clients(clients, owner="Sarah") == [] and select(clients, "Sarah") == []
