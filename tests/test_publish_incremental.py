"""After one edit the site is updated from the files the build wrote, without walking it, and is
the same as a full build's; and the ``crmgen`` command leaves without the interpreter's teardown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.render import publish
from crmgen.render.build import build_site
from tests.conftest import write_client
from tests.test_incremental import TODAY, client_text, tree


@pytest.fixture
def book(project: Path) -> Path:
    write_client(project, "alpha", client_text("Alpha Trading"))
    write_client(project, "beta", client_text("华东润滑油", "A", referred_by="alpha"))
    write_client(project, "gamma", client_text("Gamma Foods", "C"))
    return project


def build(root: Path, site: Path, *, full: bool = False):
    project = load_project(root)
    return build_site(project, load_book(project).clients, today=TODAY, site_dir=site, full=full)


def test_an_edit_is_published_from_what_the_build_wrote(book: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(publish, "_serving", lambda: False)  # no page previews from this process (pytest's threads)
    site = tmp_path / "site"
    build(book, site)
    walked = []
    original = publish._sync_all
    monkeypatch.setattr(publish, "_sync_all", lambda *a: walked.append(a) or 0)  # a walk would hide a miss

    path = book / "clients" / "gamma.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-20 call: 回访\nNext: 2026-11-30 call back\n",
                    encoding="utf-8")
    assert build(book, site).incremental
    write_client(book, "delta", client_text("Delta Parks", "D"))
    (book / "clients" / "beta.md").unlink()
    assert build(book, site).incremental
    assert not walked
    assert not (site / "clients" / "beta").exists()

    full = tmp_path / "full"
    monkeypatch.setattr(publish, "_sync_all", original)
    build(book, full, full=True)
    assert tree(site) == tree(full)


def run_crmgen(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_PROCESS_START"}
    return subprocess.run([sys.executable, "-m", "crmgen", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_the_command_says_everything_before_it_leaves(book: Path, tmp_path: Path) -> None:
    done = run_crmgen("-C", str(book), "build", "--today", TODAY.isoformat())
    assert done.returncode == 0, done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("Built 3 client pages into ")
    assert (book / "site" / "index.html").is_file()

    nobody = run_crmgen("-C", str(book), "build", "--owner", "nobody")
    assert nobody.returncode == 2 and "no clients with owner 'nobody'" in nobody.stderr

    (book / "templates").mkdir()
    (book / "templates" / "client.md.j2").write_text("{% if %}\n", encoding="utf-8")
    broken = run_crmgen("-C", str(book), "build", "--today", TODAY.isoformat())
    assert broken.returncode == 1
    assert broken.stderr.startswith("crmgen: error: ") and "client.md.j2" in broken.stderr
