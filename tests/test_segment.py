"""Search segmentation: the memo answers like jieba, and a rebuild does not load jieba for known text."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmgen.accel import segment
from crmgen.load.project import load_project
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
        f"import jieba, sys; sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r}); from crmgen.accel import segment; "
        "j = segment.load_jieba(); t = jieba.dt; print(t.initialized, len(t.FREQ), t.total, "
        "'/'.join(jieba.cut('重庆华东润滑油有限公司')))"
    )
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
    assert (load_project(book).cache_dir / segment.MEMO_FILE).is_file()

    def no_jieba():
        raise AssertionError("jieba was needed for text the memo knows")

    monkeypatch.setattr(segment, "load_jieba", no_jieba)
    path = book / "clients" / "alpha.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-20 call: follow-up\n\nAll fine.\n",
                    encoding="utf-8")
    build(book, site)  # an English-only edit: every Chinese text is known
    monkeypatch.undo()

    # the same site as a build that starts with no memo at all
    (load_project(book).cache_dir / segment.MEMO_FILE).unlink()
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
    assert not isinstance(search.jieba, segment.Memo)


# --- the dictionary index: jieba's answers without loading jieba's dictionary ------------------

ROOT = str(Path(__file__).resolve().parent.parent)
SENTENCES = [
    "华东润滑油有限公司的采购经理说冬季品要补货",
    "重庆长安汽车股份有限公司客户回访：合同已签，返利按季度结算。",
    "深圳市腾飞电子科技有限公司投诉售后响应太慢，要求48小时内上门。",
    "上海浦东新区张江高科技园区的王经理下周三来访，带PPT和报价单v2.3",
    "北京京东世纪贸易有限公司采购部李娜：年框合同续签，返点3%，账期60天",
    "杭州阿里巴巴网络技术有限公司 API对接 测试通过 OK!!",
    "广州白云山医药集团股份有限公司要求开具增值税专用发票，税率13%。",
    "成都蜀都火锅连锁店老板抱怨送货延迟，已安排售后专员张伟跟进处理",
    "南京金陵石化 润滑油 客户回访 合同 返利 投诉 售后",
    "苏州工业园区三星半导体有限公司SMT产线需要200桶切削液，月底前到货",
    "武汉钢铁（集团）公司：去年12月欠款￥1,234,567.89未结清……",
    "仓库反映托盘包装有两桶外漆刮花。",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "他来到了网易杭研大厦",
    "我来到北京清华大学",
    "乒乓球拍卖完了",
    "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
    "结婚的和尚未结婚的",
    "Alpha Trading 的 Bob Smith 说 Q3 订单 +15%，email: bob@example.com",
    "徐州 / 连云港 / 淮安：三地经销商大会 2026-11-20 09:30 举行",
    "客户说“质量没问题，但价格要再谈”，下次带样品。",
    "一二三四五六七八九十百千万亿",
    "",
    "   ",
    "abc def 123",
    "鼋鼍蘡薁龘靐齉",  # rare characters: few or no words start with them
]
COMMON_HAN = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可里"
    "后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从"
    "动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给"
    "等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入"
    "先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感"
    "金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林"
    "题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往"
    "展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李"
    "息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单油润"
    "滑客户访返售投诉货款订单价格采购销供应"
)


@pytest.fixture(scope="module")
def real():
    """The real default tokenizer, its whole dictionary loaded."""
    return segment.load_jieba().dt


@pytest.fixture(scope="module")
def index_dir(real, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A jieba temp dir: a copy of jieba's cache and an index of the loaded dictionary."""
    where = _jieba_dir(tmp_path_factory.mktemp("cache"))
    shutil.copyfile(os.path.join(real.tmp_dir or tempfile.gettempdir(), "jieba.cache"), where / "jieba.cache")
    assert segment.write_index(real.FREQ, real.total, *segment.index_key(str(where)))
    return where


@pytest.fixture(scope="module")
def lazy(index_dir: Path):
    tokenizer = segment.open_index(str(index_dir))
    assert tokenizer is not None and tokenizer.FREQ is not None
    return tokenizer


@pytest.mark.parametrize("text", SENTENCES)
def test_the_index_segments_like_jieba(lazy, real, text: str) -> None:
    import jieba

    assert list(lazy.cut(text)) == list(jieba.cut(text))
    assert list(lazy.cut(text.encode())) == list(jieba.cut(text.encode()))  # what Material passes
    assert lazy.total == real.total and not isinstance(lazy.FREQ, dict)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=COMMON_HAN + "abcXYZ0189 .,-_%#&+，。、！？：（）\n", max_size=80))
