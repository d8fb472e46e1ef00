"""``crmgen build``: the CRM as a static website.

The build has three steps, each replaceable on its own:

1. :mod:`.pages` renders every page to Markdown with Jinja2 (pure; no MkDocs);
2. :mod:`.publish` writes them into a plain docs tree, ``.crmgen/docs/``, touching
   only files whose content changed, and :mod:`.mkdocs_config` writes
   ``.crmgen/mkdocs.yml`` (inheriting the project's ``mkdocs.yml``);
3. MkDocs builds that tree in-process into a temporary directory, which is then
   swapped in for the site directory.

The docs tree is complete before MkDocs starts and nothing writes into it during
the build (under ``mkdocs serve`` that would rebuild forever, mkdocs#1933), so the
same tree can be built by ProperDocs or Zensical.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmgen import slugs
from crmgen.accel import incremental, segment, shards
from crmgen.accel.plugin import NAME as ACCEL_PLUGIN
from crmgen.accel.plugin import AccelPlugin
from crmgen.accel.rowstore import PLANS, RowStore, ShardedMemo, plan_head
from crmgen.format.errors import Problem
from crmgen.format.model import Client
from crmgen.load.project import Project
from crmgen.render import pages, publish
from crmgen.render.mkdocs import config as mkdocs_config
from crmgen.render.mkdocs.run import DEFAULT_ENGINE, run_engine, run_mkdocs
from crmgen.render.tree import KEEP, fingerprint
from crmgen.rules.reminders import PlanMemo

CACHE_DIR = ".crmgen"
ASSETS = Path(__file__).resolve().parent.parent / "assets"
PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass
class BuildResult:
    """What a build produced, for the command to report."""

    site_dir: Path
    docs_dir: Path
    pages: int
    clients: int
    written: int
    deleted: int
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    incremental: bool = False  # only changed pages were rendered and rebuilt
    rendered: int = 0  # client pages rendered (the others were unchanged)


def render_input(
    project: Project,
    clients: list[Client],
    reminders: list[Any],
    history: Any,
    *,
    today: dt.date,
    broken: list[str] | None,
    views: pages.Views,
    ics: Callable[[list[Any], str], Any] | None = None,
    dashboard: Callable[..., dict[str, Any]] | None = None,
    page_cache: pages.PageCache | None = None,
    digest: Callable[[Client], str | None] | None = None,
    write: Callable[[str, bytes], Any] | None = None,
    plan: dict | None = None,
) -> pages.RenderInput:
    """What :func:`pages.render_pages` needs, for ``project``."""
    return pages.RenderInput(
        clients=clients,
        reminders=reminders,
        history=history,
        today=today,
        settings=project.settings,
        title=site_title(project),
        templates_dir=project.templates_dir,
        broken=list(broken or []),
        ics=ics,
        dashboard=dashboard,
        views=views,
        page_cache=page_cache,
        digest=digest,
        write=write,
        plan=plan,
    )


def site_title(project: Project) -> str:
    """The site's name (``site_name`` in mkdocs.yml)."""
    return str(project.config.get("site_name") or "CRM")


def default_site_dir(project: Project) -> Path:
    """``site_dir`` from mkdocs.yml, else ``site/``, under the project root."""
    value = project.config.get("site_dir") or "site"
    return project.root / str(value)


# Every page draws the whole nav: with 50 salespeople, owner entries were 9 of 39 s of a
# 1,000-client build. A small team gets them in the nav; a large one finds them on the
# reminders page, which lists every owner.
NAV_OWNERS_MAX = 8


