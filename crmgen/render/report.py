"""A period's report (:mod:`crmgen.rules.report`) as plain text, Markdown or JSON. Pure."""

from __future__ import annotations

import json
from typing import Any

from crmgen.format.money import format_cents, money
from crmgen.rules.report import Line, Report

TITLES = {"day": "Daily report", "week": "Weekly report", "month": "Monthly report"}
SIDES = {"us": "ours", "client": "the client's"}


def _span(r: Report) -> str:
    p = r.period
    if p.kind == "day":
        return p.start.isoformat()
    if p.kind == "month":
        return f"{p.start:%Y-%m} ({p.start} to {p.end})"
    iso = p.start.isocalendar()
    return f"{iso.year}-W{iso.week:02d} ({p.start} to {p.end})"


def heading(r: Report) -> str:
    who = f" for {r.owner}" if r.owner else ""
    return f"{TITLES[r.period.kind]}{who}: {_span(r)}"


def summary(r: Report, currency: str = "¥") -> list[str]:
    """The numbers, one per line: what a manager reads first."""
    types = ", ".join(f"{n} {t}{'s' if n != 1 else ''}" for t, n in r.by_type.items()) or "none"
    return [
        f"Interactions: {len(r.interactions)} ({types}) with {r.clients_touched} "
        f"client{'s' if r.clients_touched != 1 else ''}",
        f"New clients: {len(r.new_clients)}",
        f"Promises: {len(r.promises_made)} made, {len(r.promises_kept)} kept, {len(r.promises_broken)} broken",
        f"Orders: {len(r.orders)}, {format_cents(r.ordered_cents, currency)}",
        f"Payments received: {len(r.payments)}, {format_cents(r.received_cents, currency)}",
    ]


def _sections(r: Report, currency: str) -> list[tuple[str, list[str]]]:
    def amount(line: Line) -> str:
        return f" ({money(line.amount, currency)})" if line.amount is not None else ""

    return [
        ("Interactions", [f"{x.date} {x.name}: {x.kind}: {x.what}" for x in r.interactions]),
        ("New clients", [f"{x.date} {x.name} (grade {x.kind}, {x.what})" for x in r.new_clients]),
        ("Promises made", [f"{x.date} {x.name}: {SIDES[x.kind]}: {x.what}{amount(x)}" for x in r.promises_made]),
        ("Promises kept", [f"{x.date} {x.name}: {SIDES[x.kind]}: {x.what}{amount(x)}" for x in r.promises_kept]),
        ("Promises broken", [f"{x.date} {x.name}: {SIDES[x.kind]}: {x.what}{amount(x)}"
                             for x in r.promises_broken]),
        ("Orders", [f"{x.date} {x.name}: {money(x.amount, currency)}" + (f" {x.what}" if x.what else "")
                    for x in r.orders]),
        ("Payments", [f"{x.date} {x.name}: {money(x.amount, currency)} for the order {x.kind}"
                      + (f" ({x.what})" if x.what else "") for x in r.payments]),
    ]


def as_text(r: Report, currency: str = "¥") -> str:
    out = [heading(r), "", *summary(r, currency)]
    for title, lines in _sections(r, currency):
        if lines:
            out += ["", title, *(f"  {line}" for line in lines)]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe inside a Markdown list item: no markup, no HTML from a client file."""
    return "".join("\\" + ch if ch in "\\`*_[]<>#|!~&" else ch for ch in text.replace("\n", " "))


def as_markdown(r: Report, currency: str = "¥") -> str:
    out = [f"# {_md(heading(r))}", "", *(f"- {_md(line)}" for line in summary(r, currency))]
    for title, lines in _sections(r, currency):
        if lines:
            out += ["", f"## {title}", "", *(f"- {_md(line)}" for line in lines)]
    return "\n".join(out) + "\n"


def as_json(r: Report) -> str:
    def lines(items: list[Line], **names: str) -> list[dict[str, Any]]:
        out = []
        for x in items:
            d: dict[str, Any] = {"date": x.date.isoformat(), "client": x.client, "name": x.name}
            for attr, key in names.items():
                value = getattr(x, attr)
                d[key] = None if value == "" else value  # no id, items or note: null, as in due's JSON
            out.append(d)
        return out

    promise = {"kind": "by", "what": "what", "amount": "amount"}
    doc = {
        "period": {"kind": r.period.kind, "start": r.period.start.isoformat(), "end": r.period.end.isoformat()},
        "owner": r.owner,
        "counts": {"interactions": len(r.interactions), "by_type": r.by_type, "clients_touched": r.clients_touched,
                   "new_clients": len(r.new_clients), "promises_made": len(r.promises_made),
                   "promises_kept": len(r.promises_kept), "promises_broken": len(r.promises_broken),
                   "orders": len(r.orders), "payments": len(r.payments)},
        "totals": {"ordered": r.ordered_cents / 100, "received": r.received_cents / 100},
        "interactions": lines(r.interactions, kind="type", what="summary"),
        "new_clients": lines(r.new_clients, kind="grade", what="stage"),
        "promises_made": lines(r.promises_made, **promise),
        "promises_kept": lines(r.promises_kept, **promise),
        "promises_broken": lines(r.promises_broken, **promise),
        "orders": lines(r.orders, kind="id", what="items", amount="amount"),
        "payments": lines(r.payments, kind="order", what="note", amount="amount"),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
