"""The parse cache never hides a change: edits, touch, renames, deletions, racy writes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from crmgen.book import load_book
from crmgen.cache import ParseCache
from crmgen.config import load_project
from tests.conftest import write_client

OLD = time.time() - 3600


def age(path: Path) -> None:
    os.utime(path, (OLD, OLD))


def load(root: Path):
    return load_book(load_project(root))


@pytest.fixture
def book_dir(project: Path) -> Path:
    for slug, grade in (("a", "A"), ("b", "B"), ("c", "C")):
        age(write_client(project, slug, f"---\nname: {slug}\ngrade: {grade}\n---\n"))
    load(project)  # fills the cache
    return project


def hits(root: Path) -> int:
    cache = ParseCache(load_project(root).cache_dir)
    for path in sorted((root / "clients").glob("*.md")):
        cache.get(f"clients/{path.name}", path)
    return cache.hits


def test_unchanged_files_come_from_the_cache(book_dir: Path) -> None:
    assert hits(book_dir) == 3
    assert [c.grade for c in load(book_dir).clients] == ["A", "B", "C"]


def test_same_size_edit_with_restored_mtime_is_seen(book_dir: Path) -> None:
    path = book_dir / "clients" / "b.md"
    st = path.stat()
    path.write_text("---\nname: b\ngrade: F\n---\n", encoding="utf-8")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # an editor that restores mtime
    assert path.stat().st_size == st.st_size
    assert [c.grade for c in load(book_dir).clients] == ["A", "F", "C"]


def test_touch_is_seen(book_dir: Path) -> None:
    path = book_dir / "clients" / "a.md"
    path.touch()
    assert hits(book_dir) == 2


def test_rename_and_deletion_are_seen(book_dir: Path) -> None:
    (book_dir / "clients" / "a.md").rename(book_dir / "clients" / "d.md")
    (book_dir / "clients" / "c.md").unlink()
    assert [c.slug for c in load(book_dir).clients] == ["b", "d"]


def test_error_introduced_is_reported(book_dir: Path) -> None:
    path = book_dir / "clients" / "c.md"
    path.write_text("---\nname: c\ngrade: Q\n---\n", encoding="utf-8")
    age(path)
    book = load(book_dir)
    assert [p.code for p in book.problems] == ["bad-choice"]
    assert [p.code for p in load(book_dir).problems] == ["bad-choice"]  # also when cached


def test_racy_files_are_never_trusted(project: Path) -> None:
    write_client(project, "a", "---\nname: a\ngrade: A\n---\n")  # mtime = now
    load(project)
    assert hits(project) == 0


def test_replaced_by_new_inode_is_seen(book_dir: Path) -> None:
    path = book_dir / "clients" / "a.md"
    st = path.stat()
    tmp = path.with_name("a.md.tmp")
    tmp.write_text("---\nname: a\ngrade: E\n---\n", encoding="utf-8")
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, path)  # vim / VS Code style save
    assert [c.grade for c in load(book_dir).clients][0] == "E"


def test_corrupt_cache_is_ignored(book_dir: Path) -> None:
    cache_file = load_project(book_dir).cache_dir / "parse-v1.pickle"
    cache_file.write_bytes(b"not a pickle")
    assert len(load(book_dir).clients) == 3


def test_no_cache_option_reads_everything(book_dir: Path) -> None:
    book = load_book(load_project(book_dir), use_cache=False)
    assert len(book.clients) == 3


def test_parallel_reading_gives_the_same_book(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import crmgen.book

    for i in range(12):
        write_client(project, f"c{i:02d}", f"---\nname: c{i}\ngrade: {'ABCDEF'[i % 6]}\nphone: 0{i}1\n---\n")
    serial = load_book(load_project(project), use_cache=False)
    monkeypatch.setattr(crmgen.book, "PARALLEL_MIN", 2)
    parallel = load_book(load_project(project), use_cache=False)
    assert parallel.clients == serial.clients and parallel.problems == serial.problems
    assert len(serial.problems) == 10  # 081 and 091 are not octal, so YAML keeps them as text


def test_a_cache_kept_in_memory_serves_later_passes(book_dir: Path) -> None:
    project = load_project(book_dir)
    cache = ParseCache(None)  # nothing on disk: a serve process
    load_book(project, cache=cache)
    assert cache.hits == 0
    load_book(project, cache=cache)
    assert cache.hits == 3
    path = book_dir / "clients" / "b.md"
    path.write_text("---\nname: b\ngrade: D\n---\n", encoding="utf-8")
    book = load_book(project, cache=cache)
    assert cache.hits == 2 and [c.grade for c in book.clients] == ["A", "D", "C"]
    age(path)
    assert [c.grade for c in load_book(project, cache=cache).clients] == ["A", "D", "C"]
