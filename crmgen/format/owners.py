"""Owners as commands name them: one way to match ``--owner`` and to list the known ones."""

from __future__ import annotations

from collections.abc import Iterable


def owner_key(owner: str | None) -> str:
    """How ``--owner`` matches a client's owner everywhere (``due``, ``build``, ``export``):
    case and surrounding spaces ignored."""
    return (owner or "").strip().casefold()


def known_owners(owners: Iterable[str | None]) -> str:
    """The owners among ``owners`` as an error message lists them: sorted, or "none"."""
    return ", ".join(sorted({o for o in owners if o})) or "none"
