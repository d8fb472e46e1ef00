"""The client file format v1, declared once.

The validator (:mod:`crmgen.format.validation`) walks a file against :data:`CLIENT`, and
:func:`json_schema` turns the same declaration into a JSON Schema for editors, so
the two can never disagree. Each field's ``doc`` is its documentation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, NamedTuple

# The values a field may take (the model re-exports them): here, so that checking a file
# needs neither the model nor its dataclasses.
GRADES = ("A", "B", "C", "D", "E", "F")
STAGES = ("prospect", "customer", "dormant", "lost")
INTERACTION_TYPES = ("visit", "call", "meeting", "message", "email", "gift", "note")
PROMISE_SIDES = ("us", "client")
COMPLAINT_STEPS = ("listen", "analyse", "solve", "inform", "act", "review")
# Where a complaint's cause lies, the seed's three: our salesperson, the client's own mistake, the product
COMPLAINT_CAUSES = ("salesperson", "client", "product")
# How an after-sale review (of the contract, of the use) went: satisfied, a problem found, a new opportunity
REVIEW_OUTCOMES = ("satisfied", "problem", "opportunity")
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
YEARLY_DATE = "yearly-date"  # a date that recurs every year: YYYY-MM-DD, or a lunar date with its year
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
        BIRTHDAY, "Birthday: YYYY-MM-DD, or --MM-DD when the year is unknown; a lunar birthday (农历) as "
        "农历三月初八, 1968年农历三月初八, 农历闰四月十二, or lunar 03-08, lunar 1968-03-08, lunar L04-12 "
        "(L: the leap month).", example="--03-15"
    ),
    left=Field(DATE, "The day the person left the client (they are then shown struck through).",
               example="2026-11-10"),
    notes=Field(TEXT, "Anything worth remembering: family, hobbies, how they like to be contacted."),
)

ANNIVERSARY = _record(
    what=Field(TEXT, "What the date is (founding day, first deal, ...).", required=True,
               example="公司成立纪念日"),
    date=Field(YEARLY_DATE, "The original date; it recurs every year. A lunar date (农历) recurs on that lunar "
               "day: 2012年农历五月初九 or lunar 2012-05-09 (with its year).", required=True, example="2012-06-18"),
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
    review_outcome=Field(CHOICE, "How the after-sale review went: satisfied, a problem found, or a new "
                         "opportunity.", choices=REVIEW_OUTCOMES),
    review_note=Field(TEXT, "What the after-sale review found.", example="按合同交付，客户满意"),
    usage_reviewed=Field(DATE, "The day of the usage review, after some weeks of use (see usage_after).",
                         example="2026-10-20"),
    usage_outcome=Field(CHOICE, "How the usage review went: satisfied, a problem found, or a new opportunity.",
                        choices=REVIEW_OUTCOMES),
    usage_note=Field(TEXT, "What the usage review found.", example="换油周期可延长，客户想试用齿轮油"),
    items=Field(TEXT, "What was ordered.", example="L-HM46 液压油 200L x 40"),
)

OPPORTUNITY = _record(
    id=Field(TEXT, "A short name for the opportunity, unique among the file's opportunities (the commands "
             "name it by this).", example="hyd-2027"),
    what=Field(TEXT, "What the business would be.", required=True, example="2027 年度液压油框架合同"),
    amount=Field(NUMBER, "What it is worth if won.", example=600000),
    stage=Field(TEXT, "Where it stands: one of the team's opportunity stages (by default lead, qualified, "
                "proposal, negotiation), won or lost. Default: the first stage.", example="proposal"),
    probability=Field(RATE, "The chance of winning it (default: the stage's).", example="50%"),
    expected=Field(DATE, "The day it is expected to be decided (for a month, its last day).",
                   example="2027-01-31"),
    opened=Field(DATE, "The day it was found.", example="2026-10-08"),
    since=Field(DATE, "The day it reached its stage (default: opened); it has not moved since.",
                example="2026-11-20"),
    competitor=Field(TEXT, "Who else is bidding.", example="某国产品牌"),
    next_step=Field(TEXT, "What we do next.", example="12 月 10 日前报价"),
    lost_reason=Field(TEXT, "Why it was lost (with stage: lost).", example="价格"),
    order=Field(TEXT, "The id of the order it became (with stage: won).", example="2027-01-A"),
)

COMPLAINT_STEP_DATES = _record(**{
    step: Field(DATE, f"The day the complaint reached the {step} step.")
    for step in COMPLAINT_STEPS
})

COMPLAINT = _record(
    opened=Field(DATE, "The day the complaint was received.", required=True),
    what=Field(TEXT, "What the client complained about.", required=True),
    step=Field(CHOICE, "The step being worked on (the six steps, in order; closed only at review).",
               choices=COMPLAINT_STEPS, default="listen"),
    steps=Field(RECORD, "The day each step was reached (listen: the day it was heard out, else opened); the "
                "reminder counts the current step's days from its day.", fields=COMPLAINT_STEP_DATES,
                example={"listen": "2026-11-18", "analyse": "2026-11-19"}),
    cause=Field(CHOICE, "Where the cause lies: our salesperson, the client's own mistake, or the product.",
                choices=COMPLAINT_CAUSES),
    cause_note=Field(TEXT, "The cause in words.", example="运输途中挤压，包装不够结实"),
    handler=Field(TEXT, "Who handles it.", example="王磊"),
    escalated_to=Field(TEXT, "Who it was escalated to.", example="质量部 刘工"),
    escalated=Field(DATE, "The day it was escalated."),
    compensation=Field(TEXT, "What the client was given to make good.", example="补发 2 箱，运费我方承担"),
    compensation_amount=Field(NUMBER, "What the compensation cost.", example=1800),
    closed=Field(DATE, "The day it was closed."),
    visited=Field(DATE, "The day of the follow-up visit after closing (is the client satisfied now?)."),
)

SERVICE = _record(
    **{
        "what": Field(TEXT, "The service (oil testing, maintenance, ...).", required=True, example="油品检测"),
        "every": Field(CADENCE, "How often: days (90) or 90d, 12w, 3m (a month is 30 days).", required=True,
                       example="3m"),
        "from": Field(DATE, "The day of the first service.", example="2026-03-01"),
        "last": Field(DATE, "The day the last one was done.", example="2026-09-05"),
        "product": Field(TEXT, "The product it is for.", example="L-HM46 液压油"),
        "until": Field(DATE, "The last day of the schedule: no service is due after it."),
    }
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
    "region": Field(TEXT, "The region or city, to plan visits by (crmgen plan groups the week by it).",
                    example="上海"),
    "website": Field(TEXT, "Web site."),
    "industry": Field(TEXT, "Industry.", example="润滑油分销"),
    "notes": Field(TEXT, "Notes about the client (Markdown)."),
    "since": Field(DATE, "Date of the first deal."),
    "cadence": Field(CADENCE, "Days between contacts: 10, 10d, 2w or 3m (a month is 30 days).",
                     example="2w"),
    "referred_by": Field(SLUG, "Slug of the client who referred this one."),
    "source": Field(TEXT, "How the client came to us: a trade fair, an event, an advertisement, a person (a "
                    "client who referred it goes in referred_by).", example="2025 上海汽配展"),
    "blocked_until": Field(DATE, "Contact waits until this day (a client waiting for an event: a budget, a "
                           "tender, a new factory): no get-in-touch reminder before it.", example="2027-03-01"),
    "win_back": Field(DATE, "The day to try to win a lost client back (the competitor's contract ends, a "
                      "tender opens): a reminder some weeks before.", example="2027-05-15"),
    "credit_limit": Field(NUMBER, "Credit limit: the most the client may owe at once."),
    "terms": Field(TERMS, "Payment terms: days after delivery (60, net 60), end of month plus days (EOM 45, "
                   "月结45天), on delivery (货到付款, COD) or before delivery (款到发货, prepaid).",
                   example="月结45天"),
    "contacts": Field(RECORD_LIST, "People at the client.", fields=CONTACT),
    "dates": Field(RECORD_LIST, "Anniversaries that recur every year.", fields=ANNIVERSARY),
    "promises": Field(RECORD_LIST, "Promises in both directions.", fields=PROMISE),
    "orders": Field(RECORD_LIST, "Orders.", fields=ORDER),
    "complaints": Field(RECORD_LIST, "Complaints and how far their handling has gone.", fields=COMPLAINT),
    "opportunities": Field(RECORD_LIST, "Business that may come: deals in the pipeline, won and lost.",
                           fields=OPPORTUNITY),
    "services": Field(RECORD_LIST, "Services done on a schedule (oil testing, maintenance), each with its own "
                      "reminder.", fields=SERVICE),
    "rebate": Field(RECORD, "A tiered rebate over a period (one programme; see rebates).", fields=REBATE),
    "rebates": Field(RECORD_LIST, "Rebate programmes, each like rebate.", fields=REBATE),
    "extra": Field(ANY_MAPPING, "Your own fields: shown on the client page, never validated."),
}


# -- the JSON Schema ---------------------------------------------------------------
#
# Each kind below says in JSON Schema what the validator accepts, as editors see the YAML
# (dates are text there); digits are [0-9], as ECMA-262's \d (Python's takes other scripts').
# What only check can tell (the YAML as written, comparisons between values, other records)
# is said in the description, as "check is stricter: ..."; tests/test_schema_truth.py runs a
# corpus of mutations through both and holds them to it.

STRICTER = "check is stricter: "

# The top-level texts that must be one line (validation.ONE_LINE; a test holds them equal)
_ONE_LINE = ("name", "owner")
_BREAK_CLASS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"  # validation._BREAKS


def _class(low: str, high: str) -> str:
    return low if low == high else f"[{low}-{high}]"


def _any_digits(count: int) -> str:
    return "" if count == 0 else "[0-9]" if count == 1 else f"[0-9]{{{count}}}"


def _same_length(low: str, high: str) -> str:
    """A regex of the decimal numbers from ``low`` to ``high``, both of the same length."""
    rest = len(low) - 1
    if rest == 0 or (low[1:] == "0" * rest and high[1:] == "9" * rest):
        return _class(low[0], high[0]) + _any_digits(rest)
    if low[0] == high[0]:
        return low[0] + _group(_same_length(low[1:], high[1:]))
    parts = [low[0] + _group(_same_length(low[1:], "9" * rest))]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(_class(str(int(low[0]) + 1), str(int(high[0]) - 1)) + _any_digits(rest))
    parts.append(high[0] + _group(_same_length("0" * rest, high[1:])))
    return "|".join(parts)


def _group(regex: str) -> str:
    return f"(?:{regex})" if "|" in regex else regex


def int_range(low: int, high: int, width: int | None = None) -> str:
    """A regex group of the whole numbers ``low`` to ``high`` in decimal: with any number of
    leading zeros, or with at most ``width`` digits in all when given."""
    parts = []
    for length in range(len(str(low)), len(str(high)) + 1):
        a, b = max(low, 10 ** (length - 1) if length > 1 else 0), min(high, 10**length - 1)
        if a > b or (width is not None and length > width):
            continue
        zeros = "" if width is None or width == length else f"0{{0,{width - length}}}"
        parts.append(zeros + _group(_same_length(str(a), str(b))) if zeros else _same_length(str(a), str(b)))
    return f"(?:{'|'.join(parts)})" if width is not None else f"0*(?:{'|'.join(parts)})"


def _ci(text: str) -> str:
    """``text`` as a regex that ignores the case of its letters and takes any run of blanks
    for a space (what ``str.lower`` and ``" ".join(text.split())`` make equal)."""
    out = []
    for ch in text:
        if ch == " ":
            out.append(r"\s+")
        elif ch.lower() != ch.upper():
            out.append(f"[{ch.lower()}{ch.upper()}]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


# Days of the month as M-D or MM-DD: every day of the year but 29 February, then with it
_DAY28, _DAY30, _DAY31 = r"0?[1-9]|1[0-9]|2[0-8]", r"0?[1-9]|[12][0-9]|30", r"0?[1-9]|[12][0-9]|3[01]"
_NOT_29_FEB = rf"(?:0?[13578]|1[02])-(?:{_DAY31})|(?:0?[469]|11)-(?:{_DAY30})|0?2-(?:{_DAY28})"
_MONTH_DAY = rf"(?:{_NOT_29_FEB}|0?2-29)"


def _date_text() -> str:
    """YYYY-MM-DD (M and D may be one digit) of a real day from DATE_MIN to DATE_MAX (1900 to 2999)."""
    assert (DATE_MIN, DATE_MAX) == (dt.date(1900, 1, 1), dt.date(2999, 12, 31))
    year = r"(?:19[0-9]{2}|2[0-9]{3})"
    # a leap year: divisible by 4, and not a century unless divisible by 400 (1900 is not, 2000 is)
    leap = r"(?:(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2[048]00)"
    return rf"(?:{year}-(?:{_NOT_29_FEB})|{leap}-0?2-29)"


# A YAML 1.1 timestamp's time of day (check reads a date with a time when it is unquoted)
_TIME = (r"(?:[Tt]|[ \t]+)(?:[01]?[0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]*)?"
         r"(?:[ \t]*(?:Z|[-+](?:[01]?[0-9]|2[0-3])(?::[0-9]{2})?))?")
DATE_PATTERN = rf"^\s*{_date_text()}(?:{_TIME})?\s*$"


def _lunar_text(year: str) -> str:
    """A lunar date in either notation of :mod:`crmgen.rules.lunar`, its year ``year`` ("": none,
    "?": optional, "!": required), years from YEAR_MIN to YEAR_MAX."""
    from crmgen.rules import lunar

    digits = _group(_same_length(str(lunar.YEAR_MIN), str(lunar.YEAR_MAX)))
    months = "|".join(sorted(lunar.MONTH_NAMES, key=len, reverse=True))
    days = "|".join(lunar.DAY_NAMES)
    when = {"": ("", ""), "?": (f"(?:{digits}年)?", f"(?:{digits}-)?"), "!": (f"{digits}年", f"{digits}-")}[year]
    chinese = f"{when[0]}农历闰?(?:{months})月(?:{days})"
    latin = f"lunar {when[1]}L?(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|30)"
    return f"(?:{chinese}|{latin})"


def birthday_pattern() -> str:
    """A birthday's pattern: --MM-DD, a date, or a lunar date with or without its year (made when the
    schema is, not when check starts: the lunar notation is imported only for a file that has one)."""
    return rf"^\s*(?:--{_MONTH_DAY}|{_date_text()}(?:{_TIME})?|{_lunar_text('?')})\s*$"


def yearly_date_pattern() -> str:
    """An anniversary's date: a date, or a lunar date with its year."""
    return rf"^\s*(?:{_date_text()}(?:{_TIME})?|{_lunar_text('!')})\s*$"


