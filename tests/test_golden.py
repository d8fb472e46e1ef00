"""The small fixture project built and compared file by file with a golden copy.

Compared: the generated Markdown of the client, reminder and list pages (the
docs tree crmgen hands to MkDocs) and the main content (<article>) of a few built
HTML pages. Material's assets, the dashboard (its own tests) and the format page
are left out so the golden copy stays small and changes only when our pages do.

After an intended change, refresh the golden copy and review the diff:

    CRMGEN_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest

from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.render.build import build_site

FIXTURE = Path(__file__).parent / "projects" / "small"
GOLDEN = Path(__file__).parent / "golden" / "small"
DOCS = ("clients/", "reminders/", "lists/")
HTML_PAGES = ("clients/acme-trading/index.html", "clients/shanghai-runhuayou/index.html",
              "reminders/index.html", "lists/grade.html")
UPDATE = bool(os.environ.get("CRMGEN_UPDATE_GOLDEN"))


def _article(text: str) -> str:
    match = re.search(r"<article[^>]*>(.*?)</article>", text, re.DOTALL)
    assert match
    return "\n".join(line.rstrip() for line in match.group(1).strip().splitlines() if line.strip()) + "\n"


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> dict[str, str]:
    """Every compared file of a fresh build: golden-relative path -> text."""
    root = tmp_path_factory.mktemp("golden") / "crm"
    shutil.copytree(FIXTURE, root)
    project = load_project(root)
    build_site(project, load_book(project).clients, today=dt.date(2026, 6, 15))
    out: dict[str, str] = {}
    docs = root / ".crmgen" / "docs"
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs).as_posix()
        if rel.startswith(DOCS):
            out[f"docs/{rel}"] = path.read_text(encoding="utf-8")
    for page in HTML_PAGES:
        out[f"html/{page}"] = _article((root / "site" / page).read_text(encoding="utf-8"))
    return out


def test_golden_site(produced):
    if UPDATE:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, text in produced.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_text(text, encoding="utf-8", newline="\n")
    expected = {
        p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(GOLDEN.rglob("*")) if p.is_file()
    }
    assert sorted(produced) == sorted(expected), "pages added or removed: refresh the golden copy (see docstring)"
    for rel in expected:
        assert produced[rel] == expected[rel], f"{rel} differs from tests/golden/small/{rel}"
