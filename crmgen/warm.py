"""What the next build will read, read ahead in a spare process and handed over only when unchanged.

A build after one edit spends a good part of its time before it has looked at any
client file: MkDocs loading and validating its configuration (the theme, the
Markdown extensions, the hooks), and unpickling the caches of the last build (the
parse cache, the page and row fingerprints, the plans, the calendar events). None of
that depends on the edit. The build server (:mod:`crmgen.buildserver`) therefore
keeps a *spare*: after a build ends, it forks a process that takes on that build's
working directory, arguments and environment, runs :func:`prepare`, and waits. The
next build with the same arguments in the same directory runs in the spare.

Nothing is trusted for being recent. Each value is kept with a *witness*, the exact
inputs it was made from (a file's bytes; for MkDocs' configuration the text of every
file it reads, the environment and the options), and the build takes it only when
its own inputs, read again at that moment, are equal (:func:`held`); otherwise it
makes the value as it always does. So a value from the spare is one the build would
have made itself: a file edited since, even within the same clock tick and to the
same size, is parsed again. Each value is handed out once, to the one build the
spare runs. Outside a spare nothing is kept and every call makes its value.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

MISSING = object()  # held(): nothing was kept for these inputs

_HELD: dict[tuple[str, str], tuple[Any, Any]] = {}
_WARMING = [False]


@contextlib.contextmanager
def warming() -> Iterator[None]:
    """While inside: what :func:`keep` is given is kept for the build to come."""
    _WARMING[0] = True
    try:
        yield
    finally:
        _WARMING[0] = False


def keep(kind: str, name: str, witness: Any, value: Any) -> None:
    """Keep ``value``, made from ``witness``, for the build (only while :func:`warming`)."""
    if _WARMING[0]:
        _HELD[(kind, name)] = (witness, value)


def held(kind: str, name: str, witness: Any) -> Any:
    """The value kept for ``(kind, name)`` if it was made from inputs equal to ``witness``,
    else :data:`MISSING`. Given out once: the build may change it."""
    entry = _HELD.pop((kind, name), None)
    if entry is None or entry[0] != witness:
        return MISSING
    return entry[1]


def count() -> int:
    """How many values are kept."""
    return len(_HELD)


def forget() -> None:
    _HELD.clear()


def parsed(path: str | os.PathLike[str], data: bytes, parse: Callable[[bytes], Any]) -> Any:
    """``parse(data)``, the content of ``path``; or the value a spare made from the same bytes."""
    kind = f"{getattr(parse, '__module__', '')}.{getattr(parse, '__qualname__', repr(parse))}"
    name = os.fspath(path)
    value = held(kind, name, data)
    if value is MISSING:
        value = parse(data)
        keep(kind, name, data, value)
    return value


def read_parsed(path: str | os.PathLike[str], parse: Callable[[bytes], Any]) -> Any:
    """:func:`parsed` of the bytes of ``path`` (``OSError`` when it cannot be read)."""
    with open(path, "rb") as fh:
        data = fh.read()
    return parsed(path, data, parse)


def file_texts(paths: list[str]) -> tuple[tuple[str, bytes | None], ...]:
    """The bytes of each file (None for one that cannot be read): a witness of what was read."""
    out = []
    for path in paths:
        try:
            out.append((path, Path(path).read_bytes()))
        except OSError:
            out.append((path, None))
    return tuple(out)


def prepare(argv: list[str]) -> int:
    """In a spare: read what ``crmgen ARGV`` (a build) will read first; how many values are kept.

    Anything that goes wrong only means less is kept: the build does its own reading
    and reports its own errors.
    """
    from .__main__ import command_of

    if command_of(argv) != "build":
        return 0
    directory = None
    args = iter(argv)
    for arg in args:
        if arg == "-C":
            directory = next(args, None)
        elif arg.startswith("-C") and len(arg) > 2:
            directory = arg[2:]
        elif not arg.startswith("-"):
            break
    with warming():
        with contextlib.suppress(Exception):
            _prepare_build(directory, strict="--strict" in argv, full="--full" in argv)
    return count()


def _prepare_build(directory: str | None, *, strict: bool, full: bool) -> None:
    from .config import load_project

    project = load_project(directory)
    from .cache import ParseCache

    ParseCache(project.cache_dir)  # the parse cache's shards, unpickled (a few MB at 1,000 clients)
    if full:
        return  # a full build reads none of the last build's state
    from .site import prepare_build

    prepare_build(project, strict=strict)
