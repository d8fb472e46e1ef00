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

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, NamedTuple

from crmgen.format.errors import ProjectNotFound, SettingsError, UsageError
from crmgen.format.schema import CADENCE_MAX, COMPLAINT_STEPS, GRADES, NUMBER_MAX
from crmgen.format.terms import Terms

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
    "credit": 0,
    "broken": 0,
    "review": 0,
    "usage": 0,
    "service": 7,
    "complaint": 0,
    "rebate": 30,
    "settle": 0,
    "successor": 0,
    "dormant": 0,
    "revisit": 0,
    "win_back": 21,
    "opportunity": 0,
}
# Days to finish each step of a complaint once it is reached (listen's: complaint_after, unless set here).
DEFAULT_COMPLAINT_STEPS = {"analyse": 3, "solve": 5, "inform": 2, "act": 7, "review": 7}
# An opportunity's stages before won and lost, in order, each with its chance of winning.
DEFAULT_OPPORTUNITY_STAGES = {"lead": 0.1, "qualified": 0.25, "proposal": 0.5, "negotiation": 0.75}
DEFAULT_TERMS = Terms("days", 30, "30 days")
# Days overdue where the receivables' ageing bands end: 1-30, 31-60, 61-90, 91-180, 181-365, over 365.
DEFAULT_AGEING = (30, 60, 90, 180, 365)
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
    usage_after: int = 42  # days after delivery for the usage review (after some weeks of use)
    complaint_after: int = 2  # days to hear a complaint out (its first step, listen)
    complaint_steps: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COMPLAINT_STEPS))
    complaint_visit_after: int = 14  # days after closing a complaint to visit (is the client satisfied?)
    opportunity_stages: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_OPPORTUNITY_STAGES))
    opportunity_stale: int = 30  # days an open opportunity may stay in its stage before a reminder
    # A: the largest clients making this share of the last twelve months' revenue; B: up to this one
    value_classes: dict[str, float] = field(default_factory=lambda: {"A": 0.8, "B": 0.95})
    # per salesperson: a monthly target (an amount), or {monthly: amount, "2026-12": amount, ...}
    targets: dict[str, Any] = field(default_factory=dict)
    successor_after: int = 14
    dormant_after: int = 180  # the most a customer may go without an order (and the wait before it has a rhythm)
    dormant_min: int = 30  # the least: a customer ordering every week is not dormant after ten days
    rebate_near: float = 0.8
    rebate_action: int = 30  # days before a rebate period ends that the client is told of the next tier
    terms: Terms = DEFAULT_TERMS  # an order's terms when neither it nor its client has any
    ageing: list[int] = field(default_factory=lambda: list(DEFAULT_AGEING))
    credit_near: float = 0.9
    private: list[str] = field(default_factory=list)
    allow_html: bool = False
    currency: str = "¥"
    alarm_time: str = "09:00"  # local time of day of the calendar's alarms (HH:MM)
    # The language of everything crmgen shows a reader (crmgen.i18n); unset, the theme's language.
    language: str = "en"
    clients_dir: str = "clients"
    templates_dir: str = "templates"

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None,
                     where: Callable[[tuple[Any, ...]], str] | None = None) -> Settings:
        """Settings from the ``extra.crmgen`` mapping, each key checked against :data:`SETTING_RULES`;
        every bad one is reported at once (:class:`~crmgen.format.errors.SettingsError`). ``where(keys)``
        names the place of the value at ``extra.crmgen.<keys>`` (``mkdocs.yml:12:5``)."""
        settings = cls()
        if not raw:
            return settings
        locate = where or (lambda keys: CONFIG_FILE)
        if not isinstance(raw, dict):
            raise SettingsError([f"{locate(())}: error: extra.crmgen must be a mapping of settings"])
        bad: list[str] = []

        def refuse(key: str, message: str, *keys: Any) -> None:
            # ints are list indices: located, but not part of the name (extra.crmgen.private)
            name = ".".join(str(k) for k in ("extra", "crmgen", key, *keys) if not isinstance(k, int))
            bad.append(f"{locate((key, *keys))}: error: {name}: {message}")

        for raw_key, value in raw.items():
            key = str(raw_key)
            rule = SETTING_RULES.get(key)
            if rule is None:
                refuse(key, f"unknown setting{_did_you_mean(key, SETTING_RULES)}")
                continue
            before = len(bad)
            checked = _CHECKS[rule.kind](value, rule, getattr(settings, key), functools.partial(refuse, key))
            if len(bad) == before:
                setattr(settings, key, checked)
        if bad:
            raise SettingsError(bad)
        return settings


