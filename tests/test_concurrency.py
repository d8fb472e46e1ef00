"""Builds of one project at the same time (#15): one at a time, and nothing of one variant in another.

Every build of a project shares ``.crmgen/`` (the docs tree, the build dir, the
incremental state); two at once mixed their pages, and a ``--public`` build that
ran beside a plain one published private values. Real processes, started together.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmgen.load.project import load_project
from crmgen.render.build import build_lock
from tests.test_public import private_values, sample, site_text  # noqa: F401 - sample is a fixture

TODAY = "2026-12-01"


def _start(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crmgen", "-C", str(root), "build", "--today", TODAY, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    return err.decode()


def _leaks(root: Path, site: Path) -> list[tuple[str, str]]:
    texts = site_text(site)
    assert "search/search_index.json" in texts
    return [(value, rel) for value in private_values(root) for rel, text in texts.items() if value in text]


@pytest.mark.parametrize("other", [[], ["--full"], ["--owner", "王磊"]])
def test_a_public_build_beside_another_build_publishes_no_private_value(
        sample: Path, tmp_path: Path, other: list[str]) -> None:  # noqa: F811 - the fixture
    root = tmp_path / "book"
    import shutil

    shutil.copytree(sample, root, ignore=shutil.ignore_patterns(".crmgen", "site", "team-site", "public"))
    team, public_site = str(root / "team-site"), str(root / "public")
    _finish(_start(root, "-d", team))  # a plain build first: its pages are the ones to leak
    for _ in range(2):
        plain, public = _start(root, "-d", team, *other), _start(root, "--public", "-d", public_site)
        _finish(plain)
        _finish(public)
        assert _leaks(root, root / "public") == []
    shown = site_text(root / "team-site")
    assert "+86 571 0000 7731" in shown["clients/zz-private/index.html"]  # the check above can fail


def test_two_builds_at_once_leave_one_whole_site(sample: Path, tmp_path: Path) -> None:  # noqa: F811
    root = tmp_path / "book"
    import shutil

    shutil.copytree(sample, root, ignore=shutil.ignore_patterns(".crmgen", "site"))
    first, second = _start(root, "--full"), _start(root, "--full")
    _finish(first)
    _finish(second)
    together = site_text(root / "site")
    shutil.rmtree(root / "site")
    _finish(_start(root, "--full"))
    assert site_text(root / "site") == together


def test_a_second_build_waits_saying_so_or_with_no_wait_exits_1(sample: Path, tmp_path: Path) -> None:  # noqa: F811
    root = tmp_path / "book"
    import shutil

    shutil.copytree(sample, root, ignore=shutil.ignore_patterns(".crmgen", "site"))
    with build_lock(load_project(root)):
        quick = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), "build", "--no-wait"],
                               capture_output=True, text=True, timeout=120)
        assert quick.returncode == 1
        assert f"another build of this project (process {os.getpid()}) is running" in quick.stderr
        assert "Traceback" not in quick.stderr
        log = tmp_path / "stderr.txt"
        with open(log, "wb") as err_file:
            waiting = subprocess.Popen(
                [sys.executable, "-m", "crmgen", "-C", str(root), "build", "--today", TODAY],
                stdout=subprocess.DEVNULL, stderr=err_file)
        deadline = time.monotonic() + 60
        while "waiting for" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            assert waiting.poll() is None, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting for the lock this test holds
        assert not (root / "site").exists()
    assert waiting.wait(timeout=300) == 0
    err = log.read_text(encoding="utf-8")
    assert f"crmgen: waiting for another build of this project (process {os.getpid()}) to finish" in err
    assert (root / "site" / "index.html").is_file()


def test_serve_takes_the_same_lock(samples: Path, tmp_path: Path) -> None:
    import re
    import signal
    import urllib.request

    log = tmp_path / "serve.txt"
    with build_lock(load_project(samples)):
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "crmgen", "-C", str(samples), "serve", "--port", "0",
                                     "--today", TODAY], stdout=out, stderr=subprocess.STDOUT,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            deadline = time.monotonic() + 60
            while "waiting for another build" not in log.read_text(encoding="utf-8"):
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
                time.sleep(0.1)
            assert not (samples / "site" / "index.html").exists()
        except BaseException:
            proc.kill()
            raise
    try:
        deadline = time.monotonic() + 120
        page = ""
        while "<html" not in page and time.monotonic() < deadline:
            time.sleep(0.2)
            found = re.search(r"(http://127\.0\.0\.1:\d+/)", log.read_text(encoding="utf-8"))
            if found:
                try:
                    with urllib.request.urlopen(found.group(1), timeout=10) as response:
                        page = response.read().decode("utf-8")
                except OSError:
                    page = ""
        assert "<html" in page, log.read_text(encoding="utf-8")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
