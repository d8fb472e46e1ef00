"""MkDocs hook crmgen adds to the generated config: keep the built site off the network.

Material's ``offline`` plugin adds a polyfill script from unpkg.com (iframe-worker,
to run the search worker from ``file://``). A CRM site must load nothing from the
network, so remote polyfills are dropped: over HTTP search works as usual; from
``file://`` pages and links work and search is simply unavailable.
"""

from __future__ import annotations

from typing import Any


def on_config(config: Any) -> Any:
    """Drop every remote polyfill the theme or plugins added."""
    polyfills = config.extra.get("polyfills")
    if isinstance(polyfills, list):
        config.extra["polyfills"] = [p for p in polyfills if "://" not in str(p) and not str(p).startswith("//")]
    return config
