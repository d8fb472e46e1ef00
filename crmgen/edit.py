"""Surgical edits of a client file: append an interaction, add a promise, close one, regrade.

The text functions here are pure: they take the decoded file text and return the
new text. They never re-dump YAML. They find the exact place to change with
``yaml.compose`` (every node knows the character offsets where it starts and
ends) and splice new text in, so comments, key order, quoting, blank lines and
line endings outside the edited span stay byte for byte. Each edit then loads
the front matter before and after and checks that the data changed exactly as
intended, and nothing else did.

:func:`edit_client_file` is the thin I/O edge around them: read, validate, edit,
validate again, and write atomically unless someone else saved the file meanwhile.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from crmgen.format.errors import CrmgenError, ExitCode
from crmgen.format.model import GRADES, INTERACTION_TYPES, PROMISE_SIDES, Client
from crmgen.format.money import money, to_cents
from crmgen.fsutil import FileChanged, WriteFailed, atomic_write, read_with_snapshot, sweep_dir
from crmgen.load.nodes import check_path, decode, split

# libyaml is ~10x faster than the pure-Python loader, and its node marks are
# the same character offsets into the text we splice (the property tests check
# both agree; every edit is also verified by re-loading the data).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FastLoader = _Loader
BOM = "\ufeff"
T = TypeVar("T")


class EditError(CrmgenError):
    """An edit that cannot be made safely; the message says why and what to do by hand."""


class WhichOrder(EditError):
    """The command does not name one order (none, several, or one that is not there): bad usage."""

    exit_code = ExitCode.USAGE


# -- YAML scalars ---------------------------------------------------------------

def yaml_scalar(value: Any, *, flow: bool = False) -> str:
    """``value`` as a YAML scalar that reads back as exactly ``value``.

    Text stays plain when YAML would read it back unchanged as text (so 华东 stays
    华东); anything YAML would turn into a number, date, boolean or null, or that
    holds ``: ``, `` #``, quotes or line breaks, is double-quoted (JSON escapes are
    valid YAML). In a flow collection (``flow=True``) ``,[]{}`` force quotes too.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"cannot write {value!r} as an amount")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        raise TypeError("datetimes are not written into client files")
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")
    quoted = _double_quoted(value)
    if not value or value != value.strip() or any(c in value for c in "\r\n\t\"'\\") or _YAML_UNSAFE.search(value):
        return quoted
    if flow and any(c in value for c in ",[]{}"):
        return quoted
    dumped = yaml.safe_dump(value, allow_unicode=True, width=2**31 - 1)
    plain = dumped.removesuffix("\n").removesuffix("\n...").removesuffix("\n")
    if plain != value or "\n" in plain:
        return quoted
    return plain if _reads_back(plain, value, flow) else quoted


def _reads_back(plain: str, value: str, flow: bool) -> bool:
    """Whether ``plain`` unquoted reads back as ``value`` where it will be written."""
    docs: list[tuple[str, Any]] = [(f"k: {plain}\n", {"k": value})]
    if flow:
        docs = [(f"k: [{plain}]\n", {"k": [value]}), (f"k: {{a: {plain}}}\n", {"k": {"a": value}})]
    # Both parsers: they disagree on a few flow-context corner cases (`[0?]`).
    loaders = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])
    try:
        return all(yaml.load(doc, Loader=loader) == want for doc, want in docs for loader in loaders)
    except yaml.YAMLError:
        return False


# YAML reads these as line breaks or refuses them raw; JSON leaves them unescaped.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _double_quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON syntax, with YAML's extra line breaks escaped)."""
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


# -- locating things in the text --------------------------------------------------

@dataclass(frozen=True)
class _Doc:
    """The decoded text of a client file and where its parts are."""

    text: str
    fm_start: int  # first character of the YAML
    fm_end: int  # first character of the closing fence line
    body_start: int  # first character after the closing fence line
    root: yaml.MappingNode
    newline: str

    def at(self, mark: yaml.Mark) -> int:
        return self.fm_start + mark.index

    def data(self) -> Any:
        return yaml.load(self.text[self.fm_start : self.fm_end], Loader=_FastLoader)


