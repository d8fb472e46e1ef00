"""The receivables page (#16): what is owed by owner and client in the team's ageing bands, credit,
late orders; built by the real build from the sample clients."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.cli import main

TODAY = "2026-12-01"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("book")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "clients", root / "clients")
    out = root / "site"
    done = CliRunner().invoke(main, ["-C", str(root), "build", "--today", TODAY, "-d", str(out)])
    assert done.exit_code == 0, done.output
    return out


def _text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    article = re.search(r"<article.*?</article>", page, re.S)
    assert article
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", article.group())))


def test_the_page_ages_what_is_owed_by_owner_and_client(site: Path) -> None:
    text = _text(site / "receivables.html")
    assert "¥1,009,000 owed on 9 orders, ¥240,000 of it late" in text
    # 宁波公交's renegotiated order: due 2026-10-31, 31 days late on 1 December
    assert "2026-08-18 (NB-2026-08) · 柴机油 + 自动变速箱油 ¥240,000 2026-10-31 31" in text
    for label in ("Not yet due", "1–30 days late", "31–60 days late", "Over 365 days late"):
        assert label in text
    assert "Kingsway Supermarkets Sarah Lin ¥42,000 ¥40,000 105% -¥2,000" in text  # over its limit


def test_the_dashboard_lists_clients_near_their_limit_and_links_the_page(site: Path) -> None:
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "Over or near their credit limit (90% or more used)" in page
    assert 'href="receivables.html"' in page
    client_page = (site / "clients" / "huadong-runhuayou" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../receivables.html"' in client_page  # in the nav of every page


def test_a_client_page_shows_terms_payments_and_credit(site: Path) -> None:
    text = _text(site / "clients" / "huadong-runhuayou" / "index.html")
    assert "Terms 月结45天" in text
    assert "owes ¥330,000: ¥470,000 available (41% used)" in text
    assert "2027-01-14 (by the terms: 月结45天)" in text  # delivered 19 Nov: end of November + 45 days
    assert "2026-11-25 2026-10-20 · 双十一促销组合装 20 吨 ¥100,000 电汇，促销装首款" in text
    ningbo = _text(site / "clients" / "ningbo-gongjiao" / "index.html")
    assert "kept 5 days late" in ningbo and "(order NB-2026-08)" in ningbo and "(agreed 2026-11-20)" in ningbo
