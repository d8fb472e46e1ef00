"""The reminders' plan packed for ``crmgen due`` on a warm cache, and its text listing.

A book of 10,000 clients holds some 60,000 dated reminders, most of them overdue
and so listed every day: ``due`` prints tens of thousands of lines. Unpacking
that many titles as Python strings and formatting each line would cost more than
checking that the book is unchanged, so the plan of :mod:`crmgen.dueplan` is
kept in the book summary in columns: dates, kinds and clients as packed integer
arrays, and the listing's lines as one UTF-8 blob, each line already holding its
kind, client and owner cells (padded for the widths the whole plan needs) and its
title, with a NUL byte where the date and "when" cells go. Rows of the same day
that are listed one after the other are then one slice of the blob with the NUL
replaced: no decoding, no formatting, no encoding per line.

Birthdays and anniversaries (dated by today) are packed one by one and only those
falling in the window are unpacked. Whatever the fast lane cannot do exactly (JSON,
filters, other column widths, colour codes inside user text off a terminal) goes
through the ordinary renderer with ordinary rows. Either way the output is byte
for byte that of :func:`crmgen.fastpath.due_chunks`; tests compare the two.
"""

from __future__ import annotations

import datetime as dt
import itertools
import marshal
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from typing import Any

from .cells import NAME_WIDTH
from .dueplan import ENDING_KINDS, KINDS, dynamic_rows, merge

_KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}
KIND_ORDER = {kind: i for i, kind in enumerate(sorted(KINDS))}  # kinds sort by name in the output
HOLE = b"\x00"  # where a line's date and "when" cells go


def _md(month: int, day: int) -> int:
    return month * 100 + day


