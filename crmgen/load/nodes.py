"""Files to YAML nodes with source positions.

This is the only module that reads client files. It checks what can go wrong
before validation (size, symlinks, encoding, the ``---`` fences, YAML syntax,
anchors) and hands :mod:`crmgen.format.validation` a node tree whose marks give the
line and column of every value.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import NamedTuple

import yaml

from crmgen.format.errors import ERROR, WARNING, Problem

try:  # libyaml is ~10x faster than the pure-Python parser
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_TAGS: dict[str, str] = {}
_DEFAULT_TAGS = {yaml.ScalarNode: _BaseLoader.DEFAULT_SCALAR_TAG, yaml.SequenceNode: _BaseLoader.DEFAULT_SEQUENCE_TAG,
                 yaml.MappingNode: _BaseLoader.DEFAULT_MAPPING_TAG}


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, remembering which tag each plain scalar resolves to.

    libyaml calls the Python ``resolve``, ``descend_resolver`` and ``ascend_resolver`` for
    every node (a fifth of the time spent reading a book). Without path resolvers (the
    safe loader has none, and nothing adds any to this class) the last two do nothing, a
    node that is not a plain scalar gets its kind's default tag, and the tag of a plain
    scalar depends on its text alone: the same texts (dates, grades, stages, amounts...)
    come back in every file.
    """

    def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
        if kind is not yaml.ScalarNode or not implicit[0]:
            return _DEFAULT_TAGS[kind]
        tag = _TAGS.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_TAGS) < 200_000:
                _TAGS[value] = tag
        return tag

    def descend_resolver(self, current_node, current_index):  # type: ignore[no-untyped-def]
        pass

    def ascend_resolver(self):  # type: ignore[no-untyped-def]
        pass


MAX_BYTES = 1024 * 1024
# The line breaks of str.splitlines() besides \n, \r and \r\n (which counts as one)
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
# The opening fence line, and a line break then the closing one (the \n of a \r\n is a break
# before a line too); each ends with a break str.rstrip("\r\n") takes away, or the text
_OPEN = re.compile(r"---[ \t]*(?:\r\n|\n|\r|\Z)")
# (a pattern string: compiled by re's cache when a file first needs it, as its class of line
# breaks costs more to compile than reading ten files)
_CLOSE = rf"[\n\r{_OTHER_BREAKS}]((?:---|\.\.\.)[ \t]*(?:\r\n|\n|\r|\Z))"
# the same where every break is \n: searched for its first character, several times faster
_CLOSE_LF = re.compile(r"\n((?:---|\.\.\.)[ \t]*(?:\n|\Z))")


class RawFile(NamedTuple):
    """A client file split into its parts; ``node`` is None when the YAML could not be read."""

    rel_path: str
    text: str
    node: yaml.Node | None
    yaml_line: int  # the file line where the front matter's first line is
    body: str
    body_line: int  # the file line where the body starts
    bom: bool
    newline: str
    yaml_failed: bool = False


def decode(data: bytes, rel_path: str) -> tuple[str | None, bool, list[Problem]]:
    """Bytes to text: UTF-8 with or without BOM; otherwise a problem naming the likely encoding."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return None, False, [Problem(rel_path, 1, 1, ERROR,
            "file is UTF-16, not UTF-8; re-save it as UTF-8 (in your editor: Save As, encoding UTF-8)",
            "encoding")]
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        return data.decode("utf-8"), bom, []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        guess = guess_encoding(data)
        hint = (
            f"it looks like {guess}" if guess else "its encoding is unknown"
        )
        how = (
            "re-save it as UTF-8 (VS Code: 'Reopen with Encoding' then 'Save with Encoding: UTF-8'; "
            f"or: iconv -f {guess or 'GB18030'} -t UTF-8 FILE > FILE.new && mv FILE.new FILE)"
        )
        return None, bom, [Problem(rel_path, line, col, ERROR,
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); {hint}; {how}", "encoding")]


def guess_encoding(data: bytes) -> str | None:
    """A best guess at a non-UTF-8 encoding, preferring GBK/GB18030 as Excel in China writes."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and re.search(r"[\u4e00-\u9fff]", text):
        try:
            data.decode("gbk")
            return "GBK"
        except UnicodeDecodeError:
            return "GB18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return best.encoding.upper().replace("_", "-") if best else None


def split(text: str, rel_path: str) -> tuple[tuple[str, int, str, int] | None, list[Problem]]:
    """Split ``---`` front matter from the body: (yaml, yaml_line, body, body_line).

    The first line (as ``str.splitlines`` splits lines) must be ``---``; the front matter runs
    to the next line that is ``---`` or ``...``, blanks after either allowed. Found by searching
    the text: splitting it all into lines took a third of the time of reading a file.
    """
    first = _OPEN.match(text)
    if first is None:
        return None, [Problem(rel_path, 1, 1, ERROR,
            "missing front matter: the file must start with a line '---', then the YAML keys "
            "(name, grade, ...), then another '---'", "no-front-matter")]
    start = first.end()
    lf_only = "\r" not in text and not any(c in text for c in _OTHER_BREAKS)
    pattern = _CLOSE_LF if lf_only else re.compile(_CLOSE)
    close = pattern.search(text, start - 1)  # from the first line's break
    if close is None:
        return None, [Problem(rel_path, 1, 1, ERROR,
            "unclosed front matter: no closing '---' line after the YAML keys; add one before the body",
            "unclosed-front-matter")]
    yaml_text = text[start:close.start(1)]
    lines = yaml_text.count("\n") if lf_only else len(yaml_text.splitlines())
    return (yaml_text, 2, text[close.end():], lines + 3), []


