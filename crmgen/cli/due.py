"""``crmgen due``: the follow-ups the salesperson owes, as a list, JSON or a calendar."""

from __future__ import annotations

import datetime as dt
import sys

import click

from crmgen.cli.app import echo_chunks, main, pass_state, today_option
from crmgen.cli.due_run import GROUP_COLOURS, NAME_WIDTH, due_text, fit, when, width
from crmgen.rules.dueplan import KINDS
from crmgen.rules.reminders import Reminder

__all__ = ["GROUP_COLOURS", "NAME_WIDTH", "due_command", "fit", "render_text", "when", "width"]


@main.command("due")
@today_option("Compute")
@click.option(
    "--within",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Also list what falls due in the next DAYS days (default: 'within' in mkdocs.yml, 7).",
)
@click.option("--owner", metavar="NAME", help="Only the clients of this salesperson (case-insensitive).")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(KINDS),
    metavar="KIND",
    help=f"Only reminders of this kind ({', '.join(KINDS)}); repeat for several.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "ics"]),
    default="text",
    show_default=True,
    help="text: grouped list; json: list of reminder objects; ics: iCalendar feed.",
)
@click.option("--fail-on-overdue", is_flag=True, help="Exit 3 when anything is overdue (for cron or CI).")
@click.option("--no-cache", is_flag=True,
              help="Read and check every file, and work every rule out again; no cache is read or written.")
@pass_state
def due_command(
    state,
    today: dt.datetime | None,
    within: int | None,
    owner: str | None,
    kinds: tuple[str, ...],
    fmt: str,
    fail_on_overdue: bool,
    no_cache: bool,
) -> None:
    """List the follow-ups that are due: calls, visits, promises, payments, birthdays...

    Reminders are computed from the client files: overdue ones first (they stay
    until the files show them done), then today, this week and later. Exit 0;
    1 when the client files do not validate (the problems are printed, fix them
    with the help of 'crmgen check'); 3 with --fail-on-overdue when anything is
    overdue.
    """
    import time

    from crmgen.cli.due_run import run_due

    started_ns = time.time_ns()  # before anything is read: see crmgen.accel.summary
    day = today.date() if today is not None else None
    chunks, code = run_due(state.project, day, within, owner, kinds, fmt, fail_on_overdue, started_ns,
                           use_cache=not no_cache)
    echo_chunks(chunks)
    if code:
        sys.exit(code)


# --- text output -----------------------------------------------------------------


def render_text(reminders: list[Reminder], within: int, *, colour: bool = False) -> list[str]:
    """The grouped, aligned listing: one header per non-empty group, then a summary line."""
    return due_text([(r.date.isoformat(), r.days, r.kind, r.name, r.owner, r.title) for r in reminders], within,
                    colour=colour)
