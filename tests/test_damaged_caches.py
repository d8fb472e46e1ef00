"""Every cache file damaged in every way (#15, faults): the commands give the same answers, no traceback.

Caches are crmgen's own files in ``$XDG_CACHE_HOME/crmgen/...`` and ``.crmgen/``; a full disk,
a crash or a hand that edits them can leave any of them truncated, garbage, or of another
shape. Whatever is wrong with one, it is read as missing and made again.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crmgen.load.project import cache_dir_for

TODAY = "2026-12-01"
COMMANDS = [["check"], ["due", "--today", TODAY, "--format", "json"], ["due", "--today", TODAY, "--format", "ics"],
            ["build", "--today", TODAY]]


def _run(root: Path, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), *args], capture_output=True,
                          timeout=300, env={**os.environ, "NO_COLOR": "1"})


def _answers(root: Path) -> list[bytes]:
    out = []
    for args in COMMANDS:
        done = _run(root, args)
        assert done.returncode == 0 and b"Traceback" not in done.stderr, (args, done.stderr.decode())
        out.append(done.stdout)
    site = root / "site"
    out += [p.read_bytes() for p in sorted(site.rglob("*.html"))[:40]]
    out.append((site / "search" / "search_index.json").read_bytes())
    return out


def _cache_files(root: Path) -> list[Path]:
    found = []
    for base in (cache_dir_for(root), root / ".crmgen"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and "docs" not in path.relative_to(base).parts[:1] \
                    and "site-build" not in path.relative_to(base).parts[:1] and path.name != "build.lock":
                found.append(path)
    return found


DAMAGE = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: os.urandom(max(16, len(data) // 4)),
    # A pickle naming a length no memory holds (random garbage once did: OverflowError).
    "huge length": lambda data: b"\x80\x05\x8e" + b"\xff" * 8,
    "another shape": lambda data: pickle.dumps({"not": ["what", "was", "kept"]}) if data[:1] not in b"{[" else b"[1, 2]",
}


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_every_cache_file_damaged_gives_the_same_answers(samples: Path, how: str) -> None:
    clean = _answers(samples)
    files = _cache_files(samples)
    kinds = {p.suffix or p.name for p in files}
    assert len(files) > 10 and {".pickle", ".marshal", ".json"} <= kinds, kinds
    for path in files:
        path.write_bytes(DAMAGE[how](path.read_bytes()))
    assert _answers(samples) == clean  # read as missing, made again
    assert _answers(samples) == clean  # and what was made again serves the next run


def test_full_recovers_from_a_damaged_build_tree(samples: Path) -> None:
    clean = _answers(samples)
    shutil.rmtree(samples / ".crmgen" / "site-build" / "clients")
    (samples / ".crmgen" / "docs" / "index.md").write_text("garbage", encoding="utf-8")
    done = _run(samples, ["build", "--today", TODAY, "--full"])
    assert done.returncode == 0, done.stderr.decode()
    assert _answers(samples) == clean
