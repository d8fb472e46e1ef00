"""MkDocs hook crmgen adds to the generated config: no network, no script links,
generated HTML passed by Markdown.

Material's ``offline`` plugin adds a polyfill script from unpkg.com (iframe-worker,
to run the search worker from ``file://``). A CRM site must load nothing from the
network, so remote polyfills are dropped and crmgen's own small shim
(``assets/crmgen/iframe-worker.js``, copied into the docs tree) takes its place.

The HTML crmgen's templates generate (client cards, tables, charts) is marked with
:func:`crmgen.site.markup.html_block`. ``on_page_markdown`` swaps each marked block
for a one-line placeholder comment, which Python-Markdown passes through cheaply,
and ``on_page_content`` puts the block back, before any plugin sees the page
(Material's search indexes the page as it ends up). The placeholder carries a token
chosen per process, so no text in a client file can name a stashed block.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from mkdocs.plugins import event_priority

from crmgen.site.markup import HTML_END, HTML_START

# Attributes that take a URL in what Markdown produces.
_URL_ATTR = re.compile(r"""(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)

LOCAL_SHIM = "assets/crmgen/iframe-worker.js"

_BLOCK = re.compile(rf"^{re.escape(HTML_START)}\n(.*?)\n{re.escape(HTML_END)}$", re.MULTILINE | re.DOTALL)
_TOKEN = secrets.token_hex(8)
_PLACEHOLDER = re.compile(rf"<!--crmgen:{_TOKEN}:(\d+)-->")
# What Material's search parses in place of a generated block: its text in one element.
_LIGHT = re.compile(rf'<div data-crmgen="{_TOKEN}:(\d+)">[^<]*</div>')
_TAG = re.compile(r"<[^>]*>")
# Blocks taken out of each page's Markdown, by source path, until its HTML is ready.
_STASH: dict[str, list[str]] = {}
# Blocks waiting for the search plugin to have read their text (see on_page_context).
_WAITING: dict[str, list[str]] = {}
log = logging.getLogger("mkdocs.plugins.crmgen")


def on_config(config: Any) -> Any:
    """Replace remote polyfills: iframe-worker by crmgen's local copy, others dropped."""
    polyfills = config.extra.get("polyfills")
    if isinstance(polyfills, list):
        kept = []
        for p in polyfills:
            text = str(p)
            if "iframe-worker" in text:
                kept.append(LOCAL_SHIM)
            elif "://" not in text and not text.startswith("//"):
                kept.append(p)
        config.extra["polyfills"] = list(dict.fromkeys(kept))
    return config


def _key(page: Any) -> str:
    file = getattr(page, "file", None)
    return str(getattr(file, "src_uri", None) or id(page))


def on_page_markdown(markdown: str, page: Any = None, **kwargs: Any) -> str:
    """Take generated HTML blocks out of the Markdown; a placeholder comment stays."""
    if HTML_START not in markdown:
        return markdown
    blocks: list[str] = []

    def stash(match: re.Match[str]) -> str:
        blocks.append(match.group(1))
        return f"\n<!--crmgen:{_TOKEN}:{len(blocks) - 1}-->\n"

    text = _BLOCK.sub(stash, markdown)
    if blocks:
        _STASH[_key(page)] = blocks
    return text


@event_priority(100)  # before other plugins: they see the whole page
def on_page_content(html: str, page: Any = None, **kwargs: Any) -> str:
    """Put generated HTML back; then no link or image may point at ``javascript:``/``data:``.

    The second part is a second line of defence: crmgen already defuses such links
    in the Markdown it writes; this also covers Markdown that the team allowed raw
    HTML in (``allow_html``).
    """

    blocks = _STASH.pop(_key(page), None)
    if blocks is not None:
        placed: set[int] = set()
        # Material's search parses every tag of a page in Python: the cards and tables are
        # most of the tags, and a third of a full build. It gets their text instead, in one
        # element each; the blocks go in after it has read the page (on_page_context).
        searched = not ((getattr(page, "meta", None) or {}).get("search") or {}).get("exclude")

        def put_back(match: re.Match[str]) -> str:
            n = int(match.group(1))
            placed.add(n)
            if not searched:
                return blocks[n]
            return f'<div data-crmgen="{_TOKEN}:{n}">{" ".join(_TAG.sub(" ", blocks[n]).split())}</div>'

        html = _PLACEHOLDER.sub(put_back, html)
        if searched:
            _WAITING[_key(page)] = [_URL_ATTR.sub(_clean, block) for block in blocks]
        if len(placed) < len(blocks):
            # Only Markdown around a placeholder can hide it (an unclosed HTML block in
            # notes with allow_html, say); the page then lacks part of what crmgen wrote.
            log.warning("%s: %d generated part(s) of the page were lost in the Markdown around them; "
                        "check the notes and interactions of this client for unclosed HTML or code",
                        _key(page), len(blocks) - len(placed))

    return _URL_ATTR.sub(_clean, html)


def _clean(match: re.Match[str]) -> str:
    from crmgen.site.markup import bad_target

    value = match.group(2) if match.group(2) is not None else match.group(3)
    # Without ":" (or a character reference that could hide one) there is no scheme.
    if ":" not in value and "&" not in value:
        return match.group(0)
    return f'{match.group(1)}"#"' if bad_target(value) else match.group(0)


@event_priority(-100)  # after Material's search (0) has indexed the page
def on_page_context(context: Any, page: Any = None, **kwargs: Any) -> Any:
    """The generated blocks take the place of the text the search plugin read."""
    blocks = _WAITING.pop(_key(page), None)
    if blocks is not None and page is not None and page.content:
        page.content = _LIGHT.sub(lambda m: blocks[int(m.group(1))], page.content)
    return context
