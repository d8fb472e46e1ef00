"""``crmgen log``, ``promise``, ``order``, ``paid``, ``kept``, ``broken`` and ``grade``: quick, safe edits.

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
from crmgen.cli.complete import client_slugs
from crmgen.edit import (
    EditError,
    add_order,
    add_payment,
    append_interaction,
    close_promise,
    edit_client_file,
    promise_with_order,
    set_grade,
)
from crmgen.format.days import DayError, parse_day
from crmgen.format.model import GRADES, INTERACTION_TYPES, PROMISE_SIDES, Client
from crmgen.format.money import AmountError, money, parse_amount
from crmgen.format.terms import parse as parse_terms
from crmgen.gitops import commit_file, ensure_repository
from crmgen.load.project import Project


class DateType(click.ParamType):
    """A day: YYYY-MM-DD, or today, tomorrow, yesterday, +10d, +2w, +1m, -3d (今天, 明天 too)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return parse_day(str(value), dt.date.today())
        except DayError as exc:
            self.fail(str(exc), param, ctx)


class AmountType(click.ParamType):
    """An amount of money: 50000, 50,000, ¥50,000, 5万, 1.2万, 86,000.50元."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        try:
            return parse_amount(str(value))
        except AmountError as exc:
            self.fail(str(exc), param, ctx)


AMOUNT = AmountType()
DATE = DateType()

commit_option = click.option(
    "--commit", is_flag=True, help="Also git-commit the file (only that file) with a descriptive message."
)


def client_file(project: Project, query: str) -> tuple[Path, str, str]:
    """(path, path relative to the project, slug) of an existing client; a clear error otherwise.

    The client may be given by its slug, its file (``clients/acme.md``), its name, the
    start or a part of its name, or its pinyin initials (see :mod:`crmgen.lookup`);
    several matches are listed and exit 2.
    """
    from crmgen.lookup import NotFound, find

    slug = Path(query).name.removesuffix(".md") if query.endswith(".md") else query
    path = project.clients_dir / f"{slug}.md"
    if not path.is_file():
        known = sorted(p.stem for p in project.clients_dir.glob("*.md")) if project.clients_dir.is_dir() else []
        try:
            slug = find(query, _entries(project, known))
        except NotFound:
            close = difflib.get_close_matches(slug, known, n=3)
            close += [k for k in known if slug and slug in k and k not in close][: 3 - len(close)]
            hint = f"; did you mean {', '.join(close)}?" if close else "; 'crmgen new NAME' creates a client"
            rel = path.relative_to(project.root).as_posix()
            raise EditError(f"no client '{query}' (there is no {rel}, and it is not a client's name, the start "
                            f"or part of one, or its pinyin initials){hint}") from None
        path = project.clients_dir / f"{slug}.md"
    return path, path.relative_to(project.root).as_posix(), slug


def _entries(project: Project, known: list[str]) -> list[tuple[str, str]]:
    """(slug, name) of every client file; a file too broken to read has only its slug."""
    from crmgen.load.book import load_book

    names = {c.slug: c.name for c in load_book(project).clients}
    return [(slug, names.get(slug, "")) for slug in known]


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
@click.argument("slug", shell_complete=client_slugs)
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
@click.argument("slug", shell_complete=client_slugs)
@click.argument("what", nargs=-1, required=True)
@click.option("--by", "by", type=click.Choice(PROMISE_SIDES), required=True,
              help="Who promised: us, or the client.")
@click.option("--due", type=DATE, required=True, help="The day it is due (YYYY-MM-DD, tomorrow, +10d, +2w...).")
@click.option("--amount", type=AMOUNT, metavar="N", help="The sum involved, if any (50000, 50,000, ¥50,000, 5万).")
@click.option("--order", "order", metavar="ORDER",
              help="The order it is about: its id, its number from 1, or its date. Then the order's payment and "
                   "this promise are one reminder; without --amount the promise is for what the order owes.")
@click.option("--agreed", type=DATE, help="The day the promise was made (default: today).")
@click.option("--because", type=click.IntRange(min=1), metavar="N",
              help="For a client's promise: the number of our promise that made them break it.")
@commit_option
@pass_state
def promise_command(
    state: Any,
    slug: str,
    what: tuple[str, ...],
    by: str,
    due: dt.date,
    amount: float | None,
    order: str | None,
    agreed: dt.date | None,
    because: int | None,
    commit: bool,
) -> None:
    """Record a promise, ours or the client's, in the client's 'promises:' list.

    It is written with 'agreed:' (today, or --agreed), so no early reminder is
    raised for a promise made inside its lead. With --order, an order without an
    'id:' is given one (its date), since a promise names its order by id.

    \b
    Examples:
      crmgen promise huadong-runhuayou --by client "pay Q4 invoice" --due 2026-12-31 --amount 21万
      crmgen promise huadong-runhuayou --by client "pay the rest" --due +2w --order 2026-09-A
    """
    project = state.project
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)
    text_what = " ".join(what)
    agreed = agreed or dt.date.today()
    written, order_id = edit_client_file(
        path, rel,
        lambda text: promise_with_order(text, by, text_what, due, amount, agreed=agreed, order=order, because=because),
        root=project.root,
    )
    about = f" for order {order_id}" if order_id is not None else ""
    _finish(state, path, rel, written, f"added a promise by {by} due {due.isoformat()}{about}",
            f"promise: {by} {slug} {due.isoformat()}", commit)


@main.command("order")
@click.argument("slug", shell_complete=client_slugs)
@click.argument("amount", type=AMOUNT)
@click.argument("items", nargs=-1)
@click.option("--date", "when", type=DATE, help="The order date (default: today).")
@click.option("--id", "order_id", metavar="ID", help="A short name for it (default: its date, made unique).")
@click.option("--terms", metavar="TERMS", help="Payment terms, when not the client's: 60, net 60, EOM 45, 月结45天, COD.")
@click.option("--pay-by", type=DATE, help="The day payment is due (default: worked out from the terms).")
@click.option("--delivered", type=DATE, help="The day it was delivered.")
@commit_option
@pass_state
def order_command(
    state: Any,
    slug: str,
    amount: float,
    items: tuple[str, ...],
    when: dt.date | None,
    order_id: str | None,
    terms: str | None,
    pay_by: dt.date | None,
    delivered: dt.date | None,
    commit: bool,
) -> None:
    """Record an order of AMOUNT (and what was ordered) in the client's 'orders:' list.

    The order gets an 'id:' (--id, else its date) that 'crmgen paid' and
    'crmgen promise --order' name it by.

    \b
    Examples:
      crmgen order huadong-runhuayou 86,000 "L-HM46 液压油 200L x 40" --terms 月结45天
      crmgen order huadong-runhuayou 5万 --date 2026-12-01 --delivered +3d --commit
    """
    if amount <= 0:
        raise click.BadParameter("an order's amount must be more than 0", param_hint="AMOUNT")
    if terms is not None and parse_terms(terms) is None:
        raise click.BadParameter(f"'{terms}' are not payment terms; write days (60), net 60, EOM 45, 月结45天, "
                                 "COD or prepaid", param_hint="--terms")
    when = when or dt.date.today()
    project = state.project
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)
    text_items = " ".join(items) or None
    written, new_id = edit_client_file(
        path, rel,
        lambda text: add_order(text, when, amount, items=text_items, order_id=order_id, terms=terms,
                               pay_by=pay_by, delivered=delivered),
        root=project.root,
    )
    _finish(state, path, rel, written, f"added order {new_id} of {money(amount)} on {when.isoformat()}",
            f"order: {slug} {new_id} {money(amount)}", commit)


@main.command("paid")
@click.argument("slug", shell_complete=client_slugs)
@click.argument("amount", type=AMOUNT)
@click.option("--order", "order", metavar="ORDER",
              help="The order paid: its id, its number from 1, or its date (default: the one order that owes money).")
@click.option("--date", "when", type=DATE, help="The day the money arrived (default: today).")
@click.option("--note", metavar="TEXT", help="Anything about it (bank transfer, cheque number...).")
@commit_option
@pass_state
def paid_command(
    state: Any, slug: str, amount: float, order: str | None, when: dt.date | None, note: str | None, commit: bool
) -> None:
    """Record a payment of AMOUNT for one of the client's orders.

    It joins the order's 'payments:' (date, amount, note), so crmgen knows how
    fast the client pays, and the order's 'paid:' total, when it has one, is kept
    equal to the payments. More than the order owes is refused.

    \b
    Examples:
      crmgen paid huadong-runhuayou 40,000 --order 2026-09-A --note "bank transfer"
      crmgen paid huadong-runhuayou 2万 --date yesterday        # the one order that owes money
    """
    if amount <= 0:
        raise click.BadParameter("a payment must be more than 0", param_hint="AMOUNT")
    when = when or dt.date.today()
    project = state.project
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)
    written, info = edit_client_file(path, rel, lambda text: add_payment(text, order, when, amount, note),
                                     root=project.root)
    left = f"it owes {money(info.owed)}" if info.owed else "paid in full"
    did = f"recorded {money(amount)} paid {when.isoformat()} for order #{info.number} ({left})"
    _finish(state, path, rel, written, did, f"paid: {slug} #{info.number} {money(amount)}", commit)
    if not info.dated:
        click.echo(f"note: order #{info.number} keeps only a total ('paid:', no 'payments:'), so the date was not "
                   "written; list its payments to count how fast the client pays", err=True)


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
@click.argument("slug", shell_complete=client_slugs)
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
@click.argument("slug", shell_complete=client_slugs)
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
@click.argument("slug", shell_complete=client_slugs)
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
