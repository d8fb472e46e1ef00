"""A loaded MkDocs build kept in memory, to re-render one page in milliseconds (``crmgen serve``).

After one save, ``crmgen serve`` runs a whole incremental build (seconds at
1,000 clients: every index page changes with any client). Before that, it
shows the page the user is editing: :class:`LiveSession` holds what MkDocs
computes once per build — the configuration with its plugins and hooks set up,
the files, the nav and the theme's template environment — and renders one
page through MkDocs' own page steps (``_populate_page`` and ``_build_page``:
the same functions, events and theme a build uses). The page is written to a
scratch directory and moved into the served site with one rename, so a reader
never sees half a file; the full build that follows replaces the whole site.

The session is only valid for the files and nav it was made from: it is made
again after every build that adds or removes a page or changes the
configuration (:meth:`LiveSession.matches`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import Any

from crmgen.format.errors import CrmgenError
from crmgen.render import pages


class LiveSession:
    """MkDocs' state after ``on_env`` for one generated config, ready to render single pages."""

    def __init__(self, config_file: Path, scratch: Path, today: dt.date) -> None:
        from mkdocs.commands.build import get_navigation
        from mkdocs.config import load_config
        from mkdocs.structure.files import get_files, set_exclusions

        from crmgen.accel.plugin import NAME, AccelPlugin
        from crmgen.render.mkdocs.run import _Collect, _quiet_mkdocs

        self.scratch = scratch
        self.today = today
        self.config_text = config_file.read_text(encoding="utf-8")
        scratch.mkdir(parents=True, exist_ok=True)
        self._collect = _Collect()
        self._epoch = int(dt.datetime.combine(today, dt.time(), dt.UTC).timestamp())
        with _quiet_mkdocs(self._collect, self._epoch):
            config = load_config(config_file=str(config_file), site_dir=str(scratch))
            config.plugins[NAME] = AccelPlugin()  # as the build's: the theme's files, jieba's memo
            config = config.plugins.on_config(config)
            config.plugins.on_pre_build(config=config)
            files = get_files(config)
            env = config.theme.get_env()
            files.add_files_from_theme(env, config)
            files = config.plugins.on_files(files, config=config)
            set_exclusions(files, config)
            nav = get_navigation(files, config)
            nav = config.plugins.on_nav(nav, config=config, files=files)
            for file in files.documentation_pages():
                if file.page is None:
                    from mkdocs.structure.pages import Page

                    Page(None, file, config)
            env = config.plugins.on_env(env, config=config, files=files)
        self.config, self.files, self.nav, self.env = config, files, nav, env
        self.pages = frozenset(f.src_uri for f in files.documentation_pages())

    def matches(self, config_file: Path, docs_pages: set[str], today: dt.date) -> bool:
        """True when this session still describes the build (same config, same pages, same day)."""
        try:
            text = config_file.read_text(encoding="utf-8")
        except OSError:
            return False
        return text == self.config_text and docs_pages == self.pages and today == self.today

    def render(self, src_uri: str, markdown: bytes | None = None) -> bytes:
        """The HTML of one page, from ``markdown`` (else its file in the docs tree as it is now).

        The docs tree belongs to the build: new Markdown is written to the
        session's scratch directory and the page reads it from there.
        """
        from mkdocs.commands.build import _build_page, _populate_page

        from crmgen.render.mkdocs.run import _quiet_mkdocs

        file = self.files.get_file_from_path(src_uri)
        if file is None or file.page is None:
            raise CrmgenError(f"{src_uri}: not a page of the last build")
        page = file.page
        source = file.abs_src_path
        if markdown is not None:
            scratch_src = self.scratch / "src" / src_uri
            scratch_src.parent.mkdir(parents=True, exist_ok=True)
            scratch_src.write_bytes(markdown)
            file.abs_src_path = str(scratch_src)
        try:
            with _quiet_mkdocs(self._collect, self._epoch):
                _populate_page(page, self.config, self.files)
                _build_page(page, self.config, self.files.documentation_pages(), self.nav, self.env)
            data = Path(file.abs_dest_path).read_bytes()
        finally:
            file.abs_src_path = source
            page.markdown = page.content = None  # type: ignore[assignment]  # keep memory flat
            self._forget_search_entries()
        return data

    def _forget_search_entries(self) -> None:
        # Material's search plugin collects an entry per rendered page; the full build
        # that follows writes the index, so the session's entries are dropped.
        for plugin in self.config.plugins.values():
            index = getattr(plugin, "search_index", None)
            if index is not None and isinstance(getattr(index, "entries", None), list):
                index.entries.clear()


def publish_page(site: Path, src_uri: str, html: bytes) -> Path:
    """Put one page into the served site with a single rename (never written in place)."""
    target = site / pages.html_path(src_uri)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.live")
    try:
        with open(tmp, "wb") as fh:
            fh.write(html)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return target



def preview(
    project: Any,
    clients: list[Any],
    changed: list[Any],
    *,
    today: dt.date,
    broken: list[str],
    session: LiveSession,
    site: Path,
) -> list[str]:
    """Render the pages of the ``changed`` clients and put them into the served ``site``.

    The page is the one the next full build makes: the same template inputs
    (a client's reminders depend on that client alone) through the same MkDocs
    page steps. Returns the docs paths shown.
    """
    from crmgen.history import read_history
    from crmgen.render.build import render_input
    from crmgen.rules.reminders import due

    settings = project.settings
    history = read_history(project.root, settings.clients_dir, project.cache_dir)
    first_seen = history.first_seen() if history.available else None
    reminders = due(changed, today, settings, first_seen=first_seen)
    only = {pages.client_page(c.slug) for c in changed}
    rendered = pages.render_pages(
        render_input(project, clients, reminders, history, today=today, broken=broken,
                     views=pages.build_views(clients, reminders,
                                             history.owners_since if history.available else None)),
        only=only,
    )
    for src_uri in sorted(rendered):
        publish_page(site, src_uri, session.render(src_uri, rendered[src_uri]))
    return sorted(rendered)
