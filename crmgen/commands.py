"""``crmgen check`` and ``crmgen due``: the work and the output, without Click.

Both the Click commands (:mod:`crmgen.cli.check`, :mod:`crmgen.cli.due`) and the
fast path of ``python -m crmgen`` (:mod:`crmgen.fastpath`) call :func:`run_check`
and :func:`run_due` and print the chunks they return, so the two cannot differ.
Output is a list of chunks ``(to stderr?, text, colour)``, ``colour`` as
``click.echo``'s ``color``; bytes are written untouched to stdout.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .cells import GROUP_COLOURS, GROUPS, NAME_WIDTH, fit, style, when, width
from .fastpath import Chunk, isatty, summary_line

__all__ = ["GROUP_COLOURS", "GROUPS", "NAME_WIDTH", "due_chunks", "due_text", "fit", "needs_history",
           "problem_chunks", "problem_tuples", "run_check", "run_due", "save_summary", "style", "summary_line",
           "when", "width"]


def problem_tuples(problems: Iterable[Any]) -> list[tuple]:
    """Problems as sorted ``(path, line, col, severity, message, code)`` tuples (the order of
    :func:`crmgen.errors.sort_problems`)."""
    rows = [(p.path, p.line, p.col, p.severity, p.message, p.code) for p in problems]
    rows.sort(key=lambda t: (t[0], t[1], t[2], t[3], t[5], t[4]))
    return rows


def problem_chunks(problems: Sequence[tuple], files: int, fmt: str = "text", *, colour: bool = False,
                   quiet: bool = False) -> list[Chunk]:
    """What ``report_problems`` prints for sorted problem tuples: GCC-style lines and a
    summary on stderr (``colour``: stderr is a terminal), or JSON / GitHub annotations on stdout."""
    if fmt == "json":
        import json

        items = [{"path": p[0], "line": p[1], "col": p[2], "severity": p[3], "code": p[5], "message": p[4]}
                 for p in problems]
        return [(False, json.dumps(items, ensure_ascii=False, indent=2), None)]
    if fmt == "github":
        lines = []
        for path, line, col, severity, message, code in problems:
            level = "error" if severity == "error" else "warning"
            msg = f"{message} [{code}]".replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            lines.append(f"::{level} file={path},line={line},col={col},title=crmgen {code}::{msg}")
        return [(False, "\n".join(lines), None)] if lines else []
    out: list[Chunk] = []
    lines = []
    for path, line, col, severity, message, code in problems:
        text = f"{path}:{line}:{col}: {severity}: {message} [{code}]"
        if colour:
            tint = "red" if severity == "error" else "yellow"
            text = text.replace(f" {severity}: ", " " + style(f"{severity}:", fg=tint, bold=True) + " ", 1)
        lines.append(text)
    if lines:
        out.append((True, "\n".join(lines), colour))
    if not quiet or problems:
        out.append((True, summary_line(problems, files), None))
    return out


def run_check(project: Any, files: list[Path] | None, *, strict: bool, fmt: str, no_cache: bool,
              started_ns: int) -> tuple[list[Chunk], int]:
    """``crmgen check`` the ordinary way: (output, exit code); writes the summary."""
    from .book import load_book

    book = load_book(project, files, use_cache=not no_cache)
    problems = problem_tuples(book.problems)
    if files is None and not no_cache:
        save_summary(project, book, problems, started_ns)
    failed = book.has_errors or (strict and bool(problems))
    return problem_chunks(problems, book.files, fmt, colour=isatty(sys.stderr)), int(failed)


def needs_history(clients: Iterable[Any]) -> bool:
    """Whether ``due`` must ask git when each file was added: only for a client with neither a
    logged contact nor ``since`` (the ``touch`` rule's last resort)."""
    return any(c.stage != "lost" and not c.interactions and c.since is None for c in clients)


def save_summary(project: Any, book: Any, problems: list[tuple], started_ns: int,
                 the_plan: dict | None = None) -> None:
    """Write the book summary after a pass over the whole book (see :mod:`crmgen.summary`)."""
    from . import summary

    fps = getattr(book, "fingerprints", None)
    if fps is None:
        return
    root = str(project.root)
    settings = project.settings
    prefix = settings.clients_dir.rstrip("/") + "/"
    entries = []
    for rel, fp in fps.items():
        if not rel.startswith(prefix) or "/" in rel[len(prefix):]:
            return
        entries.append((rel[len(prefix):], tuple(fp)))
    entries.sort()
    try:
        config = summary.fingerprint(os.stat(project.config_path))
    except OSError:
        return
    due_part = None
    if not book.has_errors and not needs_history(book.clients):
        from .duepack import pack
        from .reminders import lead_days, plan

        due_part = pack(the_plan if the_plan is not None else plan(book.clients, settings), settings.within,
                        lead_days(settings))
    summary.save(root, saved_ns=started_ns, config=config, clients_dir=settings.clients_dir, entries=entries,
                 files=book.files, has_errors=book.has_errors, problems=problems, due=due_part)


# An item of the text listing: (ISO date, days from today, kind, client name, owner, title).
Item = tuple[str, int, str, str, "str | None", str]


def due_text(items: Sequence[Item], within: int, *, colour: bool = False) -> list[str]:
    """The grouped, aligned listing of ``crmgen due``: one header per non-empty group, then a
    summary line. ``items`` are in date order."""
    if not items:
        return [f"Nothing due in the next {within} days."]
    paint: Callable[..., str] = style if colour else (lambda text, **_: text)
    owners = {it[4] for it in items}
    names = {it[3] for it in items}
    show_owner = len({o for o in owners if o}) > 1
    w_when = max(width(when(d)) for d in {it[1] for it in items})
    w_kind = max(len(k) for k in {it[2] for it in items})
    w_name = min(max(width(n) for n in names), NAME_WIDTH)
    w_owner = max(width(o or "") for o in owners)
    when_cell: dict[int, str] = {}
    name_cell = {n: fit(n, w_name) for n in names}
    kind_cell = {k: fit(k, w_kind) for k in {it[2] for it in items}}
    owner_cell = {o: fit(o or "-", w_owner) for o in owners} if show_owner else {}

    lines: list[str] = []
    counts: list[str] = []
    # items are in date order, so each group is one run of them
    bounds = [0, 0, 0, 0, len(items)]
    for pos, it in enumerate(items):
        d = it[1]
        if d < 0:
            bounds[1] = bounds[2] = bounds[3] = pos + 1
        elif d == 0:
            bounds[2] = bounds[3] = pos + 1
        elif d <= 7:
            bounds[3] = pos + 1
    for g, title in enumerate(GROUPS):
        members = items[bounds[g]:bounds[g + 1]]
        if not members:
            continue
        if lines:
            lines.append("")
        lines.append(paint(title, fg=GROUP_COLOURS[title], bold=True))
        counts.append(f"{len(members)} {title.lower()}")
        for iso, days, kind, name, owner, text in members:
            cell = when_cell.get(days)
            if cell is None:
                cell = when_cell[days] = paint(fit(when(days), w_when), fg="red" if days < 0 else None)
            if show_owner:
                lines.append(f"  {iso}  {cell}  {kind_cell[kind]}  {name_cell[name]}  {owner_cell[owner]}  {text}")
            else:
                lines.append(f"  {iso}  {cell}  {kind_cell[kind]}  {name_cell[name]}  {text}")
    lines.append("")
    lines.append(f"{len(items)} {'reminder' if len(items) == 1 else 'reminders'}: " + ", ".join(counts))
    return lines


def _due_rows(the_plan: dict, day: dt.date, ahead: int, leads: dict[str, int], owner: str | None,
              kinds: Sequence[str]) -> list[tuple]:
    from .dueplan import select

    rows = select(the_plan, day, ahead, leads)
    clients = the_plan["clients"]
    if owner is not None:
        wanted = owner.strip().casefold()
        rows = [r for r in rows if (o := clients[r[2]][2]) is not None and o.strip().casefold() == wanted]
    if kinds:
        rows = [r for r in rows if r[1] in kinds]
    return rows


def due_chunks(the_plan: dict, rows: list[tuple], day: dt.date, leads: dict[str, int], window: int,
               fmt: str, colour: bool) -> list[Chunk]:
    """The output of ``crmgen due`` in text or JSON for rows picked by :func:`crmgen.dueplan.select`."""
    clients = the_plan["clients"]
    t = day.toordinal()
    iso: dict[int, str] = {}

    def date_of(o: int) -> str:
        s = iso.get(o)
        if s is None:
            s = iso[o] = dt.date.fromordinal(o).isoformat()
        return s

    if fmt == "json":
        import json

        items = []
        for o, kind, ci, title, amount, _key in rows:
            slug, name, owner = clients[ci]
            items.append({"client": slug, "name": name, "owner": owner, "kind": kind, "date": date_of(o),
                          "days": o - t, "lead": leads[kind], "title": title, "amount": amount})
        return [(False, json.dumps(items, ensure_ascii=False, indent=2), None)]
    items = [(date_of(o), o - t, kind, clients[ci][1], clients[ci][2], title) for o, kind, ci, title, _a, _k in rows]
    return [(False, "\n".join(due_text(items, window, colour=colour)), colour)]


def run_due(project: Any, today: dt.date | None, within: int | None, owner: str | None, kinds: Sequence[str],
            fmt: str, fail_on_overdue: bool, started_ns: int) -> tuple[list[Chunk], int]:
    """``crmgen due`` the ordinary way: (output, exit code); writes the summary.

    With ``fmt`` "ics" the output is one bytes chunk (written untouched)."""
    from .book import load_book
    from .reminders import lead_days, plan

    book = load_book(project)
    problems = problem_tuples(book.problems)
    settings = project.settings
    the_plan = None
    if not book.has_errors:
        if needs_history(book.clients):
            from .history import read_history

            first_seen = read_history(project.root, settings.clients_dir).first_seen()
            the_plan = plan(book.clients, settings, first_seen)
            save_summary(project, book, problems, started_ns, None)
        else:
            the_plan = plan(book.clients, settings)
            save_summary(project, book, problems, started_ns, the_plan)
    else:
        save_summary(project, book, problems, started_ns)
        return problem_chunks(problems, book.files, "text", colour=isatty(sys.stderr)), 1
    day = today if today is not None else dt.date.today()
    leads = lead_days(settings)
    ahead = settings.within if within is None else within
    rows = _due_rows(the_plan, day, ahead, leads, owner, kinds)
    if fmt == "ics":
        from .ics import to_ics  # icalendar takes ~60 ms to import: only when asked for
        from .reminders import reminders_of

        name = f"crmgen: {owner}" if owner else f"crmgen: {project.config.get('site_name') or 'reminders'}"
        chunks: list[Chunk] = [(False, to_ics(reminders_of(the_plan, rows, day, leads), calendar_name=name), None)]
    else:
        chunks = due_chunks(the_plan, rows, day, leads, ahead, fmt, isatty(sys.stdout))
    return chunks, _due_code(rows, day, fail_on_overdue)


def _due_code(rows: list[tuple], day: dt.date, fail_on_overdue: bool) -> int:
    t = day.toordinal()
    return 3 if fail_on_overdue and any(r[0] < t for r in rows) else 0
