"""Owner pages and calendars keep their URLs (#15, outputs other programs open): when a new owner's
name makes the same page name as an existing owner's (张敏 and 章敏 are both ``zhangmin``), the
owner git saw first keeps it, so a subscribed calendar never starts showing another person's
reminders. Real git repositories and real builds."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crmgen.history import parse_log, read_history
from crmgen.render.pages import build_views
from tests.conftest import write_client

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

OLD, NEW = "章敏", "张敏"  # both zhangmin; by name alone 张 (U+5F20) sorts before 章 (U+7AE0)
TODAY = "2026-12-01"


def _git(root: Path, *args: str, when: str = "2026-01-01T09:00:00+08:00") -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_AUTHOR_DATE": when,
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com", "GIT_COMMITTER_DATE": when,
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _client(project: Path, slug: str, owner: str, quoted: str = "") -> None:
    write_client(project, slug, f"---\nname: {slug.title()} Ltd\ngrade: A\nowner: {quoted}{owner}{quoted}\n"
                 "promises:\n  - {by: us, what: call back, due: 2026-12-02}\n---\n")


def _build(project: Path) -> Path:
    site = project / "site"
    done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(project), "build", "--today", TODAY,
                           "-d", str(site)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return site


def _calendar_owner(site: Path, slug: str) -> str:
    text = (site / "reminders" / f"{slug}.ics").read_text(encoding="utf-8")
    names = [n for n in (OLD, NEW) if n in text]
    assert len(names) == 1, text
    return names[0]


@pytest.fixture
def repo_project(project: Path) -> Path:
    _git(project, "init", "-q", "-b", "main")
    return project


def test_the_owner_git_saw_first_keeps_the_url_when_a_similar_name_arrives(repo_project: Path) -> None:
    _client(repo_project, "first", OLD)
    _git(repo_project, "add", "-A")
    _git(repo_project, "commit", "-q", "-m", "first client")
    site = _build(repo_project)
    assert _calendar_owner(site, "zhangmin") == OLD

    _client(repo_project, "second", NEW)  # not committed yet: the newest of all
    site = _build(repo_project)
    assert _calendar_owner(site, "zhangmin") == OLD
    assert _calendar_owner(site, "zhangmin-2") == NEW

    _git(repo_project, "add", "-A")
    _git(repo_project, "commit", "-q", "-m", "second client", when="2026-03-01T09:00:00+08:00")
    site = _build(repo_project)
    assert _calendar_owner(site, "zhangmin") == OLD
    assert _calendar_owner(site, "zhangmin-2") == NEW


def test_a_client_handed_over_does_not_make_its_new_owner_older(repo_project: Path) -> None:
    """The new owner's seniority is when their name was first written as an owner, not when the
    client files they now hold were added."""
    _client(repo_project, "old-client", "Li Lei")
    _git(repo_project, "add", "-A")
    _git(repo_project, "commit", "-q", "-m", "2025", when="2025-01-01T09:00:00+08:00")
    _client(repo_project, "first", OLD)
    _git(repo_project, "add", "-A")
    _git(repo_project, "commit", "-q", "-m", "章敏 joins", when="2026-01-01T09:00:00+08:00")
    _client(repo_project, "old-client", NEW, quoted='"')  # handed over to the newcomer
    _git(repo_project, "commit", "-q", "-am", "handover", when="2026-06-01T09:00:00+08:00")
    history = read_history(repo_project)
    assert history.owners_since[OLD].date() == dt.date(2026, 1, 1)
    assert history.owners_since[NEW].date() == dt.date(2026, 6, 1)
    site = _build(repo_project)
    assert _calendar_owner(site, "zhangmin") == OLD


def test_without_git_owners_are_taken_by_name(project: Path) -> None:
    _client(project, "first", OLD)
    _client(project, "second", NEW)
    site = _build(project)
    assert _calendar_owner(site, "zhangmin") == NEW  # the name order: no history to go by


@pytest.mark.parametrize("line,owner", [("owner: 章敏", OLD), ('owner: "章敏"', OLD), ("owner: '章敏'  # sales", OLD),
                                        ("owner: Li Lei # east", "Li Lei"), ("\ufeffowner: x", "x")])
def test_owner_lines_are_read_as_written(line: str, owner: str) -> None:
    log = (f"\x1eabc\x1f2026-01-01T09:00:00+08:00\x1fA\x1fa@example.com\x1fadd\n"
           "diff --git a/clients/x.md b/clients/x.md\nnew file mode 100644\n--- /dev/null\n+++ b/clients/x.md\n"
           f"@@ -0,0 +1,3 @@\n+---\n+{line}\n+grade: A\n")
    owners: dict[str, dt.datetime] = {}
    parse_log(log, "clients", owners)
    assert list(owners) == [owner]


def test_build_views_orders_only_the_names_that_collide() -> None:
    from crmgen.load.book import parse_client_text
    from crmgen.slugs import slugify

    assert slugify(OLD) == slugify(NEW) == "zhangmin"

    def client(slug: str, owner: str):
        c, problems = parse_client_text(f"---\nname: {slug}\ngrade: A\nowner: {owner}\n---\n", f"clients/{slug}.md")
        assert not problems
        return c

    clients = [client("a", NEW), client("b", OLD), client("c", "Wang Fang")]
    since = {OLD: dt.datetime(2025, 1, 1, tzinfo=dt.UTC), NEW: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}
    assert build_views(clients, [], since).owners == {"Wang Fang": "wang-fang", NEW: "zhangmin-2", OLD: "zhangmin"}
    assert build_views(clients, []).owners == {"Wang Fang": "wang-fang", NEW: "zhangmin", OLD: "zhangmin-2"}
