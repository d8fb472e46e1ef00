"""crmgen's MkDocs plugin for incremental and chunked builds (see :mod:`crmgen.accel.incremental`, :mod:`.shards`).

The build adds one :class:`AccelPlugin` to the configuration it loaded
(``config.plugins[NAME] = plugin``, how MkDocs registers a plugin's events) and
gives it what this build is: the search merge, the chunk, the segmentation memo.
Nothing is kept in a module: two builds in one process (``serve``, the tests)
each have their own plugin. The generated ``mkdocs.yml`` does not name it: a
plain ``mkdocs build`` of the docs tree makes the same site, only slower.

In the build's own process it records which pages MkDocs rebuilt, tells MkDocs
which pages to build (those without HTML: crmgen removed the HTML of every page
it changed), leaves alone the pages chunk processes built, and, after Material's
search plugin has written its index but before the offline plugin inlines it,
merges in the entries of every page it did not render itself.

In every process it lists the theme's files without their hidden directories
(Material's 14,000 icons, which MkDocs lists on every build only to drop them).

In a chunk's process it makes MkDocs render that chunk's pages and nothing else
(no assets, no 404 page or sitemap, no search index) and writes the chunk's
search entries to a file for the parent.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from mkdocs.plugins import BasePlugin, event_priority

from crmgen.accel import incremental, segment

NAME = "crmgen-accel"  # its key in config.plugins


def _yes() -> bool:
    return True


def _no() -> bool:
    return False


def _search_plugin(config: Any) -> Any:
    for plugin in config.plugins.values():
        if hasattr(plugin, "search_index") and hasattr(plugin, "on_page_context"):
            return plugin
    return None


# Suffixes of theme files that MkDocs' filter in ``Files.add_files_from_theme`` always drops
# (its patterns ``*.py``, ``*.pyc``, ``*.html``, matched against the lower-cased name).
ALWAYS_FILTERED = (".html", ".py", ".pyc")


def _visible_templates(loader: Any) -> list[str]:
    """``FileSystemLoader.list_templates`` without going into hidden directories.

    MkDocs lists every file of the theme on each build to find the static files
    to copy, then drops the names its filter excludes, which always include
    ``.*`` and ``*/.*``: every file under a hidden directory. Material keeps
    14,000 icons under ``.icons/``; listing and filtering them took a tenth of a
    second of CPU in every build and every chunk (a second on a busy machine).
    Names its filter always drops (templates and Python files: three of four of
    Material's) are left out too, as MkDocs' only use of the list is that filter
    (``Files.add_files_from_theme``) and its ``fnmatch`` calls were 5 ms a build.
    The names MkDocs keeps are the same, in the same order.
    """
    found: set[str] = set()
    for searchpath in loader.searchpath:
        for dirpath, dirnames, filenames in os.walk(searchpath, followlinks=loader.followlinks):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for filename in filenames:
                if filename.lower().endswith(ALWAYS_FILTERED):
                    continue
                # As Jinja names them (jinja2.loaders.FileSystemLoader.list_templates).
                template = (os.path.join(dirpath, filename)[len(searchpath):]
                            .strip(os.path.sep).replace(os.path.sep, "/"))
                found.add(template[2:] if template[:2] == "./" else template)
    return sorted(found)


def _skip_hidden_theme_dirs(theme: Any) -> None:
    """Make the environments of this build's ``theme`` list templates with :func:`_visible_templates`."""
    import jinja2

    get_env = theme.get_env

    def env() -> Any:
        made = get_env()
        if type(made.loader) is jinja2.FileSystemLoader:  # what MkDocs' Theme makes
            # Replacing jinja2's method on this one loader, on purpose.
            made.loader.list_templates = functools.partial(  # type: ignore[method-assign]
                _visible_templates, made.loader)
        return made

    theme.get_env = env


def _bytecode_cache(docs_dir: str) -> Any:
    from crmgen.load.project import cache_dir_for
    from crmgen.render.pages import CacheOnlyBytecodeCache

    cache = cache_dir_for(Path(docs_dir).parent.parent) / "jinja-theme"  # docs_dir: <project>/.crmgen/docs
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return CacheOnlyBytecodeCache(str(cache))


class AccelPlugin(BasePlugin):
    """What one build is, for MkDocs' events: its search merge, its chunk, its segmentation memo."""

    def __init__(self, merge: incremental.SearchMerge | None = None, shard: incremental.Shard | None = None,
                 memo: segment.Memo | None = None) -> None:
        super().__init__()
        self.merge = merge
        self.shard = shard
        self.memo = memo  # stands in for jieba in Material's search plugin (None: a fresh one)

    @event_priority(-100)  # after every plugin's on_config: nothing adds templates later
    def on_config(self, config: Any) -> Any:
        _skip_hidden_theme_dirs(config.theme)
        plugin = _search_plugin(config)
        self.memo = segment.install(plugin.config if plugin is not None else None, self.memo)
        merge = self.merge
        if merge is not None and not merge.static_templates:
            config.theme.static_templates = set()  # unchanged since the last build (State.static)
        if merge is not None:
            # Material's offline plugin reads the whole search index into one string to write
            # search_index.js (100 MB at 10,000 clients); the merge writes the same bytes by
            # copying the file in blocks (incremental.merge_search_index).
            offline = [id(p) for name, p in config.plugins.items() if name.endswith("offline")
                       and getattr(getattr(p, "config", None), "enabled", True)]
            if offline:
                events = config.plugins.events["post_build"]
                events[:] = [m for m in events if id(getattr(m, "__self__", None)) not in offline]
                merge.write_js = True
        shard = self.shard
        if shard is not None:
            # The parent renders these once; a chunk would render the same bytes again.
            config.theme.static_templates = set()
            config.extra_templates = []
            # Search entries go back to the parent, which writes the one index (and the
            # offline plugin inlines it there).
            owners = {id(p) for name, p in config.plugins.items() if "search" in name or "offline" in name}
            events = config.plugins.events["post_build"]
            events[:] = [m for m in events if id(getattr(m, "__self__", None)) not in owners]
        return config

    @event_priority(-100)  # after other plugins have added their files
    def on_files(self, files: Any, config: Any) -> Any:
        shard = self.shard
        if shard is not None:
            # A chunk renders each page when it builds it (on_page_context), not all first:
            # MkDocs would hold every page's HTML until the end. Its pages count as
            # modified from on_env on, after MkDocs' reading loop.
            shard.files = files

            def building() -> bool:
                return shard.building

            for file in files:
                file.is_modified = building if file.src_uri in shard.uris else _no
            return files
        merge = self.merge
        if merge is not None:
            pages = files.documentation_pages()
            merge.order = [f.url for f in pages]
            for file in pages:
                if file.src_uri in merge.skip:
                    file.is_modified = _no
                elif merge.todo is not None:
                    # The build removed the HTML of every page whose Markdown it wrote: the pages
                    # without HTML are the modified ones. MkDocs would stat both files of every
                    # page, twice (10,000 pages: 0.3 s).
                    file.is_modified = _yes if file.src_uri in merge.todo else _no
        return files

    def on_env(self, env: Any, config: Any, files: Any) -> Any:
        """Keep the theme's compiled templates between builds (Jinja checks each source's checksum).

        Compiling Material's templates is a third of a second of every build, one that
        changes one page as much as one that changes all.
        """
        if self.shard is not None:
            self.shard.building = True
        if env.bytecode_cache is None:
            env.bytecode_cache = _bytecode_cache(config.docs_dir)
        return env

    @event_priority(100)  # before search (0) reads the page
    def on_page_context(self, context: Any, page: Any, config: Any, nav: Any) -> Any:
        shard = self.shard
        if shard is not None:
            if page.content is None:
                from mkdocs.commands.build import _populate_page

                _populate_page(page, config, shard.files)  # Markdown to HTML, with every page event
                config._current_page = page  # _populate_page clears it; the page is still being built
            shard.built.add(page.url)
        merge = self.merge
        if merge is not None:
            merge.built.add(page.url)
        return context

    def on_post_page(self, output: str, page: Any, config: Any) -> str:
        shard = self.shard
        if shard is not None:
            page.content = page.markdown = None  # written: a chunk keeps one page in memory at a time
            plugin = _search_plugin(config)
            if plugin is not None and plugin.search_index.entries and shard.entries is not None:
                # The page's search entries to a file now, not thousands of dicts in memory until the end.
                shard.entries.add(plugin.search_index.entries)
                plugin.search_index.entries.clear()
        return output

    @event_priority(-50)  # after search (0), before offline (-100)
    def on_post_build(self, config: Any) -> None:
        shard = self.shard
        if shard is not None:
            # A chunk's process runs neither search's nor offline's post_build (see on_config):
            # its entries are complete once its pages are built.
            plugin = _search_plugin(config)
            if plugin is not None and shard.entries is not None:
                shard.entries.add(plugin.search_index.entries)
                plugin.search_index.entries.clear()
            return
        if self.merge is not None:
            incremental.merge_search_index(Path(config.site_dir), self.merge)