# said after _DATE_NOTE's "check is stricter: ..." (less its full stop)
_LUNAR_NOTE = ("; and a lunar date with its year must be a day of that lunar year: a leap month (闰, L) only in "
               "a year that repeats that month, a 30th (三十) only in a month of 30 days that year.")
_DATE_NOTE = (f" Written YYYY-MM-DD, a real day from {DATE_MIN} to {DATE_MAX}. {STRICTER}a date with a time "
              "of day (2026-01-05 10:00:00) is read only when not quoted, and a time zone offset of 24 "
              "hours or more is refused.")


def _amount_text() -> str:
    """An amount as text, as check reads it: Python's float() once every , and _ is dropped
    (800,000 or 1,234.50; no currency, no 万), from 0 to NUMBER_MAX."""
    assert NUMBER_MAX == 10**15
    sep = "[,_]*"
    whole = rf"(?:0{sep})*(?:[0-9]{sep}){{1,15}}"  # below 10^15, with any leading zeros
    mantissa = (rf"(?:{whole}(?:\.[0-9,_]*)?|\.{sep}[0-9][0-9,_]*"
                rf"|(?:0{sep})*1(?:{sep}0){{15}}{sep}(?:\.[0,_]*)?)")
    exponent = rf"[eE]{sep}[-+]?{sep}[0-9][0-9,_]*"
    minus_zero = rf"-{sep}(?:(?:0{sep})+(?:\.[0,_]*)?|\.[0,_]*0[0,_]*)"  # -0 is 0, not negative
    return rf"^[\s,_]*(?:(?:\+{sep})?{mantissa}|{minus_zero})(?:{exponent})?[\s,_]*$"


