"""Rows and cards to new client files: a plan first, files only on request.

:func:`plan_import` reads a CSV or vCard file and decides, for every row or card,
either the client file it becomes (slug, path, the exact text) or why it cannot
be imported. Nothing is written: :func:`write_plan` does that, one file at a
time, never over an existing file. Every planned text is validated with the same
parser ``crmgen check`` uses before it is offered for writing.

Rows of the same client (the same slug, or the same name by :func:`group_key`)
are one client with a contact per row, as a sheet of people and ``crmgen export``
have them; client columns that disagree between those rows are an error on the
later row, naming the earlier one. Any other repeat of a name (by
:func:`name_key`), phone or email, in the file or among the existing clients, is
a likely duplicate and is reported, not created.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crmgen.format.errors import UsageError
from crmgen.format.model import GRADES, STAGES, Client
from crmgen.load.book import load_book, parse_client_text
from crmgen.load.project import Project
from crmgen.slugs import SLUG_RE, free_slug, slugify
from crmgen.transfer import columns as C
from crmgen.transfer.csvio import EMPTY, decode, delimiter_name, read_extra_cell, read_phone_cell, read_table
from crmgen.transfer.vcard import read_cards

# Placeholders people type into a spreadsheet cell meaning "nothing here".
_EMPTY = EMPTY

_STAGE_WORDS = {
    "prospect": ("潜在", "潜在客户", "意向", "意向客户", "线索", "新客户", "lead", "opportunity"),
    "customer": ("客户", "成交", "已成交", "合作中", "正式客户", "老客户", "签约", "已签约", "client",
                 "active"),
    "dormant": ("休眠", "沉睡", "暂停", "沉默", "inactive", "sleeping"),
    "lost": ("流失", "丢失", "已流失", "输单", "lost", "churned"),
}
_STAGES = {w.casefold(): stage for stage, words in _STAGE_WORDS.items() for w in (stage, *words)}

_GRADE = re.compile(r"^(?:grade|class|level|等级|级别)?\s*([a-f])\s*(?:级|类|等|级客户|类客户|客户)?$")
_SCI = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
_NUMBER_FLOAT = re.compile(r"^\d+\.0+$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NO_YEAR = re.compile(r"^(?:--)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$|^--(\d{2})(\d{2})$")
_CADENCE = re.compile(r"^(\d+)\s*(d|w|m|天|日|周|星期|个月|月)?$", re.IGNORECASE)
_CADENCE_UNIT = {"d": "d", "天": "d", "日": "d", "w": "w", "周": "w", "星期": "w", "m": "m", "个月": "m",
                 "月": "m"}
_TAG_SPLIT = re.compile(r"[;,，；、|]")


@dataclass
class Record:
    """One row or card, its cells named by field (see :mod:`crmgen.transfer.columns`)."""

    number: int
    values: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class Planned:
    """A client file that the import would create."""

    slug: str
    path: str  # relative to the project root, e.g. clients/huadong-runhuayou.md
    name: str
    owner: str | None
    grade: str
    numbers: list[int]  # the rows/cards it comes from
    data: dict[str, Any]
    grade_defaulted: bool = False
    text: str = ""


@dataclass
class Rejected:
    """A row or card that cannot be imported, and why."""

    number: int
    name: str
    reasons: list[str]


@dataclass
class Plan:
    """What an import would do."""

    source: str
    kind: str  # "row" or "card"
    encoding: str
    created: list[Planned] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    merged: list[tuple[int, str, str]] = field(default_factory=list)  # (number, slug, contact name)
    info: list[str] = field(default_factory=list)  # how the file was read
    notes: list[str] = field(default_factory=list)  # what the user should know about the result
    default_grade: str = "C"

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def defaulted(self) -> list[Planned]:
        """The clients that got :attr:`default_grade` because their row had none."""
        return [p for p in self.created if p.grade_defaulted]


# -- reading records --------------------------------------------------------------------


@dataclass
class Sheet:
    """The records of a file, and what its columns are."""

    kind: str  # "row" or "card"
    encoding: str
    records: list[Record]
    info: list[str]
    labels: dict[str, str] = field(default_factory=dict)  # field -> its column's header
    # phone/email columns named loosely (电话, 邮箱) next to a contact column: the client's when
    # the rows of one client agree, each contact's own when they differ.
    loose: tuple[str, ...] = ()


def read_records(data: bytes, source: str, overrides: Mapping[str, str] | None = None) -> Sheet:
    """The records of the bytes of a CSV or vCard file."""
    text, encoding = decode(data, source)
    if _looks_like_vcard(text, source):
        if overrides:
            raise UsageError("--map applies to CSV files only; vCard properties have fixed meanings")
        cards = read_cards(text)
        if not cards:
            raise UsageError(f"{source}: no vCards found (no BEGIN:VCARD ... END:VCARD blocks)")
        records = [Record(c.number, c.values, problems=c.problems) for c in cards]
        versions = sorted(set(re.findall(r"^VERSION:\s*(\S+)", text, re.IGNORECASE | re.MULTILINE)))
        info = [f"encoding {encoding}; {len(cards)} vCard{'s' if len(cards) != 1 else ''}"
                + (f" (version {', '.join(versions)})" if versions else "")]
        return Sheet("card", encoding, records, info)
    sheet = _csv_records(text, source, overrides or {})
    sheet.encoding = encoding
    sheet.info[0] = f"encoding {encoding}; {sheet.info[0]}"
    return sheet


def _looks_like_vcard(text: str, source: str) -> bool:
    if source.lower().endswith((".vcf", ".vcard")):
        return True
    head = text.lstrip("\ufeff \r\n\t")[:20].upper()
    return head.startswith("BEGIN:VCARD")


def _csv_records(text: str, source: str, overrides: Mapping[str, str]) -> Sheet:
    table = read_table(text)
    header_at = _header_index(table.rows, overrides)
    if header_at is None:
        first = next((r for r in table.rows if any(r)), [])
        shown = ", ".join(c for c in first if c) or "(an empty file)"
        raise UsageError(f"{source}: no column for the client name (looked for 客户名称, 公司, 名称, name, "
                         f"company, ... in the first rows; the first row has: {shown}); "
                         "name it with --map name=COLUMN")
    headers = table.rows[header_at]
    cmap = C.map_columns(headers, overrides)
    if "name" not in cmap.fields:
        raise UsageError(f"{source}: no column for the client name; the columns are: "
                         f"{', '.join(h for h in headers if h)}; name it with --map name=COLUMN")
    info = [f"delimiter {delimiter_name(table.delimiter)}; header on row {table.numbers[header_at]}",
            "columns: " + "; ".join(cmap.describe())]
    info += cmap.notes
    records = []
    width = len(headers)
    for row, number in zip(table.rows[header_at + 1:], table.numbers[header_at + 1:], strict=True):
        if not any(row):
            continue
        rec = Record(number, {})
        if len(row) > width and any(row[width:]):
            rec.problems.append(f"the row has {len(row)} cells but the header has {width}: a value "
                                "probably contains the delimiter; quote it or fix the row")
        for fld, index in cmap.fields.items():
            if index < len(row) and row[index] and row[index].casefold() not in _EMPTY:
                rec.values[fld] = row[index]
        for index, key in cmap.extra.items():
            if index < len(row) and row[index] and row[index].casefold() not in _EMPTY:
                # An extra.KEY column is crmgen's own export: its cells keep their types.
                typed = headers[index].strip().lower().startswith("extra.")
                rec.extra[key] = read_extra_cell(row[index]) if typed else row[index]
        records.append(rec)
    labels = {fld: headers[index].strip() for fld, index in cmap.fields.items()}
    loose = tuple(fld for fld in ("phone", "email") if fld in cmap.fields and fld not in overrides
                  and "contact" in cmap.fields and C.normalise_header(labels[fld]) != fld)
    return Sheet("row", "", records, info, labels, loose)


def _header_index(rows: Sequence[Sequence[str]], overrides: Mapping[str, str]) -> int | None:
    """The header row: the first of the first ten rows with a name column (a title row may precede it)."""
    wanted = overrides.get("name")
    for i, row in enumerate(rows[:10]):
        if wanted and any(C.normalise_header(c) == C.normalise_header(wanted) for c in row):
            return i
        if not wanted and "name" in C.map_columns(row).fields:
            return i
    return None


# -- values -----------------------------------------------------------------------------


class Quoted(str):
    """A string always written in quotes (phones: YAML would turn 0571 into 377)."""


# libyaml's emitter is ~5x faster than PyYAML's own; the representers stay in Python.
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Block style keeps multi-line notes readable; PyYAML still quotes anything YAML would misread.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))


def dump_front_matter(data: Mapping[str, Any]) -> str:
    """YAML for a new file: keys in the given order, Chinese as is, ambiguous strings quoted."""
    return yaml.dump(dict(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)


def normalise_grade(value: str) -> str | None:
    """'A级', 'a', 'B类', 'grade c' -> the letter; None when it is not a grade."""
    m = _GRADE.match(unicodedata.normalize("NFKC", value).strip().casefold())
    return m[1].upper() if m else None


def normalise_stage(value: str) -> str | None:
    return _STAGES.get(unicodedata.normalize("NFKC", value).strip().casefold())


def check_phone(value: str, column: str) -> tuple[str | None, str | None]:
    """``(phone, problem)``: the phone exactly as written, or why it cannot be trusted."""
    if _SCI.match(value):
        return None, (f"{column} '{value}' is in scientific notation: Excel stored the phone number as a "
                      "number and lost digits; format the column as Text in Excel, retype or re-export, "
                      "and import again")
    if _NUMBER_FLOAT.match(value):
        return None, (f"{column} '{value}' was saved as a number (it ends in .0); format the column as "
                      "Text in Excel and export again")
    if not re.search(r"\d", value):
        return None, f"{column} '{value}' has no digits"
    return value, None


def parse_date(value: str) -> dt.date | None:
    value = unicodedata.normalize("NFKC", value).strip()
    m = _DATE.match(value) or _DATE_COMPACT.match(value)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_birthday(value: str) -> dt.date | str | None:
    """A full date, or ``--MM-DD`` when the year is unknown (``5月3日``, ``--0503``, ``05-03``), or a
    lunar birthday as the format writes it (农历三月初八, lunar 1968-03-08), kept as written."""
    text = value.strip()
    if text.startswith("lunar") or "农历" in text:
        from crmgen.rules import lunar

        return None if isinstance(lunar.parse(text), lunar.Refused) else text
    full = parse_date(value)
    if full is not None:
        return full
    m = _NO_YEAR.match(unicodedata.normalize("NFKC", value).strip())
    if not m:
        return None
    month, day = (int(m[1]), int(m[2])) if m[1] else (int(m[3]), int(m[4]))
    try:
        dt.date(2000, month, day)
    except ValueError:
        return None
    return f"--{month:02d}-{day:02d}"


def _date_problem(column: str, value: str) -> str:
    if value.isdigit() and 20000 <= int(value) <= 80000:
        return (f"{column} '{value}' is an Excel date serial number; format the column as a date "
                "(YYYY-MM-DD) in Excel and export again")
    return f"{column} '{value}' is not a date; write it as YYYY-MM-DD"


def parse_number(value: str) -> float | int | None:
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "").replace(" ", "")
    text = text.lstrip("¥$€£").removesuffix("元")
    scale = 1
    if text.endswith("万"):
        text, scale = text[:-1], 10_000
    try:
        number = float(text) * scale
    except ValueError:
        return None
    if number < 0 or number != number:
        return None
    return int(number) if number.is_integer() else number


def parse_cadence(value: str) -> int | str | None:
    m = _CADENCE.match(unicodedata.normalize("NFKC", value).strip())
    if not m or int(m[1]) <= 0:
        return None
    unit = _CADENCE_UNIT.get((m[2] or "").lower(), "")
    return int(m[1]) if unit in ("", "d") else f"{m[1]}{unit}"


def split_tags(value: str) -> list[str]:
    tags: list[str] = []
    for part in _TAG_SPLIT.split(value):
        part = part.strip()
        if part and part not in tags:
            tags.append(part)
    return tags


# -- identity ---------------------------------------------------------------------------


# Legal forms at the end of a name; Latin ones only as separate words ("Costco" keeps its "co").
_LEGAL_SUFFIX = re.compile(
    r"(?:股份有限公司|有限责任公司|有限公司|公司|集团"
    r"|(?:^|[\s,.&])(?:co|company|corp|corporation|inc|incorporated|ltd|limited|llc|gmbh|plc|s\.?a|ag))"
    r"[\s,.]*$")


def name_key(name: str) -> str:
    """Names compared for duplicates: width, case, spaces, punctuation and legal forms ignored.

    华东润滑油有限公司 and 华东润滑油, or "Acme Trading Co., Ltd." and "ACME Trading", are one client.
    """
    key = unicodedata.normalize("NFKC", name).casefold().strip()
    while (shorter := _LEGAL_SUFFIX.sub("", key).strip()) != key and shorter:
        key = shorter
    return re.sub(r"[\s.,·&'\"()\-]+", "", key) or name.strip().casefold()


def phone_key(phone: str) -> str:
    """Phones compared for duplicates: the last 10 digits.

    That drops formatting, country codes and trunk zeros alike: 021-61234567 and
    +86 21 6123 4567 are the same line, and so are 07700 900123 and +44 7700 900123.
    """
    digits = re.sub(r"\D", "", phone)
    return digits[-10:] if len(digits) >= 7 else ""


def email_key(email: str) -> str:
    return email.strip().casefold()


@dataclass
class _Known:
    """Names, phones and emails already taken, each with who has it."""

    names: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    def add(self, owner: str, name: str | None, phones: Sequence[str], emails: Sequence[str]) -> None:
        if name:
            self.names.setdefault(name_key(name), owner)
        for p in phones:
            if key := phone_key(p):
                self.phones.setdefault(key, owner)
        for e in emails:
            if key := email_key(e):
                self.emails.setdefault(key, owner)

    def clash(self, name: str | None, phones: Sequence[str], emails: Sequence[str],
              allow: str | None = None) -> str | None:
        """Why these look like someone already known (``allow``: the one it may match)."""
        if name and (who := self.names.get(name_key(name))) and who != allow:
            return f"same name as {who}"
        for p in phones:
            if (key := phone_key(p)) and (who := self.phones.get(key)) and who != allow:
                return f"same phone {p} as {who}"
        for e in emails:
            if (key := email_key(e)) and (who := self.emails.get(key)) and who != allow:
                return f"same email {e} as {who}"
        return None


def _read_identity(path: Path) -> tuple[str | None, list[str], list[str]]:
    """Best effort ``(name, phones, emails)`` of a client file that does not validate."""
    try:
        if path.stat().st_size > 1024 * 1024:  # check refuses those too
            return None, [], []
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        parts = re.split(r"^---[ \t]*\r?$", text, maxsplit=2, flags=re.MULTILINE)
        data = yaml.safe_load(parts[1]) if len(parts) == 3 else None
    except (OSError, yaml.YAMLError, RecursionError):
        return None, [], []
    if not isinstance(data, dict):
        return None, [], []
    people = [c for c in data.get("contacts") or [] if isinstance(c, dict)] if isinstance(
        data.get("contacts"), list) else []
    records = [data, *people]
    phones = [str(r["phone"]) for r in records if isinstance(r.get("phone"), (str, int))]
    emails = [r["email"] for r in records if isinstance(r.get("email"), str)]
    name = data.get("name") if isinstance(data.get("name"), str) else None
    return name, phones, emails


def _client_phones(client: Client) -> list[str]:
    return [p for p in (client.phone, *(c.phone for c in client.contacts)) if p]


def _client_emails(client: Client) -> list[str]:
    return [e for e in (client.email, *(c.email for c in client.contacts)) if e]


# -- records to front matter ------------------------------------------------------------


def _build(rec: Record, kind: str, default_grade: str) -> tuple[dict[str, Any], dict[str, Any] | None, bool]:
    """``(client fields, contact or None, grade defaulted)``; problems go to ``rec.problems``."""
    v = rec.values
    problems = rec.problems
    d: dict[str, Any] = {}
    name = v.get("name", "").strip()
    if not name:
        what = "column for the client name is empty" if kind == "row" else "card has no name"
        if not any("no name" in p for p in problems):
            problems.append(f"the {what}")
    d["name"] = name
    if "slug" in v:
        if SLUG_RE.match(v["slug"]):
            d["slug"] = v["slug"]
        else:
            problems.append(f"slug '{v['slug']}' is not a client slug (lowercase letters, digits and '-'); "
                            "fix it or leave it empty to make one from the name")
    defaulted = False
    if "grade" in v:
        grade = normalise_grade(v["grade"])
        if grade is None:
            problems.append(f"grade '{v['grade']}' is not one of {' '.join(GRADES)}")
        d["grade"] = grade
    else:
        d["grade"] = default_grade
        defaulted = True
    if "stage" in v:
        stage = normalise_stage(v["stage"])
        if stage is None:
            problems.append(f"stage '{v['stage']}' is not one of {', '.join(STAGES)} "
                            "(or 潜在, 成交, 休眠, 流失)")
        d["stage"] = stage
    if "owner" in v:
        d["owner"] = v["owner"]
    if "tags" in v:
        d["tags"] = split_tags(v["tags"])
    contact: dict[str, Any] = {}
    if "contact" in v:
        contact["name"] = v["contact"]
    elif any(f in v for f in C.CONTACT_FIELDS):
        # A birthday or role with no contact name: a list of people, where the client is the person.
        contact["name"] = name
    mobile = None
    for fld, column in (("phone", "phone"), ("contact_phone", "contact phone"), ("mobile", "mobile")):
        if fld in v:
            phone, problem = check_phone(read_phone_cell(v[fld]), column)
            if problem:
                problems.append(problem)
            if fld == "phone" and phone:
                d["phone"] = Quoted(phone)
            elif fld == "contact_phone" and phone:
                contact["phone"] = Quoted(phone)
            elif fld == "mobile":
                mobile = phone
    if mobile:
        # A mobile belongs to the row's contact; without one it is the client's own number,
        # unless the client has one already: then it is kept under extra, not lost.
        if "name" in contact and "phone" not in contact:
            contact["phone"] = Quoted(mobile)
        elif "phone" not in d:
            d["phone"] = Quoted(mobile)
        else:
            rec.extra.setdefault("mobile", Quoted(mobile))
    for fld, target, where in (("email", "email", d), ("contact_email", "email", contact)):
        if fld in v:
            if "@" not in v[fld] or " " in v[fld].strip():
                problems.append(f"{fld.replace('_', ' ')} '{v[fld]}' is not an email address")
            else:
                where[target] = v[fld].strip()
    for fld in ("address", "website", "industry"):
        if fld in v:
            d[fld] = v[fld]
    if "since" in v:
        since = parse_date(v["since"])
        if since is None:
            problems.append(_date_problem("since", v["since"]))
        d["since"] = since
    if "cadence" in v:
        cadence = parse_cadence(v["cadence"])
        if cadence is None:
            problems.append(f"cadence '{v['cadence']}' is not a number of days (or 2w, 3m)")
        d["cadence"] = cadence
    if "referred_by" in v:
        d["referred_by"] = v["referred_by"]  # resolved to a slug once every row is known
    if "credit_limit" in v:
        limit = parse_number(v["credit_limit"])
        if limit is None:
            problems.append(f"credit limit '{v['credit_limit']}' is not an amount")
        d["credit_limit"] = limit
    if "notes" in v:
        d["notes"] = v["notes"]
    if "contact_role" in v:
        contact["role"] = v["contact_role"]
    if "contact_birthday" in v:
        birthday = parse_birthday(v["contact_birthday"])
        if birthday is None:
            problems.append(_date_problem("birthday", v["contact_birthday"]).replace(
                "YYYY-MM-DD", "YYYY-MM-DD, or --MM-DD without the year"))
        contact["birthday"] = birthday
    if "contact_left" in v:
        left = parse_date(v["contact_left"])
        if left is None:
            problems.append(_date_problem("contact left", v["contact_left"]))
        contact["left"] = left
    if "contact_notes" in v:
        contact["notes"] = v["contact_notes"]
    if rec.extra:
        d["extra"] = dict(rec.extra)
    return d, (_ordered_contact(contact) if contact else None), defaulted


def _ordered_contact(contact: dict[str, Any]) -> dict[str, Any]:
    order = ("name", "role", "phone", "email", "birthday", "left", "notes")
    return {k: contact[k] for k in order if k in contact}


def group_key(name: str) -> str:
    """Rows of one client have the same name once width (NFKC: full-width letters, digits and
    spaces), case and spaces are ignored: ``杭州鸿运 五金`` and ``杭州鸿运五金`` are one client."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


