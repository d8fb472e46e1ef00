"""Shell completion of client slugs and owners (Click's own completion: bash, zsh, fish).

Enable it with ``eval "$(_CRMGEN_COMPLETE=bash_source crmgen)"`` (see the README). While
completing, Click runs no command callback, so the project is found from ``-C`` as given.
A project that cannot be read completes nothing: completion never prints an error.
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from crmgen.format.errors import CrmgenError


def _project(ctx: click.Context) -> Any:
    from crmgen.load.project import load_project

    return load_project(ctx.find_root().params.get("directory"))


def client_slugs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The slugs of the client files that start with what is typed."""
    try:
        directory = _project(ctx).clients_dir
        stems = sorted(p.stem for p in directory.glob("*.md"))
    except (CrmgenError, OSError):
        return []
    return [CompletionItem(s) for s in stems if s.startswith(incomplete)]


def owners(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The owners of the book (as the files spell them) that start with what is typed, any case."""
    from crmgen.load.book import load_book

    try:
        book = load_book(_project(ctx))
    except (CrmgenError, OSError):
        return []
    names = sorted({c.owner for c in book.clients if c.owner})
    return [CompletionItem(n) for n in names if n.casefold().startswith(incomplete.casefold())]