def _percent_text() -> str:
    """A rate as text: 0% to 100%, a dot and decimals allowed (2%, 1.5 %)."""
    return r"^\s*0*(?:[0-9]{1,2}(?:\.[0-9]+)?|100(?:\.0+)?)\s*%\s*$"


def _cadence_text() -> str:
    """10d, 2w, 3m: 1 to CADENCE_MAX days (a week is 7, a month 30)."""
    units = [("d", 1), ("w", 7), ("m", 30)]
    forms = [rf"{int_range(1, CADENCE_MAX // days)}\s*[{u}{u.upper()}]" for u, days in units]
    return rf"^\s*(?:{'|'.join(forms)})\s*$"


def _terms_text() -> str:
    """Payment terms as :func:`crmgen.format.terms.parse` reads them (case and blanks aside)."""
    from crmgen.format import terms  # only for the schema: check imports it when it meets terms

    days = int_range(0, terms.TERMS_MAX, 5)
    unit = rf"(?:{_ci('d')}|{_ci('days')}|{_ci('day')}|天|日)"
    after_days = rf"(?:(?:{_ci('net')}|{_ci('n')}|账期|賬期)\s*)?(?:[:：]\s*)?{days}\s*{unit}?"
    end_of_month = rf"(?:{_ci('eom')}|月结|月結)\s*[+:：]?\s*{days}?\s*{unit}?"
    words = sorted(terms._ON_DELIVERY | terms._PREPAID)
    return rf"^\s*(?:{after_days}|{end_of_month}|{'|'.join(_ci(w) for w in words)})\s*$"


