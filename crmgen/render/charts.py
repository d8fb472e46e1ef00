"""Charts for the site, drawn at build time as inline SVG (no script, no CDN, works offline).

Every chart is a :class:`markupsafe.Markup` string, safe to drop into an autoescaping
Jinja2 template: each piece of text inside (client names included) is XML-escaped
here, once, before it is marked safe. Output is deterministic: no random ids, no
clock, fixed number formatting, so a golden-site test can compare pages byte for byte.

Each SVG has ``role="img"``, a ``<title>`` (the data in words, for screen readers), a
``viewBox`` and ``width="100%"`` so it scales with the column it sits in. Text is drawn
in ``currentColor`` so it follows Material's light and dark schemes; bar colours are
mid-tone and readable on both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from crmgen import i18n

# Bar charts are drawn 480 units wide and shown at most 480 px wide (crmgen.css), so a
# unit is about a pixel and the text stays readable; the Pareto chart is wider.
WIDTH = 480
PARETO_WIDTH = 600
FONT_SIZE = 13
# Average advance of one narrow glyph at FONT_SIZE; wide (CJK) glyphs count double.
UNIT_PX = 7.0
ELLIPSIS = "…"

# Colours chosen to read on white and on Material's slate scheme.
BAR = "#3f51b5"  # Material indigo, the theme's default primary
BAR_LIGHT = "#9fa8da"
LINE = "#e65100"
KEPT = "#2e7d32"
BROKEN = "#c62828"
OPEN = "#9e9e9e"
AGEING = ("#2e7d32", "#9e9d24", "#f9a825", "#ef6c00", "#d84315", "#c62828", "#b71c1c", "#7f0000")


def ageing_colours(n: int) -> list[str]:
    """``n`` colours from green (not yet due) to dark red (the oldest band), spread over :data:`AGEING`."""
    if n <= 1:
        return list(AGEING[:n])
    return [AGEING[round(i * (len(AGEING) - 1) / (n - 1))] for i in range(n)]

# Characters XML 1.0 forbids even when escaped: an SVG holding one is not well-formed.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length, and the text drawn beside it (default: the value)."""

    label: str
    value: float
    text: str | None = None
    colour: str | None = None


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar."""

    name: str
    value: float
    colour: str


def text_units(text: str) -> int:
    """Width of ``text`` in narrow-glyph units: wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def truncate(text: str, max_units: int) -> str:
    """``text`` cut to at most ``max_units`` (see :func:`text_units`), ending in an ellipsis."""
    text = " ".join(text.split())
    if text_units(text) <= max_units:
        return text
    out: list[str] = []
    used = 1  # room for the ellipsis
    for ch in text:
        w = text_units(ch)
        if used + w > max_units:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + ELLIPSIS


def _x(text: object) -> str:
    """Text escaped for XML content and attribute values."""
    return str(escape(_XML_ILLEGAL.sub("", str(text))))


def _n(value: float) -> str:
    """A coordinate with fixed formatting: one decimal, no trailing ``.0``, no ``-0``."""
    s = f"{value:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def _labelled(label: str, value: str) -> str:
    """``label: value`` (a chart's title and its data, a bar's name and number) in the active language."""
    return i18n.pgettext("chart", "%(label)s: %(value)s") % {"label": label, "value": value}


def _listed(parts: Sequence[str], *, groups: bool = False) -> str:
    """``parts`` joined as a sentence lists them: ``, `` (``; `` between ``groups``) in English,
    ``，`` (``；``) in Chinese."""
    if groups:
        return i18n.pgettext("list separator", "; ").join(parts)
    return i18n.pgettext("list separator", ", ").join(parts)


def _svg(width: float, height: float, title: str, body: list[str], css_class: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="crmgen-svg {_x(css_class)}" role="img" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="100%" '
        f'font-size="{FONT_SIZE}" fill="currentColor">'
        f"<title>{_x(title)}</title>"
    )
    # One line, no blank lines: Markdown must see the chart as one raw HTML block.
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{extra}>{_x(text)}</text>'


def _empty(title: str, message: str, css_class: str) -> Markup:
    return _svg(WIDTH, 40, title, [_text(WIDTH / 2, 24, message, "middle", ' opacity="0.7"')], css_class)


