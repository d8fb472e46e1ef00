"""Exports (CSV, JSON) and the CSV round trip: export, import into an empty project, same data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

from crmgen.format.model import Birthday, Client, Contact, Order, Promise, Rebate, RebateTier
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.transfer.exporter import client_json, csv_rows, export, select, to_csv
from crmgen.transfer.importer import plan_import, write_plan
from tests.conftest import REPO, write_client

ACME = Client(
    slug="acme", path="clients/acme.md", name="Acme, Inc.", grade="B", stage="customer", owner="Li Na",
    tags=("华东", "VIP"), phone="+86 21 6123 4567", credit_limit=50000.0, since=dt.date(2020, 1, 2),
    notes="line one\nline two", extra={"zip": "200120", "stores": 12},
    contacts=(Contact(name="Ann", role="Buyer", phone="013800001111", birthday=Birthday(3, 15)),
              Contact(name="Bob", left=dt.date(2025, 6, 30), notes="moved to a rival")),
)
BETA = Client(slug="beta", path="clients/beta.md", name="北方包装", grade="D", owner="王强")


def test_csv_one_row_per_contact_with_client_columns_repeated() -> None:
    header, rows = csv_rows([ACME, BETA])
    assert header[:3] == ["slug", "name", "grade"]
    assert header[-2:] == ["extra.zip", "extra.stores"]
    as_dicts = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["name"], r["contact"]) for r in as_dicts] == [("Acme, Inc.", "Ann"), ("Acme, Inc.", "Bob"),
                                                            ("北方包装", "")]
    first = as_dicts[0]
    assert (first["tags"], first["phone"], first["credit_limit"], first["since"], first["contact_phone"],
            first["contact_birthday"], first["extra.stores"]) == (
        "华东; VIP", "+86 21 6123 4567", "50000", "2020-01-02", "'013800001111", "--03-15", "12")
    assert as_dicts[1]["contact_left"] == "2025-06-30"
    assert as_dicts[2]["extra.zip"] == ""


def test_csv_has_a_bom_for_excel_or_is_gb18030() -> None:
    data = to_csv([BETA])
    assert data.startswith(b"\xef\xbb\xbfslug,name,")
    assert "北方包装" in data.decode("utf-8-sig")
    gb = export([BETA], "csv", "gb18030")
    assert not gb.startswith(b"\xef\xbb\xbf")
    assert "北方包装" in gb.decode("gb18030")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1][:3] == ["beta", "北方包装", "D"]


def test_json_has_every_front_matter_field_with_iso_dates() -> None:
    client = Client(
        slug="c", path="clients/c.md", name="C", grade="A",
        promises=(Promise(by="client", what="pay", due=dt.date(2026, 12, 1), amount=1000.0),),
        orders=(Order(date=dt.date(2026, 1, 5), amount=800.0, paid=200.0),),
        rebate=Rebate(dt.date(2026, 1, 1), dt.date(2026, 12, 31), (RebateTier(over=100000.0, rate=0.02),)),
        contacts=(Contact(name="Ann", birthday=Birthday(3, 15, 1980)),),
    )
    data = json.loads(export([client], "json"))
    (item,) = data
    assert list(item) == ["slug", "path", "name", "grade", "stage", "owner", "tags", "phone", "email",
                          "address", "website", "industry", "notes", "since", "cadence", "referred_by",
                          "credit_limit", "contacts", "dates", "promises", "orders", "complaints", "rebate",
                          "extra", "last_contact", "terms", "rebates"]
    assert item["promises"] == [{"by": "client", "what": "pay", "due": "2026-12-01", "amount": 1000.0,
                                 "kept": None, "broken": None, "agreed": None, "order": None, "because": None}]
    assert item["orders"][0]["date"] == "2026-01-05"
    assert list(item["orders"][0])[-3:] == ["id", "terms", "payments"]
    assert item["rebate"] == {"from": "2026-01-01", "to": "2026-12-31", "tiers": [{"over": 100000.0, "rate": 0.02}],
                              "name": None, "basis": "ordered", "mode": "whole", "settled": None}
    assert item["contacts"][0]["birthday"] == "1980-03-15"
    assert client_json(ACME)["extra"] == {"zip": "200120", "stores": 12}


def test_json_carries_the_money_keys_of_the_format() -> None:
    from crmgen.load.book import parse_client_text

    text = """---