def _or_null(out: dict[str, Any]) -> dict[str, Any]:
    """``out``, also taking null: check skips an empty optional key (``owner:``)."""
    if "anyOf" in out:
        out["anyOf"].append({"type": "null"})
    elif "enum" in out:
        out["type"] = [out["type"], "null"]
        out["enum"] = [*out["enum"], None]
    else:
        out["type"] = [out["type"], "null"]
    return out


def _json_field(f: Field, name: str = "", top: bool = False) -> dict[str, Any]:
    out: dict[str, Any]
    doc = f.doc
    if f.kind == TEXT:
        out = {"type": "string"}
        if top and name in _ONE_LINE:
            out["pattern"] = (f"^[^{_BREAK_CLASS}]*[^\\s{_BREAK_CLASS}][^{_BREAK_CLASS}]*$" if f.required
                              else f"^[^{_BREAK_CLASS}]*$")
            doc += " One line, without line breaks or control characters."
        elif f.required:
            out["pattern"] = r"\S"  # not blank
    elif f.kind == DATE:
        out = {"type": "string", "pattern": DATE_PATTERN}
        doc += _DATE_NOTE
    elif f.kind == NUMBER:
        out = {"anyOf": [{"type": "number", "minimum": 0, "maximum": NUMBER_MAX},
                         {"type": "string", "pattern": _amount_text()}]}
        doc += (f" A number from 0 to {NUMBER_MAX:,}, or text check reads as one: \"800,000\" or 1,234.50 "
                f"(no currency sign, no 万). {STRICTER}an amount in text with an exponent (\"1e5\") must "
                "also be in that range.")
    elif f.kind == CHOICE:
        out = {"type": "string", "enum": list(f.choices)}
    elif f.kind == TEXT_LIST:
        out = {"type": "array", "items": {"type": ["string", "null"]}}
    elif f.kind == CADENCE:
        out = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": CADENCE_MAX},
                         {"type": "string", "pattern": _cadence_text()}]}
        doc += f" From 1 to {CADENCE_MAX:,} days. {STRICTER}a whole number with a decimal point (14.0) is refused."
    elif f.kind == BIRTHDAY:
        out = {"type": "string", "pattern": birthday_pattern()}
        doc += " --MM-DD may be 29 February." + _DATE_NOTE.removesuffix(".") + _LUNAR_NOTE
    elif f.kind == YEARLY_DATE:
        out = {"type": "string", "pattern": yearly_date_pattern()}
        doc += _DATE_NOTE.removesuffix(".") + _LUNAR_NOTE
    elif f.kind == SLUG:
        out = {"type": "string", "pattern": SLUG_PATTERN}
        doc += f" {STRICTER}that client must have a file in clients/ (checked across the book)."
    elif f.kind == RATE:
        out = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                         {"type": "string", "pattern": _percent_text()}]}
        doc += " From 0% to 100%: a number above 1 is refused as ambiguous (write 3% or 0.03)."
    elif f.kind == RECORD:
        out = _json_record(f.fields, name)
    elif f.kind == RECORD_LIST:
        out = {"type": "array", "items": _json_record(f.fields, name)}
    elif f.kind == ANY_MAPPING:
        out = {"type": "object"}
        doc += (f" {STRICTER}under extra, a number YAML 1.1 misreads (0123, 1:30) or a yes/no meant as "
                f"text is a warning, .inf and .nan are refused, and so is nesting deeper than {NESTING_MAX} "
                "levels.")
    elif f.kind == TERMS:
        from crmgen.format import terms

        out = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": terms.TERMS_MAX},
                         {"type": "string", "pattern": _terms_text()}]}
        doc += f" At most {terms.TERMS_MAX:,} days. {STRICTER}a whole number with a decimal point (60.0) is refused."
    else:  # pragma: no cover - a kind added without a schema mapping
        raise AssertionError(f.kind)
    if not f.required:
        out = _or_null(out)
    note = _ACROSS.get(name, ("", {}))[0] if f.kind in (RECORD, RECORD_LIST) else ""
    out["description"] = doc + (f" {STRICTER}{note}" if note else "")
    if f.default is not None:
        out["default"] = f.default
    if f.example is not None:
        out["examples"] = [f.example]
    return out


