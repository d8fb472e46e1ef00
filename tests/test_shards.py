"""Big builds are split over chunk processes; the site is the same, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmgen.site import shards
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
    from crmgen.errors import CrmgenError

    site = tmp_path / "site"
    build(many, site)
    before = tree(site)
    monkeypatch.setattr(shards, "SHARD_MIN", 1)

    def boom(*args, **kwargs):  # runs in the chunk's (forked) process
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("crmgen.site.run_mkdocs", boom)
    with pytest.raises(CrmgenError, match="disk on fire"):
        build(many, site, full=True)
    assert tree(site) == before
