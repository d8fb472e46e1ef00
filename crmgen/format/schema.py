"""The client file format v1, declared once.

The validator (:mod:`crmgen.format.validation`) walks a file against :data:`CLIENT`, and
:func:`json_schema` turns the same declaration into a JSON Schema for editors, so
the two can never disagree. Each field's ``doc`` is its documentation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

# The values a field may take (the model re-exports them): here, so that checking a file
# needs neither the model nor its dataclasses.
GRADES = ("A", "B", "C", "D", "E", "F")
STAGES = ("prospect", "customer", "dormant", "lost")
INTERACTION_TYPES = ("visit", "call", "meeting", "message", "email", "gift", "note")
PROMISE_SIDES = ("us", "client")
COMPLAINT_STEPS = ("listen", "analyse", "solve", "inform", "act", "review")
# What a rebate counts: orders by their date, by their delivery, or the money paid in the period
REBATE_BASES = ("ordered", "delivered", "paid")
# How a tier's rate applies: to the whole amount bought, or only to the part above each threshold
REBATE_MODES = ("whole", "above")

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

# Value kinds the validator knows how to read.
TEXT = "text"
DATE = "date"
NUMBER = "number"
CHOICE = "choice"
TEXT_LIST = "text-list"
CADENCE = "cadence"
BIRTHDAY = "birthday"
SLUG = "slug"
RATE = "rate"
RECORD = "record"
RECORD_LIST = "record-list"
ANY_MAPPING = "any-mapping"
TERMS = "terms"


# The values crmgen computes with: every rule adds days and years to dates and sums amounts,
# so each kind has a range, checked with the value's place in the file (format page, README).
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)
NUMBER_MAX = 10**15  # amounts, limits and tiers: a thousand trillion
CADENCE_MAX = 3650  # days: ten years between contacts
# The days a command may run as of (--today): the site's files carry the day as a 32-bit Unix
# time (gzip's header of sitemap.xml.gz), which holds 1970 to early 2106.
TODAY_MIN = dt.date(1970, 1, 1)
TODAY_MAX = dt.date(2105, 12, 31)
# Levels of lists and mappings inside 'extra:' (your own fields): deeper is refused, not walked
# (a file of a few thousand brackets would otherwise exhaust Python's stack).
NESTING_MAX = 32

class Field(NamedTuple):
    """One key of the format (a named tuple: a frozen dataclass costs more to create at start-up)."""

    kind: str
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    fields: dict[str, Field] = {}  # one dict shared by the fields without sub-fields: never changed
    default: Any = None
    example: Any = None


def _record(**fields: Field) -> dict[str, Field]:
    return fields


CONTACT = _record(
    name=Field(TEXT, "The person's name.", required=True, example="张伟"),
    role=Field(TEXT, "Their role at the client (purchasing manager, owner, ...).", example="采购经理"),
    phone=Field(TEXT, "Phone number, quoted so leading zeros and + survive.", example="+86 138 0013 8000"),
    email=Field(TEXT, "Email address.", example="zhang.wei@example.com"),
    birthday=Field(
        BIRTHDAY, "Birthday: YYYY-MM-DD, or --MM-DD when the year is unknown.", example="--03-15"
    ),
    left=Field(DATE, "The day the person left the client (they are then shown struck through).",
               example="2026-11-10"),
    notes=Field(TEXT, "Anything worth remembering: family, hobbies, how they like to be contacted."),
)

ANNIVERSARY = _record(
    what=Field(TEXT, "What the date is (founding day, first deal, ...).", required=True,
               example="公司成立纪念日"),
    date=Field(DATE, "The original date; it recurs every year.", required=True, example="2012-06-18"),
)

PROMISE = _record(
    id=Field(TEXT, "A short name for the promise, unique among the file's promises: its calendar event keeps "
             "it when the wording or the order of the list changes.", example="q3-payment"),
    by=Field(CHOICE, "Who promised: us, or the client.", required=True, choices=PROMISE_SIDES),
    what=Field(TEXT, "What was promised.", required=True, example="付清第三季度货款"),
    due=Field(DATE, "The day it is due.", required=True, example="2026-12-15"),
    amount=Field(NUMBER, "The sum involved, if any.", example=120000),
    agreed=Field(DATE, "The day the promise was made (no early reminder when that was inside its lead).",
                 example="2026-12-01"),
    order=Field(TEXT, "The id of the order a payment promise is about: then the order's payment and the "
                "promise are one reminder.", example="2026-09-A"),
    kept=Field(DATE, "The day it was kept."),
    broken=Field(DATE, "The day it was broken (a promise is either kept or broken, not both)."),
    because=Field(NUMBER, "A client promise broken because of one of ours: that promise's number (1 is the "
                  "first in the list); it is then not counted against the client.", example=2),
)

PAYMENT = _record(
    date=Field(DATE, "The day the money arrived.", required=True, example="2026-10-20"),
    amount=Field(NUMBER, "How much arrived.", required=True, example=40000),
    note=Field(TEXT, "Anything about it (bank transfer, cheque number, ...)."),
)

ORDER = _record(
    id=Field(TEXT, "A short name for the order, unique in the file, that a promise can name (order:).",
             example="2026-09-A"),
    date=Field(DATE, "The order date.", required=True, example="2026-09-01"),
    amount=Field(NUMBER, "The order total.", required=True, example=86000),
    paid=Field(NUMBER, "How much has been paid so far (default 0; the sum of payments when they are listed).",
               default=0, example=40000),
    payments=Field(RECORD_LIST, "The payments received, each a date and an amount.", fields=PAYMENT),
    terms=Field(TERMS, "Payment terms of this order, when not the client's: see the client's terms.",
                example="net 60"),
    pay_by=Field(DATE, "The day payment is due (when absent: worked out from the terms).", example="2026-10-31"),
    delivered=Field(DATE, "The day it was delivered."),
    reviewed=Field(DATE, "The day of the after-sale review visit."),
    items=Field(TEXT, "What was ordered.", example="L-HM46 液压油 200L x 40"),
)

COMPLAINT = _record(
    opened=Field(DATE, "The day the complaint was received.", required=True),
    what=Field(TEXT, "What the client complained about.", required=True),
    step=Field(CHOICE, "How far handling has gone (the six steps, in order).", choices=COMPLAINT_STEPS,
               default="listen"),
    closed=Field(DATE, "The day it was closed."),
)

TIER = _record(
    over=Field(NUMBER, "Purchases in the period above this amount earn the rate.", required=True,
               example=500000),
    rate=Field(RATE, "The rebate rate: 2% or 0.02.", required=True, example="2%"),
)

REBATE = _record(
    **{
        "name": Field(TEXT, "What the programme is called (when a client has several).", example="2026 年度返利"),
        "from": Field(DATE, "First day of the rebate period.", required=True, example="2026-01-01"),
        "to": Field(DATE, "Last day of the rebate period.", required=True, example="2026-12-31"),
        "tiers": Field(RECORD_LIST, "The tiers, each an amount to pass and a rate.", required=True,
                       fields=TIER),
        "basis": Field(CHOICE, "What counts: orders by their date (ordered), by their delivery (delivered), "
                       "or the money paid in the period (paid).", choices=REBATE_BASES, default="ordered"),
        "mode": Field(CHOICE, "How the rate applies: to the whole amount (whole) or only to the part above "
                      "each threshold (above).", choices=REBATE_MODES, default="whole"),
        "settled": Field(DATE, "The day we paid (or credited) the rebate earned."),
    }
)

CLIENT: dict[str, Field] = {
    "name": Field(TEXT, "The client's name (company or person).", required=True, example="华东润滑油"),
    "grade": Field(CHOICE, "A (ready now) to F (a year away); see the grading guide.", required=True,
                   choices=GRADES),
    "stage": Field(CHOICE, "Where the relationship stands.", choices=STAGES, default="prospect"),
    "owner": Field(TEXT, "The salesperson who owns the client.", example="王磊"),
    "tags": Field(TEXT_LIST, "Free labels, e.g. region or product line.", example=["华东", "distributor"]),
    "phone": Field(TEXT, "Main phone number, quoted.", example="021-6234 5678"),
    "email": Field(TEXT, "Main email address."),
    "address": Field(TEXT, "Postal address."),
    "website": Field(TEXT, "Web site."),
    "industry": Field(TEXT, "Industry.", example="润滑油分销"),
    "notes": Field(TEXT, "Notes about the client (Markdown)."),
    "since": Field(DATE, "Date of the first deal."),
    "cadence": Field(CADENCE, "Days between contacts: 10, 10d, 2w or 3m (a month is 30 days).",
                     example="2w"),
    "referred_by": Field(SLUG, "Slug of the client who referred this one."),
    "credit_limit": Field(NUMBER, "Credit limit: the most the client may owe at once."),
    "terms": Field(TERMS, "Payment terms: days after delivery (60, net 60), end of month plus days (EOM 45, "
                   "月结45天), on delivery (货到付款, COD) or before delivery (款到发货, prepaid).",
                   example="月结45天"),
    "contacts": Field(RECORD_LIST, "People at the client.", fields=CONTACT),
    "dates": Field(RECORD_LIST, "Anniversaries that recur every year.", fields=ANNIVERSARY),
    "promises": Field(RECORD_LIST, "Promises in both directions.", fields=PROMISE),
    "orders": Field(RECORD_LIST, "Orders.", fields=ORDER),
    "complaints": Field(RECORD_LIST, "Complaints and how far their handling has gone.", fields=COMPLAINT),
    "rebate": Field(RECORD, "A tiered rebate over a period (one programme; see rebates).", fields=REBATE),
    "rebates": Field(RECORD_LIST, "Rebate programmes, each like rebate.", fields=REBATE),
    "extra": Field(ANY_MAPPING, "Your own fields: shown on the client page, never validated."),
}


def _json_field(f: Field) -> dict[str, Any]:
    out: dict[str, Any]
    if f.kind == TEXT:
        out = {"type": "string"}
    elif f.kind == DATE:
        out = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    elif f.kind == NUMBER:
        out = {"type": "number", "minimum": 0, "maximum": NUMBER_MAX}
    elif f.kind == CHOICE:
        out = {"type": "string", "enum": list(f.choices)}
    elif f.kind == TEXT_LIST:
        out = {"type": "array", "items": {"type": "string"}}
    elif f.kind == CADENCE:
        out = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": CADENCE_MAX},
                         {"type": "string", "pattern": r"^\d+\s*[dwm]$"}]}
    elif f.kind == BIRTHDAY:
        out = {"type": "string", "pattern": r"^(\d{4}|-)-\d{2}-\d{2}$"}
    elif f.kind == SLUG:
        out = {"type": "string", "pattern": SLUG_PATTERN}
    elif f.kind == RATE:
        out = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                         {"type": "string", "pattern": r"^\d+(\.\d+)?\s*%$"}]}
    elif f.kind == RECORD:
        out = _json_record(f.fields)
    elif f.kind == RECORD_LIST:
        out = {"type": "array", "items": _json_record(f.fields)}
    elif f.kind == ANY_MAPPING:
        out = {"type": "object"}
    elif f.kind == TERMS:
        out = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": CADENCE_MAX}, {"type": "string"}]}
    else:  # pragma: no cover - a kind added without a schema mapping
        raise AssertionError(f.kind)
    out["description"] = f.doc
    if f.default is not None:
        out["default"] = f.default
    return out


def _json_record(fields: dict[str, Field]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: _json_field(f) for name, f in fields.items()},
        "required": [name for name, f in fields.items() if f.required],
        "additionalProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a client file's front matter."""
    schema = _json_record(CLIENT)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://crmgen.invalid/schema/client-v1.json",
        "title": "crmgen client file (format v1) front matter",
        **schema,
    }
