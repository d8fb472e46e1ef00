"""vCard 3.0/4.0 reading (phones, Google Contacts, RFC 6350) and vCard 4.0 writing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import vobject

from crmgen.format.model import Birthday, Client, Contact
from crmgen.transfer.vcard import client_cards, format_address, parse_bday, read_cards, split_cards, to_vcf

DATA = Path(__file__).parent / "data" / "import"


def cards_of(name: str) -> list:
    return read_cards((DATA / name).read_bytes().decode("utf-8"))


def test_iphone_v3_card_person_at_a_company() -> None:
    first, second = cards_of("iphone-v3.vcf")
    assert first.problems == []
    assert first.values == {
        "name": "华东润滑油有限公司",
        "contact": "王伟",
        "contact_role": "采购经理",
        "contact_phone": "+86 138 1234 5678",
        "phone": "021-6123 4567",
        "contact_email": "wang.wei@huadong.cn",
        "contact_notes": "喜欢喝龙井",
        "address": "中国上海世纪大道100号 200120",
        "contact_birthday": "--03-15",  # X-APPLE-OMIT-YEAR=1604: the year is unknown
    }
    # No ORG: the person is the client, and still its contact; the leading zero stays.
    assert second.values == {"name": "小明", "contact": "小明", "contact_phone": "013900001111"}


def test_google_v3_cards() -> None:
    cards = cards_of("google-v3.vcf")
    assert [c.number for c in cards] == [1, 2, 3, 4]
    assert cards[0].values == {
        "name": "Acme Trading Co.",
        "contact": "John Smith",
        "contact_role": "Buyer",
        "contact_phone": "0044 7700 900123",
        "contact_email": "john@acme.example",
        "contact_notes": "Met at the Shanghai fair",
        "address": "1 Main Street, Springfield IL 62701, USA",
        "website": "https://acme.example",
        "tags": "Distributors",  # Google's own "myContacts" group is dropped
        "contact_birthday": "1980-05-03",
    }
    assert cards[3].problems == ["the card has no name (no FN, N or ORG)"]


def test_v4_cards_tel_uri_and_basic_iso_dates() -> None:
    first, second = cards_of("contacts-v4.vcf")
    assert first.values["contact_phone"] == "+86-139-0000-2222"
    assert first.values["phone"] == "0571-8888 1234"
    assert first.values["contact_birthday"] == "1985-04-12"
    assert first.values["address"] == "中国浙江杭州文三路90号 310012"
    assert second.values == {
        "name": "Li Lei",
        "contact": "Li Lei",
        "contact_phone": "+8613500001234",
        "contact_email": "li.lei@example.com",
        "notes": "Prefers WeChat, not calls",
        "contact_birthday": "--07-04",
    }


def test_extra_phones_and_emails_are_kept_in_the_notes() -> None:
    text = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nTEL;TYPE=HOME:010-1111\r\nTEL;TYPE=CELL:139 0000 1111\r\n"
            "EMAIL:a@x.example\r\nEMAIL:b@x.example\r\nEND:VCARD\r\n")
    (card,) = read_cards(text)
    assert card.values["contact_phone"] == "139 0000 1111"
    assert card.values["contact_notes"] == "Also: phone 010-1111, email b@x.example"


def test_a_broken_card_does_not_stop_the_others() -> None:
    text = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good One\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad\r\nBDAY:last spring\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Also Good\r\nEND:VCARD\r\n")
    cards = read_cards(text)
    assert [c.values.get("name") for c in cards] == ["Good One", "Bad", "Also Good"]
    assert cards[1].problems == ["BDAY 'last spring' is not a date (YYYY-MM-DD, YYYYMMDD or --MMDD)"]
    assert cards[0].problems == cards[2].problems == []


def test_vcard_21_quoted_printable_as_old_phones_write() -> None:
    text = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B;=E4=BC=9F;;;\r\n"
            "TEL;CELL;PREF:013812345678\r\nEND:VCARD\r\n")
    (card,) = read_cards(text)
    assert card.values == {"name": "王伟", "contact": "王伟", "contact_phone": "013812345678"}


@pytest.mark.parametrize(
    ("value", "omit", "expected"),
    [
        ("1980-05-03", None, "1980-05-03"), ("19800503", None, "1980-05-03"), ("--0503", None, "--05-03"),
        ("--05-03", None, "--05-03"), ("1604-05-03", "1604", "--05-03"), ("1980-05-03T00:00:00Z", None,
                                                                          "1980-05-03"),
        ("May 3", None, None),
    ],
)
def test_parse_bday(value: str, omit: str | None, expected: str | None) -> None:
    assert parse_bday(value, omit) == expected


def test_format_address_orders_chinese_country_first() -> None:
    adr = vobject.vcard.Address(street="1 Main St", city="Springfield", region="IL", code="62701")
    assert format_address(adr) == "1 Main St, Springfield IL 62701"
    adr = vobject.vcard.Address(street="南京路1号", city="上海", region="上海", country="中国")
    assert format_address(adr) == "中国上海南京路1号"


def test_split_cards_ignores_text_between_cards() -> None:
    text = "junk\nBEGIN:VCARD\nFN:a\nEND:VCARD\nmore junk\nbegin:vcard\nFN:b\nend:vcard\n"
    assert len(split_cards(text)) == 2


CLIENT = Client(
    slug="huadong", path="clients/huadong.md", name="华东润滑油", grade="A", phone="021-61234567",
    email="info@hd.example", address="上海市浦东新区, 世纪大道100号", website="https://hd.example",
    tags=("华东", "distributor"), notes="Main account",
    contacts=(
        Contact(name="王伟", role="采购经理", phone="013812345678", email="wang@hd.example",
                birthday=Birthday(3, 15), notes="喜欢喝茶; 周末不联系"),
        Contact(name="John Smith", phone="+44 7700 900123", birthday=Birthday(5, 3, 1980)),
        Contact(name="Old Boss", left=dt.date(2025, 1, 1)),
    ),
)


def test_client_cards_one_per_current_contact_v4() -> None:
    cards = client_cards(CLIENT)
    assert len(cards) == 2  # the contact who left is not exported
    text = cards[0].serialize()
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    parsed = vobject.readOne(text)
    assert parsed.fn.value == "王伟"
    assert parsed.org.value == ["华东润滑油"]
    assert parsed.n.value.family == "王" and parsed.n.value.given == "伟"
    assert [t.value for t in parsed.contents["tel"]] == ["013812345678", "021-61234567"]
    assert parsed.bday.value == "--0315"
    assert parsed.note.value == "喜欢喝茶; 周末不联系"
    assert vobject.readOne(cards[1].serialize()).bday.value == "19800503"


def test_client_without_contacts_is_one_org_card() -> None:
    client = Client(slug="acme", path="clients/acme.md", name="Acme", grade="B", phone="+1 555 0100",
                    notes="note")
    (card,) = client_cards(client)
    parsed = vobject.readOne(card.serialize())
    assert parsed.kind.value == "org"
    assert parsed.fn.value == parsed.org.value[0] == "Acme"
    assert parsed.tel.value == "+1 555 0100"


def test_exported_cards_read_back_to_the_same_people() -> None:
    cards = read_cards(to_vcf([CLIENT]).decode("utf-8"))
    assert [c.values for c in cards] == [
        {"name": "华东润滑油", "contact": "王伟", "contact_role": "采购经理", "contact_phone": "013812345678",
         "phone": "021-61234567", "contact_email": "wang@hd.example", "contact_notes": "喜欢喝茶; 周末不联系",
         "address": "上海市浦东新区, 世纪大道100号", "website": "https://hd.example", "tags": "华东; distributor",
         "contact_birthday": "--03-15"},
        {"name": "华东润滑油", "contact": "John Smith", "contact_phone": "+44 7700 900123",
         "phone": "021-61234567", "address": "上海市浦东新区, 世纪大道100号", "website": "https://hd.example",
         "tags": "华东; distributor", "contact_birthday": "1980-05-03"},
    ]
