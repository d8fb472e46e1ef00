"""``crmgen check`` and ``crmgen due`` without Click, and answered from the book summary when it holds.

Start-up is most of what these commands cost on a small book: Click, PyYAML and
the dataclasses of the model take longer to import than checking a hundred
unchanged files. ``python -m crmgen`` therefore first hands its arguments to
:func:`main`, which understands the common forms of ``check`` and ``due``:

- when the book summary (:mod:`crmgen.summary`) still describes the book, the
  answer comes from it, importing nothing but the standard library; ``due`` asked
  exactly what it was asked last (same book, day, options and output) copies the
  output it kept then (:mod:`crmgen.dueout`);
- otherwise ``check`` and ``due`` run as usual (and write a new summary), still
  without importing Click;
- anything else (other commands, ``--help``, file arguments, an unusual option,
  an error to report, output that is not UTF-8) returns None and the Click
  command line takes over from the start.

The output is made by :mod:`crmgen.commands` (check), :mod:`crmgen.duecmd` and
:mod:`crmgen.duepack` (due) for both paths: the Click commands call the same
functions and only write with ``click.echo``. This module and the
few it loads on a warm cache are kept small: ``PYTHONDONTWRITEBYTECODE`` (or a
read-only install) makes Python compile every module it imports, every time.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

# A piece of output: (to stderr?, text, colour) where colour is as click.echo's ``color``
# (None: keep ANSI codes only on a terminal); bytes go untouched to stdout.
Chunk = tuple[bool, Any, "bool | None"]


def summary_line(problems: Any, files: int) -> str:
    """As :func:`crmgen.errors.summary_line`."""
    errors = sum(1 for p in problems if p[3] == "error")
    warnings = len(problems) - errors

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if not problems:
        return f"no problems in {plural(files, 'file')}"
    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')} in {plural(files, 'file')}"


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _utf8(stream: Any) -> bool:
    # Click writes to such a stream as it is (it re-wraps only misconfigured, ASCII ones)
    enc = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return enc == "utf8"


_ANSI = None


def write(chunks: list[Chunk], record: Any = None) -> bool:
    """Write chunks as ``click.echo(text, err=..., color=...)`` would; False (nothing written)
    when that cannot be guaranteed here. ``record`` (a :class:`crmgen.dueout.Recorder`) is
    given the bytes written to stdout, and abandoned if anything goes to stderr."""
    texts = []
    for err, text, colour in chunks:
        stream = sys.stderr if err else sys.stdout
        if not _utf8(stream):
            return False
        if not isinstance(text, str):  # bytes, or pieces of bytes: as click.echo(data, nl=False)
            texts.append((stream, text))
            continue
        strip = not colour if colour is not None else not isatty(stream)
        if strip and "\x1b" in text:
            global _ANSI
            if _ANSI is None:
                import re

                _ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")  # click._compat._ansi_re
            text = _ANSI.sub("", text)
        texts.append((stream, text + "\n"))
    if record is not None and any(stream is not sys.stdout for stream, _ in texts):
        record.abandon()
        record = None
    for stream, text in texts:
        if not isinstance(text, str):
            stream.flush()
            stream.buffer.flush()
            put = _writer(stream.buffer)
            batch: list[bytes] = []
            for piece in [text] if isinstance(text, bytes) else text:  # a few writes, no huge buffer
                batch.append(piece)
                if len(batch) == 512:
                    if record is not None:
                        record.add(batch)  # first: put() may shorten a piece written in part
                    put(batch)
                    batch = []
            if record is not None:
                record.add(batch)
            put(batch)
            stream.buffer.flush()
        else:
            if record is not None:
                try:
                    record.add([text.encode(stream.encoding, stream.errors)])  # as the stream encodes it
                except (UnicodeError, LookupError):
                    record.abandon()
                    record = None
            stream.write(text)
            stream.flush()
    return True


def _writer(buffer: Any) -> Any:
    """A function writing a list of byte strings: gathered by the kernel (``writev``) when the
    stream is a file descriptor, so a long listing is never copied into one buffer."""
    try:
        fd = buffer.fileno()
        writev = os.writev
    except (AttributeError, OSError, ValueError):
        return lambda pieces: buffer.write(b"".join(pieces))

    def put(pieces: list[bytes]) -> None:
        i = 0
        while i < len(pieces):
            done = writev(fd, pieces[i:] if i else pieces)
            while i < len(pieces) and done >= len(pieces[i]):
                done -= len(pieces[i])
                i += 1
            if done:  # a piece written in part
                pieces[i] = pieces[i][done:]

    return put


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
            value = _ymd(value)
            if value is None:
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


def _ymd(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of YYYY-MM-DD (month and day of one or two digits) as
    click.DateTime(["%Y-%m-%d"]) reads it, else None (then Click reads, or rejects, it).
    Without ``datetime``: its import is a noticeable part of a ``due`` answered from memory."""
    parts = text.split("-")
    if len(parts) != 3 or len(parts[0]) != 4 or not all(1 <= len(p) <= 2 for p in parts[1:]):
        return None
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    y, m, d = int(parts[0]), int(parts[1]), int(parts[2])
    if not 1 <= m <= 12 or y < 1:
        return None
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m - 1]
    return (y, m, d) if 1 <= d <= days else None


