"""``check`` and ``due`` without Click print exactly what the Click commands print."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from crmgen import cells, commands, fastpath, summary
from crmgen.cli import main
from crmgen.errors import ERROR, WARNING, Problem, summary_line
from tests.conftest import write_client

OLD = time.time() - 3600

GOOD = """
    ---
    name: 华东润滑油
    grade: A
    stage: customer
    owner: 王磊
    phone: "021 5555 0101"
    contacts:
      - name: 周建国
        birthday: "--12-03"
      - name: Old Li
        left: 2026-11-01
    dates:
      - what: 公司成立
        date: 2019-12-01
    promises:
      - by: client
        what: 结清三季度货款
        due: 2026-11-30
        amount: 210000
      - by: us
        what: send samples
        due: 2026-11-18
    orders:
      - date: 2026-10-20
        amount: 220000
        paid: 100000
        pay_by: 2026-12-10
        items: 双十一促销组合装
        delivered: 2026-10-25
    complaints:
      - opened: 2026-11-15
        what: 包装破损
        step: solve
    ---

    ## 2026-11-28 visit: 年底冲量方案
    Next: 2026-12-05 送样品
"""

OTHER = """
    ---
    name: A very long English client name that needs cutting
    grade: B
    owner: Sarah Lin
    phone: "021 5555 0101"
    ---

    ## 2026-11-10 call: intro
