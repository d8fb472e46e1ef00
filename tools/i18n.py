"""Keep crmgen's message catalogues in step with the code (Babel; a developer's tool, not crmgen's).

    python tools/i18n.py update   # extract the marked strings, merge them into every language's
                                  # .po (translations kept, new ones empty), compile the .mo files
    python tools/i18n.py check    # exit 1 naming every message without a translation, a
                                  # translation whose %(placeholders)s differ, or a stale .mo

Messages are the strings marked in crmgen's Python (``_``, ``N_``, ``ngettext``, ``pgettext``,
``C_``) and templates (``_``, ``gettext``, ``ngettext``, ``pgettext``, ``{% trans %}``); see
crmgen/i18n.py. ``crmgen/locale/crmgen.pot`` is the template a translator starts a new language
from; ``crmgen/locale/<lang>/LC_MESSAGES/crmgen.po`` holds the translations and ``crmgen.mo`` is
what crmgen reads. Translations written on the side in ``crmgen/locale/<lang>/LC_MESSAGES/parts/*.po``
(several people at once, each their own file) are taken into the ``.po`` by every ``update`` (they
win over it); ``python tools/i18n.py fold`` does the same and then removes them.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crmgen"
LOCALE = PACKAGE / "locale"
DOMAIN = "crmgen"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "C_": ((1, "c"), 2),
}
METHODS = [
    ("**/accel/**.py", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.j2", "jinja2.ext:babel_extract"),
    ("**/templates/mkdocs/**.html", "jinja2.ext:babel_extract"),
]
OPTIONS = {"**/templates/**": {"extensions": "jinja2.ext.do", "trimmed": "true"}}
LANGUAGE_NAMES = {"zh": "Chinese (Simplified)"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|\{(\w+)\}")


def extract() -> Catalog:
    """Every message marked in crmgen's sources, with the files it is in (no line numbers: the
    catalogue does not change when code moves)."""
    catalog = Catalog(project="crmgen", domain=DOMAIN, charset="utf-8")
    for filename, _lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), METHODS, OPTIONS, KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        catalog.add(message, None, [(f"crmgen/{filename}", None)], auto_comments=comments, context=context)
    return catalog


def languages() -> list[str]:
    return sorted(p.name for p in LOCALE.iterdir() if (p / "LC_MESSAGES").is_dir())


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, language: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=language, domain=DOMAIN)


def _write_po(catalog: Catalog, path: Path) -> None:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, include_lineno=False, sort_output=True)
    # No dates: an update that changes no message changes no byte.
    text = re.sub(rb'"(POT-Creation|PO-Revision)-Date: [^"]*\\n"\n', b"", out.getvalue())
    path.write_bytes(text)


def _describe(catalog: Catalog, language: str) -> None:
    catalog.project, catalog.version = "crmgen", "1"
    catalog.header_comment = (f"# {LANGUAGE_NAMES.get(language, language)} messages of crmgen: see tools/i18n.py.\n"
                              "# This file is distributed under the same license as crmgen (MIT).")
    catalog.copyright_holder = "the crmgen authors"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = catalog.language_team = f"crmgen ({language})"
    catalog.fuzzy = False


def _messages(mo: bytes) -> dict[Any, str]:
    """What a compiled catalogue translates (its header, which carries the day it was compiled, aside)."""
    import gettext

    found = gettext.GNUTranslations(io.BytesIO(mo))._catalog  # type: ignore[attr-defined]
    return {k: v for k, v in found.items() if k != ""}


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update(fold: bool = False) -> None:
    template = extract()
    LOCALE.mkdir(exist_ok=True)
    _write_po(template, LOCALE / f"{DOMAIN}.pot")
    for language in languages():
        path = po_path(language)
        catalog = read(path, language) if path.is_file() else Catalog(locale=language, domain=DOMAIN)
        parts = sorted((path.parent / "parts").glob("*.po"))
        for part in parts:
            for message in read(part, language):
                if message.id and message.string:
                    known = catalog.get(message.id, message.context)
                    if known is None:
                        catalog[message.id] = message  # keyed by (id, message.context)
                    else:  # setting an existing key would keep its old translation
                        known.string = message.string
                        known.flags.discard("fuzzy")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _describe(catalog, language)
        _write_po(catalog, path)
        path.with_suffix(".mo").write_bytes(mo_bytes(read(path, language)))
        if fold:
            for part in parts:
                part.unlink()
            if parts:
                (path.parent / "parts").rmdir()
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages, {len(missing(catalog))} without a translation")


def missing(catalog: Catalog) -> list[str]:
    return [_name(m) for m in catalog if m.id and (not _strings(m) or m.fuzzy)]


def _strings(message) -> bool:  # type: ignore[no-untyped-def]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def _name(message) -> str:  # type: ignore[no-untyped-def]
    ident = message.id[0] if isinstance(message.id, tuple) else message.id
    return f"{message.context}|{ident}" if message.context else ident


def problems(language: str) -> list[str]:
    """What is wrong with ``language``'s catalogue against the sources as they are."""
    path = po_path(language)
    out: list[str] = []
    if not path.is_file():
        return [f"{path.relative_to(ROOT)}: no catalogue"]
    catalog = read(path, language)
    have = {(m.id if not isinstance(m.id, tuple) else m.id[0], m.context) for m in catalog if m.id}
    for m in extract():
        if not m.id:
            continue
        ident = m.id[0] if isinstance(m.id, tuple) else m.id
        if (ident, m.context) not in have:
            out.append(f"{path.relative_to(ROOT)}: not in the catalogue: {_name(m)!r} (run python tools/i18n.py update)")
    for m in catalog:
        if m.id and (not _strings(m) or m.fuzzy):
            where = ", ".join(sorted({f for f, _ in m.locations}))
            out.append(f"{path.relative_to(ROOT)}: no translation: {_name(m)!r} (in {where})")
    for m in catalog:
        if not m.id or not _strings(m):
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) - wanted or (len(ids) == 1 and set(PLACEHOLDER.findall(s)) != wanted):
                out.append(f"{path.relative_to(ROOT)}: placeholders differ: {_name(m)!r} -> {s!r}")
    mo = path.with_suffix(".mo")
    if not mo.is_file() or _messages(mo.read_bytes()) != _messages(mo_bytes(catalog)):
        out.append(f"{mo.relative_to(ROOT)}: not compiled from {path.name} (run python tools/i18n.py update)")
    return out


def main(argv: list[str]) -> int:
    if argv in (["update"], ["fold"]):
        update(fold=argv == ["fold"])
        return 0
    if argv == ["check"]:
        found = [p for language in languages() for p in problems(language)]
        print("\n".join(found) or "catalogues complete")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
