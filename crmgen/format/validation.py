"""YAML nodes to a :class:`~crmgen.format.model.Client`, reporting every problem in one pass.

The walk follows :data:`crmgen.format.schema.CLIENT`. Values are read from the composed
nodes, not from ``yaml.load`` output, so that each problem points at the line and
column of the offending value, duplicate keys are caught (PyYAML would keep the
last silently) and YAML 1.1's surprises (``0123`` -> 83, ``no`` -> false,
``12:30`` -> 750) are reported as "quote it" instead of silently changing data.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from crmgen.format import schema as S
from crmgen.format.errors import ERROR, NOTE, WARNING, Problem
from crmgen.format.schema import COMPLAINT_STEPS, INTERACTION_TYPES
from crmgen.load.nodes import RawFile

if TYPE_CHECKING:
    from crmgen.format.model import Client, Interaction

T_STR = "tag:yaml.org,2002:str"
T_INT = "tag:yaml.org,2002:int"
T_FLOAT = "tag:yaml.org,2002:float"
T_BOOL = "tag:yaml.org,2002:bool"
T_NULL = "tag:yaml.org,2002:null"
T_TIMESTAMP = "tag:yaml.org,2002:timestamp"
T_MAP = "tag:yaml.org,2002:map"
T_SEQ = "tag:yaml.org,2002:seq"
STANDARD_TAGS = {T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL, T_TIMESTAMP, T_MAP, T_SEQ}

SLUG_RE = re.compile(S.SLUG_PATTERN.removesuffix("$") + r"\Z")  # "$" would let a final newline through
_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\Z")
_NO_YEAR = re.compile(r"^--([0-9]{1,2})-([0-9]{1,2})\Z")
_CADENCE = re.compile(r"^([0-9]+)\s*([dwm])\Z", re.IGNORECASE)
_RATE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*%\Z")
# On one line (no line break): the rest, less its trailing blanks, is the last group .rstrip(" \t")
# (a lazy group before "[ \t]*$" costs a backtracking step per character)
_HEADING = re.compile(r"##[ \t]+(\S+)[ \t]*(.*)")
_NEXT = re.compile(r"[ \t]*(?:[-*][ \t]+)?(?:next|下一步)[ \t]*[:：][ \t]*(\S*)[ \t]*(.*)", re.IGNORECASE)
# Patterns of rare cases, compiled by re's cache when first used: compiling every pattern
# up front costs a check of a few files
_DATE_OTHER_SEP = r"^[0-9]{4}[/.年][0-9]{1,2}[/.月][0-9]{1,2}日?\Z"
_FENCE = r"^[ \t]*(```|~~~)"
_CADENCE_UNIT = {"d": 1, "w": 7, "m": 30}

_constructor = yaml.constructor.SafeConstructor()


# Top-level texts that name pages, nav entries and calendars: one line, no control characters.
ONE_LINE = frozenset({"name", "owner"})
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _is_lunar(raw: str) -> bool:
    """Whether ``raw`` (stripped) is meant as a lunar date: :func:`crmgen.rules.lunar.is_lunar`, which
    is imported only for a file that has one."""
    return raw.startswith("lunar") or "农历" in raw


def _beyond(day: dt.date, written: str) -> str | None:
    """Why ``day`` (written ``written``) is not a date crmgen computes with, or None."""
    if S.DATE_MIN <= day <= S.DATE_MAX:
        return None
    return f"{written} is outside the dates crmgen works with ({S.DATE_MIN} to {S.DATE_MAX})"


def _number_trap(raw: str, tag: str) -> str | None:
    """How YAML 1.1 misreads a number written ``raw`` (octal, base 60, hexadecimal), or None."""
    digits = raw.lstrip("+-").replace("_", "")
    if ":" in digits:
        return "a base-60 number (1:30 is 90)"
    if tag == T_INT and digits[:2].lower() in ("0x", "0o", "0b"):
        return "a number in another base"
    if tag == T_INT and len(digits) > 1 and digits[0] == "0":
        return "an octal number (0700 is 448)"
    return None


class Located(NamedTuple):
    """A validated client plus where its cross-file facts sit in the file."""

    client: Client | None  # its Facts instead when validated with build=False
    problems: list[Problem]
    positions: dict[str, tuple[int, int]]


class Facts(NamedTuple):
    """What the cross-file checks (:func:`crmgen.load.book.cross_file_problems`) need of a client."""

    slug: str
    referred_by: str | None
    phone: str | None
    email: str | None
    stages: tuple[str | None, ...] = ()  # each opportunity's stage, as written (checked against the settings)


class _Walker:
    def __init__(self, raw: RawFile) -> None:
        self.raw = raw
        self.problems: list[Problem] = []
        self.positions: dict[str, tuple[int, int]] = {}

    # -- reporting -------------------------------------------------------------
    def where(self, node: yaml.Node) -> tuple[int, int]:
        return self.raw.yaml_line + node.start_mark.line, node.start_mark.column + 1

    def error(self, node: yaml.Node, message: str, code: str, severity: str = ERROR) -> None:
        line, col = self.where(node)
        self.problems.append(Problem(self.raw.rel_path, line, col, severity, message, code))

    # -- structure -------------------------------------------------------------
    def mapping(self, node: yaml.Node, path: str, spec: dict[str, S.Field]) -> dict[str, Any] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{path or 'front matter'} must be a mapping of 'key: value' lines, "
                       f"not {_describe(node)}", "wrong-type")
            return None
        out: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{path}: keys must be plain words", "wrong-type")
                continue
            key = key_node.value
            dotted = f"{path}.{key}" if path else key
            if key in first:
                line, _ = self.where(first[key])
                self.error(key_node, f"duplicate key '{dotted}' (first at line {line}); YAML keeps only "
                           "the last one, so the first would be lost silently: remove or rename one",
                           "duplicate-key")
                continue
            first[key] = key_node
            f = spec.get(key)
            if f is None:
                import difflib  # only for a misspelt key: not paid by every run

                hint = difflib.get_close_matches(key, spec, n=1)
                did = f" (did you mean '{hint[0]}'?)" if hint else ""
                where = f" in {path}" if path else ""
                self.error(key_node, f"unknown key '{key}'{where}{did}; known keys: "
                           f"{', '.join(spec)}; put your own fields under 'extra:'",
                           "unknown-key", WARNING)
                continue
            if path == "":
                self.positions[key] = self.where(value_node)
            value = self.value(value_node, dotted, f)
            if value is not None:
                out[key] = value
        for name, f in spec.items():
            if f.required and name not in first:
                self.error(node, f"{path + ': ' if path else ''}missing required key '{name}' "
                           f"({f.doc.rstrip('.')})", "missing-key")
        return out

    def value(self, node: yaml.Node, path: str, f: S.Field) -> Any:
        if node.tag == T_STR and f.kind == S.TEXT and isinstance(node, yaml.ScalarNode):
            text = node.value  # the commonest value, read before every other test
            if f.required and not text.strip():
                self.error(node, f"{path}: is blank; give it a value", "missing-value")
                return None
            if path in ONE_LINE and _BREAKS.search(text):
                self.error(node, f"{path}: must be one line of text, without line breaks or control characters "
                           "(it names pages and calendars)", "bad-text")
                return None
            return text
        if node.tag not in STANDARD_TAGS:
            self.error(node, f"{path}: YAML tag '{node.tag}' is not allowed; remove it", "yaml-tag")
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == T_NULL:
            if f.required:
                self.error(node, f"{path}: is empty; give it a value", "missing-value")
            return None
        kind = f.kind
        if kind == S.RECORD:
            return self.mapping(node, path, f.fields)
        if kind == S.RECORD_LIST:
            if not isinstance(node, yaml.SequenceNode):
                self.error(node, f"{path}: must be a list ('- ' items), not {_describe(node)}", "wrong-type")
                return None
            items = []
            for i, item in enumerate(node.value):
                rec = self.mapping(item, f"{path}[{i}]", f.fields)
                if rec is not None:
                    rec["__line__"] = self.where(item)[0]
                    rec["__index__"] = i
                    items.append((rec, item))
            return items
        if kind == S.ANY_MAPPING:
            if not isinstance(node, yaml.MappingNode):
                self.error(node, f"{path}: must be a mapping of your own 'key: value' fields", "wrong-type")
                return None
            return self.plain(node, path)
        if kind == S.TEXT_LIST:
            if not isinstance(node, yaml.SequenceNode):
                self.error(node, f"{path}: must be a list, e.g. {path}: [华东, distributor]", "wrong-type")
                return None
            texts = [self.text(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
            return tuple(t for t in texts if t is not None)
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{path}: must be a single value, not {_describe(node)}", "wrong-type")
            return None
        if kind == S.TEXT:
            return self.text(node, path)
        if kind == S.DATE:
            return self.date(node, path)
        if kind == S.NUMBER:
            return self.number(node, path)
        if kind == S.CHOICE:
            text = node.value if node.tag == T_STR else None
            if text is not None and text not in f.choices:
                fixed = [c for c in f.choices if c.lower() == text.strip().lower()]
                if fixed:
                    self.error(node, f"{path}: '{text}' should be written '{fixed[0]}'", "bad-choice")
                    return None
            if text not in f.choices:
                self.error(node, f"{path}: '{node.value}' is not one of {', '.join(f.choices)}",
                           "bad-choice")
                return None
            return text
        if kind == S.CADENCE:
            return self.cadence(node, path)
        if kind == S.BIRTHDAY:
            return self.birthday(node, path)
        if kind == S.YEARLY_DATE:
            return self.yearly_date(node, path)
        if kind == S.SLUG:
            text = self.text(node, path)
            if text is not None and not SLUG_RE.match(text):
                self.error(node, f"{path}: '{text}' is not a client slug (the file name without .md, "
                           "lowercase letters, digits and '-')", "bad-slug")
                return None
            return text
        if kind == S.RATE:
            return self.rate(node, path)
        if kind == S.TERMS:
            return self.terms(node, path)
        raise AssertionError(kind)  # pragma: no cover

    # -- scalars ---------------------------------------------------------------
    def text(self, node: yaml.Node, path: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{path}: must be text, not {_describe(node)}", "wrong-type")
            return None
        if node.tag == T_STR:
            return node.value
        if node.tag == T_NULL:
            return None
        key = path.rsplit(".", 1)[-1]
        raw = node.value
        read_as = self._construct(node)
        if node.tag == T_INT and raw.startswith("0") and raw not in ("0",) and ":" not in raw:
            why = f"YAML reads {raw} as the number {read_as}: the leading zero is lost"
        elif node.tag == T_INT and ":" in raw:
            why = f"YAML reads {raw} as the base-60 number {read_as}"
        elif node.tag == T_BOOL:
            why = f"YAML reads {raw} as {'true' if read_as else 'false'}, not as text"
        elif node.tag in (T_INT, T_FLOAT):
            why = f"YAML reads {raw} as a number, not as text"
        else:
            why = f"YAML reads {raw} as a date, not as text"
        self.error(node, f"{path}: {why}; quote it: {key}: \"{raw}\"", "yaml-trap")
        return None

    def _construct(self, node: yaml.ScalarNode) -> Any:
        try:
            return _constructor.construct_object(node)
        except (ValueError, yaml.constructor.ConstructorError, OverflowError):
            return None

    def date(self, node: yaml.ScalarNode, path: str) -> dt.date | None:
        raw = node.value.strip()
        m = _ISO_DATE.match(raw)
        found: dt.date | None = None
        if node.tag in (T_TIMESTAMP, T_STR) and m:
            try:
                found = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                self.error(node, f"{path}: {raw} is not a real date (that month has no such day)",
                           "impossible-date")
                return None
        elif node.tag == T_TIMESTAMP:
            value = self._construct(node)
            if isinstance(value, dt.datetime):
                found = value.date()
        if found is None:
            self.error(node, f"{path}: '{raw}' is not a date; write it as YYYY-MM-DD", "bad-date")
            return None
        beyond = _beyond(found, raw)
        if beyond is not None:
            self.error(node, f"{path}: {beyond}", "date-range")
            return None
        return found

    def number(self, node: yaml.ScalarNode, path: str) -> float | None:
        value: Any = None
        if node.tag in (T_INT, T_FLOAT):
            value = self._construct(node)
            trap = _number_trap(node.value.strip(), node.tag)
            if trap is not None:
                self.error(node, f"{path}: YAML 1.1 reads {node.value.strip()} as {value!r}, {trap}; write the "
                           "number plainly (no leading zero, no ':'), or quote it if it is not a number",
                           "yaml-trap")
                return None
        elif node.tag == T_STR:
            try:  # float() would read the digits of any script: only ASCII ones are amounts here
                value = float(node.value.replace(",", "").replace("_", "")) if node.value.isascii() else None
            except ValueError:
                value = None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
            self.error(node, f"{path}: '{node.value}' is not a number; write digits only, e.g. 12000.50",
                       "not-a-number")
            return None
        if value < 0:
            self.error(node, f"{path}: {node.value} is negative; amounts are positive "
                       "(record a refund as a note)", "negative-amount")
            return None
        if value > S.NUMBER_MAX:  # .inf too
            shown = node.value if len(node.value) <= 24 else node.value[:12] + "…" + f" ({len(node.value)} digits)"
            self.error(node, f"{path}: {shown} is beyond the amounts crmgen works with "
                       f"(0 to {S.NUMBER_MAX:,})", "number-range")
            return None
        return float(value) if isinstance(value, float) else int(value)

    def cadence(self, node: yaml.ScalarNode, path: str) -> int | None:
        days: int | None = None
        if node.tag == T_INT and not node.value.startswith("0") and ":" not in node.value:
            days = int(self._construct(node))
        elif node.tag == T_STR and (m := _CADENCE.match(node.value.strip())):
            days = int(m[1]) * _CADENCE_UNIT[m[2].lower()]
        if days is None or days <= 0:
            self.error(node, f"{path}: '{node.value}' is not a cadence; write days (10) or 10d, 2w, 3m",
                       "bad-cadence")
            return None
        if days > S.CADENCE_MAX:
            self.error(node, f"{path}: '{node.value}' is {days:,} days; a cadence is 1 to {S.CADENCE_MAX:,} "
                       "days (10 years)", "bad-cadence")
            return None
        return days

    def terms(self, node: yaml.ScalarNode, path: str) -> Any:
        from crmgen.format import terms

        value: str | int | None = None
        if node.tag == T_INT and not node.value.startswith("0") or node.value == "0":
            value = int(self._construct(node))
        elif node.tag == T_STR:
            value = node.value
        read = terms.parse(value) if value is not None else None
        if read is None:
            self.error(node, f"{path}: '{node.value}' is not payment terms; write e.g. {terms.EXAMPLES} "
                       f"(at most {terms.TERMS_MAX:,} days)", "bad-terms")
        return read

    def birthday(self, node: yaml.ScalarNode, path: str) -> tuple[Any, ...] | None:
        """The arguments of a :class:`crmgen.format.model.Birthday`: (month, day, year or None), and
        for a lunar birthday (month, day, year or None, True, leap month, as written)."""
        raw = node.value.strip()
        if node.tag == T_STR and _is_lunar(raw):
            day = self._lunar(node, path, raw)
            return (day.month, day.day, day.year, True, day.leap, raw) if day is not None else None
        m = _NO_YEAR.match(raw)
        if node.tag == T_STR and m:
            month, day = int(m[1]), int(m[2])
            try:
                dt.date(2000, month, day)  # a leap year, so --02-29 is fine
            except ValueError:
                self.error(node, f"{path}: {raw} is not a real day of the year", "impossible-date")
                return None
            return month, day, None
        value = self.date(node, path)
        return (value.month, value.day, value.year) if value else None

    def yearly_date(self, node: yaml.ScalarNode, path: str) -> dt.date | tuple[Any, ...] | None:
        """A date that recurs every year (an anniversary's): a date, or for a lunar one (its
        Gregorian day, (lunar year, month, day, leap month), as written)."""
        raw = node.value.strip()
        if not (node.tag == T_STR and _is_lunar(raw)):
            return self.date(node, path)
        day = self._lunar(node, path, raw)
        if day is None:
            return None
        if day.year is None:
            self.error(node, f"{path}: '{raw}' has no year; a lunar anniversary needs the year it first "
                       f"happened (1998年{day.chinese()} or lunar 1998-{str(day)[6:]})", "bad-date")
            return None
        from crmgen.rules import lunar

        first = lunar.to_gregorian(day.year, day.month, day.day, day.leap)
        return first, (day.year, day.month, day.day, day.leap), raw

    def _lunar(self, node: yaml.ScalarNode, path: str, raw: str) -> Any:
        """The :class:`crmgen.rules.lunar.LunarDay` ``raw`` writes, or None (the problem reported)."""
        from crmgen.rules import lunar

        day = lunar.parse(raw)
        if isinstance(day, lunar.Refused):
            self.error(node, f"{path}: {day}", day.code)
            return None
        return day

    def rate(self, node: yaml.ScalarNode, path: str) -> float | None:
        if node.tag == T_STR and (m := _RATE.match(node.value.strip())):
            value = float(m[1]) / 100
        elif node.tag in (T_INT, T_FLOAT):
            value = float(self._construct(node))
            if value > 1:
                self.error(node, f"{path}: {node.value} is ambiguous; write {node.value}% or "
                           f"{value / 100:g}", "bad-rate")
                return None
        else:
            self.error(node, f"{path}: '{node.value}' is not a rate; write 2% or 0.02", "bad-rate")
            return None
        if not 0 <= value <= 1:
            self.error(node, f"{path}: {node.value} is not between 0% and 100%", "bad-rate")
            return None
        return value

    def plain(self, node: yaml.Node, path: str, depth: int = 1) -> Any:
        """Free-form values under ``extra``: read as YAML says, dates as ISO text; no deeper
        than :data:`~crmgen.format.schema.NESTING_MAX` levels."""
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and depth > S.NESTING_MAX:
            self.error(node, f"{path}: lists and mappings nested more than {S.NESTING_MAX} levels deep; "
                       "flatten them", "too-deep")
            return None
        if isinstance(node, yaml.MappingNode):
            return {str(self.plain(k, path, depth + 1)): self.plain(v, f"{path}.{getattr(k, 'value', '?')}", depth + 1)
                    for k, v in node.value}
        if isinstance(node, yaml.SequenceNode):
            return [self.plain(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node.value)]
        value = self._construct(node)  # type: ignore[arg-type]
        raw = node.value
        lossy = (node.tag == T_INT and (raw.startswith("0") and raw != "0" or ":" in raw)) or (
            node.tag == T_BOOL and raw.lower() not in ("true", "false"))
        if lossy:
            # never validated, but a zip code that silently becomes another number is data lost
            key = path.rsplit(".", 1)[-1]
            self.error(node, f"{path}: YAML reads {raw} as {str(value).lower()}; if it is text, quote it: "
                       f"{key}: \"{raw}\"", "yaml-trap", WARNING)
        if value is None and node.tag == T_TIMESTAMP:
            return node.value
        if isinstance(value, float) and not math.isfinite(value):  # .inf, .nan: no JSON holds them
            self.error(node, f"{path}: {raw} is not a number crmgen can keep (JSON has no infinity or NaN); "
                       "write a number, or quote it if it is text", "number-range")
            return None
        return value


def _plain_amount(value: float) -> str:
    """``42,000`` or ``1,234.50``: an amount without a currency (the settings name it, and a file
    is checked without them)."""
    return f"{value:,.2f}".removesuffix(".00")


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"'{node.value}'"


# -- body ----------------------------------------------------------------------

# (line index, date, the heading after the date, index of the line after the section,
#  the Next date and what to do)
Section = tuple[int, dt.date, str, int, dt.date | None, str | None]


def parse_body(raw: RawFile, problems: list[Problem]) -> tuple[Interaction, ...]:
    """The dated ``## YYYY-MM-DD type: summary`` sections of the body."""
    from crmgen.format.model import Interaction

    lines = raw.body.splitlines()
    interactions = []
    for i, when, rest, end, next_date, next_what in _sections(raw, lines, problems):
        word, _, summary = rest.partition(":") if ":" in rest.split(" ", 1)[0] else rest.partition(" ")
        if word.strip().lower() in INTERACTION_TYPES:
            kind, text = word.strip().lower(), summary.strip()
        else:
            kind, text = "note", rest.strip()
        interactions.append(Interaction(
            date=when, type=kind, summary=text, body="\n".join(lines[i + 1:end]).strip("\n"),
            next_date=next_date, next_what=next_what, line=raw.body_line + i,
        ))
    return tuple(interactions)


