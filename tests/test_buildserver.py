"""The build server: `crmgen build` forked from a process that imported everything already.

The pure parts (which command, when it is on, the key, the directory, the messages) are
tested as functions; the rest with real processes: a real server started by a real
build, real Unix sockets, real signals.
"""

from __future__ import annotations

import contextlib
import filecmp
import marshal
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from crmgen import buildclient
from crmgen.__main__ import command_of

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-11-23"


# -- pure parts -------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "command"), [
    (["build"], "build"),
    (["-C", "build", "check"], "check"),  # a project directory named build
    (["-Cproj", "build", "--full"], "build"),
    (["--debug", "-C", "x", "build"], "build"),
    (["--help"], None),
    (["--version", "build"], None),
    ([], None),
    (["due", "build"], "due"),
])
def test_the_command_is_the_first_word_after_the_groups_options(argv, command):
    assert command_of(argv) == command


@pytest.mark.parametrize(("env", "on"), [
    ({}, True),
    ({"CRMGEN_BUILD_SERVER": "0"}, False),
    ({"CRMGEN_BUILD_SERVER": "off"}, False),
    ({"CRMGEN_BUILD_SERVER": "1"}, True),
    ({"CI": "true"}, False),
    ({"CI": "1", "CRMGEN_BUILD_SERVER": "1"}, False),
    ({"CI": "false"}, True),
])
def test_on_by_default_off_when_asked_and_in_ci(env, on):
    assert buildclient.enabled(env) is on


def test_off_under_a_profiler():
    sys.setprofile(lambda *a: None)
    try:
        assert buildclient.enabled({}) is False
    finally:
        sys.setprofile(None)


def test_the_key_changes_with_any_module_of_crmgen(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "site").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "site" / "b.py").write_text("y = 1\n")
    (pkg / "notes.txt").write_text("not code\n")
    before = buildclient.package_stamps(str(pkg))
    assert [p for p, *_ in before] == ["/a.py", "/site/b.py"]
    os.utime(pkg / "notes.txt", ns=(1, 1))
    assert buildclient.package_stamps(str(pkg)) == before
    os.utime(pkg / "site" / "b.py", ns=(10**18, 10**18))
    assert buildclient.package_stamps(str(pkg)) != before
    (pkg / "c.py").write_text("")
    assert len(buildclient.package_stamps(str(pkg))) == 3


def test_the_key_holds_the_environment_python_starts_from():
    base = buildclient.key(environ={"HOME": "/x"})
    assert buildclient.key(environ={"HOME": "/y"}) == base  # not every variable
    assert buildclient.key(environ={"HOME": "/x", "PYTHONHASHSEED": "1"}) != base
    assert buildclient.key(environ={"HOME": "/x", "LC_ALL": "C"}) != base
    assert buildclient.key(path=[*sys.path, "/somewhere"], environ={"HOME": "/x"}) != base


def test_the_key_follows_installed_packages(tmp_path):
    site = tmp_path / "site-packages"
    site.mkdir()
    before = buildclient.key(path=[str(site)], environ={})
    (site / "newpkg").mkdir()  # pip install adds a directory
    os.utime(site, ns=(10**18, 10**18))
    assert buildclient.key(path=[str(site)], environ={}) != before


def test_only_a_private_directory_is_trusted(tmp_path):
    mine = tmp_path / "rt"
    assert buildclient.private_dir(str(mine), create=True)
    assert stat.S_IMODE(os.stat(mine).st_mode) == 0o700
    os.chmod(mine, 0o755)
    assert not buildclient.private_dir(str(mine))
    link = tmp_path / "link"
    os.chmod(mine, 0o700)
    link.symlink_to(mine)
    assert not buildclient.private_dir(str(link))
    assert not buildclient.private_dir(str(tmp_path / "missing"))


def test_runtime_dir_choice(tmp_path):
    assert buildclient.runtime_dir({"CRMGEN_RUNTIME_DIR": "/r"}) == "/r"
    assert buildclient.runtime_dir({"XDG_RUNTIME_DIR": str(tmp_path)}) == str(tmp_path / "crmgen")
    assert buildclient.runtime_dir({"TMPDIR": "/t"}) == f"/t/crmgen-{os.getuid()}"


