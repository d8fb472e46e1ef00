"""Escaping for pages that are Markdown with HTML in them.

A generated page goes through two renderers: Jinja2 writes Markdown (with HTML
blocks), then MkDocs turns the Markdown into HTML. A value from a client file must
survive both as plain text, so :func:`plain` escapes it for HTML *and* for Markdown
(``[x](javascript:...)`` in a client name must not become a link). Templates never
call it: it is the Environment's ``finalize`` hook, so every ``{{ value }}`` gets it.

Notes and interaction bodies are Markdown on purpose: :func:`user_markdown` keeps
their Markdown but escapes raw HTML, attribute lists and script links, unless the
team allowed HTML (``extra: crmgen: allow_html: true``).

Everything else a template writes (cards, tables, lists, charts) is HTML already.
Templates wrap it with the :func:`html_block` filter: between two marker comments
on their own lines. crmgen's MkDocs hook (:mod:`crmgen.render.mkdocs.hooks`) takes those
blocks out before Python-Markdown runs and puts them back into the page's HTML, so
the HTML is not parsed twice more (by Markdown and by MkDocs) for nothing. Without
the hook (another builder) the markers are plain HTML comments and the blocks are
ordinary raw HTML: the page looks the same.
"""

from __future__ import annotations

import html
import re
from typing import Any

from markupsafe import Markup, escape

# Characters that mean something to Markdown (or to HTML inside attributes).
# Encoded as numeric character references, which both renderers pass through.
_PLAIN_TABLE = {
    ord(ch): f"&#{ord(ch)};"
    for ch in "&<>\"'\\`*_[]{}|~#!"
}
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


# Names, dates, grades and owners repeat on every index page: escape each once.
_PLAIN_MEMO: dict[str, Markup] = {}
_PLAIN_MEMO_MAX = 200_000


def plain(value: str) -> Markup:
    """``value`` as inert text for a Markdown page: HTML and Markdown syntax neutralised."""
    text = str(value)
    done = _PLAIN_MEMO.get(text)
    if done is None:
        if "\n" in text or "\r" in text:
            text = _NEWLINES.sub(" ", text)
        # str.__new__: the text is escaped already, Markup's own constructor would only
        # look for an __html__ method it cannot have (a tenth of rendering the big pages).
        done = str.__new__(Markup, text.translate(_PLAIN_TABLE))
        if len(_PLAIN_MEMO) >= _PLAIN_MEMO_MAX:
            _PLAIN_MEMO.clear()
        _PLAIN_MEMO[text] = done
    return done


def message(text: str, values: dict[str, Any]) -> Markup:
    """A template's own message (already translated), trusted like the template's text, with its
    ``%(name)s`` placeholders filled by ``values`` escaped as every ``{{ value }}`` is (:func:`finalize`)."""
    if not values:
        return Markup(text)
    return Markup(text) % {k: finalize(v) for k, v in values.items()}


def plain_lines(value: str | None) -> Markup:
    """``value`` as :func:`plain` text with its line breaks kept (``<br>``, never a blank line):
    text shown as written inside an HTML block."""
    if not value:
        return Markup("")
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    return str.__new__(Markup, "<br>\n".join(plain(line) if line.strip() else "" for line in lines))


def finalize(value: Any) -> Any:
    """Jinja2 ``finalize`` hook: plain strings become :func:`plain` text; Markup passes."""
    # Exact type checks first: this runs for every {{ value }} of every page.
    kind = type(value)
    if kind is Markup:
        return value
    if kind is str:
        done = _PLAIN_MEMO.get(value)  # type: ignore[call-overload]
        return done if done is not None else plain(value)
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return plain(value)
    if value is None:
        return ""
    return value


# Generated HTML blocks (see the module docstring). A marker is a whole line.
HTML_START = "<!--crmgen-html-->"
HTML_END = "<!--/crmgen-html-->"
_MARKER_LINE = re.compile(r"^(<!--/?crmgen-html-->)[ \t]*$", re.MULTILINE)


def html_block(content: str) -> Markup:
    """Jinja2 filter: generated HTML, marked so the build passes it by Markdown.

    Blank lines are dropped (a raw HTML block must not contain one, or Markdown
    would end it there when no hook takes it out). Every value in ``content`` was
    escaped by :func:`finalize`, so it cannot contain a marker line.
    """
    text = str(content)
    if text.endswith("\n"):
        text = text[:-1]  # the block's last line break: the only blank line most blocks have
    if _has_blank_line(text):
        text = "\n".join(filter(str.strip, text.split("\n")))
    if not text:
        return Markup("")
    # The line break after the end marker is the template's line break, which
    # trim_blocks removes after {% endfilter %}: blank lines around stay as written.
    return str.__new__(Markup, f"{HTML_START}\n{text}\n{HTML_END}\n")


