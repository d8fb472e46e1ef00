"""Atomic writes: all or nothing, modes kept, no temp litter, changes noticed."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crmgen import fsutil
from crmgen.fsutil import (
    TEMP_SUFFIX,
    FileChanged,
    WriteFailed,
    atomic_write,
    create_new,
    read_with_snapshot,
    sweep_dir,
)


def litter(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(TEMP_SUFFIX))


def test_atomic_write_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "acme.md"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert litter(tmp_path) == []


def test_atomic_write_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.md", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o640


def test_atomic_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "acme.md"
    target.write_bytes(b"old content")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, failing, boom)
    with pytest.raises(WriteFailed, match="acme.md: no space left on device; free some space") as caught:
        atomic_write(target, b"new content")
    assert isinstance(caught.value, OSError) and caught.value.errno == 28  # caches swallow OSError
    monkeypatch.undo()
    assert target.read_bytes() == b"old content"
    assert litter(tmp_path) == []


def test_a_process_killed_mid_write_leaves_the_old_file(tmp_path: Path) -> None:
    """SIGKILL between the temp file's fsync and the rename: no cleanup can run."""
    target = tmp_path / "acme.md"
    target.write_bytes(b"old content")
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from crmgen import fsutil

        def die(*args):
            os.kill(os.getpid(), signal.SIGKILL)

        fsutil.os.replace = die
        fsutil.atomic_write(Path({str(target)!r}), b"new content " * 1000)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"old content"
    leftovers = litter(tmp_path)
    assert len(leftovers) == 1  # the dead writer's temp file, hidden and not *.md
    assert not leftovers[0].endswith(".md")
    # The next write (as crmgen's edit commands make it) sweeps the dead writer's temp away.
    atomic_write(target, b"newer", sweep=True)
    assert target.read_bytes() == b"newer"
    assert litter(tmp_path) == []


def test_sweep_keeps_temps_of_live_writers_and_other_files(tmp_path: Path) -> None:
    mine = tmp_path / f".acme.md.{os.getpid()}.abcd{TEMP_SUFFIX}"
    mine.write_bytes(b"in progress")
    parent = tmp_path / f".other.md.{os.getppid()}.abcd{TEMP_SUFFIX}"
    parent.write_bytes(b"in progress too")
    plain = tmp_path / f"notes.999999999{TEMP_SUFFIX}"  # not hidden: not one of crmgen's names
    plain.write_bytes(b"someone's")
    (tmp_path / f".dir.999999999.abcd{TEMP_SUFFIX}").mkdir()
    assert sweep_dir(tmp_path) == []
    assert mine.exists() and parent.exists() and plain.exists()


def test_sweep_removes_temps_of_dead_writers_and_old_ones(tmp_path: Path) -> None:
    dead = tmp_path / f".acme.md.999999999.abcd{TEMP_SUFFIX}"  # above any pid_max
    dead.write_bytes(b"left by a killed writer")
    reused = tmp_path / f".b.c.md.{os.getppid()}.abcd{TEMP_SUFFIX}"  # its pid now runs something else
    reused.write_bytes(b"two hours old")
    two_hours_ago = time.time() - 7200
    os.utime(reused, (two_hours_ago, two_hours_ago))
    fresh = tmp_path / f".b.c.md.{os.getppid()}.ef01{TEMP_SUFFIX}"
    fresh.write_bytes(b"being written")
    assert sorted(sweep_dir(tmp_path)) == sorted([dead, reused])
    assert litter(tmp_path) == [fresh.name]
    assert sweep_dir(tmp_path / "missing") == []


def test_expect_refuses_when_the_file_changed(tmp_path: Path) -> None:
    target = tmp_path / "acme.md"
    target.write_bytes(b"version 1")
    _, snap = read_with_snapshot(target)
    target.write_bytes(b"version 2 from an editor")
    with pytest.raises(FileChanged):
        atomic_write(target, b"crmgen's version", expect=snap)
    assert target.read_bytes() == b"version 2 from an editor"
    assert litter(tmp_path) == []


def test_expect_notices_a_same_size_rewrite(tmp_path: Path) -> None:
    target = tmp_path / "acme.md"
    target.write_bytes(b"grade: A")
    data, snap = read_with_snapshot(target)
    stat_before = target.stat()
    target.write_bytes(b"grade: B")
    os.utime(target, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))  # same size and mtime
    with pytest.raises(FileChanged):
        atomic_write(target, b"grade: C", expect=snap)


def test_expect_passes_when_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "acme.md"
    target.write_bytes(b"version 1")
    _, snap = read_with_snapshot(target)
    atomic_write(target, b"version 2", expect=snap)
    assert target.read_bytes() == b"version 2"


def test_create_new_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "acme.md"
    create_new(target, b"first")
    with pytest.raises(FileExistsError):
        create_new(target, b"second")
    assert target.read_bytes() == b"first"
    assert litter(tmp_path) == []
