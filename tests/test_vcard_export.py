"""vCard export (#22): phone TYPEs from the number, N for Chinese and pinyin names, stable UID,
REV from git, PRODID, folding by octets, and an import that keeps the company's number off the
contact. Every card is read back with vobject; line lengths are measured in octets."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import vobject
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.format.model import Client, Contact
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.transfer.vcard import read_cards, to_vcf
from tests.conftest import write_client

BOOK = Client(
    slug="huadong", path="clients/huadong.md", name="华东润滑油", grade="A", phone="021-6123 4567",
    contacts=(
        Contact(name="欧阳娜娜", phone="+86 138 1234 5678"),
        Contact(name="司马光", phone="0571-8888 1234"),
        Contact(name="上官婉儿", phone="+44 7700 900123"),
        Contact(name="Zhang Min", phone="13900001111"),
        Contact(name="John Smith"),
    ),
)


def parsed(data: bytes) -> list:
    return list(vobject.readComponents(data.decode("utf-8")))


def by_name(cards: list) -> dict[str, object]:
    return {c.fn.value: c for c in cards}


def tel_types(card) -> dict[str, set[str]]:
    return {t.value: {v.lower() for p in t.params.get("TYPE", []) for v in p.split(",")}
            for t in card.contents.get("tel", [])}


def test_phone_type_comes_from_the_number() -> None:
    cards = by_name(parsed(to_vcf([BOOK])))
    assert tel_types(cards["欧阳娜娜"])["+86 138 1234 5678"] == {"cell"}
    assert tel_types(cards["Zhang Min"])["13900001111"] == {"cell"}
    landline = tel_types(cards["司马光"])["0571-8888 1234"]
    assert "cell" not in landline and {"work", "voice"} <= landline
    foreign = tel_types(cards["上官婉儿"])["+44 7700 900123"]
    assert "cell" not in foreign and "voice" in foreign
    # The client's switchboard is on every card, labelled as the company's main line, never cell.
    for card in cards.values():
        assert tel_types(card)["021-6123 4567"] == {"work", "voice", "main"}


def test_n_splits_compound_surnames_and_pinyin_names() -> None:
    cards = by_name(parsed(to_vcf([BOOK])))
    names = {fn: (c.n.value.family, c.n.value.given) for fn, c in cards.items()}
    assert names == {"欧阳娜娜": ("欧阳", "娜娜"), "司马光": ("司马", "光"), "上官婉儿": ("上官", "婉儿"),
                     "Zhang Min": ("Zhang", "Min"), "John Smith": ("Smith", "John")}


def test_uid_is_stable_per_client_and_contact_and_prodid_is_set() -> None:
    first, again = parsed(to_vcf([BOOK])), parsed(to_vcf([BOOK]))
    uids = [c.uid.value for c in first]
    assert uids == [c.uid.value for c in again]
    assert len(set(uids)) == len(uids)
    for value in uids:
        assert value.startswith("urn:uuid:") and uuid.UUID(value[9:]).version == 5
    assert {c.prodid.value for c in first} == {"-//crmgen//crmgen vCard export//EN"}
    # A changed phone, role or order of contacts keeps each person's UID.
    moved = Client(slug=BOOK.slug, path=BOOK.path, name=BOOK.name, grade="B", phone="021-0000 0000",
                   contacts=(Contact(name="John Smith", role="Buyer"),
                             Contact(name="欧阳娜娜", phone="13500000000")))
    later = {c.fn.value: c.uid.value for c in parsed(to_vcf([moved]))}
    before = {c.fn.value: c.uid.value for c in first}
    assert later == {"John Smith": before["John Smith"], "欧阳娜娜": before["欧阳娜娜"]}
    # Another client's contact of the same name is another card.
    other = Client(slug="beifang", path="clients/beifang.md", name="北方", grade="C",
                   contacts=(Contact(name="John Smith"),))
    assert parsed(to_vcf([other]))[0].uid.value != before["John Smith"]
    # Two contacts of the same name in one client, and a client without contacts, get UIDs of their own.
    twins = Client(slug="t", path="clients/t.md", name="T", grade="C",
                   contacts=(Contact(name="王伟"), Contact(name="王伟")))
    alone = Client(slug="t2", path="clients/t2.md", name="T2", grade="C")
    all_uids = [c.uid.value for c in parsed(to_vcf([twins, alone]))]
    assert len(set(all_uids)) == 3


def test_rev_is_the_given_revision_in_utc_and_absent_without_one() -> None:
    when = dt.datetime(2026, 11, 2, 17, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    cards = parsed(to_vcf([BOOK], {"huadong": when}))
    assert {c.rev.value for c in cards} == {"20261102T093005Z"}
    assert all("rev" not in c.contents for c in parsed(to_vcf([BOOK])))


def test_lines_are_folded_at_75_octets_never_inside_a_character() -> None:
    note = "喜欢喝龙井，" * 30 + "🍵 tea " * 20 + "x" * 200
    client = Client(slug="long", path="clients/long.md", name="长名字的客户" * 10, grade="C",
                    address="上海市浦东新区世纪大道100号" * 5,
                    contacts=(Contact(name="欧阳娜娜", role="采购经理" * 20, notes=note),))
    data = to_vcf([client])
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert max(len(line) for line in lines) >= 73  # folded to the limit, not far below it
    for line in lines:
        line.decode("utf-8")  # each physical line is whole UTF-8: no sequence split across lines
    (card,) = parsed(data)
    assert card.note.value == note
    assert card.org.value == ["长名字的客户" * 10]
    assert card.title.value == "采购经理" * 20


def test_import_does_not_give_a_contact_the_companys_number() -> None:
    cards = read_cards(to_vcf([BOOK]).decode("utf-8"))
    smith = next(c for c in cards if c.values.get("contact") == "John Smith")
    assert "contact_phone" not in smith.values
    assert smith.values["phone"] == "021-6123 4567"
    ouyang = next(c for c in cards if c.values.get("contact") == "欧阳娜娜")
    assert (ouyang.values["contact_phone"], ouyang.values["phone"]) == ("+86 138 1234 5678", "021-6123 4567")
    # An iPhone card: the company's line is type MAIN, the person's only number is a WORK one.
    (apple,) = read_cards("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李娜\r\nORG:北方包装;\r\n"
                          "TEL;type=MAIN:010-8888 1234\r\nEND:VCARD\r\n")
    assert apple.values == {"name": "北方包装", "contact": "李娜", "phone": "010-8888 1234"}
    (both,) = read_cards("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李娜\r\nORG:北方包装;\r\n"
                         "TEL;type=MAIN:010-8888 1234\r\nTEL;type=WORK:010-8888 1299\r\nEND:VCARD\r\n")
    assert (both.values["contact_phone"], both.values["phone"]) == ("010-8888 1299", "010-8888 1234")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_cli_export_rev_is_the_last_commit_of_the_file_and_reexport_is_identical(project: Path) -> None:
    def git(*args: str, when: str) -> None:
        env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_AUTHOR_DATE": when,
               "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com", "GIT_COMMITTER_DATE": when,
               "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)

    write_client(project, "huadong", "---\nname: 华东润滑油\ngrade: A\nphone: \"021-6123 4567\"\n"
                 "contacts:\n  - name: 欧阳娜娜\n    phone: \"13812345678\"\n---\n")
    write_client(project, "beifang", "---\nname: 北方包装\ngrade: B\n---\n")
    git("init", "-q", when="2026-01-01T09:00:00+08:00")
    git("add", ".", when="2026-01-01T09:00:00+08:00")
    git("commit", "-qm", "first", when="2026-01-01T09:00:00+08:00")
    write_client(project, "huadong", "---\nname: 华东润滑油\ngrade: B\nphone: \"021-6123 4567\"\n"
                 "contacts:\n  - name: 欧阳娜娜\n    phone: \"13812345678\"\n---\n")
    git("commit", "-qam", "grade", when="2026-03-04T10:20:30+08:00")
    runner = CliRunner()
    first = runner.invoke(main, ["-C", str(project), "export", "--format", "vcf"])
    again = runner.invoke(main, ["-C", str(project), "export", "--format", "vcf"])
    assert first.exit_code == 0, first.output
    assert first.stdout_bytes == again.stdout_bytes
    cards = {c.org.value[0]: c for c in parsed(first.stdout_bytes)}
    assert cards["华东润滑油"].rev.value == "20260304T022030Z"
    assert cards["北方包装"].rev.value == "20260101T010000Z"
    assert cards["华东润滑油"].n.value.family == "欧阳"


def test_cli_vcard_round_trip_keeps_the_company_number_on_the_client(project: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "clients").mkdir(parents=True)
    (source / "mkdocs.yml").write_text("site_name: S\n", encoding="utf-8")
    write_client(source, "huadong", "---\nname: 华东润滑油\ngrade: A\nphone: \"021-6123 4567\"\n"
                 "contacts:\n  - name: 欧阳娜娜\n    phone: \"13812345678\"\n  - name: 司马光\n---\n")
    runner = CliRunner()
    out = runner.invoke(main, ["-C", str(source), "export", "--format", "vcf", "-o", str(tmp_path / "c.vcf")])
    assert out.exit_code == 0, out.output
    done = runner.invoke(main, ["-C", str(project), "import", str(tmp_path / "c.vcf"), "--write"])
    assert done.exit_code == 0, done.output
    (client,) = load_book(load_project(project)).clients
    assert client.phone == "021-6123 4567"
    assert [(c.name, c.phone) for c in client.contacts] == [("欧阳娜娜", "13812345678"), ("司马光", None)]