def _short_tag(tag: str) -> str:
    """A tag as it was written: ``!!str`` for YAML's own, ``!name`` for a local one."""
    return "!!" + tag[len(_YAML_TAG):] if tag.startswith(_YAML_TAG) else tag


_YAML_TAG = "tag:yaml.org,2002:"


def _event_problems(yaml_text: str, rel_path: str, line0: int) -> list[Problem]:
    """Reject anchors, aliases and tags (see the format page): anchors and aliases make values
    hard to read and allow 'billion laughs' bombs; a tag (``!!str``, ``!!binary``,
    ``!!python/...``) makes a value something other than what it looks like.

    Scanning events is linear in the text, so a bomb fails fast instead of expanding.
    """
    problems: list[Problem] = []
    for event in yaml.parse(yaml_text, Loader=_Loader):
        anchor = getattr(event, "anchor", None)
        tag = getattr(event, "tag", None)
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent) or anchor is not None:
            what = f"alias '*{anchor}'" if isinstance(event, yaml.AliasEvent) else f"anchor '&{anchor}'"
            problems.append(Problem(rel_path, line0 + mark.line, mark.column + 1, ERROR,
                f"YAML {what} is not allowed in client files; write the value out in full", "yaml-alias"))
        elif tag is not None:  # only a tag written in the text: a quoted value's event has none
            problems.append(Problem(rel_path, line0 + mark.line, mark.column + 1, ERROR,
                f"YAML tag '{_short_tag(tag)}' is not allowed in client files; remove it "
                "(quote the value if it must stay text)", "yaml-tag"))
        if len(problems) >= 5:
            break
    return problems


def parse_yaml(yaml_text: str, rel_path: str, line0: int) -> tuple[yaml.Node | None, list[Problem]]:
    """Compose the YAML into nodes (not Python objects) so every value keeps its position."""
    try:
        if "&" in yaml_text or "*" in yaml_text or "!" in yaml_text:
            problems = _event_problems(yaml_text, rel_path, line0)
            if problems:
                return None, problems
        node = yaml.compose(yaml_text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = line0 + mark.line if mark else line0
        col = mark.column + 1 if mark else 1
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        return None, [Problem(rel_path, line, col, ERROR,
            f"YAML syntax error: {what}; check indentation and quote values containing ': ' or '#'",
            "yaml-syntax")]
    except yaml.YAMLError as exc:
        return None, [Problem(rel_path, line0, 1, ERROR, f"YAML error: {exc}", "yaml-syntax")]
    except RecursionError:  # PyYAML's pure-Python composer, on lists nested hundreds deep
        return None, [Problem(rel_path, line0, 1, ERROR,
            "YAML nested too deeply to read; flatten the lists and mappings", "too-deep")]
    return node, []


def parse_text(text: str, rel_path: str, bom: bool = False) -> tuple[RawFile | None, list[Problem]]:
    """Decoded text to a :class:`RawFile` (node None if the YAML is unreadable)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    parts, problems = split(text, rel_path)
    if parts is None:
        return None, problems
    yaml_text, yaml_line, body, body_line = parts
    node, problems = parse_yaml(yaml_text, rel_path, yaml_line)
    return RawFile(rel_path, text, node, yaml_line, body, body_line, bom, newline, bool(problems)), problems


def check_path(path: Path, rel_path: str, root: Path) -> list[Problem]:
    """Refuse symlinks leading out of the project and files too large to be a client card."""
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(root.resolve()):
            return [Problem(rel_path, 1, 1, ERROR,
                f"symlink points outside the project (to {target}); a build must never publish a file "
                "from elsewhere: copy the file into clients/ instead", "symlink-outside")]
    try:
        st = path.stat()
    except OSError as exc:
        return [Problem(rel_path, 1, 1, ERROR, f"cannot read file: {exc.strerror}", "unreadable")]
    if not stat.S_ISREG(st.st_mode):
        # Opening a named pipe waits for a writer; a device or socket is no client card either.
        return [Problem(rel_path, 1, 1, WARNING, "not a regular file (a named pipe, socket or device): "
                        "skipped, never opened; remove it from clients/", "not-a-file")]
    size = st.st_size
    if size > MAX_BYTES:
        return [Problem(rel_path, 1, 1, ERROR,
            f"file is {size / 1048576:.1f} MiB, over the 1 MiB limit for a client file; move long notes "
            "or attachments elsewhere", "too-large")]
    return []


def read_file(path: Path, rel_path: str, root: Path) -> tuple[RawFile | None, list[Problem]]:
    """Read, decode and parse one client file."""
    problems = check_path(path, rel_path, root)
    if problems:
        return None, problems
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(rel_path, 1, 1, ERROR, f"cannot read file: {exc.strerror}", "unreadable")]
    text, bom, problems = decode(data, rel_path)
    if text is None:
        return None, problems
    return parse_text(text, rel_path, bom)
