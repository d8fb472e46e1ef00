"""The Click group and what every command shares: the project, problems, exit codes.

Commands live one per module beside this one (``check.py``, ``due.py``, ...). They
parse options, call the core, print, and let :class:`CrmgenGroup` turn a
:class:`~crmgen.format.errors.CrmgenError` into one clear line and an exit code.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from crmgen import __version__
from crmgen.format.errors import CrmgenError, ExitCode, Problem, SettingsError
from crmgen.load.project import Project, find_root, load_project

# Command name -> the module of crmgen.cli that defines it. A module is imported only
# when its command runs, so `crmgen check` does not pay for MkDocs, Jinja2 or jieba.
LAZY_COMMANDS = {
    "check": "check", "schema": "check", "due": "due", "build": "build", "serve": "serve",
    "init": "scaffold", "new": "scaffold", "log": "edit", "promise": "edit", "order": "edit", "paid": "edit",
    "kept": "edit",
    "broken": "edit", "grade": "edit", "import": "transfer", "export": "transfer", "ci": "teams",
    "report": "report", "plan": "plan", "deal": "deals", "move": "deals",
}


class CrmgenGroup(click.Group):
    """A group that loads its commands lazily and reports CrmgenError as ``crmgen: error: ...``
    (traceback only with --debug)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            importlib.import_module(f"{__package__}.{LAZY_COMMANDS[cmd_name]}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(LAZY_COMMANDS))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _termination_unwinds():
                return super().invoke(ctx)
        except CrmgenError as exc:
            state = ctx.obj if isinstance(ctx.obj, State) else None
            if state is not None and state.debug:
                raise
            if isinstance(exc, SettingsError):
                for line in exc.lines:
                    click.echo(line, err=True)
                n = len(exc.lines)
                click.echo(f"crmgen: error: {n} bad setting{'s' if n != 1 else ''} in mkdocs.yml", err=True)
            else:
                click.echo(f"crmgen: error: {_relative(exc)}", err=True)
            ctx.exit(int(exc.exit_code))
        except OSError as exc:
            # Not a bug of the command's but of where it runs (a full disk, a read-only
            # directory): one line, no traceback. Most writes say this already as WriteFailed.
            state = ctx.obj if isinstance(ctx.obj, State) else None
            if isinstance(exc, BrokenPipeError) or (state is not None and state.debug):
                raise
            click.echo(f"crmgen: error: {os_error_message(exc, ctx.invoked_subcommand)}", err=True)
            ctx.exit(int(ExitCode.PROBLEMS))


def _shown(name: str) -> str:
    """A path as a message names it: relative to the working directory when inside it."""
    import os

    with contextlib.suppress(ValueError):
        rel = os.path.relpath(name)
        return name if rel.startswith(os.pardir) else rel
    return name


def _relative(exc: CrmgenError) -> CrmgenError:
    """A failed write naming its file by an absolute path names it as :func:`_shown` does."""
    import os

    from crmgen.fsutil import WriteFailed

    return exc.at(_shown(exc.path)) if isinstance(exc, WriteFailed) and os.path.isabs(exc.path) else exc


def os_error_message(exc: OSError, command: str | None = None) -> str:
    """An OSError that escaped ``command``, in one line: the file (relative to the working
    directory when inside it), why, and what to do."""
    import errno
    import os

    from crmgen.fsutil import WriteFailed, fault

    writing = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO)
    # Of a copy, a link or a rename, the second file is the one written.
    name = (exc.filename2 if writing and exc.filename2 is not None else exc.filename)
    name = None if name is None else _shown(os.fsdecode(name))
    if writing:
        if name is not None:
            return str(WriteFailed.of(exc, name, outcome=""))
        reason, fix = fault(exc)
        return f"{command or 'crmgen'} could not write a file: {reason}; {fix}"
    reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
    fix = "run the command again with --debug to see what crmgen was doing"
    if exc.errno in (errno.EACCES, errno.EPERM):
        fix = "make it and its directory accessible to you and run the command again"
    return f"{name}: {reason}; {fix}" if name else f"{reason}; {fix}"


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, so that every ``finally`` runs (worker
    processes stopped, temporary files removed), then exit with 128 + the signal's number."""


@contextlib.contextmanager
def _termination_unwinds() -> Iterator[None]:
    """While a command runs, SIGTERM (what CI timeouts and ``kill`` send) and SIGHUP (a closed
    terminal) raise :class:`Terminated` in the main thread instead of killing the process where
    it stands. ``serve`` installs handlers of its own over these."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signum: int, _frame: Any) -> None:
        raise Terminated(128 + signum)

    saved = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            saved[number] = signal.signal(number, unwind)
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


@dataclass
class State:
    directory: str | None
    debug: bool
    _project: Project | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = load_project(self.directory)
            # What the command prints for a reader is in the project's language until it ends.
            from crmgen import i18n

            ctx = click.get_current_context(silent=True)
            if ctx is not None:
                ctx.with_resource(i18n.using(self._project.settings.language))
        return self._project

    @property
    def root(self) -> Path:
        """The project's directory, found as :attr:`project` finds it, without reading mkdocs.yml."""
        if self._project is not None:
            return self._project.root
        return find_root(self.directory)


@click.group(cls=CrmgenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "directory",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Run in the project at DIR instead of the one around the working directory.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="crmgen")
@click.pass_context
def main(ctx: click.Context, directory: str | None, debug: bool) -> None:
    """crmgen: a CRM that lives in plain files.

    Each client is a Markdown file with YAML front matter in clients/. crmgen
    checks the files, lists the follow-ups that are due and builds a website.
    """
    ctx.obj = State(directory=directory, debug=debug)


pass_state = click.make_pass_decorator(State)


def today_option(what: str) -> Callable[[Any], Any]:
    """``--today YYYY-MM-DD``, shared by the commands that work as of a day (within the dates the
    format allows: reminders are computed years around it)."""
    from crmgen.format.schema import TODAY_MAX, TODAY_MIN

    def within(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None and not TODAY_MIN <= value.date() <= TODAY_MAX:
            raise click.BadParameter(f"{value.date()} is outside the days crmgen can run as of "
                                     f"({TODAY_MIN} to {TODAY_MAX})")
        return value

    return click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                        callback=within, help=f"{what} as if today were this day (default: the real today).")


site_dir_option = click.option(
    "-d", "--site-dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
    help="Build the site into DIR (default: site_dir in mkdocs.yml, else site/).",
)


def fail(message: str, code: ExitCode = ExitCode.PROBLEMS) -> NoReturn:
    """Print ``crmgen: error: message`` and exit with ``code``."""
    click.echo(f"crmgen: error: {message}", err=True)
    sys.exit(int(code))


def report_problems(problems: list[Problem], files: int, fmt: str = "text", quiet: bool = False) -> None:
    """Print problems: GCC-style lines then a summary on stderr, or JSON/GitHub annotations on stdout."""
    from crmgen.cli.output import colour_on, problem_chunks
    from crmgen.format.errors import problem_rows

    echo_chunks(problem_chunks(problem_rows(problems), files, fmt, colour=colour_on(sys.stderr), quiet=quiet))


def echo_chunks(chunks: list[tuple[bool, Any, bool | None]]) -> None:
    """Write output made by :mod:`crmgen.cli.output`; bytes (a calendar, or text already encoded with
    its newline) are written untouched to stdout."""
    for err, data, color in chunks:
        if isinstance(data, bytes):
            click.echo(data, nl=False)
        else:
            click.echo(data, err=err, color=color)
