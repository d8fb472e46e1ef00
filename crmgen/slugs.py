"""Slugs: the file name (and id) of a client, made from its name.

A slug matches ``^[a-z0-9][a-z0-9-]*$``. Latin names are lowercased and their
accents dropped; Chinese names become pinyin, one hyphen-separated part per
word as jieba segments it, so 华东润滑油 becomes ``huadong-runhuayou``.

Loading jieba's dictionary takes over a second, and a build slugs every owner and
every client name (for sorting by pinyin). :func:`slugify` therefore keeps a memo of
name -> slug; :func:`load_memo` and :func:`save_memo` keep it between builds, in
``.crmgen/cache/``. The memo is keyed by the versions of jieba, pypinyin and this
module's rules, so an upgrade starts it afresh; a memo that cannot be read is ignored.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Container, Iterable
from pathlib import Path

from crmgen.format.errors import warn_damaged

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FALLBACK = "client"

# Han ideographs (CJK Unified Ideographs, Extension A, Compatibility Ideographs).
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def is_slug(text: str) -> bool:
    """True when ``text`` is a valid client slug."""
    return bool(SLUG_RE.match(text))


def _pinyin_words(han: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    from crmgen.accel.segment import cut

    # jieba's words, from its dictionary's index when there is one (crmgen.accel.segment): a new
    # name does not load the 350,000-word dictionary (a third of a second).
    words = cut(han)
    # Passing a whole word lets pypinyin pick the reading of polyphones from its
    # phrase table (重庆 -> chongqing, not zhongqing).
    return ["".join(lazy_pinyin(word, style=Style.NORMAL)) for word in words if word.strip()]


def _latin_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    folded = folded.replace("ß", "ss").replace("æ", "ae").replace("ø", "o").replace("đ", "d")
    return [part for part in _NON_ALNUM.split(folded) if part]


# name -> slug, filled by slugify; names used since the memo was loaded (to prune it).
_MEMO: dict[str, str] = {}
_USED: set[str] = set()
_STATE = {"dirty": False}
# Raise when the rules in this module change: memos made by other rules are dropped.
RULES_VERSION = 1
MEMO_FILE = "slugs.json"


def slugify(name: str) -> str:
    """A slug for a client name: pinyin words for Chinese, lowercase ASCII words otherwise.

    >>> slugify("Acme Trading Co.")
    'acme-trading-co'
    """
    slug = _MEMO.get(name)
    if slug is None:
        slug = _slugify(name)
        _MEMO[name] = slug
        _STATE["dirty"] = True
    _USED.add(name)
    return slug


def _memo_key() -> str:
    """The rules and the one code key (:func:`crmgen.accel.codekey.code_key`: crmgen's code and
    the versions of jieba and pypinyin among its dependencies)."""
    from crmgen.accel.codekey import code_key

    return f"rules={RULES_VERSION} code={code_key()}"


def load_memo(path: Path) -> int:
    """Add the slugs saved at ``path`` (a JSON file) to the memo; returns how many.

    A missing, unreadable or outdated file (other jieba/pypinyin versions) adds none.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        warn_damaged(path, exc)
        return 0
    if not isinstance(data, dict) or data.get("key") != _memo_key() or not isinstance(data.get("slugs"), dict):
        return 0
    added = 0
    for name, slug in data["slugs"].items():
        # Only well-formed slugs: a damaged file must not produce a path like "../x".
        if isinstance(name, str) and isinstance(slug, str) and SLUG_RE.match(slug) and name not in _MEMO:
            _MEMO[name] = slug
            added += 1
    return added


def save_memo(path: Path, keep: Iterable[str] = ()) -> bool:
    """Write the memo to ``path`` atomically if it gained names; returns whether it wrote.

    Names neither used since the memo was loaded nor in ``keep`` (the names the
    project has now: its clients and owners) are dropped once they outnumber the
    others, so renamed clients do not pile up. (Without ``keep``, a build that
    rendered no index page, which is when the names are used, dropped 10,000 names
    that the next edit then had to segment again: 1.4 s.) A write that fails is
    ignored (the memo is a cache).
    """
    path = Path(path)
    live = _USED | set(keep)
    stale = len(_MEMO) - len(live & _MEMO.keys())
    prune = stale > max(len(live), 1000)
    if not _STATE["dirty"] and not prune and path.is_file():
        return False
    if prune:
        for name in [n for n in _MEMO if n not in live]:
            del _MEMO[name]
    slugs = dict(_MEMO)
    text = json.dumps({"key": _memo_key(), "slugs": dict(sorted(slugs.items()))}, ensure_ascii=False, indent=0)
    try:
        from crmgen.fsutil import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode("utf-8"))
    except OSError:
        return False
    _STATE["dirty"] = False
    return True


def _slugify(name: str) -> str:
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
