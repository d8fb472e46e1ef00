"""MkDocs hook crmgen adds to the generated config: no network, no script links.

Material's ``offline`` plugin adds a polyfill script from unpkg.com (iframe-worker,
to run the search worker from ``file://``). A CRM site must load nothing from the
network, so remote polyfills are dropped and crmgen's own small shim
(``assets/crmgen/iframe-worker.js``, copied into the docs tree) takes its place.
"""

from __future__ import annotations

import re
from typing import Any

# Attributes that take a URL in what Markdown produces.
_URL_ATTR = re.compile(r"""(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)

LOCAL_SHIM = "assets/crmgen/iframe-worker.js"


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


def on_page_content(html: str, **kwargs: Any) -> str:
    """Second line of defence: no link or image in a page points at ``javascript:``/``data:``.

    crmgen already defuses such links in the Markdown it writes; this also covers
    Markdown that the team allowed raw HTML in (``allow_html``).
    """
    from crmgen.site.markup import bad_target

    def clean(match: re.Match[str]) -> str:
        value = match.group(2) if match.group(2) is not None else match.group(3)
        return f'{match.group(1)}"#"' if bad_target(value) else match.group(0)

    return _URL_ATTR.sub(clean, html)