def test_the_index_segments_random_text_like_jieba(lazy, real, text: str) -> None:
    assert list(lazy.cut(text)) == list(real.cut(text))


def test_the_index_answers_what_the_dictionary_holds(lazy, real) -> None:
    rng = random.Random(7)
    words = rng.sample(sorted(real.FREQ), 3000)
    misses = ["".join(rng.choice(COMMON_HAN) for _ in range(rng.randint(1, 5))) for _ in range(3000)]
    for word in [*words, *misses, "", "x", "润滑油"]:
        assert (word in lazy.FREQ) == (word in real.FREQ), word
        assert lazy.FREQ.get(word) == real.FREQ.get(word), word
        assert lazy.FREQ.get(word, -1) == real.FREQ.get(word, -1), word
        if word in real.FREQ:
            assert lazy.FREQ[word] == real.FREQ[word]
    assert any(real.FREQ[w] == 0 for w in words)  # prefixes that are not words are in the sample


CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
import jieba
from crmgen.accel import segment
start = time.perf_counter()
words = segment.Memo().cut({text!r}.encode())
took = time.perf_counter() - start
print(json.dumps({{"initialized": jieba.dt.initialized, "words": list(words), "seconds": took}}))
"""


def _jieba_dir(cache_home: Path) -> Path:
    """jieba's cache dir when ``$XDG_CACHE_HOME`` is ``cache_home`` (crmgen.accel.segment puts it there)."""
    where = cache_home / "crmgen" / "jieba"
    where.mkdir(parents=True, exist_ok=True)
    return where