def newline_of(text: str) -> str:
    """The file's line ending, from its first line break (CRLF or LF)."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def _parse(text: str) -> _Doc:
    if text.startswith(BOM):
        raise ValueError("pass the text without its BOM")
    parts, problems = split(text, "")
    if parts is None:
        raise EditError(problems[0].message)
    yaml_text, _line, body, _body_line = parts
    first = text.splitlines(keepends=True)[0]
    fm_start = len(first)
    fm_end = fm_start + len(yaml_text)
    body_start = len(text) - len(body)
    try:
        root = yaml.compose(yaml_text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise EditError(f"the front matter is not valid YAML ({exc}); run 'crmgen check'") from exc
    if not isinstance(root, yaml.MappingNode):
        raise EditError("the front matter is not a mapping of 'key: value' lines; run 'crmgen check'")
    return _Doc(text, fm_start, fm_end, body_start, root, newline_of(text))


def _get(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _last_leaf(node: yaml.Node) -> yaml.Node:
    """The node whose end is the end of ``node`` in the text (block collections end late)."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


def _line_end(text: str, index: int) -> int:
    """The start of the line after the one ``index`` is on (``index`` itself at a line start)."""
    if index == 0 or text[index - 1] == "\n":
        return index
    nl = text.find("\n", index)
    return len(text) if nl < 0 else nl + 1


def _after(doc: _Doc, node: yaml.Node, indent: int | None = None) -> int:
    """Where a new line can go right after ``node`` (after any comment on its last line).

    With ``indent``, comment lines indented at least that much that follow the
    node are taken as part of it, so they stay with it rather than with the new line.
    """
    at = min(_line_end(doc.text, doc.at(_last_leaf(node).end_mark)), doc.fm_end)
    if indent is not None:
        pattern = re.compile(r"[ ]{" + str(indent) + r",}#[^\n]*\n")
        while at < doc.fm_end and (m := pattern.match(doc.text, at)) and m.end() <= doc.fm_end:
            at = m.end()
    return at


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _check_data(before: _Doc, new_text: str, expected: Any) -> None:
    """The edit changed the front matter data exactly as intended (and the text still parses)."""
    parts, _problems = split(new_text, "")
    try:
        data = yaml.load(parts[0], Loader=_FastLoader) if parts else None
    except yaml.YAMLError:
        data = None
    if data != expected:
        raise EditError(
            "crmgen could not make this change without touching other values (an unusual layout "
            "of the front matter); nothing was written: make the change by hand in an editor"
        )


# -- edits ------------------------------------------------------------------------

def _block_item(items: list[tuple[str, str]], dash_col: int, key_col: int, nl: str) -> str:
    gap = " " * max(key_col - dash_col - 1, 1)
    lines = []
    for i, (key, value) in enumerate(items):
        lead = " " * dash_col + "-" + gap if i == 0 else " " * (dash_col + 1 + len(gap))
        lines.append(f"{lead}{key}: {value}{nl}")
    return "".join(lines)


