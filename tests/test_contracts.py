"""The contracts people's scripts depend on, held byte for byte by golden files.

``crmgen due --format json`` and ``--format ics`` on the sample clients at three dates,
and ``crmgen check --format json`` on the bad-input fixture (``tests/projects/bad``),
each run as a real ``crmgen`` process, cold (no cache) and again warm (the caches the
first run left), and with ``--no-cache`` for ``check``. A change to any byte is a
change to a contract: make it on purpose, then refresh the files and review the diff:

    CRMGEN_UPDATE_GOLDEN=1 python -m pytest tests/test_contracts.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

GOLDEN = Path(__file__).parent / "golden" / "contracts"
BAD = Path(__file__).parent / "projects" / "bad"
DATES = ("2026-06-15", "2026-12-01", "2027-02-28")
UPDATE = bool(os.environ.get("CRMGEN_UPDATE_GOLDEN"))


def _crmgen(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "XDG_CACHE_HOME": str(root.parent / "xdg-cache")}
    return subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), *args], capture_output=True,
                          env=env, timeout=120)


def _compare(name: str, produced: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced)
    assert path.is_file(), f"no golden file {path}: refresh (see the module docstring)"
    assert produced == path.read_bytes(), f"output differs from tests/golden/contracts/{name}"


@pytest.fixture(scope="module")
def samples_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("contracts") / "samples"
    shutil.copytree(REPO / "clients", root / "clients")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    old = time.time() - 3600  # old enough for the book summary to be trusted: the warm run reads it
    for path in [root / "mkdocs.yml", *(root / "clients").iterdir()]:
        os.utime(path, (old, old))
    return root


@pytest.mark.parametrize("fmt", ["json", "ics"])
@pytest.mark.parametrize("day", DATES)
def test_due_output_is_the_contract(samples_copy, day, fmt):
    for extra in ((), (), ("--no-cache",)):  # cold, warm (the kept plan), no cache
        done = _crmgen(samples_copy, "due", "--today", day, "--format", fmt, *extra)
        assert done.returncode == 0, done.stderr.decode()
        _compare(f"due-{day}.{fmt}", done.stdout)


def test_check_json_on_bad_input_is_the_contract(tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(BAD, root)
    for args in (("check", "--format", "json"), ("check", "--format", "json"),
                 ("check", "--format", "json", "--no-cache")):
        done = _crmgen(root, *args)
        assert done.returncode == 1, done.stderr.decode()
        _compare("check-bad.json", done.stdout)
        assert done.stderr == b""


def test_check_text_on_bad_input_is_the_contract(tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(BAD, root)
    for _run in ("cold", "warm"):
        done = _crmgen(root, "check")
        assert done.returncode == 1
        assert done.stdout == b""
        _compare("check-bad.txt", done.stderr)
