"""Errors and problems: the one vocabulary every module reports in.

The core never imports Click. It raises :class:`CrmgenError` (a mistake that
stops the command) or returns :class:`Problem` objects (things wrong in a file,
collected and reported together). ``cli`` turns both into messages and exit codes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class ExitCode(enum.IntEnum):
    OK = 0
    PROBLEMS = 1
    USAGE = 2
    OVERDUE = 3


class CrmgenError(Exception):
    """A user-facing error: the message says what went wrong and how to fix it."""

    exit_code = ExitCode.PROBLEMS


class UsageError(CrmgenError):
    """Bad arguments or a project that cannot be found."""

    exit_code = ExitCode.USAGE


class ProjectNotFound(UsageError):
    pass


class SettingsError(UsageError):
    """Every bad setting of ``mkdocs.yml`` at once, each a GCC-style line
    (``mkdocs.yml:12:5: error: ...``), printed as they are."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


# What reading a damaged cache file (pickle or marshal data cut short, overwritten, of another
# shape) can raise: beyond the unpickler's own errors, garbage bytes give lengths too large
# for memory, unknown opcodes, deep nesting. A cache that raises one of them is missing.
DAMAGED_CACHE = (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError, KeyError, IndexError,
                 OverflowError, MemoryError, RecursionError)


def warn_damaged(path: object, exc: BaseException | None = None, *, count: int = 1) -> None:
    """Say on stderr, in one line, that a cache file (or ``count`` of them under ``path``) could
    not be read and is made again; a cache that is only missing (``exc`` a FileNotFoundError)
    is not worth a word. Never fails: it is said while a command answers from the files."""
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)) or count < 1:
        return
    import sys

    what = "a damaged cache file" if count == 1 else f"{count} damaged cache files"
    try:
        sys.stderr.write(f"crmgen: warning: {path}: {what} discarded; made again from the client files\n")
    except (OSError, ValueError, AttributeError):
        pass


ERROR = "error"
WARNING = "warning"
# GCC's third severity: not wrong in the file, worth knowing (a client over its credit limit).
# Never fails a command, ``--strict`` included: a business fact must not block a commit.
NOTE = "note"


class Problem(NamedTuple):
    """Something wrong in a file, with where it is and how to fix it.

    A named tuple (immutable, ordered by its fields) rather than a frozen dataclass: making
    that class cost more start-up than checking twenty files.
    """

    path: str
    line: int
    col: int
    severity: str
    message: str
    code: str

    def format(self) -> str:
        """GCC style: ``path:line:col: severity: message [code]``."""
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message} [{self.code}]"

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def is_strict(self) -> bool:
        """An error or a warning: what ``--strict`` fails on (a note is not)."""
        return self.severity != NOTE


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.severity, p.code, p.message))


def problem_rows(problems: Iterable[Problem]) -> list[tuple]:
    """Problems as sorted ``(path, line, col, severity, message, code)`` tuples (the order of
    :func:`sort_problems`): what the book summary keeps and ``check`` prints."""
    rows = [(p.path, p.line, p.col, p.severity, p.message, p.code) for p in problems]
    rows.sort(key=lambda t: (t[0], t[1], t[2], t[3], t[5], t[4]))
    return rows


def summary_line(problems: Sequence[tuple], files: int) -> str:
    """``2 errors, 1 warning in 18 files`` in the active language (:mod:`crmgen.i18n`), of Problems or
    of plain tuples in their field order: check's summary, and serve's after each rebuild."""
    from crmgen.i18n import _, ngettext

    errors = sum(1 for p in problems if p[3] == ERROR)  # p.severity
    notes = sum(1 for p in problems if p[3] == NOTE)
    warnings = len(problems) - errors - notes
    counted = {
        "files": ngettext("%(num)d file", "%(num)d files", files) % {"num": files},
        "errors": ngettext("%(num)d error", "%(num)d errors", errors) % {"num": errors},
        "warnings": ngettext("%(num)d warning", "%(num)d warnings", warnings) % {"num": warnings},
        "notes": ngettext("%(num)d note", "%(num)d notes", notes) % {"num": notes},
    }
    if len(problems) == notes:
        if notes:
            return _("no problems in %(files)s (%(notes)s)") % counted
        return _("no problems in %(files)s") % counted
    if notes:
        return _("%(errors)s, %(warnings)s, %(notes)s in %(files)s") % counted
    return _("%(errors)s, %(warnings)s in %(files)s") % counted


def fails_strict(problems: Iterable[tuple]) -> bool:
    """Whether ``--strict`` fails on these problems (Problems or tuples): any but notes."""
    return any(p[3] != NOTE for p in problems)