def _sections(raw: RawFile, lines: list[str], problems: list[Problem]) -> list[Section]:
    """The dated sections of the body's ``lines``; what is wrong in them goes to ``problems``."""
    body = raw.body
    # only a heading (or a fence, when the body has one) can start or end a section: one list
    # comprehension passes over the other lines, and a body without fences is not searched for them
    if "```" in body or "~~~" in body:
        marked = [i for i, line in enumerate(lines) if line.startswith("#") or "```" in line or "~~~" in line]
    else:
        marked = [i for i, line in enumerate(lines) if line.startswith("#")]
    found: list[tuple[int, dt.date, str, int]] = []  # (index, date, rest of the heading, next bound's index)
    bounds: list[int] = []
    in_fence = False
    for i in marked:
        line = lines[i]
        if ("```" in line or "~~~" in line) and re.match(_FENCE, line):
            in_fence = not in_fence
            continue
        if in_fence or not line.startswith("#"):
            continue
        if line.startswith("# ") or line.startswith("## ") or line.startswith("##\t"):
            bounds.append(i)
        m = _HEADING.match(line)
        if not m:
            continue
        token = m[1]
        lineno = raw.body_line + i
        dm = _ISO_DATE.match(token)
        if dm is None:
            if re.match(_DATE_OTHER_SEP, token):
                problems.append(Problem(raw.rel_path, lineno, 4, WARNING,
                    f"heading date '{token}' is not YYYY-MM-DD, so this is not counted as an interaction; "
                    "write it like 2026-11-02", "heading-date"))
            continue
        try:
            when = dt.date(int(dm[1]), int(dm[2]), int(dm[3]))
        except ValueError:
            problems.append(Problem(raw.rel_path, lineno, 4, ERROR,
                f"interaction date {token} is not a real date; fix the heading", "impossible-date"))
            continue
        beyond = _beyond(when, token)
        if beyond is not None:
            problems.append(Problem(raw.rel_path, lineno, 4, ERROR, f"interaction date {beyond}", "date-range"))
            continue
        # a heading is a bound: the next one ends its section
        found.append((i, when, m[2].rstrip(" \t"), len(bounds)))
    sections: list[Section] = []
    for i, when, rest, after in found:
        end = bounds[after] if after < len(bounds) else len(lines)
        next_date = next_what = None
        for j in range(i + 1, end):
            line = lines[j]
            # a Next line has a colon (ASCII or full-width) in it
            if ":" not in line and "：" not in line:
                continue
            m = _NEXT.match(line)
            if not m:
                continue
            token = m[1]
            dm = _ISO_DATE.match(token)
            try:
                parsed = dt.date(int(dm[1]), int(dm[2]), int(dm[3])) if dm else None
            except ValueError:
                parsed = None
            if parsed is None:
                problems.append(Problem(raw.rel_path, raw.body_line + j, line.find(token) + 1 if token else 1,
                    ERROR, f"next step date '{token}' is not a real date; write 'Next: YYYY-MM-DD what to do'",
                    "bad-next"))
                continue
            beyond = _beyond(parsed, token)
            if beyond is not None:
                problems.append(Problem(raw.rel_path, raw.body_line + j, line.find(token) + 1, ERROR,
                    f"next step date {beyond}", "date-range"))
                continue
            next_date, next_what = parsed, m[2].rstrip(" \t") or None
            break
        sections.append((i, when, rest, end, next_date, next_what))
    return sections