"""

BROKEN = """
    ---
    name: Broken \x1b[31mred\x1b[0m
    grade: Q
    referred_by: nobody
    ---
"""


def age(root: Path) -> None:
    for path in [root / "mkdocs.yml", *(root / "clients").iterdir()]:
        os.utime(path, (OLD, OLD))


@pytest.fixture
def good(project: Path) -> Path:
    write_client(project, "huadong", GOOD)
    write_client(project, "other", OTHER)  # same phone: a warning
    age(project)
    return project


@pytest.fixture
def broken(good: Path) -> Path:
    write_client(good, "broken", BROKEN)
    age(good)
    return good


def fast(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | None, str, str]:
    code = fastpath.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def slow(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


CHECKS = [["check"], ["check", "--format", "json"], ["check", "--format=github"], ["check", "--strict"],
          ["check", "--no-cache", "--format", "json"]]
DUES = [["due", "--today", "2026-11-20"], ["due", "--today=2026-11-29", "--format", "json"],
        ["due", "--today", "2026-11-20", "--within", "30", "--fail-on-overdue"],
        ["due", "--today", "2026-11-20", "--owner", " sarah lin "], ["due", "--today", "2026-11-20", "--owner", "x"],
        ["due", "--today", "2026-11-20", "--kind", "birthday", "--kind", "payment"],
        ["due", "--today", "2027-02-01", "--within", "0"], ["due", "--today", "2026-06-01"]]


@pytest.mark.parametrize("args", CHECKS + DUES)
@pytest.mark.parametrize("which", ["good", "broken"])
def test_same_output_as_click_cold_and_from_the_summary(args: list[str], which: str, request: pytest.FixtureRequest,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = request.getfixturevalue(which)
    argv = ["-C", str(root), *args]
    expected = slow(argv)
    assert expected[1] or expected[2]
    for _ in range(3):  # the first run may write the summary; the others read it
        assert fast(argv, capsys) == expected
    if "--no-cache" not in args:
        assert summary.load(str(root)) is not None


def test_colour_on_a_terminal_is_clicks(broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = commands.problem_tuples([Problem("a.md", 1, 2, ERROR, "bad", "x"), Problem("a.md", 1, 1, WARNING,
                                                                                          "hm", "y")])
    (err, text, colour), (_, summary_text, _) = commands.problem_chunks(problems, 1, colour=True)
    assert err and colour is True
    assert text.splitlines()[0] == "a.md:1:1: " + click.style("warning:", fg="yellow", bold=True) + " hm [y]"
    assert summary_text == "1 error, 1 warning in 1 file"
    for fg in ("red", "yellow", "green", "blue", None):
        assert cells.style("x", fg=fg, bold=True) == click.style("x", fg=fg, bold=True)
        assert cells.style("x", fg=fg) == click.style("x", fg=fg)


def test_summary_line_is_the_errors_one() -> None:
    for problems in ([], [Problem("a", 1, 1, ERROR, "m", "c")],
                     [Problem("a", 1, 1, WARNING, "m", "c"), Problem("b", 1, 1, WARNING, "m", "c")]):
        for files in (0, 1, 2):
            assert fastpath.summary_line(commands.problem_tuples(problems), files) == summary_line(problems, files)


def test_ansi_in_user_text_is_stripped_off_a_terminal(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fastpath.main(["-C", str(broken), "check"])
    fastpath.main(["-C", str(broken), "check", "--format", "json"])
    out = capsys.readouterr()
    assert "\x1b" not in out.err and "\x1b" not in out.out


@pytest.mark.parametrize("args", [
    ["check", "clients/a.md"], ["check", "--help"], ["--help"], ["due", "--format", "ics"], ["build"],
    ["due", "--today", "2026-13-01"], ["due", "--within", "-1"], ["due", "--within", "x"], ["due", "--kind", "nope"],
    ["check", "--format", "xml"], ["check", "--strict=1"], ["due", "--owner"], ["-x", "check"], [], ["--version"],
    ["check", "--"],
])
def test_anything_unusual_is_left_to_click(project: Path, args: list[str]) -> None:
    assert fastpath.main(["-C", str(project), *args]) is None


def test_errors_are_left_to_click(tmp_path: Path) -> None:
    assert fastpath.main(["-C", str(tmp_path / "missing"), "check"]) is None
    assert fastpath.main(["-C", str(tmp_path), "check"]) is None  # no mkdocs.yml
    (tmp_path / "mkdocs.yml").write_text("extra:\n  crmgen:\n    wihtin: 3\n", encoding="utf-8")
    assert fastpath.main(["-C", str(tmp_path), "due"]) is None  # an unknown setting


def test_python_m_crmgen_takes_the_fast_path(good: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cmd = [sys.executable, "-X", "importtime", "-m", "crmgen", "-C", str(good)]
    first = subprocess.run([*cmd, "due", "--today", "2026-11-20"], capture_output=True, text=True, env=env)
    again = subprocess.run([*cmd, "due", "--today", "2026-11-20"], capture_output=True, text=True, env=env)
    assert first.returncode == again.returncode == 0
    assert first.stdout == again.stdout == slow(["-C", str(good), "due", "--today", "2026-11-20"])[1]
    imported = {line.split("|")[-1].strip() for line in again.stderr.splitlines() if line.startswith("import time")}
    assert "crmgen.summary" in imported
    assert not imported & {"click", "yaml", "dataclasses", "crmgen.model", "crmgen.config"}
    check = subprocess.run([*cmd, "check"], capture_output=True, text=True, env=env)
    assert check.returncode == 0 and check.stderr.endswith("warning: possible duplicate: same phone as "
                                                           "clients/huadong.md; merge the files if they are one "
                                                           "client [possible-duplicate]\n0 errors, 2 warnings in 2 "
                                                           "files\n")
    assert "click" not in check.stderr  # -X importtime lines name every module imported


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A realistic book of 150 clients (the benchmark's generator), with its summary written."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_generate_fastpath",
                                                  Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    root = tmp_path_factory.mktemp("generated") / "book"
    module.generate(150, root, 6)
    os.utime(root / "mkdocs.yml", (OLD, OLD))  # client files are generated with an old mtime
    assert fastpath.main(["-C", str(root), "check"]) == 0
    return root


DAYS = ["2026-11-20", "2026-02-27", "2028-02-28", "2027-02-28", "2026-12-29", "2025-01-01", "2026-06-15",
        "2030-03-01"]


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("extra", [[], ["--within", "0"], ["--within", "45"], ["--within", "400"],
                                   ["--kind", "birthday", "--kind", "anniversary"], ["--fail-on-overdue"]])
def test_the_fast_lane_lists_exactly_what_click_does(generated: Path, day: str, extra: list[str],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert summary.load(str(generated), with_due=True)[1] is not None  # answered from the summary
    argv = ["-C", str(generated), "due", "--today", day, *extra]
    assert fast(argv, capsys) == slow(argv)


@pytest.mark.parametrize("day", DAYS[:4])
def test_the_fast_lane_in_colour(generated: Path, day: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from crmgen.duecmd import due_chunks
    from crmgen.duepack import Packed

    part = summary.load(str(generated), with_due=True)[1]
    packed = Packed(part)
    today = dt.date.fromisoformat(day)
    used = 0
    for within in (7, 30, 400):
        runs, extra = packed.select(today, within, part["leads"], None, [])
        lane = packed.text(runs, extra, today, within, True)
        if lane is None:  # other column widths than the stored cells': the ordinary renderer lists
            continue
        used += 1
        ((_, expected, _),) = due_chunks({"clients": packed.clients}, packed.rows(runs, extra), today, part["leads"],
                                         within, "text", True)
        assert b"".join(lane) == (expected + "\n").encode()
        assert "\x1b[31m" in expected
    assert used  # with a window this wide, every kind and client column shows


def test_the_installed_command_takes_the_fast_path_too() -> None:
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["scripts"]["crmgen"] == "crmgen.__main__:run"


def test_dates_are_read_as_click_reads_them() -> None:
    import datetime as dt

    for text in ("2026-11-20", "2026-1-5", "2024-02-29", "2023-02-29", "2026-13-01", "2026-00-10", "26-11-20",
                 "2026-11-20x", "2026/11/20", "２０２６-11-20", "2026-011-20", "", "2026-11", " 2026-11-20"):
        try:
            theirs = dt.datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            theirs = None
        ours = fastpath._date(text)
        assert ours is None or ours == theirs, text  # None: Click reads (or rejects) it itself
    assert fastpath._date("2026-1-5") == dt.date(2026, 1, 5)


def test_pieces_written_in_part_are_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.writev

    def stingy(fd: int, pieces: list[bytes]) -> int:  # as a pipe may: a few bytes at a time
        return real(fd, [pieces[0][:3]])

    monkeypatch.setattr(os, "writev", stingy)
    with open(tmp_path / "out", "wb") as fh:
        fastpath._writer(fh)([b"hello ", b"", "wörld\n".encode(), b"x" * 10])
    assert (tmp_path / "out").read_bytes() == "hello wörld\n".encode() + b"x" * 10


def test_the_collector_is_off_while_a_command_runs_and_on_again_after(good: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import gc

    seen = []
    real = commands.run_check
    monkeypatch.setattr(commands, "run_check", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    assert fast(["-C", str(good), "check", "--no-cache"], capsys)[0] == 0
    assert seen == [False] and gc.isenabled()
    monkeypatch.setattr(commands, "run_check", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        fastpath.main(["-C", str(good), "check", "--no-cache"])
    assert gc.isenabled()
    assert fastpath._FREEZE_AT_EXIT == [True]  # gc.freeze registered with atexit, once
