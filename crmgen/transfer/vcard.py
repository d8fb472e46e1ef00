"""vCard 3.0 and 4.0: cards to import records, clients to cards, both through vobject.

vobject parses what phones, Google Contacts and Outlook export (line folding,
escapes, ``item1.`` groups, base64 photos, quoted-printable) so this module only
decides what each property means for a client file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from crmgen.format.model import Client, Contact
from crmgen.transfer.csvio import has_han
from crmgen.transfer.names import split_name
from crmgen.transfer.phones import phone_kind

_CARD = re.compile(r"^BEGIN:VCARD\s*$.*?^END:VCARD\s*$", re.IGNORECASE | re.MULTILINE | re.DOTALL)


_SYSTEM_GROUPS = {"mycontacts", "starred"}


@dataclass
class Card:
    """One card's fields, named as the CSV columns are (see :mod:`crmgen.transfer.columns`)."""

    number: int
    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def split_cards(text: str) -> list[str]:
    """The ``BEGIN:VCARD``..``END:VCARD`` blocks, so one broken card does not stop the others."""
    return [m.group(0) for m in _CARD.finditer(text)]


def read_cards(text: str) -> list[Card]:
    """Every card in a .vcf file, numbered from 1; a card vobject cannot parse gets a problem."""
    import vobject

    cards = []
    for number, block in enumerate(split_cards(text), start=1):
        card = Card(number)
        try:
            component = vobject.readOne(block, ignoreUnreadable=True)
        except Exception as exc:  # vobject raises ParseError, ValueError, ... on bad input
            card.problems.append(f"cannot read the card ({_short(exc)}); fix or remove it in the file")
            cards.append(card)
            continue
        try:
            _fill(card, component)
        except Exception as exc:  # a property vobject read but whose value is malformed
            card.problems.append(f"cannot read the card ({_short(exc)})")
        cards.append(card)
    return cards


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


def _props(component, name: str) -> list:
    return list(component.contents.get(name.lower(), []))


def _types(prop) -> set[str]:
    out: set[str] = set()
    for value in prop.params.get("TYPE", []):
        out.update(v.strip().lower() for v in str(value).split(",") if v.strip())
    if prop.params.get("PREF"):
        out.add("pref")
    # vCard 2.1 writes bare parameters: TEL;CELL;PREF:...
    for bare in prop.singletonparams if hasattr(prop, "singletonparams") else ():
        out.add(str(bare).lower())
    return out


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value if v)
    return str(value).strip() if value is not None else ""


def _ordered(props: list, first: tuple[str, ...]) -> list:
    """Preferred values first (``pref``, then the given types), otherwise in file order."""
    def rank(item: tuple[int, object]) -> tuple[int, int]:
        index, prop = item
        types = _types(prop)
        if "pref" in types:
            return (0, index)
        for n, t in enumerate(first, start=1):
            if t in types:
                return (n, index)
        return (len(first) + 1, index)

    return [p for _, p in sorted(enumerate(props), key=rank)]


def _phone(prop) -> str:
    value = _text(prop.value)
    if value.lower().startswith("tel:"):
        value = value[4:]
    return value


def _person_name(component) -> str:
    fn = _text(component.fn.value) if "fn" in component.contents else ""
    if fn:
        return fn
    if "n" in component.contents:
        n = component.n.value
        family, given = _text(getattr(n, "family", "")), _text(getattr(n, "given", ""))
        if has_han(family + given):
            return family + given
        return " ".join(p for p in (given, family) if p)
    return ""


