"""``crmgen report``: the day's, week's or month's report (日报 / 周报 / 月报) from the files."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from crmgen.cli.app import main, pass_state, report_problems
from crmgen.cli.complete import owners
from crmgen.cli.edit import DATE
from crmgen.format.errors import ExitCode


@main.command("report")
@click.option("--day", "kind", flag_value="day", help="The day's report (日报).")
@click.option("--week", "kind", flag_value="week", default=True,
              help="The week's report, Monday to Sunday (周报; the default).")
@click.option("--month", "kind", flag_value="month", help="The calendar month's report (月报).")
@click.option("--date", "when", type=DATE, metavar="DATE",
              help="A day in the period (default: today; -1w is last week, -1m last month).")
@click.option("--owner", metavar="NAME", shell_complete=owners, help="Only the clients of this salesperson.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text for the terminal, markdown to paste or mail, json for a tool.")
@pass_state
def report_command(state: Any, kind: str, when: dt.date | None, owner: str | None, fmt: str) -> None:
    """Print what happened in a day, a week or a month: interactions by type, new
    clients, promises made, kept and broken (ours and the clients'), orders and
    payments received, with totals.

    Everything comes from dated facts in the files: the '## DATE type' sections,
    the promises' agreed/kept/broken days, the orders' dates and their payments
    (an order that records only a 'paid:' total has no payment day and is not
    counted). New clients are the files added to git in the period.

    Exit 0; 1 when client files have errors (the report of the valid ones is still
    printed, the problems go to stderr); 2 on bad options or an unknown --owner.

    \b
    Examples:
      crmgen report                         # this week
      crmgen report --month --date -1m      # last month
      crmgen report --week --owner 王磊 --format markdown
    """
    from crmgen.format.owners import of_owner
    from crmgen.history import read_history
    from crmgen.load.book import load_book
    from crmgen.render.report import as_json, as_markdown, as_text
    from crmgen.rules.report import period_of, report

    project = state.project
    book = load_book(project)
    clients, owner = of_owner(book.clients, owner)  # the owner as the files spell it
    history = read_history(project.root, project.settings.clients_dir, project.cache_dir)
    first_seen = history.first_seen() if history.available else None
    got = report(clients, period_of(kind, when or dt.date.today()), owner=owner, first_seen=first_seen)
    currency = project.settings.currency
    click.echo({"text": lambda: as_text(got, currency), "markdown": lambda: as_markdown(got, currency),
                "json": lambda: as_json(got)}[fmt](), nl=False)
    if book.has_errors:
        report_problems(book.problems, book.files)
        sys.exit(int(ExitCode.PROBLEMS))
