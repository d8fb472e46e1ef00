"""Colours only on a terminal, NO_COLOR and FORCE_COLOR honoured, for real processes and a real pty."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from crmgen.cli.output import colour_on
from tests.conftest import write_client

ESC = "\x1b["


class Tty:
    def isatty(self) -> bool:
        return True


class Pipe:
    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("env", "tty", "pipe"),
    [
        ({}, True, False),
        ({"NO_COLOR": "1"}, False, False),
        ({"NO_COLOR": ""}, True, False),  # set but empty: no-color.org says it does not count
        ({"FORCE_COLOR": "1"}, True, True),
        ({"FORCE_COLOR": "true"}, True, True),
        ({"FORCE_COLOR": "0"}, True, False),
        ({"FORCE_COLOR": "false"}, True, False),
        ({"FORCE_COLOR": ""}, True, False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),  # NO_COLOR wins
    ],
)
def test_colour_on(env: dict[str, str], tty: bool, pipe: bool) -> None:
    assert colour_on(Tty(), env) is tty
    assert colour_on(Pipe(), env) is pipe


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return env | extra


@pytest.fixture
def bad(project: Path) -> Path:
    write_client(project, "bad", "---\nname: Bad\ngrade: Z\n---\n")
    return project


def _check_through_pipe(root: Path, **env: str) -> str:
    done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), "check"], capture_output=True,
                          text=True, env=_env(**env), check=False)
    assert done.returncode == 1
    assert "grade: 'Z' is not one of" in done.stderr
    return done.stderr


def _check_on_a_terminal(root: Path, **env: str) -> str:
    """``crmgen check`` with stderr on a real pseudo-terminal: what it wrote there."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), "check"], stdout=subprocess.DEVNULL,
                              stderr=follower, env=_env(**env), check=False, timeout=60)
        os.close(follower)
        follower = -1
        out = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the other side is closed and everything was read
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert done.returncode == 1
    text = out.decode()
    assert "grade: 'Z' is not one of" in text
    return text


def test_a_pipe_gets_no_colour_unless_forced(bad: Path) -> None:
    assert ESC not in _check_through_pipe(bad)
    assert f"{ESC}31m{ESC}1merror:{ESC}0m" in _check_through_pipe(bad, FORCE_COLOR="1")
    assert ESC not in _check_through_pipe(bad, FORCE_COLOR="1", NO_COLOR="1")


def test_a_terminal_gets_colour_unless_no_color(bad: Path) -> None:
    assert f"{ESC}31m{ESC}1merror:{ESC}0m" in _check_on_a_terminal(bad)
    assert ESC not in _check_on_a_terminal(bad, NO_COLOR="1")


def test_due_listing_follows_force_color(project: Path) -> None:
    write_client(project, "acme", "---\nname: Acme\ngrade: B\npromises:\n  - {by: us, what: samples, due: 2026-11-01}\n---\n")
    args = [sys.executable, "-m", "crmgen", "-C", str(project), "due", "--today", "2026-11-01"]
    plain = subprocess.run(args, capture_output=True, text=True, env=_env(), check=True).stdout
    forced = subprocess.run(args, capture_output=True, text=True, env=_env(FORCE_COLOR="1"), check=True).stdout
    assert ESC not in plain and "samples" in plain
    assert ESC in forced and forced.replace(ESC + "0m", "") != plain
