"""``crmgen check`` as people and scripts run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from crmgen.cli import main
from tests.conftest import write_client


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted((root / "clients").rglob("*")) if p.is_file()}


def test_clean_project_exits_0(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\n---\n")
    result = run(project, "check")
    assert result.exit_code == 0
    assert result.stderr == "no problems in 1 file\n"
    assert result.stdout == ""


def test_errors_are_gcc_lines_sorted_then_summary(project: Path) -> None:
    write_client(project, "b", "---\nname: B\ngrade: Z\n---\n")
    write_client(project, "a", "---\nname: A\ngrade: A\nphone: 0571\nfax: '1'\n---\n")
    before = snapshot(project)
    result = run(project, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'clients/a.md:4:8: error: phone: YAML reads 0571 as the number 377: the leading zero is lost; '
        'quote it: phone: "0571" [yaml-trap]',
        "clients/a.md:5:1: warning: unknown key 'fax'; known keys: name, grade, "
        "stage, owner, tags, phone, email, address, region, website, industry, notes, since, cadence, referred_by, "
        "source, blocked_until, win_back, credit_limit, terms, contacts, dates, promises, orders, complaints, opportunities, services, rebate, rebates, extra; put your own fields "
        "under 'extra:' [unknown-key]",
        "clients/b.md:3:8: error: grade: 'Z' is not one of A, B, C, D, E, F [bad-choice]",
        "2 errors, 1 warning in 2 files",
    ]
    assert snapshot(project) == before  # check never writes


def test_warnings_pass_unless_strict(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\nfax: '1'\n---\n")
    assert run(project, "check").exit_code == 0
    assert run(project, "check", "--strict").exit_code == 1


def test_json_format(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: Z\n---\n")
    result = run(project, "check", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{
        "path": "clients/a.md", "line": 3, "col": 8, "severity": "error", "code": "bad-choice",
        "message": "grade: 'Z' is not one of A, B, C, D, E, F",
    }]


def test_github_format(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: Z\n---\n")
    result = run(project, "check", "--format", "github")
    assert result.stdout == (
        "::error file=clients/a.md,line=3,col=8,title=crmgen bad-choice::"
        "grade: 'Z' is not one of A, B, C, D, E, F [bad-choice]\n"
    )


def test_usage_error_exits_2(project: Path) -> None:
    assert run(project, "check", "--format", "xml").exit_code == 2
    result = CliRunner().invoke(main, ["-C", str(project / "nowhere"), "check"])
    assert (result.exit_code, result.stderr) == (2, f"crmgen: error: -C {project / 'nowhere'}: no such directory\n")
    result = CliRunner().invoke(main, ["-C", str(project / "clients"), "check"])
    assert result.exit_code == 0  # walks up to the project's mkdocs.yml
    (project / "mkdocs.yml").unlink()
    result = CliRunner().invoke(main, ["-C", str(project), "check"])
    assert result.exit_code == 2 and "no mkdocs.yml found" in result.stderr


def test_check_named_files(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\n---\n")
    write_client(project, "b", "---\nname: B\ngrade: Z\n---\n")
    assert run(project, "check", str(project / "clients" / "a.md")).exit_code == 0
    assert run(project, "check", str(project / "clients" / "b.md")).exit_code == 1


def test_installed_command_runs_as_a_process(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\nsince: 2026-02-30\n---\n")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "crmgen", "check"], cwd=project / "clients",
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "clients/a.md:4:8: error: since: 2026-02-30 is not a real date" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_schema_command_lists_every_key() -> None:
    from crmgen.format.schema import CLIENT

    result = CliRunner().invoke(main, ["schema"])
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) == set(CLIENT)
    assert schema["required"] == ["name", "grade"]
    assert schema["properties"]["promises"]["items"]["properties"]["by"]["enum"] == ["us", "client"]


def test_committed_schema_file_is_up_to_date() -> None:
    """crmgen/docs/client.schema.json is generated: refresh with `crmgen schema -o crmgen/docs/client.schema.json`."""
    from crmgen.format.schema import json_schema

    committed = Path(__file__).resolve().parent.parent / "crmgen" / "docs" / "client.schema.json"
    assert json.loads(committed.read_text(encoding="utf-8")) == json_schema()


def test_every_command_is_registered_lazily_and_has_help() -> None:
    import importlib
    import pkgutil

    import crmgen.cli
    from crmgen.cli.app import LAZY_COMMANDS

    for info in pkgutil.iter_modules(crmgen.cli.__path__):
        importlib.import_module(f"crmgen.cli.{info.name}")
    assert set(main.commands) == set(LAZY_COMMANDS)  # a new command must be listed there
    for name, command in main.commands.items():
        assert LAZY_COMMANDS[name] == command.callback.__module__.rsplit(".", 1)[-1]
        assert command.help, f"crmgen {name} has no --help text"
    listing = CliRunner().invoke(main, ["--help"]).stdout
    assert all(f"  {name} " in listing for name in LAZY_COMMANDS)


def test_check_without_cache_builds_no_client(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\nphone: '021 5555 0101'\n---\n\n## 2026-11-02 call: hi\n")
    write_client(project, "b", "---\nname: B\ngrade: B\nphone: '021-5555-0101'\nreferred_by: c\n---\n")
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "crmgen", "-C", str(project), "check",
                           "--no-cache"], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "clients/b.md:5:14: error: referred_by: no client 'c'" in proc.stderr
    assert "clients/a.md:4:8: warning: possible duplicate: same phone as clients/b.md" in proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert "crmgen.format.validation" in imported and "crmgen.format.model" not in imported
