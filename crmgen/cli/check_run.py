"""``crmgen check``: the work and the output, without Click (``due``: :mod:`crmgen.cli.due_run`).

The Click commands (:mod:`crmgen.cli.check`, :mod:`crmgen.cli.due`) call :func:`run_check`
and :func:`crmgen.cli.due_run.run_due` and print the chunks they return.
Output is a list of chunks ``(to stderr?, text, colour)``, ``colour`` as
``click.echo``'s ``color``; bytes are written untouched to stdout.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from crmgen.format.errors import summary_line

# A piece of output: (to stderr?, text, colour) where colour is as click.echo's ``color``
# (None: keep ANSI codes only on a terminal); bytes go untouched to stdout.
Chunk = tuple[bool, Any, "bool | None"]


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False

__all__ = ["needs_history", "problem_chunks", "run_check", "summary_line"]


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
            from crmgen.cli.output import style

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
    """``crmgen check``: (output, exit code)."""
    from crmgen.load.book import check_book

    checked = check_book(project, files, use_cache=not no_cache, started_ns=started_ns)
    failed = checked.has_errors or (strict and bool(checked.problems))
    return problem_chunks(checked.problems, checked.files, fmt, colour=isatty(sys.stderr)), int(failed)


def needs_history(clients: Iterable[Any]) -> bool:
    """Whether ``due`` must ask git when each file was added: only for a client with neither a
    logged contact nor ``since`` (the ``touch`` rule's last resort)."""
    return any(c.stage != "lost" and not c.interactions and c.since is None for c in clients)
