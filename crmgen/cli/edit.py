"""``crmgen log``, ``promise``, ``kept``, ``broken`` and ``grade``: quick, safe edits of a client file.

Each command edits only the bytes it means to change (see :mod:`crmgen.edit`),
writes atomically, prints what it did, and with ``--commit`` records the file in git.
"""

from __future__ import annotations

import datetime as dt
import difflib
import sys
from pathlib import Path
from typing import Any

import click

from crmgen.cli.app import main, pass_state
from crmgen.edit import EditError, add_promise, append_interaction, close_promise, edit_client_file, set_grade
from crmgen.format.model import GRADES, INTERACTION_TYPES, PROMISE_SIDES, Client
from crmgen.gitops import commit_file, ensure_repository
from crmgen.load.project import Project


class DateType(click.ParamType):
    """A YYYY-MM-DD date (``today`` and ``yesterday`` also work)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if text.lower() == "today":
            return dt.date.today()
        if text.lower() == "yesterday":
            return dt.date.today() - dt.timedelta(days=1)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.fail(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-02", param, ctx)


DATE = DateType()

commit_option = click.option(
    "--commit", is_flag=True, help="Also git-commit the file (only that file) with a descriptive message."
)


def client_file(project: Project, slug: str) -> tuple[Path, str, str]:
    """(path, path relative to the project, slug) of an existing client; a clear error otherwise.

    SLUG may also be given as the file's path or name (``clients/acme.md``, ``acme.md``).
    """
    slug = Path(slug).name.removesuffix(".md") if slug.endswith(".md") else slug
    path = project.clients_dir / f"{slug}.md"
    rel = path.relative_to(project.root).as_posix()
    if not path.is_file():
        known = sorted(p.stem for p in project.clients_dir.glob("*.md")) if project.clients_dir.is_dir() else []
        close = difflib.get_close_matches(slug, known, n=3)
        close += [k for k in known if slug and slug in k and k not in close][: 3 - len(close)]
        hint = f"; did you mean {', '.join(close)}?" if close else "; 'crmgen new NAME' creates a client"
        raise EditError(f"no client '{slug}' (there is no {rel}){hint}")
    return path, rel, slug


def _finish(state: Any, path: Path, rel: str, written: bool, did: str, message: str, commit: bool) -> None:
    if not written:
        click.echo(f"{rel}: {did}")
        return
    click.echo(f"{did}: {rel}")
    if commit:
        sha = commit_file(state.project.root, path, message)
        click.echo(f"committed {sha}: {message}")


def _check_commit(state: Any, commit: bool) -> None:
    if commit:
        ensure_repository(state.project.root)


@main.command("log")
@click.argument("slug")
@click.argument("words", nargs=-1, required=True, metavar="[TYPE] SUMMARY")
@click.option("--date", "when", type=DATE, help="Date of the interaction (default: today).")
@click.option("--next", "next_step", type=(DATE, str), metavar="DATE WHAT", help="The agreed next step.")
@click.option("--body", metavar="TEXT|-", help="Notes under the heading; '-' reads them from stdin.")
@commit_option
@pass_state
def log_command(
    state: Any,
    slug: str,
    words: tuple[str, ...],
    when: dt.date | None,
    next_step: tuple[dt.date, str] | None,
    body: str | None,
    commit: bool,
) -> None:
    """Append an interaction to a client's file.

    Adds a section '## DATE TYPE: SUMMARY' at the end of clients/SLUG.md, then
    the --body text and a 'Next: DATE WHAT' line. TYPE is one of visit, call,
    meeting, message, email, gift, note; when the first word is not one of them
    it is part of the summary and the type is note.

    \b
    Example:
      crmgen log huadong-runhuayou visit "reviewed the contract" \\
          --next 2026-12-01 "send samples" --commit
    """
    kind = "note"
    if words[0].lower() in INTERACTION_TYPES:
        if len(words) == 1:
            raise click.UsageError(f'give a summary after the type, e.g. crmgen log {slug} {words[0]} "what happened"')
        kind, words = words[0].lower(), words[1:]
    summary = " ".join(words).strip()
    if not summary:
        raise click.UsageError("give a summary of the interaction")
    if body == "-":
        body = sys.stdin.read()
    when = when or dt.date.today()
    project = state.project
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)

    def verify(old: Client, new: Client) -> None:
        added = [i for i in new.interactions if i not in old.interactions]
        if len(new.interactions) != len(old.interactions) + 1 or not any(
            i.date == when and i.type == kind for i in added
        ):
            raise EditError(
                "the new section would not read back as one interaction (does the --body contain "
                "'## ' headings?); nothing was written"
            )

    written, _ = edit_client_file(
        path,
        rel,
        lambda text: (append_interaction(text, when, kind, summary, body=body, next_step=next_step), None),
        verify=verify,
        root=project.root,
    )
    _finish(state, path, rel, written, f"logged {kind} {when.isoformat()}",
            f"log: {kind} {slug} {when.isoformat()}", commit)


@main.command("promise")
@click.argument("slug")
@click.argument("what", nargs=-1, required=True)
@click.option("--by", "by", type=click.Choice(PROMISE_SIDES), required=True,
              help="Who promised: us, or the client.")
@click.option("--due", type=DATE, required=True, help="The day it is due.")
@click.option("--amount", type=click.FloatRange(min=0), metavar="N", help="The sum involved, if any.")
@commit_option
@pass_state
def promise_command(
    state: Any, slug: str, what: tuple[str, ...], by: str, due: dt.date, amount: float | None, commit: bool
) -> None:
    """Record a promise, ours or the client's, in the client's 'promises:' list.

    \b
    Example:
      crmgen promise huadong-runhuayou --by client "pay Q4 invoice" --due 2026-12-31 --amount 210000
    """
    project = state.project
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)
    text_what = " ".join(what)
    written, _ = edit_client_file(path, rel, lambda text: (add_promise(text, by, text_what, due, amount), None),
                                  root=project.root)
    _finish(state, path, rel, written, f"added a promise by {by} due {due.isoformat()}",
            f"promise: {by} {slug} {due.isoformat()}", commit)


def _close(state: Any, slug: str, number: int, when: dt.date | None, outcome: str, commit: bool) -> None:
    when = when or dt.date.today()
    project = state.project
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)
    written, _ = edit_client_file(path, rel, lambda text: (close_promise(text, number, outcome, when), None),
                                  root=project.root)
    _finish(state, path, rel, written, f"marked promise #{number} {outcome} on {when.isoformat()}",
            f"{outcome}: {slug} #{number}", commit)


@main.command("kept")
@click.argument("slug")
@click.argument("number", metavar="N", type=click.IntRange(min=1))
@click.option("--date", "when", type=DATE, help="The day it was kept (default: today).")
@commit_option
@pass_state
def kept_command(state: Any, slug: str, number: int, when: dt.date | None, commit: bool) -> None:
    """Mark promise N of a client as kept.

    N is the promise's number: promises are numbered from 1 in the order they
    appear in the file's 'promises:' list, as on the client's page.
    """
    _close(state, slug, number, when, "kept", commit)


@main.command("broken")
@click.argument("slug")
@click.argument("number", metavar="N", type=click.IntRange(min=1))
@click.option("--date", "when", type=DATE, help="The day it was broken (default: today).")
@commit_option
@pass_state
def broken_command(state: Any, slug: str, number: int, when: dt.date | None, commit: bool) -> None:
    """Mark promise N of a client as broken.

    N is the promise's number: promises are numbered from 1 in the order they
    appear in the file's 'promises:' list, as on the client's page.
    """
    _close(state, slug, number, when, "broken", commit)


@main.command("grade")
@click.argument("slug")
@click.argument("grade", metavar="G")
@commit_option
@pass_state
def grade_command(state: Any, slug: str, grade: str, commit: bool) -> None:
    """Change a client's grade G (A B C D E F); with --commit its history lives in git."""
    if grade.upper() not in GRADES:
        raise click.BadParameter(f"'{grade}' is not a grade; use one of {' '.join(GRADES)}", param_hint="G")
    grade = grade.upper()
    project = state.project
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)
    written, old = edit_client_file(path, rel, lambda text: set_grade(text, grade), root=project.root)
    if not written:
        click.echo(f"{rel}: grade is already {grade}; nothing changed")
        return
    _finish(state, path, rel, written, f"grade {old} -> {grade}", f"grade: {slug} {old} -> {grade}", commit)
