"""Payment terms as salespeople write them, and the day they make a payment due.

Read (case, spaces and a trailing 天/days ignored)::

    60, 60d, net 60, n60, 60 days, 账期60天          60 days after delivery (or the order, until delivered)
    EOM 45, eom+45, 月结45天, 月结45, 月结             the end of that month, plus 45 days (月结 alone: 30)
    COD, 货到付款, 货到付款                            on delivery
    prepaid, CIA, 款到发货, 先款后货, 预付              on the order date, before anything is sent

A pure module: :func:`parse` gives :class:`Terms` or None, :meth:`Terms.due` the day.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

DAYS, END_OF_MONTH, ON_DELIVERY, PREPAID = "days", "eom", "cod", "prepaid"
TERMS_MAX = 3650  # days, as a cadence: ten years

_DAYS = re.compile(r"^(?:net|n|账期|賬期)?\s*:?\s*([0-9]{1,5})\s*(?:d|days?|天|日)?\Z")
_EOM = re.compile(r"^(?:eom|月结|月結)\s*[+:]?\s*([0-9]{1,5})?\s*(?:d|days?|天|日)?\Z")
_ON_DELIVERY = frozenset({"cod", "货到付款", "貨到付款", "货到付", "cash on delivery"})
_PREPAID = frozenset({"prepaid", "cia", "cwo", "款到发货", "款到發貨", "先款后货", "先款後貨", "预付", "預付",
                      "预付款", "cash in advance"})

EXAMPLES = "60, net 60, EOM 45, 月结45天, 货到付款 (COD) or 款到发货 (prepaid)"


class Terms(NamedTuple):
    """When an order is to be paid: ``kind`` one of days, eom, cod, prepaid; ``days`` after
    the base day (or after the end of its month); ``text`` as written."""

    kind: str
    days: int
    text: str

    def due(self, ordered: dt.date, delivered: dt.date | None) -> dt.date | None:
        """The day payment is due for an order placed ``ordered`` and delivered ``delivered``
        (None: not yet). Counted from the delivery, else the order; None when it depends on a
        delivery that has not happened (cash on delivery)."""
        if self.kind == PREPAID:
            return ordered
        base = delivered if delivered is not None and delivered > ordered else ordered  # never due before ordered
        if self.kind == ON_DELIVERY:
            return delivered
        if self.kind == END_OF_MONTH:
            import calendar  # only for these terms: start-up does not pay for it

            base = base.replace(day=calendar.monthrange(base.year, base.month)[1])
        return base + dt.timedelta(days=self.days)

    def __str__(self) -> str:
        return self.text


def parse(text: str | int) -> Terms | None:
    """The terms ``text`` writes (a number of days, or one of the forms above), else None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return Terms(DAYS, text, f"{text} days") if 0 <= text <= TERMS_MAX else None
    raw = " ".join(str(text).split())
    key = raw.lower().replace("：", ":").strip()
    if key in _ON_DELIVERY:
        return Terms(ON_DELIVERY, 0, raw)
    if key in _PREPAID:
        return Terms(PREPAID, 0, raw)
    if m := _EOM.match(key):
        days = int(m[1]) if m[1] is not None else 30
        return Terms(END_OF_MONTH, days, raw) if days <= TERMS_MAX else None
    if m := _DAYS.match(key):
        days = int(m[1])
        return Terms(DAYS, days, raw) if days <= TERMS_MAX else None
    return None
