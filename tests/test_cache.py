"""The parse cache never hides a change: edits, touch, renames, deletions, racy writes."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from crmgen.accel import cache
from crmgen.accel.cache import ParseCache
from crmgen.load.book import load_book
from crmgen.load.project import load_project
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


def shard_files(root: Path) -> list[Path]:
    return sorted((load_project(root).cache_dir / cache.CACHE_DIR).glob("*.pickle"))


def test_corrupt_cache_is_ignored(book_dir: Path) -> None:
    for path in shard_files(book_dir):
        path.write_bytes(b"not a pickle")
    assert hits(book_dir) == 0
    assert len(load(book_dir).clients) == 3
    assert hits(book_dir) == 3  # written again


@pytest.mark.parametrize("damage", ["cut", "flip", "grow", "header"])
def test_a_torn_or_partial_file_is_never_trusted(book_dir: Path, damage: str) -> None:
    full = [p for p in shard_files(book_dir) if p.stat().st_size > 200]  # the shards holding a, b, c
    assert full
    for path in full:
        raw = path.read_bytes()
        if damage == "cut":  # a write that stopped half way (crash, full disk)
            raw = raw[:len(raw) // 2]
        elif damage == "flip":  # bytes of a value wrong, the pickle still whole: grade 'A' read as 'F'
            raw = re.sub(rb"\x8c\x01[ABC]", b"\x8c\x01F", raw)
        elif damage == "grow":  # stale bytes after the end
            raw += b"\0" * 100
        else:  # a block of zeros where the header was
            raw = b"\0" * cache.HEADER.size + raw[cache.HEADER.size:]
        path.write_bytes(raw)
    assert hits(book_dir) == 0
    assert [c.grade for c in load(book_dir).clients] == ["A", "B", "C"]


def test_one_edit_rewrites_one_shard(book_dir: Path) -> None:
    before = {p.name: p.stat().st_ino for p in shard_files(book_dir)}
    assert len(before) == cache.SHARDS  # every shard written once, empty or not
    path = book_dir / "clients" / "b.md"
    path.write_text("---\nname: b\ngrade: D\n---\n", encoding="utf-8")
    age(path)
    assert [c.grade for c in load(book_dir).clients] == ["A", "D", "C"]
    after = {p.name: p.stat().st_ino for p in shard_files(book_dir)}
    assert {name for name in before if after[name] != before[name]} == {f"{cache.shard_of('clients/b.md'):02d}.pickle"}
    assert hits(book_dir) == 3 and [c.grade for c in load(book_dir).clients] == ["A", "D", "C"]


def test_a_pass_that_learnt_nothing_writes_nothing(book_dir: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in shard_files(book_dir)}
    load(book_dir)  # unchanged
    path = book_dir / "clients" / "c.md"
    path.write_text("---\nname: c\ngrade: E\n---\n", encoding="utf-8")  # racy: not trusted next time anyway
    assert [c.grade for c in load(book_dir).clients] == ["A", "B", "E"]
    assert {p.name: p.stat().st_mtime_ns for p in shard_files(book_dir)} == before
    assert hits(book_dir) == 2
    age(path)  # no longer racy: read once more, and now written
    assert [c.grade for c in load(book_dir).clients] == ["A", "B", "E"]
    assert hits(book_dir) == 3


def test_a_deleted_file_drops_out_of_its_shard(book_dir: Path) -> None:
    (book_dir / "clients" / "a.md").unlink()
    assert [c.slug for c in load(book_dir).clients] == ["b", "c"]
    assert "clients/a.md" not in ParseCache(load_project(book_dir).cache_dir).entries


def test_the_cached_book_is_the_parsed_book(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\nphone: '021 5555 0101'\nreferred_by: nobody\n"
                 "contacts:\n  - name: X\n    birthday: --07-22\n---\n\n## 2026-01-02 call: hi\n\nbody\n")
    write_client(project, "b", "---\nname: B\ngrade: B\nemail: x@y.cn\nphone: '021-5555-0101'\n---\n")
    write_client(project, "c", "---\nname: C\ngrade: C\nemail: X@y.cn\n---\n")
    write_client(project, "d", "---\nname: D\ngrade: Q\n---\n")
    for path in (project / "clients").iterdir():
        age(path)
    parsed = load_book(load_project(project), use_cache=False)
    load(project)
    assert hits(project) == 4
    cached = load(project)
    assert (cached.clients, cached.problems, cached.broken) == (parsed.clients, parsed.problems, parsed.broken)
    assert sorted(p.code for p in parsed.problems) == ["bad-choice", "missing-referral", *["possible-duplicate"] * 4]


def test_a_large_book_is_kept_out_of_the_garbage_collector(book_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    monkeypatch.setattr(cache, "FREEZE_MIN", 3)
    before = gc.get_freeze_count()
    try:
        loaded = ParseCache(load_project(book_dir).cache_dir)
        assert len(loaded.entries) == 3 and gc.get_freeze_count() > before and gc.isenabled()
    finally:
        gc.unfreeze()  # what this test process had before is collected as usual again
    monkeypatch.setattr(cache, "FREEZE_MIN", 4)
    ParseCache(load_project(book_dir).cache_dir)
    assert gc.get_freeze_count() == 0


def test_no_cache_option_reads_everything(book_dir: Path) -> None:
    book = load_book(load_project(book_dir), use_cache=False)
    assert len(book.clients) == 3


def test_parallel_reading_gives_the_same_book(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import crmgen.load.book

    for i in range(12):
        write_client(project, f"c{i:02d}", f"---\nname: c{i}\ngrade: {'ABCDEF'[i % 6]}\nphone: 0{i}1\n---\n")
    serial = load_book(load_project(project), use_cache=False)
    monkeypatch.setattr(crmgen.load.book, "PARALLEL_MIN", 2)
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


def test_digests_follow_the_files(book_dir: Path) -> None:
    import dataclasses

    first = load_book(load_project(book_dir), digests=True)
    digests = {c.slug: first.digest(c) for c in first.clients}
    assert all(digests.values()) and len(set(digests.values())) == 3
    again = load_book(load_project(book_dir), digests=True)  # from the cache: the very bytes the first pass saved
    assert {c.slug: again.digest(c) for c in again.clients} == digests
    path = book_dir / "clients" / "b.md"
    path.write_text(path.read_text(encoding="utf-8").replace("grade: B", "grade: A"), encoding="utf-8")
    age(path)
    edited = load_book(load_project(book_dir), digests=True)
    now = {c.slug: edited.digest(c) for c in edited.clients}
    assert now["b"] != digests["b"] and now["a"] == digests["a"] and now["c"] == digests["c"]
    # a copy made from a client (a --public build) is not what the file was parsed into
    copy = dataclasses.replace(edited.clients[0], name="other")
    assert edited.digest(copy) is None


def test_no_digest_without_a_cache(book_dir: Path) -> None:
    book = load_book(load_project(book_dir), use_cache=False)
    assert [book.digest(c) for c in book.clients] == [None, None, None]


def test_a_fresh_entry_is_pickled_once_for_its_digest_and_its_save(book_dir: Path, monkeypatch) -> None:
    import pickle

    age(write_client(book_dir, "d", "---\nname: d\ngrade: D\n---\n"))
    calls = []
    real = pickle.dumps
    monkeypatch.setattr(pickle, "dumps", lambda *a, **k: calls.append(type(a[0]).__name__) or real(*a, **k))
    book = load_book(load_project(book_dir), digests=True)  # d is read, saved and digested
    monkeypatch.undo()
    assert calls.count("Located") == 1  # d's entry pickled once, for its shard and its digest alike
    digest = book.digest(next(c for c in book.clients if c.slug == "d"))
    reread = load_book(load_project(book_dir), digests=True)
    assert digest == reread.digest(next(c for c in reread.clients if c.slug == "d"))
