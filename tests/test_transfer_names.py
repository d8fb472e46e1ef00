"""split_name: family and given names for vCard N, by the documented rule in crmgen.transfer.names."""

from __future__ import annotations

import pytest

from crmgen.transfer.names import COMPOUND_SURNAMES, PINYIN_SURNAMES, is_pinyin, split_name


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        # compound surnames: the first two characters
        ("欧阳娜娜", "欧阳", "娜娜"), ("司马光", "司马", "光"), ("上官婉儿", "上官", "婉儿"), ("诸葛亮", "诸葛", "亮"),
        ("东方明", "东方", "明"), ("皇甫嵩", "皇甫", "嵩"), ("尉迟恭", "尉迟", "恭"), ("公孙策", "公孙", "策"),
        ("慕容复", "慕容", "复"), ("长孙无忌", "长孙", "无忌"), ("宇文泰", "宇文", "泰"), ("司徒雷登", "司徒", "雷登"),
        ("夏侯惇", "夏侯", "惇"), ("令狐冲", "令狐", "冲"), ("歐陽娜娜", "歐陽", "娜娜"), ("欧阳 娜娜", "欧阳", "娜娜"),
        # a compound surname alone is a one-character family name and a given name
        ("欧阳", "欧", "阳"),
        # single surnames
        ("王伟", "王", "伟"), ("张小明", "张", "小明"), ("王 伟", "王", "伟"), ("司伟", "司", "伟"),
        ("马", "马", ""), ("华东润滑油厂", "华东润滑油厂", ""),
        # a middle dot: the last part is the family name
        ("迈克尔·杰克逊", "杰克逊", "迈克尔"), ("阿沛·阿旺晋美", "阿旺晋美", "阿沛"),
        # pinyin: Chinese order when the first word is a surname and every word is pinyin
        ("Zhang Min", "Zhang", "Min"), ("Ouyang Nana", "Ouyang", "Nana"), ("Wang Xiao Ming", "Wang", "Xiao Ming"),
        ("Li Xiao-Ming", "Li", "Xiao-Ming"), ("Zhāng Mǐn", "Zhāng", "Mǐn"), ("Lü Bu", "Lü", "Bu"),
        ("Lin Dan", "Lin", "Dan"),
        # ...Western otherwise
        ("Min Zhang", "Zhang", "Min"), ("John Smith", "Smith", "John"), ("Lin Carter", "Carter", "Lin"),
        ("Mary Ann Lee", "Lee", "Mary Ann"), ("Zhang Min Ling Hua", "Hua", "Zhang Min Ling"),
        # capitals and commas say which
        ("ZHANG Min", "ZHANG", "Min"), ("Min ZHANG", "ZHANG", "Min"), ("Smith, John", "Smith", "John"),
        ("JOHN SMITH", "SMITH", "JOHN"),
        ("Cher", "Cher", ""), ("", "", ""),
    ],
)
def test_split_name(name: str, family: str, given: str) -> None:
    assert split_name(name) == (family, given)


def test_every_listed_compound_surname_splits_after_two_characters() -> None:
    assert len(COMPOUND_SURNAMES) >= 60
    for surname in COMPOUND_SURNAMES:
        assert split_name(surname + "明") == (surname, "明")


def test_pinyin_syllables() -> None:
    assert all(is_pinyin(w) for w in ("xiaoming", "Xi'an", "zhuang", "er", "Lüe", "nv", "Shangguan"))
    assert not any(is_pinyin(w) for w in ("Carter", "John", "Smith", "bong", "x", "", "Zhang1"))
    assert all(is_pinyin(s) for s in PINYIN_SURNAMES)
