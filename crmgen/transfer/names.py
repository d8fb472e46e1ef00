"""A person's name split into family and given name, for the vCard ``N`` property.

The rule (what ``crmgen export --format vcf`` writes):

1. **Chinese characters.** Spaces are dropped (王 伟 is 王伟). The family name is the
   first two characters when they are one of the compound surnames in
   :data:`COMPOUND_SURNAMES` and at least one character follows (欧阳娜娜 is 欧阳 + 娜娜,
   司马光 is 司马 + 光); otherwise the first character (王伟, 张小明), for names of 2 to 4
   characters. A name with a middle dot (迈克尔·杰克逊, 阿沛·阿旺晋美) ends with its
   family name, as transliterated and minority names do. Anything else (one
   character, five or more without a dot) is all family name.
2. **Latin letters.** ``Smith, John`` is family, given. A word in capitals among
   words that are not (``ZHANG Min``, ``Min ZHANG``) is the family name, as
   passports and business cards write it. A name of two or three words that are all
   pinyin and whose first word is a common Chinese surname in pinyin
   (:data:`PINYIN_SURNAMES`: Zhang Min, Ouyang Nana, Wang Xiao Ming) is in Chinese
   order: family first. Every other name is in Western order: the last word is
   the family name (John Smith, Min Zhang, Lin Carter).

A name that is both (Lin Dan could be Western) is read the Chinese way: crmgen's
users mostly write Chinese names. Write ``LIN Dan`` or ``Dan LIN`` to say which.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The compound surnames of the Hundred Family Surnames (百家姓) and the common others,
# in simplified and traditional characters.
COMPOUND_SURNAMES = frozenset("""
欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳
公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙
壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 梁丘 左丘
东门 西门 第五 公仪 公乘 南荣 即墨 达奚 褚师
歐陽 司馬 東方 獨孤 南宮 聞人 諸葛 尉遲 赫連 澹臺 濮陽 公孫 鍾離 長孫 鮮于 司寇 閭丘 顓孫 壤駟
樂正 穀梁 軒轅 呼延 東郭 東門 西門 宇文 司徒 慕容 夏侯 皇甫 上官 令狐 端木 公羊
""".split())

# Common Chinese surnames in pinyin (the most frequent hundred, and the compound ones above).
PINYIN_SURNAMES = frozenset("""
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie
song tang han feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai ye du cheng wei su lu lv
ding ren shen yao cui zhong tan fan jin shi liao jia xia fu fang bai zou meng xiong qin qiu yin xue
yan duan lei hou long tao gu mao hao gong shao wan qian dai mo kong xiang chang qi yi zhan kang niu
ouyang sima shangguan zhuge dongfang huangfu yuchi gongsun murong zhangsun yuwen situ xiahou linghu
duanmu nangong
""".split())

# Every syllable of Mandarin in pinyin without tones (ü written v, u or yu as people type it).
_SYLLABLES = frozenset("""
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao
ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui
chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die
ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga gai gan
gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen
heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju
juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai
lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun luo lv lve
lue lyu ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang
nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nun nuo nv nve nue nyu o ou
pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin
qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai
san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan
shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie
ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin
xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan
zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai
zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
""".split())
_LONGEST = max(len(s) for s in _SYLLABLES)

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_DOTS = re.compile(r"\s*[·・•‧.]\s*")


def is_pinyin(word: str) -> bool:
    """Whether ``word`` is one or more pinyin syllables (Xiaoming, Xiao-Ming, Xi'an, Lü)."""
    text = unicodedata.normalize("NFKD", word.casefold().replace("ü", "v"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))  # tone marks: Zhāng
    text = re.sub(r"['’\-]", "", text)
    return bool(text) and text.isascii() and text.isalpha() and _segments(text)


@lru_cache(maxsize=4096)
def _segments(text: str) -> bool:
    if not text:
        return True
    return any(text[:n] in _SYLLABLES and _segments(text[n:])
               for n in range(min(_LONGEST, len(text)), 0, -1))


def split_name(name: str) -> tuple[str, str]:
    """``(family, given)`` by the module's rule: 欧阳娜娜 -> (欧阳, 娜娜), Zhang Min -> (Zhang, Min)."""
    name = " ".join(name.split())
    if not name:
        return "", ""
    if _HAN.search(name) and not _LATIN.search(name):
        return _split_han(name)
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip()
    words = name.split(" ")
    if len(words) == 1:
        return name, ""
    capitals = [w for w in words if w.isupper() and sum(ch.isalpha() for ch in w) >= 2]
    if len(capitals) == 1 and len(words) > 1:
        family = capitals[0]
        return family, " ".join(w for w in words if w is not family)
    if (len(words) <= 3 and _bare(words[0]) in PINYIN_SURNAMES
            and all(is_pinyin(w) for w in words)):
        return words[0], " ".join(words[1:])
    return words[-1], " ".join(words[:-1])


def _bare(word: str) -> str:
    text = unicodedata.normalize("NFKD", word.casefold().replace("ü", "v"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _split_han(name: str) -> tuple[str, str]:
    if _DOTS.search(name) and not _DOTS.fullmatch(name):
        parts = [p for p in _DOTS.split(name) if p]
        if len(parts) >= 2:
            return parts[-1], "·".join(parts[:-1])
    name = name.replace(" ", "")
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES and len(name) <= 6:
        return name[:2], name[2:]
    if 2 <= len(name) <= 4:
        return name[0], name[1:]
    return name, ""