@dataclass
class _Row:
    """A record without problems, as front-matter values."""

    rec: Record
    d: dict[str, Any]
    contact: dict[str, Any] | None
    defaulted: bool

    @property
    def number(self) -> int:
        return self.rec.number


def _group(rows: Sequence[_Row]) -> list[list[_Row]]:
    """Rows of the same client, in the order each client first appears: the same slug, or (rows
    without a slug) the same name by :func:`group_key`."""
    groups: dict[tuple[str, str], list[_Row]] = {}
    slugs_of_name: dict[str, set[str]] = {}
    for row in rows:
        if row.d.get("slug"):
            slugs_of_name.setdefault(group_key(row.d["name"]), set()).add(row.d["slug"])
    for row in rows:
        slug = row.d.get("slug")
        if not slug and len(slugs := slugs_of_name.get(group_key(row.d["name"]), set())) == 1:
            slug = next(iter(slugs))  # a row without a slug, of the one client with that name
        key = ("slug", slug) if slug else ("name", group_key(row.d["name"]))
        groups.setdefault(key, []).append(row)
    return list(groups.values())


def _same(key: str, a: Any, b: Any) -> bool:
    if key == "name":
        return group_key(a) == group_key(b)
    if key == "phone" or key.endswith(".mobile"):
        return phone_key(str(a)) == phone_key(str(b)) and bool(phone_key(str(a))) or str(a) == str(b)
    if key == "email":
        return email_key(a) == email_key(b)
    return bool(a == b) or str(a) == str(b)


