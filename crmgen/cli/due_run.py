"""``crmgen due``: the work and the output, without Click (see :mod:`crmgen.cli.check_run`)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from typing import Any

from crmgen.cli.check_run import Chunk, isatty, needs_history, problem_chunks
from crmgen.cli.output import GROUP_COLOURS, NAME_WIDTH, fit, style, width
from crmgen.rules.wording import GROUPS, group_of, when

__all__ = ["GROUP_COLOURS", "GROUPS", "NAME_WIDTH", "due_chunks", "due_text", "fit", "run_due", "style", "when",
           "width"]


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
        for g in range(group_of(it[1]) + 1, 4):
            bounds[g] = pos + 1
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
    from crmgen.rules.dueplan import select

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
    """The output of ``crmgen due`` in text or JSON for rows picked by :func:`crmgen.rules.dueplan.select`."""
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
    listing = [(date_of(o), o - t, kind, clients[ci][1], clients[ci][2], title)
               for o, kind, ci, title, _a, _k in rows]
    return [(False, "\n".join(due_text(listing, window, colour=colour)), colour)]


def run_due(project: Any, today: dt.date | None, within: int | None, owner: str | None, kinds: Sequence[str],
            fmt: str, fail_on_overdue: bool, started_ns: int, *, use_cache: bool = True) -> tuple[list[Chunk], int]:
    """``crmgen due``: (output, exit code).

    With ``fmt`` "ics" the output is one bytes chunk (written untouched)."""
    from crmgen.load.book import due_book
    from crmgen.rules.reminders import lead_days, plan

    settings = project.settings

    def make_plan(book: Any) -> tuple[dict, bool]:
        if needs_history(book.clients):  # the plan depends on git too: not kept
            from crmgen.history import read_history

            first_seen = read_history(project.root, settings.clients_dir).first_seen()
            return plan(book.clients, settings, first_seen), False
        return plan(book.clients, settings), True

    got = due_book(project, make_plan, use_cache=use_cache, started_ns=started_ns)
    the_plan = got.plan
    if the_plan is None:
        checked = got.checked
        return problem_chunks(checked.problems, checked.files, "text", colour=isatty(sys.stderr)), 1
    day = today if today is not None else dt.date.today()
    leads = lead_days(settings)
    ahead = settings.within if within is None else within
    rows = _due_rows(the_plan, day, ahead, leads, owner, kinds)
    if fmt == "ics":
        from crmgen.render.ics import to_ics  # icalendar takes ~60 ms to import: only when asked for
        from crmgen.rules.reminders import reminders_of

        name = f"crmgen: {owner}" if owner else f"crmgen: {project.config.get('site_name') or 'reminders'}"
        chunks: list[Chunk] = [(False, to_ics(reminders_of(the_plan, rows, day, leads), calendar_name=name), None)]
    else:
        chunks = due_chunks(the_plan, rows, day, leads, ahead, fmt, isatty(sys.stdout))
    return chunks, _due_code(rows, day, fail_on_overdue)


def _due_code(rows: list[tuple], day: dt.date, fail_on_overdue: bool) -> int:
    t = day.toordinal()
    return 3 if fail_on_overdue and any(r[0] < t for r in rows) else 0
