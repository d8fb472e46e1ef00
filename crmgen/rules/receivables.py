"""Money owed: when each order is due, how late, in which ageing band; credit; how fast a client pays.

Pure functions of the validated client and the team settings (no I/O, no clock): the
``payment`` and ``credit`` rules, the client page and the receivables tables all ask here,
so a due day or a band is worked out one way everywhere.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from typing import NamedTuple

from crmgen.format.model import Client, Order
from crmgen.format.terms import Terms
from crmgen.load.project import Settings


def terms_of(order: Order, client: Client, settings: Settings) -> Terms:
    """The terms an order is paid on: its own, else the client's, else the team's."""
    return order.terms or client.terms or settings.terms


def due_of(order: Order, client: Client, settings: Settings) -> tuple[dt.date | None, Terms | None]:
    """(the day payment is due, the terms it was worked out from: None when ``pay_by`` says it).
    The day is None when it waits for a delivery (cash on delivery, not delivered yet)."""
    if order.pay_by is not None:
        return order.pay_by, None
    terms = terms_of(order, client, settings)
    return order.due_on(terms), terms


def band_labels(bands: Sequence[int]) -> list[str]:
    """The ageing bands' names: ``not due``, ``1–30``, ``31–60``, ... ``over 365`` (days late)."""
    labels, low = ["not due"], 1
    for high in bands:
        labels.append(f"{low}–{high}")
        low = high + 1
    labels.append(f"over {bands[-1]}" if bands else "late")
    return labels


def band_of(days_late: int, bands: Sequence[int]) -> int:
    """The index in :func:`band_labels` of an amount ``days_late`` days past due (≤ 0: not due)."""
    if days_late <= 0:
        return 0
    for i, high in enumerate(bands):
        if days_late <= high:
            return i + 1
    return len(bands) + 1


class Receivable(NamedTuple):
    """What is owed on one order, on a given day."""

    order: Order
    owed: float
    due: dt.date | None
    terms: Terms | None  # the terms the due day was worked out from (None: pay_by)
    days_late: int | None  # None: no due day yet
    band: int  # index in band_labels(settings.ageing)


def receivables(client: Client, settings: Settings, today: dt.date) -> list[Receivable]:
    """The client's orders not paid in full, oldest first."""
    out = []
    for o in sorted(client.orders, key=lambda o: (o.date, o.index)):
        if o.owed <= 0:
            continue
        due, terms = due_of(o, client, settings)
        late = (today - due).days if due is not None else None
        out.append(Receivable(o, o.owed, due, terms, late, band_of(late or 0, settings.ageing)))
    return out


class Credit(NamedTuple):
    """What a client owes against its credit limit."""

    owed: float
    limit: float
    available: float  # below 0: over the limit
    share: float  # owed / limit (1.0: at the limit)


def credit_of(client: Client) -> Credit | None:
    """The client's credit position; None without a credit limit."""
    limit = client.credit_limit
    if limit is None:
        return None
    owed = round(client.owed, 2)  # to the cent: a sum of floats is not (as the credit rule)
    return Credit(owed, limit, limit - owed, owed / limit if limit else (1.0 if owed else 0.0))


class PaySpeed(NamedTuple):
    """How many days a client takes to pay an order in full, from delivery (or the order)."""

    median: float
    last: int
    orders: int  # how many orders it is worked out from


def pay_speed(client: Client) -> PaySpeed | None:
    """From the orders paid in full whose payments are listed; None when there are none."""
    settled = []
    for o in client.orders:
        if (day := o.settled) is not None:
            settled.append((day, (day - (o.delivered or o.date)).days))
    if not settled:
        return None
    settled.sort()
    days = [max(d, 0) for _, d in settled]
    return PaySpeed(statistics.median(days), days[-1], len(days))
