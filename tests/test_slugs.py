"""Slugs from client names: pinyin per word for Chinese, ASCII words otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
