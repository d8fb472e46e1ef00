"""Big builds are split over chunk processes; the site is the same, byte for byte."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crmgen.accel import shards
from tests.conftest import write_client
from tests.test_incremental import build, client_text, tree


def test_plan_spreads_heavy_pages_and_bounds_chunks() -> None:
    pages = [f"p{i:02d}" for i in range(10)]
    weight = {p: 1 for p in pages} | {"p03": 100, "p07": 90}
    chunks = shards.plan(pages, weight.__getitem__, cores=2, chunk_max=4)
    assert sorted(p for c in chunks for p in c) == pages  # every page once
    assert len(chunks) == 4 and all(len(c) <= 4 for c in chunks)  # 3 needed, rounded to whole rounds of 2
    heavy = [i for i, c in enumerate(chunks) for p in c if p in ("p03", "p07")]
    assert len(set(heavy)) == 2  # the two heavy pages are not in the same chunk
    for chunk in chunks:
        assert chunk == sorted(chunk)  # pages keep their order within a chunk


def test_plan_gives_every_core_work_and_handles_few_pages() -> None:
    assert shards.plan([], len, cores=2) == []
    assert shards.plan(["a"], len, cores=4) == [["a"]]
    chunks = shards.plan(["a", "b", "c", "d"], lambda p: 1, cores=2, chunk_max=100)
    assert len(chunks) == 2 and sorted(map(len, chunks)) == [2, 2]


@pytest.fixture
def many(project: Path) -> Path:
    names = ["Alpha Trading", "华东润滑油", "Gamma Foods", "Delta Parks", "Epsilon 保险", "Zeta 物流", "Eta Oils"]
    for i, name in enumerate(names):
        write_client(project, f"c{i}", client_text(name, "ABCDEF"[i % 6], referred_by="c0" if i else None))
    return project


def test_a_chunked_build_equals_a_single_process_build(many: Path, tmp_path: Path, monkeypatch) -> None:
    single = tmp_path / "single"
    monkeypatch.setattr(shards, "SHARD_MIN", 10**9)
    build(many, single, full=True)

    monkeypatch.setattr(shards, "SHARD_MIN", 1)
    monkeypatch.setattr(shards, "CHUNK_MAX", 3)  # several chunks per core, every page in one
    calls = []
    real = shards.build_chunks
    monkeypatch.setattr(shards, "build_chunks", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    chunked = tmp_path / "chunked"
    build(many, chunked, full=True)
    assert calls and len(calls[0]) >= 3, "the build was not split"

    a, b = tree(single), tree(chunked)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel] == b[rel], f"{rel} differs when built in chunks"
    docs = json.loads(b["search/search_index.json"])["docs"]
    assert {d["location"].split("#")[0] for d in docs} >= {f"clients/c{i}/index.html" for i in range(7)}

    # an edit after a chunked build: incremental, in-process, and still the same site
    path = many / "clients" / "c3.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-20 call: 回访 chunk-edit\n", encoding="utf-8")
    again = build(many, chunked)
    assert again.incremental
    monkeypatch.setattr(shards, "SHARD_MIN", 10**9)
    build(many, single, full=True)
    a, b = tree(single), tree(chunked)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel] == b[rel], f"{rel} differs after an edit following a chunked build"
    assert "chunk-edit" in b["search/search_index.json"].decode()


def test_a_failing_chunk_fails_the_build_and_keeps_the_old_site(many: Path, tmp_path: Path, monkeypatch) -> None:
    from crmgen.format.errors import CrmgenError

    site = tmp_path / "site"
    build(many, site)
    before = tree(site)
    monkeypatch.setattr(shards, "SHARD_MIN", 1)
    # A project hook that fails in a chunk's process only (started by the fork server: a
    # monkeypatch here would not reach it).
    (many / "boom.py").write_text(
        "def on_page_markdown(markdown, page, config, files):\n"
        "    accel = config.plugins.get('crmgen-accel')\n"
        "    if accel is not None and accel.shard is not None:\n"
        "        raise RuntimeError('disk on fire')\n"
        "    return markdown\n", encoding="utf-8")
    config = many / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "hooks:\n  - boom.py\n", encoding="utf-8")
    with pytest.raises(CrmgenError, match="disk on fire"):
        build(many, site, full=True)
    assert tree(site) == before


def test_chunks_are_started_by_the_fork_server_unless_they_share_the_dictionary(monkeypatch) -> None:
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server here")
    assert shards._context(share_dictionary=False).get_start_method() == "forkserver"
    monkeypatch.setattr(shards, "can_fork", lambda: True)
    assert shards._context(share_dictionary=True).get_start_method() == "fork"
    monkeypatch.setattr(shards, "can_fork", lambda: False)  # threads run (serve): never a fork
    assert shards._context(share_dictionary=True).get_start_method() == "forkserver"


def test_chunks_read_the_segmentation_memo_of_the_build(many: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(shards, "SHARD_MIN", 1)
    monkeypatch.setattr(shards, "CHUNK_MAX", 3)
    results = []
    real = shards.build_chunks
    monkeypatch.setattr(shards, "build_chunks", lambda *a, **k: results.append(real(*a, **k)) or results[-1])
    build(many, tmp_path / "site", full=True)
    assert results[-1].segments  # the first build segmented the Chinese names
    build(many, tmp_path / "site", full=True)
    assert results[-1].built and not results[-1].segments  # the second knew them all from the memo


def test_a_chunk_writes_its_search_entries_to_a_file(tmp_path: Path) -> None:
    from crmgen.accel import incremental

    path = tmp_path / "entries"
    writer = incremental.EntryWriter(str(path))
    writer.add([{"location": "a/", "title": "A"}, {"location": "a/#x", "title": "X"}])
    writer.add([{"location": "b/", "title": "华东"}])
    writer.close()
    data = path.read_bytes()
    assert data == b'{"location":"a/","title":"A"},{"location":"a/#x","title":"X"},{"location":"b/","title":"\\u534e\\u4e1c"}'
    (a0, a1), (b0, b1) = writer.spans["a/"], writer.spans["b/"]
    assert data[a0:a1] == incremental.fragments([{"location": "a/", "title": "A"},
                                                 {"location": "a/#x", "title": "X"}])["a/"].encode()
    assert b0 == a1 + 1 and data[a1:b0] == b","  # neighbours: copied into the index as one block

    files = incremental.EntryFiles()
    files.add(str(path), writer.spans)
    path.unlink()  # the chunks' directory goes; the open file stays readable
    fd, start, end = files.spans["b/"]
    assert os.pread(fd, end - start, start) == data[b0:b1]
    files.close()
    assert not files.spans
    with pytest.raises(OSError):
        os.fstat(fd)


def test_the_index_copies_neighbouring_spans_of_one_file_at_once(tmp_path: Path, monkeypatch) -> None:
    from crmgen.accel import incremental

    one, two = tmp_path / "one", tmp_path / "two"
    one.write_bytes(b"[1],[2],[3]")
    two.write_bytes(b"[4],[5]")
    copies = []
    real = incremental._copy_range
    monkeypatch.setattr(incremental, "_copy_range", lambda *a: copies.append(a[2:]) or real(*a))
    fd1, fd2 = os.open(one, os.O_RDONLY), os.open(two, os.O_RDONLY)
    out = tmp_path / "index"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT)
    try:
        incremental._write_index(fd, b"{", [(fd1, 0, 3), (fd1, 4, 7), b"[x]", (fd2, 4, 7), (fd1, 8, 11), (fd2, 0, 3)])
    finally:
        for f in (fd, fd1, fd2):
            os.close(f)
    assert out.read_bytes() == b"{[1],[2],[x],[5],[3],[4]]}"
    assert copies == [(0, 7), (4, 3), (8, 3), (0, 3)]  # [1],[2] in one copy; other files' spans never joined
