"""Complaints step by step (DOMAIN.md, seed 000 妥善处理客户投诉): pure rules, no I/O.

A complaint is worked through six steps in order (listen, analyse, solve, inform, act,
review). Each step has its days (team settings: ``complaint_after`` for listen, then
``complaint_steps``); its deadline is the day it was reached plus its days. A step whose
day is not written was reached, as far as crmgen knows, when the one before was due: so an
old file with only ``step: solve`` is due ``opened`` + the days of listen, analyse and solve.
After closing (only at review) a follow-up visit is due ``complaint_visit_after`` days later,
until ``visited``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from crmgen.format.model import COMPLAINT_CAUSES, COMPLAINT_STEPS, Client, Complaint

DAY = dt.timedelta(days=1)


def step_days(settings: Any, step: str) -> int:
    """The days a team gives ``step`` (listen's are ``complaint_after`` unless ``complaint_steps`` names it)."""
    if step == "listen":
        return int(settings.complaint_steps.get("listen", settings.complaint_after))
    return int(settings.complaint_steps.get(step, 0))


def number(step: str) -> int:
    """``listen`` is step 1 of 6, ``review`` step 6."""
    return COMPLAINT_STEPS.index(step) + 1 if step in COMPLAINT_STEPS else 0


def reached(complaint: Complaint, step: str, settings: Any) -> dt.date:
    """The day ``step`` was reached: as written, else when the step before it was due."""
    day = complaint.reached(step)
    if day is not None:
        return day
    before = COMPLAINT_STEPS[COMPLAINT_STEPS.index(step) - 1]
    return deadline(complaint, before, settings)


def deadline(complaint: Complaint, step: str, settings: Any) -> dt.date:
    """The day ``step`` should be done by."""
    return reached(complaint, step, settings) + step_days(settings, step) * DAY


def due(complaint: Complaint, settings: Any) -> dt.date | None:
    """When the step being worked on is due; None once the complaint is closed."""
    if complaint.closed is not None or complaint.step not in COMPLAINT_STEPS:
        return None
    return deadline(complaint, complaint.step, settings)


def contacted_after(complaint: Complaint, interactions: Iterable[Any]) -> dt.date | None:
    """The first contact (not a note) logged after the complaint closed: the follow-up, as far as the
    files tell, when ``visited`` is not written."""
    if complaint.closed is None:
        return None
    closed = complaint.closed
    return min((i.date for i in interactions if i.date > closed and i.type != "note"), default=None)


def visit_due(complaint: Complaint, settings: Any, interactions: Iterable[Any] = ()) -> dt.date | None:
    """The follow-up visit after closing, until it is ``visited`` or a contact is logged after closing."""
    if complaint.closed is None or complaint.visited is not None:
        return None
    if contacted_after(complaint, interactions) is not None:
        return None
    return complaint.closed + settings.complaint_visit_after * DAY


def steps_shown(complaint: Complaint) -> list[dict[str, Any]]:
    """The six steps as a page shows them, truthfully: ``done`` (a later step is being worked on, or
    the complaint is closed), ``current`` or ``todo``, and the day each was reached when known."""
    current = number(complaint.step)
    out = []
    for i, step in enumerate(COMPLAINT_STEPS, start=1):
        if i < current or (complaint.closed is not None and i == current):
            state = "done"
        elif i == current:
            state = "current"
        else:
            state = "todo"
        out.append({"step": step, "number": i, "state": state, "day": complaint.reached(step)})
    return out


def resolution_days(complaint: Complaint) -> int | None:
    """Days from opened to closed (None while open)."""
    return (complaint.closed - complaint.opened).days if complaint.closed is not None else None


def by_cause(clients: Iterable[Client]) -> dict[str, Any]:
    """Across clients: complaints per cause (``None``: not known yet), open and closed, and the
    days to resolve the closed ones (median and longest), for the dashboard."""
    causes: Counter[str | None] = Counter()
    open_count = 0
    days: list[int] = []
    for client in clients:
        for c in client.complaints:
            causes[c.cause] += 1
            took = resolution_days(c)
            if took is None:
                open_count += 1
            else:
                days.append(took)
    days.sort()
    median = None
    if days:
        mid = len(days) // 2
        median = days[mid] if len(days) % 2 else (days[mid - 1] + days[mid]) / 2
    return {
        "causes": [(cause, causes[cause]) for cause in (*COMPLAINT_CAUSES, None) if causes[cause]],
        "total": sum(causes.values()),
        "open": open_count,
        "closed": len(days),
        "median_days": median,
        "longest_days": days[-1] if days else None,
    }
