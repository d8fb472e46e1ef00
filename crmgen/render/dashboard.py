"""The numbers on the home page: pure functions from clients, reminders and a date.

:func:`dashboard_context` returns every variable ``templates/dashboard.md.j2`` uses
(documented in its docstring) plus the inline SVG charts from :mod:`crmgen.render.charts`.
Money is summed in whole cents (integers), so totals and the 80/20 cut never depend on
float rounding; it is handed to the template both as a number and already formatted
with the team's currency and thousands separators.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from crmgen import i18n
from crmgen.format.model import COMPLAINT_STEPS, GRADES, STAGES, Client
from crmgen.format.money import format_cents as format_money
from crmgen.format.money import to_cents
from crmgen.format.owners import owner_key
from crmgen.load.project import Settings
from crmgen.render import charts
from crmgen.rules import sales
from crmgen.rules.complaints import by_cause
from crmgen.rules.receivables import band_labels, credit_of, pay_speed
from crmgen.rules.receivables import receivables as owed_on
from crmgen.rules.record import record
from crmgen.rules.reminders import Reminder, group

REVENUE_DAYS = 365
PARETO_SHARE = (4, 5)  # 80%, as a fraction of integers so the cut is exact
TOP_OVERDUE = 5
SMALL_CHART = 320  # grades and stages sit side by side (crmgen-chart--small in crmgen.css)


def percent(part: float, whole: float) -> str:
    """``part`` of ``whole`` as a whole percentage (``"0%"`` when ``whole`` is 0)."""
    if not whole:
        return "0%"
    return f"{part / whole * 100:.0f}%"


def reminder_counts(reminders: Sequence[Reminder]) -> dict[str, Any]:
    """Counts of overdue / today / this week / later reminders, and the most overdue few."""
    groups = group(reminders)
    overdue = sorted(groups.get("Overdue", []), key=lambda r: (r.days, r.client, r.kind, r.title))
    return {
        "overdue": len(groups.get("Overdue", [])),
        "today": len(groups.get("Today", [])),
        "week": len(groups.get("This week", [])),
        "later": len(groups.get("Later", [])),
        "total": sum(len(v) for v in groups.values()),
        "top_overdue": overdue[:TOP_OVERDUE],
    }


def bucket_labels(bands: Sequence[int]) -> list[str]:
    """What the ageing table calls each band: ``Not yet due``, ``1–30 days late``, ... ``Over 365 days late``
    (in the active language: each a whole phrase, the days its placeholders)."""
    labels = [i18n._("Not yet due")]
    low = 1
    for high in bands:
        labels.append(i18n._("%(low)d–%(high)d days late") % {"low": low, "high": high})
        low = high + 1
    # the team's bands are never empty (settings), but band_labels names that case too
    labels.append(i18n._("Over %(days)d days late") % {"days": bands[-1]} if bands else i18n._("Late"))
    return labels


def receivables(clients: Iterable[Client], today: dt.date, settings: Settings) -> dict[str, Any]:
    """Money still owed, aged in the team's bands (``settings.ageing``) from the day each order
    is due (:func:`crmgen.rules.receivables.due_of`: ``pay_by``, else by the terms); by order, by
    client (with credit) and by owner, and the clients over or near their credit limit."""
    currency = settings.currency
    keys = band_labels(settings.ageing)
    titles = bucket_labels(settings.ageing)
    items: list[dict[str, Any]] = []
    per_client: list[dict[str, Any]] = []
    credit: list[dict[str, Any]] = []
    for client in clients:
        mine: list[int] = [0] * len(keys)
        for r in owed_on(client, settings, today):
            owed = to_cents(r.order.amount) - to_cents(r.order.paid)
            if owed <= 0:
                continue
            mine[r.band] += owed
            items.append(
                {
                    "slug": client.slug,
                    "name": client.name,
                    "owner": client.owner,
                    "date": r.order.date,
                    "order_id": r.order.id,
                    "order_items": r.order.items,
                    "amount": to_cents(r.order.amount) / 100,
                    "amount_fmt": format_money(to_cents(r.order.amount), currency),
                    "paid_fmt": format_money(to_cents(r.order.paid), currency),
                    "owed": owed / 100,
                    "owed_fmt": format_money(owed, currency),
                    "_owed": owed,
                    "pay_by": r.due,
                    "terms": str(r.terms) if r.terms is not None else None,
                    "days_late": r.days_late,
                    "late": r.days_late is not None and r.days_late > 0,
                    "bucket": keys[r.band],
                    "band": r.band,
                }
            )
        position = credit_of(client)
        if sum(mine) or position is not None:
            speed = pay_speed(client)
            row = {
                "slug": client.slug, "name": client.name, "owner": client.owner,
                "owed": sum(mine) / 100, "owed_fmt": format_money(sum(mine), currency),
                "late_fmt": format_money(sum(mine[1:]), currency),
                "bands_fmt": tuple(format_money(c, currency) if c else "" for c in mine), "_bands": mine,
                "limit_fmt": format_money(to_cents(position.limit), currency) if position else None,
                "available_fmt": format_money(to_cents(position.available), currency) if position else None,
                "share": position.share if position else None,
                "share_fmt": f"{position.share:.0%}" if position else None,
                "over": bool(position and position.available < 0),
                "days_to_pay": f"{speed.median:g}" if speed else None,
            }
            if sum(mine):
                per_client.append(row)
            if position is not None and position.share >= settings.credit_near:
                credit.append(row)
    # Most late first; then the larger sum; then stable by client and order date.
    items.sort(key=lambda i: (-(i["days_late"] or 0), -i["_owed"], i["slug"], i["date"]))
    per_client.sort(key=lambda c: (-sum(c["_bands"][1:]), -c["owed"], c["slug"]))
    credit.sort(key=lambda c: (-(c["share"] or 0), c["slug"]))
    buckets = []
    by_bucket: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for i in items:
        by_bucket[i["bucket"]].append(i)
    for key, label in zip(keys, titles, strict=True):
        mine_items = by_bucket[key]
        cents = sum(i["_owed"] for i in mine_items)
        buckets.append(
            {
                "key": key,
                "label": label,
                "total": cents / 100,
                "total_fmt": format_money(cents, currency),
                "count": len(mine_items),
                "clients": sorted({i["slug"] for i in mine_items}),
                "orders": mine_items,
            }
        )
    owners: dict[str, list[int]] = {}
    for c in per_client:
        sums = owners.setdefault(c["owner"] or "", [0] * len(keys))
        for b, cents in enumerate(c["_bands"]):
            sums[b] += cents
    by_owner = [{"owner": name or None, "owed_fmt": format_money(sum(sums), currency),
                 "late_fmt": format_money(sum(sums[1:]), currency),
                 "bands_fmt": tuple(format_money(c, currency) if c else "" for c in sums)}
                for name, sums in sorted(owners.items(), key=lambda kv: (-sum(kv[1][1:]), kv[0]))]
    total = sum(i["_owed"] for i in items)
    late = [i for i in items if i["late"]]
    late_total = sum(i["_owed"] for i in late)
    for i in items:
        del i["_owed"]
    for c in [*per_client, *credit]:  # the same rows, some in both lists
        c.pop("_bands", None)
    return {
        "total": total / 100,
        "total_fmt": format_money(total, currency),
        "count": len(items),
        "late_total": late_total / 100,
        "late_total_fmt": format_money(late_total, currency),
        "late_count": len(late),
        "bands": titles,
        "buckets": buckets,
        "orders": items,
        "late": late,
        "by_client": per_client,
        "by_owner": by_owner,
        "credit": credit,
        "credit_near_fmt": f"{settings.credit_near:.0%}",
    }


def revenue(clients: Iterable[Client], today: dt.date, currency: str) -> dict[str, Any]:
    """Revenue per client over the last 12 months, largest first, with the 80/20 cut.

    The window is ``(today - 365 days, today]``. ``top_count`` is the smallest number
    of top clients whose revenue reaches 80% of the total; ties are ordered by name and
    slug, which never changes that number.
    """
    start = today - dt.timedelta(days=REVENUE_DAYS)
    rows: list[tuple[int, Client]] = []
    for client in clients:
        cents = sum(to_cents(o.amount) for o in client.orders if start < o.date <= today)
        if cents > 0:
            rows.append((cents, client))
    rows.sort(key=lambda r: (-r[0], r[1].name, r[1].slug))
    total = sum(c for c, _ in rows)
    num, den = PARETO_SHARE
    out: list[dict[str, Any]] = []
    cum = 0
    top_count = 0
    for rank, (cents, client) in enumerate(rows, start=1):
        in_top = top_count == 0 or cum * den < total * num  # still short of 80% before this one
        cum += cents
        if in_top:
            top_count = rank
        out.append(
            {
                "rank": rank,
                "slug": client.slug,
                "name": client.name,
                "owner": client.owner,
                "grade": client.grade,
                "amount": cents / 100,
                "amount_fmt": format_money(cents, currency),
                "share": cents / total,
                "share_fmt": percent(cents, total),
                "cumulative": cum / total,
                "cumulative_fmt": percent(cum, total),
                "top": in_top,
            }
        )
    if not rows:
        top_count = 0
    top_cents = sum(c for c, _ in rows[:top_count])
    return {
        "start": start,
        "first_day": start + dt.timedelta(days=1),
        "end": today,
        "total": total / 100,
        "total_fmt": format_money(total, currency),
        "clients": out,
        "client_count": len(out),
        "top": out[:top_count],
        "top_count": top_count,
        "top_share": top_count / len(out) if out else 0.0,
        "top_share_fmt": percent(top_count, len(out)),
        "top_revenue": top_cents / 100,
        "top_revenue_fmt": format_money(top_cents, currency),
        "top_revenue_share_fmt": percent(top_cents, total),
    }


def promises(clients: Iterable[Client], today: dt.date) -> dict[str, Any]:
    """Promises kept, broken and open, ours (``by: us``) and theirs (``by: client``), counted by
    :func:`crmgen.rules.record.record` (``kept`` on time or late).

    ``late`` counts open promises whose date has passed; ``breakers`` lists the
    clients that broke promises to us (a credit risk), most broken first.
    """
    clients = list(clients)
    sides: dict[str, dict[str, Any]] = {}
    for side in ("us", "client"):
        r = record((p for c in clients for p in c.promises if (p.by == "us") == (side == "us")), today)
        kept = r.on_time + r.late
        sides[side] = {"kept": kept, "broken": r.broken, "open": r.open, "late": r.overdue,
                       "total": r.decided + r.open, "kept_share_fmt": percent(kept, kept + r.broken)}
    breakers: list[dict[str, Any]] = []
    for client in clients:
        theirs = record((p for p in client.promises if p.by != "us"), today)
        if theirs.broken:
            breakers.append({"slug": client.slug, "name": client.name, "broken": theirs.broken,
                             "kept": theirs.on_time + theirs.late})
    breakers.sort(key=lambda b: (-b["broken"], b["kept"], b["name"], b["slug"]))
    return {"us": sides["us"], "client": sides["client"], "breakers": breakers, "by_owner": owner_records(clients, today)}


def owner_records(clients: Iterable[Client], today: dt.date) -> list[dict[str, Any]]:
    """Each owner's promise record (:mod:`crmgen.rules.record`): ours to their clients, and their
    clients' to us: kept on time, median delay when late, the weighted score."""
    held: dict[str, list[Any]] = {}
    for client in clients:
        if client.promises:
            held.setdefault(client.owner or "", []).extend(client.promises)
    out = []
    for owner in sorted(held, key=lambda o: (o == "", o)):
        ours = record((p for p in held[owner] if p.by == "us"), today)
        # a client promise broken because of one of ours is not scored against the client
        theirs = record((p for p in held[owner] if p.by != "us" and not (p.broken is not None and p.because)), today)
        out.append({"owner": owner or None, "us": record_view(ours), "client": record_view(theirs)})
    return out


