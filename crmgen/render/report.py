"""A period's report (:mod:`crmgen.rules.report`) as plain text, Markdown or JSON. Pure.

The text and the Markdown are in the active language (:mod:`crmgen.i18n`); the JSON's keys
and machine values (the period's kind, the types, the sides) never change with it.
"""

from __future__ import annotations

import json
from typing import Any

from crmgen.format.money import format_cents, money
from crmgen.i18n import N_, _, label, ngettext, pgettext
from crmgen.rules.report import Line, Report

# The report's title, by period, for everyone and for one owner (each a whole message).
TITLES = {"day": N_("Daily report"), "week": N_("Weekly report"), "month": N_("Monthly report")}
_HEADINGS = {
    "day": (N_("Daily report: %(span)s"), N_("Daily report for %(owner)s: %(span)s")),
    "week": (N_("Weekly report: %(span)s"), N_("Weekly report for %(owner)s: %(span)s")),
    "month": (N_("Monthly report: %(span)s"), N_("Monthly report for %(owner)s: %(span)s")),
}
SIDES = {"us": N_("ours"), "client": N_("the client's")}  # whose promise, in the active language where shown
# "2 visits": how many interactions of each type (any other type is counted in English)
_TYPE_COUNTS = {
    "visit": lambda n: ngettext("%(num)d visit", "%(num)d visits", n),
    "call": lambda n: ngettext("%(num)d call", "%(num)d calls", n),
    "meeting": lambda n: ngettext("%(num)d meeting", "%(num)d meetings", n),
    "message": lambda n: ngettext("%(num)d message", "%(num)d messages", n),
    "email": lambda n: ngettext("%(num)d email", "%(num)d emails", n),
    "gift": lambda n: ngettext("%(num)d gift", "%(num)d gifts", n),
    "note": lambda n: ngettext("%(num)d note", "%(num)d notes", n),
}


def _span(r: Report) -> str:
    p = r.period
    if p.kind == "day":
        return p.start.isoformat()
    if p.kind == "month":
        shown = f"{p.start:%Y-%m}"
    else:
        iso = p.start.isocalendar()
        shown = f"{iso.year}-W{iso.week:02d}"
    return _("%(period)s (%(start)s to %(end)s)") % {"period": shown, "start": p.start, "end": p.end}


def heading(r: Report) -> str:
    """``Weekly report for 王磊: 2026-W47 (2026-11-16 to 2026-11-22)``, in the active language."""
    everyone, for_owner = _HEADINGS[r.period.kind]
    return _(for_owner if r.owner else everyone) % {"owner": r.owner, "span": _span(r)}


def _typed(kind: str, n: int) -> str:
    counted = _TYPE_COUNTS.get(kind)
    return counted(n) % {"num": n} if counted is not None else f"{n} {kind}{'s' if n != 1 else ''}"


def summary(r: Report, currency: str = "¥") -> list[str]:
    """The numbers, one per line: what a manager reads first."""
    types = pgettext("list", ", ").join(_typed(t, n) for t, n in r.by_type.items()) or pgettext("count", "none")
    touched = r.clients_touched
    return [
        ngettext("Interactions: %(num)d (%(types)s) with %(clients)d client",
                 "Interactions: %(num)d (%(types)s) with %(clients)d clients", touched)
        % {"num": len(r.interactions), "types": types, "clients": touched},
        _("New clients: %(num)d") % {"num": len(r.new_clients)},
        _("Promises: %(made)d made, %(kept)d kept, %(broken)d broken")
        % {"made": len(r.promises_made), "kept": len(r.promises_kept), "broken": len(r.promises_broken)},
        _("Orders: %(num)d, %(total)s") % {"num": len(r.orders), "total": format_cents(r.ordered_cents, currency)},
        _("Payments received: %(num)d, %(total)s")
        % {"num": len(r.payments), "total": format_cents(r.received_cents, currency)},
        _("Opportunities: %(opened)d found, %(moved)d moved (%(won)d won, %(lost)d lost)")
        % {"opened": len(r.opportunities_opened), "moved": len(r.opportunities_moved),
           "won": sum(1 for x in r.opportunities_moved if x.kind == "won"),
           "lost": sum(1 for x in r.opportunities_moved if x.kind == "lost")},
    ]


