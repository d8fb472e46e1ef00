"""``crmgen build``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from crmgen.cli.app import main, pass_state, report_problems, site_dir_option, today_option
from crmgen.cli.complete import owners
from crmgen.format.errors import ExitCode, fails_strict
from crmgen.load.book import load_book
from crmgen.render.mkdocs.run import DEFAULT_ENGINE, ENGINES, engine_missing

ENGINE_NAMES = {"mkdocs": "MkDocs", "properdocs": "ProperDocs", "zensical": "Zensical"}

# Below this many clients a build takes a second or two: no progress display.
PROGRESS_FROM = 200


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


@main.command()
@today_option("Build")
@site_dir_option
@click.option("--strict", is_flag=True, help="Fail on warnings too: from the client files and from MkDocs.")
@click.option(
    "--keep-going",
    is_flag=True,
    help="Build the valid clients even when some files have errors; the dashboard lists the broken files.",
)
@click.option("--owner", metavar="NAME", shell_complete=owners, help="Build a site of this owner's clients only (a phone, a territory).")
@click.option("--public", is_flag=True,
              help="Leave out the fields listed under extra: crmgen: private: and <!-- private --> passages.")
@click.option("--full", is_flag=True,
              help="Render and rebuild every page, not only what changed since the last build.")
@click.option("--engine", type=click.Choice(list(ENGINES)), default=DEFAULT_ENGINE, show_default=True,
              help="What builds the site from the generated docs tree: MkDocs (fastest rebuilds), ProperDocs "
                   "(MkDocs' maintained fork) or Zensical (Material's successor). The other two are installed "
                   "with pip install 'crmgen[engines]'.")
@click.option("--no-wait", is_flag=True,
              help="When another build of this project is running (or serve is rebuilding), exit 1 "
                   "at once instead of waiting for it.")
@pass_state
def build(state, today: dt.datetime | None, site_dir: Path | None, strict: bool, keep_going: bool,
          owner: str | None, public: bool, full: bool, engine: str, no_wait: bool) -> None:
    """Build the CRM website: dashboard, reminders, a page per client, lists.

    Checks the client files first and stops (exit 1, the errors printed) when
    any has errors, unless --keep-going. The site is built into a temporary
    directory and swapped in at the end: a failed build leaves the previous site
    whole. DIR must be empty, missing or a site crmgen built before. After the
    first build only the pages whose inputs changed are rendered and rebuilt
    (the result is the same as a full build); --full rebuilds everything.
    One build of a project runs at a time: a second one waits for the first.
    Open site/index.html in a browser, or serve the directory with any web server.
    With --engine properdocs or zensical every build is a whole one.
    """
    from crmgen.render.build import build_site

    if engine != DEFAULT_ENGINE:
        from crmgen.format.errors import UsageError

        problem = engine_missing(engine)
        if problem is not None:
            raise UsageError(f"{problem}; or build with the default engine (--engine {DEFAULT_ENGINE})")

    project = state.project
    day = today.date() if today is not None else dt.date.today()
    book = load_book(project, digests=True)
    errors = [p for p in book.problems if p.is_error]
    if book.problems:
        report_problems(book.problems, book.files)
    if (errors and not keep_going) or (strict and fails_strict(book.problems) and not keep_going):
        click.echo("crmgen: error: not building: fix the problems above, or use --keep-going", err=True)
        sys.exit(int(ExitCode.PROBLEMS))

    from crmgen.privacy import is_public_url, select_clients

    site_url = project.config.get("site_url")
    if is_public_url(str(site_url) if site_url else None) and not public:
        click.echo(
            f"crmgen: warning: site_url {site_url} looks like a public host, and this site holds customer "
            "data; publish it behind access control (see the README, Publishing) or build with --public",
            err=True,
        )
    clients = select_clients(book.clients, owner=owner, public=public, private=project.settings.private)
    if owner is not None and not clients:
        from crmgen.format.owners import NoSuchOwner

        raise NoSuchOwner(owner, (c.owner for c in book.clients))
    progress = None
    if _stderr_is_tty() and len(clients) >= PROGRESS_FROM:
        total = len(clients)

        def progress(done: int) -> None:
            if done == total or done % 50 == 0:
                click.echo(f"\rRendering client pages: {done}/{total}", err=True, nl=done == total)
            if done == total:
                click.echo(f"Building the site with {ENGINE_NAMES[engine]} ({total} pages take a while)...", err=True)
    result = build_site(
        project,
        clients,
        today=day,
        site_dir=site_dir,
        broken=book.broken,
        strict=strict,
        progress=progress,
        full=full,
        digest=book.digest,
        wait=not no_wait,
        engine=engine,
        on_wait=lambda why: click.echo(f"crmgen: {why}...", err=True),
    )
    for message in result.warnings:
        click.echo(f"{engine}: warning: {message}", err=True)
    try:
        shown = result.site_dir.relative_to(Path.cwd())
    except ValueError:
        shown = result.site_dir
    left_out = f", {len(book.broken)} broken file{'s' if len(book.broken) != 1 else ''} left out" if book.broken else ""
    changed = f" ({result.rendered} changed)" if result.incremental else ""
    click.echo(
        f"Built {result.clients} client page{'s' if result.clients != 1 else ''}{changed}{left_out} "
        f"into {shown}/ in {result.seconds:.1f} s",
        err=True,
    )
