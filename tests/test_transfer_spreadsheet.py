"""CSV export for spreadsheets (#22): phones stay text, extra values keep their types through
export and import. Read back with the csv module and the spreadsheet rule below."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from crmgen.format.model import Client, Contact
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.transfer.csvio import extra_cell, read_extra_cell
from crmgen.transfer.exporter import to_csv
from crmgen.transfer.importer import plan_import, write_plan

# How Excel, WPS and LibreOffice read a CSV cell in the General format: a cell that is a
# number (sign, digits, thousands commas, a decimal part, an exponent) becomes a number, which
# drops leading zeros and shows 12 or more digits in scientific notation; a cell that starts
# with ' is text.
_SPREADSHEET_NUMBER = re.compile(r"[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")


def spreadsheet_reads_as_number(cell: str) -> bool:
    return not cell.startswith("'") and bool(_SPREADSHEET_NUMBER.fullmatch(cell.strip()))


PHONES = ["013812345678", "13812345678", "02161234567", "0571-8888 1234", "021 6123 4567", "+86 138 1234 5678",
          "(021) 6123 4567", "'0571", "400-820-8820"]


def test_the_spreadsheet_rule_itself() -> None:
    assert spreadsheet_reads_as_number("013812345678") and spreadsheet_reads_as_number("13812345678")
    assert spreadsheet_reads_as_number("1,234") and spreadsheet_reads_as_number("-5000")
    assert not spreadsheet_reads_as_number("'013812345678") and not spreadsheet_reads_as_number("021 6123")


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_no_phone_cell_is_read_as_a_number_and_one_quote_gives_it_back() -> None:
    clients = [Client(slug=f"c{i}", path=f"clients/c{i}.md", name=f"C{i}", grade="C", phone=phone,
                      contacts=(Contact(name="王伟", phone=phone),)) for i, phone in enumerate(PHONES)]
    rows = _rows(to_csv(clients))
    assert [r["phone"] for r in rows] == [r["contact_phone"] for r in rows]
    for row, phone in zip(rows, PHONES, strict=True):
        cell = row["phone"]
        assert not spreadsheet_reads_as_number(cell), cell
        assert cell.startswith("'") and cell[1:] == phone


def _import(project: Path, data: bytes) -> list[Client]:
    plan = plan_import(load_project(project), data, "export.csv")
    assert plan.rejected == []
    write_plan(load_project(project), plan)
    book = load_book(load_project(project))
    assert book.broken == []
    return book.clients


EXTRA = {
    "stores": 12, "debt": -3, "share": 0.25, "big": 1e16, "vip": True, "closed": False,
    "visited": dt.date(2026, 1, 2), "called": dt.datetime(2026, 1, 2, 9, 30), "brands": ["壳牌", "美孚"],
    "ids": {"qq": "0123", "n": 5},
    "zip": "0200120", "count_text": "12", "flag_text": "true", "date_text": "2026-01-02", "nothing": "无",
    "dash": "-", "quoted": "'x", "minus_text": "-5", "formula": "=SUM(A1)", "list_text": "[1, 2]",
    "plain": "壳牌代理", "float_text": "0.5",
}


def test_extra_values_keep_their_types_through_export_and_import(project: Path) -> None:
    client = Client(slug="acme", path="clients/acme.md", name="Acme", grade="B", phone="013812345678",
                    contacts=(Contact(name="Ann", phone="13812345678"),), extra=dict(EXTRA))
    data = to_csv([client])
    row = _rows(data)[0]
    for key, value in EXTRA.items():
        if isinstance(value, str) and key != "plain":
            assert row[f"extra.{key}"].lstrip("'") == value.lstrip("'") and row[f"extra.{key}"].startswith("'")
    assert (row["extra.stores"], row["extra.vip"], row["extra.visited"]) == ("12", "true", "2026-01-02")
    (after,) = _import(project, data)
    assert after.extra == EXTRA
    assert {k: type(v) for k, v in after.extra.items()} == {k: type(v) for k, v in EXTRA.items()}
    assert (after.phone, after.contacts[0].phone) == ("013812345678", "13812345678")


@pytest.mark.parametrize("value", [0, -1, 10**15, 1.5, -0.5, 2.0, True, False, dt.date(1900, 1, 1), [], {}, "",
                                   "0", "00", "1e5", "true", "False", "2026-02-30", "'", "''a", "[", "{x", "null",
                                   "NULL", "n/a", " 无 "])
def test_extra_cell_is_read_back_to_the_same_value(value: object) -> None:
    cell = extra_cell(value)
    back = read_extra_cell(cell)
    assert back == value and type(back) is type(value)


def test_a_users_own_columns_stay_text_and_a_quoted_phone_loses_its_quote(project: Path, tmp_path: Path) -> None:
    sheet = ("客户名称,电话,联系人,手机,QQ,邮编\r\n"
             "华东润滑油,'0571-8888 1234,王伟,'013812345678,12345,0200120\r\n")
    (after,) = _import(project, sheet.encode("gbk"))
    assert after.phone == "0571-8888 1234" and after.contacts[0].phone == "013812345678"
    assert after.extra == {"QQ": "12345", "邮编": "0200120"}  # not the export's extra.KEY: kept as written