def _loosen(group: Sequence[_Row], loose: Sequence[str], moved: dict[str, list[int]]) -> None:
    """A loosely named phone or email column (电话, 邮箱) of a client with several contacts is the
    client's when every contact's row repeats one value, else each contact's own."""
    people = [r for r in group if r.contact is not None]
    if len(people) < 2:
        return
    for key in loose:
        keyed = {(phone_key(str(r.d[key])) or str(r.d[key])) if key == "phone" else email_key(str(r.d[key]))
                 if r.d.get(key) else "" for r in people}
        if len(keyed) == 1 and "" not in keyed:
            continue  # repeated on every contact's row: the client's
        holders = [r for r in people if r.d.get(key)]
        if not holders or any(r.contact is not None and key in r.contact for r in holders):
            continue  # the contacts have their own: a disagreement stays one (see _merge)
        for r in holders:
            assert r.contact is not None
            r.contact[key] = r.d.pop(key)
            r.contact = _ordered_contact(r.contact)
        moved.setdefault(key, []).extend(r.number for r in holders)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "'" + ", ".join(str(v) for v in value) + "'"
    return f"'{value}'"


def _merge(group: Sequence[_Row], labels: Mapping[str, str], kind: str, default_grade: str
           ) -> tuple[dict[str, Any], bool, dict[int, list[str]]]:
    """``(client fields, grade defaulted, problems by row)`` of the rows of one client.

    An empty cell takes the value of the client's other rows; two rows with different values in
    a client column are an error on the later one, naming the first: never a silent pick.
    """
    merged: dict[str, Any] = {}
    first_of: dict[str, int] = {}
    extra: dict[str, Any] = {}
    problems: dict[int, list[str]] = {}

    def take(key: str, value: Any, row: _Row, into: dict[str, Any], name: str) -> None:
        if value in (None, "", []):
            return
        if name not in first_of:
            into[key] = value
            first_of[name] = row.number
            return
        if _same(name, into[key], value):
            return
        label = labels.get(name, name)
        column = f"{label} ({name})" if C.normalise_header(label) != C.normalise_header(name) else name
        hint = ""
        if kind == "row" and name in ("phone", "email") and f"contact_{name}" not in labels:
            hint = f"; if the column is each contact's own, import with --map contact_{name}={label}"
        problems.setdefault(row.number, []).append(
            f"{column} is {_shown(value)} here but {_shown(into[key])} on {kind} {first_of[name]}, a {kind} "
            f"of the same client: the {kind}s of one client must agree on its columns (or leave them "
            f"empty); correct one of them{hint}")

    for row in group:
        for key, value in row.d.items():
            if key == "extra":
                for k, v in value.items():
                    take(k, v, row, extra, f"extra.{k}")
            elif key == "grade" and row.defaulted:
                continue
            else:
                take(key, value, row, merged, key)
    defaulted = "grade" not in merged
    if defaulted:
        merged["grade"] = default_grade
    if extra:
        merged["extra"] = extra
    ordered = {k: merged[k] for k in ("name", "slug", *C.CLIENT_FIELDS, "extra") if k in merged}
    return ordered, defaulted, problems