# -- assembly ------------------------------------------------------------------

def validate(raw: RawFile, slug: str, *, build: bool = True) -> Located:
    """Validate one parsed file; the client is None when there is any error.

    ``build=False`` (``check --no-cache``, which only reports) makes every check without
    building the client, or even importing the model: ``Located.client`` is its :class:`Facts`.
    """
    w = _Walker(raw)
    data: dict[str, Any] | None = None
    if raw.node is None and not raw.yaml_failed:
        w.problems.append(Problem(raw.rel_path, raw.yaml_line, 1, ERROR,
            "front matter is empty; add at least 'name:' and 'grade:'", "missing-key"))
    elif raw.node is not None:
        data = w.mapping(raw.node, "", S.CLIENT)
    if build:
        interactions = parse_body(raw, w.problems)
    else:
        _sections(raw, raw.body.splitlines(), w.problems)
    if data is None:
        return Located(None, w.problems, w.positions)
    _check_records(w, raw, data)
    client: Any = None
    if "name" in data and "grade" in data and not any(p.is_error for p in w.problems):
        if build:
            client = _assemble(raw, slug, data, interactions, w.positions)
        else:
            client = Facts(slug, data.get("referred_by"), data.get("phone"), data.get("email"),
                           tuple(r.get("stage") for r, _ in data.get("opportunities", ())))
    return Located(client, w.problems, w.positions)