# What each key under ``extra: crmgen:`` may hold, declared once: :meth:`Settings.from_mapping` checks
# against it, and README.md ("Changing the defaults") documents it. Every count of days has the range
# of a client's own cadence, so a date plus any setting stays among the dates crmgen works with.
DAYS = "days"  # a whole number of days, low to high
DAYS_BY = "days-by"  # a mapping of names to days, merged with the defaults
STEPS = "steps"  # remind_steps
SHARE = "share"  # above 0, at most 1
FIELDS = "fields"  # private: paths of the client file
FLAG = "flag"
TEXT = "text"
DIRECTORY = "directory"  # relative to mkdocs.yml, inside the project
TERMS = "terms"  # payment terms, as an order's terms: are written
BANDS = "bands"  # increasing whole numbers of days
TIME = "time"  # a time of day, "HH:MM"
LANGUAGE = "language"  # a language crmgen has a catalogue for (crmgen.i18n.LANGUAGES)
CLASS_SHARES = "class-shares"  # value_classes: {A: share, B: larger share}
TARGETS = "targets"  # per owner: an amount a month, or amounts by month
STAGE_SHARES = "stage-shares"  # opportunity_stages: names in order, each with a chance from 0 to 1 (or 0% to 100%)


class SettingRule(NamedTuple):
    """What one setting may hold."""

    kind: str
    low: int = 0
    high: int = CADENCE_MAX
    names: tuple[str, ...] = ()  # the keys a DAYS_BY mapping may have
    what: str = ""  # what one of those keys is, for the message


SETTING_RULES: dict[str, SettingRule] = {
    "within": SettingRule(DAYS),
    "cadence": SettingRule(DAYS_BY, low=1, names=GRADES, what="grade"),
    "leads": SettingRule(DAYS_BY, names=tuple(DEFAULT_LEADS), what="reminder kind"),
    "remind_steps": SettingRule(STEPS),
    "review_after": SettingRule(DAYS),
    "usage_after": SettingRule(DAYS),
    "complaint_after": SettingRule(DAYS),
    "complaint_steps": SettingRule(DAYS_BY, names=COMPLAINT_STEPS, what="complaint step"),
    "complaint_visit_after": SettingRule(DAYS),
    "opportunity_stages": SettingRule(STAGE_SHARES),
    "opportunity_stale": SettingRule(DAYS, low=1),
    "value_classes": SettingRule(CLASS_SHARES),
    "targets": SettingRule(TARGETS),
    "successor_after": SettingRule(DAYS),
    "dormant_after": SettingRule(DAYS),
    "dormant_min": SettingRule(DAYS),
    "rebate_near": SettingRule(SHARE),
    "rebate_action": SettingRule(DAYS),
    "terms": SettingRule(TERMS),
    "ageing": SettingRule(BANDS, low=1),
    "credit_near": SettingRule(SHARE),
    "private": SettingRule(FIELDS),
    "allow_html": SettingRule(FLAG),
    "currency": SettingRule(TEXT),
    "alarm_time": SettingRule(TIME),
    "language": SettingRule(LANGUAGE),
    "clients_dir": SettingRule(DIRECTORY),
    "templates_dir": SettingRule(DIRECTORY),
}

# fail(message, *keys below the setting) reports one problem; a check returns the value to keep.
_Fail = Callable[..., None]
_STEP_KEYS = ("under", "days")
_NEEDS_DAYS = "each entry needs 'days' (and 'under' but the last)"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    import difflib

    choices = list(choices)
    hint = [c for c in choices if c.casefold() == word.casefold()] or difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:30] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _days_problem(value: Any, rule: SettingRule) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "must be a whole number of days"
    if not rule.low <= value <= rule.high:
        return f"must be {rule.low} to {rule.high:,} days ({rule.high // 365} years)"
    return None


def _check_days(value: Any, rule: SettingRule, default: int, fail: _Fail) -> Any:
    problem = "must be a number" if not _is_number(value) else _days_problem(value, rule)
    if problem:
        fail(problem)
    return value


