"""Values at their edges (#15): every value check accepts is computed; any other is a located error
naming the range (dates 1900-01-01 to 2999-12-31, amounts up to 10^15, cadences up to 10 years,
--today 1970-01-01 to 2105-12-31)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.format import schema as S
from crmgen.load.book import parse_client_text
from tests.conftest import write_client

EDGE = """\
---
name: Edge Co
grade: A
since: {lo}
cadence: 3650
credit_limit: {big}
contacts:
  - {{name: A, birthday: {hi}}}
  - {{name: B, birthday: {lo}}}
dates:
  - {{what: end, date: {hi}}}
promises:
  - {{by: us, what: late, due: {hi}, amount: {big}}}
  - {{by: client, what: early, due: {lo}, amount: {big}}}
orders:
  - {{date: {lo}, amount: {big}, paid: 0, pay_by: {hi}, delivered: {lo}}}
  - {{date: {hi}, amount: {big}}}
complaints:
  - {{opened: {lo}, what: old}}
rebate:
  from: {lo}
  to: {hi}
  tiers: [{{over: {big}, rate: 2%}}, {{over: 1, rate: 100%}}]
---
## {lo} visit: first
Next: {hi} last
## {hi} call: last
"""


@pytest.mark.parametrize("today", [str(S.TODAY_MIN), "2026-12-01", str(S.TODAY_MAX)])
def test_every_value_at_the_ends_of_its_range_is_computed(project, today: str) -> None:
    write_client(project, "edge", EDGE.format(lo=S.DATE_MIN, hi=S.DATE_MAX, big=S.NUMBER_MAX))
    runner = CliRunner()
    for args in (["check"], ["due", "--today", today, "--format", "json", "--within", "100000"],
                 ["due", "--today", today, "--format", "ics"], ["due", "--today", today],
                 ["export", "--format", "json"], ["export", "--format", "csv"], ["export", "--format", "vcf"],
                 ["build", "--today", today, "--full"]):
        result = runner.invoke(main, ["-C", str(project), *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code == 0, (args, result.output)
        assert "NaN" not in result.stdout and "Infinity" not in result.stdout
        if "json" in args:
            json.loads(result.stdout)  # strict JSON


@pytest.mark.parametrize("key,value,code", [
    ("since", "0001-01-01", "date-range"), ("since", "9999-12-31", "date-range"),
    ("since", "1899-12-31", "date-range"), ("since", "3000-01-01", "date-range"),
    ("credit_limit", "1e308", "number-range"), ("credit_limit", ".inf", "number-range"),
    ("credit_limit", "1" + "0" * 400, "number-range"), ("credit_limit", "1000000000000001", "number-range"),
    ("credit_limit", ".nan", "not-a-number"), ("cadence", "99999999999", "bad-cadence"),
    ("cadence", "3651", "bad-cadence"), ("cadence", "122m", "bad-cadence"),
])
def test_a_value_beyond_its_range_is_a_located_error_naming_the_range(key: str, value: str, code: str) -> None:
    client, problems = parse_client_text(f"---\nname: X\ngrade: A\n{key}: {value}\n---\n", "clients/x.md")
    [p] = [p for p in problems if p.is_error]
    assert (p.line, p.col, p.code) == (4, len(key) + 3, code), p.format()
    if code != "not-a-number":
        assert any(bound in p.message for bound in ("1900-01-01 to 2999-12-31", "0 to 1,000,000,000,000,000",
                                                    "1 to 3,650 days")), p.message
    assert len(p.message) < 200  # a 400-digit number is not printed whole


def test_dates_in_the_body_beyond_the_range_are_located_errors() -> None:
    text = "---\nname: X\ngrade: A\n---\n## 0001-01-01 visit: old\n\n## 2026-01-01 call: fine\nNext: 9999-12-31 x\n"
    _client, problems = parse_client_text(text, "clients/x.md")
    assert [(p.line, p.col, p.code) for p in problems] == [(5, 4, "date-range"), (8, 7, "date-range")]


@pytest.mark.parametrize("day", ["1969-12-31", "2106-01-01", "0001-01-01", "9999-12-31"])
def test_today_beyond_its_range_is_a_usage_error(project, day: str) -> None:
    for command in ("due", "build", "check"):
        result = CliRunner().invoke(main, ["-C", str(project), command, "--today", day])
        assert result.exit_code == 2
        if command != "check":  # check has no --today
            assert "outside the days crmgen can run as of (1970-01-01 to 2105-12-31)" in result.output
