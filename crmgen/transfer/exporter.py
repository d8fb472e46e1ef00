"""Clients to CSV, vCard 4.0 or JSON.

CSV has one row per contact with the client's columns repeated (one row for a
client without contacts), under the canonical field names of
:mod:`crmgen.transfer.columns`, so that ``crmgen import`` reads an export back
to the same clients and contacts. JSON carries every front-matter field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crmgen.format.model import Client, Contact
from crmgen.format.owners import owner_key
from crmgen.transfer import columns as C
from crmgen.transfer.csvio import extra_cell, phone_cell, write_csv
from crmgen.transfer.vcard import to_vcf

FORMATS = ("csv", "vcf", "json")
# UTF-8 with a BOM is the default because Excel opens a BOM-less CSV in the ANSI
# code page and shows Chinese as mojibake; GB18030 suits old Excel/WPS set-ups.
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


def select(clients: Iterable[Client], owner: str | None) -> list[Client]:
    """The clients of ``owner`` (case and surrounding spaces ignored), or all of them."""
    if owner is None:
        return list(clients)
    wanted = owner_key(owner)
    return [c for c in clients if owner_key(c.owner) == wanted]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _client_cells(client: Client) -> dict[str, str]:
    return {
        "slug": client.slug,
        "name": client.name,
        "grade": client.grade,
        "stage": client.stage,
        "owner": _text(client.owner),
        # Tags never contain ';' in practice; the importer splits on it (and on , ， ； 、).
        "tags": "; ".join(client.tags),
        "phone": phone_cell(_text(client.phone)),
        "email": _text(client.email),
        "address": _text(client.address),
        "website": _text(client.website),
        "industry": _text(client.industry),
        "since": _text(client.since),
        "cadence": _text(client.cadence),
        "referred_by": _text(client.referred_by),
        "credit_limit": _text(client.credit_limit),
        "notes": _text(client.notes),
    }


def _contact_cells(contact: Contact | None) -> dict[str, str]:
    if contact is None:
        return {f: "" for f in C.CONTACT_FIELDS}
    return {
        "contact": contact.name,
        "contact_role": _text(contact.role),
        "contact_phone": phone_cell(_text(contact.phone)),
        "contact_email": _text(contact.email),
        "contact_birthday": str(contact.birthday) if contact.birthday else "",
        "contact_left": _text(contact.left),
        "contact_notes": _text(contact.notes),
    }


def csv_rows(clients: Sequence[Client]) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV export (``extra.KEY`` columns for the users' own fields).

    Phones that start with a digit, and text under ``extra`` that a spreadsheet or the import
    would read as a number, a date or nothing, start with ' (:func:`~crmgen.transfer.csvio.phone_cell`,
    :func:`~crmgen.transfer.csvio.extra_cell`): the import takes it off and gives numbers,
    true/false and dates under ``extra`` back as such.
    """
    extra_keys: list[str] = []
    for client in clients:
        for key in client.extra:
            if str(key) not in extra_keys:
                extra_keys.append(str(key))
    header = [*C.ID_FIELDS, *C.CLIENT_FIELDS, *C.CONTACT_FIELDS, *(f"extra.{k}" for k in extra_keys)]
    rows = []
    for client in clients:
        cells = _client_cells(client)
        extras = {f"extra.{k}": extra_cell(v) for k, v in client.extra.items()}
        for contact in client.contacts or (None,):
            row = {**cells, **_contact_cells(contact), **extras}
            rows.append([row.get(h, "") for h in header])
    return header, rows


def to_csv(clients: Sequence[Client], encoding: str = "utf-8-sig") -> bytes:
    """CSV bytes; see :data:`CSV_ENCODINGS`."""
    header, rows = csv_rows(clients)
    return write_csv(header, rows, encoding)


def _iso(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _iso(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_iso(v) for v in value]
    return value


def _record(obj: Any, fields: Sequence[str], rename: dict[str, str] | None = None) -> dict[str, Any]:
    rename = rename or {}
    return {rename.get(f, f): _iso(getattr(obj, f)) for f in fields}


def client_json(client: Client) -> dict[str, Any]:
    """Every front-matter field of a client (null when absent), plus slug, path and last contact."""
    def programme(r: Any) -> dict[str, Any]:
        return {"from": _iso(r.start), "to": _iso(r.end), "tiers": [{"over": t.over, "rate": t.rate} for t in r.tiers],
                "name": r.name, "basis": r.basis, "mode": r.mode, "settled": _iso(r.settled)}

    def terms(t: Any) -> str | None:
        return str(t) if t is not None else None

    return {
        "slug": client.slug,
        "path": client.path,
        **_record(client, ("name", "grade", "stage", "owner")),
        "tags": list(client.tags),
        **_record(client, ("phone", "email", "address", "website", "industry", "notes", "since",
                           "cadence", "referred_by", "credit_limit")),
        "contacts": [
            {**_record(c, ("name", "role", "phone", "email")),
             "birthday": str(c.birthday) if c.birthday else None,
             **_record(c, ("left", "notes"))}
            for c in client.contacts
        ],
        "dates": [_record(a, ("what", "date")) for a in client.dates],
        "promises": [_record(p, ("by", "what", "due", "amount", "kept", "broken", "agreed", "order", "because"))
                     for p in client.promises],
        "orders": [{**_record(o, ("date", "amount", "paid", "pay_by", "delivered", "reviewed", "items", "id")),
                    "terms": terms(o.terms),
                    "payments": [_record(p, ("date", "amount", "note")) for p in o.payments]}
                   for o in client.orders],
        "complaints": [_record(c, ("opened", "what", "step", "closed")) for c in client.complaints],
        "rebate": programme(client.rebate) if client.rebate is not None else None,
        "extra": _iso(client.extra),
        "last_contact": _iso(client.last_contact),
        # keys added after the first release go last: scripts that read the objects in order keep working
        "terms": terms(client.terms),
        "rebates": [programme(r) for r in client.rebates],
    }


def to_json(clients: Sequence[Client]) -> bytes:
    """A JSON list of clients (UTF-8, Chinese as is, dates ISO 8601)."""
    text = json.dumps([client_json(c) for c in clients], ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def export(clients: Sequence[Client], fmt: str, encoding: str = "utf-8-sig",
           revisions: Mapping[str, dt.datetime] | None = None) -> bytes:
    """The export of ``clients`` in ``fmt`` (csv, vcf or json); ``revisions`` (slug -> when its
    file last changed) gives the vCards their REV."""
    if fmt == "csv":
        return to_csv(clients, encoding)
    if fmt == "vcf":
        return to_vcf(clients, revisions)
    if fmt == "json":
        return to_json(clients)
    raise ValueError(fmt)