def _sections(r: Report, currency: str) -> list[tuple[str, list[str]]]:
    def promise(x: Line) -> str:
        values = {"date": x.date, "name": x.name, "side": _(SIDES[x.kind]), "what": x.what,
                  "amount": money(x.amount, currency) if x.amount is not None else None}
        if x.amount is not None:
            return _("%(date)s %(name)s: %(side)s: %(what)s (%(amount)s)") % values
        return _("%(date)s %(name)s: %(side)s: %(what)s") % values

    def order(x: Line) -> str:
        values = {"date": x.date, "name": x.name, "amount": money(x.amount, currency), "items": x.what}
        if x.what:
            return _("%(date)s %(name)s: %(amount)s %(items)s") % values
        return _("%(date)s %(name)s: %(amount)s") % values

    def payment(x: Line) -> str:
        values = {"date": x.date, "name": x.name, "amount": money(x.amount, currency), "order": x.kind,
                  "note": x.what}
        if x.what:
            return _("%(date)s %(name)s: %(amount)s for the order %(order)s (%(note)s)") % values
        return _("%(date)s %(name)s: %(amount)s for the order %(order)s") % values

    def opportunity(x: Line) -> str:
        values = {"date": x.date, "name": x.name, "what": x.what, "amount": money(x.amount, currency)}
        if x.amount is not None:
            return _("%(date)s %(name)s: %(what)s (%(amount)s)") % values
        return _("%(date)s %(name)s: %(what)s") % values

    def moved(x: Line) -> str:
        return _("%(line)s, to %(stage)s") % {"line": opportunity(x), "stage": label("opportunity", x.kind)}

    return [
        (pgettext("report", "Interactions"),
         [_("%(date)s %(name)s: %(type)s: %(what)s")
          % {"date": x.date, "name": x.name, "type": label("interaction", x.kind), "what": x.what}
          for x in r.interactions]),
        (pgettext("report", "New clients"),
         [_("%(date)s %(name)s (grade %(grade)s, %(stage)s)")
          % {"date": x.date, "name": x.name, "grade": x.kind, "stage": label("stage", x.what)}
          for x in r.new_clients]),
        (pgettext("report", "Promises made"), [promise(x) for x in r.promises_made]),
        (pgettext("report", "Promises kept"), [promise(x) for x in r.promises_kept]),
        (pgettext("report", "Promises broken"), [promise(x) for x in r.promises_broken]),
        (pgettext("report", "Orders"), [order(x) for x in r.orders]),
        (pgettext("report", "Payments"), [payment(x) for x in r.payments]),
        (pgettext("report", "Opportunities found"), [opportunity(x) for x in r.opportunities_opened]),
        (pgettext("report", "Opportunities moved"), [moved(x) for x in r.opportunities_moved]),
    ]


def blocks(r: Report, currency: str = "¥") -> dict[str, Any]:
    """The report as a site page shows it: its heading, the summary lines and the sections that have
    lines (plain text: the page escapes it)."""
    return {"heading": heading(r), "summary": summary(r, currency),
            "sections": [(title, lines) for title, lines in _sections(r, currency) if lines]}


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
                   "orders": len(r.orders), "payments": len(r.payments),
                   "opportunities_opened": len(r.opportunities_opened),
                   "opportunities_moved": len(r.opportunities_moved)},
        "totals": {"ordered": r.ordered_cents / 100, "received": r.received_cents / 100},
        "interactions": lines(r.interactions, kind="type", what="summary"),
        "new_clients": lines(r.new_clients, kind="grade", what="stage"),
        "promises_made": lines(r.promises_made, **promise),
        "promises_kept": lines(r.promises_kept, **promise),
        "promises_broken": lines(r.promises_broken, **promise),
        "orders": lines(r.orders, kind="id", what="items", amount="amount"),
        "payments": lines(r.payments, kind="order", what="note", amount="amount"),
        "opportunities_opened": lines(r.opportunities_opened, kind="stage", what="what", amount="amount"),
        "opportunities_moved": lines(r.opportunities_moved, kind="stage", what="what", amount="amount"),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
