"""The sample clients in ``clients/`` and the format reference page.

The samples are the newcomer's first impression and the dogfood for every
command, so they must use the whole format v1 and trigger every reminder kind.
The key list below is the contract (issue 2, section 2), written out here on
purpose: if the schema drifts from it, a test fails instead of the samples
quietly following the drift.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from crmgen.format.model import COMPLAINT_STEPS, GRADES, STAGES
from crmgen.load.book import load_book, parse_client_text
from crmgen.load.project import Project, Settings, load_project

REPO = Path(__file__).resolve().parent.parent
CLIENTS = REPO / "clients"
FORMAT_DOC = REPO / "crmgen" / "docs" / "format.md"
TODAY = dt.date(2026, 11, 23)  # the project's "today" for the sample data

# The front matter keys of the client file format v1: "parent.key" for nested records.
SPEC_KEYS = frozenset(
    """
    name grade stage owner tags phone email address region website industry notes since cadence
    referred_by source blocked_until win_back credit_limit terms contacts dates promises orders complaints rebate extra
    contacts.name contacts.role contacts.phone contacts.email contacts.birthday contacts.left
    contacts.notes
    dates.what dates.date
    promises.id promises.by promises.what promises.due promises.amount promises.agreed promises.order promises.kept
    promises.broken promises.because
    orders.id orders.date orders.amount orders.paid orders.payments orders.payments.date orders.payments.amount
    orders.payments.note orders.terms orders.pay_by orders.delivered orders.reviewed orders.items
    orders.review_outcome orders.review_note orders.usage_reviewed orders.usage_outcome orders.usage_note
    services services.what services.every services.from services.last services.product services.until
    complaints.opened complaints.what complaints.step complaints.closed complaints.steps complaints.steps.listen
    complaints.steps.analyse complaints.steps.solve complaints.steps.inform complaints.steps.act
    complaints.steps.review complaints.cause complaints.cause_note complaints.handler complaints.escalated_to
    complaints.escalated complaints.compensation complaints.compensation_amount complaints.visited
    opportunities opportunities.id opportunities.what opportunities.amount opportunities.stage
    opportunities.probability opportunities.expected opportunities.opened opportunities.since
    opportunities.competitor opportunities.next_step opportunities.lost_reason opportunities.order
    rebate.name rebate.from rebate.to rebate.tiers rebate.tiers.over rebate.tiers.rate rebate.basis rebate.mode
    rebate.settled
    rebates rebates.name rebates.from rebates.to rebates.tiers rebates.tiers.over rebates.tiers.rate rebates.basis
    rebates.mode rebates.settled
    """.split()
)
RECORDS = ("contacts", "dates", "promises", "orders", "orders.payments", "complaints", "complaints.steps", "opportunities", "services", "rebate",
           "rebate.tiers",
           "rebates", "rebates.tiers")


def front_matter(text: str) -> dict:
    """The front matter of a client file, read the plain way (yaml.safe_load)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    assert text.startswith("---\n")
    end = text.index("\n---\n", 3)
    data = yaml.safe_load(text[4:end])
    assert isinstance(data, dict)
    return data


def used_keys(data: dict) -> set[str]:
    """Every key path used in one front matter, not looking inside ``extra``."""
    keys: set[str] = set()

    def walk(value: object, prefix: str) -> None:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                continue
            for key, sub in item.items():
                path = f"{prefix}.{key}" if prefix else str(key)
                keys.add(path)
                if path in RECORDS:
                    walk(sub, path)

    walk(data, "")
    return keys


def sample_paths() -> list[Path]:
    return sorted(CLIENTS.glob("*.md"))


@pytest.fixture(scope="module")
def raw() -> dict[str, dict]:
    return {p.stem: front_matter(p.read_text(encoding="utf-8")) for p in sample_paths()}


@pytest.fixture(scope="module")
def project() -> Project:
    """The repository's own project; default settings until its mkdocs.yml exists."""
    if (REPO / "mkdocs.yml").is_file():
        return load_project(REPO)
    return Project(root=REPO, config={}, settings=Settings())


@pytest.fixture(scope="module")
def book(project):
    return load_book(project)


@pytest.fixture(scope="module")
def clients(book):
    return {c.slug: c for c in book.clients}


def test_there_are_15_to_20_samples_of_reasonable_length():
    paths = sample_paths()
    assert 15 <= len(paths) <= 20
    for p in paths:
        assert len(p.read_text(encoding="utf-8").splitlines()) <= 150, p.name


def test_samples_pass_check_strict(book):
    problems = [f"{p.path}:{p.line}:{p.col}: {p.severity}: {p.message} [{p.code}]" for p in book.problems
                if p.severity != "note"]
    assert problems == []
    # the one note: the sample of a client over its credit limit (a fact, not a fault of the file)
    assert [(p.path, p.code) for p in book.problems] == [("clients/kingsway-supermarkets.md", "over-credit")]
    assert book.broken == []
    assert len(book.clients) == book.files == len(sample_paths())


