"""Caches never run code from a file someone else could have written: crmgen keeps every
pickle and compiled template in ``$XDG_CACHE_HOME/crmgen/<project>-<hash>``, never in the
work tree, so nothing a teammate commits (even under ``.crmgen/``) is loaded as a cache."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

from crmgen.load.project import cache_dir_for, load_project


class _Planted:
    def __reduce__(self):
        return (Path.touch, (Path(os.environ["PLANTED_MARK"]),))


def _plant(root: Path, mark: Path) -> None:
    """Every cache file name crmgen has used under .crmgen/, each a pickle that touches ``mark``."""
    os.environ["PLANTED_MARK"] = str(mark)
    payload = pickle.dumps(_Planted())
    del os.environ["PLANTED_MARK"]
    for rel in ["cache/parse-v2/00.pickle", "cache/history.pickle", "cache/segments.pickle", "incremental.pickle",
                "rows.pickle", "cache/rows/00.pickle", "plan.pickle", "cache/plans/00.pickle", "ics-events.pickle", "search-spans.pickle"]:
        path = root / ".crmgen" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)


def test_no_cache_file_is_written_into_the_work_tree(samples: Path) -> None:
    env = {**os.environ}
    for args in (["check"], ["due", "--today", "2026-12-01"], ["build", "--today", "2026-12-01"]):
        done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(samples), *args], capture_output=True,
                              env=env, timeout=300)
        assert done.returncode == 0, done.stderr.decode()
    found = [p.relative_to(samples).as_posix() for p in samples.rglob("*")
             if p.suffix in (".pickle", ".marshal", ".jinja", ".cache") or "jinja" in p.name]
    assert found == []
    cache = load_project(samples).cache_dir
    assert cache.is_dir() and not cache.is_relative_to(samples)
    assert any(cache.rglob("*.pickle"))


def test_planted_pickles_in_the_work_tree_run_nothing(tmp_path: Path) -> None:
    root = tmp_path / "crm"
    shutil.copytree(REPO / "clients", root / "clients")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    mark = tmp_path / "pwned"
    _plant(root, mark)
    for args in (["check"], ["due"], ["build", "--today", "2026-12-01"]):
        done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), *args], capture_output=True,
                              timeout=300, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
        assert done.returncode == 0, done.stderr.decode()
    assert not mark.exists()


def test_the_cache_directory_is_per_project_and_under_xdg(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    a, b = tmp_path / "a" / "华东", tmp_path / "b" / "华东"
    assert cache_dir_for(a).parent == tmp_path / "xdg" / "crmgen"
    assert cache_dir_for(a) != cache_dir_for(b)
    assert cache_dir_for(a) == cache_dir_for(a / ".." / "华东")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir_for(a).is_relative_to(Path.home() / ".cache" / "crmgen")


def test_deleting_the_work_tree_means_a_full_build(samples: Path) -> None:
    from crmgen.load.book import load_book
    from crmgen.render.build import build_site

    project = load_project(samples)
    clients = load_book(project).clients
    build_site(project, clients, today=dt.date(2026, 12, 1))
    first = (samples / "site" / "clients" / "huadong-runhuayou" / "index.html").read_bytes()
    shutil.rmtree(samples / ".crmgen")
    build_site(project, clients, today=dt.date(2026, 12, 1))
    assert (samples / "site" / "clients" / "huadong-runhuayou" / "index.html").read_bytes() == first