def _front_matter(d: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: d[k] for k in C.CLIENT_FIELDS if d.get(k) not in (None, "", [])}
    if contacts:
        out["contacts"] = contacts
    if d.get("extra"):
        out["extra"] = d["extra"]
    return out


def render_client(front: Mapping[str, Any], source: str, kind: str, numbers: Sequence[int]) -> str:
    """The text of a new client file."""
    where = f"{kind}{'s' if len(numbers) > 1 else ''} {', '.join(str(n) for n in numbers)}"
    return f"---\n{dump_front_matter(front)}---\n\nImported from {source} ({where}).\n"


def plan_import(project: Project, data: bytes, source: str, *,
                overrides: Mapping[str, str] | None = None, default_grade: str = "C") -> Plan:
    """Decide what importing ``data`` (the bytes of ``source``) would create; write nothing."""
    sheet = read_records(data, source, overrides)
    kind = sheet.kind
    plan = Plan(source=source, kind=kind, encoding=sheet.encoding, info=sheet.info, default_grade=default_grade)
    book = load_book(project)
    known = _Known()
    for client in book.clients:
        known.add(client.path, client.name, _client_phones(client), _client_emails(client))
    for rel in book.broken:
        # A file with errors is still an existing client: match what can be read of it.
        name, phones, emails = _read_identity(project.root / rel)
        known.add(rel, name, phones, emails)
    clients_dir = project.clients_dir
    taken = {p.stem for p in clients_dir.glob("*.md")} if clients_dir.is_dir() else set()
    existing_slugs = set(taken)
    rel_dir = Path(project.settings.clients_dir).as_posix()
    contacts_of: dict[str, list[dict[str, Any]]] = {}
    in_file = _Known()
    label = kind
    renamed: dict[str, str] = {}  # slug given in the file -> slug used

    rows: list[_Row] = []
    for rec in sheet.records:
        d, contact, defaulted = _build(rec, kind, default_grade)
        if rec.problems:
            plan.rejected.append(Rejected(rec.number, d.get("name", ""), list(rec.problems)))
        else:
            rows.append(_Row(rec, d, contact, defaulted))
    moved: dict[str, list[int]] = {}
    for group in _group(rows):
        _loosen(group, sheet.loose, moved)
        d, defaulted, conflicts = _merge(group, sheet.labels, kind, default_grade)
        name = d["name"]
        first = f"{label} {group[0].number}"
        if conflicts:
            for row in group:
                told = conflicts.get(row.number) or [
                    f"the {kind}s of this client disagree (see {label} "
                    f"{', '.join(str(n) for n in sorted(conflicts))}); not imported"]
                plan.rejected.append(Rejected(row.number, row.d["name"], told))
            in_file.add(first, name, [r.d["phone"] for r in group if r.d.get("phone")],
                        [r.d["email"] for r in group if r.d.get("email")])
            continue
        phones = [d["phone"]] if d.get("phone") else []
        emails = [d["email"]] if d.get("email") else []
        clash = known.clash(name, phones, emails)
        if clash is None:
            clash = in_file.clash(name, phones, emails)
        if clash is not None:
            for row in group:
                plan.rejected.append(Rejected(row.number, name, [f"likely duplicate: {clash}; not imported"]))
            continue
        people: list[dict[str, Any]] = []
        numbers: list[int] = []
        contact_at: dict[str, int] = {}
        in_file.add(first, name, phones, emails)
        for row in group:
            contact = row.contact
            if contact is not None:
                c_phones = [contact["phone"]] if contact.get("phone") else []
                c_emails = [contact["email"]] if contact.get("email") else []
                why = None
                if (at := contact_at.get(name_key(contact["name"]))) is not None:
                    why = (f"contact {contact['name']} is on {label} {at} of this client already; "
                           f"not imported (delete the repeated {kind}, or give each contact one {kind})")
                elif (clash := known.clash(None, c_phones, c_emails)) is not None or (
                        clash := in_file.clash(None, c_phones, c_emails, allow=first)) is not None:
                    why = f"likely duplicate: {clash}; not imported"
                if why is not None:
                    plan.rejected.append(Rejected(row.number, name, [why]))
                    continue
                contact_at[name_key(contact["name"])] = row.number
                in_file.add(first, None, c_phones, c_emails)
                if people:
                    plan.merged.append((row.number, "", contact["name"]))
                people.append(contact)
            numbers.append(row.number)
        if not numbers:
            continue
        wanted = d.get("slug")
        slug = free_slug(wanted or slugify(name), taken)
        taken.add(slug)
        if wanted and slug != wanted:
            plan.notes.append(f"{label} {numbers[0]}: slug '{wanted}' is taken; using '{slug}'")
        if wanted:
            renamed[wanted] = slug
        plan.merged = [(n, slug if s == "" else s, c) for n, s, c in plan.merged]
        plan.created.append(Planned(slug=slug, path=f"{rel_dir}/{slug}.md", name=name, owner=d.get("owner"),
                                    grade=d["grade"], numbers=numbers, data=d, grade_defaulted=defaulted))
        contacts_of[slug] = people
    for key, numbers in moved.items():
        plan.notes.append(f"column {sheet.labels[key]} is not repeated on every row of a client, so each row's "
                          f"value is its contact's {key} ({label}s {', '.join(str(n) for n in sorted(numbers))})")
    plan.rejected.sort(key=lambda r: r.number)

    _resolve_referrals(plan, book.clients, existing_slugs, renamed)
    _finish(plan, contacts_of, source)
    # A client the validation dropped may have been someone's referrer.
    _resolve_referrals(plan, book.clients, existing_slugs, renamed)
    return plan


