"""The book summary never hides a change: every edit, rename, addition, deletion, touch,
settings change, new crmgen or racy write makes ``check``/``due`` read the book again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.accel import summary
from crmgen.cli import main
from tests.conftest import write_client

OLD = time.time() - 3600


def crmgen(*args: str) -> tuple[int, str]:
    """Run the command line in this process: (exit code, stderr)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


def age(path: Path) -> None:
    os.utime(path, (OLD, OLD))


def fill(root: Path) -> str:
    """Run ``check`` the long way (writes the summary); its stderr."""
    assert crmgen("-C", str(root), "check", "--no-cache")[0] == 0  # writes no summary
    assert summary.load(str(root)) is None
    code, err = crmgen("-C", str(root), "check")
    return f"{code}:{err}"


@pytest.fixture
def book(project: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    for slug, grade in (("a", "A"), ("b", "B"), ("c", "C")):
        age(write_client(project, slug, f"---\nname: {slug}\ngrade: {grade}\n---\n\n## 2026-11-01 call: hi\n"))
    age(project / "mkdocs.yml")
    fill(project)
    assert summary.load(str(project)) is not None
    return project


def trusted(root: Path) -> bool:
    return summary.load(str(root)) is not None


def test_unchanged_book_is_answered_from_the_summary(book: Path) -> None:
    head = summary.load(str(book))
    assert head["files"] == 3 and head["problems"] == [] and not head["has_errors"]
    assert crmgen("-C", str(book), "check") == (0, "no problems in 3 files\n")


def test_same_size_edit_with_restored_mtime_is_seen(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = book / "clients" / "b.md"
    st = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("grade: B", "grade: Q"), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # an editor that restores mtime
    assert path.stat().st_size == st.st_size
    assert not trusted(book)
    code, err = crmgen("-C", str(book), "check")
    assert code == 1
    assert "clients/b.md:3:8: error:" in err


@pytest.mark.parametrize("change", ["touch", "delete", "rename", "add", "replace", "symlink", "subdir-md"])
def test_any_change_to_the_clients_is_seen(book: Path, change: str) -> None:
    clients = book / "clients"
    if change == "touch":
        (clients / "a.md").touch()
        os.utime(clients / "a.md", (OLD + 1, OLD + 1))  # a new mtime, but old enough to be trusted
    elif change == "delete":
        (clients / "a.md").unlink()
    elif change == "rename":
        (clients / "a.md").rename(clients / "z.md")
    elif change == "add":
        age(write_client(book, "d", "---\nname: d\ngrade: D\n---\n"))
    elif change == "replace":  # write a new file, then rename it over the old one (what editors do)
        new = clients / ".a.md.tmp"
        new.write_bytes((clients / "a.md").read_bytes())
        age(new)
        os.replace(new, clients / "a.md")
    elif change == "symlink":
        (clients / "a.md").unlink()
        (clients / "a.md").symlink_to(clients / "b.md")
    else:
        (clients / "x.md").mkdir()
    assert not trusted(book)


def test_an_unchanged_book_stays_trusted_after_a_rewrite(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (book / "clients" / "a.md").unlink()
    assert crmgen("-C", str(book), "check") == (0, "no problems in 2 files\n")
    head = summary.load(str(book))
    assert [name for name, _ in head["entries"]] == ["b.md", "c.md"]


def test_a_recently_modified_file_is_never_trusted(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = book / "clients" / "a.md"
    path.write_text("---\nname: a\ngrade: B\n---\n", encoding="utf-8")  # mtime: now
    crmgen("-C", str(book), "check")  # re-reads it, writes a new summary...
    assert not trusted(book)  # ...which does not trust a file modified within RACY_NS of its start
    old = time.time() - 5
    os.utime(path, (old, old))
    assert not trusted(book)  # a different mtime is a different fingerprint
    crmgen("-C", str(book), "check")
    assert trusted(book)
    capsys.readouterr()


def test_settings_change_is_seen(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = book / "mkdocs.yml"
    config.write_text("site_name: Test CRM\nextra:\n  crmgen:\n    within: 30\n", encoding="utf-8")
    age(config)
    assert not trusted(book)
    crmgen("-C", str(book), "check")
    assert trusted(book)
    capsys.readouterr()


def test_a_racy_settings_file_is_never_trusted(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (book / "mkdocs.yml").write_text("site_name: Other\n", encoding="utf-8")
    crmgen("-C", str(book), "check")
    assert not trusted(book)
    capsys.readouterr()


def test_another_crmgen_is_never_trusted(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = summary.code_key()
    monkeypatch.setattr(summary, "code_key", lambda: (*key, "edited module"))
    assert not trusted(book)


def test_a_moved_project_is_not_trusted(book: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    import shutil

    other = tmp_path_factory.mktemp("moved") / "p"
    shutil.copytree(book, other, copy_function=shutil.copy2)
    assert not trusted(other)


def test_a_broken_summary_file_is_ignored(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(summary.path_of(str(book)))
    data = path.read_bytes()
    for bad in (b"", data[:20], b"\xff" * 40, data[:8] + b"\x00" * (len(data) - 8)):
        path.write_bytes(bad)
        assert summary.load(str(book)) is None
        code, said = crmgen("-C", str(book), "check")
        *warned, answer = said.splitlines()
        assert (code, answer) == (0, "no problems in 3 files")
        # unreadable: said in one line; readable but of another kind: silently replaced
        assert warned in ([], [f"crmgen: warning: {path}: a damaged cache file discarded; made again from "
                               "the client files"]), warned
        assert trusted(book)


def test_no_summary_without_the_cache_or_for_named_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from crmgen.load.project import load_project

    age(write_client(project, "a", "---\nname: a\ngrade: A\n---\n"))
    from crmgen.load.answers import check_book

    checked = check_book(load_project(project), [project / "clients" / "a.md"], started_ns=time.time_ns())
    assert not checked.has_errors and not Path(summary.path_of(str(project))).exists()
    crmgen("-C", str(project), "check", "--no-cache")
    assert not Path(summary.path_of(str(project))).exists()
    capsys.readouterr()


def _due(root: Path) -> tuple[object, list[str]]:
    """``due_book`` on ``root``, with a plan maker that records the books it is called for."""
    from crmgen.load.answers import due_book
    from crmgen.load.project import load_project
    from crmgen.rules.reminders import plan

    project = load_project(root)
    made: list[str] = []

    def make_plan(book) -> tuple[dict, bool]:
        made.append(",".join(c.slug for c in book.clients))
        return plan(book.clients, project.settings), True

    return due_book(project, make_plan, started_ns=time.time_ns()), made


def test_due_keeps_the_plan_for_an_unchanged_book_only(book: Path) -> None:
    first, made = _due(book)  # the summary check wrote holds no plan: the book is read
    assert made == ["a,b,c"] and first.plan is not None
    again, made = _due(book)
    assert made == [] and again.plan == first.plan and again.checked == first.checked
    assert crmgen("-C", str(book), "check") == (0, "no problems in 3 files\n")  # check leaves the plan alone
    assert _due(book)[1] == []
    path = book / "clients" / "b.md"
    path.write_text(path.read_text(encoding="utf-8").replace("2026-11-01", "2026-11-02"), encoding="utf-8")
    age(path)
    changed, made = _due(book)
    assert made == ["a,b,c"] and changed.plan != first.plan
    assert _due(book)[1] == []


def test_a_summary_written_by_check_names_no_plan(book: Path) -> None:
    _due(book)
    (book / "clients" / "a.md").unlink()  # check writes a new summary, without a plan
    assert crmgen("-C", str(book), "check") == (0, "no problems in 2 files\n")
    assert summary.load_plan(str(book), summary.load(str(book))) is None
    assert _due(book)[1] == ["b,c"]


def test_a_plan_that_depends_on_git_is_not_kept(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    age(write_client(book, "d", "---\nname: d\ngrade: A\n---\n"))  # no contact, no since: git decides
    for _ in range(2):
        assert crmgen("-C", str(book), "due", "--today", "2026-12-01")[0] == 0
        assert summary.load_plan(str(book), summary.load(str(book)) or {}) is None
    capsys.readouterr()


def test_due_without_the_cache_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    age(write_client(project, "a", "---\nname: a\ngrade: A\n---\n\n## 2026-11-01 call: hi\n"))
    age(project / "mkdocs.yml")
    code, _ = crmgen("-C", str(project), "due", "--no-cache", "--today", "2026-12-01")
    assert code == 0 and not Path(summary.path_of(str(project))).exists()
    capsys.readouterr()


def test_the_kept_plan_is_read_up_to_the_furthest_day_asked_for(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summary, "BLOCK", 1)  # a block per row: the cut is visible
    first, _ = _due(book)
    head = summary.load(str(book))
    whole = summary.load_plan(str(book), head)
    assert whole is not None and whole["fixed"] == first.plan["fixed"] and len(whole["fixed"]) == 3
    dates = [row[0] for row in whole["fixed"]]
    assert summary.load_plan(str(book), head, until=dates[0])["fixed"] == whole["fixed"][:1]
    assert summary.load_plan(str(book), head, until=dates[0] - 1)["fixed"] == []
