"""Cells of the terminal listings: display widths, padding, "when", and Click's colours.

Small and without dependencies: the fast path of ``crmgen due`` loads it at start-up.
"""

from __future__ import annotations

import functools

GROUP_COLOURS = {"Overdue": "red", "Today": "yellow", "This week": "green", "Later": "blue"}
NAME_WIDTH = 24  # display columns; longer client names are cut with an ellipsis
_FG = {"red": 31, "green": 32, "yellow": 33, "blue": 34}


def style(text: str, fg: str | None = None, bold: bool = False) -> str:
    """``click.style(text, fg=fg, bold=bold)`` for the colours used here, without importing Click."""
    return (f"\x1b[{_FG[fg]}m" if fg else "") + ("\x1b[1m" if bold else "") + text + "\x1b[0m"


@functools.lru_cache(maxsize=4096)
def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters count 2."""
    if text.isascii():
        return len(text)
    import unicodedata  # loaded only for text that needs it: the fast path seldom does
    cols = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        cols += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return cols


def fit(text: str, columns: int) -> str:
    """``text`` cut (with an ellipsis) and padded to exactly ``columns`` display columns."""
    used = width(text)
    if used > columns:
        out, used = [], 0
        for ch in text:
            w = width(ch)
            if used + w > columns - 1:
                break
            out.append(ch)
            used += w
        text, used = "".join(out) + "…", used + 1
    return text + " " * (columns - used)
