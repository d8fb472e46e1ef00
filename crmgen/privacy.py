"""What a public build or export leaves out.

A team lists private fields under ``extra: crmgen: private:`` in ``mkdocs.yml``
(``phone``, ``credit_limit``, ``contacts.phone``, ``extra.微信``, whole lists such as
``orders``), and marks private passages of a body with
``<!-- private -->`` … ``<!-- /private -->``. :func:`redact` returns the client
without them; everything public is computed from the redacted client, so no
private value can reach a page, the search index, a reminder or an export.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Any

from crmgen.format import schema as S
from crmgen.format.errors import UsageError
from crmgen.format.model import Client
from crmgen.format.validation import parse_body
from crmgen.load.nodes import RawFile

# name and grade drive every page and chart: they cannot be hidden, only the client file
UNHIDEABLE = {"name", "grade"}
_BLOCK = re.compile(r"<!--\s*private\s*-->.*?(?:<!--\s*/private\s*-->|\Z)", re.DOTALL | re.IGNORECASE)

_LIST_FIELDS = {"contacts", "dates", "promises", "orders", "complaints"}


def check_private_fields(names: list[str]) -> None:
    """Refuse names that hide nothing (a typo would leak what it meant to hide)."""
    known = [k for k in S.CLIENT if k not in UNHIDEABLE]
    known += [f"{k}.{sub}" for k in _LIST_FIELDS for sub in S.CLIENT[k].fields]
    for name in names:
        if not isinstance(name, str):
            raise UsageError(f"mkdocs.yml: extra.crmgen.private: {name!r} is not a field name")
        if name in UNHIDEABLE:
            raise UsageError(f"mkdocs.yml: extra.crmgen.private: '{name}' cannot be private "
                             "(every page needs it); leave the client out of the public site instead")
        if name in known or name.startswith("extra."):
            continue
        hint = difflib.get_close_matches(name, known, n=1)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise UsageError(f"mkdocs.yml: extra.crmgen.private: unknown field '{name}'{did}")


def strip_private_blocks(text: str) -> str:
    """Remove ``<!-- private -->…<!-- /private -->`` passages (an unclosed one runs to the end)."""
    return _BLOCK.sub("", text)


def redact(client: Client, private: list[str]) -> Client:
    """The client without its private fields and private body passages."""
    changes: dict[str, Any] = {}
    nested: dict[str, set[str]] = {}
    for name in private:
        top, _, sub = name.partition(".")
        if top == "extra" and sub:
            changes["extra"] = {k: v for k, v in changes.get("extra", client.extra).items() if k != sub}
        elif sub:
            nested.setdefault(top, set()).add(sub)
        else:
            default = client.__dataclass_fields__[top].default
            if default is dataclasses.MISSING:
                factory = client.__dataclass_fields__[top].default_factory
                default = factory() if factory is not dataclasses.MISSING else None  # type: ignore[misc]
            changes[top] = default
    for top, subs in nested.items():
        if top in changes:
            continue
        changes[top] = tuple(
            dataclasses.replace(item, **{s: None for s in subs if hasattr(item, s) and s not in ("name",)})
            for item in getattr(client, top)
        )
    body = strip_private_blocks(client.body)
    if body != client.body:
        raw = RawFile(client.path, body, None, 1, body, client.body_line, False, "\n")
        changes["body"] = body
        changes["interactions"] = parse_body(raw, [])
    if "notes" not in changes and client.notes:
        changes["notes"] = strip_private_blocks(client.notes)
    return dataclasses.replace(client, **changes) if changes else client


def redact_all(clients: list[Client], private: list[str]) -> list[Client]:
    check_private_fields(private)
    return [redact(c, private) for c in clients]


PRIVATE_HOSTS = ("localhost", "127.", "10.", "192.168.", "[::1]")


def is_public_url(url: str | None) -> bool:
    """Whether ``site_url`` points at a host anyone on the internet can reach.

    Loopback, private ranges and ``.local``/``.internal``/``.lan`` names count as private;
    everything else (github.io, a company domain) as public.
    """
    if not url:
        return False
    from urllib.parse import urlsplit

    host = (urlsplit(url if "://" in url else f"//{url}").hostname or "").lower()
    if not host:
        return False
    if host.startswith(PRIVATE_HOSTS) or host in ("localhost", "::1"):
        return False
    if host.startswith("172."):
        second = host.split(".")[1] if host.count(".") >= 1 else ""
        if second.isdigit() and 16 <= int(second) <= 31:
            return False
    return not host.endswith((".local", ".internal", ".lan", ".intranet", ".corp", ".home.arpa"))


def select_clients(clients: list[Client], *, owner: str | None = None, public: bool = False,
                   private: list[str] | None = None) -> list[Client]:
    """The clients a view shows: one owner's (``--owner``), redacted (``--public``)."""
    chosen = [c for c in clients if owner is None or c.owner == owner]
    return redact_all(chosen, list(private or [])) if public else chosen
