"""Running the engine that builds the generated docs tree: MkDocs in this process (its
configuration loaded, its log collected, its build date pinned), or ProperDocs or Zensical
in a process of their own; then what every engine's site gets from crmgen (robots.txt).

MkDocs runs in-process so that crmgen's accelerator plugin, chunk processes and
incremental builds (:mod:`crmgen.accel`) can take part. ProperDocs replaces the
``mkdocs`` modules of any process that imports it (an import hook) and Zensical is a
program of its own: both run as ``python -m <engine> build`` on the same generated
``mkdocs.yml``, a whole build each time, and they are never imported here, so the
default build loads neither.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crmgen.format.errors import CrmgenError, UsageError
from crmgen.load.project import CONFIG_FILE

DEFAULT_ENGINE = "mkdocs"
# name -> what its users install (the PyPI package; `pip install 'crmgen[engines]'` installs all)
ENGINES = {"mkdocs": "mkdocs", "properdocs": "properdocs", "zensical": "zensical"}
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


def engine_missing(engine: str) -> str | None:
    """Why ``engine`` cannot build here and how to install it; None when it can.

    Looks for the module without importing it (ProperDocs' import takes over ``mkdocs``).
    """
    import importlib.util

    if engine == DEFAULT_ENGINE or importlib.util.find_spec(engine) is not None:
        return None
    package = ENGINES[engine]
    return (f"the {engine} engine is not installed: install it beside crmgen with "
            f"pip install 'crmgen[engines]' (or pip install {package}; with pipx: pipx inject crmgen {package}; "
            f"with uv: uv tool install crmgen --with {package})")


def finish_site(out_dir: Path) -> None:
    """What every engine's site gets from crmgen: ``robots.txt``, disallowing everything (the
    site holds customer data). Written only when missing or different: an incremental build
    leaves the file as it is."""
    path = out_dir / "robots.txt"
    data = ROBOTS_TXT.encode("ascii")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    tmp = out_dir / f".robots.txt.{os.getpid()}"
    tmp.write_bytes(data)
    os.replace(tmp, path)


class _Collect(logging.Handler):
    """Keeps MkDocs' warnings to report them after the build."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _quiet_mkdocs(collect: _Collect, epoch: int):
    """Route MkDocs' log to ``collect`` and pin its build date (sitemap) to ``epoch``."""
    logger = logging.getLogger("mkdocs")
    saved = (logger.level, logger.propagate, os.environ.get("SOURCE_DATE_EPOCH"))
    logger.addHandler(collect)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    # jieba.setLogLevel without importing jieba (its import alone is a third of a second).
    logging.getLogger("jieba").setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(collect)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        if saved[2] is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved[2]


class _NoDirtyNotice(logging.Filter):
    """MkDocs warns about every ``dirty`` build; crmgen's are made safe (and ``--strict`` counts warnings)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build is being performed")


def _load_config(config_file: Path, out_dir: Path, *, strict: bool) -> Any:
    """MkDocs' validated config."""
    from mkdocs.config import load_config

    return load_config(config_file=str(config_file), site_dir=str(out_dir), strict=strict)


def run_mkdocs(config_file: Path, out_dir: Path, *, strict: bool, today: dt.date, dirty: bool = False,
               plugins: dict[str, Any] | None = None) -> list[str]:
    """Build ``config_file`` into ``out_dir`` in-process; return MkDocs' warnings.

    ``plugins``: plugin instances to add to the loaded configuration (name -> plugin), as
    MkDocs adds its own (``config.plugins[name] = plugin``): the build's accelerator.
    """
    from mkdocs import exceptions
    from mkdocs.commands.build import build

    collect = _Collect()
    epoch = int(dt.datetime.combine(today, dt.time(), dt.UTC).timestamp())
    with _quiet_mkdocs(collect, epoch):
        try:
            cfg = _load_config(config_file, out_dir, strict=strict)
            for name, plugin in (plugins or {}).items():
                cfg.plugins[name] = plugin
            notice = _NoDirtyNotice()
            logging.getLogger("mkdocs.commands.build").addFilter(notice)
            try:
                build(cfg, dirty=dirty)
            finally:
                logging.getLogger("mkdocs.commands.build").removeFilter(notice)
        except exceptions.ConfigurationError as exc:
            raise CrmgenError(f"{CONFIG_FILE}: MkDocs rejects the configuration: {exc}") from exc
        except exceptions.MkDocsException as exc:
            details = "; ".join(collect.messages) or str(exc)
            raise CrmgenError(f"MkDocs could not build the site: {details}") from exc
    finish_site(out_dir)
    return collect.messages


def _warnings(engine: str, output: str) -> list[str]:
    """The warnings in an engine's output (ProperDocs: MkDocs' ``WARNING -`` lines; Zensical:
    any line naming a warning), without their level."""
    found = []
    for line in output.splitlines():
        text = line.strip()
        if text.startswith("WARNING"):
            found.append(text.removeprefix("WARNING").lstrip(" -:"))
        elif engine == "zensical" and "warning" in text.lower():
            found.append(text)
    return found


def run_engine(engine: str, config_file: Path, out_dir: Path, *, strict: bool, today: dt.date,
               clean: bool = False) -> list[str]:
    """Build ``config_file`` into ``out_dir`` with ``engine`` (a key of :data:`ENGINES`); return its warnings.

    MkDocs runs in this process (:func:`run_mkdocs`, a whole build); ProperDocs and
    Zensical as ``python -m <engine> build`` beside it. Zensical writes into the
    config's ``site_dir``, which must be ``out_dir``; ``clean``: Zensical forgets its
    cache (``.crmgen/.cache``) first.
    """
    if engine == DEFAULT_ENGINE:
        return run_mkdocs(config_file, out_dir, strict=strict, today=today)
    problem = engine_missing(engine)
    if problem is not None:
        raise UsageError(problem)
    command = [sys.executable, "-m", engine, "build", "-f", str(config_file)]
    if engine == "properdocs":
        command += ["-d", str(out_dir)]
    if strict:
        command.append("--strict")
    if clean and engine == "zensical":
        command.append("--clean")
    epoch = int(dt.datetime.combine(today, dt.time(), dt.UTC).timestamp())
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(command, cwd=config_file.parent, env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        tail = "; ".join(line.strip() for line in output.strip().splitlines()[-5:] if line.strip())
        raise CrmgenError(f"{engine} could not build the site (exit {done.returncode}): {tail}")
    if engine == "zensical":
        _clean_pages(out_dir)
    finish_site(out_dir)
    return _warnings(engine, output)


def _clean_pages(out_dir: Path) -> None:
    """What crmgen's hook does to every page MkDocs builds, done to Zensical's (which has no hooks):
    a link or image to ``javascript:``/``data:`` becomes ``#`` (:func:`.hooks.clean_urls`)."""
    from crmgen.render.mkdocs.hooks import clean_urls

    for page in out_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned = clean_urls(text)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")