def format_address(adr) -> str:
    """An ADR value as one line: street first for Latin addresses, country first for Chinese."""
    parts = {k: _text(getattr(adr, k, "")) for k in ("box", "extended", "street", "city", "region",
                                                     "code", "country")}
    if has_han("".join(parts.values())):
        ordered = [parts["country"], parts["region"], parts["city"], parts["street"], parts["extended"],
                   parts["box"]]
        seen: list[str] = []
        for p in ordered:  # 上海 is both region and city
            if p and p not in seen:
                seen.append(p)
        text = "".join(seen)
        return f"{text} {parts['code']}".strip() if parts["code"] else text
    city_line = " ".join(p for p in (parts["city"], parts["region"], parts["code"]) if p)
    return ", ".join(p for p in (parts["box"], parts["extended"], parts["street"], city_line,
                                 parts["country"]) if p)


def parse_bday(value: str, omit_year: str | None = None) -> str | None:
    """A vCard BDAY as ``YYYY-MM-DD`` or ``--MM-DD``; None when it is not a date."""
    value = value.strip()
    m = re.match(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?$", value)
    if m:
        if omit_year and m[1] == omit_year:  # Apple writes 1604 for "year unknown"
            return f"--{m[2]}-{m[3]}"
        return f"{m[1]}-{m[2]}-{m[3]}"
    m = re.match(r"^--(\d{2})-?(\d{2})$", value)
    if m:
        return f"--{m[1]}-{m[2]}"
    return None


def _fill(card: Card, component) -> None:
    v = card.values
    person = _person_name(component)
    org = ""
    department = ""
    if "org" in component.contents:
        org_value = component.org.value
        if isinstance(org_value, (list, tuple)):
            org = _text(org_value[0]) if org_value else ""
            department = _text(org_value[1:]) if len(org_value) > 1 else ""
        else:
            org = _text(org_value)
    v["name"] = org or person
    # A card with an ORG names a person at the client; without one the person is the client.
    # A card whose FN is the ORG (as `crmgen export` writes for a client without contacts)
    # names nobody.
    has_person = bool(person) and person != org
    if has_person:
        v["contact"] = person
    role = ""
    for prop_name in ("title", "role"):
        if prop_name in component.contents:
            role = _text(component.contents[prop_name][0].value)
            if role:
                break
    role = role or department
    tels = _props(component, "tel")
    # A TEL labelled as the company's main line (as crmgen writes the client's phone on each
    # contact's card) is the client's, never the person's: a contact without a phone of their
    # own gets none.
    company = [p for p in tels if org and has_person and _types(p) & MAIN_TYPES]
    main_phones = [_phone(p) for p in company if _phone(p)]
    tels = [p for p in tels if p not in company]
    phones = [_phone(p) for p in _ordered(tels, ("cell", "mobile", "iphone"))]
    phones = [p for p in phones if p]
    work_phones = main_phones + [_phone(p) for p in tels if "work" in _types(p) and _phone(p)]
    emails = [_text(p.value) for p in _ordered(_props(component, "email"), ("work", "internet"))]
    emails = [e for e in emails if e]
    notes = [_text(p.value) for p in _props(component, "note") if _text(p.value)]
    leftover: list[str] = []
    if has_person:
        if role:
            v["contact_role"] = role
        if phones:
            v["contact_phone"] = phones[0]
        # The company's own line (labelled main, else a WORK number other than the person's) is
        # the client's phone.
        main = next((p for p in work_phones if p != v.get("contact_phone")), None)
        if main and org:
            v["phone"] = main
        leftover += [f"phone {p}" for p in phones[1:] + main_phones if p != main]
        if emails:
            v["contact_email"] = emails[0]
            leftover += [f"email {e}" for e in emails[1:]]
        if notes and org:
            v["contact_notes"] = "\n".join(notes)
        elif notes:
            v["notes"] = "\n".join(notes)
    else:
        if phones:
            v["phone"] = phones[0]
            leftover += [f"phone {p}" for p in phones[1:]]
        if emails:
            v["email"] = emails[0]
            leftover += [f"email {e}" for e in emails[1:]]
        if notes:
            v["notes"] = "\n".join(notes)
    if leftover:
        # A contact holds one phone and one email; the others stay readable in the notes.
        key = "contact_notes" if has_person else "notes"
        extra = "Also: " + ", ".join(leftover)
        v[key] = f"{v[key]}\n{extra}" if v.get(key) else extra
    adrs = _ordered(_props(component, "adr"), ("work",))
    for adr in adrs:
        text = format_address(adr.value)
        if text:
            v["address"] = text
            break
    urls = [_text(p.value) for p in _props(component, "url") if _text(p.value)]
    if urls:
        v["website"] = urls[0]
    tags: list[str] = []
    for prop in _props(component, "categories"):
        value = prop.value if isinstance(prop.value, (list, tuple)) else str(prop.value).split(",")
        # Google Contacts adds its system group "myContacts" to every card.
        tags += [_text(t) for t in value if _text(t) and _text(t).casefold() not in _SYSTEM_GROUPS]
    if tags:
        v["tags"] = "; ".join(tags)
    if "bday" in component.contents and has_person:
        prop = component.bday
        raw = _text(prop.value)
        omit = prop.params.get("X-APPLE-OMIT-YEAR", [None])[0]
        bday = parse_bday(raw, omit)
        if bday is None:
            card.problems.append(f"BDAY '{raw}' is not a date (YYYY-MM-DD, YYYYMMDD or --MMDD)")
        else:
            v["contact_birthday"] = bday
    if not v["name"]:
        card.problems.append("the card has no name (no FN, N or ORG)")


# -- writing -----------------------------------------------------------------------------

PRODID = "-//crmgen//crmgen vCard export//EN"
# The namespace of the cards' UIDs: uuid5(namespace, client slug [+ contact]) is the same in every
# export, so a phone or CardDAV server that imports the file again updates its cards.
UID_NAMESPACE = uuid.UUID("6f1d3b8e-2c4a-5b7e-9a1f-0c7d2e4b8a63")
LINE_OCTETS = 75  # RFC 6350 3.2: lines SHOULD NOT be longer than 75 octets, excluding the line break
# A TEL of the client's own (its switchboard), not the person's: Apple and Android label it "main".
MAIN_TYPES = frozenset({"main", "x-main", "company", "company-main", "x-company-main", "x-company_main"})


def _add(card, name: str, content, **params: str | list[str]) -> None:
    prop = card.add(name)
    prop.value = content
    for key, param in params.items():
        prop.params[key.upper()] = param if isinstance(param, list) else [param]


def _bday(contact: Contact) -> str | None:
    b = contact.birthday
    # A lunar birthday has no Gregorian day of the year: a phone would remind on the wrong day
    if b is None or b.lunar:
        return None
    if b.year is None:
        return f"--{b.month:02d}{b.day:02d}"
    return f"{b.year:04d}{b.month:02d}{b.day:02d}"


def card_uid(slug: str, contact_key: str | None = None) -> str:
    """The UID of a client's card (``contact_key`` None) or of one contact's card: a name-based
    UUID of the slug and the contact's name, the same in every export."""
    seed = slug if contact_key is None else f"{slug}/{contact_key}"
    return f"urn:uuid:{uuid.uuid5(UID_NAMESPACE, seed)}"


def _contact_keys(contacts: Iterable[Contact]) -> list[str]:
    """A key per contact: the name (NFKC, case-folded), with ``#2``, ``#3`` for a repeated name."""
    keys: list[str] = []
    for contact in contacts:
        key = unicodedata.normalize("NFKC", contact.name).casefold().strip()
        n = sum(1 for k in keys if k == key or k.startswith(key + "#"))
        keys.append(key if n == 0 else f"{key}#{n + 1}")
    return keys


def phone_types(number: str) -> list[str]:
    """The TYPE of a person's TEL from the number (:func:`crmgen.transfer.phones.phone_kind`):
    ``cell`` for a mobile, ``work,voice`` for a landline, ``voice`` when the number does not say."""
    kind = phone_kind(number)
    if kind == "cell":
        return ["cell"]
    if kind == "landline":
        return ["work", "voice"]
    return ["voice"]


def _company_types(number: str) -> list[str]:
    return ["work", "cell" if phone_kind(number) == "cell" else "voice", "main"]


def rev_stamp(when: dt.datetime | dt.date) -> str:
    """A REV value (RFC 6350 timestamp, UTC): 20261102T093000Z."""
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def client_cards(client: Client, revision: dt.datetime | dt.date | None = None) -> list:
    """vCard 4.0 components: one per current contact, or one for the client when it has none.

    Contacts who left the client are not exported: a phone's address book should
    not file them under a company they no longer work for. Each card has a UID
    (:func:`card_uid`), PRODID, and REV when ``revision`` (when the client's file
    last changed) is given.
    """
    import vobject

    cards = []
    everyone = list(client.contacts)
    keys = dict(zip((id(c) for c in everyone), _contact_keys(everyone), strict=True))
    people = client.current_contacts
    for contact in people or (None,):
        card = vobject.vCard()
        _add(card, "version", "4.0")
        _add(card, "prodid", PRODID)
        _add(card, "uid", card_uid(client.slug, None if contact is None else keys[id(contact)]))
        if revision is not None:
            _add(card, "rev", rev_stamp(revision))
        if contact is None:
            _add(card, "kind", "org")
            _add(card, "fn", client.name)
            _add(card, "n", vobject.vcard.Name())
        else:
            _add(card, "fn", contact.name)
            family, given = split_name(contact.name)
            _add(card, "n", vobject.vcard.Name(family=family, given=given))
        _add(card, "org", [client.name])
        if contact is not None:
            if contact.role:
                _add(card, "title", contact.role)
            if contact.phone:
                # VALUE=text keeps the number as written; a tel: URI would need it normalised.
                _add(card, "tel", contact.phone, type=phone_types(contact.phone), value="text")
            if client.phone and client.phone != contact.phone:
                _add(card, "tel", client.phone, type=_company_types(client.phone), value="text")
            if contact.email:
                _add(card, "email", contact.email, type="work")
            if (bday := _bday(contact)) is not None:
                _add(card, "bday", bday)
            if contact.notes:
                _add(card, "note", contact.notes)
        else:
            if client.phone:
                _add(card, "tel", client.phone, type=_company_types(client.phone), value="text")
            if client.email:
                _add(card, "email", client.email, type="work")
            if client.notes:
                _add(card, "note", client.notes)
        if client.address:
            # One line, not split into street/city/...: the file keeps the address as written.
            _add(card, "adr", vobject.vcard.Address(street=client.address), type="work")
        if client.website:
            _add(card, "url", client.website)
        if client.tags:
            _add(card, "categories", list(client.tags))
        cards.append(card)
    return cards


def fold_line(line: str, limit: int = LINE_OCTETS) -> str:
    """One content line folded so that no physical line exceeds ``limit`` octets of UTF-8
    (the leading space of a continuation counts), never inside a character."""
    if len(line.encode("utf-8")) <= limit:
        return line
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out)


def serialize_card(card) -> str:
    """A card as text: vobject's escaping, then folded by octets (:func:`fold_line`)."""
    text = card.serialize(lineLength=10**9)  # no folding: vobject folds by characters here
    lines = text.split("\r\n")
    return "\r\n".join(fold_line(line) for line in lines)


def to_vcf(clients: Iterable[Client],
           revisions: Mapping[str, dt.datetime | dt.date] | None = None) -> bytes:
    """A .vcf file (UTF-8, CRLF as RFC 6350 requires) with the cards of every client.

    ``revisions``: slug -> when the client's file last changed (its last commit), for REV.
    """
    revisions = revisions or {}
    chunks = [serialize_card(card) for client in clients
              for card in client_cards(client, revisions.get(client.slug))]
    return "".join(chunks).encode("utf-8")