def _resolve_referrals(plan: Plan, existing: Sequence[Client], existing_slugs: set[str],
                       renamed: Mapping[str, str]) -> None:
    """``referred_by`` may be a slug or a client's name, in the book or in the same file."""
    planned_slugs = {p.slug for p in plan.created}
    names = {name_key(c.name): c.slug for c in existing}
    names.update({name_key(p.name): p.slug for p in plan.created})
    for planned in list(plan.created):
        ref = planned.data.get("referred_by")
        if not ref:
            continue
        if ref in renamed and renamed[ref] in planned_slugs:
            planned.data["referred_by"] = renamed[ref]
            continue
        if ref in existing_slugs or ref in planned_slugs:
            continue
        if (slug := names.get(name_key(ref))) is not None and (slug in planned_slugs or slug in existing_slugs):
            planned.data["referred_by"] = slug
            continue
        _reject_planned(plan, planned, [
            f"referred_by '{ref}' is not a client (neither an existing one nor one imported from this "
            "file); give the referrer's name or slug"])


def _reject_planned(plan: Plan, planned: Planned, reasons: list[str]) -> None:
    """Drop a planned client: its first row gets the reasons, the rows it merged point there."""
    if planned in plan.created:
        plan.created.remove(planned)
    plan.merged = [m for m in plan.merged if m[1] != planned.slug]
    first = planned.numbers[0]
    plan.rejected.append(Rejected(first, planned.name, reasons))
    for number in planned.numbers[1:]:
        plan.rejected.append(Rejected(number, planned.name, [
            f"a further contact of {plan.kind} {first}, which cannot be imported"]))
    plan.rejected.sort(key=lambda r: r.number)


