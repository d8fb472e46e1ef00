"""``crmgen log``, ``promise``, ``kept``, ``broken``, ``grade`` as people run them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.load.book import read_client_file
from tests.conftest import write_client

ACME = """\
---
name: Acme Trading   # since 2019
grade: B
promises:
  - by: us
    what: samples
    due: 2026-11-01
---

Notes.
"""

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def run(root: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["-C", str(root), *args], input=input)


@pytest.fixture
def acme(project: Path) -> Path:
    return write_client(project, "acme", ACME)


def client(path: Path):
    c, problems = read_client_file(path, f"clients/{path.name}")
    assert c is not None, problems
    return c


def test_log_with_type_next_and_body(project: Path, acme: Path) -> None:
    result = run(project, "log", "acme", "visit", "reviewed", "the contract", "--date", "2026-11-02",
                 "--next", "2026-12-01", "send samples", "--body", "They liked the price.")
    assert result.exit_code == 0, result.output
    assert result.stdout == "logged visit 2026-11-02: clients/acme.md\n"
    assert acme.read_text() == ACME + (
        "\n## 2026-11-02 visit: reviewed the contract\n\nThey liked the price.\n\nNext: 2026-12-01 send samples\n"
    )
    last = client(acme).interactions[-1]
    assert (last.type, last.summary, last.next_what) == ("visit", "reviewed the contract", "send samples")


def test_log_without_type_is_a_note_and_body_from_stdin(project: Path, acme: Path) -> None:
    result = run(project, "log", "acme", "called back, no answer", "--date", "2026-11-03", "--body", "-",
                 input="line one\nline two\n")
    assert result.exit_code == 0, result.output
    assert acme.read_text().endswith("## 2026-11-03 note: called back, no answer\n\nline one\nline two\n")


def test_log_date_defaults_to_today(project: Path, acme: Path) -> None:
    import datetime as dt

    assert run(project, "log", "acme", "call", "x").exit_code == 0
    assert client(acme).interactions[-1].date == dt.date.today()


def test_log_usage_errors(project: Path, acme: Path) -> None:
    result = run(project, "log", "acme", "visit")
    assert result.exit_code == 2
    assert 'give a summary after the type, e.g. crmgen log acme visit "what happened"' in result.stderr
    result = run(project, "log", "acme", "x", "--date", "2026-02-30")
    assert result.exit_code == 2
    assert "'2026-02-30' is not a date; write YYYY-MM-DD (2026-11-02), today, tomorrow" in result.stderr
    assert acme.read_text() == ACME


def test_unknown_client_suggests_a_slug(project: Path, acme: Path) -> None:
    result = run(project, "log", "acmee", "call", "x")
    assert result.exit_code == 1
    assert result.stderr == ("crmgen: error: no client 'acmee' (there is no clients/acmee.md, and it is not a "
                             "client's name, the start or part of one, or its pinyin initials); did you mean acme?\n")


def test_a_client_is_found_by_name_prefix_part_or_initials(project: Path, acme: Path) -> None:
    hy = write_client(project, "hangzhou-hongyun-wujin", "---\nname: 杭州鸿运五金有限公司\ngrade: C\n---\n")
    for query in ("杭州鸿运五金有限公司", "杭州", "鸿运", "hzhy", "Acme Trading", "acm"):
        result = run(project, "log", query, "call", f"asked for {query}", "--date", "2026-11-02")
        assert result.exit_code == 0, result.output
    assert hy.read_text().count("## 2026-11-02 call: asked for") == 4
    assert acme.read_text().count("## 2026-11-02 call: asked for") == 2


def test_a_name_that_fits_several_clients_lists_them_and_exits_2(project: Path, acme: Path) -> None:
    write_client(project, "acme-east", "---\nname: Acme East\ngrade: C\n---\n")
    before = acme.read_bytes()
    result = run(project, "grade", "Acm", "A")
    assert result.exit_code == 2
    assert result.stderr == ("crmgen: error: 'Acm' starts the slug or name of 2 clients: acme (Acme Trading); "
                             "acme-east (Acme East); give the slug of one\n")
    assert acme.read_bytes() == before


def test_a_broken_file_is_not_edited(project: Path) -> None:
    path = write_client(project, "bad", "---\nname: Bad\ngrade: Z\n---\n")
    before = path.read_bytes()
    result = run(project, "log", "bad", "call", "x")
    assert result.exit_code == 1
    assert result.stderr.startswith("crmgen: error: clients/bad.md has errors, so crmgen will not edit it")
    assert "clients/bad.md:3:8: error: grade: 'Z' is not one of A, B, C, D, E, F [bad-choice]" in result.stderr
    assert path.read_bytes() == before


def test_promise_then_kept_and_broken(project: Path, acme: Path) -> None:
    result = run(project, "promise", "acme", "--by", "client", "pay", "Q4:", "invoice", "--due", "2026-12-31",
                 "--amount", "210000")
    assert result.exit_code == 0, result.output
    assert result.stdout == "added a promise by client due 2026-12-31: clients/acme.md\n"
    today = dt.date.today().isoformat()  # a promise recorded now was agreed today
    assert ('  - by: client\n    what: "pay Q4: invoice"\n    due: 2026-12-31\n    amount: 210000\n'
            f"    agreed: {today}\n---") in acme.read_text()
    result = run(project, "kept", "acme", "2", "--date", "2026-12-30")
    assert result.exit_code == 0, result.output
    assert result.stdout == "marked promise #2 kept on 2026-12-30: clients/acme.md\n"
    result = run(project, "broken", "acme", "1", "--date", "2026-11-02")
    assert result.exit_code == 0, result.output
    promises = client(acme).promises
    assert promises[0].broken.isoformat() == "2026-11-02" and promises[1].kept.isoformat() == "2026-12-30"


def test_kept_errors(project: Path, acme: Path) -> None:
    result = run(project, "kept", "acme", "5")
    assert result.exit_code == 1
    assert "there is no promise #5: promises are numbered 1 to 1" in result.stderr
    assert run(project, "kept", "acme", "0").exit_code == 2
    assert run(project, "kept", "acme", "1", "--date", "2026-11-01").exit_code == 0
    result = run(project, "broken", "acme", "1")
    assert result.exit_code == 1
    assert result.stderr == (
        "crmgen: error: promise #1 is already marked kept (2026-11-01); edit the file by hand to change it\n"
    )


def test_promise_needs_by_and_due(project: Path, acme: Path) -> None:
    assert run(project, "promise", "acme", "x", "--due", "2026-12-01").exit_code == 2
    assert run(project, "promise", "acme", "--by", "them", "x", "--due", "2026-12-01").exit_code == 2
    assert run(project, "promise", "acme", "--by", "us", "x").exit_code == 2
    assert run(project, "promise", "acme", "--by", "us", "x", "--due", "2026-12-01", "--amount", "-3").exit_code == 2
    assert acme.read_text() == ACME


def test_grade(project: Path, acme: Path) -> None:
    result = run(project, "grade", "acme", "a")
    assert result.exit_code == 0, result.output
    assert result.stdout == "grade B -> A: clients/acme.md\n"
    assert acme.read_text() == ACME.replace("grade: B", "grade: A")
    result = run(project, "grade", "acme", "A")
    assert result.stdout == "clients/acme.md: grade is already A; nothing changed\n"
    result = run(project, "grade", "acme", "G")
    assert result.exit_code == 2
    assert "'G' is not a grade; use one of A B C D E F" in result.stderr


def test_bom_and_crlf_survive_every_command(project: Path) -> None:
    data = b"\xef\xbb\xbf" + ACME.replace("\n", "\r\n").encode()
    path = write_client(project, "acme", "", raw=data)
    for args in (["log", "acme", "call", "x", "--date", "2026-11-02"],
                 ["promise", "acme", "--by", "us", "y", "--due", "2026-12-01"],
                 ["kept", "acme", "1", "--date", "2026-11-01"],
                 ["grade", "acme", "C"]):
        assert run(project, *args).exit_code == 0
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf---\r\nname: Acme Trading   # since 2019\r\ngrade: C\r\n")
    assert after.count(b"\n") == after.count(b"\r\n")


# -- --commit -------------------------------------------------------------------------------

@pytest.fixture
def repo(project: Path, acme: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var, value in {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
                       "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}.items():
        monkeypatch.setenv(var, value)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "start")
    return project


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


@needs_git
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["log", "acme", "visit", "x", "--date", "2026-11-02"], "log: visit acme 2026-11-02"),
        (["promise", "acme", "--by", "us", "y", "--due", "2026-12-01"], "promise: us acme 2026-12-01"),
        (["kept", "acme", "1", "--date", "2026-11-01"], "kept: acme #1"),
        (["broken", "acme", "1"], "broken: acme #1"),
        (["grade", "acme", "A"], "grade: acme B -> A"),
        (["order", "acme", "5万", "--date", "2026-11-02"], "order: acme 2026-11-02 ¥50,000"),
    ],
)
def test_commit_records_exactly_the_file(repo: Path, args: list[str], message: str) -> None:
    (repo / "other.txt").write_text("staged but not part of this commit\n")
    git(repo, "add", "other.txt")
    result = run(repo, *args, "--commit")
    assert result.exit_code == 0, result.output
    sha = git(repo, "rev-parse", "--short", "HEAD").strip()
    assert result.stdout.endswith(f"committed {sha}: {message}\n")
    assert git(repo, "log", "-1", "--format=%s").strip() == message
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["clients/acme.md"]
    assert git(repo, "status", "--porcelain").splitlines() == ["A  other.txt"]


@needs_git
def test_commit_outside_a_repository_fails_before_writing(project: Path, acme: Path) -> None:
    env_dir = project  # tmp_path is not inside a git repository
    result = run(env_dir, "grade", "acme", "A", "--commit")
    assert result.exit_code == 1
    assert result.stderr == (
        f"crmgen: error: --commit: {project} is not in a git repository; run 'git init' there first, "
        "or drop --commit\n"
    )
    assert acme.read_text() == ACME


def test_commit_without_git_installed(project: Path, acme: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crmgen.gitops.shutil.which", lambda name: None)
    result = run(project, "log", "acme", "x", "--commit")
    assert result.exit_code == 1
    assert "--commit needs git, which is not installed" in result.stderr
    assert acme.read_text() == ACME


def test_help_documents_the_promise_number(project: Path) -> None:
    result = run(project, "kept", "--help")
    assert "numbered from 1 in the order they" in result.stdout
    for command in ("log", "promise", "kept", "broken", "grade"):
        assert run(project, command, "--help").exit_code == 0


def test_real_process(project: Path, acme: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "crmgen", "-C", str(project), "log", "acme", "meeting", "年底 冲量",
         "--date", "2026-11-20"],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "logged meeting 2026-11-20: clients/acme.md\n"
    assert acme.read_text(encoding="utf-8").endswith("\n## 2026-11-20 meeting: 年底 冲量\n")
    proc = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(project), "kept", "acme", "7"],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.startswith("crmgen: error: there is no promise #7") and "Traceback" not in proc.stderr


def test_a_symlink_out_of_the_project_is_not_edited(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.md"
    outside.write_text(ACME)
    (project / "clients" / "acme.md").symlink_to(outside)
    result = run(project, "grade", "acme", "A")
    assert result.exit_code == 1
    assert "symlink points outside the project" in result.stderr
    assert outside.read_text() == ACME


@pytest.mark.slow
def test_writers_in_parallel_never_lose_an_update(project: Path, acme: Path) -> None:
    """Several crmgen processes log to one file at once: each entry is either written or refused."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "crmgen", "-C", str(project), "log", "acme", "call", f"writer {n}",
             "--date", "2026-11-02"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env,
        )
        for n in range(6)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    final = acme.read_text()
    for n, (code, err) in enumerate(outcomes):
        heading = f"## 2026-11-02 call: writer {n}\n"
        if code == 0:
            assert heading in final, f"writer {n} succeeded but its entry was lost"
        else:
            assert code == 1 and "changed by someone else" in err, err
            assert heading not in final
    assert final.startswith(ACME)
    assert client(acme)  # still valid
    assert [p.name for p in acme.parent.iterdir()] == ["acme.md"]


