"""Running MkDocs in this process: its configuration loaded, its log collected, its build date pinned."""

from __future__ import annotations

import datetime as dt
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crmgen.format.errors import CrmgenError
from crmgen.load.project import CONFIG_FILE


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
    return collect.messages