def complaints(clients: Iterable[Client], today: dt.date) -> dict[str, Any]:
    """Open complaints (not closed) per step, in the six-step order, and the list of them."""
    counts = dict.fromkeys(COMPLAINT_STEPS, 0)
    items = []
    for client in clients:
        for c in client.complaints:
            if c.closed is not None:
                continue
            counts[c.step] = counts.get(c.step, 0) + 1
            items.append(
                {
                    "slug": client.slug,
                    "name": client.name,
                    "owner": client.owner,
                    "what": c.what,
                    "step": c.step,
                    "step_number": COMPLAINT_STEPS.index(c.step) + 1 if c.step in COMPLAINT_STEPS else 0,
                    "opened": c.opened,
                    "days_open": (today - c.opened).days,
                }
            )
    items.sort(key=lambda i: (i["opened"], i["slug"], i["what"]))
    return {
        "open": len(items),
        "steps": [{"key": k, "count": v} for k, v in counts.items()],
        "list": items,
    }


def complaint_causes(clients: Iterable[Client]) -> dict[str, Any]:
    """Every complaint across clients, open or closed (:func:`crmgen.rules.complaints.by_cause`), as the
    dashboard shows it: ``causes`` (``key``, None when not known; ``label``; ``count``), ``chart``
    (their inline SVG bars; None unless some cause is written), ``total``, ``open``, ``closed``, and
    the days from opened to closed of the closed ones: ``median_days`` / ``longest_days`` (None when
    none is closed) and their ``*_fmt`` text."""
    numbers = by_cause(clients)
    median, longest = numbers["median_days"], numbers["longest_days"]
    rows = [
        {"key": cause, "count": count,
         # capitalize(): "Salesperson" in English, as the stages in their chart
         "label": (i18n.label("cause", cause) if cause else i18n.pgettext("cause", "not known")).capitalize()}
        for cause, count in numbers["causes"]
    ]
    known = any(cause is not None for cause, _count in numbers["causes"])
    return {
        "causes": rows,
        # only when some cause is written: one bar of "not known" says no more than the numbers
        "chart": charts.bar_chart([charts.Bar(r["label"], r["count"]) for r in rows],
                                  i18n._("Complaints by cause, open and closed")) if known else None,
        "total": numbers["total"],
        "open": numbers["open"],
        "closed": numbers["closed"],
        "median_days": median,
        "longest_days": longest,
        # a whole number of days, or a half when the two middle ones differ by an odd number
        "median_fmt": _days(median) if median is not None else None,
        "longest_fmt": _days(longest) if longest is not None else None,
    }