def nav_for(owners: dict[str, str], has_format: bool) -> list[Any]:
    """The explicit nav: index pages only, never one entry per client; titles in the build's language."""
    from crmgen.i18n import _

    reminders: list[Any] = [{_("All reminders"): pages.REMINDERS}]
    if len(owners) <= NAV_OWNERS_MAX:
        # MkDocs themes print nav titles unescaped: owner names come from client files.
        reminders += [{html.escape(_(name) if name == pages.NO_OWNER else name): f"reminders/{slug}.md"}
                      for name, slug in owners.items()]
    nav: list[Any] = [
        {_("Dashboard"): pages.HOME},
        {_("Reminders"): reminders},
        {_("Receivables"): pages.RECEIVABLES},
        {_("Pipeline"): pages.PIPELINE},
        {_("Sales"): pages.SALES},
        {_("Reports"): pages.REPORTS},
        {_("Plans"): pages.PLANS},
        {
            _("Clients"): [
                {_("All clients"): pages.ALL_CLIENTS},
                {_("Referrals"): pages.REFERRALS},
                # the lists' titles are marked in pages.LISTS
                *({_(title): page} for page, title in pages.LISTS.values()),
            ]
        },
    ]
    if has_format:
        nav.append({_("File format"): pages.FORMAT})
    return nav