def bar_chart(
    bars: Sequence[Bar],
    title: str,
    *,
    label_units: int = 24,
    text_units_max: int = 16,
    css_class: str = "crmgen-bars",
    empty: str | None = None,
    width: int = WIDTH,
) -> Markup:
    """A horizontal bar chart: one row per bar, label on the left, value text on the right.

    Labels longer than ``label_units`` (a CJK character counts 2) are cut with an
    ellipsis; the full label stays in the bar's tooltip.
    """
    if not bars:
        return _empty(title, i18n._("Nothing to show") if empty is None else empty, css_class)
    labels = [truncate(b.label, label_units) for b in bars]
    texts = [b.text if b.text is not None else _n(b.value) for b in bars]
    label_w = min(max(text_units(s) for s in labels), label_units) * UNIT_PX + 12
    text_w = min(max(text_units(t) for t in texts), text_units_max) * UNIT_PX + 12
    plot_w = max(width - label_w - text_w, 60)
    top = max((b.value for b in bars), default=0) or 1
    row, bar_h = 26, 18
    height = len(bars) * row + 8
    summary = _listed([f"{b.label} {t}" for b, t in zip(bars, texts, strict=True)])
    body: list[str] = []
    for i, (bar, label, text) in enumerate(zip(bars, labels, texts, strict=True)):
        y = 4 + i * row
        mid = y + row / 2 + 4
        length = max(bar.value, 0) / top * plot_w
        body.append(f"<g><title>{_x(_labelled(bar.label, text))}</title>")
        body.append(_text(label_w - 8, mid, label, "end"))
        body.append(
            f'<rect x="{_n(label_w)}" y="{_n(y + (row - bar_h) / 2)}" width="{_n(length)}" '
            f'height="{bar_h}" rx="2" fill="{_x(bar.colour or BAR)}"/>'
        )
        body.append(_text(label_w + length + 6, mid, text))
        body.append("</g>")
    body.append(
        f'<line x1="{_n(label_w)}" y1="2" x2="{_n(label_w)}" y2="{_n(height - 2)}" '
        'stroke="currentColor" stroke-opacity="0.4"/>'
    )
    return _svg(label_w + plot_w + text_w, height, _labelled(title, summary), body, css_class)


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[Segment]]],
    title: str,
    *,
    css_class: str = "crmgen-stacked",
    empty: str | None = None,
) -> Markup:
    """Horizontal stacked bars on one scale (e.g. promises kept/broken/open, ours and theirs).

    Each segment shows its count inside when there is room; a legend follows the bars.
    """
    totals = [sum(max(s.value, 0) for s in segs) for _, segs in rows]
    if not rows or not any(totals):
        return _empty(title, i18n._("Nothing to show") if empty is None else empty, css_class)
    label_units = 18
    labels = [truncate(label, label_units) for label, _ in rows]
    label_w = max(text_units(s) for s in labels) * UNIT_PX + 12
    total_w = 5 * UNIT_PX + 12
    plot_w = WIDTH - label_w - total_w
    top = max(totals)
    row, bar_h = 34, 24
    legend_y = len(rows) * row + 20
    height = legend_y + 12
    parts = []
    for label, segs in rows:
        parts.append(_labelled(label, _listed([f"{_n(s.value)} {s.name}" for s in segs])))
    body: list[str] = []
    for i, ((label, segs), short, total) in enumerate(zip(rows, labels, totals, strict=True)):
        y = 4 + i * row
        mid = y + row / 2 + 4
        body.append(_text(label_w - 8, mid, short, "end"))
        x = label_w
        for seg in segs:
            if seg.value <= 0:
                continue
            w = seg.value / top * plot_w
            body.append(f"<g><title>{_x(_labelled(label, f'{_n(seg.value)} {seg.name}'))}</title>")
            body.append(
                f'<rect x="{_n(x)}" y="{_n(y + (row - bar_h) / 2)}" width="{_n(w)}" '
                f'height="{bar_h}" fill="{_x(seg.colour)}"/>'
            )
            if w >= text_units(_n(seg.value)) * UNIT_PX + 6:
                body.append(_text(x + w / 2, mid, _n(seg.value), "middle", ' fill="#fff"'))
            body.append("</g>")
            x += w
        body.append(_text(x + 6, mid, _n(total)))
    # Legend: the segment names of the first row, in order.
    x = label_w
    for seg in rows[0][1]:
        body.append(
            f'<rect x="{_n(x)}" y="{_n(legend_y - 10)}" width="12" height="12" fill="{_x(seg.colour)}"/>'
        )
        body.append(_text(x + 16, legend_y, seg.name))
        x += 16 + text_units(seg.name) * UNIT_PX + 18
    return _svg(WIDTH, height, _labelled(title, _listed(parts, groups=True)), body, css_class)


