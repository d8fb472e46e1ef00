"""View data of the pipeline page (pipeline.md) and the sales page (sales.md): the rules'
numbers (:mod:`crmgen.rules.opportunities`, :mod:`crmgen.rules.sales`) formatted, with their
charts. Pure: no I/O, the day is given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from crmgen import i18n
from crmgen.format.model import Client
from crmgen.format.money import format_cents, money, to_cents
from crmgen.render import charts
from crmgen.render.dashboard import targets
from crmgen.rules import opportunities as opp
from crmgen.rules import sales

MONTHS = 12  # the sales page shows the last twelve months


def _pct(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.0f}%"


def pipeline_context(clients: Sequence[Client], settings: Any, today: dt.date) -> dict[str, Any]:
    """The board (a column per stage, each opportunity a card), the forecast by month, per owner,
    and won and lost by reason."""
    cur = settings.currency
    p = opp.pipeline(clients, settings)
    columns = []
    for col in p["board"]:
        cards = []
        for r in sorted(col["rows"], key=lambda r: (r.opportunity.expected or dt.date.max, -(r.opportunity.amount or 0),
                                                     r.client.name)):
            o = r.opportunity
            attention = opp.attention(o, settings)
            cards.append({
                "slug": r.client.slug, "name": r.client.name, "owner": r.client.owner, "what": o.what,
                "amount_fmt": money(o.amount, cur), "probability_fmt": _pct(r.probability),
                "weighted_fmt": money(r.weighted, cur), "expected": o.expected, "competitor": o.competitor,
                "next_step": o.next_step, "lost_reason": o.lost_reason, "order": o.order,
                "late": attention is not None and attention.date <= today,
                "why": attention.why if attention is not None and attention.date <= today else None,
            })
        columns.append({"stage": col["stage"], "count": col["count"], "total_fmt": money(col["total"], cur),
                        "weighted_fmt": money(col["weighted"], cur), "cards": cards,
                        "closed": col["stage"] in (opp.WON, opp.LOST)})
    forecast = [charts.Bar(month or i18n._("no date"), value, money(value, cur)) for month, value in p["forecast"]]
    owners = []
    for owner, o in p["owners"].items():
        owners.append({"owner": owner, "open": o["open"], "total_fmt": money(o["total"], cur),
                       "weighted_fmt": money(o["weighted"], cur), "won": o["won"],
                       "won_fmt": money(o["won_amount"], cur)})
    return {
        "columns": columns,
        "count_open": sum(c["count"] for c in columns if not c["closed"]),
        "open_total_fmt": money(p["open_total"], cur),
        "open_weighted_fmt": money(p["open_weighted"], cur),
        "forecast": p["forecast"],
        "forecast_chart": charts.bar_chart(forecast, i18n._("Weighted forecast by expected month"),
                                           empty=i18n._("No open opportunity has an expected day.")),
        "owners": owners,
        "lost": [{"reason": reason or i18n._("(no reason given)"), "count": v["count"],
                  "amount_fmt": money(v["amount"], cur)} for reason, v in p["lost_by_reason"]],
        "won_count": p["won"]["count"], "won_fmt": money(p["won"]["amount"], cur),
        "win_rate_fmt": _pct(p["win_rate"]),
        "stale_days": settings.opportunity_stale,
    }


def twelve_months(today: dt.date) -> dt.date:
    """The first day of the month eleven months before ``today``'s: the last twelve months, this one in."""
    first = today.replace(day=1)
    for _ in range(MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def client_months_chart(client: Client, currency: str, today: dt.date) -> Any:
    """A client's orders by month over the last twelve months (its page), or None when it ordered
    nothing in them."""
    months = sales.monthly([client], twelve_months(today), today)
    if not any(months.values()):
        return None
    bars = [charts.Bar(month, cents / 100, format_cents(cents, currency)) for month, cents in months.items()]
    return charts.bar_chart(bars, i18n._("Orders by month"))


def sales_context(clients: Sequence[Client], settings: Any, today: dt.date) -> dict[str, Any]:
    """The last twelve months for the book and per owner, this year's growth and mix, the value
    classes and the month's targets."""
    cur = settings.currency
    first = twelve_months(today)
    book = sales.monthly(clients, first, today)
    bars = [charts.Bar(month, cents / 100, format_cents(cents, cur)) for month, cents in book.items()]
    owners: dict[str | None, list[Client]] = {}
    for c in clients:
        owners.setdefault(c.owner, []).append(c)
    per_owner = []
    for owner in sorted(owners, key=lambda o: (o is None, o or "")):
        months = sales.monthly(owners[owner], first, today)
        total = sum(months.values())
        per_owner.append({"owner": owner, "months": [format_cents(v, cur) if v else "" for v in months.values()],
                          "total_fmt": format_cents(total, cur), "total": total})
    g = sales.growth(clients, today)
    year_start = today.replace(month=1, day=1)
    mix = sales.mix(clients, year_start, today)
    classes = sales.value_classes(clients, today, settings.value_classes)
    by_class: dict[str, list[Client]] = {"A": [], "B": [], "C": []}
    for c in sorted(clients, key=lambda c: (-sum(to_cents(o.amount) for o in c.orders
                                                 if today - dt.timedelta(days=sales.REVENUE_DAYS) < o.date <= today),
                                            c.name)):
        if c.slug in classes:
            by_class[classes[c.slug]].append(c)
    return {
        "months": list(book),
        "chart": charts.bar_chart(bars, i18n._("Orders by month"), empty=i18n._("No orders in the last twelve months.")),
        "book_total_fmt": format_cents(sum(book.values()), cur),
        "owners": sorted(per_owner, key=lambda r: (-r["total"], r["owner"] is None, r["owner"] or "")),
        "growth": {"this_fmt": format_cents(g.this, cur), "last_fmt": format_cents(g.last, cur),
                   "rate_fmt": g.rate_text, "since": year_start, "last_day": sales.same_day_last_year(today)},
        "mix": {"new_fmt": format_cents(mix.new, cur), "referred_fmt": format_cents(mix.referred, cur),
                "repeat_fmt": format_cents(mix.repeat, cur), "new_clients": mix.new_clients,
                "referred_clients": mix.referred_clients},
        "classes": [(k, v) for k, v in by_class.items()],
        "class_shares": {k: _pct(v) for k, v in settings.value_classes.items()},
        # as the dashboard shows them (page_owner: the owner as the files spell it, None without clients)
        "targets": targets(clients, settings, today),
        "today": today,
    }
