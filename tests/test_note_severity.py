"""The third severity, ``note`` (a client over its credit limit), through the real command line:
shown and counted, never a failure, ``--strict`` included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from crmgen.cli import main
from tests.conftest import write_client

OVER = """\
---
name: A
grade: A
credit_limit: 100000
orders:
  - date: 2026-10-01
    amount: 120000
    pay_by: 2026-12-31
---
"""
NOTE = ("clients/a.md:4:15: note: the orders leave 120,000 unpaid, over the credit limit of 100,000; "
        "collect before the next order, or raise the limit [over-credit]")
MESSAGE = "the orders leave 120,000 unpaid, over the credit limit of 100,000; collect before the next order, " \
          "or raise the limit"
WARNING = ("clients/b.md:4:1: warning: unknown key 'fax'; known keys: name, grade, stage, owner, tags, phone, "
           "email, address, region, website, industry, notes, since, cadence, referred_by, source, blocked_until, win_back, "
           "credit_limit, terms, "
           "contacts, dates, promises, orders, complaints, opportunities, services, rebate")


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args])


def test_a_note_alone_passes_check_and_check_strict(project: Path) -> None:
    write_client(project, "a", OVER)
    for args in (("check",), ("check", "--strict"), ("check", "--no-cache", "--strict")):
        result = run(project, *args)
        assert (result.exit_code, result.stdout) == (0, ""), args
        assert result.stderr.splitlines() == [NOTE, "no problems in 1 file (1 note)"], args


def test_a_note_in_json_and_github_formats(project: Path) -> None:
    write_client(project, "a", OVER)
    result = run(project, "check", "--format", "json", "--strict")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [{"path": "clients/a.md", "line": 4, "col": 15, "severity": "note",
                                          "code": "over-credit", "message": MESSAGE}]
    result = run(project, "check", "--format", "github", "--strict")
    assert result.exit_code == 0
    assert result.stdout == (f"::notice file=clients/a.md,line=4,col=15,title=crmgen over-credit::{MESSAGE} "
                             "[over-credit]\n")


def test_a_warning_beside_a_note_still_fails_strict(project: Path) -> None:
    write_client(project, "a", OVER)
    write_client(project, "b", "---\nname: B\ngrade: A\nfax: '1'\n---\n")
    summary = "0 errors, 1 warning, 1 note in 2 files"
    result = run(project, "check")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0] == NOTE and lines[1].startswith(WARNING) and lines[2:] == [summary]
    strict = run(project, "check", "--strict")
    assert (strict.exit_code, strict.stderr) == (1, result.stderr)
    github = run(project, "check", "--strict", "--format", "github")
    assert github.exit_code == 1
    assert [line.split(" ", 1)[0] for line in github.stdout.splitlines()] == ["::notice", "::warning"]


def test_an_error_beside_a_note_is_counted_with_it(project: Path) -> None:
    write_client(project, "a", OVER)
    write_client(project, "b", "---\nname: B\ngrade: Z\n---\n")
    result = run(project, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "1 error, 0 warnings, 1 note in 2 files"


def test_build_strict_builds_with_a_note(project: Path) -> None:
    write_client(project, "a", OVER)
    result = run(project, "build", "--strict", "--today", "2026-12-01")
    assert result.exit_code == 0, result.stderr
    assert NOTE in result.stderr.splitlines()
    assert (project / "site" / "clients" / "a" / "index.html").is_file()


def test_build_strict_fails_on_a_warning_beside_a_note(project: Path) -> None:
    write_client(project, "a", OVER)
    write_client(project, "b", "---\nname: B\ngrade: A\nfax: '1'\n---\n")
    result = run(project, "build", "--strict", "--today", "2026-12-01")
    assert result.exit_code == 1
    assert NOTE in result.stderr.splitlines()
    assert not (project / "site").exists()


def test_the_installed_command_passes_strict_with_a_note(project: Path) -> None:
    write_client(project, "a", OVER)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(project), "check", "--strict"],
                          capture_output=True, text=True, env=env)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr.splitlines() == [NOTE, "no problems in 1 file (1 note)"]