def test_messages_round_trip_in_pieces():
    import threading

    a, b = socket.socketpair()
    with a, b:
        big = {"env": {f"K{i}": "v" * 100 for i in range(3000)}, "argv": ["crmgen", "build"]}
        data = buildclient.pack(("hello", 1)) + buildclient.pack(big)

        def send() -> None:
            for piece in (data[:3], data[3:4000], data[4000:]):
                a.sendall(piece)
            a.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        assert buildclient.receive(b) == ("hello", 1)
        assert buildclient.receive(b) == big
        assert buildclient.receive(b) is None
        sender.join()


def test_preload_names_keep_installed_modules_not_the_projects(tmp_path, monkeypatch):
    project_mod = type(sys)("hooks")
    project_mod.__spec__ = type("S", (), {"origin": str(tmp_path / "hooks.py")})()
    main_mod = sys.modules["__main__"]
    modules = {"__main__": main_mod, "os": os, "hooks": project_mod, "crmgen.buildclient": buildclient,
               "json": __import__("json"), "gone": None}
    names = buildclient.preload_names(modules, sys.path)
    assert names == ["os", "crmgen.buildclient", "json"]


# -- real servers -----------------------------------------------------------------------

@pytest.fixture
def runtime():
    """A short runtime directory (socket paths are limited to ~100 bytes); its servers are
    stopped at the end."""
    path = tempfile.mkdtemp(prefix="crmrt", dir="/tmp")
    yield path
    for lock in Path(path).glob("*.lock"):
        pid = buildclient.holder(str(lock))
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
    shutil.rmtree(path, ignore_errors=True)


def _env(runtime: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update({"CRMGEN_BUILD_SERVER": "1", "CRMGEN_RUNTIME_DIR": runtime, "CRMGEN_BUILD_SERVER_IDLE": "60",
                "NO_COLOR": "1", **extra})
    return env


def _build(root: Path, env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), "build", "--today", TODAY, *args],
                          capture_output=True, text=True, env=env, cwd=cwd or root, timeout=300)


def _wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _serving(runtime: str) -> bool:
    return any(Path(runtime).glob("build-*.sock"))


def _server_pid(runtime: str) -> int:
    locks = list(Path(runtime).glob("build-*.lock"))
    assert len(locks) == 1, locks
    pid = buildclient.holder(str(locks[0]))
    assert pid
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie until init reaps it counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def bigger(tmp_path):
    """A book whose full build takes a few seconds: time to interrupt it."""
    root = tmp_path / "bigger"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "80", str(root)],
                   check=True, capture_output=True)
    return root


def _same_tree(a: Path, b: Path) -> list[str]:
    """Files that differ or exist on one side only."""
    out = []
    cmp = filecmp.dircmp(a, b)
    stack = [("", cmp)]
    while stack:
        prefix, c = stack.pop()
        out += [prefix + n for n in c.left_only + c.right_only + c.funny_files]
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        out += [prefix + n for n in mismatch + errors]
        stack += [(f"{prefix}{name}/", sub) for name, sub in c.subdirs.items()]
    return out


def _same_as_a_full_build(root: Path, env: dict[str, str], out: Path) -> list[str]:
    """Files of ``root``'s site that differ from a ``--full`` build in a process of its own."""
    full = subprocess.run(
        [sys.executable, "-m", "crmgen", "-C", str(root), "build", "--today", TODAY, "--full", "-d", str(out)],
        capture_output=True, text=True, env={**env, "CRMGEN_BUILD_SERVER": "0"}, timeout=300,
    )
    assert full.returncode == 0, full.stderr
    return _same_tree(root / "site", out)


