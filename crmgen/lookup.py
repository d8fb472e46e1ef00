"""Finding a client from what a salesperson types: a slug, a name, a prefix, pinyin initials.

Pure: :func:`find` takes the book as ``(slug, name)`` pairs and answers with the one
slug meant, or raises :class:`NotFound` / :class:`Ambiguous`. The steps, first that
matches wins (case, width and spaces do not matter):

1. the slug itself (``huadong-runhuayou``), or the file name (``huadong-runhuayou.md``);
2. the whole name (``华东润滑油``, ``Acme Trading Co.``);
3. a prefix of a slug or a name (``huadong``, ``华东``, ``acme``);
4. a part of a name (``鸿运`` for 杭州鸿运五金有限公司): Chinese names rarely start with
   the word people call the client by;
5. the pinyin initials of a name, whole or a prefix (``hdrhy``, ``hd``), the initial of
   each Han character and of each Latin word.

A step that finds several clients does not fall through to the next: the candidates
are listed, for the user to pick one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence

from crmgen.format.errors import CrmgenError, ExitCode

Entry = tuple[str, str]  # (slug, name)
SHOWN = 8  # candidates listed at most


class NotFound(CrmgenError):
    """No client matches (exit 1, as before: the client may need creating)."""


class Ambiguous(CrmgenError):
    """Several clients match; the message lists them."""

    exit_code = ExitCode.USAGE

    def __init__(self, query: str, how: str, matches: Sequence[Entry]) -> None:
        shown = "; ".join(f"{slug} ({name})" if name else slug for slug, name in matches[:SHOWN])
        more = f"; and {len(matches) - SHOWN} more" if len(matches) > SHOWN else ""
        super().__init__(f"'{query}' {how} {len(matches)} clients: {shown}{more}; give the slug of one")
        self.matches = list(matches)


def fold(text: str) -> str:
    """Text as it is compared: NFKC (full-width letters become ASCII), casefolded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def initials(name: str, pinyin: Callable[[str], list[str]] | None = None) -> str:
    """The initials of a name: one letter per Han character (its pinyin's first letter) and one
    per Latin word or run of digits. ``pinyin`` maps a Han run to its syllables (default: pypinyin).

    >>> initials("Acme Trading Co.", pinyin=lambda han: [])
    'atc'
    """
    if pinyin is None:
        pinyin = _pypinyin
    out: list[str] = []
    word = False  # inside a Latin word
    han = ""
    for ch in unicodedata.normalize("NFKC", name) + " ":
        if _is_han(ch):
            han += ch
            word = False
            continue
        if han:
            out.extend(s[0] for s in pinyin(han) if s)
            han = ""
        if ch.isalnum():
            if not word:
                out.append(ch.casefold())
            word = True
        else:
            word = False
    return "".join(out)


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _pypinyin(han: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(han, style=Style.NORMAL)


def find(query: str, entries: Iterable[Entry], pinyin: Callable[[str], list[str]] | None = None) -> str:
    """The slug of the one client ``query`` names (see the module's steps)."""
    book = list(entries)
    q = fold(query.removesuffix(".md") if query.endswith(".md") else query)
    if not q:
        raise NotFound("give a client: its slug, its name, or the start of either")
    for slug, _ in book:
        if slug == q:
            return slug
    folded = [(slug, name, fold(name)) for slug, name in book]
    steps: list[tuple[str, Callable[[str, str], bool]]] = [
        ("is the name of", lambda slug, name: name == q),
        ("starts the slug or name of", lambda slug, name: slug.startswith(q) or name.startswith(q)),
        ("is part of the name of", lambda slug, name: q in name),
    ]
    for how, test in steps:
        found = [(slug, name) for slug, name, f in folded if test(slug, f)]
        if len(found) == 1:
            return found[0][0]
        if found:
            raise Ambiguous(query, how, sorted(found))
    if q.isascii() and q.isalpha():
        marks = [(slug, name, initials(name, pinyin)) for slug, name in book]
        for how, exact in (("is the initials of", True), ("starts the initials of", False)):
            found = [(slug, name) for slug, name, m in marks if (m == q if exact else m.startswith(q))]
            if len(found) == 1:
                return found[0][0]
            if found:
                raise Ambiguous(query, how, sorted(found))
    raise NotFound(f"no client '{query}' (not a slug, a name, the start or part of a name, or pinyin initials)")
