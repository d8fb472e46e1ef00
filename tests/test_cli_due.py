"""``crmgen due`` end to end: CliRunner with exact asserts, and the installed command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import vobject
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.cli.due import fit, render_text, width
from crmgen.rules.reminders import KINDS, due
from tests.conftest import write_client

HUADONG = """
    ---
    name: 华东润滑油
    grade: A
    stage: customer
    owner: 王磊
    contacts:
      - name: 周建国
        birthday: "--12-03"
    promises:
      - by: client
        what: 结清三季度货款
        due: 2026-11-30
        amount: 210000
    orders:
      - date: 2026-10-20
        amount: 220000
        paid: 100000
        pay_by: 2026-12-10
        items: 双十一促销组合装
    ---

    ## 2026-11-28 visit: 年底冲量方案
    Next: 2026-12-05 送样品
"""

ACME = """
    ---
    name: Acme
    grade: B
    owner: Sarah Lin
    ---

    ## 2026-11-10 call: intro
"""


@pytest.fixture
def crm(project: Path) -> Path:
    write_client(project, "huadong", HUADONG)
    write_client(project, "acme", ACME)
    return project


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), "due", *args], catch_exceptions=False)


EXPECTED_TEXT = """\
Overdue
  2026-11-24  7 days late  touch     Acme        Sarah Lin  Get in touch with Acme (last contact 2026-11-10; every 14 days)
  2026-11-30  1 day late   collect   华东润滑油  王磊       Collect / confirm with 华东润滑油: 结清三季度货款 (¥210,000), promised for 2026-11-30

This week
  2026-12-03  in 2 days    birthday  华东润滑油  王磊       Birthday of 周建国 at 华东润滑油
  2026-12-05  in 4 days    next      华东润滑油  王磊       Next step with 华东润滑油: 送样品 (from the visit on 2026-11-28)
  2026-12-05  in 4 days    touch     华东润滑油  王磊       Get in touch with 华东润滑油 (周建国) (last contact 2026-11-28; every 7 days)

Later
  2026-12-10  in 9 days    payment   华东润滑油  王磊       Payment from 华东润滑油: ¥120,000 owed on the order of 2026-10-20 (双十一促销组合装), ¥100,000 of ¥220,000 paid, due 2026-12-10

