"""``crmgen check`` and ``crmgen due`` without Click, and answered from the book summary when it holds.

Start-up is most of what these commands cost on a small book: Click, PyYAML and
the dataclasses of the model take longer to import than checking a hundred
unchanged files. ``python -m crmgen`` therefore first hands its arguments to
:func:`main`, which understands the common forms of ``check`` and ``due``:

- when the book summary (:mod:`crmgen.summary`) still describes the book, the
  answer comes from it, importing nothing but the standard library;
- otherwise ``check`` and ``due`` run as usual (and write a new summary), still
  without importing Click;
- anything else (other commands, ``--help``, file arguments, an unusual option,
  an error to report, output that is not UTF-8) returns None and the Click
  command line takes over from the start.

The output is made here for both paths: the Click commands call :func:`run_check`,
:func:`run_due` and the renderers below, and only write with ``click.echo``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

# A piece of output: (to stderr?, text, colour) where colour is as click.echo's ``color``
# (None: keep ANSI codes only on a terminal).
Chunk = tuple[bool, Any, "bool | None"]

GROUPS = ("Overdue", "Today", "This week", "Later")
GROUP_COLOURS = {"Overdue": "red", "Today": "yellow", "This week": "green", "Later": "blue"}
NAME_WIDTH = 24  # display columns; longer client names are cut with an ellipsis
_FG = {"red": 31, "green": 32, "yellow": 33, "blue": 34}


def style(text: str, fg: str | None = None, bold: bool = False) -> str:
    """``click.style(text, fg=fg, bold=bold)`` for the colours used here, without importing Click."""
    return (f"\x1b[{_FG[fg]}m" if fg else "") + ("\x1b[1m" if bold else "") + text + "\x1b[0m"


# --- check ------------------------------------------------------------------------


def problem_tuples(problems: Iterable[Any]) -> list[tuple]:
    """Problems as sorted ``(path, line, col, severity, message, code)`` tuples (the order of
    :func:`crmgen.errors.sort_problems`)."""
    rows = [(p.path, p.line, p.col, p.severity, p.message, p.code) for p in problems]
    rows.sort(key=lambda t: (t[0], t[1], t[2], t[3], t[5], t[4]))
    return rows


def summary_line(problems: Sequence[tuple], files: int) -> str:
    """As :func:`crmgen.errors.summary_line`."""
    errors = sum(1 for p in problems if p[3] == "error")
    warnings = len(problems) - errors

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if not problems:
        return f"no problems in {plural(files, 'file')}"
    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')} in {plural(files, 'file')}"


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
    return problem_chunks(problems, book.files, fmt, colour=_isatty(sys.stderr)), int(failed)


def _check_from_summary(head: dict, strict: bool, fmt: str) -> tuple[list[Chunk], int]:
    problems = head["problems"]
    failed = head["has_errors"] or (strict and bool(problems))
    return problem_chunks(problems, head["files"], fmt, colour=_isatty(sys.stderr)), int(failed)


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
        from .reminders import lead_days, plan

        due_part = {"plan": the_plan if the_plan is not None else plan(book.clients, settings),
                    "within": settings.within, "leads": lead_days(settings)}
    summary.save(root, saved_ns=started_ns, config=config, clients_dir=settings.clients_dir, entries=entries,
                 files=book.files, has_errors=book.has_errors, problems=problems, due=due_part)


# --- due --------------------------------------------------------------------------


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
        return problem_chunks(problems, book.files, "text", colour=_isatty(sys.stderr)), 1
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
        chunks = due_chunks(the_plan, rows, day, leads, ahead, fmt, _isatty(sys.stdout))
    return chunks, _due_code(rows, day, fail_on_overdue)


def _due_code(rows: list[tuple], day: dt.date, fail_on_overdue: bool) -> int:
    t = day.toordinal()
    return 3 if fail_on_overdue and any(r[0] < t for r in rows) else 0


# --- the command line without Click ----------------------------------------------


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _utf8(stream: Any) -> bool:
    # Click writes to such a stream as it is (it re-wraps only misconfigured, ASCII ones)
    enc = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return enc == "utf8"


_ANSI = None


def write(chunks: list[Chunk]) -> bool:
    """Write chunks as ``click.echo(text, err=..., color=...)`` would; False (nothing written)
    when that cannot be guaranteed here."""
    texts = []
    for err, text, colour in chunks:
        stream = sys.stderr if err else sys.stdout
        if not isinstance(text, str) or not _utf8(stream):
            return False
        strip = not colour if colour is not None else not _isatty(stream)
        if strip and "\x1b" in text:
            global _ANSI
            if _ANSI is None:
                import re

                _ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")  # click._compat._ansi_re
            text = _ANSI.sub("", text)
        texts.append((stream, text + "\n"))
    for stream, text in texts:
        stream.write(text)
        stream.flush()
    return True


def _parse(argv: list[str]) -> tuple[str | None, str, dict[str, Any]] | None:
    """(-C directory, command, options) for the forms handled here, else None."""
    directory = None
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        arg = argv[i]
        if arg == "-C" and i + 1 < len(argv):
            directory = argv[i + 1]
            i += 2
        elif arg == "--debug":
            i += 1
        else:
            return None
    if i >= len(argv):
        return None
    command, rest = argv[i], argv[i + 1:]
    if command == "check":
        spec = {"--strict": None, "--no-cache": None, "--format": ("text", "json", "github")}
    elif command == "due":
        spec = {"--today": "date", "--within": "int", "--owner": "text", "--kind": "kind",
                "--format": ("text", "json", "ics"), "--fail-on-overdue": None}
    else:
        return None
    opts: dict[str, Any] = {"--kind": []}
    j = 0
    while j < len(rest):
        arg = rest[j]
        name, eq, value = arg.partition("=")
        if name not in spec or (eq and spec[name] is None):
            return None  # file arguments, --help, anything unusual: Click handles it
        kind = spec[name]
        if kind is None:
            opts[name] = True
            j += 1
            continue
        if not eq:
            if j + 1 >= len(rest):
                return None
            value = rest[j + 1]
            j += 1
        j += 1
        if isinstance(kind, tuple):
            if value not in kind:
                return None
        elif kind == "date":
            try:
                value = dt.datetime.strptime(value, "%Y-%m-%d").date()
            except ValueError:
                return None
        elif kind == "int":
            try:
                value = int(value)
            except ValueError:
                return None
            if value < 0:
                return None
        elif kind == "kind":
            from .dueplan import KINDS

            if value not in KINDS:
                return None
            opts["--kind"].append(value)
            continue
        opts[name] = value
    return directory, command, opts


def _root(directory: str | None) -> str | None:
    """The project root as :func:`crmgen.config.find_root` finds it, or None (Click reports why)."""
    if directory is not None and not os.path.isdir(directory):
        return None
    start = (Path(directory) if directory else Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if (candidate / "mkdocs.yml").is_file():
            return str(candidate)
    return None


def main(argv: list[str]) -> int | None:
    """Run ``check`` or ``due`` without Click: the exit code, or None to let Click run it."""
    started_ns = time.time_ns()
    parsed = _parse(argv)
    if parsed is None or not (_utf8(sys.stdout) and _utf8(sys.stderr)):
        return None
    directory, command, opts = parsed
    root = _root(directory)
    if root is None:
        return None
    fmt = opts.get("--format", "text")
    if command == "check":
        chunks = None
        if not opts.get("--no-cache"):
            from . import summary

            found = summary.load(root)
            if found is not None:
                chunks, code = _check_from_summary(found[0], bool(opts.get("--strict")), fmt)
        if chunks is None:
            project = _project(directory)
            if project is None:
                return None
            try:
                chunks, code = run_check(project, None, strict=bool(opts.get("--strict")), fmt=fmt,
                                         no_cache=bool(opts.get("--no-cache")), started_ns=started_ns)
            except _errors().CrmgenError:
                return None  # Click reports it
        return code if write(chunks) else None
    if fmt == "ics":
        return None  # the calendar needs the site name from mkdocs.yml and icalendar: not worth a fast path
    today = opts.get("--today") or dt.date.today()
    within, owner, kinds = opts.get("--within"), opts.get("--owner"), opts["--kind"]
    fail = bool(opts.get("--fail-on-overdue"))
    from . import summary

    found = summary.load(root, with_due=True)
    if found is not None and found[0]["has_errors"]:
        head = found[0]
        chunks = problem_chunks(head["problems"], head["files"], "text", colour=_isatty(sys.stderr))
        return 1 if write(chunks) else None
    if found is not None and found[1] is not None:
        part = found[1]
        ahead = part["within"] if within is None else within
        rows = _due_rows(part["plan"], today, ahead, part["leads"], owner, kinds)
        chunks = due_chunks(part["plan"], rows, today, part["leads"], ahead, fmt, _isatty(sys.stdout))
        return _due_code(rows, today, fail) if write(chunks) else None
    project = _project(directory)
    if project is None:
        return None
    try:
        chunks, code = run_due(project, today, within, owner, kinds, fmt, fail, started_ns)
    except _errors().CrmgenError:
        return None  # Click reports it
    return code if write(chunks) else None


def _errors() -> Any:
    from . import errors

    return errors


def _project(directory: str | None) -> Any:
    from .config import load_project

    try:
        return load_project(directory)
    except _errors().CrmgenError:
        return None