def _days(days: float) -> str:
    """``4.5 days``, ``1 day`` (one message in the plural forms; the number may be a half)."""
    return i18n.ngettext("%(num)s day", "%(num)s days", 1 if days == 1 else 2) % {"num": f"{days:g}"}


def _progress_view(p: sales.Progress, currency: str, page_owner: str | None) -> dict[str, Any]:
    behind = not p.on_track
    view = {
        "owner": p.owner,
        "page_owner": page_owner,
        "month": p.month,
        "target": p.target / 100,
        "target_fmt": format_money(p.target, currency),
        "sold": p.sold / 100,
        "sold_fmt": format_money(p.sold, currency),
        "share": p.share,
        "share_fmt": percent(p.sold, p.target),
        "expected": p.expected,
        "expected_fmt": percent(p.expected, 1),
        "on_track": p.on_track,
        "behind": behind,
    }
    if behind:
        text = i18n._("Target for %(month)s: %(sold)s of %(target)s ordered (%(share)s), with %(gone)s of the "
                      "month gone: behind the pace")
    else:
        text = i18n._("Target for %(month)s: %(sold)s of %(target)s ordered (%(share)s), with %(gone)s of the "
                      "month gone: on track")
    view["text"] = text % {"month": p.month, "sold": view["sold_fmt"], "target": view["target_fmt"],
                           "share": view["share_fmt"], "gone": view["expected_fmt"]}
    return view