_INNER_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")  # \s is str.isspace, as str.strip uses


def _has_blank_line(text: str) -> bool:
    """Whether a line of ``text`` is empty or whitespace: one regex search, where splitting the
    tables of the index pages into lines to look at each was most of :func:`html_block`."""
    first = text[: text.find("\n")] if "\n" in text else text
    last = text[text.rfind("\n") + 1 :]
    return not first.strip() or not last.strip() or _INNER_BLANK_LINE.search(text) is not None


# Code spans and fenced blocks: their content is shown literally by Markdown
# itself, so escaping there would show "&lt;" to the reader. What is left raw here
# must be code for Python-Markdown too, or raw HTML in it would be live: fences as
# its fenced_code extension reads them (at the start of a line, a simple info
# string, the same fence to close), code spans on one line and not after a
# backslash (a span over lines can be cut by a line that starts a raw HTML block).
# Code that does not fit shows its "<" as "&lt;": a cosmetic cost, never a hole.
_CODE = re.compile(
    r"(?P<fence>^(?P<mark>~{3,}|`{3,})[ ]*"
    r"(?:\{[^\n]*\}|\.?[\w#.+-]*[ ]*(?:hl_lines=(?P<q>[\"'])[^\n]*?(?P=q)[ ]*)?)"
    r"\n.*?(?<=\n)(?P=mark)[ ]*$)"
    r"|(?P<span>(?<!\\)(?P<ticks>`+)(?!`)[^\n]+?(?<!`)(?P=ticks)(?!`))",
    re.MULTILINE | re.DOTALL,
)
# Link targets a reader may follow; anything else with a scheme (javascript:,
# data:, vbscript:...) is not made a link at all.
_SAFE_SCHEMES = ("http", "https", "mailto", "tel")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
# Markdown allows a line break between "](" or "]:" and the target.
_INLINE_LINK = re.compile(r"\]\(([^)]*)")
_REF_DEF = re.compile(r"^( {0,3})\[([^\]\n]*)\]:[ \t]*\n?[ \t]*(\S*)", re.MULTILINE)


def bad_target(target: str) -> bool:
    """True for a link target that would run code (``javascript:``, ``data:``...)."""
    # Browsers ignore tabs, newlines and control characters inside URLs and
    # decode character references in attributes: judge the URL they would see.
    seen = html.unescape(target)
    seen = re.sub(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\ufeff<>]", "", seen).lower()
    match = _SCHEME.match(seen)
    return match is not None and match.group(1) not in _SAFE_SCHEMES


def _defuse_links(text: str) -> str:
    text = _INLINE_LINK.sub(lambda m: "]&#40;" + m.group(1) if bad_target(m.group(1)) else m.group(0), text)
    return _REF_DEF.sub(
        lambda m: f"{m.group(1)}&#91;{m.group(2)}]:{m.group(0)[m.group(0).index(']:') + 2:]}"
        if bad_target(m.group(3))
        else m.group(0),
        text,
    )


def _escape_prose(text: str) -> str:
    # Keep character references the author typed (&nbsp;, &#8212;) working.
    text = re.sub(r"&(?!#?\w+;)", "&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;").replace("{", "&#123;")
    return _defuse_links(text)


def user_markdown(text: str | None, *, allow_html: bool = False) -> Markup:
    """Markdown written in a client file, safe to place at block level in a page.

    Raw HTML is escaped (``<img onerror>`` shows as text), ``{: attr }`` lists are
    defused and ``javascript:`` links lose their colon. With ``allow_html`` the
    text is passed as written (the team trusts its own files).
    """
    if not text:
        return Markup("")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if allow_html:
        return Markup(text)
    out: list[str] = []
    last = 0
    for match in _CODE.finditer(text):
        out.append(_escape_prose(text[last : match.start()]))
        # Code is shown as written, so "<" stays; a line that is exactly an HTML-block
        # marker gets a trailing space the reader does not see, or the build's hook
        # would take what follows for generated HTML and pass it unescaped.
        out.append(_MARKER_LINE.sub(r"\1 ", match.group(0)))
        last = match.end()
    out.append(_escape_prose(text[last:]))
    return Markup("".join(out))


def indent(text: str, prefix: str = "    ") -> Markup:
    """Indent every non-empty line (to nest user Markdown inside a list or admonition)."""
    lines = str(text).split("\n")
    return Markup("\n".join(prefix + line if line.strip() else "" for line in lines))


__all__ = [
    "HTML_END", "HTML_START", "bad_target", "escape", "finalize", "html_block", "indent", "plain",
    "plain_lines", "user_markdown",
]