def test_spec_keys_match_the_schema():
    from crmgen.format import schema as S

    def paths(fields: dict, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for name, f in fields.items():
            path = f"{prefix}.{name}" if prefix else name
            out.add(path)
            if f.kind in (S.RECORD, S.RECORD_LIST):
                out |= paths(f.fields, path)
        return out

    assert paths(S.CLIENT) == SPEC_KEYS


def test_samples_use_every_key_and_no_other(raw):
    used = set().union(*(used_keys(d) for d in raw.values()))
    assert SPEC_KEYS - used == set(), "keys of the format no sample uses"
    assert used - SPEC_KEYS == set(), "keys outside the format (use extra:)"


def test_every_grade_and_stage(clients):
    assert {c.grade for c in clients.values()} == set(GRADES)
    assert {c.stage for c in clients.values()} == set(STAGES)


def test_names_and_owners_are_mixed(clients):
    names = [c.name for c in clients.values()]
    assert any(re.search(r"[\u4e00-\u9fff]", n) for n in names)
    assert any(n.isascii() for n in names)
    owners = {c.owner for c in clients.values()}
    assert None not in owners
    assert 3 <= len(owners) <= 4


def test_promises_both_directions_kept_broken_open(clients):
    seen = set()
    for c in clients.values():
        for p in c.promises:
            state = "kept" if p.kept else "broken" if p.broken else "open"
            seen.add((p.by, state))
    assert seen == {(by, s) for by in ("us", "client") for s in ("kept", "broken", "open")}


def test_overdue_and_partial_payments(clients):
    orders = [o for c in clients.values() for o in c.orders]
    assert any(o.pay_by and o.pay_by < TODAY and o.paid < o.amount for o in orders), "an overdue payment"
    assert sum(0 < o.paid < o.amount for o in orders) >= 2, "partial payments"
    assert any(o.delivered and not o.reviewed for o in orders), "an order waiting for its review visit"


def test_complaints_open_midway_and_closed(clients):
    complaints = [k for c in clients.values() for k in c.complaints]
    middle = set(COMPLAINT_STEPS[1:-1])
    assert any(k.closed is None and k.step in middle for k in complaints)
    assert sum(k.closed is not None for k in complaints) >= 2


def test_a_rebate_just_under_a_tier_ending_in_december(clients):
    def near(c) -> bool:
        rb = c.rebate
        if rb is None or rb.end is None or (rb.end.year, rb.end.month) != (2026, 12):
            return False
        total = sum(o.amount for o in c.orders if rb.start <= o.date <= rb.end)
        nxt = min((t.over for t in rb.tiers if t.over > total), default=None)
        return nxt is not None and 0.8 * nxt <= total < nxt

    assert any(near(c) for c in clients.values())


def test_a_contact_left_with_no_interaction_since(clients):
    assert any(
        k.left and (c.last_contact is None or c.last_contact <= k.left)
        for c in clients.values() for k in c.contacts
    )


def test_a_referral_chain_of_three(clients):
    def depth(slug: str) -> int:
        c = clients[slug]
        return 1 + depth(c.referred_by) if c.referred_by else 1

    assert max(depth(s) for s in clients) >= 3


def test_birthdays_without_year_and_on_29_february(clients):
    birthdays = [k.birthday for c in clients.values() for k in c.contacts if k.birthday]
    assert any(b.year is None for b in birthdays)
    assert any((b.month, b.day) == (2, 29) for b in birthdays)
    assert any(c.dates for c in clients.values())


def test_cadence_in_every_form(raw):
    values = [d["cadence"] for d in raw.values() if "cadence" in d]
    assert any(isinstance(v, int) for v in values)
    for unit in "dwm":
        assert any(isinstance(v, str) and re.fullmatch(rf"\d+{unit}", v) for v in values), unit


def test_text_that_must_stay_text_is_quoted(raw):
    # yaml.safe_load keeps quoted values as str: a phone or zip read as a number lost its zeros.
    for slug, d in raw.items():
        phones = [d.get("phone")] + [k.get("phone") for k in d.get("contacts", [])]
        assert all(p is None or isinstance(p, str) for p in phones), slug
        zip_code = (d.get("extra") or {}).get("zip")
        assert zip_code is None or isinstance(zip_code, str), slug


def test_bodies_are_rich(clients):
    nexts = 0
    for c in clients.values():
        assert 3 <= len(c.interactions) <= 8, c.slug
        nexts += any(i.next_date for i in c.interactions)
    assert nexts >= 5
    texts = "".join(p.read_text(encoding="utf-8") for p in sample_paths())
    assert "\nNext: " in texts and "\n下一步：" in texts


def test_due_on_1_december_shows_every_kind(clients, project):
    reminders = pytest.importorskip("crmgen.rules.reminders")
    found = reminders.due(clients.values(), dt.date(2026, 12, 1), project.settings, within=30)
    assert {r.kind for r in found} == set(reminders.KINDS)


# -- the format reference page ----------------------------------------------------


def doc_example() -> str:
    text = FORMAT_DOC.read_text(encoding="utf-8")
    section = text[text.index("## A complete example"):]
    m = re.search(r"```markdown\n(.*?)\n```\n", section, re.S)
    assert m
    return m[1] + "\n"


def test_format_page_example_is_valid_and_complete():
    client, problems = parse_client_text(doc_example(), "clients/huadong-runhuayou.md")
    assert [p.message for p in problems] == []
    assert client is not None and len(client.interactions) == 2
    assert used_keys(front_matter(doc_example())) == SPEC_KEYS


def test_format_page_names_every_key():
    text = FORMAT_DOC.read_text(encoding="utf-8")
    for key in SPEC_KEYS:
        assert f"`{key.rsplit('.', 1)[-1]}`" in text, key
    for word in ("BOM", "CRLF", "GBK", "quote it", "12:30", "`3m`", "crmgen schema", "yaml.schemas"):
        assert word in text, word