# What check compares across the keys of one record, by the key holding the records: what
# only check can tell (said in the key's description), and what JSON Schema can say (merged
# into the record's schema).
_ACROSS: dict[str, tuple[str, dict[str, Any]]] = {
    "promises": (
        "each id only once in the file; order must be the id of one of the orders; because must be the "
        "number of one of our promises (1 is the first in the list).",
        {
            # kept or broken, not both
            "not": {"required": ["kept", "broken"],
                    "properties": {"kept": {"type": "string"}, "broken": {"type": "string"}}},
            # because: only on a broken promise of the client's
            "if": {"required": ["because"], "properties": {"because": {"not": {"type": "null"}}}},
            "then": {"required": ["by", "broken"],
                     "properties": {"by": {"const": "client"}, "broken": {"type": "string"}}},
        },
    ),
    "orders": (
        "paid (or the sum of the payments) may not be more than the amount, paid must equal the sum of "
        "the payments when both are given, a payment may not be dated before its order, and each id only "
        "once in the file; usage_reviewed needs delivered and may not be before it; an outcome without its review's day "
        "is a warning.",
        {},
    ),
    "complaints": (
        "closed may not be before opened; the steps' days may not be before opened, after closed or out of "
        "the steps' order, nor name a step after the current one; visited may not be before closed.",
        {
            # closed only once the sixth step, review, is reached
            "if": {"required": ["closed"], "properties": {"closed": {"type": "string"}}},
            "then": {"required": ["step"], "properties": {"step": {"const": "review"}}},
        },
    ),
    "opportunities": (
        "each id only once in the file; stage must be one of the team's stages, won or lost; order must be the "
        "id of one of the orders; since may not be before opened; a lost_reason only when lost, an order only "
        "when won.",
        {},
    ),
    "services": ("last may not be before from, nor until before from.", {}),
    "rebate": ("to may not be before from, nor settled before to.", {}),
    "rebates": ("to may not be before from, nor settled before to.", {}),
}