def pareto_chart(
    bars: Sequence[Bar],
    title: str,
    *,
    top_count: int,
    threshold: float = 0.8,
    max_bars: int = 50,
    others_label: str | None = None,
    css_class: str = "crmgen-pareto",
    empty: str | None = None,
    axis_text: tuple[str, str] = ("0", ""),
) -> Markup:
    """A Pareto chart: bars in descending order, the cumulative share as a line, the 80% mark.

    ``bars`` must already be sorted, largest first. The first ``top_count`` bars (the
    smallest set that reaches ``threshold`` of the total) are drawn dark, the rest light,
    with a dashed line after the last of them. Beyond ``max_bars`` the tail is drawn as
    one "Others" bar so a book of hundreds of clients stays legible. ``axis_text`` gives
    the labels for 0 and for the largest bar on the left axis (e.g. money).
    """
    total = sum(max(b.value, 0) for b in bars)
    if not bars or total <= 0:
        return _empty(title, i18n._("No revenue in the period") if empty is None else empty, css_class)
    shown = list(bars)
    if len(shown) > max_bars:
        keep = max_bars - 1
        tail = shown[keep:]
        shown = shown[:keep] + [
            Bar((i18n._("Others (%(num)d)") % {"num": len(tail)}) if others_label is None
                else others_label.format(n=len(tail)), sum(b.value for b in tail), colour=BAR_LIGHT)
        ]
    n = len(shown)
    label_rows = n <= 20
    left, right, top_pad = 64, 44, 14
    bottom = 96 if label_rows else 24
    plot_h = 200
    height = top_pad + plot_h + bottom
    plot_w = PARETO_WIDTH - left - right
    slot = plot_w / n
    bar_w = slot * 0.78
    biggest = max(b.value for b in shown) or 1

    def y_of_value(v: float) -> float:
        return top_pad + plot_h - v / biggest * plot_h

    def y_of_share(p: float) -> float:
        return top_pad + plot_h - p * plot_h

    body: list[str] = []
    # Axes and gridlines (left: money, right: cumulative share).
    base = top_pad + plot_h
    body.append(
        f'<line x1="{left}" y1="{_n(base)}" x2="{_n(left + plot_w)}" y2="{_n(base)}" '
        'stroke="currentColor" stroke-opacity="0.5"/>'
    )
    body.append(_text(left - 6, base + 4, axis_text[0], "end"))
    body.append(_text(left - 6, top_pad + 4, axis_text[1] or _n(biggest), "end"))
    for p in (0.5, 1.0):
        y = y_of_share(p)
        body.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{_n(left + plot_w)}" y2="{_n(y)}" '
            'stroke="currentColor" stroke-opacity="0.12"/>'
        )
        body.append(_text(left + plot_w + 6, y + 4, f"{p * 100:.0f}%"))
    cum = 0.0
    points: list[str] = []
    for i, bar in enumerate(shown):
        x = left + i * slot + (slot - bar_w) / 2
        y = y_of_value(max(bar.value, 0))
        colour = bar.colour or (BAR if i < top_count else BAR_LIGHT)
        cum += max(bar.value, 0)
        share = cum / total
        pct = f"{bar.value / total * 100:.1f}%"
        body.append(f"<g><title>{_x(_labelled(bar.label, f'{bar.text or _n(bar.value)} ({pct})'))}</title>")
        body.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" height="{_n(base - y)}" fill="{_x(colour)}"/>'
        )
        body.append("</g>")
        cx = left + i * slot + slot / 2
        points.append(f"{_n(cx)},{_n(y_of_share(share))}")
        if i == n - 1 and len(bars) > max_bars:
            body.append(_text(cx, y - 4, f"+{len(bars) - n + 1}", "middle"))
        if label_rows:
            label = truncate(bar.label, 14)
            body.append(
                _text(cx, base + 12, label, "end", f' transform="rotate(-40 {_n(cx)} {_n(base + 12)})"')
            )
    # The 80% line, and the cut after the top set.
    y80 = y_of_share(threshold)
    body.append(
        f'<line x1="{left}" y1="{_n(y80)}" x2="{_n(left + plot_w)}" y2="{_n(y80)}" '
        f'stroke="{LINE}" stroke-dasharray="5 4"/>'
    )
    body.append(_text(left + plot_w + 6, y80 + 4, f"{threshold * 100:.0f}%", extra=f' fill="{LINE}"'))
    if 0 < top_count < n:
        cut = left + top_count * slot
        body.append(
            f'<line x1="{_n(cut)}" y1="{top_pad}" x2="{_n(cut)}" y2="{_n(base)}" '
            'stroke="currentColor" stroke-opacity="0.6" stroke-dasharray="3 3"/>'
        )
    body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    if n <= 40:
        for pt in points:
            px, py = pt.split(",")
            body.append(f'<circle cx="{px}" cy="{py}" r="2.5" fill="{LINE}"/>')
    summary = _listed([f"{b.label} {b.text or _n(b.value)}" for b in shown])
    return _svg(PARETO_WIDTH, height, _labelled(title, summary), body, css_class)