def test_an_edit_sweeps_temp_files_of_a_killed_writer(project: Path, acme: Path) -> None:
    dead = project / "clients" / ".acme.md.999999999.dead.crmgen-tmp"  # no such pid
    dead.write_bytes(b"half a file")
    assert run(project, "grade", "acme", "A").exit_code == 0
    assert sorted(p.name for p in (project / "clients").iterdir()) == ["acme.md"]


# -- order, paid, promise --order ------------------------------------------------------------

def test_order_paid_and_a_promise_about_the_order(project: Path, acme: Path) -> None:
    result = run(project, "order", "acme", "¥86,000", "L-HM46", "液压油", "--date", "2026-09-01", "--terms", "月结45天",
                 "--delivered", "2026-09-05")
    assert result.exit_code == 0, result.output
    assert result.stdout == "added order 2026-09-01 of ¥86,000 on 2026-09-01: clients/acme.md\n"
    result = run(project, "order", "acme", "1.2万", "--date", "2026-10-20", "--id", "Q4-1")
    assert result.stdout == "added order Q4-1 of ¥12,000 on 2026-10-20: clients/acme.md\n"
    orders = client(acme).orders
    assert [(o.id, o.amount, o.items) for o in orders] == [("2026-09-01", 86000, "L-HM46 液压油"), ("Q4-1", 12000, None)]
    assert orders[0].due_on() == dt.date(2026, 9, 30) + dt.timedelta(days=45)  # 月结45天: delivery month end + 45

    result = run(project, "paid", "acme", "40,000", "--order", "2026-09-01", "--date", "2026-10-01", "--note", "转账")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("recorded ¥40,000 paid 2026-10-01 for order #1 (it owes ¥46,000): clients/acme.md\n")
    result = run(project, "paid", "acme", "1万")
    assert result.exit_code == 2
    assert result.stderr.startswith("crmgen: error: 2 orders owe money (#1 of 2026-09-01, ¥86,000 (id 2026-09-01), "
                                    "owes ¥46,000; #2 of 2026-10-20, ¥12,000 (id Q4-1), owes ¥12,000); say which")
    result = run(project, "paid", "acme", "12,000", "--order", "2", "--date", "2026-11-30")
    assert result.stdout == "recorded ¥12,000 paid 2026-11-30 for order #2 (paid in full): clients/acme.md\n"
    result = run(project, "paid", "acme", "46,000.01")  # the one order that still owes money
    assert result.exit_code == 1
    assert "the payment of ¥46,000.01 is more than it owes" in result.stderr

    result = run(project, "promise", "acme", "--by", "client", "付清余款", "--due", "2026-12-21", "--order", "1",
                 "--agreed", "2026-12-07")
    assert result.exit_code == 0, result.output
    assert result.stdout == "added a promise by client due 2026-12-21 for order 2026-09-01: clients/acme.md\n"
    c = client(acme)
    assert (c.promises[-1].order, c.promises[-1].agreed, c.promises[-1].amount) == ("2026-09-01", dt.date(2026, 12, 7), None)
    assert [p.amount for p in c.orders[0].payments] == [40000] and c.orders[1].paid == 12000
    result = run(project, "check", "--strict")
    assert result.exit_code == 0, result.output


