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


def _answers(root: Path, warnings: list[str] | None = None) -> list[bytes]:
    """The commands' outputs and the site; the stderr lines that say a cache was damaged go to ``warnings``."""
    out = []
    for args in COMMANDS:
        done = _run(root, args)
        assert done.returncode == 0 and b"Traceback" not in done.stderr, (args, done.stderr.decode())
        out.append(done.stdout)
        if warnings is not None:
            warnings += [line for line in done.stderr.decode().splitlines() if "damaged cache" in line]
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
    said: list[str] = []
    assert _answers(samples, said) == clean  # read as missing, made again
    # each discarded file (or store of shards) is one line naming it
    assert said and all(line.startswith("crmgen: warning: /") and line.endswith(
        "discarded; made again from the client files") for line in said), said
    assert len(said) == len(set(said))
    again: list[str] = []
    assert _answers(samples, again) == clean  # and what was made again serves the next run
    assert again == []


def test_a_missing_cache_is_not_worth_a_warning(samples: Path) -> None:
    said: list[str] = []
    _answers(samples, said)  # the first run: no cache at all
    for base in (cache_dir_for(samples), samples / ".crmgen"):
        shutil.rmtree(base, ignore_errors=True)
    _answers(samples, said)
    assert said == []


def test_full_recovers_from_a_damaged_build_tree(samples: Path) -> None:
    clean = _answers(samples)
    shutil.rmtree(samples / ".crmgen" / "site-build" / "clients")
    (samples / ".crmgen" / "docs" / "index.md").write_text("garbage", encoding="utf-8")
    done = _run(samples, ["build", "--today", TODAY, "--full"])
    assert done.returncode == 0, done.stderr.decode()
    assert _answers(samples) == clean