def _check_days_by(value: Any, rule: SettingRule, default: dict[str, int], fail: _Fail) -> Any:
    if not isinstance(value, dict):
        fail("must be a mapping")
        return default
    merged = dict(default)
    for raw_name, days in value.items():
        name = str(raw_name)
        if name not in rule.names:
            hint = _did_you_mean(name, rule.names) or f" (one of {', '.join(rule.names)})"
            fail(f"unknown {rule.what}{hint}", name)
        elif problem := _days_problem(days, rule):
            fail(problem, name)
        else:
            merged[name] = days
    return merged


def _check_steps(value: Any, rule: SettingRule, default: list[tuple[float | None, int]], fail: _Fail) -> Any:
    """(amount below which, days before due) pairs. Every problem is located at the list itself, as
    a bad 'days' always was, so each message names its step or its value."""
    if not isinstance(value, list):
        fail("must be a list")
        return default
    steps: list[tuple[float | None, int]] = []
    below: float | None = None  # the largest 'under' so far
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            fail(_NEEDS_DAYS)
            continue
        unknown = [str(k) for k in item if k not in _STEP_KEYS]
        for name in unknown:
            fail(f"unknown key '{name}' in step {i + 1}{_did_you_mean(name, _STEP_KEYS)}")
        days: Any = item.get("days")
        under: Any = item.get("under")
        if "days" not in item:
            if not unknown:  # a misspelt 'days' is said once
                fail(_NEEDS_DAYS)
        elif problem := _days_problem(days, rule):
            fail(f"'days' {problem}, not {_shown(days)}")
        if under is None:
            if i < len(value) - 1:
                fail(f"only the last step may leave out 'under' (it covers every larger amount); "
                     f"step {i + 1} of {len(value)} has none")
        elif not _is_number(under) or not 0 < under <= NUMBER_MAX:
            fail(f"'under' must be an amount above 0 (at most {NUMBER_MAX:,}), not {_shown(under)}")
        else:
            if below is not None and under <= below:
                fail(f"'under' must increase from step to step, not {_shown(under)} after {_shown(below)}")
            below = under if below is None else max(under, below)
        steps.append((under, days))
    return steps


def _check_terms(value: Any, rule: SettingRule, default: Terms, fail: _Fail) -> Any:
    from crmgen.format import terms

    read = terms.parse(value) if isinstance(value, (str, int)) else None
    if read is None:
        fail(f"{_shown(value)} is not payment terms; write e.g. {terms.EXAMPLES} (at most {terms.TERMS_MAX:,} days)")
        return default
    return read


def _check_bands(value: Any, rule: SettingRule, default: list[int], fail: _Fail) -> Any:
    if not isinstance(value, list) or not value:
        fail("must be a list of days, e.g. [30, 60, 90, 180, 365]")
        return default
    last: int | None = None
    for i, days in enumerate(value):
        if problem := _days_problem(days, rule):
            fail(f"{problem}, not {_shown(days)}", i)
            continue
        if last is not None and days <= last:
            fail(f"must increase: {days} after {last}", i)
        last = days
    return list(value)


def _check_share(value: Any, rule: SettingRule, default: float, fail: _Fail) -> Any:
    if not _is_number(value):
        fail("must be a number")
    elif not 0 < value <= 1:
        fail(f"must be a share above 0 and at most 1 ({default}: at {default:.0%} of the next tier), "
             f"not {_shown(value)}")
    return value


def _check_fields(value: Any, rule: SettingRule, default: list[str], fail: _Fail) -> Any:
    from crmgen.privacy import private_paths, private_problem

    if not isinstance(value, list):
        fail("must be a list of field names")
        return default
    kept = []
    for i, name in enumerate(value):
        problem = private_problem(name)
        if problem is None:
            kept.append(name)
        else:
            fail(f"{problem}. Paths that can be private: {', '.join(private_paths())}", i)
    return kept


def _check_flag(value: Any, rule: SettingRule, default: bool, fail: _Fail) -> Any:
    if not isinstance(value, bool):
        fail("must be true or false")
    return value


def _check_text(value: Any, rule: SettingRule, default: str, fail: _Fail) -> Any:
    if not isinstance(value, str):
        fail(f'must be text, in quotes if need be (e.g. "{default}" or "US$")')
    return value