def memo_cut_in_a_fresh_process(jieba_dir: Path, text: str) -> dict:
    """``Memo().cut(text)`` in a new interpreter whose jieba cache dir is ``jieba_dir`` (made by
    :func:`_jieba_dir`: its cache home is two levels up)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(jieba_dir.parent.parent)}
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT, text=text)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_a_new_text_is_segmented_without_loading_the_dictionary(index_dir: Path) -> None:
    import jieba

    text = "东莞市新达润滑油有限公司回访：投诉已处理，返利下月结算，SKU-88补货"
    got = memo_cut_in_a_fresh_process(index_dir, text)
    assert got["words"] == list(jieba.cut(text.encode()))
    assert got["initialized"] is False
    print(f"Memo().cut of a new text from the index: {got['seconds'] * 1000:.1f} ms")


def test_loading_the_dictionary_writes_the_index_for_next_time(real, tmp_path: Path) -> None:
    import jieba

    where = _jieba_dir(tmp_path)
    shutil.copyfile(os.path.join(real.tmp_dir or tempfile.gettempdir(), "jieba.cache"), where / "jieba.cache")
    text = "佛山陶瓷厂采购主管要求售后上门"
    first = memo_cut_in_a_fresh_process(where, text)  # no index yet: the whole dictionary
    assert first["initialized"] is True and first["words"] == list(jieba.cut(text))
    assert os.path.isfile(segment.index_key(str(where))[0])
    again = memo_cut_in_a_fresh_process(where, text)
    assert again["initialized"] is False and again["words"] == first["words"]


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"not an sqlite file at all" * 100)


def _sql(statement: str):
    def damage(path: Path) -> None:
        con = sqlite3.connect(path)
        with con:
            con.execute(statement)
        con.close()
    return damage


def _touch_cache(path: Path) -> None:  # jieba's cache rewritten since: the index is for another dictionary
    cache = path.parent / "jieba.cache"
    st = cache.stat()
    os.utime(cache, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def _stale_name(path: Path) -> None:  # an index for another dictionary under this one's name
    cache = path.parent / "jieba.cache"
    st = cache.stat()
    os.utime(cache, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    os.replace(path, segment.index_key(str(path.parent))[0])


DAMAGES = {
    "missing": Path.unlink,
    "truncated": _truncate,
    "not sqlite": _garbage,
    "half-written (no meta rows)": _sql("DELETE FROM meta"),
    "another key": _sql("UPDATE meta SET value = 'crmgen-jieba-index 0' WHERE name = 'key'"),
    "no total": _sql("DELETE FROM meta WHERE name = 'total'"),
    "jieba's cache changed": _touch_cache,
    "stale, renamed": _stale_name,
}


@pytest.fixture
def damaged_dir(index_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    shutil.copy2(index_dir / "jieba.cache", tmp_path / "jieba.cache")
    index = tmp_path / Path(segment.index_key(str(index_dir))[0]).name
    shutil.copyfile(segment.index_key(str(index_dir))[0], index)
    assert segment.open_index(str(tmp_path)) is not None  # the copy alone is trusted
    request.param(index)
    return tmp_path


@pytest.fixture
def unloaded(monkeypatch: pytest.MonkeyPatch):
    """Memo.cut as in a process that has not loaded the dictionary; ``calls`` counts its loads."""
    import jieba

    calls: list[int] = []

    def load_jieba():
        calls.append(1)
        return jieba  # its dictionary is loaded already

    def use(tmp_dir: Path) -> list[int]:
        fresh = jieba.Tokenizer()
        fresh.tmp_dir = str(tmp_dir)
        monkeypatch.setattr(jieba, "dt", fresh)
        return calls

    monkeypatch.setattr(segment, "load_jieba", load_jieba)
    monkeypatch.setattr(segment, "_lazy", None)
    return use


def test_memo_cut_uses_a_sound_index(index_dir: Path, unloaded) -> None:
    import jieba

    calls = unloaded(index_dir)
    text = "湖南长沙经销商投诉售后，返利合同重签"
    assert segment.Memo().cut(text) == tuple(jieba.cut(text)) and calls == []
    assert jieba.dt.initialized is False and not jieba.dt.FREQ


@pytest.mark.parametrize("damaged_dir", DAMAGES.values(), ids=DAMAGES.keys(), indirect=True)
def test_a_damaged_or_stale_index_is_not_trusted(damaged_dir: Path, unloaded) -> None:
    import jieba

    assert segment.open_index(str(damaged_dir)) is None
    calls = unloaded(damaged_dir)
    text = "湖南长沙经销商投诉售后，返利合同重签"
    assert segment.Memo().cut(text) == tuple(jieba.cut(text)) and calls == [1]  # the real dictionary


@pytest.mark.parametrize("damaged_dir", [_truncate, DAMAGES["half-written (no meta rows)"]],
                         ids=["truncated", "half-written"], indirect=True)
def test_loading_the_dictionary_writes_a_damaged_index_again(damaged_dir: Path, real) -> None:
    class Loaded:  # what load_jieba passes: the loaded default dictionary
        FREQ, total, tmp_dir = real.FREQ, real.total, str(damaged_dir)

    segment._ensure_index(Loaded)
    assert segment.open_index(str(damaged_dir)) is not None


@pytest.mark.parametrize("damaged_dir", [_sql("UPDATE bucket SET words = x'ff00ff' WHERE head = '湖'")],
                         ids=["a damaged row"], indirect=True)
def test_an_index_that_fails_while_cutting_gives_way_to_the_dictionary(damaged_dir: Path, unloaded) -> None:
    import jieba

    assert segment.open_index(str(damaged_dir)) is not None  # its header and meta rows look fine
    calls = unloaded(damaged_dir)
    memo = segment.Memo()
    text = "湖南长沙经销商投诉售后，返利合同重签"
    assert memo.cut(text) == tuple(jieba.cut(text)) and calls == [1]
    assert not os.path.exists(segment.index_key(str(damaged_dir))[0])  # for the next full load to write
    assert memo.cut(text + "。") == tuple(jieba.cut(text + "。")) and calls == [1, 1]


def test_import_jieba_leaves_pkg_resources_out_and_cuts_the_same() -> None:
    code = (
        "import sys, json\n"
        "from crmgen.accel import segment\n"
        "jieba = segment.import_jieba() if sys.argv[1] == 'quick' else __import__('jieba')\n"
        "jieba.setLogLevel(60)\n"
        "words = list(jieba.cut('华东润滑油有限公司的客户回访与返利合同'))\n"
        "print(json.dumps(['pkg_resources' in sys.modules and sys.modules['pkg_resources'] is not None, words]))\n"
    )
    quick, plain = (json.loads(subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True,
                                              check=True).stdout) for mode in ("quick", "plain"))
    assert quick[0] is False
    assert quick[1] == plain[1] and len(quick[1]) > 3
