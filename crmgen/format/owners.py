"""Owners as commands name them: one way to match ``--owner`` and to list the known ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from crmgen.format.errors import UsageError


def owner_key(owner: str | None) -> str:
    """How ``--owner`` matches a client's owner everywhere (``due``, ``build``, ``export``):
    case and surrounding spaces ignored."""
    return (owner or "").strip().casefold()


def known_owners(owners: Iterable[str | None]) -> str:
    """The owners among ``owners`` as an error message lists them: sorted, or "none"."""
    return ", ".join(sorted({o for o in owners if o})) or "none"


class NoSuchOwner(UsageError):
    """``--owner`` names nobody: the one message every command gives, listing the owners (exit 2)."""

    def __init__(self, owner: str, owners: Iterable[str | None]) -> None:
        super().__init__(f"no clients with owner '{owner}' (owners: {known_owners(owners)})")


def of_owner(clients: Sequence[Any], owner: str | None) -> tuple[list[Any], str | None]:
    """(the clients of ``owner``, the owner as their files spell it), matched as ``--owner`` is
    (:func:`owner_key`); every client and None without ``owner``; :class:`NoSuchOwner` when nobody has it."""
    if owner is None:
        return list(clients), None
    mine = [c for c in clients if owner_key(c.owner) == owner_key(owner)]
    if not mine:
        raise NoSuchOwner(owner, (c.owner for c in clients))
    return mine, mine[0].owner
