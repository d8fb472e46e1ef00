"""The crmgen benchmark: one command, a results table.

    python benchmarks/run.py                      # N = 100 and 1,000, 3 runs each
    python benchmarks/run.py --full               # adds N = 10,000
    python benchmarks/run.py --sizes 20 --repeat 1 --output /tmp/RESULTS.md   # smoke
    python benchmarks/run.py --profile            # pyinstrument profiles at N = 1,000

For each N it generates a synthetic book (benchmarks/generate.py, fixed seed) in
benchmarks/work/ and measures, each as its own process, wall time (median of
--repeat runs) and peak memory of:

- floor: one Python process reading every file and parsing its front matter with
  libyaml's CSafeLoader, nothing else (benchmarks/floor.py);
- ``crmgen check --no-cache`` (cold) and ``crmgen check`` with a warm cache;
- ``crmgen due``;
- ``crmgen build`` from scratch (``.crmgen/`` and the site deleted), then after
  appending an interaction to one client and with nothing changed;
- plain ``mkdocs build`` of one page per client (front matter as a list, then the
  body), out of the nav, with an index page, with the theme and plugins of the
  config ``crmgen build`` generated: what MkDocs itself costs;
- ``crmgen serve``: from saving one client to its new page being served.

Peak memory is reported twice: ``ru_maxrss`` of the command's process (from
``os.wait4``: the largest single process among it and the children it waited
for), and the peak of the summed PSS (proportional set size: a page shared by
forked processes is split among them) of its whole process tree, sampled every
0.1 s (worker pools and chunk processes count; never below the command's own
``ru_maxrss``). Results go to benchmarks/RESULTS.md (raw numbers to
benchmarks/work/results.json). A measure whose command does not exist yet is
reported as "n/a" with the reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

WORK = HERE / "work"
PY = sys.executable
TODAY = generate.ANCHOR.isoformat()
QUICK = {"floor", "check_warm", "due"}  # commands of a second or less, without side effects
QUICK_RUNS = 7
SMALL_N = 100  # at this size and below every measure takes seconds: all get QUICK_RUNS runs
COMMAND_TIMEOUT = 3600
# Before each measured build after the first, as between a user's builds (and as before
# each edit of the serve measure).
QUIET = 1.0
SERVE_START_TIMEOUT = 900
SERVE_EDIT_TIMEOUT = 300

MEASURES = [
    ("floor", "floor (read + CSafeLoader)"),
    ("check_cold", "`crmgen check --no-cache` (cold)"),
    ("check_warm", "`crmgen check` (warm cache)"),
    ("due", "`crmgen due`"),
    ("build_full", "`crmgen build` (fresh)"),
    ("build_edit", "`crmgen build` after one edit"),
    ("build_noop", "`crmgen build` with nothing changed (its fixed cost)"),
    ("mkdocs", "plain `mkdocs build`, same pages"),
    ("serve_start", "`crmgen serve` start to first page"),
    ("serve_edit", "`crmgen serve`: save to page served"),
]
# (label, numerator, denominator or None for an absolute target, limit, unit, sizes it is judged at).
# The targets of issue #14; N = 100 is reported, not judged: start-up dominates there.
JUDGED = (1000, 10000)
TARGETS = [
    ("`check` cold / floor", "check_cold", "floor", 2.0, "ratio", JUDGED),
    ("`check` warm / floor", "check_warm", "floor", 0.2, "ratio", (1000,)),
    ("`due` / `check` warm", "due", "check_warm", 1.5, "ratio", JUDGED),
    ("`build` after one edit / full", "build_edit", "build_full", 0.1, "ratio", JUDGED),
    ("`build` full / plain MkDocs", "build_full", "mkdocs", 1.0, "ratio", (10000,)),
    ("`serve`: save to page served", "serve_edit", None, 1.0, "s", (1000,)),
    ("peak memory, `build` at 10,000", "build_full", None, 1024.0, "MB", (10000,)),
]


# -- measuring one process -------------------------------------------------------

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, own user + system CPU seconds) for every process."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
            fields = stat[stat.rindex(b")") + 2:].split()
            table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
        except (OSError, ValueError, IndexError):
            continue
    return table


def _memory(pid: int) -> int:
    """Proportional set size of ``pid`` in bytes (its RSS when PSS is not available).

    PSS splits each page shared between processes (a forked worker shares the
    parent's memory until it writes to it) among them, so the sum over a
    process tree is the memory the tree really holds; summed RSS counts a shared
    page once per process.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_usage(pid: int) -> tuple[int, dict[int, float]]:
    """(summed PSS in bytes, {pid: own CPU seconds}) of ``pid`` and all its descendants."""
    if not os.path.isdir("/proc"):
        return 0, {}
    table = _proc_table()
    kids: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        kids.setdefault(parent, []).append(child)
    total, cpu, todo = 0, {}, [pid]
    while todo:
        p = todo.pop()
        if p in table:
            cpu[p] = table[p][1]
        total += _memory(p)
        todo.extend(kids.get(p, ()))
    return total, cpu


class TreeSampler(threading.Thread):
    """Samples the process tree until stopped: peak summed RSS, last CPU time of every process.

    Worker pools (multiprocessing's forkserver) are not reaped by the measured
    process, so ``os.wait4`` never sees their memory or CPU: sampling does.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.cpu: dict[int, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss, cpu = tree_usage(self.pid)
            self.peak = max(self.peak, rss)
            self.cpu.update(cpu)
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


@dataclass
class Sample:
    seconds: float
    cpu: float
    maxrss_mb: float
    tree_mb: float


class MeasureError(RuntimeError):
    pass


def measure(cmd: list[str], *, cwd: Path | None = None, ok: tuple[int, ...] = (0,),
            env: dict[str, str] | None = None) -> Sample:
    """Run ``cmd`` as a child; wall time, its ru_maxrss (os.wait4) and the tree's peak RSS."""
    env = {**child_env(), **(env or {})}
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timer = threading.Timer(COMMAND_TIMEOUT, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        peak = sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise MeasureError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    maxrss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)  # Linux: KiB
    # wait4 counts the child and the descendants it reaped; sampling also sees the
    # unreaped ones (worker pools) but misses each process's last < 0.1 s.
    cpu = max(usage.ru_utime + usage.ru_stime, sampler.cpu_seconds)
    return Sample(seconds, cpu, maxrss / 2**20, max(peak, maxrss) / 2**20)


def child_env() -> dict[str, str]:
    """The environment of every command the benchmark runs, measured or not."""
    return {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}


@dataclass
class Result:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    maxrss_mb: float = 0.0
    tree_mb: float = 0.0
    na: str | None = None

    def add(self, s: Sample) -> None:
        self.seconds.append(s.seconds)
        self.cpu.append(s.cpu)
        self.maxrss_mb = max(self.maxrss_mb, s.maxrss_mb)
        self.tree_mb = max(self.tree_mb, s.tree_mb)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds and not self.na else None

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu and not self.na else None


def log(message: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# -- the book and its baselines ----------------------------------------------------

def crmgen(project: Path) -> list[str]:
    return [PY, "-m", "crmgen", "-C", str(project)]


def has_command(project: Path, name: str) -> bool:
    proc = subprocess.run([*crmgen(project), name, "--help"], capture_output=True, text=True, cwd=project)
    return proc.returncode == 0


def plain_mkdocs_project(project: Path, out: Path) -> Path:
    """A docs dir with one page per client (front matter as a list + body) and its config.

    The theme and plugins are those of the config ``crmgen build`` generated
    (``.crmgen/mkdocs.yml``), without crmgen's hooks, template overrides and CSS;
    without it, Material with search and offline as crmgen configures them.
    """
    if out.exists():
        shutil.rmtree(out)
    docs = out / "docs"
    (docs / "clients").mkdir(parents=True)
    links = []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted((project / "clients").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        end = text.find("\n---", 3)
        meta = yaml.load(text[3:end], Loader=loader) or {}
        body = text[text.index("\n", end + 1) + 1:]
        lines = [f"# {meta.get('name', path.stem)}", ""]
        for key, value in meta.items():
            if isinstance(value, list):
                lines.append(f"- **{key}**:")
                for item in value:
                    shown = "; ".join(f"{k}: {v}" for k, v in item.items()) if isinstance(item, dict) else item
                    lines.append(f"    - {shown}")
            elif isinstance(value, dict):
                lines.append(f"- **{key}**: " + "; ".join(f"{k}: {v}" for k, v in value.items()))
            else:
                lines.append(f"- **{key}**: {value}")
        page = docs / "clients" / path.stem / "index.md"
        page.parent.mkdir()
        page.write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")
        links.append(f"- [{meta.get('name', path.stem)}](clients/{path.stem}/index.md)")
    (docs / "index.md").write_text("# Clients\n\n" + "\n".join(links) + "\n", encoding="utf-8")

    generated = project / ".crmgen" / "mkdocs.yml"
    if generated.is_file():
        config = yaml.safe_load(generated.read_text(encoding="utf-8"))
        config.pop("hooks", None)
        config.pop("extra_css", None)
        if isinstance(config.get("theme"), dict):
            config["theme"].pop("custom_dir", None)
    else:
        config = {
            "INHERIT": str(project / "mkdocs.yml"),
            "use_directory_urls": False,
            "theme": {"name": "material", "font": False},
            "plugins": ["search", "offline"],
        }
    config.update({
        "site_name": "Plain MkDocs baseline",
        "docs_dir": str(docs),
        "site_dir": str(out / "site"),
        "nav": [{"Clients": "index.md"}],
        "not_in_nav": "/clients/*/\n",
    })
    cfg = out / "mkdocs.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return cfg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError):
        return None


def serve_command(project: Path, port: int) -> list[str]:
    help_text = subprocess.run([*crmgen(project), "serve", "--help"], capture_output=True, text=True,
                               cwd=project).stdout
    cmd = [*crmgen(project), "serve"]
    if "--port" in help_text:
        cmd += ["--port", str(port)]
        if "--host" in help_text:
            cmd += ["--host", "127.0.0.1"]
    elif "--dev-addr" in help_text or "-a," in help_text:
        cmd += ["--dev-addr", f"127.0.0.1:{port}"]
    if "--today" in help_text:
        cmd += ["--today", TODAY]
    return cmd


def measure_serve(project: Path, slugs: list[str], repeat: int, results: dict[str, Result]) -> None:
    """Start serve, wait for the first page, then time save -> new page served ``repeat`` times."""
    port = free_port()
    cmd = serve_command(project, port)
    # Without a site, the first page served is the first complete build (the parse
    # cache and build state in .crmgen/ stay, as after an earlier build).
    shutil.rmtree(project / "site", ignore_errors=True)
    base = f"http://127.0.0.1:{port}/"
    log_file = tempfile.TemporaryFile()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, "NO_COLOR": "1"}, cwd=project)
    sampler = TreeSampler(proc.pid, 0.2)
    sampler.start()
    start_r, edit_r = results["serve_start"], results["serve_edit"]
    try:
        while fetch(base) is None:
            if proc.poll() is not None or time.perf_counter() - started > SERVE_START_TIMEOUT:
                log_file.seek(0)
                tail = log_file.read().decode("utf-8", "replace")[-1500:]
                why = "exited" if proc.poll() is not None else "did not serve in time"
                raise MeasureError(f"{' '.join(cmd)} {why}:\n{tail}")
            time.sleep(0.05)
        start_r.seconds.append(time.perf_counter() - started)

        def edit_and_wait(k: int) -> float:
            slug = slugs[(len(slugs) * (k + 1)) // (repeat + 2)]
            url = f"{base}clients/{slug}/index.html"
            marker = f"serve-{os.getpid()}-{k}-{time.time_ns()}"
            time.sleep(1.0)  # let the server settle after the last rebuild
            t0 = time.perf_counter()
            generate.append_interaction(project / "clients" / f"{slug}.md", marker)
            while True:
                page = fetch(url)
                if page is not None and marker in page:
                    return time.perf_counter() - t0
                if proc.poll() is not None or time.perf_counter() - t0 > SERVE_EDIT_TIMEOUT:
                    raise MeasureError(f"serve: the edit to {slug} was not served within "
                                       f"{SERVE_EDIT_TIMEOUT} s ({url})")
                time.sleep(0.02)

        # One unmeasured edit first: whatever the server still does after its first
        # page (finishing a build, warming caches) is over once that edit is served.
        edit_and_wait(repeat)
        for k in range(repeat):
            edit_r.seconds.append(edit_and_wait(k))
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=15)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        peak = sampler.stop() / 2**20
        for r in (start_r, edit_r):
            r.tree_mb = peak
        log_file.close()


# -- one size --------------------------------------------------------------------

def bench_size(n: int, repeat: int, seed: int, *, serve: bool = True,
               only: set[str] | None = None) -> dict[str, Result]:
    """Every measure at one size (or those in ``only``)."""
    project = WORK / f"book-{n}"
    if project.exists():
        shutil.rmtree(project)
    log(f"N={n}: generating the book in {project}")
    slugs = generate.generate(n, project, seed, git=True)
    results = {key: Result() for key, _ in MEASURES}
    crm = crmgen(project)

    def runs(key: str) -> int:
        # At small N the builds take a few seconds: their ratios flip around a limit with
        # one slow run of three, so they get as many runs as the quick measures.
        return max(repeat, QUICK_RUNS) if key in QUICK or n <= SMALL_N else repeat

    def run(key: str, cmd: list[str], before=None, ok=(0,), env=None) -> None:
        run_together([(key, cmd, before, ok, env)])

    def run_together(specs: list[tuple]) -> None:
        """Measure ``(key, cmd, before, ok, env)`` specs in turns, one run of each per round: the
        two sides of a ratio then see the same machine (a shared one drifts by tens of percent
        within a minute; measured one after the other, a ratio took that drift for a difference)."""
        active = []
        for spec in specs:
            if only is not None and spec[0] not in only:
                results[spec[0]].na = "not run (--only)"
            else:
                active.append(spec)
        failed: set[str] = set()
        # A tenth of a second varies by tens of percent from run to run on a shared
        # machine: the quick measures behind a ratio get more runs for their median.
        for k in range(max((runs(spec[0]) for spec in active), default=0)):
            for key, cmd, before, ok, env in active:
                if key in failed or k >= runs(key):
                    continue
                try:
                    if before is not None:
                        before(k)
                    results[key].add(measure(cmd() if callable(cmd) else cmd, cwd=project, ok=ok, env=env))
                except MeasureError as exc:
                    results[key].na = f"failed: {str(exc).strip().splitlines()[-1][:160]}"
                    failed.add(key)
                    log(f"N={n}: {key}: {exc}")
        for key, *_ in active:
            r = results[key]
            if key not in failed:
                log(f"N={n}: {key}: median {r.median:.3f} s, peak {r.maxrss_mb:.0f} MB (tree {r.tree_mb:.0f} MB)")

    def missing(keys: list[str], why: str) -> None:
        for key in keys:
            results[key].na = why
        log(f"N={n}: {', '.join(keys)}: {why}")

    floor = ("floor", [PY, str(HERE / "floor.py"), str(project)], None, (0,), None)
    if has_command(project, "check"):
        run_together([floor, ("check_cold", [*crm, "check", "--no-cache"], None, (0,), None)])
        subprocess.run([*crm, "check"], capture_output=True, cwd=project)  # fill the cache
        warm = ("check_warm", [*crm, "check"], None, (0,), None)
    else:
        run_together([floor])
        missing(["check_cold", "check_warm"], "n/a (no `crmgen check` yet)")
        warm = None
    if has_command(project, "due"):
        run_together([*([warm] if warm else []), ("due", [*crm, "due", "--today", TODAY], None, (0,), None)])
    else:
        if warm:
            run_together([warm])
        missing(["due"], "n/a (no `crmgen due` yet)")

    if has_command(project, "build"):
        def fresh(_k: int) -> None:
            for d in (project / ".crmgen", project / "site"):
                shutil.rmtree(d, ignore_errors=True)

        def edit(k: int) -> None:
            time.sleep(QUIET)
            slug = slugs[(len(slugs) * (k + 1)) // (runs("build_edit") + 1)]
            generate.append_interaction(project / "clients" / f"{slug}.md", f"build-edit-{k}")

        def quiet(_k: int) -> None:
            time.sleep(QUIET)

        build = [*crm, "build", "--today", TODAY]
        plain = WORK / f"plain-{n}" / "mkdocs.yml"

        def clean_plain(_k: int) -> None:
            if not plain.is_file():
                # its theme and plugins are those of the config the first measured build generated
                assert plain_mkdocs_project(project, plain.parent) == plain
            shutil.rmtree(plain.parent / "site", ignore_errors=True)

        # a first build and plain MkDocs in turns (see run_together)
        shutil.rmtree(plain.parent, ignore_errors=True)
        run_together([("build_full", build, fresh, (0,), None),
                      ("mkdocs", [PY, "-m", "mkdocs", "build", "-q", "-f", str(plain)], clean_plain, (0,), None)])
        if results["build_full"].na is None:
            run("build_edit", build, before=edit)
            run("build_noop", build, before=quiet)
        elif results["build_full"].na.startswith("not run"):
            if only is None or "build_edit" in only:
                fresh(0)
                subprocess.run(build, capture_output=True, cwd=project, env=child_env())  # the build to edit on
            run("build_edit", build, before=edit)
        else:
            missing(["build_edit"], "n/a (the full build failed)")
    else:
        missing(["build_full", "build_edit"], "n/a (no `crmgen build` yet)")

    if (only is None or "mkdocs" in only) and results["mkdocs"].na is None and not results["mkdocs"].seconds:
        # no crmgen build to measure it beside: on its own
        cfg = plain_mkdocs_project(project, WORK / f"plain-{n}")

        def clean_alone(_k: int) -> None:
            shutil.rmtree(cfg.parent / "site", ignore_errors=True)

        run("mkdocs", [PY, "-m", "mkdocs", "build", "-q", "-f", str(cfg)], before=clean_alone)
    elif only is not None and "mkdocs" not in only:
        results["mkdocs"].na = "not run (--only)"

    if only is not None and not {"serve_start", "serve_edit"} & only:
        results["serve_start"].na = results["serve_edit"].na = "not run (--only)"
    elif not serve:
        missing(["serve_start", "serve_edit"], "not run (--no-serve)")
    elif not has_command(project, "serve"):
        missing(["serve_start", "serve_edit"], "n/a (no `crmgen serve` yet)")
    else:
        try:
            measure_serve(project, slugs, repeat, results)
            log(f"N={n}: serve: start {results['serve_start'].median:.2f} s, "
                f"save to served median {results['serve_edit'].median:.3f} s")
        except MeasureError as exc:
            results["serve_start"].na = results["serve_edit"].na = (
                f"failed: {str(exc).strip().splitlines()[-1][:160]}")
            log(f"N={n}: serve: {exc}")
    return results


# -- the report ------------------------------------------------------------------

def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "cores": str(os.cpu_count()),
        "memory": mem,
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "crmgen": version("crmgen") + " @ " + (
            f"{os.environ['CRMGEN_BENCH_SNAPSHOT']} (committed snapshot)" if os.environ.get("CRMGEN_BENCH_SNAPSHOT")
            else f"{_git('rev-parse', '--short', 'HEAD')} + working tree"),
        "mkdocs": version("mkdocs"),
        "mkdocs-material": version("mkdocs-material"),
        "pyyaml": version("pyyaml"),
        "libyaml": "yes" if getattr(yaml, "__with_libyaml__", False) else "no",
        "jieba": version("jieba"),
        "load average at start": load,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _fmt(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def report(all_results: dict[int, dict[str, Result]], info: dict[str, str], repeat: int, seed: int,
           started: dt.datetime, seconds: float) -> str:
    sizes = sorted(all_results)
    out = ["# Benchmark results", "",
           "Written by `python benchmarks/run.py` (see benchmarks/README.md); do not edit by hand.", "",
           f"Date (last run): {started:%Y-%m-%d %H:%M} UTC; sizes {', '.join(f'{n:,}' for n in sizes)}; "
           "runs per measure (the median counts): " + ", ".join(
               f"{max((len(x.seconds) for x in all_results[n].values()), default=0)} at N={n:,}" for n in sizes)
           + f"; seed {seed}"
           + (f"; the last run took {seconds / 60:.1f} min (--keep keeps sizes from earlier runs)." if seconds else "."),
           "", "| machine | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in info.items()]
    out += ["", "The machine is shared: absolute times drift, ratios are what count. Ratios are of "
            "median wall times; in brackets the same ratio of median CPU times (user + system of the "
            "whole process tree, worker pools included), which drifts less when the machine is busy. "
            "Peak MB: `ru_maxrss` of the command's process (largest single process); "
            "tree MB: peak of the summed PSS (shared pages split among the processes sharing them) "
            "of the process and its children (worker pools, build chunks), sampled every 0.1 s; "
            "the memory target is checked against it.", ""]

    out += ["## Targets", "", "| target | limit | " + " | ".join(f"N={n:,}" for n in sizes) + " | verdict |",
            "|---|---|" + "---|" * len(sizes) + "---|"]
    for label, num, den, limit, unit, at in TARGETS:
        cells, verdicts = [], []
        for n in sizes:
            r = all_results[n]
            value: float | None = None
            cpu_ratio = ""
            if unit == "ratio":
                a, b = r[num].median, r[den].median
                value = a / b if a is not None and b else None
                ca, cb = r[num].cpu_median, r[den].cpu_median
                if ca is not None and cb and not num.startswith("serve"):
                    cpu_ratio = f" (CPU {ca / cb:.2f})"
            elif unit == "s":
                value = r[num].median
            elif unit == "MB":
                value = r[num].tree_mb if r[num].na is None and r[num].seconds else None
            if value is None:
                why = r[num].na or (r[den].na if den else None) or "not measured"
                cells.append("n/a")
                if n in at:
                    verdicts.append(why if why.startswith(("n/a", "not run")) else f"n/a ({why})")
                continue
            shown = f"{value:.2f}" if unit != "MB" else f"{value:.0f} MB"
            if unit == "s":
                shown += " s"
            ok = value <= limit
            applies = n in at
            cells.append((f"{shown} {'PASS' if ok else 'FAIL'}" if applies else shown) + cpu_ratio)
            if applies:
                verdicts.append("PASS" if ok else f"FAIL at N={n:,}")
        for needed in (n for n in at if n not in sizes):
            note = f"not run (needs N={needed:,}{', --full' if needed == 10000 else ''})"
            guess = _extrapolate(all_results, num, unit, needed)
            if guess is not None:
                note += f"; straight line through the two largest sizes gives ~{guess:.0f} {unit}"
                note += f" ({'under' if guess <= limit else 'OVER'} the limit)"
            verdicts.append(note)
        verdict = "PASS" if verdicts and all(v == "PASS" for v in verdicts) else "; ".join(
            dict.fromkeys(v for v in verdicts if v != "PASS")) or "n/a"
        lim = f"≤ {limit:g}" + ("" if unit == "ratio" else f" {unit if unit != 'MB' else 'MB (1 GiB)'}")
        out.append(f"| {label} | {lim} | " + " | ".join(cells) + f" | {verdict} |")
    out += ["| git history: one pass, not one process per file | structural | "
            + " | ".join("—" for _ in sizes) + " | see `crmgen/history.py` (one `git log`) |", ""]

    for n in sizes:
        r = all_results[n]
        out += [f"## N = {n:,}", "",
                "| measure | median s | runs (s) | ms per client | CPU s | peak MB | tree MB |",
                "|---|---:|---|---:|---:|---:|---:|"]
        for key, label in MEASURES:
            res = r[key]
            if res.na or not res.seconds:
                out.append(f"| {label} | {res.na or 'n/a'} | | | | | |")
                continue
            per = "" if key.startswith("serve") else f"{1000 * res.median / n:.2f}"
            runs = ", ".join(f"{s:.2f}" for s in res.seconds)
            peak = f"{res.maxrss_mb:.0f}" if res.maxrss_mb else "—"
            cpu = "—" if res.cpu_median is None else f"{res.cpu_median:.2f}"
            out.append(f"| {label} | {res.median:.3f} | {runs} | {per} | {cpu} | {peak} | {res.tree_mb:.0f} |")
        out.append("")

    if len(sizes) > 1:
        out += ["## Linearity", "",
                "Marginal cost per client between successive sizes, (t(N2) - t(N1)) / (N2 - N1), in ms. "
                "Cost grows linearly when the marginal cost stays flat as N grows (the per-client "
                "column above also carries each command's fixed start-up cost, large at small N).", "",
                "| measure | " + " | ".join(f"{a:,} → {b:,}" for a, b in itertools.pairwise(sizes)) + " |",
                "|---|" + "---:|" * (len(sizes) - 1)]
        for key, label in MEASURES:
            if key.startswith("serve"):
                continue
            cells = []
            for a, b in itertools.pairwise(sizes):
                ta, tb = all_results[a][key].median, all_results[b][key].median
                cells.append("—" if ta is None or tb is None else f"{1000 * (tb - ta) / (b - a):.2f}")
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("")
    profile = HERE / "PROFILE.md"
    if profile.is_file():
        out += ["## Where the time goes", "",
                "From [PROFILE.md](PROFILE.md) (`python benchmarks/run.py --profile`, pyinstrument, its "
                "own date and code version; call trees there): own time by package, the top rows.", ""]
        out += _profile_summary(profile.read_text(encoding="utf-8"))
    return "\n".join(out)


def _profile_summary(text: str, rows: int = 6) -> list[str]:
    """Each profile's title, wall time and the first rows of its by-package table."""
    out: list[str] = []
    for section in text.split("\n## ")[1:]:
        lines = section.splitlines()
        table = next((i for i, line in enumerate(lines) if line.startswith("| package")), None)
        if table is None:
            continue
        total = next((line for line in lines if line.startswith("| total (wall)")), "")
        wall = total.split("|")[2].strip() if total.count("|") >= 3 else "?"
        body = [line for line in lines[table + 2:] if line.startswith("|")]
        body = body[:next((i for i, line in enumerate(body) if not line.strip()), len(body))]
        out += [f"**{lines[0]}** ({wall} s under the profiler):", "", lines[table], lines[table + 1],
                *body[:rows], ""]
    return out


def _extrapolate(all_results: dict[int, dict[str, Result]], key: str, unit: str, at: int) -> float | None:
    """The value at ``at`` on the straight line through the two largest measured sizes."""
    points = []
    for n in sorted(all_results):
        r = all_results[n][key]
        value = r.tree_mb if unit == "MB" else r.median
        if r.na is None and r.seconds and value:
            points.append((n, value))
    if len(points) < 2:
        return None
    (n1, v1), (n2, v2) = points[-2:]
    return v2 + (v2 - v1) / (n2 - n1) * (at - n2)


# -- profiles --------------------------------------------------------------------

PROFILE_LINES = 110


def profile(n: int, seed: int, output: Path) -> None:
    """pyinstrument on check --no-cache (as is, and serial), due and build; tops into PROFILE.md."""
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        sys.exit("pyinstrument is not installed: pip install -e '.[bench]'")
    project = WORK / f"book-{n}"
    if project.exists():
        shutil.rmtree(project)
    log(f"profile: generating N={n}")
    slugs = generate.generate(n, project, seed, git=True)
    serial = ("import sys, crmgen.load.book as b; b.PARALLEL_MIN = 10**12; "
              "from crmgen.cli import main; sys.argv[0] = 'crmgen'; main()")
    runs = [
        ("`crmgen check --no-cache`", ["-m", "crmgen", "-C", str(project), "check", "--no-cache"], None),
        ("`crmgen check --no-cache`, parsing forced serial (to see inside the workers)",
         ["-c", serial, "-C", str(project), "check", "--no-cache"], None),
        ("`crmgen due` (warm cache)", ["-m", "crmgen", "-C", str(project), "due", "--today", TODAY], None),
        ("`crmgen build` (fresh)", ["-m", "crmgen", "-C", str(project), "build", "--today", TODAY], "fresh"),
        ("`crmgen build` after one edit", ["-m", "crmgen", "-C", str(project), "build", "--today", TODAY],
         "edit"),
    ]
    parts = ["# Where the time goes", "",
             f"pyinstrument {version('pyinstrument')} at N = {n:,} "
             f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores). "
             "Written by `python benchmarks/run.py --profile`. Each section: the busiest functions "
             "by own time, then the top of the call tree (frames under 2% hidden). pyinstrument "
             "sees the main process only: time spent in worker processes shows as waiting.", ""]
    subprocess.run([PY, "-m", "crmgen", "-C", str(project), "check"], capture_output=True, cwd=project)
    for title, args, prep in runs:
        if prep == "fresh":
            for d in (project / ".crmgen", project / "site"):
                shutil.rmtree(d, ignore_errors=True)
        elif prep == "edit":
            generate.append_interaction(project / "clients" / f"{slugs[len(slugs) // 2]}.md", "profile-edit")
        log(f"profile: {title}")
        with tempfile.TemporaryDirectory() as tmp:
            session = Path(tmp) / "p.pyisession"
            proc = subprocess.run([PY, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session), *args],
                                  capture_output=True, text=True, cwd=project)
            if not session.is_file():
                parts += [f"## {title}", "", f"n/a (profiling failed: {proc.stderr.strip()[-300:]})", ""]
                continue
            text = subprocess.run(
                [PY, "-m", "pyinstrument", "--load", str(session), "-r", "text", "--no-color", "--unicode",
                 "-p", "processor_options.filter_threshold=0.02",
                 "--show-regex", ".*/(crmgen|mkdocs|material|markdown|jieba|icalendar|pypinyin)/.*"],
                capture_output=True, text=True).stdout
            flat = _flat_top(session)
        tree = "\n".join(text.splitlines()[:PROFILE_LINES])
        parts += [f"## {title}", "", "Own time, top 15:", "", flat, "", "Call tree:", "", "```text", tree, "```", ""]
    parts += _import_times(project)
    output.write_text("\n".join(parts), encoding="utf-8")
    log(f"profile: wrote {output}")


def _import_times(project: Path, top: int = 15) -> list[str]:
    """Start-up cost: the slowest imports of ``crmgen check`` (python -X importtime)."""
    proc = subprocess.run([PY, "-X", "importtime", "-m", "crmgen", "-C", str(project), "check"],
                          capture_output=True, text=True, cwd=project)
    rows = []
    for line in proc.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(fields) != 3:
            continue
        try:
            own_us, cum_us = int(fields[0]), int(fields[1])
        except ValueError:  # the header line
            continue
        depth = (len(fields[2]) - len(fields[2].lstrip()) - 1) // 2
        rows.append((cum_us, own_us, depth, fields[2].strip()))
    total = sum(c for c, _, d, _ in rows if d == 0)
    out = ["## Start-up: imports of `crmgen check`", "",
           f"`python -X importtime`: {total / 1e6:.2f} s of imports in all (top-level modules summed). "
           "Slowest imports by cumulative time (depth 0 = imported by the interpreter or "
           "`-m`, 1 = by those, ...; a module's time includes its children's):", "",
           "| module | depth | cumulative s | own s |", "|---|---:|---:|---:|"]
    for cum, own, depth, name in sorted((r for r in rows if r[3] != "site"), reverse=True)[:top]:
        out.append(f"| `{name}` | {depth} | {cum / 1e6:.3f} | {own / 1e6:.3f} |")
    out += ["", "Most own time (the module's own code, children excluded):", "",
            "| module | own s |", "|---|---:|"]
    for own, name in sorted(((r[1], r[3]) for r in rows), reverse=True)[:10]:
        out.append(f"| `{name}` | {own / 1e6:.3f} |")
    return [*out, ""]


def _flat_top(session: Path, top: int = 15) -> str:
    """Own (self) time by package and by function in a pyinstrument session.

    Built-in functions (C code such as regex matching or waiting on a lock) are
    counted under the package of the Python code that called them.
    """
    from pyinstrument.session import Session

    root = Session.load(str(session)).root_frame()
    if root is None:
        return "(empty profile)"
    total = root.time
    by_function: dict[str, float] = {}
    by_package: dict[str, float] = {}

    def walk(frame, package: str) -> None:
        if frame.is_synthetic:
            return
        path = frame.file_path or ""
        if path and not path.startswith("<"):
            package = _package(path)
        own = frame.total_self_time
        key = f"{frame.function} ({_short(path) if path else '?'}{':' + str(frame.line_no) if frame.line_no else ''})"
        by_function[key] = by_function.get(key, 0.0) + own
        by_package[package] = by_package.get(package, 0.0) + own
        for child in frame.children:
            walk(child, package)

    walk(root, "?")
    rows = ["| package (own time, C calls counted with their caller) | s | % |", "|---|---:|---:|"]
    for key, t in sorted(by_package.items(), key=lambda kv: -kv[1])[:12]:
        rows.append(f"| {key} | {t:.2f} | {100 * t / total if total else 0:.1f} |")
    rows += ["", "| function (own time) | s | % |", "|---|---:|---:|"]
    for key, t in sorted(by_function.items(), key=lambda kv: -kv[1])[:top]:
        rows.append(f"| `{key}` | {t:.2f} | {100 * t / total if total else 0:.1f} |")
    rows.append(f"| total (wall) | {total:.2f} | 100 |")
    return "\n".join(rows)


def _package(path: str) -> str:
    """The top-level package (or stdlib module) a source file belongs to."""
    parts = Path(path).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            i = parts.index(marker)
            return parts[i + 1].removesuffix(".py") if i + 1 < len(parts) else path
    if "crmgen" in parts:
        i = len(parts) - 1 - parts[::-1].index("crmgen")
        return "crmgen." + parts[i + 1].removesuffix(".py") if i + 1 < len(parts) - 1 or \
            (i + 1 < len(parts) and parts[i + 1] != "__init__.py") else "crmgen"
    for i, part in enumerate(parts):
        if part.startswith("python3") and i + 1 < len(parts):
            return "stdlib " + parts[i + 1].removesuffix(".py")
    return Path(path).name


def _short(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("site-packages/", "/crmgen/", "lib/python3"):
        i = path.find(marker)
        if i >= 0:
            return path[i + len(marker) if marker != "/crmgen/" else i + 1:]
    return Path(path).name


def use_snapshot(dest: Path) -> None:
    """Export crmgen at git HEAD to ``dest`` and put it first on the children's PYTHONPATH.

    Others may be editing the working tree while a long run goes on; a snapshot
    keeps every measure on the same code.
    """
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", "HEAD", "crmgen"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    # Byte-compiled, as `pip install` leaves a package: where PYTHONDONTWRITEBYTECODE is set
    # (this machine), every command would otherwise compile crmgen's modules from source.
    import compileall

    compileall.compile_dir(str(dest / "crmgen"), quiet=1)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(dest), os.environ.get("PYTHONPATH")]))
    os.environ["CRMGEN_BENCH_SNAPSHOT"] = _git("rev-parse", "--short", "HEAD")
    log(f"measuring crmgen at {os.environ['CRMGEN_BENCH_SNAPSHOT']} from {dest}")