6 reminders: 2 overdue, 3 this week, 1 later
"""


def test_text_grouped_and_aligned(crm: Path):
    result = run(crm, "--today", "2026-12-01", "--within", "10")
    assert result.exit_code == 0
    assert result.stdout == EXPECTED_TEXT
    # Chinese names take two columns per character: the titles all start at the same column.
    rows = [line for line in result.stdout.splitlines() if line.startswith("  20")]
    titles = [
        r["title"]
        for r in json.loads(run(crm, "--today", "2026-12-01", "--within", "10", "--format", "json").stdout)
    ]
    assert [row.endswith(title) for row, title in zip(rows, titles, strict=True)] == [True] * 6
    assert {width(row[: -len(title)]) for row, title in zip(rows, titles, strict=True)} == {60}  # "7 days late" is the widest "when"


def test_within_owner_and_kind(crm: Path):
    got = json.loads(run(crm, "--today", "2026-12-01", "--within", "0", "--format", "json").stdout)
    assert [(r["client"], r["kind"], r["days"]) for r in got] == [
        ("acme", "touch", -7),
        ("huadong", "collect", -1),
        ("huadong", "birthday", 2),  # lead 7 beats within 0; payment (lead 7) is 9 days away
    ]
    got = json.loads(run(crm, "--today", "2026-12-01", "--owner", "sarah lin", "--format", "json").stdout)
    assert [(r["client"], r["kind"]) for r in got] == [("acme", "touch")]
    for cache in ([], ["--no-cache"]):  # a typo is an error, not "nothing due"
        typo = run(crm, "--today", "2026-12-01", "--owner", "nobody", "--format", "json", *cache)
        assert typo.exit_code == 2 and typo.stdout == ""
        assert typo.stderr == "crmgen: error: no clients with owner 'nobody' (owners: Sarah Lin, 王磊)\n"
    # a known owner with nothing in the window: nothing, and no error
    quiet = run(crm, "--today", "2026-12-01", "--within", "0", "--owner", "Sarah Lin", "--kind", "birthday",
                "--format", "json")
    assert quiet.exit_code == 0 and json.loads(quiet.stdout) == []
    got = json.loads(
        run(
            crm,
            "--today",
            "2026-12-01",
            "--within",
            "10",
            "--kind",
            "payment",
            "--kind",
            "next",
            "--format",
            "json",
        ).stdout
    )
    assert [r["kind"] for r in got] == ["next", "payment"]


def test_within_from_settings(crm: Path):
    (crm / "mkdocs.yml").write_text("site_name: x\nextra:\n  crmgen:\n    within: 0\n", encoding="utf-8")
    got = json.loads(run(crm, "--today", "2026-12-01", "--format", "json").stdout)
    assert [r["kind"] for r in got] == ["touch", "collect", "birthday"]


def test_json_exact_keys_and_values(crm: Path):
    result = run(crm, "--today", "2026-12-01", "--within", "10", "--kind", "payment", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "client": "huadong",
            "name": "华东润滑油",
            "owner": "王磊",
            "kind": "payment",
            "date": "2026-12-10",
            "days": 9,
            "lead": 7,
            "title": "Payment from 华东润滑油: ¥120,000 owed on the order of 2026-10-20 (双十一促销组合装), "
            "¥100,000 of ¥220,000 paid, due 2026-12-10",
            "amount": 120000.0,
        }
    ]
    assert "华东润滑油" in result.stdout  # not \u escaped


def test_ics_output(crm: Path):
    result = run(crm, "--today", "2026-12-01", "--within", "10", "--format", "ics")
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")
    cal = vobject.readOne(result.stdout_bytes.decode("utf-8"))
    assert [e.summary.value.split(":")[0] for e in cal.vevent_list] == [
        "Get in touch with Acme (last contact 2026-11-10; every 14 days)",
        "Collect / confirm with 华东润滑油",
        "Birthday of 周建国 at 华东润滑油",
        "Next step with 华东润滑油",
        "Get in touch with 华东润滑油 (周建国) (last contact 2026-11-28; every 7 days)",
        "Payment from 华东润滑油",
    ]
    # The next day, same files: the same events keep their UIDs.
    later = run(crm, "--today", "2026-12-02", "--within", "10", "--format", "ics").stdout_bytes
    uids = {e.uid.value for e in cal.vevent_list}
    assert {e.uid.value for e in vobject.readOne(later.decode()).vevent_list} == uids


def test_fail_on_overdue(crm: Path):
    assert run(crm, "--today", "2026-12-01", "--fail-on-overdue").exit_code == 3
    assert (
        run(
            crm, "--today", "2026-12-01", "--within", "10", "--fail-on-overdue", "--kind", "payment"
        ).exit_code
        == 0
    )
    assert run(crm, "--today", "2026-12-01", "--kind", "touch").exit_code == 0


def test_nothing_due(project: Path):
    result = run(project, "--today", "2026-12-01", "--within", "3")
    assert (result.exit_code, result.stdout) == (0, "Nothing due in the next 3 days.\n")
    assert run(project, "--today", "2026-12-01", "--format", "json").stdout == "[]\n"


def test_invalid_files_exit_1_with_problems(crm: Path):
    write_client(crm, "broken", "---\nname: Broken\ngrade: Z\n---\n")
    result = run(crm, "--today", "2026-12-01", "--format", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "clients/broken.md:3:8: error: grade: 'Z' is not one of A, B, C, D, E, F [bad-choice]\n"
    )
    assert result.stderr.endswith("1 error, 0 warnings in 3 files\n")


def test_keep_going_lists_the_valid_files_reminders_and_names_the_broken(crm: Path):
    write_client(crm, "broken", "---\nname: Broken\ngrade: Z\n---\n")
    write_client(crm, "gbk", "", raw="---\nname: 杭州\ngrade: B\n---\n".encode("gbk"))
    result = run(crm, "--today", "2026-12-01", "--within", "10", "--keep-going")
    assert result.exit_code == 1
    assert result.stdout == EXPECTED_TEXT  # the same list as without the broken files
    lines = result.stderr.splitlines()
    assert lines[0].startswith("clients/broken.md:3:8: error: grade: 'Z' is not one of")
    assert lines[1].startswith("clients/gbk.md:2:7: error: file is not valid UTF-8") and "GBK" in lines[1]
    assert lines[-2:] == ["2 errors, 0 warnings in 4 files",
                          "crmgen: 2 files with errors left out: clients/broken.md, clients/gbk.md"]
    as_json = run(crm, "--today", "2026-12-01", "--within", "10", "--keep-going", "--format", "json")
    assert as_json.exit_code == 1
    assert {r["client"] for r in json.loads(as_json.stdout)} == {"huadong", "acme"}
    # the files fixed, no error: exit 0 and nothing on stderr, as without --keep-going
    (crm / "clients" / "broken.md").unlink()
    (crm / "clients" / "gbk.md").unlink()
    fine = run(crm, "--today", "2026-12-01", "--within", "10", "--keep-going")
    assert (fine.exit_code, fine.stdout, fine.stderr) == (0, EXPECTED_TEXT, "")


def test_keep_going_does_not_hide_a_valid_book_s_overdue_exit(crm: Path):
    assert run(crm, "--today", "2026-12-01", "--keep-going", "--fail-on-overdue").exit_code == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "tuch"], "Invalid value for '--kind'"),
        (["--today", "2026-13-01"], "Invalid value for '--today'"),
        (["--within", "-1"], "Invalid value for '--within'"),
        (["--format", "csv"], "Invalid value for '--format'"),
    ],
)
def test_usage_errors_exit_2(crm: Path, args, message):
    result = run(crm, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_touch_uses_the_day_the_file_was_added_to_git(project: Path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    write_client(project, "new-lead", "---\nname: New Lead\ngrade: A\n---\n")
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@x",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@x",
        "GIT_AUTHOR_DATE": "2026-11-20T10:00:00+08:00",
        "GIT_COMMITTER_DATE": "2026-11-20T10:00:00+08:00",
    }
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "add"]):
        subprocess.run(["git", *cmd], cwd=project, env=env, check=True, capture_output=True)
    got = json.loads(run(project, "--today", "2026-12-01", "--format", "json").stdout)
    assert [(r["kind"], r["date"], r["title"]) for r in got] == [
        (
            "touch",
            "2026-11-27",
            "Get in touch with New Lead (added 2026-11-20, no contact logged; every 7 days)",
        )
    ]


def test_text_colour_only_when_asked():
    from crmgen.format.model import Client
    from crmgen.load.project import Settings

    rs = due(
        [Client(slug="a", path="clients/a.md", name="A", grade="A")],
        __import__("datetime").date(2026, 1, 1),
        Settings(),
    )
    plain = render_text(rs, 7)
    assert not any("\x1b[" in line for line in plain)
    coloured = render_text(rs, 7, colour=True)
    assert coloured[0] == "\x1b[32m\x1b[1mThis week\x1b[0m"


def test_width_and_fit():
    assert width("Acme") == 4
    assert width("华东润滑油") == 10
    assert width("ｅ") == 2  # full-width Latin
    assert width("e\u0301") == 1  # combining accent takes no column
    assert fit("华东润滑油", 12) == "华东润滑油  "
    assert fit("华东润滑油", 7) == "华东润…"
    assert fit("华东润滑油", 6) == "华东… "
    assert width(fit("华东润滑油", 6)) == 6


def test_every_kind_on_the_sample_clients(tmp_path: Path):
    """The issue's acceptance check: `crmgen due --today 2026-12-01 --within 30` shows every kind."""
    repo = Path(__file__).resolve().parent.parent
    if not any((repo / "clients").glob("*.md")):
        pytest.skip("no sample clients")
    root = repo
    if not (repo / "mkdocs.yml").exists():  # until the project's mkdocs.yml lands
        root = tmp_path
        (root / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
        shutil.copytree(repo / "clients", root / "clients")
    result = run(root, "--today", "2026-12-01", "--within", "30", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert {r["kind"] for r in json.loads(result.stdout)} == set(KINDS)


def test_installed_command_runs_as_a_process(crm: Path):
    exe = shutil.which("crmgen")
    cmd = [exe] if exe else [sys.executable, "-m", "crmgen"]
    done = subprocess.run(
        [*cmd, "due", "--today", "2026-12-01", "--within", "10", "--fail-on-overdue", "--format", "json"],
        cwd=crm,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr == b""
    assert [r["kind"] for r in json.loads(done.stdout.decode("utf-8"))] == [
        "touch",
        "collect",
        "birthday",
        "next",
        "touch",
        "payment",
    ]