def _check_time(value: Any, rule: SettingRule, default: str, fail: _Fail) -> Any:
    """A time of day as "HH:MM", kept as "HH:MM" (9:30 is 09:30)."""
    import re

    found = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", value) if isinstance(value, str) else None
    if found is None:
        # YAML 1.1 reads an unquoted 9:30 as the number 570 (base 60)
        trap = ", in quotes (YAML reads 9:30 unquoted as the number 570)" if _is_number(value) else ""
        fail(f'must be a time of day from "00:00" to "23:59"{trap}, e.g. "{default}", not {_shown(value)}')
        return default
    return f"{int(found[1]):02d}:{found[2]}"


def _check_directory(value: Any, rule: SettingRule, default: str, fail: _Fail) -> Any:
    """A directory crmgen reads (and ``serve`` watches): named relative to mkdocs.yml and inside the
    project, so a shared mkdocs.yml cannot point crmgen at another tree. Checked as written
    (a backslash counts as a separator, as on Windows); symbolic links are the file system's."""
    how = f"name a directory inside the project, relative to mkdocs.yml (e.g. '{default}')"
    if not isinstance(value, str):
        fail(f"must be text: {how}")
        return value
    if not value.strip():
        fail(f"must not be empty: {how}")
        return value
    if "\0" in value:
        fail(f"must not contain a NUL character: {how}")
        return value
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).anchor:
        fail(f"'{value}' is an absolute path: {how}")
        return value
    depth = 0
    for part in PurePosixPath(value.replace("\\", "/")).parts:
        depth += -1 if part == ".." else 1
        if depth < 0:
            fail(f"'{value}' leads outside the project: {how}")
            return value
    if depth == 0:
        fail(f"'{value}' is the project's own directory: {how}")
    return value


def _check_stage_shares(value: Any, rule: SettingRule, default: dict[str, float], fail: _Fail) -> Any:
    """The team's opportunity stages before won and lost, in order: ``{lead: 10%, proposal: 50%}``."""

    if not isinstance(value, dict) or not value:
        fail("must be a mapping of the stages before won and lost, in order, each with its chance of winning, "
             "e.g. {lead: 10%, proposal: 50%, negotiation: 75%}")
        return default
    out: dict[str, float] = {}
    for raw_name, share in value.items():
        name = str(raw_name).strip()
        if not name or name in ("won", "lost"):
            fail("won and lost are always the last stages: list only the ones before them", raw_name)
            continue
        rate = _share_of(share)
        if rate is None:
            fail(f"must be a chance from 0% to 100% (or 0 to 1), not {_shown(share)}", raw_name)
            continue
        out[name] = rate
    return out


