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


@pytest.mark.parametrize("value,read_as", [("012000", "5120"), ("0700", "448"), ("1:30", "90"), ("0x10", "16"),
                                           ("0b101", "5"), ("-0x10", "-16")])
def test_a_number_yaml_misreads_is_a_located_error(value: str, read_as: str) -> None:
    text = f"---\nname: X\ngrade: A\norders:\n  - {{date: 2026-01-01, amount: {value}}}\n---\n"
    _client, problems = parse_client_text(text, "clients/x.md")
    [p] = problems
    assert (p.line, p.col, p.code) == (5, 32, "yaml-trap")
    assert f"reads {value} as {read_as}" in p.message and "write the number plainly" in p.message


@pytest.mark.parametrize("value", ["0", "12000", "12000.50", "0.5", "1_000"])
def test_plain_numbers_are_not_traps(value: str) -> None:
    _client, problems = parse_client_text(f"---\nname: X\ngrade: A\ncredit_limit: {value}\n---\n", "clients/x.md")
    assert problems == []


def test_a_cadence_in_base_60_is_refused() -> None:
    _client, problems = parse_client_text("---\nname: X\ngrade: A\ncadence: 1:30\n---\n", "clients/x.md")
    assert [p.code for p in problems] == ["bad-cadence"]


def test_a_named_pipe_among_the_clients_is_skipped_never_opened(project) -> None:
    import os
    import subprocess
    import sys

    write_client(project, "real", "---\nname: Real\ngrade: A\n---\n")
    os.mkfifo(project / "clients" / "pipe.md")  # opening it would wait for a writer forever
    for args in (["check", "--no-cache"], ["check"], ["due", "--today", "2026-12-01"],
                 ["build", "--today", "2026-12-01"]):
        done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(project), *args], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        if args[0] in ("check", "build"):
            assert "clients/pipe.md:1:1: warning: not a regular file" in done.stderr
    assert (project / "site" / "clients" / "real" / "index.html").is_file()


@pytest.mark.parametrize("written,shown", [("name: !!str X", "!!str"), ("grade: !!str A", "!!str"),
                                           ("phone: !!int 123", "!!int"), ("extra: {a: !!binary aGVsbG8=}", "!!binary"),
                                           ("extra: {b: !!python/object:os.system x}", "!!python/object:os.system"),
                                           ("extra: {c: !!set {x, y}}", "!!set"), ("extra: {d: !mine z}", "!mine"),
                                           ("tags: !!seq [a]", "!!seq"), ("extra: {e: ! z}", "!")])
def test_every_written_yaml_tag_is_refused_where_it_is(written: str, shown: str) -> None:
    """The format page: tags are refused, even ``!!str`` (it changes nothing a quote would not)
    and inside ``extra`` (``!!binary`` would make bytes no JSON export can hold)."""
    lines = ["name: X", "grade: A"]
    key = written.split(":", 1)[0]
    lines = [written if line.startswith(key + ":") else line for line in lines] + (
        [written] if key not in ("name", "grade") else [])
    text = "---\n" + "\n".join(lines) + "\n---\n"
    client, problems = parse_client_text(text, "clients/x.md")
    [p] = problems
    assert client is None and p.code == "yaml-tag" and f"YAML tag '{shown}' is not allowed" in p.message
    assert p.line == 2 + lines.index(written) and p.col == written.index("!") + 1


@pytest.mark.parametrize("text", ["Great client!", "'!!str is how YAML tags text'", '"! not a tag"'])
def test_an_exclamation_mark_in_a_value_is_not_a_tag(text: str) -> None:
    client, problems = parse_client_text(f"---\nname: X\ngrade: A\nnotes: {text}\n---\n", "clients/x.md")
    assert problems == [] and client is not None and "!" in client.notes


def _nested(depth: int, flow: bool) -> str:
    if flow:
        return "extra:\n  x: " + "[" * depth + "]" * depth
    return "extra:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, depth + 1)) + "  " * (depth + 1) + "v"


@pytest.mark.parametrize("flow", [True, False])
@pytest.mark.parametrize("depth", [S.NESTING_MAX - 1, S.NESTING_MAX + 1, 600, 990])
def test_deep_yaml_is_a_located_error_not_a_recursion_error(depth: int, flow: bool) -> None:
    client, problems = parse_client_text(f"---\nname: X\ngrade: A\n{_nested(depth, flow)}\n---\n", "clients/x.md")
    if depth < S.NESTING_MAX:
        assert problems == [] and client is not None
        return
    [p] = problems
    assert p.code in ("too-deep", "yaml-syntax") and p.line >= 5, p  # libyaml stops at 1,000 levels itself
    assert client is None


def test_deep_yaml_with_the_pure_python_parser_is_a_located_error(monkeypatch) -> None:
    """PyYAML without libyaml composes recursively: hundreds of levels raise RecursionError."""
    import yaml

    from crmgen.load import nodes

    class PureLoader(yaml.SafeLoader):
        pass

    monkeypatch.setattr(nodes, "_Loader", PureLoader)
    node, problems = nodes.parse_yaml("x: " + "[" * 990 + "]" * 990, "clients/x.md", 2)
    assert node is None and [(p.line, p.code) for p in problems] == [(2, "too-deep")]


@pytest.mark.parametrize("value", [".inf", "-.inf", ".NaN", ".nan", "+.INF"])
def test_an_infinite_number_in_your_own_fields_is_a_located_error(value: str) -> None:
    """``export --format json`` would write ``Infinity``/``NaN``, which no JSON reader takes."""
    client, problems = parse_client_text(f"---\nname: X\ngrade: A\nextra:\n  x: {value}\n---\n", "clients/x.md")
    [p] = problems
    assert client is None and (p.line, p.col, p.code) == (5, 6, "number-range") and value in p.message


def test_json_export_of_every_value_check_accepts_is_strict_json(project) -> None:
    write_client(project, "x", "---\nname: X\ngrade: A\nextra:\n  big: 100000000000000000000000000000000000000000\n"
                 "  e: 1e400\n  when: 2026-01-01 10:00:00\n  day: 2026-02-03\n  nested: {a: [1, 2.5, null, true]}\n---\n")
    runner = CliRunner()
    done = runner.invoke(main, ["-C", str(project), "export", "--format", "json"])
    assert done.exit_code == 0, done.output

    def refuse(name: str) -> None:
        raise ValueError(name)

    [client] = json.loads(done.stdout, parse_constant=refuse)  # NaN, Infinity, -Infinity refused
    assert client["extra"]["big"] == 10**41 and client["extra"]["day"] == "2026-02-03"
