"""After the sale (#18): two reviews per order and service schedules, at their edges.

The contract-fulfilment review (``reviewed``, the ``review`` reminder ``review_after`` days after
delivery) is as it was; the usage review (``usage_reviewed``, the ``usage`` reminder
``usage_after`` days after delivery) comes on top, each with an outcome and a note. A
``services:`` schedule is due ``every`` days after its ``last`` service (else its first, ``from``),
until ``until``. Then what check says, the client page in English and in Chinese, and
``crmgen due --format json``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen import i18n
from crmgen.cli import main
from crmgen.format import labels  # noqa: F401  (the outcomes' words are marked there)
from crmgen.format.model import Order, Service
from crmgen.load.book import parse_client_text
from crmgen.load.project import DEFAULT_LEADS, Settings
from crmgen.rules.reminders import due
from tests.conftest import write_client

D = dt.date
TODAY = D(2026, 12, 1)


def _client(*orders: Order, services: tuple[Service, ...] = ()):
    from crmgen.format.model import Client

    return Client(slug="acme", path="clients/acme.md", name="Acme", grade="F", orders=orders, services=services)


def _kinds(client, kind: str, today: dt.date = TODAY, settings: Settings | None = None) -> list[dt.date]:
    return [r.date for r in due([client], today, settings or Settings(), within=0) if r.kind == kind]


# -- the usage review -------------------------------------------------------------------------------

def test_usage_is_due_usage_after_days_after_delivery_and_today_when_delivered_today_with_no_wait() -> None:
    order = Order(date=D(2026, 10, 1), amount=1000, delivered=D(2026, 10, 20), reviewed=D(2026, 10, 27))
    assert _kinds(_client(order), "usage", today=D(2026, 12, 1)) == [D(2026, 12, 1)]  # 20 Oct + 42
    assert _kinds(_client(order), "usage", today=D(2026, 11, 30)) == []  # the day before, lead 0
    today_delivered = dataclasses.replace(order, delivered=TODAY)
    assert _kinds(_client(today_delivered), "usage", settings=Settings(usage_after=0)) == [TODAY]
    assert _kinds(_client(today_delivered), "usage") == []  # 42 days to go


def test_usage_ends_when_reviewed_and_is_never_for_an_order_not_delivered() -> None:
    delivered = Order(date=D(2026, 9, 1), amount=1000, delivered=D(2026, 9, 10))
    assert _kinds(_client(delivered), "usage") == [D(2026, 10, 22)]  # overdue: it stays
    assert _kinds(_client(dataclasses.replace(delivered, usage_reviewed=D(2026, 11, 1))), "usage") == []
    assert _kinds(_client(Order(date=D(2026, 9, 1), amount=1000)), "usage") == []


def test_the_contract_review_is_unchanged_and_independent_of_the_usage_review() -> None:
    order = Order(date=D(2026, 9, 1), amount=1000, delivered=D(2026, 9, 10), usage_reviewed=D(2026, 11, 1))
    assert _kinds(_client(order), "review") == [D(2026, 9, 17)]  # delivered + review_after 7
    assert _kinds(_client(dataclasses.replace(order, reviewed=D(2026, 9, 18))), "review") == []


def test_the_usage_title_names_the_order_and_is_chinese_in_chinese() -> None:
    order = Order(date=D(2026, 9, 1), amount=1000, delivered=D(2026, 9, 10), items="液压油")
    [english] = [r.title for r in due([_client(order)], TODAY, Settings(), within=0) if r.kind == "usage"]
    assert english == ("Usage review at Acme: how is the order of 2026-09-01 (液压油) working out? "
                       "Delivered 2026-09-10")
    with i18n.using("zh"):
        [chinese] = [r.title for r in due([_client(order)], TODAY, Settings(), within=0) if r.kind == "usage"]
    assert chinese == "使用回访Acme：2026-09-01 的订单（液压油）用得怎么样？2026-09-10 交付"


# -- service schedules ------------------------------------------------------------------------------

def test_a_service_is_due_every_days_after_the_last_else_the_first_and_a_month_is_30_days() -> None:
    s = Service(what="油品检测", every=90, from_=D(2026, 3, 1), last=D(2026, 9, 5))
    assert _kinds(_client(services=(s,)), "service", today=D(2026, 12, 4)) == [D(2026, 12, 4)]  # 5 Sep + 90
    assert _kinds(_client(services=(dataclasses.replace(s, last=None),)), "service") == [D(2026, 5, 30)]
    assert _kinds(_client(services=(dataclasses.replace(s, last=None, from_=None),)), "service") == []


def test_a_service_lead_is_a_week_by_default() -> None:
    s = Service(what="保养", every=30, last=D(2026, 11, 7))  # due 7 December
    assert DEFAULT_LEADS["service"] == 7
    assert _kinds(_client(services=(s,)), "service", today=D(2026, 11, 30)) == [D(2026, 12, 7)]
    assert _kinds(_client(services=(s,)), "service", today=D(2026, 11, 29)) == []


def test_a_service_ends_with_until_the_day_itself_still_due() -> None:
    s = Service(what="保养", every=30, last=D(2026, 11, 1), until=D(2026, 12, 1))
    assert _kinds(_client(services=(s,)), "service") == [D(2026, 12, 1)]  # due on until: still
    passed = dataclasses.replace(s, until=D(2026, 11, 30))
    assert _kinds(_client(services=(passed,)), "service") == []
    assert passed.next_due is None


def test_every_in_months_weeks_and_days_from_the_file(tmp_path: Path) -> None:
    text = _file("""\
        services:
          - {what: a, every: 3m, last: 2026-09-01}
          - {what: b, every: 2w, last: 2026-09-01}
          - {what: c, every: 10d, last: 2026-09-01}
          - {what: d, every: 45, last: 2026-09-01}
        """)
    client, problems = parse_client_text(text, "clients/acme.md")
    assert client is not None, problems
    assert [(s.what, s.every, s.next_due) for s in client.services] == [
        ("a", 90, D(2026, 11, 30)), ("b", 14, D(2026, 9, 15)), ("c", 10, D(2026, 9, 11)), ("d", 45, D(2026, 10, 16))]


# -- check ------------------------------------------------------------------------------------------

def _file(front: str) -> str:
    return "---\nname: Acme\ngrade: B\n" + textwrap.dedent(front) + "---\n"


def _problems(front: str) -> list[str]:
    _, problems = parse_client_text(_file(front), "clients/acme.md")
    return [p.format() for p in problems]


def test_an_outcome_without_its_review_day_is_a_warning_saying_to_add_it() -> None:
    assert _problems("""\
        orders:
          - {date: 2026-10-01, amount: 10, delivered: 2026-10-05, review_outcome: satisfied,
             usage_reviewed: 2026-11-20, usage_outcome: opportunity}
          - {date: 2026-10-02, amount: 10, delivered: 2026-10-05, reviewed: 2026-10-09, usage_outcome: problem}
        """) == [
        "clients/acme.md:5:75: warning: orders[0]: review_outcome satisfied but no reviewed; add reviewed: "
        "the day of that review [outcome-without-review]",
        "clients/acme.md:7:96: warning: orders[1]: usage_outcome problem but no usage_reviewed; add "
        "usage_reviewed: the day of that review [outcome-without-review]",
    ]


def test_a_usage_review_before_delivery_or_without_one_is_an_error() -> None:
    problems = _problems("""\
        orders:
          - {date: 2026-10-01, amount: 10, delivered: 2026-10-05, usage_reviewed: 2026-10-04}
          - {date: 2026-10-01, amount: 10, usage_reviewed: 2026-10-04}
          - {date: 2026-10-01, amount: 10, delivered: 2026-10-05, usage_reviewed: 2026-10-05}
        """)
    assert problems == [
        "clients/acme.md:5:75: error: orders[0]: usage_reviewed 2026-10-04 is before it was delivered 2026-10-05; "
        "the usage review comes after some weeks of use [usage-before-delivery]",
        "clients/acme.md:6:52: error: orders[1]: usage_reviewed 2026-10-04 but the order is not delivered; "
        "add delivered: the day it was [usage-before-delivery]",
    ]


def test_a_service_needs_what_and_every_and_its_days_in_order() -> None:
    problems = _problems("""\
        services:
          - {what: 检测, every: 3m, from: 2026-03-01, last: 2026-02-01, until: 2026-01-01}
          - {every: 30}
          - {what: 保养, every: often}
        """)
    assert sorted(p.rsplit("[", 1)[1] for p in problems) == [
        "bad-cadence]", "last-before-from]", "missing-key]", "until-before-from]"]
    assert ("clients/acme.md:5:51: error: services[0]: last 2026-02-01 is before the first service 2026-03-01 "
            "(from) [last-before-from]") in problems


# -- the page and due -------------------------------------------------------------------------------

ACME = """\
---
name: Acme Trading
grade: B
orders:
  - date: 2026-09-01
    amount: 1000
    items: Hydraulic oil
    delivered: 2026-09-10
    reviewed: 2026-09-17
    review_outcome: problem
    review_note: two drums short
  - date: 2026-10-01
    amount: 2000
    delivered: 2026-10-20
    reviewed: 2026-10-27
    review_outcome: satisfied
    usage_reviewed: 2026-11-25
    usage_outcome: opportunity
    usage_note: wants gear oil
