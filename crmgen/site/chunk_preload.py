"""Imported by the fork server that starts chunk processes (:mod:`.shards`): what every chunk needs.

Each chunk then starts with MkDocs, Material's search and jieba's module already
imported (jieba without ``pkg_resources``, :func:`crmgen.segment.import_jieba`),
from a process that holds nothing else.
"""

import contextlib

from .. import segment
from . import incremental_hooks, run_mkdocs  # noqa: F401 - imported to be shared

with contextlib.suppress(ImportError):
    segment.import_jieba()
with contextlib.suppress(ImportError):
    import material.plugins.search.plugin  # noqa: F401
    import mkdocs.commands.build  # noqa: F401
