"""``crmgen init`` and ``crmgen new``: projects and client files that work at once."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.format.errors import CrmgenError
from crmgen.load.book import load_book, read_client_file
from crmgen.load.project import load_project
from crmgen.rules.reminders import due
from crmgen.scaffold import init_project, new_client
from tests.conftest import REPO, write_client

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
FILES = [".gitattributes", ".gitignore", "clients/lanhai-maoyi.md", "mkdocs.yml", "templates/README.md",
         "templates/new-client.md.j2"]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    root = tmp_path / "crm"
    result = run("init", str(root))
    assert result.exit_code == 0, result.output
    return root


# -- init ---------------------------------------------------------------------------------

def test_init_makes_the_project(fresh: Path) -> None:
    made = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*")
                  if p.is_file() and ".git/" not in p.relative_to(fresh).as_posix() + "/"
                  and not p.relative_to(fresh).as_posix().startswith(".git/"))
    assert made == FILES
    ignored = (fresh / ".gitignore").read_text().splitlines()
    assert "site/" in ignored and ".crmgen/" in ignored
    config = yaml.safe_load((fresh / "mkdocs.yml").read_text())
    assert config["theme"] == {"name": "material", "font": False, "language": "en"}
    assert "crmgen" in config["extra"]
    assert "# Team settings for crmgen." in (fresh / "mkdocs.yml").read_text()
    readme = (fresh / "templates" / "README.md").read_text()
    assert "### `new-client.md.j2`" in readme and "{{ name | yaml }}" in readme
    load_project(fresh)  # the settings block is valid


def test_init_output(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "crm"))
    lines = result.stdout.splitlines()
    assert lines[0] == f"created a crmgen project in {tmp_path / 'crm'}:"
    assert [line.strip() for line in lines[1:1 + len(FILES)]] == FILES
    assert lines[-1] == f"next: cd {tmp_path / 'crm'} && crmgen check && crmgen due && crmgen build"


@needs_git
def test_init_makes_a_git_repository(fresh: Path) -> None:
    assert (fresh / ".git").is_dir()
    status = subprocess.run(["git", "-C", str(fresh), "status", "--porcelain", "--ignored"],
                            capture_output=True, text=True, check=True).stdout
    assert "clients/" in status


def test_init_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crmgen.scaffold.shutil.which", lambda name: None)
    result = run("init", str(tmp_path / "crm"))
    assert result.exit_code == 0
    assert "(no git repository: git is not installed)" in result.stdout
    assert not (tmp_path / "crm" / ".git").exists()


def test_init_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = run("init", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"crmgen: error: {tmp_path} is not empty; crmgen init only fills a new or empty directory "
        "(choose another name, or empty it first)\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_init_accepts_an_existing_empty_directory(tmp_path: Path) -> None:
    assert run("init", str(tmp_path)).exit_code == 0
    assert (tmp_path / "mkdocs.yml").is_file()


def test_check_is_clean_in_a_new_project(fresh: Path) -> None:
    result = run("-C", str(fresh), "check", "--strict")
    assert result.exit_code == 0, result.output
    assert result.stderr == "no problems in 1 file\n"


@pytest.mark.parametrize("today", [dt.date(2027, 12, 25), dt.date(2028, 2, 19), dt.date(2026, 11, 23)])
def test_the_example_client_is_valid_and_has_reminders_any_day(tmp_path: Path, today: dt.date) -> None:
    init_project(tmp_path / "crm", today, git=False)
    project = load_project(tmp_path / "crm")
    book = load_book(project)
    assert book.problems == [] and len(book.clients) == 1
    reminders = due(book.clients, today, project.settings)
    kinds = {r.kind for r in reminders}
    assert {"promise", "next", "payment"} <= kinds


def test_due_works_in_a_new_project(fresh: Path) -> None:
    result = run("-C", str(fresh), "due")
    assert result.exit_code == 0, result.output
    assert "蓝海贸易有限公司" in result.stdout


@pytest.mark.slow
def test_build_works_in_a_new_project(fresh: Path) -> None:
    if importlib.util.find_spec("crmgen.cli.build") is None:
        pytest.skip("crmgen build is not written yet")
    result = run("-C", str(fresh), "build")
    assert result.exit_code == 0, result.output
    assert (fresh / "site" / "index.html").is_file()


# -- new ----------------------------------------------------------------------------------

def test_new_makes_a_pinyin_slug(fresh: Path) -> None:
    result = run("-C", str(fresh), "new", "华东润滑油", "--owner", "王磊", "--grade", "A", "--stage", "customer")
    assert result.exit_code == 0, result.output
    assert result.stdout == "created clients/huadong-runhuayou.md\n"
    path = fresh / "clients" / "huadong-runhuayou.md"
    client, problems = read_client_file(path, "clients/huadong-runhuayou.md")
    assert problems == []
    assert (client.name, client.grade, client.stage, client.owner) == ("华东润滑油", "A", "customer", "王磊")
    assert path.read_text().startswith("---\nname: 华东润滑油\ngrade: A\nstage: customer\nowner: 王磊\n")


def test_new_quotes_what_yaml_would_misread(fresh: Path) -> None:
    result = run("-C", str(fresh), "new", "Acme: Trading # 1", "--owner", "007")
    assert result.exit_code == 0, result.output
    path = fresh / "clients" / "acme-trading-1.md"
    text = path.read_text()
    assert 'name: "Acme: Trading # 1"\n' in text and 'owner: "007"\n' in text
    client, problems = read_client_file(path, "clients/acme-trading-1.md")
    assert problems == [] and client.name == "Acme: Trading # 1" and client.owner == "007"
    assert (client.grade, client.stage) == ("C", "prospect")


def test_new_refuses_to_overwrite_and_suggests_a_slug(fresh: Path) -> None:
    existing = fresh / "clients" / "lanhai-maoyi.md"
    before = existing.read_bytes()
    write_client(fresh, "lanhai-maoyi-2", "---\nname: other\ngrade: C\n---\n")
    result = run("-C", str(fresh), "new", "蓝海贸易")
    assert result.exit_code == 1
    assert result.stderr == (
        "crmgen: error: clients/lanhai-maoyi.md already exists; crmgen new never overwrites a client. "
        "If this is another client, give it a free slug: crmgen new 蓝海贸易 --slug lanhai-maoyi-3\n"
    )
    assert existing.read_bytes() == before
    assert run("-C", str(fresh), "new", "蓝海贸易", "--slug", "lanhai-maoyi-3").exit_code == 0


def test_new_rejects_a_multi_line_or_empty_name(fresh: Path) -> None:
    assert "must be one line" in run("-C", str(fresh), "new", "A\nB").stderr
    assert "name is empty" in run("-C", str(fresh), "new", "  ").stderr


def test_new_rejects_a_bad_slug(fresh: Path) -> None:
    result = run("-C", str(fresh), "new", "X", "--slug", "Bad Slug")
    assert result.exit_code == 1
    assert "--slug 'Bad Slug' is not a valid slug" in result.stderr and "e.g. bad-slug" in result.stderr


def test_new_uses_the_project_template(fresh: Path) -> None:
    (fresh / "templates" / "new-client.md.j2").write_text(
        "---\nname: {{ name | yaml }}\ngrade: {{ grade }}\ntags: [{{ slug }}]\n---\n\nAdded {{ today }}.\n"
    )
    project = load_project(fresh)
    made = new_client(project, "Zeta", dt.date(2026, 11, 23))
    assert made.path.read_text() == "---\nname: Zeta\ngrade: C\ntags: [zeta]\n---\n\nAdded 2026-11-23.\n"


def test_new_falls_back_to_the_packaged_template(fresh: Path) -> None:
    (fresh / "templates" / "new-client.md.j2").unlink()
    made = new_client(load_project(fresh), "Zeta", dt.date(2026, 11, 23))
    packaged = (REPO / "crmgen" / "templates" / "new-client.md.j2").read_text()
    assert "# Fill in what you know" in packaged and "# Fill in what you know" in made.path.read_text()


def test_new_refuses_a_template_that_makes_an_invalid_file(fresh: Path) -> None:
    (fresh / "templates" / "new-client.md.j2").write_text("---\nname: {{ name }}\ngrade: {{ grade }}\n---\n")
    with pytest.raises(CrmgenError, match=r"(?s)templates/new-client.md.j2 produced an invalid client file.*"
                                          r"YAML reads 0123 as the number 83"):
        new_client(load_project(fresh), "0123", dt.date(2026, 11, 23))
    assert not (fresh / "clients" / "0123.md").exists()
    (fresh / "templates" / "new-client.md.j2").write_text("---\nname: {{ name \n---\n")
    result = run("-C", str(fresh), "new", "Zeta")
    assert result.exit_code == 1
    assert re.match(r"crmgen: error: templates/new-client.md.j2:\d+: the new-client template cannot be rendered: ",
                    result.stderr)


def test_repo_template_matches_the_packaged_one() -> None:
    assert (REPO / "templates" / "new-client.md.j2").read_bytes() == (
        REPO / "crmgen" / "templates" / "new-client.md.j2").read_bytes()


@needs_git
def test_new_commit(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(var, "T")
    for var in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(var, "t@example.com")
    result = run("-C", str(fresh), "new", "华东润滑油", "--commit")
    assert result.exit_code == 0, result.output
    log = subprocess.run(["git", "-C", str(fresh), "log", "--format=%s", "--name-only"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert log == ["new:", "huadong-runhuayou", "clients/huadong-runhuayou.md"]


@needs_git
def test_init_inside_a_repository_makes_no_nested_one(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = run("init", str(tmp_path / "crm"))
    assert result.exit_code == 0
    assert f"(no git repository: already inside the git repository {tmp_path.resolve()})" in result.stdout
    assert not (tmp_path / "crm" / ".git").exists()
