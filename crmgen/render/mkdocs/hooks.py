"""MkDocs hook crmgen adds to the generated config: faster builds, and defences that change
nothing a build of crmgen's own pages shows.

Zensical ignores ``hooks:``, so what a reader sees should not depend on this file: every
event here but one only saves time or bytes, or repeats what the configuration and the
docs tree already guarantee (tests/test_engines.py builds the samples with and without
it: the same text and links on every page but the 404 page). The exception is the 404
page's links (``on_template_context``), which need the template context. What each event
does, and what a build without it (Zensical) shows instead:

- ``on_config``: remote polyfills are replaced by crmgen's local iframe-worker shim.
  The generated config already lists only that shim (``extra.polyfills``, see
  :mod:`.config`), so this changes nothing unless another plugin adds one.
- ``on_files``: the theme's source maps (1.3 MB, for a browser's developer tools) and
  the search languages not configured are left out, and the comments naming the
  maps. The site is smaller; no page looks or works differently.
- ``on_page_markdown``/``on_page_content``/``on_page_context``: the HTML crmgen's
  templates generate (client cards, tables, charts) is marked with
  :func:`crmgen.render.markup.html_block`; each marked block is swapped for a
  one-line placeholder comment, which Python-Markdown passes through cheaply, and
  the blocks come back after Material's search has read the page: search reads
  each block's text in one element in its place; on a page excluded from search
  (the index pages, tens of megabytes at 10,000 clients) it finds the placeholder,
  so its attribute-stripping regex runs over a page of a few kilobytes. The
  placeholder carries a token chosen per process, so no text in a client file can
  name a stashed block. Without the hook Markdown passes the blocks as raw HTML: the
  same page (tests/test_site.py). Links to ``javascript:``/``data:`` are made ``#``
  as a second line of defence (crmgen defuses them in the Markdown it writes; this
  also covers notes a team allowed raw HTML in); :mod:`.run` does the same to a
  Zensical build's pages.
- ``on_template_context``: the 404 page links to the site relative to itself, not
  to ``/`` (MkDocs' choice for error pages), so that it works from ``file://``; the
  root's URL goes to the template, whose script makes it the base over http(s),
  where the page is shown at any address. Zensical's 404 page links to ``/``: right
  over http(s), unstyled from ``file://`` (where no browser shows a 404 page).

``robots.txt`` (disallow everything: the site holds customer data) is written by
:mod:`.run` after every engine's build.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.utils import is_error_template

from crmgen.render.markup import HTML_END, HTML_START, bad_target
from crmgen.render.mkdocs.config import LOCAL_SHIM

# Attributes that take a URL in what Markdown produces.
_URL_ATTR = re.compile(r"""(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
# Every match of _URL_ATTR that _clean can change (a value with ":" or "&") contains a match of
# this; it has a one-character literal start, so a text without one is passed over quickly.
_MAYBE_SCHEME = re.compile(r"""=\s*(?:"[^"]*[:&]|'[^']*[:&])""")

_BLOCK = re.compile(rf"^{re.escape(HTML_START)}\n(.*?)\n{re.escape(HTML_END)}$", re.MULTILINE | re.DOTALL)
_START = f"{HTML_START}\n"
_END = f"\n{HTML_END}"
_TOKEN = secrets.token_hex(8)
_PLACEHOLDER = re.compile(rf"<!--crmgen:{_TOKEN}:(\d+)-->")
# What Material's search parses in place of a generated block: its text in one element.
_LIGHT = re.compile(rf'<div data-crmgen="{_TOKEN}:(\d+)">[^<]*</div>')
_TAG = re.compile(r"<[^>]*>")
# Blocks taken out of each page's Markdown, by source path, until its HTML is ready.
_STASH: dict[str, list[str]] = {}
# Blocks waiting for the search plugin to have read the page (see on_page_context), with the
# pattern of what stands in for them until then.
_WAITING: dict[str, tuple[re.Pattern[str], list[str]]] = {}
log = logging.getLogger("mkdocs.plugins.crmgen")


def on_config(config: Any) -> Any:
    """Replace remote polyfills: iframe-worker by crmgen's local copy, others dropped (as the
    generated config already does: a safety net for a plugin that adds one)."""
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


# The comment that names a source map at the end of Material's scripts and stylesheets.
_SOURCE_MAP = re.compile(rb"\n?(?://# sourceMappingURL=[^\n]*|/\*# sourceMappingURL=[^*]*\*/)\s*\Z")
_LUNR = "assets/javascripts/lunr/"


def lunr_files(langs: list[str]) -> set[str]:
    """The files under ``assets/javascripts/lunr/`` that Material's search worker loads for ``langs``.

    As the worker decides (its ``setupSearchLanguages``): a stemmer and the shared
    support for every language but English, both languages' pipelines joined for
    more than one, and a word segmenter for Japanese, Hindi and Thai.
    """
    wanted: set[str] = set()
    for lang in langs:
        if lang == "ja":
            wanted.add("tinyseg.js")
        elif lang in ("hi", "th"):
            wanted.add("wordcut.js")
        if lang != "en":
            wanted.add(f"min/lunr.{lang}.min.js")
    if len(langs) > 1:
        wanted.add("min/lunr.multi.min.js")
    if wanted:
        wanted.add("min/lunr.stemmer.support.min.js")
    return {_LUNR + name for name in wanted}


def unused_theme_file(uri: str, lunr: set[str]) -> bool:
    """A file of the theme that no page of the site requests: source maps (for a browser's
    developer tools, 1.3 MB) and the search languages and segmenters not configured
    (``lunr``: those that are, :func:`lunr_files`)."""
    return uri.endswith(".map") or (uri.startswith(_LUNR) and uri not in lunr)


def _search_langs(config: Any) -> list[str]:
    for name, plugin in config.plugins.items():
        if name.endswith("search") and hasattr(plugin, "search_index"):
            lang = plugin.config.get("lang") or ["en"]
            return [lang] if isinstance(lang, str) else list(lang)
    return ["en"]


def on_files(files: Any, config: Any) -> Any:
    """Leave out the theme's files no page uses, and the comments naming the source maps left out."""
    lunr = lunr_files(_search_langs(config))
    docs_dir = config.docs_dir
    for file in list(files):
        uri = file.src_uri
        if file.abs_src_path is None or file.src_dir == docs_dir or not uri.startswith("assets/"):
            continue  # only the theme's files
        if unused_theme_file(uri, lunr):
            files.remove(file)
        elif uri.endswith((".js", ".css")):
            with open(file.abs_src_path, "rb") as fh:
                content = fh.read()
            stripped = _SOURCE_MAP.sub(b"\n", content)
            if stripped != content:
                files.remove(file)
                files.append(File.generated(config, uri, content=stripped))
    return files


def on_template_context(context: Any, template_name: str = "", **kwargs: Any) -> Any:
    """The 404 page links to the site relative to itself, not to ``/`` (MkDocs' choice for
    error pages, which breaks them from ``file://``); the root's URL goes to the template,
    whose script makes it the base over http(s), where the page is shown at any address."""
    if is_error_template(template_name):
        context["crmgen_site_root"] = context.get("base_url") or "/"
        context["base_url"] = "."
    return context


def _key(page: Any) -> str:
    file = getattr(page, "file", None)
    return str(getattr(file, "src_uri", None) or id(page))


def take_blocks(markdown: str) -> tuple[str, list[str]]:
    """The Markdown with each generated block (a match of ``_BLOCK``) swapped for a placeholder; the blocks.

    The same matches as ``_BLOCK.sub``, found with ``str.find``: the regular
    expression's lazy ``(.*?)`` tries to end the block at every character, half a
    second for the 30 MB of index pages at 10,000 clients. A block starts with a
    start marker at the start of a line and ends at the first end marker after it
    that ends a line.
    """
    out: list[str] = []
    blocks: list[str] = []
    copied = 0  # markdown[:copied] is in out
    start = markdown.find(_START)
    while start >= 0:
        if start and markdown[start - 1] != "\n":  # not at the start of a line
            start = markdown.find(_START, start + 1)
            continue
        body = start + len(_START)
        end = markdown.find(_END, body)
        while end >= 0 and not (end + len(_END) == len(markdown) or markdown[end + len(_END)] == "\n"):
            end = markdown.find(_END, end + 1)
        if end < 0:
            break  # no end marker ends a line after this start, so none after a later one
        out.append(markdown[copied:start])
        out.append(f"\n<!--crmgen:{_TOKEN}:{len(blocks)}-->\n")
        blocks.append(markdown[body:end])
        copied = end + len(_END)
        start = markdown.find(_START, copied)
    if not blocks:
        return markdown, blocks
    out.append(markdown[copied:])
    return "".join(out), blocks


def on_page_markdown(markdown: str, page: Any = None, **kwargs: Any) -> str:
    """Take generated HTML blocks out of the Markdown; a placeholder comment stays."""
    if HTML_START not in markdown:
        return markdown
    text, blocks = take_blocks(markdown)
    if blocks:
        _STASH[_key(page)] = blocks
    return text


@event_priority(100)  # before other plugins
def on_page_content(html: str, page: Any = None, **kwargs: Any) -> str:
    """Put what search is to read in place of the generated HTML; then no link or image may
    point at ``javascript:``/``data:``.

    The second part is a second line of defence: crmgen already defuses such links
    in the Markdown it writes; this also covers Markdown that the team allowed raw
    HTML in (``allow_html``).
    """
    blocks = _STASH.pop(_key(page), None)
    if blocks is None:
        return clean_urls(html)
    placed = {int(n) for n in _PLACEHOLDER.findall(html)}
    if len(placed) < len(blocks):
        # Only Markdown around a placeholder can hide it (an unclosed HTML block in
        # notes with allow_html, say); the page then lacks part of what crmgen wrote.
        log.warning("%s: %d generated part(s) of the page were lost in the Markdown around them; "
                    "check the notes and interactions of this client for unclosed HTML or code",
                    _key(page), len(blocks) - len(placed))
    if ((getattr(page, "meta", None) or {}).get("search") or {}).get("exclude"):
        # Search reads nothing of this page: the placeholders stay until on_page_context,
        # which cleans the page whole, blocks in.
        _WAITING[_key(page)] = (_PLACEHOLDER, blocks)
        return html
    # Material's search parses every tag of a page in Python: the cards and tables are
    # most of the tags, and a third of a full build. It gets their text instead, in one
    # element each; the blocks go in after it has read the page (on_page_context).
    def light(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f'<div data-crmgen="{_TOKEN}:{n}">{" ".join(_TAG.sub(" ", blocks[n]).split())}</div>'

    html = _PLACEHOLDER.sub(light, html)
    _WAITING[_key(page)] = (_LIGHT, [clean_urls(block) for block in blocks])
    return clean_urls(html)


def clean_urls(html: str) -> str:
    """``html`` with every ``href``/``src`` that would run code (:func:`crmgen.render.markup.bad_target`) made ``"#"``."""
    return _URL_ATTR.sub(_clean, html) if _MAYBE_SCHEME.search(html) else html


def _clean(match: re.Match[str]) -> str:
    value = match.group(2) if match.group(2) is not None else match.group(3)
    # Without ":" (or a character reference that could hide one) there is no scheme.
    if ":" not in value and "&" not in value:
        return match.group(0)
    return f'{match.group(1)}"#"' if bad_target(value) else match.group(0)


@event_priority(-100)  # after Material's search (0) has indexed the page
def on_page_context(context: Any, page: Any = None, **kwargs: Any) -> Any:
    """The generated blocks take the place of what the search plugin read."""
    waiting = _WAITING.pop(_key(page), None)
    if waiting is not None and page is not None and page.content:
        pattern, blocks = waiting
        content = pattern.sub(lambda m: blocks[int(m.group(1))], page.content)
        page.content = clean_urls(content) if pattern is _PLACEHOLDER else content
    return context
