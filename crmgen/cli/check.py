"""``crmgen check`` and ``crmgen schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from crmgen import i18n
from crmgen.cli.app import echo_chunks, main, pass_state


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: GCC-style lines on stderr; json: a list on stdout; github: Actions annotations.",
)
@click.option("--no-cache", is_flag=True, help="Re-read every file instead of trusting the parse cache.")
@pass_state
def check(state, files: tuple[str, ...], strict: bool, fmt: str, no_cache: bool) -> None:
    """Validate the client files and report every problem.

    With FILES (e.g. from a pre-commit hook), only those files are reported,
    though cross-file checks still see the whole book. Exit 0 when there are no
    errors, 1 when there are (or warnings with --strict), 2 on usage errors.
    Never writes anything.
    """
    import time

    from crmgen.cli.output import colour_on, problem_chunks
    from crmgen.format.errors import fails_strict
    from crmgen.load.answers import check_book, summarised_check

    started_ns = time.time_ns()  # before anything is read: see crmgen.accel.summary
    if files and state.directory is None:
        # pre-commit runs from the repository root, which may hold the project in a subdirectory
        state.directory = str(Path(files[0]).parent)
    checked = summarised_check(state.root) if not files and not no_cache else None
    if checked is not None and checked.language is not None:
        # mkdocs.yml unread: the summary says in which language it was made
        click.get_current_context().with_resource(i18n.using(checked.language))
    if checked is None:
        checked = check_book(state.project, [Path(f) for f in files] if files else None, use_cache=not no_cache,
                             started_ns=started_ns)
    echo_chunks(problem_chunks(checked.problems, checked.files, fmt, colour=colour_on(sys.stderr)))
    sys.exit(int(checked.has_errors or (strict and fails_strict(checked.problems))))


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of a client file's front matter (for editors' YAML support)."""
    from crmgen.format.schema import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        from pathlib import Path

        from crmgen.fsutil import atomic_write

        atomic_write(Path(output), text.encode("utf-8"))
    else:
        click.echo(text, nl=False)
