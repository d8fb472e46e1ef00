"""``crmgen import`` and ``crmgen export``."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import click

from crmgen.cli.app import main, pass_state
from crmgen.cli.complete import owners
from crmgen.format.errors import ExitCode, UsageError
from crmgen.format.model import GRADES
from crmgen.load.book import load_book
from crmgen.transfer.columns import FIELDS, parse_overrides
from crmgen.transfer.exporter import CSV_ENCODINGS, FORMATS, export, select
from crmgen.transfer.importer import Plan, plan_import, write_plan


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows padded into aligned columns (the last column is not padded)."""
    cells = [[" ".join(str(c).split()) for c in row] for row in [header, *rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [c + " " * (widths[i] - _width(c)) for i, c in enumerate(row[:-1])]
        lines.append("  " + "  ".join([*parts, row[-1]]).rstrip())
    return lines


def _numbers(numbers: Sequence[int]) -> str:
    return ",".join(str(n) for n in numbers)


def _where(plan: Plan, number: int) -> str:
    """``people.csv:7`` (the row as the spreadsheet numbers it), ``contacts.vcf: card 3``."""
    return f"{plan.source}:{number}" if plan.kind == "row" else f"{plan.source}: card {number}"


def _report(plan: Plan, written: bool, skip: bool) -> None:
    kind = plan.kind
    click.echo(f"{plan.source}: " + "; ".join(plan.info[:1]))
    for line in plan.info[1:]:
        click.echo(f"  {line}")
    verb = "Created" if written else "Would create"
    n = len(plan.created)
    if n:
        click.echo(f"\n{verb} {n} client{'s' if n != 1 else ''}:")
        rows = [[_numbers(p.numbers), p.slug, p.name, p.owner or "-",
                 p.grade + ("*" if p.grade_defaulted else ""), p.path] for p in plan.created]
        for line in _table([kind.upper(), "SLUG", "NAME", "OWNER", "GRADE", "PATH"], rows):
            click.echo(line)
    else:
        click.echo(f"\n{verb} no clients.")
    for number, slug, contact in plan.merged:
        click.echo(f"  {kind} {number}: contact {contact} added to {slug}")
    if plan.rejected:
        m = len(plan.rejected)
        s = "s" if m != 1 else ""
        click.echo(f"\nSkipped {m} {kind}{s} (--skip-bad-rows):" if skip else f"\nCannot import {m} {kind}{s}:")
        level = "warning" if skip else "error"
        for r in plan.rejected:
            who = f"{r.name}: " if r.name else ""
            click.echo(f"{_where(plan, r.number)}: {level}: {who}{'; '.join(r.reasons)}")
    notes = list(plan.notes)
    if plan.defaulted:
        notes.append(f"{len(plan.defaulted)} of {n} client{'s' if n != 1 else ''} had no grade and got "
                     f"{plan.default_grade} (marked *; change it with --grade)")
    if notes:
        click.echo("")
        for note in notes:
            click.echo(f"Note: {note}.")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help=f"Read FIELD from the column named COLUMN (repeatable). Fields: {', '.join(FIELDS)}.")
@click.option("--grade", "default_grade", type=click.Choice(GRADES, case_sensitive=False), default="C",
              metavar="[A-F]", show_default=True, help="Grade for rows that have none.")
@click.option("--write", is_flag=True, help="Write the client files (without it: a dry run).")
@click.option("--skip-bad-rows", "skip", is_flag=True,
              help="Report the rows (cards) that cannot be imported and import the others (exit 0).")
@pass_state
def import_(state, file: Path, maps: tuple[str, ...], default_grade: str, write: bool, skip: bool) -> None:
    """Import clients from a spreadsheet saved as CSV, or from a vCard (.vcf) file.

    CSV: UTF-8 (with or without BOM), GBK/GB18030 or UTF-16, comma, semicolon or
    tab separated, headers in English or Chinese (客户名称, 联系人, 电话, 手机,
    地址, 邮箱, 行业, 等级, 负责人, 生日, 备注, ...); columns it does not know are
    kept under 'extra'. Rows with the same client name (or slug) are one client,
    each row's contact one of its contacts (one row per contact, as 'crmgen
    export' writes); the client's columns must agree between its rows or be
    empty. vCard 3.0/4.0: one client per ORG, each card's person a contact.

    A dry run by default: shows what would be created and every row that cannot
    be imported and why (FILE:ROW: error: ...). --write creates the files, and
    only when every row can be imported; with --skip-bad-rows the bad rows are
    reported and the others imported. Existing clients are never overwritten; a
    likely duplicate (same name, phone or email as an existing client or another
    client of the file) is reported, not created.

    Exit 0 when every row can be imported (or --skip-bad-rows), 1 when any
    cannot (nothing is written), 2 on usage errors.
    """
    project = state.project
    overrides = parse_overrides(maps)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror}") from exc
    plan = plan_import(project, data, str(file), overrides=overrides, default_grade=default_grade.upper())
    # All or nothing unless asked: a sheet imported in part cannot be imported again once its
    # bad rows are corrected (the good rows would be duplicates of the clients they made).
    writing = write and (skip or plan.ok)
    if writing:
        write_plan(project, plan)
    _report(plan, written=writing, skip=skip)
    m = len(plan.rejected)
    rows = f"{m} {plan.kind}{'s' if m != 1 else ''}"
    n = len(plan.created)
    good = f"the {n} client{'s' if n != 1 else ''}"
    if write and not writing:
        click.echo(f"\nNothing written: {rows} cannot be imported. Correct the {plan.kind}s above and run again, or add "
                   f"--skip-bad-rows to create {good} without them.")
    elif not write and plan.created:
        if plan.rejected and not skip:
            click.echo(f"\nDry run: nothing written. Correct the {plan.kind}s above and run again, or run "
                       f"again with --write --skip-bad-rows to create {good} without them.")
        else:
            click.echo("\nDry run: nothing written. Run again with --write to create these files.")
    if plan.rejected:
        if skip:
            click.echo(f"crmgen: skipped {rows}", err=True)
        else:
            click.echo(f"crmgen: {rows} not imported", err=True)
            sys.exit(int(ExitCode.PROBLEMS))


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="csv: for a spreadsheet; vcf: vCard 4.0 for a phone; json: every field, for a tool.")
@click.option("--owner", metavar="O", shell_complete=owners, help="Only the clients of this owner.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of stdout.")
@click.option("--encoding", type=click.Choice(CSV_ENCODINGS, case_sensitive=False), default="utf-8-sig",
              show_default=True, help="CSV only: utf-8-sig (UTF-8 with BOM, for Excel), utf-8 or gb18030.")