def _check_records(w: _Walker, raw: RawFile, d: dict[str, Any]) -> None:
    """The checks that look at several values of one record (or of the rebate) at once."""
    for r, node in d.get("promises", ()):
        if r.get("kept") and r.get("broken"):
            w.error(node, f"promises[{r['__index__']}]: both kept and broken; keep only the one "
                    "that happened", "kept-and-broken")
    ids: dict[str, int] = {}
    owed = 0.0
    for r, node in d.get("orders", ()):
        i = r["__index__"]
        amount, paid = r.get("amount"), r.get("paid", 0) or 0
        payments = [p for p, _ in r.get("payments", ()) if p.get("amount") is not None]
        if payments:
            total = round(sum(p["amount"] for p in payments), 2)  # to the cent: 100.10 + 200.20 is 300.30
            if "paid" in r and round(paid, 2) != total:
                w.error(node, f"orders[{i}]: paid {paid:,g} but the payments add up to {total:,g}; "
                        "leave out paid (the payments are counted) or correct it", "paid-mismatch", WARNING)
            paid = total
            for p, p_node in r.get("payments", ()):
                if p.get("date") and r.get("date") and p["date"] < r["date"]:
                    w.error(p_node, f"orders[{i}].payments: paid {p['date']}, before the order of {r['date']}; "
                            "check the dates (a deposit is an order of its own)", "paid-before-order", WARNING)
        if amount is not None and paid > amount:
            w.error(node, f"orders[{i}]: paid {paid:g} is more than the amount "
                    f"{amount:g}; check both figures", "overpaid")
        elif amount is not None:
            owed += amount - paid
        if (oid := r.get("id")) is not None:
            if oid in ids:
                w.error(node, f"orders[{i}]: id '{oid}' is already the id of orders[{ids[oid]}]; give each "
                        "order its own", "duplicate-id")
            ids.setdefault(oid, i)
        _check_reviews(w, r, node)
    sides = [r.get("by") for r, _ in d.get("promises", ())]
    promise_ids: dict[str, int] = {}
    for r, node in d.get("promises", ()):
        if (pid := r.get("id")) is not None:
            if pid in promise_ids:
                w.error(node, f"promises[{r['__index__']}]: id '{pid}' is already the id of "
                        f"promises[{promise_ids[pid]}]; give each promise its own", "duplicate-id")
            promise_ids.setdefault(pid, r["__index__"])
        if (number := r.get("because")) is not None:
            ours = [str(i + 1) for i, by in enumerate(sides) if by == "us"]
            if r.get("by") == "us":
                w.error(node, f"promises[{r['__index__']}]: because names the promise of ours that made the "
                        "client break theirs; leave it out of our own promises", "bad-because")
            elif number != int(number) or not 1 <= number <= len(sides) or sides[int(number) - 1] != "us":
                w.error(node, f"promises[{r['__index__']}]: because: {number:g} is not the number of one of our "
                        f"promises (ours are {', '.join(ours) or 'none'}; 1 is the first in the list)", "bad-because")
            elif not r.get("broken"):
                w.error(node, f"promises[{r['__index__']}]: because is for a broken promise; this one is not "
                        "broken", "bad-because", WARNING)
        if (oid := r.get("order")) is not None and oid not in ids:
            import difflib

            near = difflib.get_close_matches(oid, list(ids), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else (
                f"; the orders' ids are {', '.join(ids)}" if ids else "; give the order an id: first")
            w.error(node, f"promises[{r['__index__']}]: order '{oid}' is not the id of any order{hint}",
                    "unknown-order")
    limit = d.get("credit_limit")
    owed = round(owed, 2)  # to the cent, whatever the order of the sum
    if limit is not None and owed > limit:
        line, col = w.positions.get("credit_limit", (raw.yaml_line, 1))
        w.problems.append(Problem(raw.rel_path, line, col, NOTE,
            f"the orders leave {_plain_amount(owed)} unpaid, over the credit limit of {_plain_amount(limit)}; "
            "collect before the "
            "next order, or raise the limit", "over-credit"))
    for r, node in d.get("complaints", ()):
        _check_complaint(w, r, node)
    _check_opportunities(w, d, ids)
    for r, node in d.get("services", ()):
        where, start = f"services[{r['__index__']}]", r.get("from")
        if start and r.get("last") and r["last"] < start:
            w.error(_child(node, "last"), f"{where}: last {r['last']} is before the first service {start} (from)",
                    "last-before-from")
        if start and r.get("until") and r["until"] < start:
            w.error(_child(node, "until"), f"{where}: until {r['until']} is before the first service {start} (from)",
                    "until-before-from")
    programmes = [("rebate", d["rebate"], None)] if d.get("rebate") is not None else []
    programmes += [(f"rebates[{r['__index__']}]", r, node) for r, node in d.get("rebates", ())]
    for where, rb, node in programmes:
        start, end, settled = rb.get("from"), rb.get("to"), rb.get("settled")
        line, col = w.where(node) if node is not None else w.positions.get("rebate", (raw.yaml_line, 1))
        if start and end and end < start:
            w.problems.append(Problem(raw.rel_path, line, col, ERROR,
                f"{where}: 'to' {end} is before 'from' {start}", "bad-period"))
        elif settled and end and settled < end:
            w.problems.append(Problem(raw.rel_path, line, col, WARNING,
                f"{where}: settled {settled}, before the period ends on {end}; the rebate is only known "
                "once it has", "settled-early"))


def _check_reviews(w: _Walker, r: dict[str, Any], node: yaml.Node) -> None:
    """An order's two after-sale reviews: an outcome needs its review's day, the usage review
    comes after the delivery."""
    where = f"orders[{r['__index__']}]"
    for outcome, day in (("review_outcome", "reviewed"), ("usage_outcome", "usage_reviewed")):
        if r.get(outcome) is not None and not r.get(day):
            w.error(_child(node, outcome), f"{where}: {outcome} {r[outcome]} but no {day}; add {day}: the day "
                    "of that review", "outcome-without-review", WARNING)
    used, delivered = r.get("usage_reviewed"), r.get("delivered")
    if used and delivered and used < delivered:
        w.error(_child(node, "usage_reviewed"), f"{where}: usage_reviewed {used} is before it was delivered "
                f"{delivered}; the usage review comes after some weeks of use", "usage-before-delivery")
    elif used and not delivered:
        w.error(_child(node, "usage_reviewed"), f"{where}: usage_reviewed {used} but the order is not "
                "delivered; add delivered: the day it was", "usage-before-delivery")


def _check_opportunities(w: _Walker, d: dict[str, Any], order_ids: dict[str, int]) -> None:
    """What one file can tell of its opportunities (the stage's name against the team's stages is
    checked with the settings: :func:`crmgen.rules.opportunities.stage_problems`)."""
    seen: dict[str, int] = {}
    for r, node in d.get("opportunities", ()):
        where, stage = f"opportunities[{r['__index__']}]", r.get("stage")
        w.positions[f"{where}.stage"] = w.where(_child(node, "stage"))
        if (oid := r.get("id")) is not None:
            if oid in seen:
                w.error(_child(node, "id"), f"{where}: id '{oid}' is already the id of opportunities[{seen[oid]}]; "
                        "give each opportunity its own", "duplicate-id")
            seen.setdefault(oid, r["__index__"])
        if r.get("since") and r.get("opened") and r["since"] < r["opened"]:
            w.error(_child(node, "since"), f"{where}: since {r['since']} is before it was opened {r['opened']}",
                    "since-before-opened")
        if r.get("lost_reason") is not None and stage != "lost":
            w.error(_child(node, "lost_reason"), f"{where}: a lost_reason, but the stage is {stage or 'the first'}; "
                    "set stage: lost, or leave out lost_reason", "reason-not-lost")
        if (order := r.get("order")) is not None:
            if stage != "won":
                w.error(_child(node, "order"), f"{where}: order names what it became, but the stage is "
                        f"{stage or 'the first'}; set stage: won, or leave out order", "order-not-won")
            elif order not in order_ids:
                hint = f"; the orders' ids are {', '.join(order_ids)}" if order_ids else "; give the order an id: first"
                w.error(_child(node, "order"), f"{where}: order '{order}' is not the id of any order{hint}",
                        "unknown-order")


def _child(node: yaml.Node, *keys: str) -> yaml.Node:
    """The value node at ``keys`` inside the mapping ``node`` (the nearest one there is): a problem
    about one key points at that key."""
    for key in keys:
        found = next((v for k, v in node.value if getattr(k, "value", None) == key), None) \
            if isinstance(node, yaml.MappingNode) else None
        if found is None:
            return node
        node = found
    return node


def _check_complaint(w: _Walker, r: dict[str, Any], node: yaml.Node) -> None:
    """The six steps are taken in order, each on or after the day before, and closing is the last."""
    where = f"complaints[{r['__index__']}]"
    opened, closed, step = r.get("opened"), r.get("closed"), r.get("step", "listen")
    if closed and opened and closed < opened:
        w.error(_child(node, "closed"), f"{where}: closed {closed} is before it was opened {opened}", "closed-before-opened")
    if closed and step != "review":
        w.error(_child(node, "closed"), f"{where}: closed at the {step} step; a complaint is closed after the sixth step, "
                "review (making sure it does not happen again): set step: review, or leave out closed",
                "closed-before-review")
    if r.get("visited") and closed and r["visited"] < closed:
        w.error(_child(node, "visited"), f"{where}: visited {r['visited']}, before it was closed {closed}; the follow-up visit "
                "comes after closing", "visited-before-closed")
    steps = r.get("steps") or {}
    current = COMPLAINT_STEPS.index(step) if step in COMPLAINT_STEPS else len(COMPLAINT_STEPS)
    last: tuple[str, dt.date] | None = None
    for name in COMPLAINT_STEPS:
        day = steps.get(name)
        if not isinstance(day, dt.date):
            continue
        at = _child(node, "steps", name)
        if COMPLAINT_STEPS.index(name) > current:
            w.error(at, f"{where}: steps.{name} is dated but the step is {step}; set step: {name} "
                    f"(the step being worked on), or leave out steps.{name}", "step-after-current")
        if opened and day < opened:
            w.error(at, f"{where}: steps.{name} {day} is before it was opened {opened}", "step-before-opened")
        if closed and day > closed:
            w.error(at, f"{where}: steps.{name} {day} is after it was closed {closed}", "step-after-closed")
        if last is not None and day < last[1]:
            w.error(at, f"{where}: steps.{name} {day} is before steps.{last[0]} {last[1]}; the steps come "
                    "in the order listen, analyse, solve, inform, act, review", "steps-out-of-order")
        last = (name, day)


def _assemble(raw: RawFile, slug: str, d: dict[str, Any], interactions: tuple[Interaction, ...],
              positions: dict[str, tuple[int, int]]) -> Client:
    """The client of a file whose front matter ``d`` has passed every check."""
    from crmgen.format.model import (
        Anniversary,
        Birthday,
        Client,
        Complaint,
        Contact,
        Opportunity,
        Order,
        Payment,
        Promise,
        Rebate,
        RebateTier,
        Service,
    )

    contacts = tuple(
        Contact(name=r.get("name", ""), role=r.get("role"), phone=r.get("phone"), email=r.get("email"),
                birthday=Birthday(*r["birthday"]) if r.get("birthday") else None, left=r.get("left"),
                notes=r.get("notes"), line=r["__line__"])
        for r, _ in d.get("contacts", ())
    )
    dates = tuple(Anniversary(what=r.get("what", ""), date=r["date"], line=r["__line__"])
                  if isinstance(r["date"], dt.date) else  # a lunar date: see _Walker.yearly_date
                  Anniversary(what=r.get("what", ""), date=r["date"][0], line=r["__line__"], lunar=r["date"][1],
                              written=r["date"][2])
                  for r, _ in d.get("dates", ()) if r.get("date"))
    promises = tuple(
        Promise(by=r["by"], what=r["what"], due=r["due"], amount=r.get("amount"), kept=r.get("kept"),
                broken=r.get("broken"), index=r["__index__"], line=r["__line__"], agreed=r.get("agreed"),
                order=r.get("order"), because=int(r["because"]) if r.get("because") is not None else None,
                id=r.get("id"))
        for r, _ in d.get("promises", ()) if r.get("due") and "by" in r and "what" in r
    )
    orders = []
    for r, _ in d.get("orders", ()):
        if not r.get("date") or r.get("amount") is None:
            continue
        payments = tuple(sorted((Payment(date=p["date"], amount=p["amount"], note=p.get("note"))
                                 for p, _ in r.get("payments", ()) if p.get("date") and p.get("amount") is not None),
                                key=lambda p: p.date))
        paid = round(sum(p.amount for p in payments), 2) if payments else r.get("paid", 0) or 0
        orders.append(Order(date=r["date"], amount=r["amount"], paid=paid, pay_by=r.get("pay_by"),
                            delivered=r.get("delivered"), reviewed=r.get("reviewed"), items=r.get("items"),
                            index=r["__index__"], line=r["__line__"], id=r.get("id"), payments=payments,
                            terms=r.get("terms"), review_outcome=r.get("review_outcome"),
                            review_note=r.get("review_note"), usage_reviewed=r.get("usage_reviewed"),
                            usage_outcome=r.get("usage_outcome"), usage_note=r.get("usage_note")))
    complaints = tuple(
        Complaint(opened=r["opened"], what=r["what"], step=r.get("step", "listen"), closed=r.get("closed"),
                  index=r["__index__"], line=r["__line__"],
                  steps=tuple((step, day) for step in COMPLAINT_STEPS
                              if (day := (r.get("steps") or {}).get(step)) is not None),
                  cause=r.get("cause"), cause_note=r.get("cause_note"), handler=r.get("handler"),
                  escalated_to=r.get("escalated_to"), escalated=r.get("escalated"),
                  compensation=r.get("compensation"), compensation_amount=r.get("compensation_amount"),
                  visited=r.get("visited"))
        for r, _ in d.get("complaints", ()) if r.get("opened") and r.get("what")
    )
    opportunities = tuple(
        Opportunity(what=r["what"], stage=r.get("stage"), amount=r.get("amount"), probability=r.get("probability"),
                    expected=r.get("expected"), opened=r.get("opened"), since=r.get("since"),
                    competitor=r.get("competitor"), next_step=r.get("next_step"), lost_reason=r.get("lost_reason"),
                    order=r.get("order"), id=r.get("id"), index=r["__index__"], line=r["__line__"])
        for r, _ in d.get("opportunities", ()) if r.get("what")
    )
    services = tuple(
        Service(what=r["what"], every=r["every"], from_=r.get("from"), last=r.get("last"), product=r.get("product"),
                until=r.get("until"), index=r["__index__"], line=r["__line__"])
        for r, _ in d.get("services", ()) if r.get("what") and r.get("every")
    )

    def programme(rb: dict[str, Any], line: int, index: int) -> Any:
        tiers = tuple(sorted((RebateTier(over=r["over"], rate=r["rate"]) for r, _ in rb.get("tiers", ())
                              if "over" in r and "rate" in r), key=lambda t: t.over))
        return Rebate(start=rb.get("from"), end=rb.get("to"), tiers=tiers, line=line, name=rb.get("name"),
                      basis=rb.get("basis", "ordered"), mode=rb.get("mode", "whole"), settled=rb.get("settled"),
                      index=index)

    rebate = None
    if (rb := d.get("rebate")) is not None:
        rebate = programme(rb, positions.get("rebate", (raw.yaml_line, 1))[0], 0)
    first = 1 if rebate is not None else 0
    rebates = tuple(programme(r, r["__line__"], first + i) for i, (r, _) in enumerate(d.get("rebates", ())))
    return Client(
        slug=slug, path=raw.rel_path, name=d["name"], grade=d["grade"], stage=d.get("stage", "prospect"),
        owner=d.get("owner"), tags=d.get("tags", ()), phone=d.get("phone"), email=d.get("email"),
        address=d.get("address"), region=d.get("region"), source=d.get("source"),
        blocked_until=d.get("blocked_until"),
        win_back=d.get("win_back"), website=d.get("website"), industry=d.get("industry"),
        notes=d.get("notes"), since=d.get("since"), cadence=d.get("cadence"),
        referred_by=d.get("referred_by"), credit_limit=d.get("credit_limit"), contacts=contacts,
        terms=d.get("terms"), dates=dates, promises=promises, orders=tuple(orders), complaints=complaints,
        opportunities=opportunities, services=services,
        rebate=rebate, rebates=rebates, extra=d.get("extra", {}), interactions=interactions, body=raw.body,
        body_line=raw.body_line,
    )