def _flow_map(items: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"


def _list_layout(doc: _Doc) -> tuple[int, int]:
    """(dash offset, key offset) used by the file's other lists of records, default (2, 2)."""
    base = doc.root.start_mark.column
    for _k, v in doc.root.value:
        if isinstance(v, yaml.SequenceNode) and not v.flow_style and v.value:
            first = v.value[0]
            if isinstance(first, yaml.MappingNode) and not first.flow_style:
                return v.start_mark.column - base, first.start_mark.column - v.start_mark.column
    return 2, 2


def _append_edits(doc: _Doc, mapping: yaml.MappingNode, key: str, record: dict[str, Any]) -> list[tuple[int, int, str]]:
    """The splices that append ``record`` to the list ``key`` of ``mapping`` (the root or a record).

    Follows the list's own style: block items copy the indentation of the existing
    ones (or of the file's other lists), a flow list ``[...]`` gets a flow mapping.
    A missing key is added after the mapping's last key (inside ``{...}`` for a
    flow mapping).
    """
    nl = doc.newline
    block = [(k, yaml_scalar(v)) for k, v in record.items()]
    flow = [(k, yaml_scalar(v, flow=True)) for k, v in record.items()]
    found = _get(mapping, key)
    base = mapping.start_mark.column
    if found is None:
        if mapping.flow_style:
            return _flow_key_edits(doc, mapping, key, f"[{_flow_map(flow)}]")
        dash, keyoff = _list_layout(doc)
        new = " " * base + f"{key}:{nl}" + _block_item(block, base + dash, base + dash + keyoff, nl)
        if mapping is doc.root:
            # Right after the last key (and comments indented under it), so that
            # comment lines closing the front matter stay last.
            at = _after(doc, mapping, base + 1) if mapping.value else doc.fm_end
        else:
            at = _after(doc, mapping, base)
        return [(at, at, new)]
    key_node, value = found
    if _is_null(value):
        if mapping.flow_style:
            start, end = doc.at(value.start_mark), doc.at(value.end_mark)
            return [(start, end, (" " if end == start else "") + f"[{_flow_map(flow)}]")]
        dash, keyoff = _list_layout(doc)
        col = key_node.start_mark.column
        start, end = doc.at(value.start_mark), doc.at(value.end_mark)
        edits = [(start, end, "")] if end > start else []  # `key: ~` or `key: null`: drop the null
        at = _line_end(doc.text, max(end, doc.at(key_node.end_mark)))
        return edits + [(at, at, _block_item(block, col + dash, col + dash + keyoff, nl))]
    if not isinstance(value, yaml.SequenceNode):
        raise EditError(f"'{key}' is not a list; run 'crmgen check' and fix it first")
    if value.flow_style:
        close = doc.at(value.end_mark) - 1
        if doc.text[close] != "]":
            raise EditError(f"cannot find the closing ']' of the '{key}' list; add the item by hand")
        if value.value:
            at = doc.at(value.value[-1].end_mark)
            return [(at, at, ", " + _flow_map(flow))]
        return [(close, close, _flow_map(flow))]
    last = value.value[-1]
    dash_col = value.start_mark.column
    at = _after(doc, value, dash_col + 1)
    if isinstance(last, yaml.MappingNode) and last.flow_style:
        new = " " * dash_col + "- " + _flow_map(flow) + nl
    else:
        key_col = last.start_mark.column if isinstance(last, yaml.MappingNode) else dash_col + 2
        new = _block_item(block, dash_col, key_col, nl)
    return [(at, at, new)]


def _flow_key_edits(doc: _Doc, mapping: yaml.MappingNode, key: str, value_text: str) -> list[tuple[int, int, str]]:
    """The splice that adds ``key: value_text`` at the end of the flow mapping ``{...}``."""
    if mapping.value:
        at = doc.at(mapping.value[-1][1].end_mark)
        return [(at, at, f", {key}: {value_text}")]
    at = doc.at(mapping.end_mark) - 1
    return [(at, at, f"{key}: {value_text}")]


def _key_edits(doc: _Doc, mapping: yaml.MappingNode, key: str, value: Any) -> list[tuple[int, int, str]]:
    """The splices that set the scalar ``key`` of a record to ``value``: replace it when present
    (an empty ``key:`` is filled), else add it after the record's last key."""
    if (pair := _get(mapping, key)) is not None:
        node = pair[1]
        if not isinstance(node, yaml.ScalarNode):
            raise EditError(f"'{key}' is not a single value; run 'crmgen check' and fix it first")
        start, end = doc.at(node.start_mark), doc.at(node.end_mark)
        prefix = "" if end > start or doc.text[start - 1 : start] in (" ", "\t") else " "
        return [(start, end, prefix + yaml_scalar(value, flow=mapping.flow_style))]
    if mapping.flow_style:
        return _flow_key_edits(doc, mapping, key, yaml_scalar(value, flow=True))
    col = mapping.start_mark.column
    at = _after(doc, mapping, col)
    return [(at, at, " " * col + f"{key}: {yaml_scalar(value)}{doc.newline}")]


def append_to_list(text: str, key: str, record: dict[str, Any]) -> str:
    """Append ``record`` (a mapping of scalars) to the top-level list ``key``, creating it if needed."""
    doc = _parse(text)
    new_text = _splice(text, _append_edits(doc, doc.root, key, record))
    expected = copy.deepcopy(doc.data())
    if expected.get(key) is None:
        expected[key] = []
    expected[key].append(dict(record))
    _check_data(doc, new_text, expected)
    return new_text


def add_promise(
    text: str,
    by: str,
    what: str,
    due: dt.date,
    amount: float | None = None,
    *,
    agreed: dt.date | None = None,
    order: str | None = None,
    because: int | None = None,
) -> str:
    """Append a promise to ``promises:`` (created at the end of the front matter when missing).

    ``order`` names the order it is about (its id, its number from 1, or its date; see
    :func:`find_order`); an order without an ``id:`` is given one (:func:`new_order_id`),
    since a promise names orders by id. ``because`` is the number of our promise that
    made the client break this one.
    """
    return promise_with_order(text, by, what, due, amount, agreed=agreed, order=order, because=because)[0]


def promise_with_order(
    text: str,
    by: str,
    what: str,
    due: dt.date,
    amount: float | None = None,
    *,
    agreed: dt.date | None = None,
    order: str | None = None,
    because: int | None = None,
) -> tuple[str, str | None]:
    """:func:`add_promise`, and the id of the order it names (None without ``order``)."""
    if by not in PROMISE_SIDES:
        raise EditError(f"--by must be one of {', '.join(PROMISE_SIDES)}, not '{by}'")
    what = _one_line(what, "the promise")
    record: dict[str, Any] = {"by": by, "what": what, "due": due}
    if amount is not None:
        if not math.isfinite(amount) or amount < 0:
            raise EditError(f"the amount must be a positive number, not {amount}")
        record["amount"] = amount
    if agreed is not None:
        record["agreed"] = agreed
    doc = _parse(text)
    data = doc.data()
    expected = copy.deepcopy(data)
    edits: list[tuple[int, int, str]] = []
    order_id: str | None = None
    if order is not None:
        orders = _order_records(data)
        i = find_order(orders, order)
        order_id = orders[i].get("id")
        if order_id is None:  # promises name orders by id: give this one its id
            order_id = new_order_id(orders, orders[i]["date"])
            edits += _key_edits(doc, _order_nodes(doc)[i], "id", order_id)
            expected["orders"][i]["id"] = order_id
        record["order"] = order_id
    if because is not None:
        record["because"] = because
    edits += _append_edits(doc, doc.root, "promises", record)
    new_text = _splice(text, edits)
    if expected.get("promises") is None:
        expected["promises"] = []
    expected["promises"].append(dict(record))
    _check_data(doc, new_text, expected)
    return new_text, order_id


# -- orders and payments ------------------------------------------------------------

def _order_records(data: Any) -> list[dict[str, Any]]:
    orders = data.get("orders") if isinstance(data, dict) else None
    if not orders:
        raise EditError("this client has no orders yet; record one with 'crmgen order'")
    return list(orders)


def _order_nodes(doc: _Doc) -> list[yaml.MappingNode]:
    found = _get(doc.root, "orders")
    items = found[1].value if found and isinstance(found[1], yaml.SequenceNode) else []
    if not all(isinstance(n, yaml.MappingNode) for n in items):
        raise EditError("an order is not a mapping of 'key: value' lines; run 'crmgen check'")
    return list(items)


def paid_so_far(order: dict[str, Any]) -> float:
    """What an order's data says was paid: the sum of its payments when listed, else ``paid``."""
    payments = order.get("payments") or []
    if payments:
        return round(sum(p.get("amount") or 0 for p in payments), 2)
    return order.get("paid") or 0


def owed_on(order: dict[str, Any]) -> float:
    return max(round((order.get("amount") or 0) - paid_so_far(order), 2), 0)


def describe_order(number: int, order: dict[str, Any]) -> str:
    """``#2 of 2026-09-01, ¥86,000 (id 2026-09-A), owes ¥46,000``: an order as a command names it."""
    shown = f"#{number} of {order.get('date')}, {money(order.get('amount'))}"
    if order.get("id") is not None:
        shown += f" (id {order['id']})"
    owed = owed_on(order)
    return shown + (f", owes {money(owed)}" if owed else ", paid in full")


def find_order(orders: list[dict[str, Any]], ref: str | None, *, owing: bool = False) -> int:
    """The index of the order ``ref`` names: its ``id``, its number (``2`` or ``#2``, from 1 in file
    order, as on the client's page), or its date when one order has it. Without ``ref``, the one
    order that still owes money (``owing``); otherwise a clear error listing the candidates."""
    listing = "; ".join(describe_order(i + 1, o) for i, o in enumerate(orders))
    if ref is None:
        open_ = [i for i, o in enumerate(orders) if owed_on(o) > 0]
        if owing and len(open_) == 1:
            return open_[0]
        if not open_:
            raise WhichOrder(f"no order owes money ({listing}); name the order with --order, or record it "
                            "first with 'crmgen order'")
        shown = "; ".join(describe_order(i + 1, orders[i]) for i in open_)
        raise WhichOrder(f"{len(open_)} orders owe money ({shown}); say which with --order ID or --order N")
    ref = ref.strip()
    by_id = [i for i, o in enumerate(orders) if str(o.get("id")) == ref and o.get("id") is not None]
    if by_id:
        return by_id[0]
    if re.fullmatch(r"#?\d+", ref):
        number = int(ref.lstrip("#"))
        if 1 <= number <= len(orders):
            return number - 1
        raise WhichOrder(f"there is no order #{number}: orders are numbered 1 to {len(orders)} in the order "
                        f"they appear in the file ({listing})")
    by_date = [i for i, o in enumerate(orders) if str(o.get("date")) == ref]
    if len(by_date) == 1:
        return by_date[0]
    if len(by_date) > 1:
        shown = "; ".join(describe_order(i + 1, orders[i]) for i in by_date)
        raise WhichOrder(f"{len(by_date)} orders are dated {ref} ({shown}); name one by its number or id")
    raise WhichOrder(f"no order '{ref}': name it by its id, its number from 1, or its date ({listing})")


def new_order_id(orders: list[dict[str, Any]], day: dt.date) -> str:
    """An id no order has yet: the order's date, then ``DATE-2``, ``DATE-3``..."""
    taken = {str(o.get("id")) for o in orders if o.get("id") is not None}
    base = day.isoformat() if isinstance(day, dt.date) else str(day)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def add_order(
    text: str,
    when: dt.date,
    amount: float,
    *,
    items: str | None = None,
    order_id: str | None = None,
    terms: str | None = None,
    pay_by: dt.date | None = None,
    delivered: dt.date | None = None,
) -> tuple[str, str]:
    """Append an order to ``orders:``; returns (new text, its id).

    Every order recorded this way has an id (``order_id``, else :func:`new_order_id`),
    so that a promise can name it and its calendar events keep their identity.
    """
    doc = _parse(text)
    data = doc.data()
    existing = list(data.get("orders") or []) if isinstance(data, dict) else []
    if order_id is not None:
        order_id = _one_line(order_id, "the order's id")
        if any(str(o.get("id")) == order_id for o in existing if o.get("id") is not None):
            raise EditError(f"an order already has the id '{order_id}'; give this one its own "
                            f"(or leave out --id: crmgen picks {new_order_id(existing, when)})")
    else:
        order_id = new_order_id(existing, when)
    if not math.isfinite(amount) or amount <= 0:
        raise EditError(f"an order's amount must be more than 0, not {amount}")
    record: dict[str, Any] = {"id": order_id, "date": when, "amount": amount}
    if terms is not None:
        record["terms"] = _one_line(terms, "the terms")
    if pay_by is not None:
        record["pay_by"] = pay_by
    if delivered is not None:
        record["delivered"] = delivered
    if items is not None and items.strip():
        record["items"] = _one_line(items, "the items")
    return append_to_list(text, "orders", record), order_id


@dataclass(frozen=True)
class PaymentRecorded:
    """What :func:`add_payment` did: to which order, and what it still owes."""

    number: int  # the order's number, from 1
    order: str  # the order as a command names it (:func:`describe_order`, before the payment)
    owed: float  # what the order owes after the payment
    dated: bool  # False: the order keeps only a total (``paid:``), so the payment's date is not written


def add_payment(
    text: str, ref: str | None, when: dt.date, amount: float, note: str | None = None
) -> tuple[str, PaymentRecorded]:
    """Record a payment of ``amount`` on ``when`` for the order ``ref`` names (:func:`find_order`).

    It is appended to the order's ``payments:`` (created when the order has none and
    nothing paid yet), and an order's ``paid:`` is kept equal to the new total, so the
    two never disagree. An order that records only a total (``paid:`` above 0, no
    payments) gets the new total in ``paid:``: its earlier payments' dates are not
    known, and inventing them would be worse. More than the order owes is refused.
    """
    if not math.isfinite(amount) or amount <= 0:
        raise EditError(f"a payment must be more than 0, not {amount}")
    doc = _parse(text)
    data = doc.data()
    orders = _order_records(data)
    i = find_order(orders, ref, owing=True)
    order = orders[i]
    shown = describe_order(i + 1, order)
    owed = owed_on(order)
    if not owed:
        raise WhichOrder(f"order {shown}: nothing to record; name the order this payment is for with --order")
    if to_cents(amount) > to_cents(owed):
        raise EditError(f"order {shown}: the payment of {money(amount)} is more than it owes; record "
                        "what was paid for this order, and the rest on the order it was for")
    node = _order_nodes(doc)[i]
    expected = copy.deepcopy(data)
    target = expected["orders"][i]
    total = _amount_value(round(paid_so_far(order) + amount, 2))
    dated = bool(order.get("payments")) or not order.get("paid")
    edits: list[tuple[int, int, str]] = []
    if dated:
        payment: dict[str, Any] = {"date": when, "amount": amount}
        if note is not None and note.strip():
            payment["note"] = _one_line(note, "the note")
        edits += _append_edits(doc, node, "payments", payment)
        target["payments"] = [*(target.get("payments") or []), payment]
    if "paid" in order or not dated:
        edits += _key_edits(doc, node, "paid", total)
        target["paid"] = total
    new_text = _splice(text, edits)
    _check_data(doc, new_text, expected)
    return new_text, PaymentRecorded(i + 1, shown, round(owed - amount, 2), dated)


def _amount_value(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _promise_node(doc: _Doc, number: int) -> yaml.MappingNode:
    found = _get(doc.root, "promises")
    items = found[1].value if found and isinstance(found[1], yaml.SequenceNode) else []
    if not items:
        raise EditError("this client has no promises yet; add one with 'crmgen promise'")
    if not 1 <= number <= len(items):
        raise EditError(
            f"there is no promise #{number}: promises are numbered 1 to {len(items)} in the order "
            "they appear in the file (as on the client's page)"
        )
    node = items[number - 1]
    if not isinstance(node, yaml.MappingNode):
        raise EditError(f"promise #{number} is not a mapping; run 'crmgen check'")
    return node


def close_promise(text: str, number: int, outcome: str, when: dt.date) -> str:
    """Mark promise ``number`` (1-based, file order) ``kept`` or ``broken`` on ``when``.

    Refuses when it already has an outcome: changing a recorded outcome is a
    decision for a person in an editor, not a command.
    """
    if outcome not in ("kept", "broken"):
        raise ValueError(outcome)
    doc = _parse(text)
    node = _promise_node(doc, number)
    for done in ("kept", "broken"):
        if (pair := _get(node, done)) is not None and not _is_null(pair[1]):
            raise EditError(
                f"promise #{number} is already marked {done} ({pair[1].value}); "
                "edit the file by hand to change it"
            )
    edits = _key_edits(doc, node, outcome, when)
    new_text = _splice(text, edits)
    expected = copy.deepcopy(doc.data())
    expected["promises"][number - 1][outcome] = when
    _check_data(doc, new_text, expected)
    return new_text


def set_grade(text: str, grade: str) -> tuple[str, str | None]:
    """Replace the grade value (keeping its quoting); returns (new text, old grade)."""
    if grade not in GRADES:
        raise EditError(f"grade must be one of {' '.join(GRADES)}, not '{grade}'")
    doc = _parse(text)
    found = _get(doc.root, "grade")
    if found is None or not isinstance(found[1], yaml.ScalarNode) or _is_null(found[1]):
        raise EditError("the file has no 'grade:' value; run 'crmgen check'")
    node = found[1]
    old = node.value
    if old == grade:
        return text, old
    start, end = doc.at(node.start_mark), doc.at(node.end_mark)
    quote = node.style if node.style in ("'", '"') else ""
    new_text = _splice(text, [(start, end, f"{quote}{grade}{quote}")])
    expected = doc.data()
    expected["grade"] = grade
    _check_data(doc, new_text, expected)
    return new_text, old


def _one_line(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise EditError(f"{what} is empty; say what it is")
    if "\n" in value or "\r" in value:
        raise EditError(f"{what} must be one line")
    return value


_FENCE_LINE = re.compile(r"^[ \t]*(```|~~~)")


def append_interaction(
    text: str,
    when: dt.date,
    kind: str,
    summary: str,
    *,
    body: str | None = None,
    next_step: tuple[dt.date, str] | None = None,
) -> str:
    """Append ``## D kind: summary`` (then the body and a ``Next:`` line) at the end of the file."""
    if kind not in INTERACTION_TYPES:
        raise EditError(f"the type must be one of {', '.join(INTERACTION_TYPES)}, not '{kind}'")
    summary = _one_line(summary, "the summary")
    doc = _parse(text)
    if sum(1 for line in text[doc.body_start :].splitlines() if _FENCE_LINE.match(line)) % 2:
        raise EditError("the body ends inside an unclosed ``` code block; close it, then log again")
    nl = doc.newline
    out = []
    if text and not text.endswith("\n"):
        out.append(nl)
    if not re.search(r"\n[ \t]*\r?\n\Z", text if text.endswith("\n") else text + "\n"):
        out.append(nl)  # a blank line before the heading, unless there is one already
    out.append(f"## {when.isoformat()} {kind}: {summary}{nl}")
    if body is not None and body.strip():
        lines = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
        out.append(nl + nl.join(line.rstrip() for line in lines) + nl)
    if next_step is not None:
        date, what = next_step
        what = _one_line(what, "the next step")
        out.append(f"{nl}Next: {date.isoformat()} {what}{nl}")
    return text + "".join(out)


# -- the I/O edge -------------------------------------------------------------------

def _validate(text: str, rel_path: str, when: str) -> Client:
    from crmgen.load.book import parse_client_text

    client, problems = parse_client_text(text, rel_path)
    errors = [p for p in problems if p.is_error]
    if client is not None and not errors:
        return client
    shown = "\n".join("  " + p.format() for p in errors[:5])
    more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
    if when == "before":
        raise EditError(
            f"{rel_path} has errors, so crmgen will not edit it; fix them first "
            f"(crmgen check lists them all):\n{shown}{more}"
        )
    raise EditError(f"the change would make {rel_path} invalid, so nothing was written:\n{shown}{more}")


def edit_bytes(
    data: bytes,
    rel_path: str,
    transform: Callable[[str], tuple[str, T]],
    *,
    verify: Callable[[Client, Client], None] | None = None,
) -> tuple[bytes | None, T]:
    """Apply ``transform`` to a file's bytes: (new bytes, or None when nothing changes; info).

    Decodes (keeping a BOM), validates, transforms, validates the new text (and
    ``verify(old client, new client)``), and encodes it back with the same BOM.
    """
    text, bom, problems = decode(data, rel_path)
    if text is None:
        raise EditError(problems[0].format())
    old_client = _validate(text, rel_path, "before")
    new_text, info = transform(text)
    if new_text == text:
        return None, info
    new_client = _validate(new_text, rel_path, "after")
    if verify is not None:
        verify(old_client, new_client)
    return (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8"), info


def edit_client_file(
    path: Path,
    rel_path: str,
    transform: Callable[[str], tuple[str, T]],
    *,
    verify: Callable[[Client, Client], None] | None = None,
    root: Path | None = None,
) -> tuple[bool, T]:
    """Apply ``transform`` (text -> (new text, info)) to a client file, safely.

    The file must validate before; the new text must validate before it is
    written (and pass ``verify(old client, new client)``). The write is atomic
    and happens only if the file on disk is still the one that was read; if
    another writer saved it meanwhile, the whole edit is redone once on the new
    content, then it gives up with a clear message. Returns (written, info).
    With ``root`` (the project), a symlink leading outside it or an oversized
    file is refused, as ``crmgen check`` refuses them. A failed write is
    :class:`~crmgen.fsutil.WriteFailed` naming ``rel_path``, the file as it was; stale
    temporary files of killed writers in its directory are removed first.
    """
    if root is not None and (problems := check_path(path, rel_path, root)):
        raise EditError(problems[0].format())
    # Temporary files of writers that were killed, here and where a symlink leads.
    for directory in dict.fromkeys([path.parent, Path(os.path.realpath(path)).parent]):
        sweep_dir(directory)
    for attempt in (1, 2):
        try:
            data, snapshot = read_with_snapshot(path)
        except FileNotFoundError as exc:
            raise EditError(f"{rel_path} does not exist") from exc
        except OSError as exc:
            fix = f"make it readable (chmod u+r {rel_path})" if isinstance(exc, PermissionError) else "check it"
            raise EditError(f"cannot read {rel_path}: {(exc.strerror or str(exc)).lower()}; {fix} and run the "
                            "command again (nothing was changed)") from exc
        payload, info = edit_bytes(data, rel_path, transform, verify=verify)
        if payload is None:
            return False, info
        try:
            atomic_write(path, payload, expect=snapshot)
        except WriteFailed as exc:
            raise exc.at(rel_path) from None
        except FileChanged:
            if attempt == 2:
                raise EditError(
                    f"{rel_path} was changed by someone else (an editor or another crmgen) while "
                    "crmgen was writing it, twice in a row; nothing was written: save or close the "
                    "file elsewhere and run the command again"
                ) from None
            continue
        return True, info
    raise AssertionError("unreachable")  # pragma: no cover