def targets(clients: Iterable[Client], settings: Settings, today: dt.date) -> list[dict[str, Any]]:
    """The month's targets (``settings.targets``, :func:`crmgen.rules.sales.progress`), in the order of
    the settings: per salesperson ``target``, ``sold`` (ordered from the 1st to today), ``share``
    (reached), ``expected`` (the share of the month gone), ``behind`` (reached < month gone), each
    with its ``*_fmt`` text and a sentence (``text``). ``page_owner`` is the owner as the clients spell
    it (whose reminders page exists), None when no client has that owner."""
    book = list(clients)
    spelled: dict[str, str] = {}
    for c in sorted(book, key=lambda c: c.owner or ""):
        if c.owner:
            spelled.setdefault(owner_key(c.owner), c.owner)
    return [_progress_view(p, settings.currency, spelled.get(owner_key(p.owner)))
            for p in sales.progress(book, settings.targets, today)]


def owner_progress(clients: Iterable[Client], settings: Settings, today: dt.date,
                   owner: str | None) -> dict[str, Any] | None:
    """One owner's progress against the month's target as the dashboard shows it (a row of
    :func:`targets`, matched as ``--owner`` is: case and spaces ignored), for the owner's reminders
    page; None when the owner has no target this month (or ``owner`` is None)."""
    if not owner:
        return None
    for row in targets(clients, settings, today):
        if owner_key(row["owner"]) == owner_key(owner):
            return row
    return None


