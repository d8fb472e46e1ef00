"""``--commit``: record one written file in git with a clear message.

Only the file the command wrote is committed (``git commit -- PATH``), even when
other changes are staged, so the audit trail holds one fact per commit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from crmgen.format.errors import CrmgenError


class GitError(CrmgenError):
    """git is missing, the project is not a repository, or git refused the commit."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )


def ensure_repository(root: Path) -> None:
    """Raise :class:`GitError` unless git is installed and ``root`` is inside a work tree.

    Called before a command writes anything, so ``--commit`` fails before the edit
    rather than leaving a written but uncommitted file.
    """
    if shutil.which("git") is None:
        raise GitError("--commit needs git, which is not installed (or not on PATH); drop --commit or install git")
    result = _git(root, "rev-parse", "--is-inside-work-tree")
    if result.returncode != 0 or result.stdout.strip() != "true":
        raise GitError(
            f"--commit: {root} is not in a git repository; run 'git init' there first, or drop --commit"
        )


def commit_file(root: Path, path: Path, message: str) -> str:
    """``git add`` + ``git commit -m message`` of exactly ``path``; returns the new commit's short sha."""
    ensure_repository(root)
    rel = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    added = _git(root, "add", "--", rel)
    if added.returncode != 0:
        raise GitError(f"the file was written, but 'git add {rel}' failed: {added.stderr.strip()}")
    done = _git(root, "commit", "--quiet", "-m", message, "--", rel)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        hint = ""
        if "user.email" in detail or "identity" in detail.lower():
            hint = " (tell git who you are: git config user.name 'Your Name'; git config user.email you@example.com)"
        raise GitError(f"the file was written, but the commit failed{hint}: {detail}")
    head = _git(root, "rev-parse", "--short", "HEAD")
    return head.stdout.strip()
