"""The team workflow: CI files, pre-commit hook, merging two branches that logged visits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.teams import ci_file
from tests.conftest import REPO, write_client

GIT_ENV = {
    "GIT_AUTHOR_NAME": "王磊", "GIT_AUTHOR_EMAIL": "wang@example.com",
    "GIT_COMMITTER_NAME": "王磊", "GIT_COMMITTER_EMAIL": "wang@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=check,
                          capture_output=True, text=True)


def crmgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), *args], env={**os.environ, **GIT_ENV},
                          capture_output=True, text=True)


@pytest.mark.parametrize("platform,schema", [("github", "vendor.github-workflows"), ("gitlab", "vendor.gitlab-ci")])
def test_ci_files_validate_against_the_platform_schema(tmp_path: Path, platform: str, schema: str) -> None:
    rel, text = ci_file(platform, "crmgen==0.1.0")
    path = tmp_path / Path(rel).name
    path.write_text(text, encoding="utf-8")
    yaml.safe_load(text)
    checker = shutil.which("check-jsonschema") or pytest.fail("check-jsonschema missing: pip install -e '.[test]'")
    proc = subprocess.run([checker, "--builtin-schema", schema, str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_github_workflow_steps_run_locally(project: Path) -> None:
    """Run the check job's own shell steps (all but the install) in a real project."""
    write_client(project, "a", "---\nname: A\ngrade: A\n---\n")
    workflow = yaml.safe_load(ci_file("github")[1])
    steps = [s["run"] for s in workflow["jobs"]["check"]["steps"] if "run" in s and "pip install" not in s["run"]]
    assert steps == ["crmgen check --strict --format github", "crmgen build --strict -d site"]
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    first = subprocess.run(steps[0], shell=True, cwd=project, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    write_client(project, "b", "---\nname: B\ngrade: Q\n---\n")
    failing = subprocess.run(steps[0], shell=True, cwd=project, env=env, capture_output=True, text=True)
    assert failing.returncode == 1
    assert failing.stdout.startswith("::error file=clients/b.md,line=3,col=8,")


def test_ci_command_writes_files_and_gitattributes(project: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(project), "ci", "github"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "wrote .github/workflows/crm.yml\nwrote .gitattributes\n"
    assert (project / ".gitattributes").read_text(encoding="utf-8") == "clients/*.md merge=union\n"
    again = CliRunner().invoke(main, ["-C", str(project), "ci", "github"])
    assert again.exit_code == 2 and "--force" in again.stderr
    assert CliRunner().invoke(main, ["-C", str(project), "ci", "github", "--force"]).stdout == \
        "wrote .github/workflows/crm.yml\n"


def test_pre_commit_hook_definition_runs_on_staged_paths(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "crmgen-check" and hook["pass_filenames"] is True
    import re

    assert re.search(hook["files"], "crm/clients/acme.md") and not re.search(hook["files"], "README.md")
    # pre-commit runs the entry from the repository root with the staged paths appended
    project = tmp_path / "crm"
    write_client(project, "good", "---\nname: G\ngrade: A\n---\n")
    write_client(project, "bad", "---\nname: B\ngrade: A\nreferred_by: good\nphone: 0571\n---\n")
    (project / "mkdocs.yml").write_text("site_name: t\n", encoding="utf-8")
    entry = hook["entry"].split()
    bindir = Path(sys.executable).parent
    ok = subprocess.run([str(bindir / entry[0]), *entry[1:], "crm/clients/good.md"], cwd=tmp_path,
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([str(bindir / entry[0]), *entry[1:], "crm/clients/bad.md"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "clients/bad.md:5:8: error: phone" in bad.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
@pytest.mark.parametrize("union", [True, False])
def test_two_branches_logging_visits_merge_cleanly(project: Path, union: bool) -> None:
    write_client(project, "acme", """\
        ---
        name: Acme
        grade: B
        owner: 王磊
        ---

        ## 2026-11-01 call: first contact
        """)
    if union:
        assert crmgen(project, "ci", "github").returncode == 0
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "start")
    git(project, "checkout", "-qb", "wang")
    assert crmgen(project, "log", "acme", "visit", "reviewed delivery", "--date", "2026-11-05",
                  "--next", "2026-11-20", "send quote", "--commit").returncode == 0
    git(project, "checkout", "-q", "main")
    git(project, "checkout", "-qb", "li")
    assert crmgen(project, "log", "acme", "call", "payment follow-up", "--date", "2026-11-06",
                  "--commit").returncode == 0
    assert crmgen(project, "grade", "acme", "A", "--commit").returncode == 0
    git(project, "checkout", "-q", "wang")
    merged = git(project, "merge", "-q", "li", "-m", "merge li", check=False)
    if not union:
        # without the union driver both appends touch the end of the file: a conflict
        assert merged.returncode != 0
        return
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = (project / "clients" / "acme.md").read_text(encoding="utf-8")
    assert "<<<<<<<" not in text
    assert "## 2026-11-05 visit: reviewed delivery" in text and "## 2026-11-06 call: payment follow-up" in text
    assert "grade: A" in text
    check = crmgen(project, "check", "--strict")
    assert check.returncode == 0, check.stderr
    due = crmgen(project, "due", "--today", "2026-11-21", "--format", "json")
    assert '"kind": "next"' in due.stdout  # the Next: of wang's visit survived the merge


@pytest.mark.parametrize("platform,path", [("github", ".github/workflows/crm.yml"), ("gitlab", ".gitlab-ci.yml")])
def test_init_with_ci(tmp_path: Path, platform: str, path: str) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "crm"), "--ci", platform])
    assert result.exit_code == 0, result.output
    assert f"  {path}\n" in result.stdout and "  .gitattributes\n" in result.stdout
    assert (tmp_path / "crm" / path).read_text(encoding="utf-8") == ci_file(platform)[1]
    assert "clients/*.md merge=union" in (tmp_path / "crm" / ".gitattributes").read_text(encoding="utf-8")