def asset_files() -> dict[str, bytes]:
    """Stylesheets shipped with crmgen, copied into the docs tree under assets/crmgen/."""
    out: dict[str, bytes] = {}
    if ASSETS.is_dir():
        for path in sorted(ASSETS.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                out[f"assets/crmgen/{path.name}"] = path.read_bytes()
    return out


def user_assets(project: Project) -> dict[str, bytes]:
    """The project's own ``extra_css``/``extra_javascript`` files, copied into the docs tree.

    MkDocs looks for them in ``docs_dir``, which crmgen generates; a team keeps
    them in the project (``theme.css`` beside ``mkdocs.yml``, or under any folder).
    """
    out: dict[str, bytes] = {}
    root = project.root.resolve()
    for key in ("extra_css", "extra_javascript"):
        for entry in project.config.get(key) or []:
            path = entry.get("path") if isinstance(entry, dict) else entry
            if not isinstance(path, str) or "://" in path or path.startswith(("/", "assets/crmgen/")):
                continue
            source = (root / path).resolve()
            if source.is_file() and root in source.parents:
                out[path] = source.read_bytes()
    return out


def theme_inputs(config: dict[str, Any]) -> dict[str, bytes]:
    """The project's own theme directory (``theme.custom_dir``) and MkDocs hooks, file by file:
    MkDocs reads them for every page, so a change to any of them makes the next build a full
    one (the incremental build would keep pages made with the old ones)."""
    from crmgen.render.mkdocs.config import HOOKS_FILE, THEME_OVERRIDES

    out: dict[str, bytes] = {}
    theme = config.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if isinstance(custom, str) and Path(custom) != THEME_OVERRIDES and Path(custom).is_dir():
        for path in sorted(Path(custom).rglob("*")):
            if path.is_file():
                with contextlib.suppress(OSError):
                    out[f"theme:{path}"] = path.read_bytes()
    for hook in config.get("hooks") or []:
        if isinstance(hook, str) and Path(hook) != HOOKS_FILE:
            with contextlib.suppress(OSError):
                out[f"hook:{hook}"] = Path(hook).read_bytes()
    return out


def templates_fingerprint(project: Project) -> str:
    """The project's templates and the packaged defaults, by content."""
    parts = []
    for base in (project.templates_dir, PACKAGED_TEMPLATES):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    parts.append((str(base == PACKAGED_TEMPLATES), path.relative_to(base).as_posix(),
                                  path.read_bytes()))
    return fingerprint(parts)


@dataclass
class _Calendar:
    """A calendar file to make once the pages are rendered (see :meth:`EventCache.prefill`)."""

    reminders: list[Any]
    name: str


def _release_memory() -> None:
    """Give the memory of dropped page texts back to the system before the chunks run.

    glibc keeps freed small blocks in its heap, and the build holds its heap while
    its chunk processes run: ``malloc_trim`` returns the pages that hold nothing
    (measured at 10,000 clients: 790 -> 540 MB). Elsewhere a no-op.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _plan_memo(cache_dir: Path, settings: Any, digest: Callable[[Client], str | None] | None,
               full: bool) -> tuple[PlanMemo, ShardedMemo] | None:
    """The clients' plans of the last build, when they were made by this code with these settings,
    and the store they are kept in."""
    if digest is None:
        return None
    from crmgen.accel.codekey import code_key

    key = fingerprint(code_key(), settings)
    store = ShardedMemo.keyed(cache_dir, PLANS, key, plan_head, fresh=full)
    return PlanMemo(digest, store.rows, key), store


def _known_size(content: Any) -> int | None:
    """The size of a rendered page, when the build holds it (None: a page left as it is)."""
    if isinstance(content, (str, bytes)):
        return len(content)
    if isinstance(content, publish.Placed):
        return content.size
    return None


def _weight(sizes: dict[str, int | None], docs: Path, page: str) -> int:
    """How much work a page is, for spreading pages over processes: its size (a page left as it
    is, looked up only when pages are spread, which a small build never does)."""
    size = sizes.get(page)
    if size is not None:
        return size
    try:
        return os.stat(os.path.join(docs, page)).st_size
    except OSError:
        return 0


def build_site(
    project: Project,
    clients: list[Client],
    *,
    today: dt.date,
    site_dir: Path | None = None,
    broken: list[str] | None = None,
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    full: bool = False,
    digest: Callable[[Client], str | None] | None = None,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    engine: str = DEFAULT_ENGINE,
) -> BuildResult:
    """Render, sync the docs tree and build the site; the old site stays until the new one is whole.

    Only what changed since the last build is rendered and rebuilt (see
    :mod:`.incremental`); ``full`` forces everything. ``digest`` (``Book.digest``) names
    what each client was parsed from, so unchanged clients are known without hashing them.

    One build of a project runs at a time (every build of it shares ``.crmgen/`` and the
    incremental state): a second one waits (``on_wait`` is told why), or with ``wait``
    false raises :class:`crmgen.fsutil.Busy`.

    ``engine`` builds the docs tree (:data:`crmgen.render.mkdocs.run.ENGINES`): MkDocs in
    this process with crmgen's accelerators; ProperDocs or Zensical as a whole build of
    their own.
    """
    from crmgen import i18n

    with build_lock(project, wait=wait, on_wait=on_wait), i18n.using(project.settings.language):
        return _build_site(project, clients, today=today, site_dir=site_dir, broken=broken, strict=strict,
                           progress=progress, full=full, digest=digest, engine=engine)


LOCK_FILE = "build.lock"  # in .crmgen/, what every build of the project shares


def build_lock(project: Project, *, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Any:
    """The lock every build of ``project`` holds (and ``serve`` around each rebuild and preview)."""
    from crmgen.fsutil import exclusive

    return exclusive(project.root / CACHE_DIR / LOCK_FILE, "build of this project", wait=wait, on_wait=on_wait)


def _build_site(
    project: Project,
    clients: list[Client],
    *,
    today: dt.date,
    site_dir: Path | None,
    broken: list[str] | None,
    strict: bool,
    progress: Callable[[int], None] | None,
    full: bool,
    digest: Callable[[Client], str | None] | None,
    engine: str = DEFAULT_ENGINE,
) -> BuildResult:
    from crmgen.accel.events import EventCache
    from crmgen.history import read_history
    from crmgen.render.dashboard import dashboard_context
    from crmgen.rules.dueplan import select
    from crmgen.rules.reminders import lead_days, plan, reminders_of

    started = time.monotonic()
    settings = project.settings
    site = publish.check_site_dir(
        site_dir if site_dir is not None else default_site_dir(project),
        project.root,
        [project.clients_dir, project.templates_dir, project.root / CACHE_DIR, project.root / ".git"],
    )
    for client in clients:
        pages.client_page(client.slug)  # refuse unsafe slugs before writing anything

    cache_dir = project.cache_dir  # outside the work tree (config.cache_dir_for)
    slug_memo = cache_dir / slugs.MEMO_FILE
    slugs.load_memo(slug_memo)  # owner page names and pinyin sort keys without jieba, once known
    history = read_history(project.root, settings.clients_dir, cache_dir)  # git is read once, here
    first_seen = history.first_seen() if history.available else None
    memo_and_store = _plan_memo(cache_dir, settings, digest, full)
    plan_memo = memo_and_store[0] if memo_and_store is not None else None
    # reminders.due(), with its plan kept for the pages that pick other days from it (the week's plans)
    the_plan = plan(clients, settings, first_seen, memo=plan_memo)
    leads = lead_days(settings)
    reminders = reminders_of(the_plan, select(the_plan, today, settings.within, leads), today, leads)
    if memo_and_store is not None:
        memo_and_store[1].save(memo_and_store[0].new)
    plan_memo = memo_and_store = None  # not held while the pages are built

    def ics(rs: list[Any], name: str) -> Any:
        return _Calendar(rs, name)  # made after the pages, when prefilled events are in (below)

    events_file = cache_dir / incremental.EVENTS_FILE
    events = EventCache.load(None if full else events_file, alarm_time=settings.alarm_time)
    collect_events = events.prefill(reminders)

    title = site_title(project)
    views = pages.build_views(clients, reminders, history.owners_since if history.available else None)
    work = project.root / CACHE_DIR
    state = incremental.State() if full else incremental.State.load(cache_dir, work)
    if full:
        RowStore.clear(cache_dir)
    row_store = RowStore.load(cache_dir)  # index page rows by what they are made of (pages.RowMemo)
    made_by = incremental.versions()  # the one code key (worked out once per process)
    page_cache = pages.PageCache(
        key=fingerprint(
            today, title, settings, templates_fingerprint(project), history.available, history.reason,
            views.owners, broken, made_by,
        ),
        old=state.pages,
        docs=work / "docs",
        rows_old=row_store.rows,
    )
    docs = work / "docs"
    incremental.State.forget(cache_dir)  # from here on, an interruption means a full build next time
    # Client pages go into the docs tree as they are rendered, not all held until the end.
    writer = publish.TreeWriter(docs)
    files = pages.render_pages(
        render_input(project, clients, reminders, history, today=today, broken=broken, views=views,
                     ics=ics, dashboard=dashboard_context, page_cache=page_cache, digest=digest,
                     write=writer, plan=the_plan),
        progress=progress,
    )
    # Rows are kept by what they are made of, so they may be saved before the build is whole;
    # then their memory is free for the chunk processes.
    row_store.save(page_cache.rows_new)
    page_cache.rows_old = page_cache.rows_new = {}
    del row_store
    collect_events()
    for path, content in files.items():
        if isinstance(content, _Calendar):
            files[path] = events.to_ics(content.reminders, calendar_name=content.name)
    files.update(user_assets(project))
    files.update(asset_files())

    cache = project.root / CACHE_DIR
    docs_files = sorted(files)
    written, deleted = publish.sync_tree_changes(docs, files, known=state.files)
    written = writer.written + written
    # The docs tree is on disk now: keep what the rest needs, not 10,000 pages' text.
    md_pages = sorted(p for p in files if p.endswith(".md"))
    sizes = {p: _known_size(files.get(p)) for p in md_pages}
    rendered = sum(1 for p in page_cache.new if pages.CLIENT_PAGE.match(p) and files.get(p) is not KEEP)
    has_format = pages.FORMAT in files
    css = [p for p in sorted(files) if p.startswith("assets/crmgen/") and p.endswith(".css")]
    # Pages and calendars are rebuilt one by one; a changed stylesheet or script means a full build.
    assets = {rel: data for rel, data in files.items() if not rel.endswith((".md", ".ics"))}
    del files
    events.save(events_file)
    del events, collect_events  # their memory is the chunk processes'
    owners = views.owners
    build_dir = work / incremental.BUILD_DIR
    config = mkdocs_config.make_config(
        project.config,
        user_file=project.config_path if project.config_path.is_file() else None,
        docs_dir=docs,
        site_dir=build_dir,  # where every engine writes (Zensical takes it from the file)
        nav=nav_for(owners, has_format),
        extra_css=css,
        site_name=title,
        language=project.settings.language,
    )
    config_file = cache / "mkdocs.yml"
    text = mkdocs_config.dump_config(config)
    try:
        same = config_file.read_bytes() == text.encode("utf-8")
    except OSError:
        same = False
    if not same:
        config_file.write_text(text, encoding="utf-8")
    (cache / ".gitignore").write_text("*\n", encoding="utf-8")

    key = incremental.global_key(text, {**assets, **theme_inputs(config)}, made_by)
    if engine != DEFAULT_ENGINE:
        key = f"{engine}:{key}"  # another engine's build dir is never updated in place by MkDocs
    # Only MkDocs builds incrementally (crmgen's plugin keeps its search index whole).
    dirty = engine == DEFAULT_ENGINE and state.key == key and build_dir.is_dir()
    removed = [pages.html_path(p) for p in written + deleted]
    if dirty:
        incremental.remove_outputs(build_dir, removed)
    else:
        publish.empty_dir(build_dir)
    # Pages without output are to be built; many of them are built by chunk processes. After a
    # build the state trusts, those are the pages just written or new (not 10,000 stats: 0.13 s).
    if dirty and state.files is not None:
        before, fresh = set(state.files), set(written)
        todo = [p for p in md_pages if p in fresh or p not in before]
    else:
        todo = [p for p in md_pages if not (build_dir / pages.html_path(p)).exists()]
    static = fingerprint(md_pages, today)
    # Nothing to build: MkDocs would leave every file of the build dir as it is (1,000 clients:
    # 0.26 s). Not under --strict, where MkDocs' warnings about the configuration still count.
    unchanged = (dirty and not strict and not written and not deleted and not todo and static == state.static
                 and (build_dir / "search" / "search_index.json").is_file())
    warnings: list[str] = []
    writes: set[str] = set()
    if engine != DEFAULT_ENGINE:
        warnings = run_engine(engine, config_file, build_dir, strict=strict, today=today, clean=full)
    elif not unchanged:
        memo_file = cache_dir / segment.MEMO_FILE
        memo = segment.Memo.load(memo_file)
        try:
            chunked = shards.Chunks()
            cores = shards.workers()
            if len(todo) >= shards.SHARD_MIN:
                _release_memory()  # the memory of dropped page texts, held while the chunks run
                chunked = shards.build_chunks(
                    config_file, build_dir, shards.plan(todo, functools.partial(_weight, sizes, docs), cores),
                    strict=strict, today=today, cores=cores, memo_file=memo_file, memo=memo,
                )
                memo.known.update(chunked.segments)
                memo.used |= chunked.segmented
            merge = incremental.SearchMerge(
                work=work, dirty=dirty, extra=chunked.entries.spans, skip=frozenset(todo) if chunked.built else frozenset(),
                static_templates=not (dirty and static == state.static), todo=frozenset(todo),
            )
            merge.built.update(chunked.built)
            with contextlib.suppress(ImportError):
                segment.import_jieba()  # before Material's search plugin imports it the slow way
            plugin = AccelPlugin(merge=merge, memo=memo)
            with incremental.unlink_before_write(writes):
                warnings = chunked.warnings + run_mkdocs(config_file, build_dir, strict=strict, today=today,
                                                         dirty=True, plugins={ACCEL_PLUGIN: plugin})
            memo.save(memo_file, prune=not dirty)
        finally:
            chunked.close()
            segment.uninstall()
    # What this build changed in the build dir, when all of it was seen (chunk processes' writes are not).
    seen = engine == DEFAULT_ENGINE and len(todo) < shards.SHARD_MIN and publish.writes_seen(config)
    publish.publish_build(build_dir, site, dirty=dirty, changed=[*removed, *writes] if seen else None)
    incremental.State(key=key, pages=page_cache.new, static=static, files=docs_files).save(cache_dir, work)
    slugs.save_memo(slug_memo, keep=[*(c.name for c in clients), *(c.owner for c in clients if c.owner)])
    return BuildResult(
        site_dir=site,
        docs_dir=docs,
        pages=len(md_pages),
        clients=len(clients),
        written=len(written),
        deleted=len(deleted),
        incremental=dirty,
        rendered=rendered,
        warnings=warnings,
        seconds=time.monotonic() - started,
    )


__all__ = ["BuildResult", "Problem", "build_lock", "build_site", "default_site_dir"]
