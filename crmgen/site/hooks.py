"""MkDocs hook crmgen adds to the generated config: keep the built site off the network.

Material's ``offline`` plugin adds a polyfill script from unpkg.com (iframe-worker,
to run the search worker from ``file://``). A CRM site must load nothing from the
network, so remote polyfills are dropped and crmgen's own small shim
(``assets/crmgen/iframe-worker.js``, copied into the docs tree) takes its place.
"""

from __future__ import annotations

from typing import Any

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
