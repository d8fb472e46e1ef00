"""``crmgen serve``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from crmgen.cli.app import main, pass_state, site_dir_option, today_option


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines on the network see the CRM.")
@today_option("Build")
@site_dir_option
@pass_state
def serve(state, port: int, host: str, today: dt.datetime | None, site_dir: Path | None) -> None:
    """Build the site, serve it, and rebuild it whenever a file changes.

    Serves on http://127.0.0.1:8000/ (it opens no browser: open the printed
    address yourself). Watches clients/, templates/ and mkdocs.yml; after a save
    it re-checks the files, rebuilds the site and reloads the pages open in the
    browser. A file saved with an error is reported here and in a red banner on
    every page, and its page stays as it last was until the error is fixed. Stop
    with Ctrl-C. Exits 2 when the port is taken (choose another with --port).
    """
    from crmgen.serve.rebuild import serve as run

    project = state.project
    fixed = today.date() if today is not None else None

    def clock() -> dt.date:
        return fixed if fixed is not None else dt.date.today()

    def out(text: str) -> None:
        click.echo(text, err=True)

    run(project.root, host=host, port=port, site_dir=site_dir, today=clock, out=out)
    # The process ends without the interpreter's teardown (crmgen.__main__.leave): with the
    # HTTP server's daemon threads stopped mid-request it has been seen to hang in its last
    # garbage collection (1 run in 5 under load), after "stopped" was printed.
