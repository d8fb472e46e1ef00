"""Every rule of the client file format v1: one test each, on the core."""

from __future__ import annotations

import datetime as dt

import pytest

from crmgen.format.errors import Problem
from crmgen.format.validation import Facts, validate
from crmgen.load.book import parse_client_text
from crmgen.load.nodes import parse_text

GOOD = """---
name: 华东润滑油
grade: B
stage: customer
owner: 王磊
tags: [华东, distributor]
phone: "021-6234 5678"
since: 2024-03-01
cadence: 2w
credit_limit: 500000
contacts:
  - name: 张伟
    role: 采购经理
    birthday: --02-29
  - name: Old Li
    left: 2026-11-10
dates:
  - what: 成立纪念日
    date: 2012-06-18
promises:
  - by: client
    what: 付清货款
    due: 2026-12-15
    amount: 120000
  - by: us
    what: 送样品
    due: 2026-11-01
    kept: 2026-10-30
orders:
  - date: 2026-09-01
    amount: 86000
    paid: 40000
    pay_by: 2026-10-31
complaints:
  - opened: 2026-11-01
    what: 包装破损
    step: solve
rebate:
  from: 2026-01-01
  to: 2026-12-31
  tiers:
    - over: 500000
      rate: 2%
    - over: 1000000
      rate: 0.03
extra:
  微信: zw-1983
---
# 华东润滑油

## 2026-11-02 visit: reviewed contract delivery
All fine.
Next: 2026-12-01 send samples

## 2026-11-10 电话回访
下一步：2026-11-20 报价
"""


def parse(text: str, slug: str = "acme") -> tuple[object, list[Problem]]:
    return parse_client_text(text, f"clients/{slug}.md")


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


def test_good_file_gives_a_full_client() -> None:
    client, problems = parse(GOOD)
    assert problems == []
    assert client.name == "华东润滑油"
    assert client.cadence == 14
    assert client.tags == ("华东", "distributor")
    assert client.contacts[0].birthday.month == 2 and client.contacts[0].birthday.year is None
    assert client.contacts[1].left == dt.date(2026, 11, 10)
    assert client.promises[0].amount == 120000 and client.promises[0].is_open
    assert client.promises[1].kept == dt.date(2026, 10, 30)
    assert client.orders[0].owed == 46000
    assert client.rebate.tiers[0].rate == pytest.approx(0.02)
    assert client.rebate.tiers[1].rate == pytest.approx(0.03)
    assert client.extra == {"微信": "zw-1983"}
    first, second = client.interactions
    assert (first.type, first.summary, first.next_date, first.next_what) == (
        "visit", "reviewed contract delivery", dt.date(2026, 12, 1), "send samples")
    assert (second.type, second.summary, second.next_date) == ("note", "电话回访", dt.date(2026, 11, 20))
    assert client.last_contact == dt.date(2026, 11, 10)
    assert first.line == GOOD.splitlines().index("## 2026-11-02 visit: reviewed contract delivery") + 1


def test_bom_and_crlf_are_accepted_and_lines_still_right() -> None:
    text = GOOD.replace("\n", "\r\n").replace('grade: B', 'grade: Q')
    _, problems = parse(text)
    p = only(problems)
    assert (p.line, p.col, p.code) == (3, 8, "bad-choice")


@pytest.mark.parametrize(
    "value,expected",
    [("10", 10), ("10d", 10), ("2w", 14), ("3m", 90), ('"5 d"', 5)],
)
def test_cadence_forms(value: str, expected: int) -> None:
    client, problems = parse(f"---\nname: x\ngrade: A\ncadence: {value}\n---\n")
    assert problems == [] and client.cadence == expected


@pytest.mark.parametrize("value", ["0", "2y", "often", "-3"])
def test_bad_cadence(value: str) -> None:
    _, problems = parse(f"---\nname: x\ngrade: A\ncadence: {value}\n---\n")
    assert codes(problems) == ["bad-cadence"]


