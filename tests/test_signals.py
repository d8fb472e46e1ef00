"""No process outlives the command that started it, and nothing of crmgen's is left behind:
SIGTERM (what a CI timeout sends) or SIGHUP to a ``crmgen build`` that is building pages in
chunk processes stops them all and removes its temporary directories."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from crmgen.accel import shards


def _generate(n: int, directory: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "benchmarks" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(n, directory)


def _descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_build_leaves_no_process_and_no_temporary_file(tmp_path: Path, signum: int) -> None:
    book = tmp_path / "book"
    _generate(shards.SHARD_MIN + 40, book)
    before = {p.name for p in book.iterdir()}
    proc = subprocess.Popen([sys.executable, "-m", "crmgen", "-C", str(book), "build", "--today", "2026-11-20"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    seen: set[int] = set()
    deadline = time.monotonic() + 240
    chunks = book / ".crmgen"
    while time.monotonic() < deadline and proc.poll() is None:
        seen |= _descendants(proc.pid)
        if list(chunks.glob("crmgen-chunks-*/chunk-*")) or (
                len(seen) >= 2 and list(chunks.glob("crmgen-chunks-*"))):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the build ended before its chunk processes were seen"
    time.sleep(0.5)
    seen |= _descendants(proc.pid)
    assert seen, "no chunk process was started"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err.decode()
    assert b"Traceback" not in err
    end = time.monotonic() + 10
    while time.monotonic() < end and any(_alive(pid) for pid in seen):
        time.sleep(0.1)
    assert [pid for pid in seen if _alive(pid)] == []
    assert list(chunks.glob("crmgen-chunks-*")) == []
    assert list(book.glob(".site.crmgen-*")) == [] and list(book.glob("site.crmgen-*")) == []
    assert sorted({p.name for p in book.iterdir()} - before - {".crmgen"}) == []