services:
  - {what: Oil testing, every: 3m, from: 2026-03-01, last: 2026-09-05, product: HM46}
  - {what: Maintenance, every: 30, last: 2026-10-01, until: 2026-10-15}
---
"""


def _book(tmp_path: Path, language: str) -> Path:
    root = tmp_path / language
    (root / "clients").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(
        f"site_name: CRM\ntheme:\n  name: material\n  font: false\n  language: {language}\n", encoding="utf-8")
    write_client(root, "acme", ACME)
    return root


def _article(root: Path) -> str:
    site = root / "site"
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--today", str(TODAY), "-d", str(site)])
    assert result.exit_code == 0, result.output
    page = (site / "clients" / "acme" / "index.html").read_text(encoding="utf-8")
    return page[page.index("<article"):page.index("</article>")]


def test_the_client_page_shows_both_reviews_and_the_services_in_english(tmp_path: Path) -> None:
    text = _article(_book(tmp_path, "en"))
    for shown in ("After-sale review", "Usage review", "two drums short", "wants gear oil", "problem",
                  "satisfied", "opportunity",
                  "Services", "Oil testing", "HM46", "90 days", "2026-12-04", "– <span class=\"crmgen-muted\">until 2026-10-15", "since 2026-03-01"):
        assert shown in text, shown
    # the first order's usage review (10 Sep + 42) is not asked: the second order was delivered later
    assert "due 2026-10-22" not in text


def test_the_client_page_in_chinese_has_no_english_of_these_sections(tmp_path: Path) -> None:
    text = _article(_book(tmp_path, "zh"))
    for shown in ("售后回访", "使用回访", "发现问题", "满意", "新商机", "定期服务", "上次服务", "下次到期", "90 天",
                  "至 2026-10-15", "自 2026-03-01"):
        assert shown in text, shown
    for english in ("After-sale review", "Usage review", "Services", "Last done", "Next due", "until 2026",
                    ">problem<", ">satisfied<", ">opportunity<", "90 days"):
        assert english not in text, english


def test_due_json_lists_the_usage_and_service_kinds(tmp_path: Path) -> None:
    root = _book(tmp_path, "en")
    result = CliRunner().invoke(main, ["-C", str(root), "due", "--today", str(TODAY), "--within", "7",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    kinds = {(r["kind"], r["date"]) for r in rows}
    # the first order was never usage reviewed, but the second, delivered later, was: only the latest
    # delivered order raises the usage review (a later delivery is the client buying again)
    assert not any(r["kind"] == "usage" for r in rows)
    assert ("service", "2026-12-04") in kinds  # oil testing: 5 Sep + 90, within the week's lead
    assert not any("Maintenance" in r["title"] for r in rows)  # ended on until


@pytest.mark.parametrize("value", ["satisfied", "problem", "opportunity"])
def test_each_outcome_has_its_chinese_word(value: str) -> None:
    with i18n.using("zh"):
        assert i18n.label("review_outcome", value) != value
    assert i18n.label("review_outcome", value) == value


def test_only_the_latest_delivered_order_raises_the_usage_review() -> None:
    from crmgen.format.model import Client, Order
    from crmgen.load.project import Settings
    from crmgen.rules.kinds import usage

    D = dt.date.fromisoformat
    old = Order(date=D("2025-01-05"), amount=1, delivered=D("2025-01-10"), index=0)
    new = Order(date=D("2026-10-01"), amount=1, delivered=D("2026-10-05"), index=1)
    c = Client(slug="x", path="clients/x.md", name="X", grade="B", orders=(old, new))
    (r,) = usage(c, Settings(), {})
    assert r.date == D("2026-11-16")  # 10-05 + 42 days
    reviewed = dataclasses.replace(new, usage_reviewed=D("2026-11-10"))
    assert usage(dataclasses.replace(c, orders=(old, reviewed)), Settings(), {}) == []
    undelivered = dataclasses.replace(new, delivered=None)
    assert [r.date for r in usage(dataclasses.replace(c, orders=(old, undelivered)), Settings(), {})] == [
        D("2025-02-21")]