def test_missing_front_matter() -> None:
    p = only(parse("# just a note\n")[1])
    assert (p.line, p.code) == (1, "no-front-matter")
    assert "start with a line '---'" in p.message


def test_unclosed_front_matter() -> None:
    p = only(parse("---\nname: x\ngrade: A\n")[1])
    assert p.code == "unclosed-front-matter"


def test_yaml_syntax_error_points_at_line() -> None:
    p = only(parse("---\nname: x\ngrade: A\nnotes: [unclosed\n---\n")[1])
    assert p.code == "yaml-syntax" and p.line >= 4


def test_duplicate_key() -> None:
    client, problems = parse("---\nname: x\ngrade: A\nname: y\n---\n")
    p = only(problems)
    assert (p.line, p.col, p.code) == (4, 1, "duplicate-key")
    assert "first at line 2" in p.message
    assert client is None


def test_duplicate_key_inside_a_list_item() -> None:
    text = "---\nname: x\ngrade: A\ncontacts:\n  - name: a\n    name: b\n---\n"
    assert codes(parse(text)[1]) == ["duplicate-key"]


@pytest.mark.parametrize(
    "line,fragment",
    [
        ("phone: 0123", "as the number 83"),
        ("phone: 13812345678", "as a number"),
        ("owner: NO", "as false"),
        ("owner: yes", "as true"),
        ("notes: on", "as true"),
        ("address: 12:30", "base-60 number 750"),
        ("industry: 2026-01-01", "as a date"),
    ],
)
def test_yaml_11_traps_say_quote_it(line: str, fragment: str) -> None:
    p = only(parse(f"---\nname: x\ngrade: A\n{line}\n---\n")[1])
    assert p.code == "yaml-trap"
    assert fragment in p.message and "quote it" in p.message
    assert (p.line, p.col) == (4, line.index(":") + 3)


def test_quoted_values_are_fine() -> None:
    client, problems = parse('---\nname: "NO"\ngrade: A\nphone: "0123"\naddress: \'12:30\'\n---\n')
    assert problems == [] and (client.name, client.phone, client.address) == ("NO", "0123", "12:30")


@pytest.mark.parametrize(
    "line,code",
    [
        ("tags: distributor", "wrong-type"),
        ("contacts: {name: x}", "wrong-type"),
        ("credit_limit: lots", "not-a-number"),
        ("credit_limit: -5", "negative-amount"),
        ("since: yesterday", "bad-date"),
        ("since: 2026-02-30", "impossible-date"),
        ("stage: won", "bad-choice"),
        ("referred_by: Not A Slug", "bad-slug"),
        ("name: [a, b]", "wrong-type"),
        ('referred_by: "acme\\n"', "bad-slug"),  # "$" alone would let the final newline through
        ('since: "٢٠٢٦-٠١-٠٥"', "bad-date"),  # only ASCII digits: Python's \\d reads every script's
        ('credit_limit: "١٢٣"', "not-a-number"),
        ('cadence: "١٤d"', "bad-cadence"),
        ('terms: "net ٦٠"', "bad-terms"),
    ],
)
def test_wrong_types_and_values(line: str, code: str) -> None:
    text = f"---\nname: x\ngrade: A\n{line}\n---\n".replace("name: x\n", "", 1 if line.startswith("name") else 0)
    assert code in codes(parse(text)[1])


def test_values_outside_allowed_sets_are_listed() -> None:
    p = only(parse("---\nname: x\ngrade: G\n---\n")[1])
    assert "A, B, C, D, E, F" in p.message


def test_lowercase_choice_gets_its_fix() -> None:
    p = only(parse("---\nname: x\ngrade: b\n---\n")[1])
    assert "should be written 'B'" in p.message


def test_missing_required_keys() -> None:
    problems = parse("---\nowner: x\n---\n")[1]
    assert sorted(codes(problems)) == ["missing-key", "missing-key"]
    assert {("name" in p.message) or ("grade" in p.message) for p in problems} == {True}