def out_of_touch(clients: Iterable[Client], reminders: Iterable[Reminder], today: dt.date,
                 settings: Settings) -> list[dict[str, Any]]:
    """Clients whose ``touch`` reminder is overdue: exactly those ``due`` lists as late to keep in
    touch, since it is its reminders that decide (:func:`crmgen.rules.kinds.touch`).

    ``touch`` counts the cadence (the client's own, else the team's for its grade) from the last
    interaction, else ``since``, else the day git first saw the file, else from today (so a client
    created today, or never committed, is not late). ``last_contact`` is the interaction or
    ``since`` (``since_only``); a client listed without either was really never contacted, and
    ``added`` is the day its cadence counts from.
    """
    late = {r.client: r for r in reminders if r.kind == "touch" and r.days < 0}
    out: list[dict[str, Any]] = []
    for client in clients:
        r = late.get(client.slug)
        if r is None:
            continue
        cadence = client.cadence if client.cadence is not None else settings.cadence.get(client.grade)
        if cadence is None:
            continue
        contact = client.last_contact  # a property that looks at every interaction: once
        last = contact or client.since
        counted_from = r.date - dt.timedelta(days=cadence)
        days = (today - counted_from).days
        out.append(
            {
                "slug": client.slug,
                "name": client.name,
                "grade": client.grade,
                "stage": client.stage,
                "owner": client.owner,
                "last_contact": last,
                "since_only": contact is None and last is not None,
                "added": counted_from if last is None else None,
                "days_since": days,
                "cadence": cadence,
                "over": days - cadence,
            }
        )
    # Most overdue first; then best grades first.
    out.sort(key=lambda r: (-r["over"], r["grade"], r["name"], r["slug"]))
    return out


def contact_links(client: Client | None) -> dict[str, str | None]:
    """Whom to call or write about a client: its first current contact's phone and email, else
    the client's own (``phone``, ``email``, ``who``: the contact's name when it is theirs)."""
    if client is None:
        return {"phone": None, "email": None, "who": None}
    first = client.current_contacts[0] if client.current_contacts else None
    phone = first.phone if first is not None and first.phone else client.phone
    email = first.email if first is not None and first.email else client.email
    who = first.name if first is not None and (first.phone or first.email) else None
    return {"phone": phone, "email": email, "who": who}


def today_list(clients: Iterable[Client], reminders: Iterable[Reminder]) -> list[dict[str, Any]]:
    """What to do today: every overdue and today's reminder, most overdue first, each with the
    phone and email to reach the client by (:func:`contact_links`)."""
    by_slug = {c.slug: c for c in clients}
    now = sorted((r for r in reminders if r.days <= 0), key=lambda r: (r.days, r.client, r.kind, r.title))
    return [{"r": r, **contact_links(by_slug.get(r.client))} for r in now]


def _counts(values: Iterable[str], order: Sequence[str]) -> list[dict[str, Any]]:
    counts = dict.fromkeys(order, 0)
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return [{"key": k, "count": n} for k, n in counts.items()]


