"""Shell completion as the shell asks for it: Click's completion protocol in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_client


def complete(cwd: Path, words: str, shell: str = "bash") -> list[str]:
    """What ``crmgen`` offers for the last word of ``words`` (bash: ``type,value`` lines)."""
    parts = words.split(" ")
    env = os.environ | {"_CRMGEN_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
                        "COMP_CWORD": str(len(parts) - 1)}
    done = subprocess.run([sys.executable, "-c", "from crmgen.cli import main; main(prog_name='crmgen')"],
                          cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if line]


def test_client_arguments_complete_slugs(project: Path) -> None:
    for slug, owner in (("huadong-runhuayou", "李娜"), ("huadong-baozhuang", "Sarah Lin"), ("acme", "sam")):
        write_client(project, slug, f"---\nname: {slug}\ngrade: B\nowner: {owner}\n---\n")
    assert complete(project, "crmgen log hua") == ["huadong-baozhuang", "huadong-runhuayou"]
    assert complete(project, "crmgen paid ") == ["acme", "huadong-baozhuang", "huadong-runhuayou"]
    assert complete(project, "crmgen grade ac") == ["acme"]
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    assert complete(elsewhere, f"crmgen -C {project} kept hua") == ["huadong-baozhuang", "huadong-runhuayou"]


def test_owner_options_complete_the_book_s_owners(project: Path) -> None:
    for slug, owner in (("a", "李娜"), ("b", "Sarah Lin"), ("c", "sam"), ("d", "Sarah Lin")):
        write_client(project, slug, f"---\nname: {slug}\ngrade: B\nowner: {owner}\n---\n")
    assert complete(project, "crmgen due --owner s") == ["Sarah Lin", "sam"]
    assert complete(project, "crmgen build --owner 李") == ["李娜"]
    assert complete(project, "crmgen export --format csv --owner ") == ["Sarah Lin", "sam", "李娜"]


def test_outside_a_project_completion_offers_nothing_and_says_nothing(tmp_path: Path) -> None:
    assert complete(tmp_path, "crmgen log ") == []
    assert complete(tmp_path, "crmgen due --owner ") == []