def _date(text: str) -> Any:
    """:func:`_ymd` as a ``datetime.date``, or None."""
    import datetime as dt

    ymd = _ymd(text)
    return None if ymd is None else dt.date(*ymd)


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
    # The command ends with its process and makes next to no garbage in reference cycles: the
    # collector's passes over every object of every module imported, while it ran and once more
    # at exit, were a twentieth of `check --no-cache` on 100 clients.
    enabled = gc.isenabled()
    gc.disable()
    _freeze_at_exit()
    try:
        return _run(parsed, started_ns)
    finally:
        if enabled:
            gc.enable()


_FREEZE_AT_EXIT: list[bool] = []


def _freeze_at_exit() -> None:
    """At exit, :func:`gc.freeze` what is left: the interpreter's last collection then passes over none
    of it (nothing the fast path opens is still open to be finalized by it)."""
    if not _FREEZE_AT_EXIT:
        import atexit

        atexit.register(gc.freeze)
        _FREEZE_AT_EXIT.append(True)


def _run(parsed: tuple[str | None, str, dict[str, Any]], started_ns: int) -> int | None:
    directory, command, opts = parsed
    root = _root(directory)
    if root is None:
        return None
    fmt = opts.get("--format", "text")
    if command == "check":
        strict = bool(opts.get("--strict"))
        found = None
        if not opts.get("--no-cache"):
            from . import summary

            found = summary.load(root)
        if found is not None and not found[0]["problems"] and fmt == "text":
            chunks, code = [(True, summary_line([], found[0]["files"]), None)], 0  # the usual case, kept light
        elif found is not None:
            from .commands import problem_chunks

            head = found[0]
            problems = head["problems"]
            chunks = problem_chunks(problems, head["files"], fmt, colour=isatty(sys.stderr))
            code = int(head["has_errors"] or (strict and bool(problems)))
        else:
            project = _project(directory)
            if project is None:
                return None
            from .commands import run_check

            try:
                chunks, code = run_check(project, None, strict=strict, fmt=fmt,
                                         no_cache=bool(opts.get("--no-cache")), started_ns=started_ns)
            except _errors().CrmgenError:
                return None  # Click reports it
        return code if write(chunks) else None
    if fmt == "ics":
        return None  # the calendar needs the site name from mkdocs.yml and icalendar: not worth a fast path
    day = opts.get("--today") or time.localtime()[:3]  # the day date.today() gives, read once
    within, owner, kinds = opts.get("--within"), opts.get("--owner"), opts["--kind"]
    fail = bool(opts.get("--fail-on-overdue"))
    from . import summary

    kept: Any = None  # the output of the same due on the same book and day (crmgen.dueout)
    wanted = None

    def listing_needed(head: dict) -> bool:
        nonlocal kept, wanted
        if head["has_errors"] or os.name != "posix":
            return not head["has_errors"]
        from . import dueout

        mode = (isatty(sys.stdout), sys.stdout.encoding, getattr(sys.stdout, "errors", None))
        wanted = dueout.key(head, dueout.boot_id(), day, (within, owner, tuple(kinds), fmt, fail), mode)
        kept = dueout.find(root, wanted) if wanted is not None else None
        return kept is None

    found = summary.load(root, with_due=listing_needed)
    if found is not None and found[0]["has_errors"]:
        from .commands import problem_chunks

        head = found[0]
        chunks = problem_chunks(head["problems"], head["files"], "text", colour=isatty(sys.stderr))
        return 1 if write(chunks) else None
    if kept is not None:
        from .dueout import send

        send(kept, sys.stdout)
        return kept[2]
    import datetime as dt

    today = dt.date(*day)
    if found is not None and found[1] is not None:
        from .duepack import Packed

        part = found[1]
        packed = Packed(part)
        ahead = part["within"] if within is None else within
        runs, extra = packed.select(today, ahead, part["leads"], owner, kinds)
        colour = isatty(sys.stdout)
        data = packed.text(runs, extra, today, ahead, colour) if fmt == "text" else None
        if data is not None:
            chunks = [(False, data, colour)]
        else:
            from .duecmd import due_chunks

            chunks = due_chunks({"clients": packed.clients}, packed.rows(runs, extra), today, part["leads"], ahead,
                                fmt, colour)
        t = today.toordinal()
        overdue = bool(runs and packed.ords[runs[0][0]] < t) or any(r[0] < t for r in extra)
        code = 3 if fail and overdue else 0
        record = None
        if wanted is not None:
            from .dueout import Recorder

            record = Recorder(root, wanted, code)
        written = False
        try:
            written = write(chunks, record)
        finally:
            if record is not None:
                if written:
                    record.commit()
                else:
                    record.abandon()
        return code if written else None
    project = _project(directory)
    if project is None:
        return None
    from .duecmd import run_due

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