def test_relative_dates_and_chinese_amounts(project: Path, acme: Path) -> None:
    today = dt.date.today()
    result = run(project, "promise", "acme", "--by", "client", "pay", "--due", "+2w", "--amount", "5万")
    assert result.exit_code == 0, result.output
    last = client(acme).promises[-1]
    assert (last.due, last.amount, last.agreed) == (today + dt.timedelta(days=14), 50000, today)
    result = run(project, "log", "acme", "call", "x", "--date", "yesterday", "--next", "tomorrow", "call back")
    assert result.exit_code == 0, result.output
    step = client(acme).interactions[-1]
    assert (step.date, step.next_date) == (today - dt.timedelta(days=1), today + dt.timedelta(days=1))


@pytest.mark.parametrize(("args", "message"), [
    (["order", "acme", "5,00"], "Invalid value for 'AMOUNT': '5,00' is not an amount; write it as 50000, 50,000, ¥50,000 or 5万"),
    (["order", "acme", "-5"], "No such option '-5'"),
    (["order", "acme", "0"], "Invalid value for AMOUNT: an order's amount must be more than 0"),
    (["order", "acme", "5", "--terms", "soon"], "Invalid value for --terms: 'soon' are not payment terms"),
    (["order", "acme", "5", "--date", "next week"], "Invalid value for '--date': 'next week' is not a date"),
    (["paid", "acme", "5"], "crmgen: error: this client has no orders yet; record one with 'crmgen order'"),
    (["promise", "acme", "--by", "us", "x", "--due", "+1w", "--amount", "1e5"], "'1e5' is not an amount"),
    (["promise", "acme", "--by", "us", "x", "--due", "+1w", "--order", "1"], "this client has no orders yet"),
])
def test_order_and_paid_refusals_change_nothing(project: Path, acme: Path, args: list[str], message: str) -> None:
    before = acme.read_bytes()
    result = run(project, *args)
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert acme.read_bytes() == before