@pytest.mark.slow
def test_a_build_starts_the_server_and_the_next_builds_are_served(samples, runtime, tmp_path):
    env = _env(runtime)
    stats = tmp_path / "stats"
    first = _build(samples, {**env, "CRMGEN_BUILD_STATS": str(stats)})
    assert first.returncode == 0, first.stderr
    assert not stats.exists()  # built in its own process
    assert _wait_for(lambda: _serving(runtime)), list(Path(runtime).iterdir())

    client = next(iter(sorted((samples / "clients").glob("*.md"))))
    with client.open("a", encoding="utf-8") as f:
        f.write("\n## 2026-11-20\n\nServed edit: 新的记录.\n")
    served = _build(samples, {**env, "CRMGEN_BUILD_STATS": str(stats)})
    assert served.returncode == 0, served.stderr
    report = eval(stats.read_text())  # noqa: S307 - our own repr of a dict of numbers
    assert report["served"] is True and report["pid"] != _server_pid(runtime)
    assert report["utime"] > 0 and report["maxrss_kb"] > 10_000
    assert "(1 changed)" in served.stderr and served.stderr.startswith("Built ")
    page = (samples / "site" / "clients" / client.stem / "index.html").read_text(encoding="utf-8")
    assert "新的记录" in page

    # the served, incremental site is the site a full build in its own process makes
    assert _same_as_a_full_build(samples, env, tmp_path / "full") == []


@pytest.mark.slow
def test_served_builds_keep_exit_codes_streams_and_working_directory(samples, runtime, tmp_path):
    env = _env(runtime)
    assert _build(samples, env).returncode == 0
    assert _wait_for(lambda: _serving(runtime))
    stats = tmp_path / "stats"
    broken = samples / "clients" / "zz-broken.md"
    broken.write_text("---\nname: [unclosed\n---\n", encoding="utf-8")
    bad = _build(samples, {**env, "CRMGEN_BUILD_STATS": str(stats)})
    assert bad.returncode == 1
    assert "clients/zz-broken.md:" in bad.stderr and "error" in bad.stderr
    assert "not building" in bad.stderr
    assert stats.exists()  # it was served
    broken.unlink()

    # The installed command (its search path does not hold the working directory, as that
    # of `python -m` does): a relative -C and -d resolve against the client's working
    # directory, not the server's.
    script = shutil.which("crmgen", path=os.path.dirname(sys.executable))
    assert script
    stats.unlink()
    other = tmp_path / "elsewhere"
    other.mkdir()
    for served in (False, True):
        shutil.rmtree(other / "out-site", ignore_errors=True)
        rel = subprocess.run(
            [script, "-C", os.path.relpath(samples, other), "build", "--today", TODAY, "-d", "out-site"],
            capture_output=True, text=True, env={**env, "CRMGEN_BUILD_STATS": str(stats)}, cwd=other, timeout=300,
        )
        assert rel.returncode == 0, rel.stderr
        assert stats.exists() is served
        assert (other / "out-site" / "index.html").is_file()
        if not served:
            assert _wait_for(lambda: len(list(Path(runtime).glob("build-*.sock"))) == 2)

    usage = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(samples), "build", "--no-such-flag"],
                           capture_output=True, text=True, env=env, timeout=60, cwd=samples)
    assert usage.returncode == 2 and "No such option" in usage.stderr


def _served_full_build(root: Path, runtime: str, **popen: object) -> tuple[int, subprocess.Popen, list[int], dict]:
    """A server started by a first build, then a served `build --full` running: the server's
    pid, the client, the served build's pids and the environment."""
    env = _env(runtime)
    assert _build(root, env).returncode == 0
    assert _wait_for(lambda: _serving(runtime))
    server = _server_pid(runtime)
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmgen", "-C", str(root), "build", "--today", TODAY, "--full"],
        env=env, cwd=root, **popen,
    )
    # the served build is the server's child: wait until it runs
    assert _wait_for(lambda: _children(server), 20), "no served build started"
    return server, proc, _children(server), env


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


