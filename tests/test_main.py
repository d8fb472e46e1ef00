"""The ``crmgen`` command ends its process at once, with the right status and its output flushed."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _leave(code: str, *, before: str = "") -> subprocess.CompletedProcess[str]:
    script = f"import sys\nfrom crmgen.__main__ import leave\n{before}\nleave({code})\nprint('not reached')\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("code", "status"), [("0", 0), ("None", 0), ("3", 3), ("130", 130)])
def test_the_status_is_the_commands(code: str, status: int) -> None:
    done = _leave(code, before="sys.stdout.write('said'); sys.stderr.write('warned')")
    assert done.returncode == status
    assert (done.stdout, done.stderr) == ("said", "warned")  # flushed, and nothing after leave()


def test_a_message_exits_1_on_stderr() -> None:
    done = _leave("'crmgen: error: boom'")
    assert done.returncode == 1 and done.stderr == "crmgen: error: boom\n" and done.stdout == ""


def test_under_a_tracer_the_process_exits_as_usual() -> None:
    done = _leave("4", before="import atexit\natexit.register(lambda: print('atexit ran'))\nsys.settrace(lambda *a: None)")
    assert done.returncode == 4 and done.stdout == "atexit ran\n"  # coverage and profilers write at exit


def test_the_command_exits_with_its_status(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(tmp_path), "check"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "no mkdocs.yml found" in done.stderr  # a usage error
