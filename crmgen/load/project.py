"""Project discovery and settings.

A project is a directory holding ``mkdocs.yml``. Team settings live in that file
under ``extra: crmgen:`` (plain MkDocs ignores ``extra`` and Material passes it
to templates untouched), so one file configures both the site and crmgen::

    extra:
      crmgen:
        within: 14
        cadence: {A: 7, B: 14}
        leads: {birthday: 10}

Every key is optional; the defaults below are documented in the README.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmgen.format.errors import ProjectNotFound, SettingsError, UsageError

CONFIG_FILE = "mkdocs.yml"

DEFAULT_CADENCE = {"A": 7, "B": 14, "C": 30, "D": 30, "E": 60, "F": 90}
DEFAULT_LEADS = {
    "touch": 0,
    "next": 0,
    "birthday": 7,
    "anniversary": 7,
    "promise": 3,
    "remind": 0,
    "collect": 0,
    "payment": 7,
    "review": 0,
    "complaint": 0,
    "rebate": 30,
    "successor": 0,
    "dormant": 0,
}
# (amount below which, days before due) for reminding a client of its promise;
# the last entry (None) applies to every larger amount.
DEFAULT_REMIND_STEPS: list[tuple[float | None, int]] = [(10_000, 2), (100_000, 5), (None, 10)]


@dataclass
class Settings:
    """What a team can change under ``extra: crmgen:`` in ``mkdocs.yml``."""

    within: int = 7
    cadence: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CADENCE))
    leads: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LEADS))
    remind_steps: list[tuple[float | None, int]] = field(
        default_factory=lambda: list(DEFAULT_REMIND_STEPS)
    )
    review_after: int = 7
    complaint_after: int = 2
    successor_after: int = 14
    dormant_after: int = 180
    rebate_near: float = 0.8
    private: list[str] = field(default_factory=list)
    allow_html: bool = False
    currency: str = "¥"
    clients_dir: str = "clients"
    templates_dir: str = "templates"

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None,
                     where: Callable[[tuple[Any, ...]], str] | None = None) -> Settings:
        """Settings from the ``extra.crmgen`` mapping; every bad one is reported at once
        (:class:`~crmgen.format.errors.SettingsError`). ``where(keys)`` names the place of the
        value at ``extra.crmgen.<keys>`` (``mkdocs.yml:12:5``)."""
        settings = cls()
        if not raw:
            return settings
        locate = where or (lambda keys: CONFIG_FILE)
        if not isinstance(raw, dict):
            raise SettingsError([f"{locate(())}: error: extra.crmgen must be a mapping of settings"])
        bad: list[str] = []

        def refuse(keys: tuple[Any, ...], message: str) -> None:
            name = ".".join(str(k) for k in ("extra", "crmgen", *keys) if not isinstance(k, int))
            bad.append(f"{locate(keys)}: error: {name}: {message}")

        for key, value in raw.items():
            if key == "remind_steps":
                try:
                    settings.remind_steps = _parse_remind_steps(value)
                except UsageError as exc:
                    refuse((key,), str(exc))
            elif key in ("cadence", "leads"):
                if not isinstance(value, dict):
                    refuse((key,), "must be a mapping")
                    continue
                merged = copy.copy(getattr(settings, key))
                for k, v in value.items():
                    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                        refuse((key, k), "must be a whole number of days")
                    else:
                        merged[str(k)] = v
                setattr(settings, key, merged)
            elif key == "private":
                from crmgen.privacy import private_paths, private_problem

                if not isinstance(value, list):
                    refuse((key,), "must be a list of field names")
                    continue
                kept = []
                for i, name in enumerate(value):
                    problem = private_problem(name)
                    if problem is None:
                        kept.append(name)
                    else:
                        refuse((key, i), f"{problem}. Paths that can be private: {', '.join(private_paths())}")
                settings.private = kept
            elif key in cls.__dataclass_fields__:
                default = getattr(settings, key)
                if isinstance(default, bool) and not isinstance(value, bool):
                    refuse((key,), "must be true or false")
                elif isinstance(default, (int, float)) and not isinstance(default, bool) and (
                        isinstance(value, bool) or not isinstance(value, (int, float))):
                    refuse((key,), "must be a number")
                else:
                    setattr(settings, key, value)
            else:
                import difflib

                hint = difflib.get_close_matches(str(key), cls.__dataclass_fields__, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                refuse((key,), f"unknown setting{extra}")
        if bad:
            raise SettingsError(bad)
        return settings


def _parse_remind_steps(value: Any) -> list[tuple[float | None, int]]:
    steps: list[tuple[float | None, int]] = []
    if not isinstance(value, list):
        raise UsageError("must be a list")
    for item in value:
        if not isinstance(item, dict) or "days" not in item:
            raise UsageError("each entry needs 'days' (and 'under' but the last)")
        days = item["days"]
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise UsageError(f"'days' must be a whole number of days, not {days!r}")
        steps.append((item.get("under"), days))
    return steps


@functools.cache
def _tolerant_loader() -> Any:
    """A loader that reads mkdocs.yml without choking on MkDocs' ``!ENV`` or ``!!python/name:`` tags.

    On libyaml when PyYAML has it: every command reads mkdocs.yml, and the pure-Python
    parser took 7 ms of a build's fixed cost for a 40-line file. Made on first use:
    ``check`` on an unchanged book never parses YAML (PyYAML takes 10 ms to import).
    """
    import yaml

    class TolerantLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_mapping(node)  # type: ignore[arg-type]

    TolerantLoader.add_multi_constructor("!", unknown_tag)
    TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", unknown_tag)
    return TolerantLoader


@dataclass
class Project:
    """A crmgen project on disk: its root, its mkdocs.yml and its settings."""

    root: Path
    config: dict[str, Any]
    settings: Settings

    @property
    def clients_dir(self) -> Path:
        return self.root / self.settings.clients_dir

    @property
    def templates_dir(self) -> Path:
        return self.root / self.settings.templates_dir

    @property
    def work_dir(self) -> Path:
        """crmgen's own git-ignored working directory (build tree, caches)."""
        return self.root / ".crmgen"

    @property
    def cache_dir(self) -> Path:
        """Where crmgen keeps its caches for this project: outside the work tree (see :func:`cache_dir_for`)."""
        return cache_dir_for(self.root)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE


def cache_dir_for(root: Path) -> Path:
    """The cache directory of the project at ``root``: ``$XDG_CACHE_HOME/crmgen/<name>-<hash of its path>``
    (``~/.cache`` without the variable).

    Caches hold pickles and compiled templates, which run code when loaded. Kept outside the
    project, no cache file can arrive with a ``git pull`` or be written by anyone but the user.
    """
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    resolved = Path(root).resolve()
    digest = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:16]
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in resolved.name)[:40]
    return Path(base) / "crmgen" / f"{safe or 'project'}-{digest}"


def find_root(directory: str | os.PathLike[str] | None = None) -> Path:
    """The nearest directory at or above ``directory`` (default: the working directory) that
    holds ``mkdocs.yml``."""
    if directory is not None and not Path(directory).is_dir():
        raise ProjectNotFound(f"-C {directory}: no such directory")
    start = (Path(directory) if directory else Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    raise ProjectNotFound(
        f"no {CONFIG_FILE} found in {start} or any parent directory; "
        "run crmgen inside a project, pass -C DIR, or create one with 'crmgen init DIR'"
    )


def read_config(root: Path) -> dict[str, Any]:
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from exc
    import yaml

    try:
        data = yaml.load(text, Loader=_tolerant_loader()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: error: {CONFIG_FILE} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path}: error: {CONFIG_FILE} must be a mapping")
    return data


def load_project(directory: str | os.PathLike[str] | None = None) -> Project:
    """Find the project at or above ``directory`` (default: the working directory)."""
    root = find_root(directory)
    config = read_config(root)
    extra = config.get("extra") or {}
    raw = extra.get("crmgen") if isinstance(extra, dict) else None
    return Project(root=root, config=config, settings=Settings.from_mapping(raw, where=_locator(root)))


def _locator(root: Path) -> Callable[[tuple[Any, ...]], str]:
    """``where`` for :meth:`Settings.from_mapping`: ``mkdocs.yml:line:col`` of ``extra.crmgen.<keys>``
    (the nearest enclosing value that is there), composing the YAML only when an error is reported."""

    @functools.cache
    def document() -> Any:  # composed once, for the first error
        import yaml

        try:
            return yaml.compose((root / CONFIG_FILE).read_text(encoding="utf-8-sig"), Loader=_tolerant_loader())
        except (OSError, UnicodeError, yaml.YAMLError):
            return None

    def where(keys: tuple[Any, ...]) -> str:
        import yaml

        node = document()
        if node is None:
            return CONFIG_FILE
        for key in ("extra", "crmgen", *keys):
            found = None
            if isinstance(node, yaml.MappingNode):
                found = next((v for k, v in node.value if getattr(k, "value", None) == str(key)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                found = node.value[key]
            if found is None:
                break
            node = found
        return f"{CONFIG_FILE}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"

    return where
