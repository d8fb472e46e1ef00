"""Search segmentation: the memo answers like jieba, and a rebuild does not load jieba for known text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crmgen import segment
from tests.conftest import write_client
from tests.test_incremental import build, client_text, tree

TEXT = "华东润滑油有限公司的采购经理说冬季品要补货".encode()


def test_memo_answers_what_jieba_answers_and_remembers(tmp_path: Path) -> None:
    import jieba

    memo = segment.Memo()
    first = memo.cut(TEXT)
    assert list(first) == list(jieba.cut(TEXT))
    assert memo.new == {TEXT: first} and memo.used == {TEXT}
    path = tmp_path / "memo.pickle"
    memo.save(path, prune=False)
    again = segment.Memo.load(path)
    assert again.cut(TEXT) == first and not again.new  # from the memo


def test_pruned_memo_keeps_only_what_was_used(tmp_path: Path) -> None:
    memo = segment.Memo({b"old": ("old",)})
    memo.cut("润滑油".encode())
    path = tmp_path / "memo.pickle"
    memo.save(path, prune=True)
    assert set(segment.Memo.load(path).known) == {"润滑油".encode()}


def test_unreadable_memo_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "memo.pickle"
    path.write_bytes(b"not a pickle")
    assert segment.Memo.load(path).known == {}


def test_fast_dictionary_load_segments_like_jieba() -> None:
    code = (
        "import jieba, sys; sys.path.insert(0, {root!r}); from crmgen import segment; "
        "j = segment.load_jieba(); t = jieba.dt; print(t.initialized, len(t.FREQ), t.total, "
        "'/'.join(jieba.cut('重庆华东润滑油有限公司')))"
    ).format(root=str(Path(__file__).resolve().parent.parent))
    fast = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    slow = subprocess.run(
        [sys.executable, "-c", "import jieba; jieba.setLogLevel(60); jieba.initialize(); t = jieba.dt; "
         "print(t.initialized, len(t.FREQ), t.total, '/'.join(jieba.cut('重庆华东润滑油有限公司')))"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert fast == slow and fast.startswith("True ")


@pytest.fixture
def book(project: Path) -> Path:
    write_client(project, "alpha", client_text("Alpha Trading", extra="仓库反映托盘包装有两桶外漆刮花。\n"))
    write_client(project, "beta", client_text("华东润滑油", "A", referred_by="alpha"))
    return project


def test_a_rebuild_with_known_text_needs_no_jieba_and_gives_the_same_site(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    build(book, site)
    assert (book / ".crmgen" / "cache" / segment.MEMO_FILE).is_file()

    def no_jieba():
        raise AssertionError("jieba was needed for text the memo knows")

    monkeypatch.setattr(segment, "load_jieba", no_jieba)
    path = book / "clients" / "alpha.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-20 call: follow-up\n\nAll fine.\n",
                    encoding="utf-8")
    build(book, site)  # an English-only edit: every Chinese text is known
    monkeypatch.undo()

    # the same site as a build that starts with no memo at all
    (book / ".crmgen" / "cache" / segment.MEMO_FILE).unlink()
    fresh = tmp_path / "fresh"
    build(book, fresh, full=True)
    a, b = tree(site), tree(fresh)
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel] == b[rel], rel
    assert "\u200b" in b["search/search_index.json"].decode("unicode_escape")  # Chinese was segmented


def test_material_gets_the_real_jieba_back_after_a_build(book: Path, tmp_path: Path) -> None:
    from material.plugins.search import plugin as search

    build(book, tmp_path / "site")
    assert not isinstance(search.jieba, segment.Memo) and segment.CURRENT is None
