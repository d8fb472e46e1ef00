"""Git history of client files, read from real repositories made in tmp_path."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from crmgen import history
from crmgen.history import FileHistory, History, read_history

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ALICE = ("Alice Wang", "alice@example.com")
BOB = ("鲍勃", "bob@example.com")


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, who: tuple[str, str] = ALICE, when: str = "2026-01-01T09:00:00+08:00") -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": who[0],
            "GIT_AUTHOR_EMAIL": who[1],
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": who[0],
            "GIT_COMMITTER_EMAIL": who[1],
            "GIT_COMMITTER_DATE": when,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def write(self, rel: str, grade: str, name: str = "Acme", crlf: bool = False) -> None:
        text = f"---\nname: {name}\ngrade: {grade}\n---\n\nNotes.\n"
        if crlf:
            text = text.replace("\n", "\r\n")
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())

    def commit(
        self, message: str, who: tuple[str, str] = ALICE, when: str = "2026-01-01T09:00:00+08:00"
    ) -> str:
        self.git("add", "-A", who=who, when=when)
        self.git("commit", "-q", "-m", message, who=who, when=when)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def test_two_authors_rename_and_grade_history(repo: Repo):
    repo.write("clients/acme.md", "C")
    repo.write("clients/other.md", "A", name="华东润滑油")
    repo.write("README.md", "x")  # outside clients/: ignored
    first = repo.commit("Add clients", when="2026-01-05T23:30:00+08:00")
    repo.write("clients/acme.md", "B", name="Acme Ltd")
    repo.commit("Acme moves up", who=BOB, when="2026-02-01T10:00:00+08:00")
    (repo.root / "clients/acme.md").rename(repo.root / "clients/acme-ltd.md")
    repo.commit("Rename acme", who=ALICE, when="2026-03-01T10:00:00+00:00")
    repo.write("clients/acme-ltd.md", "A", name="Acme Ltd")
    last = repo.commit("Acme: grade A", who=BOB, when="2026-04-01T10:00:00-05:00")

    h = read_history(repo.root)
    assert h.available and h.reason is None
    assert sorted(h.files) == ["acme-ltd", "other"]
    acme = h.for_slug("acme-ltd")
    assert [c.subject for c in acme.commits] == [
        "Acme: grade A",
        "Rename acme",
        "Acme moves up",
        "Add clients",
    ]
    assert [(c.author, c.email) for c in acme.commits[:2]] == [("鲍勃", "bob@example.com"), ALICE]
    assert acme.commits[0].sha == last and acme.commits[-1].sha == first
    assert acme.commits[0].date == dt.datetime(2026, 4, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert acme.last_changed == acme.commits[0]
    assert [(g.old, g.new, g.commit.subject) for g in acme.grades] == [
        (None, "C", "Add clients"),
        ("C", "B", "Acme moves up"),
        ("B", "A", "Acme: grade A"),
    ]
    # The day in the author's own time zone (23:30 in UTC+8).
    assert acme.added == dt.date(2026, 1, 5)
    assert h.first_seen() == {"acme-ltd": dt.date(2026, 1, 5), "other": dt.date(2026, 1, 5)}
    assert [c.subject for c in h.for_slug("other").commits] == ["Add clients"]


def test_uncommitted_and_unknown_files(repo: Repo):
    repo.write("clients/old.md", "D")
    repo.commit("first", when="2026-05-01T08:00:00+00:00")
    repo.write("clients/new.md", "A")  # not committed
    h = read_history(repo.root)
    assert h.first_seen() == {"old": dt.date(2026, 5, 1)}
    assert h.for_slug("new") == FileHistory()
    assert h.for_slug("new").last_changed is None


def test_deleted_file_and_quoted_grade_and_crlf(repo: Repo):
    repo.write("clients/gone.md", "E")
    repo.write("clients/crlf.md", "F", crlf=True)
    repo.commit("add", when="2026-05-01T08:00:00+00:00")
    (repo.root / "clients/gone.md").unlink()
    (repo.root / "clients/crlf.md").write_bytes(b"---\r\nname: X\r\ngrade: 'e'  # warming up\r\n---\r\n")
    repo.commit("more", when="2026-05-02T08:00:00+00:00")
    h = read_history(repo.root)
    assert [(g.old, g.new) for g in h.for_slug("crlf").grades] == [(None, "F"), ("F", "E")]
    assert [(g.old, g.new) for g in h.for_slug("gone").grades] == [(None, "E"), ("E", None)]


def test_body_change_is_not_a_grade_change(repo: Repo):
    repo.write("clients/a.md", "B")
    repo.commit("add", when="2026-05-01T08:00:00+00:00")
    path = repo.root / "clients/a.md"
    path.write_text(path.read_text() + "\n## 2026-05-02 call: hello\n")
    repo.commit("log a call", when="2026-05-02T08:00:00+00:00")
    a = read_history(repo.root).for_slug("a")
    assert [c.subject for c in a.commits] == ["log a call", "add"]
    assert [(g.old, g.new) for g in a.grades] == [(None, "B")]


def test_project_in_a_subdirectory_of_the_repository(repo: Repo):
    repo.write("crm/clients/a.md", "B")
    repo.write("clients/elsewhere.md", "A")  # a clients/ outside the project
    repo.commit("add", when="2026-05-01T08:00:00+00:00")
    h = read_history(repo.root / "crm")
    assert sorted(h.files) == ["a"]


def test_custom_clients_dir(repo: Repo):
    repo.write("kunden/a.md", "B")
    repo.commit("add", when="2026-05-01T08:00:00+00:00")
    assert sorted(read_history(repo.root, "kunden").files) == ["a"]
    assert sorted(read_history(repo.root, "kunden/").files) == ["a"]
    assert read_history(repo.root).files == {}


def test_repository_without_commits(repo: Repo):
    repo.write("clients/a.md", "B")
    assert read_history(repo.root) == History(available=True, reason=None, files={})


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    (tmp_path / "clients").mkdir()
    h = read_history(tmp_path)
    assert (h.available, h.reason, h.files, h.first_seen()) == (False, "not a git repository", {}, {})


def test_git_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    h = read_history(tmp_path)
    assert (h.available, h.reason) == (False, "git is not installed")


def test_one_git_process_for_the_whole_repository(repo: Repo, monkeypatch: pytest.MonkeyPatch):
    for i in range(5):
        repo.write(f"clients/c{i}.md", "B")
    repo.commit("add")
    calls = []
    real = subprocess.run

    def spy(cmd, *args, **kwargs):
        calls.append(cmd)
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(history.subprocess, "run", spy)
    assert len(read_history(repo.root).files) == 5
    assert len(calls) == 1 and "log" in calls[0]


def test_parse_log_ignores_files_outside_clients_dir():
    text = (
        "\x1eabc\x1f2026-01-01T00:00:00+00:00\x1fA\x1fa@x\x1fs\n\n"
        "diff --git a/clients/sub/x.md b/clients/sub/x.md\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/clients/sub/x.md\n@@ -0,0 +1 @@\n+grade: A\n"
        "diff --git a/clients/notes.txt b/clients/notes.txt\n--- /dev/null\n+++ b/clients/notes.txt\n"
        "@@ -0,0 +1 @@\n+grade: A\n"
    )
    assert history.parse_log(text) == {}


def test_cached_history_follows_head(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = tmp_path / "cache"
    repo.write("clients/acme.md", "B")
    repo.commit("add acme")
    first = read_history(repo.root, cache_dir=cache)
    assert [g.new for g in first.for_slug("acme").grades] == ["B"]

    # HEAD unchanged: the cached history answers, git log is not run again
    calls: list[list[str]] = []
    real = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda cmd, *a, **k: calls.append(cmd) or real(cmd, *a, **k))
    again = read_history(repo.root, cache_dir=cache)
    assert again == first
    assert [c[1] for c in calls] == ["rev-parse"]

    # a new commit (and an amended one) is always seen
    repo.write("clients/acme.md", "A")
    repo.commit("acme to A")
    assert [g.new for g in read_history(repo.root, cache_dir=cache).for_slug("acme").grades] == ["B", "A"]
    repo.write("clients/acme.md", "C")
    repo.git("commit", "-q", "-a", "--amend", "-m", "acme to C")
    assert [g.new for g in read_history(repo.root, cache_dir=cache).for_slug("acme").grades] == ["B", "C"]
    assert read_history(repo.root, cache_dir=cache) == read_history(repo.root)


def test_cache_is_not_used_without_commits(repo: Repo, tmp_path: Path):
    repo.write("clients/acme.md", "B")
    history = read_history(repo.root, cache_dir=tmp_path / "cache")
    assert history.available and history.files == {}
    assert not (tmp_path / "cache").exists()