class Packed:
    """A packed plan, unpacked just enough to list it."""

    def __init__(self, part: dict[str, Any]) -> None:
        self.part = part
        self.raw = raw = part["_raw"]  # memoryviews of the summary file (see crmgen.summary.load)
        self.ords = _ints(raw["ords"])
        self.kinds = raw["kinds"]
        self.cis = _ints(raw["cis"])
        self.starts = _ints(raw["starts"])
        self.blob = raw["blob"]
        self._more: list | None = None
        self._clients: list | None = None
        self._client: dict[int, tuple] = {}
        self.span = part["span"]
        self.rank = _ints(raw["rank"])

    def client(self, c: int) -> tuple:
        """(slug, name, owner) of client ``c``, unpacked alone."""
        got = self._client.get(c)
        if got is None:
            at = _ints(self.raw["clients_at"])
            got = self._client[c] = marshal.loads(self.raw["clients"][at[c]:at[c + 1]])
        return got

    @property
    def clients(self) -> list[tuple]:
        """(slug, name, owner) of every client of the plan."""
        if self._clients is None:
            self._clients = [self.client(c) for c in range(len(self.rank))]
        return self._clients

    def order(self, r: tuple) -> int:
        """Where a dynamic row sorts among the fixed ones (see ``order`` in crmgen.duesave)."""
        return r[0] * self.span + self.rank[r[2]] * 16 + KIND_ORDER[r[1]]

    def row(self, i: int) -> tuple:
        """The ordinary row (as :func:`crmgen.dueplan.select` gives it) of fixed row ``i``."""
        if self._more is None:
            self._more = marshal.loads(self.raw["more"])
            self._title_at = _ints(self.raw["title_at"])
        amount, key = self._more[i]
        title = bytes(self.blob[self._title_at[i]:self.starts[i + 1] - 1]).decode("utf-8")
        return (self.ords[i], KINDS[self.kinds[i]], self.cis[i], title, amount, key)

    def _dynamic(self, today: dt.date, horizon: dict[str, int], earliest: dict[str, int]) -> list[tuple]:
        """Birthdays, anniversaries and ``relative`` rows that show, unpacking only the candidates:
        those whose month and day fall in the window, and anniversaries still to come the first time."""
        part = self.part
        t = today.toordinal()
        last = max(horizon["birthday"], horizon["anniversary"])
        raw = self.raw
        mds = _ints(raw["yearly_md"])
        if last - t >= 366:
            picked = range(len(mds))
        else:
            days = {_md(d.month, d.day) for d in (dt.date.fromordinal(o) for o in range(t, last + 1))}
            if 228 in days:
                days.add(229)  # 29 February falls on the 28th in other years (a superset: rows are checked)
            picked = set()
            for md in days:
                picked.update(range(bisect_left(mds, md), bisect_right(mds, md)))
            firsts = _ints(raw["first_dates"])
            picked.update(part["first_rows"][bisect_right(firsts, t):])
        packed, at = raw["yearly"], _ints(raw["yearly_at"])
        plan = {"yearly": [marshal.loads(packed[at[i]:at[i + 1]]) for i in sorted(picked)],
                "relative": part["relative"]}
        return dynamic_rows(plan, today, horizon, earliest)

    def select(self, today: dt.date, ahead: int, leads: dict[str, int], owner: str | None,
               kinds: tuple[str, ...] | list[str]) -> tuple[list[tuple[int, int]], list[tuple]]:
        """What ``select`` and the filters of ``crmgen due`` pick on ``today``: (runs of fixed rows
        ``(start, end)`` in order, dynamic rows sorted)."""
        t = today.toordinal()
        horizon = {kind: t + max(leads[kind], ahead) for kind in KINDS}
        earliest = {kind: (t if kind in ENDING_KINDS else -1) for kind in KINDS}
        h = [horizon[k] for k in KINDS]
        e = [earliest[k] for k in KINDS]
        ords, kb = self.ords, self.kinds
        end = bisect_right(ords, max(h))
        # Rows dated before today show unless their kind ends (few rows: listed in "ending");
        # from today on, each row is checked against its kind's horizon.
        past = bisect_right(ords, t - 1, hi=end)
        runs: list[tuple[int, int]] = []
        start = 0
        for i in self.part["ending"]:
            if i >= past:
                break
            if i > start:
                runs.append((start, i))
            start = i + 1
        # From today to the nearest horizon every row shows (each kind's window reaches that far).
        near = bisect_right(ords, min(h), lo=past, hi=end)
        if near > start:
            runs.append((start, near))
        for i in range(near, end):
            if e[kb[i]] <= ords[i] <= h[kb[i]]:
                if runs and runs[-1][1] == i:
                    runs[-1] = (runs[-1][0], i + 1)
                else:
                    runs.append((i, i + 1))
        extra = self._dynamic(today, horizon, earliest)
        if owner is not None or kinds:
            keep = self._filter(owner, kinds)
            runs = [(i, i + 1) for a, b in runs for i in range(a, b) if keep(kb[i], self.cis[i])]
            extra = [r for r in extra if keep(_KIND_INDEX[r[1]], r[2])]
        extra.sort(key=lambda r: (self.order(r), r[3], r[5]))  # as dueplan.sort_key: slug rank, kind name
        return runs, extra

    def _filter(self, owner: str | None, kinds: tuple[str, ...] | list[str]) -> Any:
        allowed = {_KIND_INDEX[k] for k in kinds} if kinds else None
        ok = None
        if owner is not None:
            wanted = owner.strip().casefold()
            ok = [(o := c[2]) is not None and o.strip().casefold() == wanted for c in self.clients]
        return lambda k, c: (allowed is None or k in allowed) and (ok is None or ok[c])

    def rows(self, runs: list[tuple[int, int]], extra: list[tuple]) -> list[tuple]:
        """Ordinary rows, in order."""
        rows = [self.row(i) for a, b in runs for i in range(a, b)]
        return merge(rows, extra, self.clients) if extra else rows

    def _widths_hold(self, runs: list[tuple[int, int]], extra: list[tuple]) -> bool:
        """Whether the listing's columns are as wide as the stored cells are padded (the widest
        of the whole plan): as soon as something listed is that wide, which on a large book is
        among the first few rows."""
        part = self.part
        w_kind, w_name, show_owner, w_owner = part["widths"]
        kb, cis = self.kinds, self.cis
        name_w, owner_of = _ints(self.raw["name_w"]), _ints(self.raw["owner_of"])
        owners = part["owners"]
        wide = set(part["wide_owners"])
        need_kind = need_name = True
        need_owner = show_owner
        seen: set[int] = set()  # owners (non-empty) listed
        for k in {r[1] for r in extra}:
            need_kind = need_kind and len(k) != w_kind
        clients = itertools.chain((c for a, b in runs for c in cis[a:b]), (r[2] for r in extra))
        for a, b in runs:
            if need_kind:
                need_kind = all(len(KINDS[k]) != w_kind for k in set(kb[a:b]))
            if not need_kind:
                break
        if need_kind:
            return False
        for c in clients:
            if need_name and min(name_w[c], NAME_WIDTH) == w_name:
                need_name = False
            o = owner_of[c]
            if owners[o]:
                seen.add(o)
                if need_owner and o in wide:
                    need_owner = False
            if not need_name and not need_owner and (len(seen) > 1 or not show_owner):
                break
        # show_owner must come out the same: more than one owner listed exactly when stored so
        return not need_name and not need_owner and (len(seen) > 1) == show_owner

    def text(self, runs: list[tuple[int, int]], extra: list[tuple], today: dt.date, window: int,
             colour: bool) -> Iterator[bytes] | None:
        """The text listing, UTF-8 encoded with its final newline, in pieces made as they are
        taken; None when it is not one this fast lane can make exactly (then the ordinary
        renderer does)."""
        from .cells import GROUP_COLOURS, GROUPS, style, when

        part = self.part
        if (not runs and not extra) or not part["holes_ok"] or (part["escape"] and not colour):
            return None  # nothing due; a NUL in user text; click.echo would strip colour codes
        ords, starts, blob = self.ords, self.starts, self.blob
        if not self._widths_hold(runs, extra):
            return None
        widths = part["widths"]
        t = today.toordinal()
        # Each dynamic row goes before the first fixed row that sorts after it; they never tie
        # on (date, client, kind): a client has one touch, birthdays and anniversaries are never fixed.
        pieces: list[Any] = []
        if extra:
            order = _ints(self.raw["order"])
            queue = [(bisect_right(order, self.order(r)), r) for r in extra]
            q = 0
            for a, b in runs:
                while q < len(queue) and queue[q][0] <= a:
                    pieces.append(queue[q][1])
                    q += 1
                while q < len(queue) and queue[q][0] < b:
                    p = queue[q][0]
                    if p > a:
                        pieces.append((a, p))
                    a = p
                    pieces.append(queue[q][1])
                    q += 1
                pieces.append((a, b))
            pieces.extend(r for _, r in queue[q:])
        else:
            pieces = runs

        def first_ord(x: tuple) -> int:
            return x[0] if len(x) > 2 else ords[x[0]]

        def last_ord(x: tuple) -> int:
            return x[0] if len(x) > 2 else ords[x[1] - 1]

        # "when" cells are ASCII (width is length), widest at either end of the listing
        w_when = max(len(when(first_ord(pieces[0]) - t)), len(when(last_ord(pieces[-1]) - t)))
        paint = style if colour else (lambda text, **_: text)
        pre: dict[int, bytes] = {}

        def prefix(o: int) -> bytes:
            # when() is ASCII and never wider than w_when: fit() is ljust() here
            cell = paint(when(o - t).ljust(w_when), fg="red" if o < t else None)
            b = pre[o] = f"  {dt.date.fromordinal(o).isoformat()}  {cell}  ".encode()
            return b

        def group(o: int) -> int:
            return 0 if o < t else 1 if o == t else 2 if o <= t + 7 else 3

        cell_blob, cell_at = self.raw["client_cells"], _ints(self.raw["client_cells_at"])

        def heading(g: int, previous: int) -> bytes:
            """A group's heading line, after a blank line unless it is the first group."""
            text = paint(GROUPS[g], fg=GROUP_COLOURS[GROUPS[g]], bold=True) + "\n"
            return (b"\n" if previous >= 0 else b"") + text.encode()

        def lines() -> Iterator[bytes]:
            # made while being written: the pieces of a large listing need not all be held at once
            counts = [0, 0, 0, 0]
            current = -1
            for x in pieces:
                if len(x) > 2:  # a dynamic row
                    o = x[0]
                    g = group(o)
                    if g != current:
                        yield heading(g, current)
                        current = g
                    counts[g] += 1
                    yield ((pre.get(o) or prefix(o)) + (x[1].ljust(widths[0]) + "  ").encode()  # kinds are ASCII
                           + cell_blob[cell_at[x[2]]:cell_at[x[2] + 1]].tobytes() + f"{x[3]}\n".encode())
                    continue
                a, b = x
                while a < b:
                    o = ords[a]
                    e = bisect_right(ords, o, a, b)
                    g = group(o)
                    if g != current:
                        yield heading(g, current)
                        current = g
                    counts[g] += e - a
                    yield blob[starts[a]:starts[e]].tobytes().replace(HOLE, pre.get(o) or prefix(o))
                    a = e
            n = sum(counts)
            listed = ", ".join(f"{counts[g]} {GROUPS[g].lower()}" for g in range(4) if counts[g])
            yield f"\n{n} {'reminder' if n == 1 else 'reminders'}: {listed}\n".encode()

        return lines()


def _ints(data: memoryview) -> memoryview:
    """A raw section as native 8-byte integers (as ``array("q")`` wrote them), without a copy."""
    return data.cast("q")