def dashboard_context(
    clients: list[Client],
    reminders: list[Reminder],
    today: dt.date,
    settings: Settings,
    broken: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything the dashboard template needs, as plain values and inline SVG charts.

    Keys (money comes as a number and as ``*_fmt`` text in the team's currency):

    - ``today``, ``currency``, ``client_count``, ``broken`` (paths of files with errors)
    - ``reminders``: ``overdue``, ``today``, ``week``, ``later``, ``total``,
      ``top_overdue`` (the few most overdue Reminder objects)
    - ``receivables``: ``total``, ``count``, ``late_total``, ``late_count``, ``buckets``
      (``key``, ``label``, ``total``, ``count``, ``clients``, ``orders``), ``orders`` and
      ``late`` (orders owed: ``slug``, ``name``, ``date``, ``order_items``, ``owed``,
      ``pay_by``, ``days_late``, ``bucket``...)
    - ``revenue``: 12-month revenue per client (``clients`` with ``rank``, ``amount``,
      ``share``, ``cumulative``, ``top``), ``total``, ``top`` / ``top_count`` (the
      smallest set bringing 80%), ``client_count``, ``top_share_fmt``, ``first_day``..``end``
    - ``promises``: ``us`` and ``client`` (``kept``, ``broken``, ``open``, ``late``,
      ``total``, ``kept_share_fmt``), ``breakers``
    - ``complaints``: ``open``, ``steps`` (``key``, ``count`` in the six-step order), ``list``
    - ``causes``: every complaint, open or closed, by cause, and the days to resolve
      (:func:`complaint_causes`)
    - ``targets``: the month's targets per salesperson, empty without any (:func:`targets`)
    - ``out_of_touch``: clients whose ``touch`` reminder is overdue (``days_since``, ``cadence``,
      ``over``, ``last_contact``, ``added``)
    - ``today_list``: the overdue and today's reminders (``r``) with ``phone``, ``email``, ``who``
    - ``grades``, ``stages``: ``key`` and ``count``, every grade and stage included
    - ``charts``: ``grades``, ``stages``, ``complaints``, ``ageing``, ``pareto``,
      ``promises`` (safe SVG markup)
    """
    currency = settings.currency
    grades = _counts((c.grade for c in clients), GRADES)
    stages = _counts((c.stage for c in clients), STAGES)
    recv = receivables(clients, today, settings)
    rev = revenue(clients, today, currency)
    prom = promises(clients, today)
    comp = complaints(clients, today)
    causes = complaint_causes(clients)
    charts_ = {
        "grades": charts.bar_chart(
            [charts.Bar(i18n._("Grade %(grade)s") % {"grade": g["key"]}, g["count"]) for g in grades],
            i18n._("Clients per grade"),
            width=SMALL_CHART,
        ),
        "stages": charts.bar_chart(
            # capitalize(): "Customer" in English; a Chinese word has no case to change
            [charts.Bar(i18n.label("stage", s["key"]).capitalize(), s["count"]) for s in stages],
            i18n._("Clients per stage"),
            width=SMALL_CHART,
        ),
        "complaints": charts.bar_chart(
            [
                charts.Bar(f"{i}. {i18n.label('step', s['key']).capitalize()}", s["count"])
                for i, s in enumerate(comp["steps"], start=1)
            ],
            i18n._("Open complaints per step"),
        ),
        "ageing": charts.bar_chart(
            [
                charts.Bar(b["label"], b["total"], i18n._("%(name)s (%(count)d)") % {"name": b["total_fmt"], "count": b["count"]},
                           colour)
                for b, colour in zip(recv["buckets"], charts.ageing_colours(len(recv["buckets"])), strict=True)
            ],
            i18n._("Receivables by age"),
            text_units_max=22,
        ),
        "pareto": charts.pareto_chart(
            [charts.Bar(r["name"], r["amount"], r["amount_fmt"]) for r in rev["clients"]],
            i18n._("Revenue per client, last 12 months"),
            top_count=rev["top_count"],
            axis_text=(
                format_money(0, currency),
                rev["clients"][0]["amount_fmt"] if rev["clients"] else "",
            ),
        ),
        "promises": charts.stacked_bars(
            [
                (
                    label,
                    [
                        charts.Segment(i18n.pgettext("promises", "kept"), prom[side]["kept"], charts.KEPT),
                        charts.Segment(i18n.pgettext("promises", "broken"), prom[side]["broken"], charts.BROKEN),
                        charts.Segment(i18n.pgettext("promises", "open"), prom[side]["open"], charts.OPEN),
                    ],
                )
                for side, label in (("us", i18n._("Ours")), ("client", i18n._("Theirs")))
            ],
            i18n._("Promises kept, broken and open"),
            empty=i18n._("No promises recorded"),
        ),
    }
    return {
        "today": today,
        "currency": currency,
        "client_count": len(clients),
        "broken": list(broken),
        "reminders": reminder_counts(list(reminders)),
        "grades": grades,
        "stages": stages,
        "receivables": recv,
        "revenue": rev,
        "promises": prom,
        "complaints": comp,
        "causes": causes,
        "targets": targets(clients, settings, today),
        "out_of_touch": out_of_touch(clients, reminders, today, settings),
        "today_list": today_list(clients, reminders),
        "charts": charts_,
    }


def record_view(r: Any) -> dict[str, Any]:
    """A :class:`crmgen.rules.record.Record` as the pages show it (the dashboard's owners too)."""
    return {
        "kept": r.on_time, "kept_late": r.late, "broken": r.broken, "open": r.open - r.overdue,
        "late": r.overdue, "excused": r.excused, "decided": r.decided,
        "kept_share": f"{r.on_time_rate * 100:.0f}%" if r.on_time_rate is not None else "–",
        "median_delay": f"{r.median_delay:g}" if r.median_delay is not None else None,
        "money_score": f"{r.money_score * 100:.0f}%" if r.money_score is not None else None,
        "other_score": f"{r.other_score * 100:.0f}%" if r.other_score is not None else None,
    }
