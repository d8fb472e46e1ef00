"""Slugs: the file name (and id) of a client, made from its name.

A slug matches ``^[a-z0-9][a-z0-9-]*$``. Latin names are lowercased and their
accents dropped; Chinese names become pinyin, one hyphen-separated part per
word as jieba segments it, so 华东润滑油 becomes ``huadong-runhuayou``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Container
from functools import lru_cache

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FALLBACK = "client"

# Han ideographs (CJK Unified Ideographs, Extension A, Compatibility Ideographs).
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def is_slug(text: str) -> bool:
    """True when ``text`` is a valid client slug."""
    return bool(SLUG_RE.match(text))


@lru_cache(maxsize=1)
def _segmenter():  # pragma: no cover - trivial
    # jieba logs "Building prefix dict..." on stderr at first use; keep the CLI quiet.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _pinyin_words(han: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    words = _segmenter().lcut(han)
    # Passing a whole word lets pypinyin pick the reading of polyphones from its
    # phrase table (重庆 -> chongqing, not zhongqing).
    return ["".join(lazy_pinyin(word, style=Style.NORMAL)) for word in words if word.strip()]


def _latin_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    folded = folded.replace("ß", "ss").replace("æ", "ae").replace("ø", "o").replace("đ", "d")
    return [part for part in _NON_ALNUM.split(folded) if part]


def slugify(name: str) -> str:
    """A slug for a client name: pinyin words for Chinese, lowercase ASCII words otherwise.

    >>> slugify("Acme Trading Co.")
    'acme-trading-co'
    """
    text = unicodedata.normalize("NFKC", name)
    parts: list[str] = []
    pos = 0
    for match in _HAN_RUN.finditer(text):
        parts.extend(_latin_words(text[pos : match.start()]))
        parts.extend(_pinyin_words(match.group()))
        pos = match.end()
    parts.extend(_latin_words(text[pos:]))
    slug = "-".join(p for p in ("".join(_NON_ALNUM.split(p.lower())) for p in parts) if p)
    return slug or FALLBACK


def free_slug(base: str, taken: Container[str]) -> str:
    """``base`` if it is not taken, else the first free ``base-2``, ``base-3``, ..."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
