"""Smoke tests for the benchmark (benchmarks/): the generator and the runner, no timing assertions."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate():
    return _load("generate")


def _crmgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crmgen", *args], capture_output=True, text=True,
                          timeout=120)


def test_same_seed_same_bytes_and_prefix(generate) -> None:
    a = generate.book(30, seed=6)
    b = generate.book(30, seed=6)
    assert a == b
    small = generate.book(10, seed=6)
    assert list(a.items())[:10] == list(small.items())  # the book of 10 is the start of the book of 30
    assert generate.book(30, seed=7) != a


def test_books_look_like_a_team_book(generate) -> None:
    texts = generate.book(200, seed=6)
    assert len(texts) == 200
    front = [t.split("\n---\n", 1)[0] for t in texts.values()]
    mean_lines = sum(f.count("\n") for f in front) / len(front)
    assert 30 <= mean_lines <= 55
    joined = "\n".join(texts.values())
    for needle in ("birthday:", "kept:", "broken:", "by: us", "by: client", "paid:", "complaints:",
                   "cadence:", "tags:", "Next: ", "下一步："):
        assert needle in joined, needle
    assert any("\u4e00" <= ch <= "\u9fff" for ch in joined) and "the " in joined
    owners = {line.split(": ", 1)[1] for t in texts.values() for line in t.splitlines()
              if line.startswith("owner: ")}
    assert 30 <= len(owners) <= 50
    for text in texts.values():
        headings = [line for line in text.split("\n---\n", 1)[1].splitlines() if line.startswith("## ")]
        assert 8 <= len(headings) <= 15


@pytest.mark.slow
def test_generated_book_passes_check_strict(generate, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "generate.py"), "20", str(tmp_path / "book")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    files = sorted((tmp_path / "book" / "clients").glob("*.md"))
    assert len(files) == 20
    assert (tmp_path / "book" / "mkdocs.yml").is_file()
    expected = {slug: text.encode() for slug, text in generate.book(20, seed=generate.DEFAULT_SEED).items()}
    assert {f.stem: f.read_bytes() for f in files} == expected
    proc = _crmgen("-C", str(tmp_path / "book"), "check", "--strict", "--no-cache")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.bench
def test_runner_end_to_end_at_tiny_n(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "5", "--repeat", "1", "--no-serve", "--quiet", "0",
         "--output", str(out), "--work", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "## Targets" in text and "## N = 5" in text
    assert "| cores |" in text and "| libyaml |" in text
    # Every measure whose command exists has a number, not a failure.
    assert "failed:" not in text, text
    floor_row = next(line for line in text.splitlines() if line.startswith("| floor"))
    assert float(floor_row.split("|")[2]) > 0
