"""Packing the reminders' plan for the book summary (read by :mod:`crmgen.duepack`).

Only a run that writes the summary needs this; the fast path never loads it.
"""

from __future__ import annotations

import marshal
from array import array
from typing import Any

from .cells import NAME_WIDTH, fit, width
from .duepack import _KIND_INDEX, HOLE, KIND_ORDER, _md
from .dueplan import ENDING_KINDS


def _client_cells(client: tuple, widths: tuple[int, int, bool, int]) -> str:
    """The name and (when shown) owner cells of a line, each followed by its gap."""
    _, w_name, show_owner, w_owner = widths
    owner = fit(client[2] or "-", w_owner) + "  " if show_owner else ""
    return f"{fit(client[1], w_name)}  {owner}"


def _widths(kinds: set[str], clients: list[tuple], shown: set[int], name_w: list[int]) -> tuple[int, int, bool, int]:
    """(kind, name, show owner?, owner) column widths of a listing, as ``due_text`` computes them."""
    owners = {clients[c][2] for c in shown}
    return (max(len(k) for k in kinds), min(max(name_w[c] for c in shown), NAME_WIDTH),
            len({o for o in owners if o}) > 1, max(width(o or "") for o in owners))


def pack(plan: dict, within: int, leads: dict[str, int]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The plan as the book summary keeps it: (a small marshal-able dict, raw byte strings
    stored as they are; integer columns are native 8-byte integers)."""
    fixed, clients = plan["fixed"], plan["clients"]
    yearly = sorted(plan["yearly"], key=lambda r: _md(r[1], r[2]))
    firsts = sorted((i for i, r in enumerate(yearly) if r[3]), key=lambda i: yearly[i][3])
    kinds = {r[1] for r in fixed} | {r[0] for r in yearly} | {r[1] for r in plan["relative"]}
    used = {r[2] for r in fixed} | {r[6] for r in yearly} | {r[2] for r in plan["relative"]}
    name_w = [width(c[1]) for c in clients]
    widths = _widths(kinds, clients, used, name_w) if used else (0, 0, False, 0)
    # the cells of a line, once per kind and once per client: "\0" + kind + client (name, owner)
    kind_cell = {k: HOLE + (fit(k, widths[0]) + "  ").encode() for k in kinds}
    client_cell = [_client_cells(c, widths).encode() for c in clients]
    client_cell_at = array("q", [0])
    for b in client_cell:
        client_cell_at.append(client_cell_at[-1] + len(b))
    lines = []
    title_at = array("q")
    starts = array("q", [0])
    pos = 0
    for r in fixed:
        head = kind_cell[r[1]] + client_cell[r[2]]
        line = head + (r[3] + "\n").encode()
        lines.append(line)
        title_at.append(pos + len(head))
        pos += len(line)
        starts.append(pos)
    blob = b"".join(lines)
    owners = sorted({c[2] for c in clients}, key=lambda o: (o is not None, o or ""))
    owner_index = {o: i for i, o in enumerate(owners)}
    user = "".join(c[1] + (c[2] or "") for c in clients)
    yearly_packed = [marshal.dumps(r) for r in yearly]
    yearly_at = array("q", [0])
    for b in yearly_packed:
        yearly_at.append(yearly_at[-1] + len(b))
    part = {
        "within": within,
        "leads": leads,
        "n_clients": len(clients),
        # anniversaries by their first date: one still to come is dated by it, not by its month and day
        "first_rows": firsts,
        "relative": plan["relative"],
        "widths": widths,
        # a NUL inside user text would be taken for a hole: then no fast lane
        "holes_ok": blob.count(HOLE) == len(fixed),
        "ending": [i for i, r in enumerate(fixed) if r[1] in ENDING_KINDS],
        "owners": owners,
        # owners as wide as the owner column: one of them listed keeps it that wide
        "wide_owners": [i for i, o in enumerate(owners) if o and width(o) == widths[3]],
        "escape": "\x1b" in user or b"\x1b" in blob,
    }
    # The output order as one integer per row, (date, client slug, kind) being all that ever
    # decides where a birthday or anniversary goes among the fixed rows: see Packed.text.
    rank = [0] * len(clients)
    for pos, ci in enumerate(sorted(range(len(clients)), key=lambda c: clients[c][0])):
        rank[ci] = pos
    span = (len(clients) + 1) * 16
    part["span"] = span
    clients_packed = [marshal.dumps(c) for c in clients]
    clients_at = array("q", [0])
    for b in clients_packed:
        clients_at.append(clients_at[-1] + len(b))
    raw = {
        "order": array("q", [r[0] * span + rank[r[2]] * 16 + KIND_ORDER[r[1]] for r in fixed]).tobytes(),
        "rank": array("q", rank).tobytes(),
        "clients_at": clients_at.tobytes(),
        "client_cells": b"".join(client_cell),
        "client_cells_at": client_cell_at.tobytes(),
        "ords": array("q", [r[0] for r in fixed]).tobytes(),
        "cis": array("q", [r[2] for r in fixed]).tobytes(),
        "starts": starts.tobytes(),
        "title_at": title_at.tobytes(),
        "yearly_md": array("q", [_md(r[1], r[2]) for r in yearly]).tobytes(),
        "yearly_at": yearly_at.tobytes(),
        "first_dates": array("q", [yearly[i][3] for i in firsts]).tobytes(),
        "name_w": array("q", name_w).tobytes(),
        "owner_of": array("q", [owner_index[c[2]] for c in clients]).tobytes(),
        "kinds": bytes(_KIND_INDEX[r[1]] for r in fixed),
        "clients": b"".join(clients_packed),
        "yearly": b"".join(yearly_packed),
        # amounts and keys: only for ordinary rows, unpacked when needed
        "more": marshal.dumps([(r[4], r[5]) for r in fixed]),
        "blob": blob,
    }
    return part, raw
