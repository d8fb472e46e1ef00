"""Every path ``private:`` accepts is honoured in every public output; every other is refused (#15).

One client holds a value nobody else has in every field a team can make private;
a ``--public`` build and every ``export --public`` format must not show one of
them, and the same build without ``--public`` shows them all (so the search can fail).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.format import schema as S
from crmgen.privacy import private_paths
from tests.conftest import write_client
from tests.test_public import site_text, unfold

TODAY = "2026-12-01"

# Values found nowhere else: a text marker, a year no other date of the book has, a number
# in a form every formatter keeps (digits of its thousands).
CLIENT = """\
---
name: Walk Trading 沃克
grade: B
stage: customer
owner: Markowner Wu
tags: [mark-tag-41]
phone: "+86 571 4141 0001"
email: mark-email-41@example.com
address: Mark Road 41, 杭州
region: mark-region-41
source: mark-source-41
blocked_until: 2033-03-03
win_back: 2034-04-04
website: https://mark-site-41.example.com
industry: mark-industry-41
notes: mark-notes-41 about them
since: 1991-01-11
cadence: 2w
referred_by: walk-ref
credit_limit: 4141410
terms: 月结41天
contacts:
  - {name: 马联系, role: mark-role-41, phone: "+86 139 4141 0002", email: mark-contact-41@example.com,
     birthday: 1992-02-12, left: 1993-03-13, notes: mark-contact-notes-41}
dates:
  - {what: mark-anniversary-41, date: 2001-04-14}
promises:
  - {by: client, what: mark-promise-41, due: 1990-03-03, amount: 4242420, kept: 1994-05-15, agreed: 1988-08-08,
     order: MARK-ID-41}
  - {id: mark-pid-41, by: us, what: mark-promise-42, due: 1990-03-04, broken: 1995-06-16}
  - {by: client, what: mark-promise-43, due: 1990-03-05, broken: 1995-06-17, because: 2}
orders:
  - {id: MARK-ID-41, date: 1990-01-05, amount: 9191910, paid: 4343430, pay_by: 1996-07-17, delivered: 1997-08-18,
     reviewed: 1998-09-19, items: mark-items-41, review_outcome: problem, review_note: mark-review-note-41,
     usage_reviewed: 2003-03-13, usage_outcome: opportunity, usage_note: mark-usage-note-41,
     payments: [{date: 1990-02-06, amount: 4343430, note: mark-payment-41}]}
  - {id: mark-order2-41, date: 1990-01-06, amount: 1000, terms: net 3141, items: mark-second-order}
complaints:
  - {opened: 1990-02-02, what: mark-complaint-41, step: review, closed: 1999-10-20, steps: {analyse: 1990-02-20},
     cause: product, cause_note: mark-cause-41, handler: mark-handler-41, escalated_to: mark-escalated-41,
     escalated: 1990-05-05, compensation: mark-compensation-41, compensation_amount: 4545450, visited: 2000-01-15}
opportunities:
  - {id: mark-oid-41, what: mark-opportunity-41, amount: 6565650, stage: proposal, probability: 37%,
     expected: 2031-07-07, opened: 1990-06-06, since: 1990-07-07, competitor: mark-competitor-41,
     next_step: mark-next-41}
  - {what: mark-opportunity-42, stage: lost, lost_reason: mark-lost-41}
  - {what: mark-opportunity-43, stage: won, order: mark-order2-41}
services:
  - {what: mark-service-41, every: 3131, from: 2004-04-14, last: 2005-05-15, product: mark-product-41,
     until: 2032-08-08}
rebate:
  from: 2026-01-01
  to: 2026-12-31
  tiers: [{over: 8787870, rate: 2%}]
rebates:
  - {name: mark-programme-41, from: 2026-01-01, to: 2026-12-31, tiers: [{over: 7676760, rate: 1%}]}
extra:
  微信: mark-wechat-41
