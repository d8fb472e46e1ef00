"""Slugs from client names: pinyin per word for Chinese, ASCII words otherwise."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmgen import slugs
from crmgen.slugs import SLUG_RE, free_slug, is_slug, slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("华东润滑油", "huadong-runhuayou"),
        ("重庆银行", "chongqing-yinhang"),  # polyphone 重 read as chong in 重庆
        ("绿地集团", "lvdi-jituan"),  # ü written as v, ASCII only
        ("Acme Trading Co.", "acme-trading-co"),
        ("Müller GmbH & Co. KG", "muller-gmbh-co-kg"),
        ("中国电信 System 集成", "zhongguodianxin-system-jicheng"),
        ("３Ｍ中国", "3m-zhongguo"),  # full-width letters and digits
        ("  Pacific  Shield  ", "pacific-shield"),
        ("!!!", "client"),
        ("", "client"),
    ],
)
def test_slugify_examples(name: str, slug: str) -> None:
    assert slugify(name) == slug


@given(st.text(max_size=30))
@settings(max_examples=150, deadline=None)
def test_slugify_always_gives_a_valid_slug(name: str) -> None:
    slug = slugify(name)
    assert SLUG_RE.match(slug), slug
    assert not slug.endswith("-") and "--" not in slug


def test_free_slug_counts_up_from_two() -> None:
    assert free_slug("acme", set()) == "acme"
    assert free_slug("acme", {"acme"}) == "acme-2"
    assert free_slug("acme", {"acme", "acme-2", "acme-3"}) == "acme-4"


def test_is_slug() -> None:
    assert is_slug("huadong-runhuayou")
    assert is_slug("3m")
    assert not is_slug("-acme")
    assert not is_slug("Acme")
    assert not is_slug("华东")


# --- the memo kept between builds ---------------------------------------------------

NAMES = ["华东润滑油", "重庆银行", "Acme Trading Co.", "陈伟", "Müller GmbH & Co. KG", "３Ｍ中国"]


def _fresh(script: str, *args: str) -> str:
    """Run ``script`` in a new interpreter (an empty memo, jieba not loaded yet)."""
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return done.stdout


def test_a_saved_memo_gives_the_same_slugs_without_loading_jieba(tmp_path):
    memo = tmp_path / "cache" / slugs.MEMO_FILE
    expected = [slugify(n) for n in NAMES]
    script = (
        "import json, sys\nfrom pathlib import Path\nfrom crmgen import slugs\n"
        "memo = Path(sys.argv[1]); names = json.loads(sys.argv[2])\n"
        "loaded = slugs.load_memo(memo)\n"
        "out = [slugs.slugify(n) for n in names]\n"
        "print(json.dumps({'loaded': loaded, 'slugs': out, 'jieba': 'jieba' in sys.modules,"
        " 'wrote': slugs.save_memo(memo)}))\n"
    )
    first = json.loads(_fresh(script, str(memo), json.dumps(NAMES)))
    assert first["slugs"] == expected and first["jieba"] and first["wrote"] and first["loaded"] == 0
    second = json.loads(_fresh(script, str(memo), json.dumps(NAMES)))
    assert second["slugs"] == expected
    assert not second["jieba"]  # every name came from the memo
    assert second["loaded"] == len(NAMES) and not second["wrote"]  # nothing new: not rewritten


def test_a_memo_from_other_versions_or_damaged_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setattr(slugs, "_MEMO", {})
    path = tmp_path / slugs.MEMO_FILE
    path.write_text(json.dumps({"key": "rules=0 jieba=0 pypinyin=0", "slugs": {"华东": "wrong"}}), encoding="utf-8")
    assert slugs.load_memo(path) == 0
    path.write_text("{not json", encoding="utf-8")
    assert slugs.load_memo(path) == 0
    assert slugs.load_memo(tmp_path / "missing.json") == 0
    path.write_text(json.dumps({"key": slugs._memo_key(), "slugs": {"华东": "../etc", "x": "fine-slug"}}),
                    encoding="utf-8")
    assert slugs.load_memo(path) == 1  # a slug that is not a slug is not taken
    assert slugify("华东") == "huadong"


def test_names_no_longer_used_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(slugs, "_MEMO", {f"old {i}": f"old-{i}" for i in range(1500)})
    monkeypatch.setattr(slugs, "_USED", set())
    monkeypatch.setattr(slugs, "_STATE", {"dirty": False})
    assert slugify("Acme") == "acme"
    path = tmp_path / slugs.MEMO_FILE
    assert slugs.save_memo(path)
    assert json.loads(path.read_text(encoding="utf-8"))["slugs"] == {"Acme": "acme"}


def test_a_chinese_name_is_slugged_without_loading_jiebas_dictionary() -> None:
    from crmgen.accel import segment

    segment.load_jieba()  # writes the dictionary's index if this machine has none yet
    code = ("import json, jieba\n"
            "from crmgen.slugs import slugify\n"
            "print(json.dumps([slugify('华东润滑油有限公司'), slugify('重庆火锅城'), jieba.dt.initialized]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    *slugs_, loaded = json.loads(out)
    assert loaded is False
    assert slugs_ == [slugify("华东润滑油有限公司"), slugify("重庆火锅城")]
    assert slugs_[1].startswith("chongqing")


def test_a_save_keeps_the_names_the_project_has_even_when_this_run_used_none(tmp_path, monkeypatch):
    names = [f"客户{i}号" for i in range(1500)]
    monkeypatch.setattr(slugs, "_MEMO", {n: f"kehu-{i}" for i, n in enumerate(names)})
    monkeypatch.setattr(slugs, "_USED", set())
    monkeypatch.setattr(slugs, "_STATE", {"dirty": False})
    path = tmp_path / slugs.MEMO_FILE
    slugs.save_memo(path, keep=names[:1400])  # 100 clients renamed away; this run slugified nothing
    kept = json.loads(path.read_text(encoding="utf-8"))["slugs"]
    assert set(kept) == set(names)  # 100 stale names do not outnumber 1,400: nothing dropped
    slugs.save_memo(path, keep=names[:200])  # most names gone from the project: they go
    assert set(json.loads(path.read_text(encoding="utf-8"))["slugs"]) == set(names[:200])