def _finish(plan: Plan, contacts_of: Mapping[str, list[dict[str, Any]]], source: str) -> None:
    """Render every planned file and validate it exactly as ``crmgen check`` would."""
    for planned in list(plan.created):
        front = _front_matter(planned.data, contacts_of.get(planned.slug, []))
        planned.text = render_client(front, Path(source).name, plan.kind, planned.numbers)
        _client, problems = parse_client_text(planned.text, planned.path)
        errors = [p for p in problems if p.is_error]
        if errors:
            _reject_planned(plan, planned, [f"would not validate: {p.message}" for p in errors])


# -- writing ----------------------------------------------------------------------------


def write_plan(project: Project, plan: Plan) -> list[Planned]:
    """Create the planned files; a file that appeared meanwhile is left alone and reported.

    Returns the files written. Each is created atomically and never replaces an
    existing file (:func:`crmgen.fsutil.create_new`). All or nothing: when one cannot
    be written (a full disk, a read-only directory) or the command is stopped, the
    files already made are removed again and :class:`~crmgen.fsutil.WriteFailed` says
    why. Stale temporary files of killed writers in the clients directory go first.
    """
    from crmgen.fsutil import WriteFailed, create_new, remove_created, sweep_dir

    written = []
    made: list[tuple[Path, os.stat_result]] = []
    directory = project.clients_dir
    created_dir = not directory.is_dir()
    shown = directory.relative_to(project.root).as_posix()
    sweep_dir(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for planned in list(plan.created):
            shown = planned.path
            try:
                made.append((project.root / planned.path, create_new(project.root / planned.path,
                                                                     planned.text.encode("utf-8"))))
            except FileExistsError:
                _reject_planned(plan, planned, [
                    f"{planned.path} was created by someone else meanwhile; not overwritten"])
                continue
            written.append(planned)
    except BaseException as exc:
        left = remove_created(made)
        if created_dir:
            with contextlib.suppress(OSError):
                directory.rmdir()
        if not isinstance(exc, OSError):
            raise
        outcome = "nothing was imported" if not left else (
            f"nothing was imported, but {', '.join(p.name for p in left)} could not be removed again")
        raise WriteFailed.of(exc, shown, outcome=outcome) from None
    return written