def _share_of(value: Any) -> float | None:
    """``80%`` or ``0.8`` as 0.8; None when it is neither (or outside 0 to 1)."""
    import re

    rate: float | None = None
    if isinstance(value, str) and (m := re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*", value)):
        rate = float(m[1]) / 100
    elif _is_number(value):
        rate = float(value)
    return rate if rate is not None and 0 <= rate <= 1 else None


def _check_class_shares(value: Any, rule: SettingRule, default: dict[str, float], fail: _Fail) -> Any:
    """``{A: 80%, B: 95%}``: A's share of revenue, then B's larger one."""
    if not isinstance(value, dict) or set(map(str, value)) != {"A", "B"}:
        fail("must name the shares of revenue of classes A and B, e.g. {A: 80%, B: 95%}")
        return default
    a, b = _share_of(value.get("A")), _share_of(value.get("B"))
    if a is None or b is None or not 0 < a < b <= 1:
        fail(f"A and B must be shares above 0%, B larger than A and at most 100%, not {_shown(value)}")
        return default
    return {"A": a, "B": b}


def _check_targets(value: Any, rule: SettingRule, default: dict[str, Any], fail: _Fail) -> Any:
    """Per salesperson: an amount a month, or ``{monthly: amount, "2026-12": amount}``."""
    import re

    if not isinstance(value, dict):
        fail("must be a mapping of salespeople to a monthly amount, e.g. {王磊: 500000}")
        return default
    out: dict[str, Any] = {}
    for raw_owner, target in value.items():
        owner = str(raw_owner)
        entries = target if isinstance(target, dict) else {"monthly": target}
        good: dict[str, float] = {}
        for raw_key, amount in entries.items():
            key = str(raw_key)
            if key != "monthly" and not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", key):
                fail(f"'{key}' is neither monthly nor a month written YYYY-MM (quote it: \"2026-12\")", owner)
            elif not _is_number(amount) or not 0 <= amount <= NUMBER_MAX:
                fail(f"must be an amount from 0 to {NUMBER_MAX:,}, not {_shown(amount)}",
                     *((owner, key) if isinstance(target, dict) else (owner,)))
            else:
                good[key] = float(amount)
        out[owner] = good if isinstance(target, dict) else good.get("monthly")
    return out


def _check_language(value: Any, rule: SettingRule, default: str, fail: _Fail) -> Any:
    """A language code crmgen has a catalogue for, as people write it (zh, zh_CN, zh-Hans)."""
    from crmgen.i18n import LANGUAGES, normalize

    code = normalize(value)
    if code is None:
        names = ", ".join(f"{k} ({v})" for k, v in LANGUAGES.items())
        fail(f"crmgen speaks {names}, not {_shown(value)}")
        return default
    return code


_CHECKS: dict[str, Callable[[Any, SettingRule, Any, _Fail], Any]] = {
    DAYS: _check_days,
    DAYS_BY: _check_days_by,
    STEPS: _check_steps,
    SHARE: _check_share,
    FIELDS: _check_fields,
    FLAG: _check_flag,
    TEXT: _check_text,
    DIRECTORY: _check_directory,
    TERMS: _check_terms,
    BANDS: _check_bands,
    TIME: _check_time,
    LANGUAGE: _check_language,
    STAGE_SHARES: _check_stage_shares,
    CLASS_SHARES: _check_class_shares,
    TARGETS: _check_targets,
}


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
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: error: {CONFIG_FILE} is not UTF-8 ({exc.reason} at byte {exc.start}); "
                         "save it as UTF-8") from exc
    import yaml

    try:
        data = yaml.load(text, Loader=_tolerant_loader()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: error: {CONFIG_FILE} is not valid YAML: {exc}") from exc
    except ValueError as exc:  # a value YAML resolves but cannot make: 2026-02-30, an int of 5,000 digits
        node = _unmade_scalar(text)
        if node is None:
            raise UsageError(f"{path}: error: {CONFIG_FILE} holds a value YAML cannot read: {exc}") from exc
        shown = node.value if len(node.value) <= 24 else node.value[:20] + f"… ({len(node.value):,} characters)"
        why = "too many digits" if node.tag.endswith(":int") else str(exc)
        raise UsageError(f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: error: {CONFIG_FILE}: "
                         f"'{shown}' cannot be read ({why}); correct it, or quote it to keep it as text") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path}: error: {CONFIG_FILE} must be a mapping")
    return data


def _unmade_scalar(text: str) -> Any:
    """The first scalar node of ``text`` whose value YAML cannot make, or None."""
    import yaml

    loader = _tolerant_loader()("")
    try:
        todo = [yaml.compose(text, Loader=_tolerant_loader())]
    except yaml.YAMLError:
        return None
    while todo:  # in the order of the file
        node = todo.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except ValueError:
                return node
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            todo.extend(reversed([n for pair in node.value for n in pair]))
    return None


def load_project(directory: str | os.PathLike[str] | None = None) -> Project:
    """Find the project at or above ``directory`` (default: the working directory)."""
    root = find_root(directory)
    config = read_config(root)
    extra = config.get("extra") or {}
    raw = extra.get("crmgen") if isinstance(extra, dict) else None
    settings = Settings.from_mapping(raw, where=_locator(root))
    if not (isinstance(raw, dict) and "language" in raw):
        settings.language = theme_language(config)
    return Project(root=root, config=config, settings=settings)


def theme_language(config: dict[str, Any]) -> str:
    """crmgen's language when the team sets none: the theme's ``language`` (what Material's own
    labels follow), when crmgen has a catalogue for it; else English."""
    from crmgen.i18n import DEFAULT, normalize

    theme = config.get("theme")
    return (normalize(theme.get("language")) if isinstance(theme, dict) else None) or DEFAULT


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