def _git(*args: str) -> str:
    proc = subprocess.run(["git", "-C", str(HERE.parent), *args], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "?"


# -- main ------------------------------------------------------------------------

def _kept(saved: dict[str, dict]) -> dict[str, Result]:
    """One size's results read back from results.json; measures added since show as not measured."""
    out = {k: Result(**v) for k, v in saved.items()}
    for key, _ in MEASURES:
        out.setdefault(key, Result(na="not measured (added after this size was run)"))
    return out


def main(argv: list[str] | None = None) -> int:
    global WORK, QUIET
    parser = argparse.ArgumentParser(description="Measure crmgen against its floor and plain MkDocs.")
    parser.add_argument("--sizes", default="100,1000", help="comma-separated book sizes (default 100,1000)")
    parser.add_argument("--full", action="store_true", help="also N = 10,000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure; the median counts (default 3)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--no-serve", action="store_true", help="skip the serve measure")
    parser.add_argument("--quiet", type=float, default=QUIET, metavar="SECONDS",
                        help=f"pause before each measured build after the first (default {QUIET:g}; 0 for a smoke test)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md", help="results file")
    parser.add_argument("--work", type=Path, default=None, help="where books are generated (default benchmarks/work)")
    parser.add_argument("--snapshot", action="store_true",
                        help="measure the committed crmgen (git HEAD, exported to the work dir) "
                             "instead of the working tree")
    parser.add_argument("--profile", action="store_true",
                        help="instead of timing, profile check/due/build with pyinstrument into PROFILE.md")
    parser.add_argument("--only", metavar="KEYS",
                        help="only these measures, comma-separated: " + ", ".join(k for k, _ in MEASURES))
    parser.add_argument("--keep", action="store_true",
                        help="keep the other sizes of the last run (work/results.json) in the results")
    parser.add_argument("--rerender", action="store_true",
                        help="only rewrite the results file from the last run's work/results.json "
                             "(e.g. to pick up a new PROFILE.md)")
    parser.add_argument("--profile-size", type=int, default=1000, help="book size for --profile")
    args = parser.parse_args(argv)
    WORK = (args.work or WORK).resolve()
    QUIET = max(args.quiet, 0.0)
    WORK.mkdir(parents=True, exist_ok=True)
    if args.snapshot:
        use_snapshot(WORK / "src")
    if args.profile:
        profile(args.profile_size, args.seed, HERE / "PROFILE.md")
        return 0
    if args.rerender:
        data = json.loads((WORK / "results.json").read_text(encoding="utf-8"))
        results = {int(n): _kept(r) for n, r in data["results"].items()}
        args.output.write_text(report(results, data["machine"], data["repeat"], data.get("seed", args.seed),
                                      dt.datetime.fromisoformat(data["started"]), data.get("seconds", 0.0)),
                               encoding="utf-8")
        log(f"wrote {args.output} from {WORK / 'results.json'}")
        return 0
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes: write numbers separated by commas, e.g. 100,1000")
    if args.full:
        sizes = sorted({*sizes, 10000})
    if not sizes or min(sizes) < 1 or args.repeat < 1:
        parser.error("sizes and --repeat must be at least 1")
    started = dt.datetime.now(dt.UTC)
    info = machine()
    t0 = time.perf_counter()
    results: dict[int, dict[str, Result]] = {}
    only = {k.strip() for k in args.only.split(",") if k.strip()} if args.only else None
    if only is not None and only - {k for k, _ in MEASURES}:
        parser.error(f"--only: unknown measure(s) {', '.join(sorted(only - {k for k, _ in MEASURES}))}; "
                     f"choose from {', '.join(k for k, _ in MEASURES)}")
    if args.keep and (WORK / "results.json").is_file():
        old = json.loads((WORK / "results.json").read_text(encoding="utf-8"))
        results = {int(n): _kept(r) for n, r in old["results"].items() if int(n) not in sizes}
    for n in sizes:
        results[n] = bench_size(n, args.repeat, args.seed, serve=not args.no_serve, only=only)
        results = dict(sorted(results.items()))
        if hasattr(os, "getloadavg"):
            info["load average at end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        # Write after every size: a long --full run leaves something behind if stopped.
        text = report(results, info, args.repeat, args.seed, started, time.perf_counter() - t0)
        args.output.write_text(text, encoding="utf-8")
        (WORK / "results.json").write_text(json.dumps(
            {"machine": info, "started": started.isoformat(), "repeat": args.repeat, "seed": args.seed,
             "seconds": time.perf_counter() - t0,
             "results": {n: {k: asdict(v) for k, v in r.items()} for n, r in results.items()}},
            indent=2, ensure_ascii=False), encoding="utf-8")
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
