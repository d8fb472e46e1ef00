"""All terminal output: problems, the ``due`` listing, cells and colours.

Output is a list of chunks ``(to stderr?, text, colour)`` that ``echo_chunks``
(:mod:`crmgen.cli.app`) prints; bytes (a calendar) are written untouched to stdout.
The words for time come from :mod:`crmgen.rules.wording`, as on the site. What a person
reads (the groups, the kinds, the counts, ``check``'s summary) is in the active language
(:mod:`crmgen.i18n`); the GCC-style problem lines, JSON and annotations stay as they are.
"""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from crmgen.format.errors import summary_line
from crmgen.i18n import N_, _, label, ngettext, pgettext
from crmgen.rules.wording import GROUPS, WEEK, group_name, when

GROUP_COLOURS = {"Overdue": "red", "Today": "yellow", "This week": "green", "Later": "blue"}
# How many of the listing fall in each group of GROUPS, in the summary line ("2 overdue").
GROUP_COUNTS = (N_("%(num)d overdue"), N_("%(num)d today"), N_("%(num)d this week"), N_("%(num)d later"))
NAME_WIDTH = 24  # display columns; longer client names are cut with an ellipsis
_FG = {"red": 31, "green": 32, "yellow": 33, "blue": 34}


def style(text: str, fg: str | None = None, bold: bool = False) -> str:
    """``click.style(text, fg=fg, bold=bold)`` for the colours used here, without importing Click."""
    return (f"\x1b[{_FG[fg]}m" if fg else "") + ("\x1b[1m" if bold else "") + text + "\x1b[0m"


@functools.lru_cache(maxsize=4096)
def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters count 2."""
    if text.isascii():
        return len(text)
    import unicodedata  # loaded only for text that needs it: the fast path seldom does
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


# A piece of output: (to stderr?, text, colour) where colour is as click.echo's ``color``
# (None: keep ANSI codes only on a terminal); bytes go untouched to stdout.
Chunk = tuple[bool, Any, "bool | None"]


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def colour_on(stream: Any, environ: Any = None) -> bool:
    """Whether to colour what goes to ``stream``: on a terminal, unless ``NO_COLOR`` is set to
    anything (https://no-color.org); ``FORCE_COLOR`` set to anything but ``0``/``false`` colours a
    pipe or a file too. NO_COLOR wins when both are set."""
    import os

    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force is not None and force.strip().lower() not in ("", "0", "false", "no"):
        return True
    return isatty(stream)


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
            level = {"error": "error", "note": "notice"}.get(severity, "warning")
            msg = f"{message} [{code}]".replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            lines.append(f"::{level} file={path},line={line},col={col},title=crmgen {code}::{msg}")
        return [(False, "\n".join(lines), None)] if lines else []
    out: list[Chunk] = []
    lines = []
    for path, line, col, severity, message, code in problems:
        text = f"{path}:{line}:{col}: {severity}: {message} [{code}]"
        if colour:
            tint = {"error": "red", "note": "blue"}.get(severity, "yellow")
            text = text.replace(f" {severity}: ", " " + style(f"{severity}:", fg=tint, bold=True) + " ", 1)
        lines.append(text)
    if lines:
        out.append((True, "\n".join(lines), colour))
    if not quiet or problems:
        out.append((True, summary_line(problems, files), None))
    return out


# An item of the text listing: (ISO date, days from today, kind, client name, owner, title).
Item = tuple[str, int, str, str, "str | None", str]


def due_text(items: Sequence[Item], within: int, *, colour: bool = False) -> list[str]:
    """The grouped, aligned listing of ``crmgen due``: one header per non-empty group, then a
    summary line. ``items`` are in date order."""
    if not items:
        return [ngettext("Nothing due in the next %(num)d day.", "Nothing due in the next %(num)d days.", within)
                % {"num": within}]
    paint: Callable[..., str] = style if colour else (lambda text, **_: text)
    owners = {it[4] for it in items}
    names = {it[3] for it in items}
    show_owner = len({o for o in owners if o}) > 1
    w_when = max(width(when(d)) for d in {it[1] for it in items})
    kinds = {k: label("reminder", k) for k in {it[2] for it in items}}  # as the site names them
    w_kind = max(width(k) for k in kinds.values())
    w_name = min(max(width(n) for n in names), NAME_WIDTH)
    w_owner = max(width(o or "") for o in owners)
    when_cell: dict[int, str] = {}
    name_cell = {n: fit(n, w_name) for n in names}
    kind_cell = {k: fit(shown, w_kind) for k, shown in kinds.items()}
    owner_cell = {o: fit(o or "-", w_owner) for o in owners} if show_owner else {}

    lines: list[str] = []
    counts: list[str] = []
    # items are in date order: each group (rules.wording.group_of) is one run of them
    offsets = [it[1] for it in items]
    bounds = [0, bisect_left(offsets, 0), bisect_right(offsets, 0), bisect_right(offsets, WEEK), len(items)]
    for g, title in enumerate(GROUPS):
        members = items[bounds[g]:bounds[g + 1]]
        if not members:
            continue
        if lines:
            lines.append("")
        lines.append(paint(group_name(g), fg=GROUP_COLOURS[title], bold=True))
        counts.append(_(GROUP_COUNTS[g]) % {"num": len(members)})
        for iso, days, kind, name, owner, text in members:
            cell = when_cell.get(days)
            if cell is None:
                cell = when_cell[days] = paint(fit(when(days), w_when), fg="red" if days < 0 else None)
            if show_owner:
                lines.append(f"  {iso}  {cell}  {kind_cell[kind]}  {name_cell[name]}  {owner_cell[owner]}  {text}")
            else:
                lines.append(f"  {iso}  {cell}  {kind_cell[kind]}  {name_cell[name]}  {text}")
    lines.append("")
    n = len(items)
    lines.append(ngettext("%(num)d reminder: %(groups)s", "%(num)d reminders: %(groups)s", n)
                 % {"num": n, "groups": pgettext("list", ", ").join(counts)})
    return lines


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
