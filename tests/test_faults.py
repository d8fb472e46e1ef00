"""Faults of where crmgen runs, on a real file system: a full disk, a read-only ``clients/``, a
read-only file, temporary files of killed writers. Each fault is one ``crmgen: error:`` line
naming the file, exit 1, no traceback, the file as it was and no temporary file left.

The real ``crmgen`` runs in a subprocess. A full disk is a file size limit (``RLIMIT_FSIZE``:
writes fail with EFBIG, as an unprivileged user can set it) and, as root, a small tmpfs filled
up; a read-only ``clients/`` is ``chmod 555`` (for root: with its capabilities dropped, the
permission bits bind it too) and, as root, a tmpfs mounted read-only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.cli.app import os_error_message
from crmgen.fsutil import TEMP_SUFFIX, atomic_write
from tests.conftest import write_client

ACME = "---\nname: Acme\ngrade: B\npromises:\n  - by: us\n    what: samples\n    due: 2026-11-01\n---\n\n" + (
    "A line of notes about Acme.\n" * 80)
CSV = "name,phone\nGamma,13800000001\nDelta,13800000002\n"
BIG_ROW_CSV = "name,phone,notes\nGamma,13800000001,short\nDelta,13800000002," + "x" * 3000 + "\n"

# command -> (arguments, the file it writes); run in a project holding clients/acme.md (ACME).
WRITES = {
    "log": (["log", "acme", "call", "asked about the samples"], "clients/acme.md"),
    "promise": (["promise", "acme", "--by", "us", "send", "prices", "--due", "2026-12-01"], "clients/acme.md"),
    "kept": (["kept", "acme", "1", "--date", "2026-11-02"], "clients/acme.md"),
    "grade": (["grade", "acme", "A"], "clients/acme.md"),
    "new": (["new", "Beta Trading"], "clients/beta-trading.md"),
    "import": (["import", "{csv}", "--write"], "clients/gamma.md"),
    "export": (["export", "--format", "csv", "-o", "out.csv"], "out.csv"),
}


@pytest.fixture
def acme_project(tmp_path: Path) -> Path:
    root = tmp_path / "crm"
    root.mkdir()
    return _fill_project(root)


def _fill_project(root: Path) -> Path:
    (root / "mkdocs.yml").write_text("site_name: Test CRM\n", encoding="utf-8")
    write_client(root, "acme", "", raw=ACME.encode())
    (root / "out.csv").write_bytes(b"an earlier export\n")
    (root / "in.csv").write_text(CSV, encoding="utf-8")
    return root


def crmgen(root: Path, *args: str, preexec: Callable[[], None] | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    args = tuple(str(root / "in.csv") if a == "{csv}" else a for a in args)
    return subprocess.run([sys.executable, "-m", "crmgen", *args], cwd=root, capture_output=True, text=True,
                          timeout=120, preexec_fn=preexec, env=env)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the build's own directory, and its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".crmgen" not in p.parts and p.name != "filler"}


def litter(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(f"*{TEMP_SUFFIX}"))


def assert_fault(result: subprocess.CompletedProcess[str], rel: str, why: str) -> None:
    """Exit 1 and exactly one line on stderr, ``crmgen: error: cannot write REL: WHY...``."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"crmgen: error: cannot write {rel}: {why}"), lines[0]
    assert "run the command again" in lines[0]


def size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        # Ignored, SIGXFSZ would kill the process; then the write fails with EFBIG instead.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


# -- a full disk -----------------------------------------------------------------------------

@pytest.mark.parametrize("command", sorted(WRITES))
def test_a_file_size_limit_is_one_clear_line_and_nothing_changes(acme_project: Path, command: str) -> None:
    args, rel = WRITES[command]
    before = snapshot(acme_project)
    result = crmgen(acme_project, *args, preexec=size_limit(64))
    assert_fault(result, rel, "the file would exceed the size limit for files (ulimit -f); raise the limit")
    assert snapshot(acme_project) == before
    assert litter(acme_project) == []


