"""The client, as validated: frozen dataclasses, one per thing a client file holds.

Everything downstream (reminders, pages, exports) works on these objects and
never re-reads files. The field-by-field documentation of the file format lives
in :mod:`crmgen.format.schema`, from which the validator and the JSON Schema are built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from crmgen.format.schema import (
    COMPLAINT_CAUSES,
    COMPLAINT_STEPS,
    GRADES,
    INTERACTION_TYPES,
    PROMISE_SIDES,
    STAGES,
)
from crmgen.format.terms import Terms

__all__ = ["COMPLAINT_CAUSES", "COMPLAINT_STEPS", "GRADES", "INTERACTION_TYPES", "PROMISE_SIDES", "STAGES", "Anniversary", "Birthday",
           "Client", "Complaint", "Contact", "Interaction", "Opportunity", "Order", "Payment", "Promise", "Rebate", "RebateTier",
           "Terms"]


@dataclass(frozen=True)
class Birthday:
    """A birthday: month and day, and the year when it is known (`--MM-DD` has none).

    A lunar birthday (农历, see :mod:`crmgen.rules.lunar`) keeps the lunar month, day and year;
    which Gregorian day it falls on changes every year."""

    month: int
    day: int
    year: int | None = None
    lunar: bool = False  # month, day and year are of the Chinese lunar calendar
    leap: bool = False  # (lunar) the leap month (闰) that repeats ``month``
    written: str = ""  # (lunar) the date as the file writes it, which str() shows

    def __str__(self) -> str:
        if self.lunar:
            return self.written
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class Contact:
    """A person at the client."""

    name: str
    role: str | None = None
    phone: str | None = None
    email: str | None = None
    birthday: Birthday | None = None
    left: dt.date | None = None
    notes: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Anniversary:
    """A date that recurs every year (founding day, first deal, ...)."""

    what: str
    date: dt.date  # the original day (of a lunar date: the Gregorian day it fell on)
    line: int = 0
    # A lunar date (农历): (lunar year, month, day, leap month), recurring on that lunar day
    lunar: tuple[int, int, int, bool] | None = None
    written: str = ""  # (lunar) the date as the file writes it


@dataclass(frozen=True)
class Promise:
    """A promise, ours (`by: us`) or the client's (`by: client`)."""

    by: str
    what: str
    due: dt.date
    amount: float | None = None
    kept: dt.date | None = None
    broken: dt.date | None = None
    index: int = 0
    line: int = 0
    agreed: dt.date | None = None  # the day it was made
    order: str | None = None  # the id of the order it is about
    because: int | None = None  # the number (1-based) of our promise whose breaking caused this one's
    id: str | None = None  # a name unique among the file's promises (calendar UIDs keep it)

    @property
    def is_open(self) -> bool:
        return self.kept is None and self.broken is None

    @property
    def days_late(self) -> int | None:
        """Days after ``due`` it was kept (0: on time or early); None when not kept."""
        return max((self.kept - self.due).days, 0) if self.kept is not None else None


@dataclass(frozen=True)
class Payment:
    """Money received for an order."""

    date: dt.date
    amount: float
    note: str | None = None


@dataclass(frozen=True)
class Order:
    """An order the client placed, and how it was paid, delivered and reviewed."""

    date: dt.date
    amount: float
    paid: float = 0.0
    pay_by: dt.date | None = None
    delivered: dt.date | None = None
    reviewed: dt.date | None = None
    items: str | None = None
    index: int = 0
    line: int = 0
    id: str | None = None
    payments: tuple[Payment, ...] = ()  # in date order; ``paid`` is their sum when there are any
    terms: Terms | None = None  # the order's own terms (else the client's, else the team's)
    # the contract-fulfilment review (reviewed) and the usage review after some weeks of use
    review_outcome: str | None = None  # satisfied | problem | opportunity
    review_note: str | None = None
    usage_reviewed: dt.date | None = None
    usage_outcome: str | None = None
    usage_note: str | None = None

    @property
    def owed(self) -> float:
        return max(self.amount - self.paid, 0.0)

    def due_on(self, default: Terms | None = None) -> dt.date | None:
        """The day payment is due: ``pay_by``, else worked out from the order's terms (else
        ``default``: the client's, else the team's) from the delivery or the order date."""
        if self.pay_by is not None:
            return self.pay_by
        terms = self.terms or default
        return terms.due(self.date, self.delivered) if terms is not None else None

    @property
    def settled(self) -> dt.date | None:
        """The day the payments reached the amount (None: not paid in full, or no payments listed)."""
        total = 0.0
        for p in self.payments:
            total += p.amount
            if round(total, 2) >= self.amount:  # to the cent, as ``paid``
                return p.date
        return None


