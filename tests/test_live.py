"""serve's quick preview: one page rendered from a loaded MkDocs session is the page the build makes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from crmgen.accel import live
from crmgen.format.errors import CrmgenError
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from tests.conftest import write_client
from tests.test_incremental import TODAY, build, client_text


@pytest.fixture
def book(project: Path) -> Path:
    write_client(project, "alpha", client_text("Alpha Trading"))
    write_client(project, "beta", client_text("华东润滑油", "A", referred_by="alpha"))
    write_client(project, "gamma", client_text("Gamma Foods", "C", referred_by="beta"))
    env = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": str(project)}
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "start"]):
        subprocess.run(["git", *cmd], cwd=project, env=env, check=True, capture_output=True)
    return project


def test_preview_page_is_the_page_the_build_makes(book: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(book, site)
    project = load_project(book)
    session = live.LiveSession(project.work_dir / "mkdocs.yml", tmp_path / "scratch", TODAY)

    path = book / "clients" / "beta.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-20 call: 回访 PREVIEW-EDIT\n\nNext: 2026-11-26 寄样品\n",
                    encoding="utf-8")
    clients = load_book(project).clients
    edited = [c for c in clients if c.slug == "beta"]
    served = tmp_path / "served"
    shown = live.preview(project, clients, edited, today=TODAY, broken=[], session=session, site=served)
    assert shown == ["clients/beta/index.md"]
    preview = (served / "clients" / "beta" / "index.html").read_bytes()
    assert b"PREVIEW-EDIT" in preview
    assert list(served.rglob("*.html")) == [served / "clients" / "beta" / "index.html"]  # that page only

    build(book, site)  # the full (incremental) build that serve runs next
    assert preview == (site / "clients" / "beta" / "index.html").read_bytes()
    # the build's own docs tree was not touched by the preview: the build re-rendered the page
    assert "PREVIEW-EDIT" in (project.work_dir / "docs" / "clients" / "beta" / "index.md").read_text(encoding="utf-8")


def test_session_knows_when_it_is_stale(book: Path, tmp_path: Path) -> None:
    build(book, tmp_path / "site")
    project = load_project(book)
    config = project.work_dir / "mkdocs.yml"
    session = live.LiveSession(config, tmp_path / "scratch", TODAY)
    docs = project.work_dir / "docs"
    pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")}
    assert session.matches(config, pages, TODAY)
    assert not session.matches(config, pages | {"clients/new/index.md"}, TODAY)
    assert not session.matches(config, pages, TODAY.replace(day=TODAY.day - 1))
    with pytest.raises(CrmgenError, match="not a page"):
        session.render("clients/nobody/index.md")


def test_publish_page_replaces_in_one_rename(tmp_path: Path) -> None:
    site = tmp_path / "site"
    old = site / "clients" / "a" / "index.html"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    link = tmp_path / "build-copy.html"
    link.hardlink_to(old)  # the build dir shares the served file
    live.publish_page(site, "clients/a/index.md", b"new")
    assert old.read_bytes() == b"new" and link.read_bytes() == b"old"  # never written in place
    assert [p.name for p in old.parent.iterdir()] == ["index.html"]  # no temporary left