def test_an_import_that_runs_out_of_space_halfway_imports_nothing(acme_project: Path) -> None:
    (acme_project / "in.csv").write_text(BIG_ROW_CSV, encoding="utf-8")
    before = snapshot(acme_project)
    # gamma.md (95 bytes) fits under the limit, delta.md (3 KB) does not.
    result = crmgen(acme_project, "import", "in.csv", "--write", preexec=size_limit(1024))
    assert_fault(result, "clients/delta.md", "the file would exceed the size limit")
    assert result.stderr.rstrip().endswith("(nothing was imported)")
    assert snapshot(acme_project) == before  # gamma.md, written first, was removed again
    assert litter(acme_project) == []
    assert crmgen(acme_project, "import", "in.csv", "--write").returncode == 0  # then it works
    assert (acme_project / "clients" / "delta.md").is_file()


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (root only; the test is skipped where mounting is not
    permitted), always unmounted again."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def fill_up(directory: Path) -> None:
    """Write a file in ``directory`` until its file system has no space left."""
    with open(directory / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


@pytest.mark.parametrize("command", sorted(WRITES))
def test_a_full_disk_is_one_clear_line_and_nothing_changes(tmp_path: Path, command: str) -> None:
    args, rel = WRITES[command]
    with tmpfs(tmp_path / "disk", "1m") as disk:
        root = _fill_project(disk)
        fill_up(disk)
        before = snapshot(root)
        result = crmgen(root, *args)
        assert_fault(result, rel, "no space left on device; free some space and run the command again")
        assert snapshot(root) == before
        assert litter(root) == []


def test_a_build_on_a_full_disk_leaves_the_site_as_it_was(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "8m") as disk:
        root = _fill_project(disk)
        assert crmgen(root, "build", "--today", "2026-11-20").returncode == 0
        site = snapshot(root / "site")
        assert crmgen(root, "log", "acme", "call", "a change for the site", "--date", "2026-11-03").returncode == 0
        fill_up(disk)
        result = crmgen(root, "build", "--today", "2026-11-20")
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert [line for line in result.stderr.splitlines() if line.startswith("crmgen: error: ")] == \
            result.stderr.splitlines()[-1:]
        assert "no space left on device; free some space and run the command again" in result.stderr
        assert snapshot(root / "site") == site
        (disk / "filler").unlink()
        assert crmgen(root, "build", "--today", "2026-11-20").returncode == 0
        assert "a change for the site" in (root / "site" / "clients" / "acme" / "index.html").read_text()


def cache_litter(cache: Path) -> list[str]:
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*")
            if p.name.endswith(".tmp") or p.name.startswith("tmp"))  # crmgen's temporary files, jieba's


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_full_cache_disk_never_fails_a_build(acme_project: Path, tmp_path: Path, warm: bool) -> None:
    """A cache is only a cache: with no space left where it lives, the build works and
    leaves no temporary file there (neither crmgen's caches nor Jinja's compiled templates)."""
    with tmpfs(tmp_path / "cache", "16m") as cache:
        env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        if warm:
            assert crmgen(acme_project, "build", "--today", "2026-11-20", env=env).returncode == 0
            assert crmgen(acme_project, "log", "acme", "call", "a change for the site", "--date", "2026-11-03",
                          env=env).returncode == 0
        fill_up(cache)
        result = crmgen(acme_project, "build", "--today", "2026-11-20", env=env)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        if warm:
            assert "a change for the site" in (acme_project / "site" / "clients" / "acme" / "index.html").read_text()
        assert cache_litter(cache) == []
        (cache / "filler").unlink()
        assert crmgen(acme_project, "build", "--today", "2026-11-20", env=env).returncode == 0


