"""Imported by the fork server that starts chunk processes (:mod:`.shards`): what every chunk needs.

Each chunk then starts with MkDocs, Material's search and offline plugins, the
Markdown extensions of a Material site and jieba's module already imported (jieba
without ``pkg_resources``, :func:`crmgen.accel.segment.import_jieba`), from a process
that holds nothing else; what a chunk imports itself is its own (measured: 45
modules, among them backrefs' Unicode tables and Pygments, in each chunk).
"""

import contextlib
import importlib

from crmgen.accel import plugin, segment  # noqa: F401 - imported to be shared
from crmgen.render.mkdocs import run  # noqa: F401 - imported to be shared

with contextlib.suppress(ImportError):
    segment.import_jieba()
for _name in ("mkdocs.commands.build", "mkdocs.config.defaults", "material.plugins.search.plugin",
              "material.plugins.offline.plugin", "markdown.extensions.attr_list", "markdown.extensions.codehilite",
              "markdown.extensions.fenced_code", "markdown.extensions.tables", "markdown.extensions.toc",
              "pygments.formatters", "pygments.lexers", "sqlite3"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_name)
with contextlib.suppress(ImportError):
    from backrefs import bre

    # What Material's search plugin compiles for Chinese text: it loads backrefs' Unicode tables.
    bre.compile(r"(\p{script: Han}+)", bre.UNICODE)
