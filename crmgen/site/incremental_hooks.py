"""MkDocs hook for incremental builds (see :mod:`crmgen.site.incremental`).

Records which pages MkDocs rebuilt and, after Material's search plugin has
written its index but before the offline plugin inlines it, merges in the
entries of the pages that were not rebuilt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

from crmgen.site import incremental


def on_files(files: Any, config: Any) -> Any:
    merge = incremental.CURRENT
    if merge is not None:
        merge.order = [f.url for f in files.documentation_pages()]
    return files


def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    merge = incremental.CURRENT
    if merge is not None:
        merge.built.add(page.url)
    return context


@event_priority(-50)  # after search (0), before offline (-100)
def on_post_build(config: Any) -> None:
    incremental.merge_search_index(Path(config.site_dir))
