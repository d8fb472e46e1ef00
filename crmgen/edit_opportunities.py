"""Adding and moving opportunities (``crmgen deal``, ``crmgen move``), with :mod:`crmgen.edit`'s safety:
the edit is spliced into the text as written, the result read back and compared record by record
before anything is written; nothing else in the file changes."""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from typing import Any

from crmgen.edit import EditError, _check_data, _get, _key_edits, _one_line, _parse, _splice, append_to_list
from crmgen.format.errors import ExitCode

WON, LOST = "won", "lost"


class WhichOpportunity(EditError):
    """The command does not name one opportunity (none, several, or one that is not there): bad usage;
    the list is in the message."""

    exit_code = ExitCode.USAGE


def _records(data: Any) -> list[dict[str, Any]]:
    items = data.get("opportunities") if isinstance(data, dict) else None
    return [r if isinstance(r, dict) else {} for r in items] if isinstance(items, list) else []


def new_id(existing: list[dict[str, Any]], what: str) -> str:
    """``opp-1``, ``opp-2``...: the first number no opportunity's id has."""
    taken = {str(r.get("id")) for r in existing if r.get("id") is not None}
    n = len(existing) + 1
    while f"opp-{n}" in taken:
        n += 1
    return f"opp-{n}"


def describe(number: int, r: dict[str, Any]) -> str:
    ident = f" {r['id']}" if r.get("id") is not None else ""
    amount = f", {r['amount']:,}" if isinstance(r.get("amount"), (int, float)) else ""
    return f"#{number}{ident}: {r.get('what', '?')} ({r.get('stage') or 'first stage'}{amount})"


def find(records: list[dict[str, Any]], ref: str) -> int:
    """The index of the opportunity ``ref`` names: its id, its number (``#2`` or ``2``, in file order),
    or a word of its ``what`` that only it has."""
    if not records:
        raise EditError("this client has no opportunities yet; add one with 'crmgen deal'")
    listing = "\n".join("  " + describe(i + 1, r) for i, r in enumerate(records))
    by_id = [i for i, r in enumerate(records) if r.get("id") is not None and str(r["id"]) == ref]
    if by_id:
        return by_id[0]
    if m := re.fullmatch(r"#?([0-9]+)", ref.strip()):
        n = int(m[1])
        if 1 <= n <= len(records):
            return n - 1
        raise WhichOpportunity(f"there is no opportunity #{n}; the client's opportunities are:\n{listing}")
    words = [i for i, r in enumerate(records) if ref.casefold() in str(r.get("what", "")).casefold()]
    if len(words) == 1:
        return words[0]
    why = "no opportunity is" if not words else f"{len(words)} opportunities are"
    raise WhichOpportunity(f"{why} '{ref}'; name one by its id or number:\n{listing}")


def add(text: str, what: str, *, amount: float | None = None, stage: str | None = None,
        probability: float | None = None, expected: dt.date | None = None, opened: dt.date,
        competitor: str | None = None, next_step: str | None = None, opp_id: str | None = None,
        ) -> tuple[str, str]:
    """Append an opportunity to ``opportunities:``; returns (new text, its id)."""
    existing = _records(_parse(text).data())
    if opp_id is not None:
        opp_id = _one_line(opp_id, "the opportunity's id")
        if any(str(r.get("id")) == opp_id for r in existing if r.get("id") is not None):
            raise EditError(f"an opportunity already has the id '{opp_id}'; give this one its own "
                            f"(or leave out --id: crmgen picks {new_id(existing, what)})")
    else:
        opp_id = new_id(existing, what)
    if amount is not None and (not math.isfinite(amount) or amount < 0):
        raise EditError(f"an opportunity's amount must be 0 or more, not {amount}")
    record: dict[str, Any] = {"id": opp_id, "what": _one_line(what, "what the opportunity is")}
    if amount is not None:
        record["amount"] = int(amount) if float(amount).is_integer() else amount
    if stage is not None:
        record["stage"] = stage
    if probability is not None:
        record["probability"] = f"{probability * 100:g}%"
    if expected is not None:
        record["expected"] = expected
    record["opened"] = opened
    if competitor:
        record["competitor"] = _one_line(competitor, "the competitor")
    if next_step:
        record["next_step"] = _one_line(next_step, "the next step")
    return append_to_list(text, "opportunities", record), opp_id


def move(text: str, ref: str, stage: str, *, when: dt.date, lost_reason: str | None = None,
         order: str | None = None, next_step: str | None = None) -> tuple[str, tuple[str, str | None]]:
    """Move the opportunity ``ref`` names to ``stage`` on ``when`` (its ``since``); ``lost`` needs a
    ``lost_reason``, ``won`` may name the ``order`` it became. Returns (new text, (its id or number,
    the stage it left))."""
    doc = _parse(text)
    data = doc.data()
    records = _records(data)
    index = find(records, ref)
    old = records[index].get("stage")
    if old in (WON, LOST):
        raise EditError(f"opportunity {describe(index + 1, records[index])} is {old} already; "
                        "edit the file by hand to reopen it")
    if stage == old:
        raise EditError(f"opportunity {describe(index + 1, records[index])} is at {stage} already")
    if stage == LOST and not (lost_reason and lost_reason.strip()):
        raise EditError("say why it was lost (--reason): what is learnt from lost business is the point of "
                        "recording it")
    changes: dict[str, Any] = {"stage": stage, "since": when}
    if stage == LOST:
        changes["lost_reason"] = _one_line(lost_reason or "", "the reason")
    if stage == WON and order is not None:
        ids = {str(o.get("id")) for o in (data.get("orders") or []) if isinstance(o, dict) and o.get("id")}
        if order not in ids:
            known = f"; the orders' ids are {', '.join(sorted(ids))}" if ids else "; record the order first with 'crmgen order'"
            raise EditError(f"no order has the id '{order}'{known}")
        changes["order"] = order
    if next_step:
        changes["next_step"] = _one_line(next_step, "the next step")
    new_text = text
    for key, value in changes.items():  # one key at a time: new keys go in this order
        now = _parse(new_text)
        found = _get(now.root, "opportunities")
        assert found is not None
        new_text = _splice(new_text, _key_edits(now, found[1].value[index], key, value))
    expected = copy.deepcopy(data)
    expected["opportunities"][index].update(changes)
    _check_data(doc, new_text, expected)
    name = str(records[index]["id"]) if records[index].get("id") is not None else f"#{index + 1}"
    return new_text, (name, old)
