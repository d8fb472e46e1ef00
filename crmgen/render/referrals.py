"""View data of the referrals page (referrals.md): who referred whom, as trees, and how clients came
(``source``). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from crmgen.format.model import Client
from crmgen.format.money import format_cents, to_cents


def _ordered(client: Client) -> int:
    return sum(to_cents(o.amount) for o in client.orders)


def referral_context(clients: Sequence[Client], referrals: Mapping[str, list[Client]], currency: str,
                     by_slug: Mapping[str, Client]) -> dict[str, Any]:
    """``trees``: every client that referred others without being referred by a known client, with the
    clients it referred under it (and theirs), each with what it has ordered in all and what the
    clients under it ordered; ``sources``: how many clients came each way (``source``), most first."""
    def node(c: Client, seen: frozenset[str]) -> dict[str, Any]:
        children = [node(r, seen | {c.slug}) for r in sorted(referrals.get(c.slug, []), key=lambda r: r.name)
                    if r.slug not in seen and r.slug != c.slug]  # a loop of referrals is cut where it closes
        under = sum(ch["ordered"] + ch["under"] for ch in children)
        return {"client": c, "children": children, "ordered": _ordered(c), "under": under,
                "ordered_fmt": format_cents(_ordered(c), currency), "under_fmt": format_cents(under, currency),
                "count": sum(1 + ch["count"] for ch in children)}

    roots = [c for c in clients if referrals.get(c.slug) and (c.referred_by is None or c.referred_by not in by_slug)]
    trees = sorted((node(c, frozenset()) for c in roots), key=lambda n: (-n["count"], n["client"].name))
    sources = Counter(c.source for c in clients if c.source)
    return {
        "trees": trees,
        "referred": sum(1 for c in clients if c.referred_by is not None and c.referred_by in by_slug),
        "sources": sorted(sources.items(), key=lambda kv: (-kv[1], kv[0])),
        "unknown": sum(1 for c in clients if not c.source and c.referred_by is None),
    }
