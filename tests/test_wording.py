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