---
## 2026-11-20 visit: met the buyer
Public part of the visit.
"""

# What each path's value shows as, where a page, an index or an export could show it.
SHOWN = {
    "owner": ["Markowner"], "tags": ["mark-tag-41"], "phone": ["4141 0001"], "email": ["mark-email-41"],
    "address": ["Mark Road 41"], "website": ["mark-site-41"], "industry": ["mark-industry-41"],
    "notes": ["mark-notes-41"], "since": ["1991"], "credit_limit": ["4,141,410", "4141410"],
    "contacts": ["马联系"], "contacts.role": ["mark-role-41"], "contacts.phone": ["4141 0002"],
    "contacts.email": ["mark-contact-41@"], "contacts.birthday": ["1992", "02-12"], "contacts.left": ["1993"],
    "contacts.notes": ["mark-contact-notes-41"], "dates": ["mark-anniversary-41"],
    "promises": ["mark-promise-41", "mark-promise-42", "mark-promise-43"], "promises.because": ["because of our #2"], "promises.amount": ["4,242,420", "4242420"],
    "promises.kept": ["1994"], "promises.broken": ["1995"], "orders": ["mark-items-41", "9,191,910", "mark-second-order"],
    "orders.paid": ["4,343,430", "4343430"], "orders.pay_by": ["1996"], "orders.delivered": ["1997"],
    "orders.reviewed": ["1998"], "orders.items": ["mark-items-41"], "complaints": ["mark-complaint-41"],
    "complaints.closed": ["1999"], "terms": ["月结41天"], "orders.id": ["MARK-ID-41"],
    "orders.payments": ["mark-payment-41"], "orders.terms": ["net 3141"], "promises.agreed": ["1988"],
    "promises.order": ["(order MARK-ID-41)"], "rebate": ["8,787,870", "8787870"], "rebates": ["mark-programme-41"], "extra": ["mark-wechat-41"],
    "extra.微信": ["mark-wechat-41"],
    "region": ["mark-region-41"], "source": ["mark-source-41"], "blocked_until": ["2033-03-03"], "win_back": ["2034-04-04"],
    "complaints.steps": ["1990-02-20"], "complaints.cause_note": ["mark-cause-41"],
    "complaints.handler": ["mark-handler-41"], "complaints.escalated_to": ["mark-escalated-41"],
    "complaints.escalated": ["1990-05-05"], "complaints.compensation": ["mark-compensation-41"],
    "complaints.compensation_amount": ["4,545,450", "4545450"], "complaints.visited": ["2000-01-15"],
    "opportunities": ["mark-opportunity-41", "mark-opportunity-42", "mark-opportunity-43"],
    "opportunities.amount": ["6,565,650", "6565650"], "opportunities.probability": ["37%"],
    "opportunities.expected": ["2031-07-07"], "opportunities.since": ["1990-07-07"],
    "opportunities.competitor": ["mark-competitor-41"], "opportunities.next_step": ["mark-next-41"],
    "opportunities.lost_reason": ["mark-lost-41"], "opportunities.order": ["order mark-order2-41"],
    "orders.review_note": ["mark-review-note-41"], "orders.usage_reviewed": ["2003-03-13"],
    "orders.usage_note": ["mark-usage-note-41"],
    "services": ["mark-service-41"], "services.from": ["2004-04-14"], "services.last": ["2005-05-15"],
    "services.product": ["mark-product-41"], "services.until": ["2032-08-08"],
}
# Paths whose value is one of a few words every client page has (a stage, a step, a cadence,
# a referral), or that no page shows (a promise's id only goes into a calendar UID's hash):
# honoured all the same, but not found by a search for the value.
# (an opportunity's id and opened day: the id only keys its calendar event, and the day it was found
# is shown as since when since is not written)
NOT_SEARCHABLE = {"stage", "cadence", "referred_by", "complaints.step", "promises.id", "complaints.cause",
                  "opportunities.id", "opportunities.stage", "opportunities.opened",
                  # an outcome is one of three words (problem, opportunity) other pages have too
                  "orders.review_outcome", "orders.usage_outcome"}


def _book(tmp_path: Path, private: list[str]) -> Path:
    root = tmp_path / "book"
    (root / "clients").mkdir(parents=True)
    config = {"site_name": "CRM", "theme": {"name": "material", "font": False},
              "extra": {"crmgen": {"private": private}}}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    write_client(root, "walk", CLIENT)
    write_client(root, "walk-ref", "---\nname: Referrer Co\ngrade: C\nowner: 王磊\n---\n")
    return root


def _public_texts(root: Path, site: Path, *, public: bool = True) -> dict[str, str]:
    args = ["-C", str(root), "build", "--today", TODAY, "-d", str(site)] + (["--public"] if public else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    texts = {rel: text for rel, text in site_text(site).items()
             if rel.endswith((".html", ".ics", ".json", ".js", ".xml")) and not rel.startswith("assets/")}
    for fmt in ("csv", "json", "vcf"):
        exported = CliRunner().invoke(main, ["-C", str(root), "export", "--format", fmt]
                                      + (["--public"] if public else []))
        assert exported.exit_code == 0, exported.output
        texts[f"export.{fmt}"] = (
            json.dumps(json.loads(exported.stdout), ensure_ascii=False) if fmt == "json"
            else unfold(exported.stdout) if fmt == "vcf" else exported.stdout)
    return texts


def _found(texts: dict[str, str], paths: list[str]) -> list[tuple[str, str, str]]:
    return [(path, shown, rel) for path in paths for shown in SHOWN.get(path, [])
            for rel, text in texts.items() if shown in text]


def _every_accepted_path() -> list[str]:
    paths = [p for p in private_paths() if p != "extra.<key>"]
    return [*paths, "extra.微信"]


def test_the_walk_covers_every_path_private_accepts() -> None:
    assert set(_every_accepted_path()) == set(SHOWN) | NOT_SEARCHABLE


# Two builds: each field and each field of each record private alone (the record lists
# stay, so the fields are taken out of them), then the whole lists.
WHOLE = ["contacts", "dates", "promises", "orders", "complaints", "opportunities", "services", "rebate", "rebates",
         "extra"]


@pytest.mark.parametrize("private", [
    [p for p in _every_accepted_path() if p not in WHOLE],
    WHOLE + ["owner", "notes"],
], ids=["fields", "lists"])
def test_a_public_build_and_export_show_no_private_value(tmp_path: Path, private: list[str]) -> None:
    root = _book(tmp_path, private)
    shown = _public_texts(root, tmp_path / "plain", public=False)
    assert {p for p, _, _ in _found(shown, private)} == set(private) - NOT_SEARCHABLE  # the search can fail
    public = _public_texts(root, tmp_path / "public")
    assert _found(public, private) == []
    assert "Public part of the visit." in public["clients/walk/index.html"]
    assert "Walk Trading" in public["export.csv"]


@pytest.mark.parametrize("path", [f"{top}.{sub}" for top in ("contacts", "dates", "promises", "orders", "complaints",
                                                             "opportunities", "services")
                                  for sub, f in S.CLIENT[top].fields.items() if f.required])
def test_a_required_field_of_a_record_is_refused_with_its_line_and_the_paths_that_work(
        tmp_path: Path, path: str) -> None:
    root = _book(tmp_path, ["phone", path])
    done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), "check"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    top = path.split(".")[0]
    assert lines[0].startswith("mkdocs.yml:") and lines[0].split(":")[1].isdigit(), done.stderr
    assert f"'{path}' cannot be private" in lines[0] and f"make '{top}' private" in lines[0]
    assert "Paths that can be private: stage, owner" in lines[0] and "contacts.phone" in lines[0]
    assert "Traceback" not in done.stderr


def test_every_bad_setting_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    root = tmp_path / "book"
    (root / "clients").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(
        "site_name: T\n"
        "extra:\n"
        "  crmgen:\n"
        "    within: seven\n"
        "    leads:\n"
        "      touch: -3\n"
        "    private: [phone, phnoe]\n"
        "    allow_html: 1\n"
        "    remind_steps: [{days: soon}]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "mkdocs.yml:4:13: error: extra.crmgen.within: must be a number",
        "mkdocs.yml:6:14: error: extra.crmgen.leads.touch: must be a whole number of days",
        "mkdocs.yml:7:22: error: extra.crmgen.private: unknown field 'phnoe' (did you mean 'phone'?). "
        "Paths that can be private: " + ", ".join(private_paths()),
        "mkdocs.yml:8:17: error: extra.crmgen.allow_html: must be true or false",
        "mkdocs.yml:9:19: error: extra.crmgen.remind_steps: 'days' must be a whole number of days, not 'soon'",
        "crmgen: error: 5 bad settings in mkdocs.yml",
    ]