def test_unknown_key_is_a_warning_with_did_you_mean() -> None:
    client, problems = parse("---\nname: x\ngrade: A\nphnoe: '1'\n---\n")
    p = only(problems)
    assert (p.severity, p.code) == ("warning", "unknown-key")
    assert "did you mean 'phone'" in p.message
    assert client is not None  # warnings do not reject the client


def test_bad_slug() -> None:
    p = only(parse("---\nname: x\ngrade: A\n---\n", slug="Acme_Corp")[1])
    assert p.code == "bad-slug" and "acme-corp.md" in p.message


def test_promise_kept_and_broken() -> None:
    text = "---\nname: x\ngrade: A\npromises:\n  - {by: us, what: w, due: 2026-01-01, kept: 2026-01-01, broken: 2026-01-02}\n---\n"
    p = only(parse(text)[1])
    assert (p.code, p.line) == ("kept-and-broken", 5)


def test_promise_needs_by_what_due() -> None:
    text = "---\nname: x\ngrade: A\npromises:\n  - {by: them, what: w}\n---\n"
    assert sorted(codes(parse(text)[1])) == ["bad-choice", "missing-key"]


def test_paid_more_than_amount() -> None:
    text = "---\nname: x\ngrade: A\norders:\n  - {date: 2026-01-01, amount: 10, paid: 11}\n---\n"
    assert codes(parse(text)[1]) == ["overpaid"]


def test_negative_amounts() -> None:
    text = "---\nname: x\ngrade: A\norders:\n  - {date: 2026-01-01, amount: -10}\n---\n"
    assert codes(parse(text)[1]) == ["negative-amount"]


def test_complaint_closed_before_opened() -> None:
    text = "---\nname: x\ngrade: A\ncomplaints:\n  - {opened: 2026-03-01, what: w, step: review, closed: 2026-02-01}\n---\n"
    assert codes(parse(text)[1]) == ["closed-before-opened"]


def test_rate_forms() -> None:
    base = "---\nname: x\ngrade: A\nrebate:\n  from: 2026-01-01\n  to: 2026-12-31\n  tiers:\n    - {{over: 1, rate: {}}}\n---\n"
    assert parse(base.format("2%"))[1] == []
    assert parse(base.format("0.5"))[1] == []
    assert codes(parse(base.format("2"))[1]) == ["bad-rate"]
    assert codes(parse(base.format("lots"))[1]) == ["bad-rate"]


def test_interaction_heading_with_impossible_date() -> None:
    p = only(parse("---\nname: x\ngrade: A\n---\n\n## 2026-02-30 call: hm\n")[1])
    assert (p.line, p.col, p.code) == (6, 4, "impossible-date")


def test_next_with_bad_date() -> None:
    p = only(parse("---\nname: x\ngrade: A\n---\n## 2026-02-01 call: hm\nNext: someday call back\n")[1])
    assert (p.line, p.code) == (6, "bad-next")


def test_headings_in_code_fences_are_not_interactions() -> None:
    client, problems = parse("---\nname: x\ngrade: A\n---\n```\n## 2026-02-30 not real\n```\n")
    assert problems == [] and client.interactions == ()


def test_slash_dates_in_headings_warn() -> None:
    p = only(parse("---\nname: x\ngrade: A\n---\n## 2026/11/02 visit\n")[1])
    assert (p.severity, p.code) == ("warning", "heading-date")


@pytest.mark.parametrize("doc", ["&a x", "name: &n x\ngrade: A\nowner: *n"])
def test_anchors_and_aliases_rejected(doc: str) -> None:
    assert set(codes(parse(f"---\n{doc}\n---\n")[1])) == {"yaml-alias"}


