"""``crmgen due``: the follow-ups the salesperson owes, as a list, JSON or a calendar."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
import unicodedata

import click

from ..book import load_book
from ..errors import ExitCode
from ..history import read_history
from ..model import Client
from ..reminders import KINDS, Reminder, due, group
from .app import main, pass_state, report_problems, today_option

GROUP_COLOURS = {"Overdue": "red", "Today": "yellow", "This week": "green", "Later": "blue"}
NAME_WIDTH = 24  # display columns; longer client names are cut with an ellipsis


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
@pass_state
def due_command(
    state,
    today: dt.datetime | None,
    within: int | None,
    owner: str | None,
    kinds: tuple[str, ...],
    fmt: str,
    fail_on_overdue: bool,
) -> None:
    """List the follow-ups that are due: calls, visits, promises, payments, birthdays...

    Reminders are computed from the client files: overdue ones first (they stay
    until the files show them done), then today, this week and later. Exit 0;
    1 when the client files do not validate (the problems are printed, fix them
    with the help of 'crmgen check'); 3 with --fail-on-overdue when anything is
    overdue.
    """
    project = state.project
    book = load_book(project)
    if book.has_errors:
        report_problems(book.problems, book.files, "text")
        sys.exit(int(ExitCode.PROBLEMS))

    day = today.date() if today is not None else dt.date.today()
    settings = project.settings
    reminders = due(
        book.clients,
        day,
        settings,
        within=within,
        first_seen=_first_seen(project.root, settings.clients_dir, book.clients),
    )
    if owner is not None:
        wanted = owner.strip().casefold()
        reminders = [r for r in reminders if r.owner is not None and r.owner.strip().casefold() == wanted]
    if kinds:
        reminders = [r for r in reminders if r.kind in kinds]

    if fmt == "json":
        click.echo(json.dumps([r.to_json() for r in reminders], ensure_ascii=False, indent=2))
    elif fmt == "ics":
        from ..ics import to_ics  # icalendar takes ~60 ms to import: only when asked for

        name = f"crmgen: {owner}" if owner else f"crmgen: {project.config.get('site_name') or 'reminders'}"
        click.echo(to_ics(reminders, calendar_name=name), nl=False)  # bytes: written untouched
    else:
        window = settings.within if within is None else within
        colour = sys.stdout.isatty()
        for line in render_text(reminders, window, colour=colour):
            click.echo(line, color=colour)

    if fail_on_overdue and any(r.days < 0 for r in reminders):
        sys.exit(int(ExitCode.OVERDUE))


def _first_seen(root, clients_dir: str, clients: list[Client]) -> dict[str, dt.date]:
    # Git is asked only when some client has neither a logged contact nor `since`:
    # the touch rule needs the day its file was added, nothing else here does.
    if any(c.stage != "lost" and not c.interactions and c.since is None for c in clients):
        return read_history(root, clients_dir).first_seen()
    return {}


# --- text output -----------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters count 2."""
    if text.isascii():
        return len(text)
    cols = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        cols += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return cols


def fit(text: str, columns: int) -> str:
    """``text`` cut (with an ellipsis) and padded to exactly ``columns`` display columns."""
    used = width(text)
    if used > columns:
        out, used = [], 0
        for ch in text:
            w = width(ch)
            if used + w > columns - 1:
                break
            out.append(ch)
            used += w
        text, used = "".join(out) + "…", used + 1
    return text + " " * (columns - used)


def when(days: int) -> str:
    """``today``, ``in 3 days``, ``1 day ago``."""
    if days == 0:
        return "today"
    n = abs(days)
    unit = "day" if n == 1 else "days"
    return f"in {n} {unit}" if days > 0 else f"{n} {unit} ago"


def render_text(reminders: list[Reminder], within: int, *, colour: bool = False) -> list[str]:
    """The grouped, aligned listing: one header per non-empty group, then a summary line."""
    if not reminders:
        return [f"Nothing due in the next {within} days."]
    style = click.style if colour else (lambda text, **_: text)
    show_owner = len({r.owner for r in reminders if r.owner}) > 1
    w_when = max(width(when(r.days)) for r in reminders)
    w_kind = max(len(r.kind) for r in reminders)
    w_name = min(max(width(r.name) for r in reminders), NAME_WIDTH)
    w_owner = max((width(r.owner or "") for r in reminders), default=0)

    lines: list[str] = []
    counts: list[str] = []
    for title, members in group(reminders).items():
        if not members:
            continue
        if lines:
            lines.append("")
        lines.append(style(title, fg=GROUP_COLOURS[title], bold=True))
        counts.append(f"{len(members)} {title.lower()}")
        for r in members:
            cells = [
                r.date.isoformat(),
                style(fit(when(r.days), w_when), fg="red" if r.days < 0 else None),
                fit(r.kind, w_kind),
                fit(r.name, w_name),
            ]
            if show_owner:
                cells.append(fit(r.owner or "-", w_owner))
            cells.append(r.title)
            lines.append("  " + "  ".join(cells))
    lines.append("")
    lines.append(
        f"{len(reminders)} {'reminder' if len(reminders) == 1 else 'reminders'}: " + ", ".join(counts)
    )
    return lines
