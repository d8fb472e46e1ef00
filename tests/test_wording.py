"""One vocabulary of time for due, the site and the dashboard."""

from __future__ import annotations

import pytest

from crmgen.rules.wording import GROUPS, group_of, plural, when


@pytest.mark.parametrize(("days", "group"), [(-400, "Overdue"), (-1, "Overdue"), (0, "Today"), (1, "This week"),
                                              (7, "This week"), (8, "Later"), (365, "Later")])
def test_each_day_falls_in_one_group(days: int, group: str) -> None:
    assert GROUPS[group_of(days)] == group


def test_when_reads_the_same_everywhere() -> None:
    assert [when(d) for d in (-12, -1, 0, 1, 2)] == ["12 days late", "1 day late", "today", "tomorrow", "in 2 days"]
    assert plural(1, "year") == "1 year" and plural(0, "year") == "0 years"


def test_due_and_the_site_share_the_words() -> None:
    from crmgen.cli import output
    from crmgen.render import pages

    assert output.when is when and pages.when is when


def test_the_due_listing_groups_by_the_same_rule() -> None:
    from crmgen.cli.output import due_text

    days = [-30, -1, 0, 0, 1, 7, 8, 40]
    items = [(f"2026-12-{i + 1:02d}", d, "touch", f"client {i}", None, f"title {d}") for i, d in enumerate(days)]
    header = None
    shown = {}
    for line in due_text(items, 60):
        if line in GROUPS:
            header = line
        elif line.startswith("  "):
            shown[int(line.rsplit(" ", 1)[1])] = header
    assert shown == {d: GROUPS[group_of(d)] for d in days}
