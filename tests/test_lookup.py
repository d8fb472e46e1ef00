"""Finding a client by slug, name, prefix, part of the name or pinyin initials (crmgen.lookup)."""

from __future__ import annotations

import pytest

from crmgen.format.errors import ExitCode
from crmgen.lookup import Ambiguous, NotFound, find, fold, initials

BOOK = [
    ("hangzhou-hongyun-wujin", "杭州鸿运五金有限公司"),
    ("huadong-runhuayou", "华东润滑油有限公司"),
    ("huadong-baozhuang", "华东包装"),
    ("acme-trading", "Acme Trading Co."),
    ("acme", "ACME Ltd"),
    ("broken-file", ""),
]


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("huadong-runhuayou", "huadong-runhuayou"),  # the slug
        ("huadong-runhuayou.md", "huadong-runhuayou"),  # the file name
        ("acme", "acme"),  # a slug that is also the start of another wins
        ("杭州鸿运五金有限公司", "hangzhou-hongyun-wujin"),  # the whole name
        ("acme trading co.", "acme-trading"),  # case and spaces do not matter
        ("ＡＣＭＥ　Ｌｔｄ", "acme"),  # full-width letters and spaces are folded
        ("杭州", "hangzhou-hongyun-wujin"),  # the start of a name
        ("hang", "hangzhou-hongyun-wujin"),  # the start of a slug
        ("huadong-r", "huadong-runhuayou"),
        ("鸿运", "hangzhou-hongyun-wujin"),  # a part of a name
        ("润滑油", "huadong-runhuayou"),
        ("hzhywjyxgs", "hangzhou-hongyun-wujin"),  # pinyin initials, whole
        ("hdrhy", "huadong-runhuayou"),  # initials, a prefix
        ("HDBZ", "huadong-baozhuang"),
        ("broken-file", "broken-file"),  # a file without a readable name still has its slug
    ],
)
def test_finds_the_one_client_meant(query: str, slug: str) -> None:
    assert find(query, BOOK) == slug


@pytest.mark.parametrize(
    ("query", "how", "slugs"),
    [
        ("华东", "starts the slug or name of", ["huadong-baozhuang", "huadong-runhuayou"]),
        ("huadong", "starts the slug or name of", ["huadong-baozhuang", "huadong-runhuayou"]),
        ("有限公司", "is part of the name of", ["hangzhou-hongyun-wujin", "huadong-runhuayou"]),
        ("hd", "starts the initials of", ["huadong-baozhuang", "huadong-runhuayou"]),
    ],
)
def test_several_matches_are_listed_and_exit_2(query: str, how: str, slugs: list[str]) -> None:
    with pytest.raises(Ambiguous) as info:
        find(query, BOOK)
    assert [s for s, _ in info.value.matches] == slugs
    assert info.value.exit_code == ExitCode.USAGE
    message = str(info.value)
    assert message.startswith(f"'{query}' {how} {len(slugs)} clients: ")
    assert all(s in message for s in slugs) and message.endswith("give the slug of one")


def test_an_ambiguous_step_does_not_fall_through_to_a_later_one() -> None:
    # "ac" starts two slugs; that it is also nobody's initials does not matter
    with pytest.raises(Ambiguous):
        find("ac", BOOK)


def test_a_long_list_of_candidates_is_cut() -> None:
    book = [(f"shop-{i:02d}", f"商店{i}") for i in range(20)]
    with pytest.raises(Ambiguous) as info:
        find("shop", book)
    assert "and 12 more" in str(info.value) and len(info.value.matches) == 20


@pytest.mark.parametrize("query", ["zz", "深圳", "", "  ", "huadong-runhuayou-2"])
def test_nothing_matches(query: str) -> None:
    with pytest.raises(NotFound):
        find(query, BOOK)


def test_initials_of_han_latin_and_mixed_names() -> None:
    assert initials("华东润滑油") == "hdrhy"
    assert initials("重庆火锅") == "cqhg"  # the phrase's reading of a polyphone, not zhong
    assert initials("Acme Trading Co.") == "atc"
    assert initials("TCL 中国 2号店") == "tzg2hd"
    assert initials("ＴＣＬ电子") == "tdz"  # full-width is folded first


def test_fold() -> None:
    assert fold(" Acme  Trading ") == "acmetrading"
    assert fold("ＡＢＣ") == "abc"
