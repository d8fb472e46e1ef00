"""``crmgen plan``: the week's plan, by region and day, with a brief of each client."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from crmgen.cli.app import main, pass_state, report_problems
from crmgen.cli.complete import owners
from crmgen.cli.edit import DATE
from crmgen.format.errors import ExitCode


@main.command("plan")
@click.option("--week", "when", metavar="DATE",
              help="A day in the week to plan, Monday to Sunday (default: this week; +1w is next week).")
@click.option("--owner", metavar="NAME", shell_complete=owners, help="Only the clients of this salesperson.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text for the terminal, markdown to paste or mail, json for a tool.")
@click.option("--today", type=DATE, metavar="DATE", help="Plan as if today were this day (default: the real today).")
@pass_state
def plan_command(state: Any, when: str | None, owner: str | None, fmt: str, today: dt.date | None) -> None:
    """Print the week's plan: everything due that week, grouped by the clients'
    region and by day, each client once (on the day of its first reminder) with a
    brief to read before the visit: the last orders and what is owed, open
    promises both ways, open complaints, the rebate position, birthdays in the
    week, open opportunities, the last contact and its next step. Reminders
    already late go on the plan's first day (today, in the current week).

    Then the plan against what was done: per salesperson, the clients due a
    contact that week and those contacted (a note is not a contact).

    Exit 0; 1 when client files have errors (the plan of the valid ones is still
    printed, the problems go to stderr); 2 on bad options or an unknown --owner.

    \b
    Examples:
      crmgen plan                           # this week
      crmgen plan --week +1w --owner 王磊   # next week's, for one salesperson
      crmgen plan --week -1w                # last week: what was planned, what was done
    """
    from crmgen.format.days import DayError, parse_day
    from crmgen.format.owners import of_owner
    from crmgen.history import read_history
    from crmgen.load.book import load_book
    from crmgen.render.plan import as_json, as_markdown, as_text
    from crmgen.rules.plan import plan_start, week_of, week_plan
    from crmgen.rules.reminders import due, needs_history

    project = state.project
    settings = project.settings
    book = load_book(project)
    clients, owner = of_owner(book.clients, owner)  # the owner as the files spell it
    day = today or dt.date.today()
    try:  # counted from --today when it is given: --week -1w is the week before that day's
        week_day = parse_day(when, day) if when is not None else day
    except DayError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None
    monday, _sunday = week_of(week_day)
    first_seen = None
    if needs_history(clients):
        history = read_history(project.root, settings.clients_dir, project.cache_dir)
        first_seen = history.first_seen() if history.available else None
    start = plan_start(monday, day)
    reminders = due(clients, start, settings, within=(monday - start).days + 6, first_seen=first_seen)
    plan = week_plan(clients, reminders, settings, monday=monday, today=day, owner=owner, first_seen=first_seen)
    currency = settings.currency
    click.echo({"text": lambda: as_text(plan, currency), "markdown": lambda: as_markdown(plan, currency),
                "json": lambda: as_json(plan)}[fmt](), nl=False)
    if book.has_errors:
        report_problems(book.problems, book.files)
        sys.exit(int(ExitCode.PROBLEMS))