@click.option("--public", is_flag=True,
              help="Leave out the fields listed under extra: crmgen: private: and <!-- private --> passages.")
@pass_state
def export_(state, fmt: str, owner: str | None, output: Path | None, encoding: str, public: bool) -> None:
    """Export the clients and their contacts as CSV, vCard 4.0 or JSON.

    CSV: one row per contact with the client's columns repeated (one row for a
    client without contacts); 'crmgen import' reads it back to the same clients.
    vCard: one card per current contact with ORG set to the client, or one card
    for a client without contacts; each card's UID is the same in every export
    (a re-import updates the contact) and its REV is the last commit of the
    client's file. JSON: a list of clients with every front-matter field, dates
    in ISO 8601.

    Files with errors are left out and named on stderr; the exit code is then 1
    (run 'crmgen check'). Exit 0 otherwise, 2 on usage errors.
    """
    encoding = encoding.lower()
    if fmt != "csv" and encoding != "utf-8-sig":
        raise UsageError(f"--encoding applies to --format csv only ({fmt} is always UTF-8)")
    project = state.project
    book = load_book(project)
    clients = select(book.clients, owner)
    if owner is not None and not clients:
        from crmgen.format.owners import NoSuchOwner

        raise NoSuchOwner(owner, (c.owner for c in book.clients))
    if public:
        from crmgen.privacy import redact_all

        clients = redact_all(clients, project.settings.private)
    revisions = None
    if fmt == "vcf":
        from crmgen.history import read_history

        # REV is when git last saw the client's file change: the same in every export of a commit.
        history = read_history(project.root, project.settings.clients_dir, project.cache_dir)
        revisions = {slug: h.last_changed.date for slug, h in history.files.items() if h.last_changed}
    data = export(clients, fmt, encoding, revisions)
    if output is not None:
        from crmgen.fsutil import atomic_write

        atomic_write(output, data)  # a failure is one line (WriteFailed), the file as it was
        click.echo(f"wrote {len(clients)} client{'s' if len(clients) != 1 else ''} to {output}", err=True)
    else:
        click.echo(data, nl=False)  # bytes go to the binary stdout untouched (BOM, CRLF)
    if book.broken:
        click.echo(f"crmgen: error: left out {len(book.broken)} file{'s' if len(book.broken) != 1 else ''} "
                   f"with errors: {', '.join(book.broken)}; run 'crmgen check' to see why", err=True)
        sys.exit(int(ExitCode.PROBLEMS))
