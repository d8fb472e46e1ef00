"""A client with a long history (#15, cost inside one file): the newest 300 visits are sections,
the older ones one block of text, so a page of 60,000 visits builds in seconds, not minutes.
(The times are in benchmarks/LONG-CLIENT.md; here what the page shows.)"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

from click.testing import CliRunner

from crmgen.cli import main
from tests.conftest import write_client


def _history(n: int) -> str:
    start = dt.date(2020, 1, 1)
    out = ["---", "name: Long Co", "grade: A", "---"]
    for k in range(n):
        day = (start + dt.timedelta(days=k)).isoformat()
        out += [f"## {day} call: visit {k}", f"said *thing* {k}", "", f"second para {k} <script>x</script>",
                f"Next: {day} follow {k}", ""]
    return "\n".join(out) + "\n"


def _build(project: Path, n: int) -> tuple[str, dict]:
    write_client(project, "long", _history(n))
    result = CliRunner().invoke(main, ["-C", str(project), "build", "--today", "2030-01-01", "--full"])
    assert result.exit_code == 0, result.output
    page = (project / "site" / "clients" / "long" / "index.html").read_text(encoding="utf-8")
    index = json.loads((project / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    return page, index


def test_up_to_300_visits_each_is_a_section(project: Path) -> None:
    page, index = _build(project, 300)
    assert len(re.findall(r"<h3 id=", page)) == 300 and "Earlier interactions" not in page
    assert "<em>thing</em> 299" in page  # bodies are Markdown


def test_beyond_300_the_older_visits_are_text_under_one_heading(project: Path) -> None:
    page, index = _build(project, 420)
    headings = re.findall(r"<h3 id=[^>]*>(.*?)<", page)
    assert len(headings) == 301 and headings[-1].startswith("Earlier interactions (120)")
    assert "visit 419" in headings[0] and "visit 120" in headings[299]  # newest first
    earlier = page[page.index("crmgen-earlier"):page.index("</div>", page.index("crmgen-earlier"))]
    shown = html.unescape(earlier)
    for k in (0, 60, 119):  # every older visit is there, with its body as written and its next step
        assert f"visit {k}</strong>" in shown and f"said *thing* {k}<br>" in shown
        assert f"second para {k} <script>x</script>" in shown and f"follow {k}" in shown
    assert shown.index("visit 119<") < shown.index("visit 0<")  # newest first, as above
    assert "<script>x</script>" not in page  # as text, never as a tag
    texts = " ".join(d["title"] + " " + d["text"] for d in index["docs"] if d["location"].startswith("clients/long/"))
    assert "second para 0" in texts and "visit 419" in texts  # search still finds the old visits