@dataclass(frozen=True)
class Complaint:
    """A complaint and the step of the six-step handling being worked on (DOMAIN.md, seed 000)."""

    opened: dt.date
    what: str
    step: str = "listen"
    closed: dt.date | None = None
    index: int = 0
    line: int = 0
    # (step, the day it was reached), in the order of the six steps
    steps: tuple[tuple[str, dt.date], ...] = ()
    cause: str | None = None  # salesperson | client | product
    cause_note: str | None = None
    handler: str | None = None
    escalated_to: str | None = None
    escalated: dt.date | None = None
    compensation: str | None = None
    compensation_amount: float | None = None
    visited: dt.date | None = None  # the follow-up visit after closing

    def reached(self, step: str) -> dt.date | None:
        """The day ``step`` was reached, when written (listen: else the day it was opened)."""
        for name, day in self.steps:
            if name == step:
                return day
        return self.opened if step == "listen" else None


@dataclass(frozen=True)
class Opportunity:
    """Business that may come (a deal in the pipeline), won or lost."""

    what: str
    stage: str | None = None  # None: the team's first stage
    amount: float | None = None
    probability: float | None = None  # None: the stage's
    expected: dt.date | None = None
    opened: dt.date | None = None
    since: dt.date | None = None
    competitor: str | None = None
    next_step: str | None = None
    lost_reason: str | None = None
    order: str | None = None
    id: str | None = None
    index: int = 0
    line: int = 0


@dataclass(frozen=True)
class Service:
    """A service done on a schedule (oil testing, maintenance): every ``every`` days from ``from``.

    A file key that is a Python keyword is its field's name with an underscore (``from_``).
    """

    what: str
    every: int  # days
    from_: dt.date | None = None
    last: dt.date | None = None
    product: str | None = None
    until: dt.date | None = None
    index: int = 0
    line: int = 0

    @property
    def next_due(self) -> dt.date | None:
        """The day the next service is due (the last one's, else the first's, plus every), or None
        when the schedule has no day to count from or has ended by then."""
        start = self.last or self.from_
        if start is None:
            return None
        due = start + dt.timedelta(days=self.every)
        return None if self.until is not None and due > self.until else due


@dataclass(frozen=True)
class RebateTier:
    """Purchases over `over` in the period earn `rate` (a fraction: 0.02 is 2%)."""

    over: float
    rate: float


@dataclass(frozen=True)
class Rebate:
    """A tiered rebate over a period (usually a year)."""

    start: dt.date | None
    end: dt.date | None
    tiers: tuple[RebateTier, ...] = ()
    line: int = 0
    name: str | None = None
    basis: str = "ordered"  # ordered | delivered | paid
    mode: str = "whole"  # whole | above
    settled: dt.date | None = None
    index: int = 0  # its place among the programmes (the rebate: key is 0, then rebates:)


@dataclass(frozen=True)
class Interaction:
    """One dated `## YYYY-MM-DD type: summary` section of the body."""

    date: dt.date
    type: str
    summary: str
    body: str = ""
    next_date: dt.date | None = None
    next_what: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Client:
    """One client file, validated."""

    slug: str
    path: str
    name: str
    grade: str
    stage: str = "prospect"
    owner: str | None = None
    tags: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    region: str | None = None
    source: str | None = None  # how the client came to us (a fair, an event, a person)
    blocked_until: dt.date | None = None  # no touch reminder before this day
    win_back: dt.date | None = None  # the day to try to win a lost client back
    website: str | None = None
    industry: str | None = None
    notes: str | None = None
    since: dt.date | None = None
    cadence: int | None = None
    referred_by: str | None = None
    credit_limit: float | None = None
    terms: Terms | None = None
    contacts: tuple[Contact, ...] = ()
    dates: tuple[Anniversary, ...] = ()
    promises: tuple[Promise, ...] = ()
    orders: tuple[Order, ...] = ()
    complaints: tuple[Complaint, ...] = ()
    opportunities: tuple[Opportunity, ...] = ()
    services: tuple[Service, ...] = ()
    rebate: Rebate | None = None
    rebates: tuple[Rebate, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    interactions: tuple[Interaction, ...] = ()
    body: str = ""
    body_line: int = 1

    @property
    def last_contact(self) -> dt.date | None:
        """The date of the latest interaction in the body, if any."""
        return max((i.date for i in self.interactions), default=None)

    @property
    def programmes(self) -> tuple[Rebate, ...]:
        """Every rebate programme: ``rebate`` (the one-programme shorthand), then ``rebates``."""
        return ((self.rebate,) if self.rebate is not None else ()) + self.rebates

    @property
    def owed(self) -> float:
        """What the client still owes on its orders."""
        return sum(o.owed for o in self.orders)

    @property
    def current_contacts(self) -> tuple[Contact, ...]:
        return tuple(c for c in self.contacts if c.left is None)
