"""The language crmgen speaks to readers: a gettext catalogue per language, English the default.

Every string crmgen shows a person (the site's headings and labels, reminder titles, the
``due`` listing, ``check``'s summary, the calendar's summaries, reports) is written in
English in the code and marked for translation:

- in Python: ``_("Overdue")``, ``ngettext("%(n)d day", "%(n)d days", n) % {"n": n}``,
  ``pgettext("stage", "customer")``; a string kept in a table is marked with ``N_`` (or
  ``C_(context, message)``) and translated where it is shown;
- in templates: ``{{ _("Contacts") }}``, ``{{ _("Grade %(g)s", g=client.grade) }}`` (Jinja's
  i18n extension, new style: the arguments are escaped, the message is not);
- a value of the file format shown as a word (a stage, an interaction type, a complaint
  step, a reminder kind) through :func:`label`, which keeps the file's own word when the
  catalogue does not know it.

The catalogues are ``crmgen/locale/<lang>/LC_MESSAGES/crmgen.po`` (Babel extracts and
compiles them: ``python tools/i18n.py``, see the README), read at run time from the
compiled ``.mo`` by the standard library's :mod:`gettext`.

What is translated is chosen by the team's ``language`` setting (or the theme's
``language`` in mkdocs.yml): :func:`using` makes it the active language for the code
inside it. The active catalogue is a :class:`~contextvars.ContextVar`, as Django's and
Flask-Babel's active locale are, so each entry point (a build, ``due``, ``check``, a
calendar, a report) says which language it renders in and a thread it starts says so
again. File keys, command names, JSON keys and machine values never change with it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as _gettext
from collections.abc import Iterator
from pathlib import Path

DOMAIN = "crmgen"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
# The languages crmgen has a catalogue for, by code, with their own names.
LANGUAGES = {"en": "English", "zh": "中文"}

_ENGLISH = _gettext.NullTranslations()
_active: contextvars.ContextVar[_gettext.NullTranslations] = contextvars.ContextVar(
    "crmgen_translations", default=_ENGLISH
)
_active_code: contextvars.ContextVar[str] = contextvars.ContextVar("crmgen_language", default=DEFAULT)


def normalize(code: object) -> str | None:
    """The catalogue for a language code as people write it: ``zh``, ``zh_CN``, ``zh-Hans``,
    ``ZH-cn`` -> ``zh``; ``en_GB`` -> ``en``; a language crmgen has no catalogue for -> None."""
    if not isinstance(code, str):
        return None
    base = code.strip().replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else None


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of ``language`` (a code of :data:`LANGUAGES`); English is the messages as written."""
    if language == DEFAULT:
        return _ENGLISH
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as mo:
        return _gettext.GNUTranslations(mo)


@contextlib.contextmanager
def using(language: str) -> Iterator[None]:
    """Translate into ``language`` inside the block (restored after it, nested blocks allowed)."""
    code = normalize(language) or DEFAULT
    token = _active.set(translations(code))
    code_token = _active_code.set(code)
    try:
        yield
    finally:
        _active_code.reset(code_token)
        _active.reset(token)


def active() -> str:
    """The code of the language being rendered in (``en`` outside every :func:`using`)."""
    return _active_code.get()


def _(message: str) -> str:
    """``message`` in the active language."""
    return _active.get().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the active language (not yet formatted)."""
    return _active.get().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the active language, told apart from the same English word by ``context``."""
    return _active.get().pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translate it where it is shown)."""
    return message


def C_(context: str, message: str) -> str:
    """Mark ``message`` in ``context`` for the catalogue without translating it (see :func:`label`)."""
    return message


def label(kind: str, value: object) -> str:
    """A value of the file format shown to a reader: the stage ``customer`` is 客户 in Chinese.

    ``kind`` is the catalogue's context (``stage``, ``interaction``, ``step``, ``reminder``,
    ``side``...); a value the catalogue does not know is shown as written."""
    text = str(value)
    return _active.get().pgettext(kind, text)


def jinja_callables() -> dict[str, object]:
    """What Jinja's i18n extension calls, reading the active catalogue at render time."""
    return {"gettext": _, "ngettext": ngettext, "pgettext": pgettext}
