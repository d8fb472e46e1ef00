"""The words a reader sees for the format's own values (a stage, a type, a step, a reminder kind).

The file keeps the English word (``stage: customer``); the site, ``due`` and the calendar show
``crmgen.i18n.label(kind, value)``: 客户 in Chinese, ``customer`` in English. Each value is
marked here for the catalogue, under the context its :func:`~crmgen.i18n.label` call names.
A test checks that every value of every choice is here.
"""

from __future__ import annotations

from crmgen.i18n import C_

LABELS = {
    "stage": (C_("stage", "prospect"), C_("stage", "customer"), C_("stage", "dormant"), C_("stage", "lost")),
    "interaction": (
        C_("interaction", "visit"), C_("interaction", "call"), C_("interaction", "meeting"),
        C_("interaction", "message"), C_("interaction", "email"), C_("interaction", "gift"),
        C_("interaction", "note"),
    ),
    "side": (C_("side", "us"), C_("side", "client")),
    "step": (
        C_("step", "listen"), C_("step", "analyse"), C_("step", "solve"), C_("step", "inform"),
        C_("step", "act"), C_("step", "review"),
    ),
    "rebate_basis": (C_("rebate_basis", "ordered"), C_("rebate_basis", "delivered"), C_("rebate_basis", "paid")),
    "rebate_mode": (C_("rebate_mode", "whole"), C_("rebate_mode", "above")),
    "cause": (C_("cause", "salesperson"), C_("cause", "client"), C_("cause", "product")),
    # the default stages (a team's own stages are shown as the team writes them)
    "opportunity": (
        C_("opportunity", "lead"), C_("opportunity", "qualified"), C_("opportunity", "proposal"),
        C_("opportunity", "negotiation"), C_("opportunity", "won"), C_("opportunity", "lost"),
    ),
    # how an after-sale review went (orders' review_outcome and usage_outcome)
    "review_outcome": (
        C_("review_outcome", "satisfied"), C_("review_outcome", "problem"), C_("review_outcome", "opportunity"),
    ),
    "reminder": (
        C_("reminder", "touch"), C_("reminder", "next"), C_("reminder", "birthday"),
        C_("reminder", "anniversary"), C_("reminder", "promise"), C_("reminder", "remind"),
        C_("reminder", "collect"), C_("reminder", "payment"), C_("reminder", "credit"),
        C_("reminder", "broken"), C_("reminder", "review"), C_("reminder", "usage"),
        C_("reminder", "service"), C_("reminder", "complaint"),
        C_("reminder", "rebate"), C_("reminder", "settle"), C_("reminder", "successor"),
        C_("reminder", "dormant"), C_("reminder", "revisit"), C_("reminder", "win_back"), C_("reminder", "opportunity"),
    ),
}