@pytest.mark.slow
def test_ctrl_c_reaches_the_served_build(bigger, runtime):
    server, proc, builds, env = _served_full_build(bigger, runtime, stdout=subprocess.PIPE,
                                                   stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # well into the build (a full one of 80 clients takes seconds)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Aborted" in err or "Interrupted" in err or proc.returncode == 130, err
    assert _wait_for(lambda: not any(_alive(p) for p in builds), 20)
    assert _alive(server)  # the server goes on
    again = _build(bigger, env)
    assert again.returncode == 0, again.stderr


@pytest.mark.slow
def test_a_client_killed_takes_its_build_with_it(bigger, runtime):
    server, proc, builds, env = _served_full_build(bigger, runtime, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL)
    proc.kill()
    proc.wait()
    assert _wait_for(lambda: not any(_alive(p) for p in builds), 20)
    time.sleep(0.5)
    assert _alive(server)  # and it serves the next build
    stats = Path(runtime) / "stats"
    again = _build(bigger, {**env, "CRMGEN_BUILD_STATS": str(stats)})
    assert again.returncode == 0, again.stderr
    assert stats.exists()


@pytest.mark.slow
def test_the_server_stops_when_idle_or_its_socket_goes(samples, runtime):
    assert _build(samples, _env(runtime, CRMGEN_BUILD_SERVER_IDLE="3")).returncode == 0
    assert _wait_for(lambda: _serving(runtime))
    pid = _server_pid(runtime)
    assert _wait_for(lambda: not _alive(pid), 15)
    assert not _serving(runtime)
    log = next(Path(runtime).glob("build-*.log")).read_text()
    assert "ready:" in log and "stopped: idle" in log

    assert _build(samples, _env(runtime)).returncode == 0  # nobody answered: it starts another
    assert _wait_for(lambda: _serving(runtime))
    pid = _server_pid(runtime)
    next(Path(runtime).glob("build-*.sock")).unlink()
    assert _wait_for(lambda: not _alive(pid), 15)


@pytest.mark.slow
def test_no_server_in_ci_or_when_turned_off(samples, runtime):
    assert _build(samples, {**_env(runtime), "CI": "true"}).returncode == 0
    assert _build(samples, _env(runtime, CRMGEN_BUILD_SERVER="0")).returncode == 0
    time.sleep(1.5)
    assert not _serving(runtime) and not list(Path(runtime).glob("*.lock"))


@pytest.mark.slow
def test_a_server_of_another_key_refuses(samples, runtime, tmp_path):
    """A client never gets a build from a server started for another crmgen or Python."""
    env = _env(runtime)
    assert _build(samples, env).returncode == 0
    assert _wait_for(lambda: _serving(runtime))
    path = str(next(Path(runtime).glob("build-*.sock")))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        req = buildclient.request(["build"], b"another key")
        data = buildclient.pack(req)
        sent = socket.send_fds(sock, [data], [0, 1, 2])
        if sent < len(data):
            sock.sendall(data[sent:])
        assert buildclient.receive(sock) == ("refused", "another crmgen or Python")


def test_the_server_imports_what_the_build_imported_and_no_more(tmp_path):
    """jieba imports pkg_resources (a tenth of a second) unless it is kept out, as a build
    keeps it out: the server's imports follow the build's list, so it stays out there too."""
    base = tmp_path / "build-x"
    with open(f"{base}.modules", "wb") as f:
        marshal.dump(["jieba._compat", "jieba", "json"], f)
    code = (
        "import sys; from crmgen import buildserver; buildserver.preload(sys.argv[1]); "
        "print('jieba' in sys.modules, 'pkg_resources' in sys.modules, 'json' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(base)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "True"]


@pytest.mark.slow
def test_the_server_learns_what_served_builds_import(samples, runtime):
    """A server started by a build that stopped early (a broken file) learns, from the first
    served build that renders, the modules rendering needs, and imports them for the next."""
    env = _env(runtime)
    broken = samples / "clients" / "zz-broken.md"
    broken.write_text("---\nname: [unclosed\n---\n", encoding="utf-8")
    assert _build(samples, env).returncode == 1
    assert _wait_for(lambda: _serving(runtime))
    listed = next(Path(runtime).glob("build-*.modules"))
    assert "crmgen.dashboard" not in marshal.loads(listed.read_bytes())
    broken.unlink()
    assert _build(samples, env).returncode == 0
    assert "crmgen.dashboard" in marshal.loads(listed.read_bytes())
    log = next(Path(runtime).glob("build-*.log"))
    assert _wait_for(lambda: "learnt:" in log.read_text(), 20), log.read_text()
    assert _build(samples, env).returncode == 0


def test_only_a_held_lock_names_a_server(tmp_path):
    """A dead server's lock file still holds its pid, which may be another process's by now."""
    import fcntl

    lock = tmp_path / "build-x.lock"
    lock.write_text(f"{os.getpid()}\n")
    assert buildclient.holder(str(lock)) is None
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # another open file description, as a separate process would have
        assert subprocess.run(
            [sys.executable, "-c", "import sys; from crmgen import buildclient; print(buildclient.holder(sys.argv[1]))",
             str(lock)], capture_output=True, text=True, check=True).stdout.strip() == str(os.getpid())
    finally:
        os.close(fd)
    assert buildclient.holder(str(tmp_path / "missing.lock")) is None


@pytest.mark.parametrize("answer", [b"\x00\x00\x00\x03abc", buildclient.pack(("pid",)), b""])
def test_a_client_answered_nonsense_builds_in_its_own_process(monkeypatch, runtime, answer):
    import threading

    monkeypatch.setenv("CRMGEN_RUNTIME_DIR", runtime)
    monkeypatch.setenv("CRMGEN_BUILD_SERVER", "1")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(buildclient, "_WANTED", None)
    os.chmod(runtime, 0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(buildclient.address(buildclient.key()))
    listener.listen(1)

    def serve_nonsense() -> None:
        conn, _ = listener.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
            for fd in fds:
                os.close(fd)
            conn.sendall(answer)

    thread = threading.Thread(target=serve_nonsense)
    thread.start()
    try:
        assert buildclient.serve_build(["build"]) is None
    finally:
        thread.join(10)
        listener.close()
    # and a real server is started there when the build ends
    assert buildclient._WANTED == buildclient.address(buildclient.key())


def test_the_server_fills_the_caches_of_what_is_installed(tmp_path):
    """What every build would look up in the installed packages' metadata (MkDocs' themes,
    the versions in the slug and segmentation memos) is looked up once, in the server."""
    code = (
        "import sys; from crmgen import buildserver; buildserver.preload(sys.argv[1]); "
        "from mkdocs import utils; from crmgen import slugs, segment; "
        "print(*(f.cache_info().currsize for f in (utils.get_themes, slugs._memo_key, segment._versions)), "
        "'_strptime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "build-x")],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1", "1", "True"]


def _children(pid: int) -> set[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return {int(p) for p in f.read().split()}
    except OSError:
        return set()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads a process's children from /proc")
def test_the_next_build_runs_in_a_spare_that_hides_no_change(samples, runtime, tmp_path):
    """After a served build the server forks a spare that reads ahead what the next build
    reads (crmgen.warm); the next build with the same arguments runs in it, and sees every
    change made since: to mkdocs.yml, to a client."""
    env = _env(runtime)
    stats = tmp_path / "stats"
    assert _build(samples, env).returncode == 0  # in its own process: starts the server
    assert _wait_for(lambda: _serving(runtime))
    server = _server_pid(runtime)
    assert _build(samples, env).returncode == 0  # served, by a fresh child: no build before it
    assert _wait_for(lambda: len(_children(server)) == 1)
    (spare,) = _children(server)

    config = samples / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("site_name:", "site_name: Spare 备用 #"),
                      encoding="utf-8")
    client = sorted((samples / "clients").glob("*.md"))[0]
    with client.open("a", encoding="utf-8") as f:
        f.write("\n## 2026-11-20\n\nRead ahead: 预读之后.\n")
    served = _build(samples, {**env, "CRMGEN_BUILD_STATS": str(stats)})
    assert served.returncode == 0, served.stderr
    assert eval(stats.read_text())["pid"] == spare  # noqa: S307 - our own repr of a dict of numbers
    assert "Spare 备用" in (samples / "site" / "index.html").read_text(encoding="utf-8")
    assert "预读之后" in (samples / "site" / "clients" / client.stem / "index.html").read_text(encoding="utf-8")
    assert _same_as_a_full_build(samples, env, tmp_path / "full") == []

    # other arguments: the spare made for the last build is stopped, and a child builds
    assert _wait_for(lambda: len(_children(server)) == 1)
    (spare,) = _children(server)
    other = _build(samples, {**env, "CRMGEN_BUILD_STATS": str(stats)}, "--strict")
    assert other.returncode == 0, other.stderr
    assert eval(stats.read_text())["pid"] != spare  # noqa: S307
    assert _wait_for(lambda: not _alive(spare))

    # a server that stops takes its spare with it
    assert _wait_for(lambda: len(_children(server)) == 1)
    (spare,) = _children(server)
    next(Path(runtime).glob("build-*.sock")).unlink()
    assert _wait_for(lambda: not _alive(server), 15)
    assert _wait_for(lambda: not _alive(spare), 5)