def test_a_read_only_cache_never_fails_a_build(acme_project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    assert crmgen(acme_project, "build", "--today", "2026-11-20", env=env).returncode == 0
    assert crmgen(acme_project, "log", "acme", "call", "a change for the site", "--date", "2026-11-03",
                  env=env).returncode == 0
    dirs = [cache, *(p for p in cache.rglob("*") if p.is_dir())]
    for d in dirs:
        os.chmod(d, 0o555)
    try:
        result = crmgen(acme_project, "build", "--today", "2026-11-20", env=env, preexec=as_a_user(tmp_path))
    finally:
        for d in dirs:
            os.chmod(d, 0o755)
    assert result.returncode == 0, result.stderr
    assert "a change for the site" in (acme_project / "site" / "clients" / "acme" / "index.html").read_text()
    assert cache_litter(cache) == []


def test_a_cache_write_that_fails_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Each of accel's cache writers, its disk full halfway (a file size limit, in a child)."""
    script = textwrap.dedent(f"""
        import resource, signal
        from pathlib import Path
        from crmgen.accel import cache, incremental, rowstore, segment
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
        where = Path({str(tmp_path)!r})
        big = b"x" * 4096
        assert incremental._atomic_bytes(where / "state.pickle", big) is False
        incremental.save_pickle(where / "events.pickle", {{"k": big}})
        try:
            cache.write_shard(where / "00.pickle", "v", 0, [("a", (1,), big)])
        except OSError:
            pass
        else:
            raise SystemExit("write_shard wrote past the limit")
        segment.Memo({{"text": ["words"] * 1000}}).save(where / "segments.pickle", prune=False)
        rowstore.ShardedMemo(where, "rows", head=str).save({{str(i): big for i in range(20)}})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert cache_litter(tmp_path) == []


def test_a_failed_jinja_bytecode_write_is_ignored(tmp_path: Path) -> None:
    import jinja2

    from crmgen.render.pages import CacheOnlyBytecodeCache

    cache = tmp_path / "jinja"
    cache.mkdir()
    bcc = CacheOnlyBytecodeCache(str(cache), "%s.jinja")
    env = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ 1 + 1 }}"}), bytecode_cache=bcc)
    os.chmod(cache, 0o555)
    try:
        script = textwrap.dedent(f"""
            import jinja2
            from crmgen.render.pages import CacheOnlyBytecodeCache
            bcc = CacheOnlyBytecodeCache({str(cache)!r}, "%s.jinja")
            env = jinja2.Environment(loader=jinja2.DictLoader({{"t": "{{{{ 1 + 1 }}}}"}}), bytecode_cache=bcc)
            assert env.get_template("t").render() == "2"
            plain = jinja2.Environment(loader=jinja2.DictLoader({{"t": "x"}}),
                                       bytecode_cache=jinja2.FileSystemBytecodeCache({str(cache)!r}))
            try:
                plain.get_template("t")
            except OSError:
                pass
            else:
                raise SystemExit("the probe wrote into a read-only directory")
        """)
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                              preexec_fn=as_a_user(tmp_path))
    finally:
        os.chmod(cache, 0o755)
    assert proc.returncode == 0, proc.stderr
    assert env.get_template("t").render() == "2"
    assert os.listdir(cache)  # writable again: it caches


# -- a read-only clients/ ---------------------------------------------------------------------

def _drop_capabilities() -> None:
    """As root: give up every capability at the next exec, so that permission bits bind as
    they bind any user (root without CAP_DAC_OVERRIDE cannot write into a 555 directory)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    pr_capbset_drop = 24
    for cap in range(64):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            break


def as_a_user(scratch: Path) -> Callable[[], None] | None:
    """How to run crmgen so that permission bits bind it (as it is, when not root); ``scratch``
    is a directory for a probe."""
    if os.geteuid() != 0:
        return None
    if not sys.platform.startswith("linux"):
        pytest.skip("dropping root's capabilities needs Linux")
    closed = scratch / "probe"
    closed.mkdir(mode=0o555)
    probe = subprocess.run([sys.executable, "-c", "import os, sys; os.mkdir(sys.argv[1])", str(closed / "x")],
                           preexec_fn=_drop_capabilities, capture_output=True)
    if probe.returncode == 0:
        pytest.skip("cannot drop root's capabilities here")
    return _drop_capabilities


@pytest.mark.parametrize("command", sorted(set(WRITES) - {"export"}))
def test_a_clients_directory_without_write_permission(acme_project: Path, command: str) -> None:
    args, rel = WRITES[command]
    clients = acme_project / "clients"
    os.chmod(clients, 0o555)
    try:
        preexec = as_a_user(acme_project.parent)
        before = snapshot(acme_project)
        result = crmgen(acme_project, *args, preexec=preexec)
        assert_fault(result, rel, "permission denied: clients is not writable; make it writable (chmod u+w clients)")
        assert snapshot(acme_project) == before
    finally:
        os.chmod(clients, 0o755)
    assert litter(acme_project) == []


@pytest.mark.parametrize("command", sorted(set(WRITES) - {"export"}))
def test_a_read_only_mounted_clients_directory(tmp_path: Path, command: str) -> None:
    args, rel = WRITES[command]
    root = tmp_path / "crm"
    with tmpfs(root / "clients", "1m"):
        _fill_project(root)
        stale = root / "clients" / f".acme.md.{_dead_pid()}.0bad{TEMP_SUFFIX}"
        stale.write_bytes(b"left by a killed writer")
        remount = subprocess.run(["mount", "-o", "remount,ro", str(root / "clients")], capture_output=True, text=True)
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only: {remount.stderr.strip()}")
        before = snapshot(root)
        result = crmgen(root, *args)
        assert_fault(result, rel, "the file system is read-only; mount it read-write")
        assert snapshot(root) == before
        assert litter(root) == [stale.relative_to(root).as_posix()]  # a sweep that cannot remove goes on


# -- a read-only file, owner and mode -----------------------------------------------------------

READ_ONLY = ("crmgen: error: cannot write clients/acme.md: the file is read-only (mode 444); if it is to "
             "change, make it writable (chmod u+w clients/acme.md) and run the command again (nothing was changed)\n")


@pytest.mark.parametrize("command", ["log", "promise", "kept", "grade"])
def test_edits_refuse_a_read_only_file_even_as_root(acme_project: Path, command: str) -> None:
    args, _rel = WRITES[command]
    acme = acme_project / "clients" / "acme.md"
    os.chmod(acme, 0o444)
    result = CliRunner().invoke(main, ["-C", str(acme_project), *args])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", READ_ONLY)
    assert acme.read_bytes() == ACME.encode()
    assert stat_mode(acme) == 0o444
    assert litter(acme_project) == []
    assert_fault(crmgen(acme_project, *args), "clients/acme.md", "the file is read-only (mode 444)")


def test_export_and_ci_never_replace_a_read_only_file(acme_project: Path) -> None:
    out = acme_project / "out.csv"
    os.chmod(out, 0o400)
    assert_fault(crmgen(acme_project, "export", "--format", "csv", "-o", "out.csv"), "out.csv",
                 "the file is read-only (mode 400)")
    assert out.read_bytes() == b"an earlier export\n"
    gitlab = acme_project / ".gitlab-ci.yml"
    gitlab.write_bytes(b"# ours\n")
    os.chmod(gitlab, 0o444)
    assert_fault(crmgen(acme_project, "ci", "gitlab", "--force"), ".gitlab-ci.yml", "the file is read-only")
    assert gitlab.read_bytes() == b"# ours\n"
    assert litter(acme_project) == []


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777


def test_an_edit_keeps_the_files_mode_owner_and_group(acme_project: Path) -> None:
    acme = acme_project / "clients" / "acme.md"
    os.chmod(acme, 0o640)
    other = 65534 if os.geteuid() == 0 else None  # nobody / nogroup
    if other is not None:
        os.chown(acme, other, other)
    assert crmgen(acme_project, *WRITES["log"][0]).returncode == 0
    st = acme.stat()
    assert st.st_mode & 0o7777 == 0o640
    assert b"asked about the samples" in acme.read_bytes()
    if other is not None:
        assert (st.st_uid, st.st_gid) == (other, other)


def test_a_write_that_would_change_the_owner_is_refused(acme_project: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a file of another user needs root")
    acme = acme_project / "clients" / "acme.md"
    os.chown(acme, 65534, 65534)
    os.chmod(acme, 0o666)  # anyone may write it: replacing it would still change its owner
    result = crmgen(acme_project, *WRITES["grade"][0], preexec=as_a_user(acme_project.parent))
    assert_fault(result, "clients/acme.md", "it belongs to ")
    assert "cannot replace it without changing that" in result.stderr
    assert acme.read_bytes() == ACME.encode()
    assert (acme.stat().st_uid, acme.stat().st_gid) == (65534, 65534)
    assert litter(acme_project) == []


def test_atomic_write_keeps_the_owner_when_it_can(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    target = tmp_path / "f"
    target.write_bytes(b"old")
    os.chown(target, 65534, 65534)
    os.chmod(target, 0o6755)  # set-user-ID survives: a chown clears it, and the chmod comes after
    atomic_write(target, b"new")
    st = target.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777, target.read_bytes()) == (65534, 65534, 0o6755, b"new")


# -- temporary files of killed writers ------------------------------------------------------------

def _dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _plant(clients: Path) -> tuple[list[Path], list[Path]]:
    """Temporary files as killed writers leave them: (stale ones, one of a live writer)."""
    dead = clients / f".acme.md.{_dead_pid()}.1a2b3c4d{TEMP_SUFFIX}"
    old = clients / f".zeta.md.{os.getpid()}.5e6f7a8b{TEMP_SUFFIX}"  # a live pid, reused: 2 hours old
    live = clients / f".acme.md.{os.getpid()}.9c0d1e2f{TEMP_SUFFIX}"
    for path in (dead, old, live):
        path.write_bytes(b"half a client file")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    return [dead, old], [live]


@pytest.mark.parametrize("command", ["log", "grade", "new", "import"])
def test_the_next_writing_command_sweeps_temporary_files_of_killed_writers(acme_project: Path, command: str) -> None:
    stale, live = _plant(acme_project / "clients")
    result = crmgen(acme_project, *WRITES[command][0])
    assert result.returncode == 0, result.stderr
    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in live)


def test_commands_that_write_nothing_sweep_nothing(acme_project: Path) -> None:
    stale, live = _plant(acme_project / "clients")
    for args in (["check"], ["due", "--today", "2026-11-20"], ["import", "in.csv"], ["export", "--format", "json"]):
        assert crmgen(acme_project, *args).returncode in (0, 3)  # 3: something is overdue
    assert all(p.exists() for p in stale + live)


# -- /tmp ---------------------------------------------------------------------------------------------

def test_writing_commands_leave_nothing_in_tmp(acme_project: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    for args in (["check"], ["due", "--today", "2026-11-20"], *(a for a, _ in WRITES.values()),
                 ["export", "--format", "vcf"], ["ci", "github"]):
        result = crmgen(acme_project, *args, env=env)
        assert result.returncode in (0, 3), (args, result.stderr)
    assert sorted(os.listdir(tmp)) == []


@pytest.mark.slow
def test_a_build_leaves_nothing_in_tmp(samples: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = crmgen(samples, "build", "--today", "2026-11-20", env={**os.environ, "TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp)) == []


# -- the funnel -------------------------------------------------------------------------------------

def test_an_os_error_that_escapes_a_command_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "src.js"), None, str(tmp_path / "site/a.js"))
    assert os_error_message(full, "build") == ("cannot write site/a.js: no space left on device; "
                                               "free some space and run the command again")
    assert os_error_message(OSError(errno.ENOSPC, "No space left on device"), "build") == (
        "build could not write a file: no space left on device; free some space and run the command again")
    assert os_error_message(OSError(errno.EACCES, "Permission denied", "/etc/x")) == (
        "/etc/x: permission denied; make it and its directory accessible to you and run the command again")


def test_a_kill_between_write_and_rename_leaves_a_temp_the_next_edit_sweeps(acme_project: Path) -> None:
    """A writer killed (SIGKILL: no cleanup runs) after writing its temporary file, before the
    rename: the client file is whole, and the next edit removes what the dead writer left."""
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from crmgen import fsutil
        target = Path({str(acme_project / "clients" / "acme.md")!r})
        tmp = fsutil._write_temp(target, b"half of a new version", 0o644)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert len(litter(acme_project)) == 1
    assert (acme_project / "clients" / "acme.md").read_bytes() == ACME.encode()
    assert crmgen(acme_project, *WRITES["log"][0]).returncode == 0
    assert litter(acme_project) == []


# -- the site's mode ----------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_the_site_directory_has_the_mode_of_a_directory_made_as_usual(acme_project: Path, umask: int) -> None:
    """Not mkdtemp's 0700: a web server running as another user reads the site."""
    def with_umask() -> None:
        os.umask(umask)
    result = crmgen(acme_project, "build", "--today", "2026-11-20", preexec=with_umask)
    assert result.returncode == 0, result.stderr
    assert stat_mode(acme_project / "site") == 0o777 & ~umask
