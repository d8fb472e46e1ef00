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
import functools
import keyword
import re
from typing import Any

from crmgen.format import schema as S
from crmgen.format.errors import UsageError
from crmgen.format.model import Client
from crmgen.format.owners import owner_key
from crmgen.format.validation import parse_body
from crmgen.load.nodes import RawFile

# name and grade drive every page and chart: they cannot be hidden, only the client file
UNHIDEABLE = {"name", "grade"}
_BLOCK = re.compile(r"<!--\s*private\s*-->.*?(?:<!--\s*/private\s*-->|\Z)", re.DOTALL | re.IGNORECASE)

_LIST_FIELDS = {"contacts", "dates", "promises", "orders", "complaints", "opportunities", "services"}


def _attribute(key: str) -> str:
    """The model's field of the file key ``key``: the same name, with an underscore when it is a
    Python keyword (services' from is ``from_``)."""
    return key + "_" if keyword.iskeyword(key) else key


@functools.cache
def private_paths() -> tuple[str, ...]:
    """Every path ``private:`` accepts, in the order of the format; ``extra.<key>`` stands for any key.

    A whole field of the client, or an optional field of each record of a list
    (``contacts.phone``). A required field of a record (``orders.amount``) is not among
    them: every record needs it (the list as a whole can be private).
    """
    out = [k for k in S.CLIENT if k not in UNHIDEABLE]
    for top in S.CLIENT:
        if top in _LIST_FIELDS:
            out += [f"{top}.{sub}" for sub, f in S.CLIENT[top].fields.items() if not f.required]
    return (*out, "extra.<key>")


def private_problem(name: Any) -> str | None:
    """Why ``name`` cannot be a private path (a sentence), or None when it can."""
    if not isinstance(name, str):
        return f"{name!r} is not a field name"
    if name in UNHIDEABLE:
        return f"'{name}' cannot be private (every page needs it); leave the client out of the public site instead"
    top, _, sub = name.partition(".")
    if name in private_paths() or (top == "extra" and sub):
        return None
    field = S.CLIENT.get(top)
    if field is not None and top in _LIST_FIELDS and sub in field.fields:
        return (f"'{name}' cannot be private: every record of '{top}' needs its '{sub}'; make '{top}' "
                f"private to leave out the whole list")
    hint = difflib.get_close_matches(name, [p for p in private_paths() if p != "extra.<key>"], n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    return f"unknown field '{name}'{did}"


def check_private_fields(names: list[str]) -> None:
    """Refuse names that hide nothing or that cannot be hidden alone (a typo would leak what it
    meant to hide); the message lists every path that works."""
    for name in names:
        problem = private_problem(name)
        if problem is not None:
            raise UsageError(f"mkdocs.yml: extra.crmgen.private: {problem}. Paths that can be private: "
                             + ", ".join(private_paths()))


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
            changes[top] = _default(client, top)
    for top, subs in nested.items():
        if top in changes:
            continue
        changes[top] = tuple(dataclasses.replace(item, **{_attribute(s): _default(item, _attribute(s)) for s in subs})
                             for item in getattr(client, top))
    body = strip_private_blocks(client.body)
    if body != client.body:
        raw = RawFile(client.path, body, None, 1, body, client.body_line, False, "\n")
        changes["body"] = body
        changes["interactions"] = parse_body(raw, [])
    if "notes" not in changes and client.notes:
        changes["notes"] = strip_private_blocks(client.notes)
    return dataclasses.replace(client, **changes) if changes else client


def _default(record: Any, name: str) -> Any:
    """What ``record`` (a dataclass) holds in ``name`` when the file leaves it out."""
    spec = record.__dataclass_fields__[name]
    if spec.default is not dataclasses.MISSING:
        return spec.default
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return None


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
    chosen = [c for c in clients if owner is None or owner_key(c.owner) == owner_key(owner)]
    return redact_all(chosen, list(private or [])) if public else chosen