def _json_record(fields: dict[str, Field], key: str = "") -> dict[str, Any]:
    """The schema of a record of ``fields``, held under ``key`` (the client's own: none)."""
    top = fields is CLIENT
    out: dict[str, Any] = {
        "type": "object",
        "properties": {name: _json_field(f, name, top) for name, f in fields.items()},
        "required": [name for name, f in fields.items() if f.required],
        "additionalProperties": False,
    }
    out.update(_ACROSS.get(key, ("", {}))[1])
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a client file's front matter."""
    schema = _json_record(CLIENT)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://crmgen.invalid/schema/client-v1.json",
        "title": "crmgen client file (format v1) front matter",
        "description": (
            "The front matter of a crmgen client file, as an editor reads the YAML (dates as text). "
            f"{STRICTER}it reads the YAML as written: a duplicate key or an anchor or alias is "
            "refused, and so is a YAML tag, even YAML's own (!!str 0123: quote it instead); a number YAML 1.1 misreads (012000 is 5120, 1:30 is 90, 0x10 is 16) is refused where a "
            "number is expected, and a value YAML 1.1 reads as a date or a number where text is expected "
            "(2026-01-05, 0123) must be quoted; .nan is never a number; an unknown key is a "
            "warning, which check --strict refuses."
        ),
        **schema,
    }
