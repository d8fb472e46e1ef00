"""Shared fixtures: small projects made in tmp_path."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _own_cache_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """crmgen's caches (``$XDG_CACHE_HOME/crmgen``) in a directory of the test session's, not the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))



def write_client(root: Path, slug: str, text: str, *, raw: bytes | None = None) -> Path:
    path = root / "clients" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A copy of the repository's sample project: its mkdocs.yml and clients/."""
    import shutil

    root = tmp_path / "samples"
    shutil.copytree(REPO / "clients", root / "clients")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project: mkdocs.yml and clients/."""
    (tmp_path / "mkdocs.yml").write_text("site_name: Test CRM\n", encoding="utf-8")
    (tmp_path / "clients").mkdir()
    return tmp_path


def render_with_cache(project, clients, docs: Path, old: dict[str, str], today, *, history=None,
                      dashboard=None, key: str = "inputs"):
    """``render_pages`` with a page cache over ``docs``, as ``build_site`` calls it, the pages
    it renders written there as the build writes them; (the rendered tree, the new page keys)."""
    from crmgen.render import pages
    from crmgen.render.dashboard import dashboard_context
    from crmgen.render.ics import to_ics
    from crmgen.render.tree import KEEP
    from crmgen.rules.reminders import due

    cache = pages.PageCache(key=key, old=old, docs=docs)
    out = pages.render_pages(pages.RenderInput(
        clients=clients, reminders=due(clients, today, project.settings), history=history, today=today,
        settings=project.settings, title="T", templates_dir=None,
        ics=lambda rs, name: to_ics(rs, calendar_name=name), dashboard=dashboard or dashboard_context,
        page_cache=cache,
    ))
    for path, data in out.items():
        if data is not KEEP:
            (docs / path).parent.mkdir(parents=True, exist_ok=True)
            (docs / path).write_bytes(data)
    return out, cache.new
