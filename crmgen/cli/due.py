"""``crmgen due``: the follow-ups the salesperson owes, as a list, JSON or a calendar."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from crmgen.cli.app import echo_chunks, main, pass_state, today_option
from crmgen.cli.complete import owners
from crmgen.cli.output import (
    GROUP_COLOURS,
    NAME_WIDTH,
    Chunk,
    colour_on,
    due_chunks,
    due_text,
    fit,
    problem_chunks,
    width,
)
from crmgen.i18n import _, ngettext
from crmgen.rules.dueplan import KINDS
from crmgen.rules.wording import when

if TYPE_CHECKING:
    from crmgen.rules.reminders import Reminder

__all__ = ["GROUP_COLOURS", "NAME_WIDTH", "due_command", "fit", "render_text", "run_due", "when", "width"]


@main.command("due")
@today_option("Compute")
@click.option(
    "--within",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Also list what falls due in the next DAYS days (default: 'within' in mkdocs.yml, 7).",
)
@click.option("--owner", metavar="NAME", shell_complete=owners, help="Only the clients of this salesperson (case-insensitive).")
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
@click.option("--keep-going", is_flag=True,
              help="When some files have errors, list the reminders of the others (exit 1, the broken files named).")
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
    keep_going: bool,
    no_cache: bool,
) -> None:
    """List the follow-ups that are due: calls, visits, promises, payments, birthdays...

    Reminders are computed from the client files: overdue ones first (they stay
    until the files show them done), then today, this week and later. Exit 0;
    1 when the client files do not validate (the problems are printed, fix them
    with the help of 'crmgen check'; with --keep-going the reminders of the valid
    files are listed all the same); 3 with --fail-on-overdue when anything is
    overdue and every file is valid.
    """
    import time

    started_ns = time.time_ns()  # before anything is read: see crmgen.accel.summary
    day = today.date() if today is not None else None
    chunks, code = run_due(state.project, day, within, owner, kinds, fmt, fail_on_overdue, started_ns,
                           use_cache=not no_cache, keep_going=keep_going)
    echo_chunks(chunks)
    if code:
        sys.exit(code)


def run_due(project: Any, today: dt.date | None, within: int | None, owner: str | None, kinds: Sequence[str],
            fmt: str, fail_on_overdue: bool, started_ns: int, *, use_cache: bool = True,
            keep_going: bool = False) -> tuple[list[Chunk], int]:
    """``crmgen due``: (output, exit code). With ``fmt`` "ics" the output is one bytes chunk."""
    from crmgen.load.answers import due_book
    from crmgen.rules.dueplan import lead_days, pick

    settings = project.settings

    def make_plan(book: Any) -> tuple[dict, bool]:
        from crmgen.rules.reminders import needs_history, plan  # the rules: only for a changed book

        if needs_history(book.clients):  # the plan depends on git too: not kept
            from crmgen.history import read_history

            first_seen = read_history(project.root, settings.clients_dir).first_seen()
            return plan(book.clients, settings, first_seen), False
        return plan(book.clients, settings), True

    day = today if today is not None else dt.date.today()
    leads = lead_days(settings)
    ahead = settings.within if within is None else within
    furthest = day.toordinal() + max(ahead, *leads.values())  # no reminder after this day shows
    got = due_book(project, make_plan, use_cache=use_cache, started_ns=started_ns, until=furthest,
                   keep_going=keep_going)
    the_plan = got.plan
    checked = got.checked
    if the_plan is None:
        return problem_chunks(checked.problems, checked.files, "text", colour=colour_on(sys.stderr)), 1
    left_out: list[Chunk] = []
    if got.broken:  # --keep-going: the problems, the files left out, then the reminders of the others
        left_out = problem_chunks(checked.problems, checked.files, "text", colour=colour_on(sys.stderr))
        n = len(got.broken)
        left_out.append((True, ngettext("crmgen: %(num)d file with errors left out: %(files)s",
                                        "crmgen: %(num)d files with errors left out: %(files)s", n)
                         % {"num": n, "files": ", ".join(got.broken)}, None))
    if owner is not None:
        from crmgen.format.owners import NoSuchOwner, owner_key

        owners = [c[2] for c in the_plan["clients"]]
        if owner_key(owner) not in {owner_key(o) for o in owners if o}:
            raise NoSuchOwner(owner, owners)
    rows = pick(the_plan, day, ahead, leads, owner, kinds)
    overdue = fail_on_overdue and any(r[0] < day.toordinal() for r in rows)
    if fmt == "ics":
        from crmgen.render.ics import to_ics  # icalendar takes ~60 ms to import: only when asked for
        from crmgen.rules.reminders import reminders_of

        shown = owner or project.config.get("site_name") or _("reminders")
        name = f"crmgen: {shown}"  # the calendar's name
        chunks: list[Chunk] = [(False, to_ics(reminders_of(the_plan, rows, day, leads), calendar_name=name,
                                        alarm_time=settings.alarm_time), None)]
    else:
        chunks = due_chunks(the_plan, rows, day, leads, ahead, fmt, colour_on(sys.stdout))
    if left_out:
        return left_out + chunks, 1
    return chunks, 3 if overdue else 0




def render_text(reminders: list[Reminder], within: int, *, colour: bool = False) -> list[str]:
    """The grouped, aligned listing: one header per non-empty group, then a summary line."""
    return due_text([(r.date.isoformat(), r.days, r.kind, r.name, r.owner, r.title) for r in reminders], within,
                    colour=colour)