name: M
grade: A
terms: 月结45天
promises:
  - {by: us, what: ship, due: 2026-01-02, broken: 2026-01-03}
  - {by: client, what: pay, due: 2026-02-01, agreed: 2026-01-05, order: A-1, broken: 2026-02-02, because: 1}
orders:
  - {id: A-1, date: 2026-01-05, amount: 800, terms: net 60, payments: [{date: 2026-01-20, amount: 300, note: 电汇}]}
rebates:
  - {name: Q1, from: 2026-01-01, to: 2026-03-31, basis: paid, mode: above, tiers: [{over: 100, rate: 1%}],
     settled: 2026-04-10}
---
"""
    client, problems = parse_client_text(text, "clients/m.md")
    assert client is not None, problems
    item = client_json(client)
    assert item["terms"] == "月结45天" and item["orders"][0]["terms"] == "net 60" and item["orders"][0]["paid"] == 300
    assert item["orders"][0]["payments"] == [{"date": "2026-01-20", "amount": 300, "note": "电汇"}]
    assert item["promises"][1]["agreed"] == "2026-01-05" and item["promises"][1]["because"] == 1
    assert item["rebates"] == [{"from": "2026-01-01", "to": "2026-03-31", "tiers": [{"over": 100, "rate": 0.01}],
                                "name": "Q1", "basis": "paid", "mode": "above", "settled": "2026-04-10"}]


def test_select_by_owner() -> None:
    assert select([ACME, BETA], " li na ") == [ACME]
    assert select([ACME, BETA], "nobody") == []
    assert select([ACME, BETA], None) == [ACME, BETA]


TRICKY = """\
---
name: "0571 Trading"
grade: C
stage: dormant
owner: "NO"
tags: [华东, "007", "yes"]
phone: "+86 571 8888 1234"
email: info@0571.example
address: "上海市浦东新区, 世纪大道100号 \\"A\\"座"
website: https://0571.example
industry: "12:30"
since: 2019-04-01
cadence: 2w
referred_by: huadong-runhuayou
credit_limit: 120000.5
notes: |
  多行备注
  second line, with "quotes"; and a semicolon
contacts:
  - name: 王伟
    role: 采购经理
    phone: "013812345678"
    email: wang@0571.example
    birthday: --03-15
    notes: 喜欢喝茶
  - name: John O'Brien
    phone: "0044 7700 900123"
    birthday: 1980-05-03
    left: 2025-01-31
extra:
  开票抬头: 0571贸易有限公司
---

## 2026-11-02 visit: reviewed delivery
"""


def _fields(client: Client) -> tuple:
    contacts = tuple((c.name, c.role, c.phone, c.email, c.birthday, c.left, c.notes) for c in client.contacts)
    extra = {str(k): str(v) for k, v in client.extra.items()}
    return (client.slug, client.name, client.grade, client.stage, client.owner, client.tags, client.phone,
            # A YAML block (notes: |) ends in a newline; the importer trims cells, so compare without it.
            client.email, client.address, client.website, client.industry, (client.notes or "").rstrip("\n"),
            client.since,
            client.cadence, client.referred_by, client.credit_limit, contacts, extra)


def test_csv_export_reimports_to_the_same_data(project: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "mkdocs.yml").write_text("site_name: Source\n", encoding="utf-8")
    shutil.copytree(REPO / "clients", source / "clients")
    write_client(source, "zero-trading", TRICKY)
    before = load_book(load_project(source))
    assert before.broken == []
    assert len(before.clients) >= 2

    data = to_csv(before.clients)
    plan = plan_import(load_project(project), data, "export.csv")
    assert plan.rejected == []
    write_plan(load_project(project), plan)
    after = load_book(load_project(project))
    assert after.broken == []
    assert [_fields(c) for c in after.clients] == [_fields(c) for c in before.clients]
    # The body (interactions) is not part of a CSV export, but the file says where it came from.
    text = (project / "clients" / "zero-trading.md").read_text(encoding="utf-8")
    assert re.search(r"\n---\n\nImported from export\.csv \(rows \d+, \d+\)\.\n\Z", text)
