"""Inline SVG charts: well-formed, escaped, accessible, deterministic, and to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from jinja2 import Environment
from markupsafe import Markup

from crmgen.render import charts
from crmgen.render.charts import Bar, Segment

NS = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{NS}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{NS}text")]


def rects(root: ET.Element, fill: str | None = None) -> list[ET.Element]:
    found = [r for r in root.iter(f"{NS}rect")]
    return [r for r in found if fill is None or r.get("fill") == fill]


def all_charts() -> list[Markup]:
    return [
        charts.bar_chart([Bar("A", 3), Bar("B", 0), Bar(XSS, 1)], "Grades"),
        charts.stacked_bars(
            [("Ours", [Segment("kept", 2, charts.KEPT), Segment("broken", 1, charts.BROKEN)])], "Promises"
        ),
        charts.pareto_chart([Bar(XSS, 50), Bar("b", 30), Bar("c", 20)], "Revenue", top_count=2),
        charts.bar_chart([], "Nothing"),
        charts.pareto_chart([], "Nothing", top_count=0),
        charts.stacked_bars([("Ours", [Segment("kept", 0, charts.KEPT)])], "Nothing"),
    ]


@pytest.mark.parametrize("index", range(6))
def test_every_chart_is_accessible_scalable_svg(index: int) -> None:
    svg = all_charts()[index]
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert len(root.get("viewBox", "").split()) == 4
    first = root[0]
    assert first.tag == f"{NS}title" and first.text
    # One line, no blank line: Markdown must pass the chart through as one HTML block.
    assert "\n" not in svg
    # Deterministic: no ids to collide or change between builds.
    assert " id=" not in svg


def test_output_is_deterministic() -> None:
    assert [str(c) for c in all_charts()] == [str(c) for c in all_charts()]


@pytest.mark.parametrize("label", [XSS, IMG, "R&D \"quoted\" 'single' ]]> <!--"])
def test_labels_are_escaped_everywhere(label: str) -> None:
    outputs = [
        charts.bar_chart([Bar(label, 1, text=label)], label),
        charts.pareto_chart([Bar(label, 2, text=label), Bar("x", 1)], label, top_count=1),
        charts.stacked_bars([(label, [Segment(label, 1, charts.KEPT)])], label),
    ]
    for svg in outputs:
        assert "<script" not in svg and "<img" not in svg and "<!--" not in svg
        root = parse(svg)  # escaped text still parses
        # The text comes back intact from the tooltips/title (labels may be truncated).
        all_text = "".join(root.itertext())
        assert label in all_text


def test_xml_illegal_control_characters_are_dropped() -> None:
    svg = charts.bar_chart([Bar("bad\x00\x1b name", 1)], "t\x07")
    root = parse(svg)
    assert "bad name" in "".join(root.itertext())


def test_markup_is_not_escaped_twice_by_an_autoescaping_template() -> None:
    svg = charts.bar_chart([Bar(XSS, 1)], "Grades")
    out = Environment(autoescape=True).from_string("{{ chart }}").render(chart=svg)
    assert out == str(svg)
    assert "&lt;script&gt;" in out and "&amp;lt;" not in out


def test_text_units_count_wide_characters_double() -> None:
    assert charts.text_units("abc") == 3
    assert charts.text_units("华东") == 4
    assert charts.text_units("Ａ") == 2  # full-width


def test_truncate_keeps_short_text_and_cuts_long_chinese_with_ellipsis() -> None:
    assert charts.truncate("Acme", 10) == "Acme"
    assert charts.truncate("  Acme \n Ltd ", 20) == "Acme Ltd"
    long = "华东润滑油有限公司华东分公司特约经销商"
    cut = charts.truncate(long, 14)
    assert cut.endswith("…")
    assert charts.text_units(cut) <= 14
    assert cut == "华东润滑油有…"
    assert charts.truncate("abcdefghij", 5) == "abcd…"


def test_long_chinese_label_is_truncated_in_the_chart_but_kept_in_the_tooltip() -> None:
    long = "华东润滑油有限公司华东分公司特约经销商"
    root = parse(charts.bar_chart([Bar(long, 5)], "Revenue", label_units=12))
    shown = texts(root)
    assert any(t.endswith("…") and t.startswith("华东") for t in shown)
    assert long not in shown
    titles = ["".join(t.itertext()) for t in root.iter(f"{NS}title")]
    assert any(long in t for t in titles)


def test_bar_lengths_are_proportional_to_values() -> None:
    root = parse(charts.bar_chart([Bar("a", 10), Bar("b", 5), Bar("c", 0)], "t"))
    widths = [float(r.get("width")) for r in rects(root)]
    assert widths[0] > 0
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.1)
    assert widths[2] == 0
    assert texts(root)[-1] == "0"  # a zero still shows its value


def test_bar_colours_and_value_text() -> None:
    root = parse(charts.bar_chart([Bar("late", 3, text="¥3 (1)", colour="#b71c1c")], "t"))
    assert rects(root, "#b71c1c")
    assert "¥3 (1)" in texts(root)


def test_pareto_marks_the_top_set_and_the_80_percent_line() -> None:
    bars = [Bar(f"c{i}", v) for i, v in enumerate([50, 30, 10, 5, 5])]
    root = parse(charts.pareto_chart(bars, "Revenue", top_count=2))
    assert len(rects(root, charts.BAR)) == 2
    assert len(rects(root, charts.BAR_LIGHT)) == 3
    dashed = [ln for ln in root.iter(f"{NS}line") if ln.get("stroke") == charts.LINE]
    assert len(dashed) == 1
    line = dashed[0]
    # The 80% line sits 80% of the way up the plot: between the 0% baseline and the 100% grid line.
    base = max(float(ln.get("y1")) for ln in root.iter(f"{NS}line"))
    grid100 = min(float(ln.get("y1")) for ln in root.iter(f"{NS}line"))
    assert float(line.get("y1")) == pytest.approx(base - 0.8 * (base - grid100), abs=0.1)
    assert "80%" in texts(root)
    # The cumulative line ends at 100%.
    points = next(root.iter(f"{NS}polyline")).get("points").split()
    assert len(points) == 5
    assert float(points[-1].split(",")[1]) == pytest.approx(grid100, abs=0.1)
    # Bars descend in height like the values.
    heights = [float(r.get("height")) for r in rects(root) if r.get("fill") in (charts.BAR, charts.BAR_LIGHT)]
    assert heights == sorted(heights, reverse=True)


def test_pareto_folds_a_long_tail_into_one_others_bar() -> None:
    bars = [Bar(f"client {i}", 100 - i) for i in range(80)]
    root = parse(charts.pareto_chart(bars, "Revenue", top_count=40, max_bars=20))
    bar_rects = [r for r in rects(root) if r.get("fill") in (charts.BAR, charts.BAR_LIGHT)]
    assert len(bar_rects) == 20
    titles = ["".join(t.itertext()) for t in root.iter(f"{NS}title")]
    assert any(t.startswith("Others (61)") for t in titles)
    assert "+61" in texts(root)


def test_pareto_labels_only_when_few_bars() -> None:
    few = parse(charts.pareto_chart([Bar("alpha", 2), Bar("beta", 1)], "t", top_count=1))
    assert "alpha" in texts(few)
    many = parse(charts.pareto_chart([Bar(f"n{i}", 30 - i) for i in range(25)], "t", top_count=5))
    assert "n0" not in texts(many)


def test_stacked_bars_share_one_scale_and_have_a_legend() -> None:
    root = parse(
        charts.stacked_bars(
            [
                ("Ours", [Segment("kept", 6, charts.KEPT), Segment("broken", 2, charts.BROKEN)]),
                ("Theirs", [Segment("kept", 2, charts.KEPT), Segment("broken", 0, charts.BROKEN)]),
            ],
            "Promises",
        )
    )
    kept = [float(r.get("width")) for r in rects(root, charts.KEPT) if r.get("width") != "12"]
    assert kept[0] == pytest.approx(3 * kept[1], abs=0.2)
    assert "kept" in texts(root) and "broken" in texts(root)
    assert "8" in texts(root) and "2" in texts(root)  # row totals


def test_empty_charts_say_so() -> None:
    assert "No revenue" in "".join(parse(charts.pareto_chart([], "t", top_count=0)).itertext())
    assert "Nothing here" in "".join(parse(charts.bar_chart([], "t", empty="Nothing here")).itertext())