def test_alias_bomb_fails_fast() -> None:
    import time

    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    text = "---\nname: x\ngrade: A\nextra:\n  " + "\n  ".join(lines) + "\n---\n"
    start = time.perf_counter()
    problems = parse(text)[1]
    assert time.perf_counter() - start < 2
    assert problems and all(p.code == "yaml-alias" for p in problems)


def test_custom_tags_rejected() -> None:
    assert codes(parse("---\nname: !!python/object:os.system x\ngrade: A\n---\n")[1]) == ["yaml-tag"]


def test_front_matter_must_be_a_mapping() -> None:
    assert codes(parse("---\n- a\n- b\n---\n")[1]) == ["wrong-type"]


def test_empty_front_matter() -> None:
    assert codes(parse("---\n---\nbody\n")[1]) == ["missing-key"]


@pytest.mark.parametrize("value,shown", [("030001", "12289"), ("12:30", "750"), ("yes", "true")])
def test_lossy_values_under_extra_are_a_warning(value: str, shown: str) -> None:
    client, problems = parse(f"---\nname: x\ngrade: A\nextra:\n  zip: {value}\n---\n")
    p = only(problems)
    assert (p.severity, p.code, p.line, p.col) == ("warning", "yaml-trap", 5, 8)
    assert f"as {shown}" in p.message and f'zip: "{value}"' in p.message
    assert client is not None


def test_plain_extra_values_are_fine() -> None:
    client, problems = parse("---\nname: x\ngrade: A\nextra:\n  n: 12\n  ok: true\n  d: 2026-01-01\n---\n")
    assert problems == [] and client.extra["n"] == 12


CHECKED_ONLY = [
    GOOD,
    GOOD.replace("    kept: 2026-10-30\n", "    kept: 2026-10-30\n    broken: 2026-10-31\n"),
    GOOD.replace("paid: 40000", "paid: 90000").replace("    step: solve\n", "    closed: 2026-10-01\n"),
    GOOD.replace("to: 2026-12-31", "to: 2025-12-31").replace("Next: 2026-12-01", "Next: 2026-13-01"),
    GOOD.replace("## 2026-11-10", "## 2026/11/10").replace("## 2026-11-02", "## 2026-11-31"),
    GOOD.replace("grade: B", "grade: b").replace('phone: "021-6234 5678"', "phone: 0216234"),
    "---\nname: x\n---\n", "---\n---\nbody\n", "---\nname: [x]\ngrade: A\n---\n",
]


@pytest.mark.parametrize("text", CHECKED_ONLY)
def test_checking_without_building_makes_the_same_checks(text: str) -> None:
    raw, problems = parse_text(text, "clients/acme.md")
    assert problems == []
    built, checked = validate(raw, "acme"), validate(raw, "acme", build=False)
    assert checked.problems == built.problems and checked.positions == built.positions
    c = built.client
    assert checked.client == (c and Facts(c.slug, c.referred_by, c.phone, c.email))


@pytest.mark.parametrize("value", ['""', "'   '"])
def test_a_blank_name_is_refused(value: str) -> None:
    client, problems = parse(f"---\nname: {value}\ngrade: A\n---\n")
    p = only(problems)
    assert (p.line, p.col, p.code, p.severity) == (2, 7, "missing-value", "error")
    assert "name: is blank" in p.message and client is None


@pytest.mark.parametrize("value", ['"Wang\\nLi"', '"Wang\\tLi"', '"Wang\\x07"', '"王\\u2028磊"', "|\n  Wang\n  Li"])
def test_an_owner_on_more_than_one_line_or_with_control_characters_is_refused(value: str) -> None:
    _, problems = parse(f"---\nname: Acme\ngrade: A\nowner: {value}\n---\n")
    p = only(problems)
    assert (p.line, p.code) == (4, "bad-text") and "owner: must be one line" in p.message


def test_an_owner_with_spaces_and_chinese_is_fine() -> None:
    client, problems = parse("---\nname: Acme\ngrade: A\nowner: 王 磊 (East)\n---\n")
    assert problems == [] and client.owner == "王 磊 (East)"
