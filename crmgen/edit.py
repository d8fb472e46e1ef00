"""Surgical edits of a client file: append an interaction, add a promise, close one, regrade.

The text functions here are pure: they take the decoded file text and return the
new text. They never re-dump YAML. They find the exact place to change with
``yaml.compose`` (every node knows the character offsets where it starts and
ends) and splice new text in, so comments, key order, quoting, blank lines and
line endings outside the edited span stay byte for byte. Each edit then loads
the front matter before and after and checks that the data changed exactly as
intended, and nothing else did.

:func:`edit_client_file` is the thin I/O edge around them: read, validate, edit,
validate again, and write atomically unless someone else saved the file meanwhile.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from crmgen.format.errors import CrmgenError
from crmgen.format.model import GRADES, INTERACTION_TYPES, PROMISE_SIDES, Client
from crmgen.fsutil import FileChanged, WriteFailed, atomic_write, read_with_snapshot, sweep_dir
from crmgen.load.nodes import check_path, decode, split

# libyaml is ~10x faster than the pure-Python loader, and its node marks are
# the same character offsets into the text we splice (the property tests check
# both agree; every edit is also verified by re-loading the data).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FastLoader = _Loader
BOM = "\ufeff"
T = TypeVar("T")


class EditError(CrmgenError):
    """An edit that cannot be made safely; the message says why and what to do by hand."""


# -- YAML scalars ---------------------------------------------------------------

def yaml_scalar(value: Any, *, flow: bool = False) -> str:
    """``value`` as a YAML scalar that reads back as exactly ``value``.

    Text stays plain when YAML would read it back unchanged as text (so 华东 stays
    华东); anything YAML would turn into a number, date, boolean or null, or that
    holds ``: ``, `` #``, quotes or line breaks, is double-quoted (JSON escapes are
    valid YAML). In a flow collection (``flow=True``) ``,[]{}`` force quotes too.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"cannot write {value!r} as an amount")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        raise TypeError("datetimes are not written into client files")
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")
    quoted = _double_quoted(value)
    if not value or value != value.strip() or any(c in value for c in "\r\n\t\"'\\") or _YAML_UNSAFE.search(value):
        return quoted
    if flow and any(c in value for c in ",[]{}"):
        return quoted
    dumped = yaml.safe_dump(value, allow_unicode=True, width=2**31 - 1)
    plain = dumped.removesuffix("\n").removesuffix("\n...").removesuffix("\n")
    if plain != value or "\n" in plain:
        return quoted
    return plain if _reads_back(plain, value, flow) else quoted


def _reads_back(plain: str, value: str, flow: bool) -> bool:
    """Whether ``plain`` unquoted reads back as ``value`` where it will be written."""
    docs: list[tuple[str, Any]] = [(f"k: {plain}\n", {"k": value})]
    if flow:
        docs = [(f"k: [{plain}]\n", {"k": [value]}), (f"k: {{a: {plain}}}\n", {"k": {"a": value}})]
    # Both parsers: they disagree on a few flow-context corner cases (`[0?]`).
    loaders = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])
    try:
        return all(yaml.load(doc, Loader=loader) == want for doc, want in docs for loader in loaders)
    except yaml.YAMLError:
        return False


# YAML reads these as line breaks or refuses them raw; JSON leaves them unescaped.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _double_quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON syntax, with YAML's extra line breaks escaped)."""
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


# -- locating things in the text --------------------------------------------------

@dataclass(frozen=True)
class _Doc:
    """The decoded text of a client file and where its parts are."""

    text: str
    fm_start: int  # first character of the YAML
    fm_end: int  # first character of the closing fence line
    body_start: int  # first character after the closing fence line
    root: yaml.MappingNode
    newline: str

    def at(self, mark: yaml.Mark) -> int:
        return self.fm_start + mark.index

    def data(self) -> Any:
        return yaml.load(self.text[self.fm_start : self.fm_end], Loader=_FastLoader)


def newline_of(text: str) -> str:
    """The file's line ending, from its first line break (CRLF or LF)."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def _parse(text: str) -> _Doc:
    if text.startswith(BOM):
        raise ValueError("pass the text without its BOM")
    parts, problems = split(text, "")
    if parts is None:
        raise EditError(problems[0].message)
    yaml_text, _line, body, _body_line = parts
    first = text.splitlines(keepends=True)[0]
    fm_start = len(first)
    fm_end = fm_start + len(yaml_text)
    body_start = len(text) - len(body)
    try:
        root = yaml.compose(yaml_text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise EditError(f"the front matter is not valid YAML ({exc}); run 'crmgen check'") from exc
    if not isinstance(root, yaml.MappingNode):
        raise EditError("the front matter is not a mapping of 'key: value' lines; run 'crmgen check'")
    return _Doc(text, fm_start, fm_end, body_start, root, newline_of(text))


def _get(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _last_leaf(node: yaml.Node) -> yaml.Node:
    """The node whose end is the end of ``node`` in the text (block collections end late)."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


def _line_end(text: str, index: int) -> int:
    """The start of the line after the one ``index`` is on (``index`` itself at a line start)."""
    if index == 0 or text[index - 1] == "\n":
        return index
    nl = text.find("\n", index)
    return len(text) if nl < 0 else nl + 1


def _after(doc: _Doc, node: yaml.Node, indent: int | None = None) -> int:
    """Where a new line can go right after ``node`` (after any comment on its last line).

    With ``indent``, comment lines indented at least that much that follow the
    node are taken as part of it, so they stay with it rather than with the new line.
    """
    at = min(_line_end(doc.text, doc.at(_last_leaf(node).end_mark)), doc.fm_end)
    if indent is not None:
        pattern = re.compile(r"[ ]{" + str(indent) + r",}#[^\n]*\n")
        while at < doc.fm_end and (m := pattern.match(doc.text, at)) and m.end() <= doc.fm_end:
            at = m.end()
    return at


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _check_data(before: _Doc, new_text: str, expected: Any) -> None:
    """The edit changed the front matter data exactly as intended (and the text still parses)."""
    parts, _problems = split(new_text, "")
    try:
        data = yaml.load(parts[0], Loader=_FastLoader) if parts else None
    except yaml.YAMLError:
        data = None
    if data != expected:
        raise EditError(
            "crmgen could not make this change without touching other values (an unusual layout "
            "of the front matter); nothing was written: make the change by hand in an editor"
        )


# -- edits ------------------------------------------------------------------------

def _block_item(items: list[tuple[str, str]], dash_col: int, key_col: int, nl: str) -> str:
    gap = " " * max(key_col - dash_col - 1, 1)
    lines = []
    for i, (key, value) in enumerate(items):
        lead = " " * dash_col + "-" + gap if i == 0 else " " * (dash_col + 1 + len(gap))
        lines.append(f"{lead}{key}: {value}{nl}")
    return "".join(lines)


def _flow_map(items: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"


def _list_layout(doc: _Doc) -> tuple[int, int]:
    """(dash offset, key offset) used by the file's other lists of records, default (2, 2)."""
    base = doc.root.start_mark.column
    for _k, v in doc.root.value:
        if isinstance(v, yaml.SequenceNode) and not v.flow_style and v.value:
            first = v.value[0]
            if isinstance(first, yaml.MappingNode) and not first.flow_style:
                return v.start_mark.column - base, first.start_mark.column - v.start_mark.column
    return 2, 2


def append_to_list(text: str, key: str, record: dict[str, Any]) -> str:
    """Append ``record`` (a mapping of scalars) to the top-level list ``key``, creating it if needed.

    Follows the list's own style: block items copy the indentation of the
    existing ones (or of the file's other lists), a flow list ``[...]`` gets a
    flow mapping. A missing key is added at the end of the front matter.
    """
    doc = _parse(text)
    nl = doc.newline
    block = [(k, yaml_scalar(v)) for k, v in record.items()]
    flow = [(k, yaml_scalar(v, flow=True)) for k, v in record.items()]
    found = _get(doc.root, key)
    edits: list[tuple[int, int, str]] = []
    base = doc.root.start_mark.column
    if found is None:
        dash, keyoff = _list_layout(doc)
        new = " " * base + f"{key}:{nl}" + _block_item(block, base + dash, base + dash + keyoff, nl)
        # Right after the last key (and comments indented under it), so that
        # comment lines closing the front matter stay last.
        at = _after(doc, doc.root, base + 1) if doc.root.value else doc.fm_end
        edits.append((at, at, new))
    else:
        key_node, value = found
        if _is_null(value):
            dash, keyoff = _list_layout(doc)
            col = key_node.start_mark.column
            start, end = doc.at(value.start_mark), doc.at(value.end_mark)
            if end > start:  # `key: ~` or `key: null`: drop the null, keep the rest of the line
                edits.append((start, end, ""))
            at = _line_end(doc.text, max(end, doc.at(key_node.end_mark)))
            edits.append((at, at, _block_item(block, col + dash, col + dash + keyoff, nl)))
        elif not isinstance(value, yaml.SequenceNode):
            raise EditError(f"'{key}' is not a list; run 'crmgen check' and fix it first")
        elif value.flow_style:
            close = doc.at(value.end_mark) - 1
            if doc.text[close] != "]":
                raise EditError(f"cannot find the closing ']' of the '{key}' list; add the item by hand")
            if value.value:
                at = doc.at(value.value[-1].end_mark)
                edits.append((at, at, ", " + _flow_map(flow)))
            else:
                edits.append((close, close, _flow_map(flow)))
        else:
            last = value.value[-1]
            dash_col = value.start_mark.column
            at = _after(doc, value, dash_col + 1)
            if isinstance(last, yaml.MappingNode) and last.flow_style:
                new = " " * dash_col + "- " + _flow_map(flow) + nl
            else:
                key_col = last.start_mark.column if isinstance(last, yaml.MappingNode) else dash_col + 2
                new = _block_item(block, dash_col, key_col, nl)
            edits.append((at, at, new))
    new_text = _splice(text, edits)
    expected = copy.deepcopy(doc.data())
    if expected.get(key) is None:
        expected[key] = []
    expected[key].append(dict(record))
    _check_data(doc, new_text, expected)
    return new_text


def add_promise(text: str, by: str, what: str, due: dt.date, amount: float | None = None) -> str:
    """Append a promise to ``promises:`` (created at the end of the front matter when missing)."""
    if by not in PROMISE_SIDES:
        raise EditError(f"--by must be one of {', '.join(PROMISE_SIDES)}, not '{by}'")
    what = _one_line(what, "the promise")
    record: dict[str, Any] = {"by": by, "what": what, "due": due}
    if amount is not None:
        if not math.isfinite(amount) or amount < 0:
            raise EditError(f"the amount must be a positive number, not {amount}")
        record["amount"] = amount
    return append_to_list(text, "promises", record)


def _promise_node(doc: _Doc, number: int) -> yaml.MappingNode:
    found = _get(doc.root, "promises")
    items = found[1].value if found and isinstance(found[1], yaml.SequenceNode) else []
    if not items:
        raise EditError("this client has no promises yet; add one with 'crmgen promise'")
    if not 1 <= number <= len(items):
        raise EditError(
            f"there is no promise #{number}: promises are numbered 1 to {len(items)} in the order "
            "they appear in the file (as on the client's page)"
        )
    node = items[number - 1]
    if not isinstance(node, yaml.MappingNode):
        raise EditError(f"promise #{number} is not a mapping; run 'crmgen check'")
    return node


def close_promise(text: str, number: int, outcome: str, when: dt.date) -> str:
    """Mark promise ``number`` (1-based, file order) ``kept`` or ``broken`` on ``when``.

    Refuses when it already has an outcome: changing a recorded outcome is a
    decision for a person in an editor, not a command.
    """
    if outcome not in ("kept", "broken"):
        raise ValueError(outcome)
    doc = _parse(text)
    node = _promise_node(doc, number)
    for done in ("kept", "broken"):
        if (pair := _get(node, done)) is not None and not _is_null(pair[1]):
            raise EditError(
                f"promise #{number} is already marked {done} ({pair[1].value}); "
                "edit the file by hand to change it"
            )
    if (pair := _get(node, outcome)) is not None:  # `kept:` present but empty
        start, end = doc.at(pair[1].start_mark), doc.at(pair[1].end_mark)
        prefix = "" if doc.text[start - 1 : start] in (" ", "\t") else " "
        edits = [(start, end, prefix + when.isoformat())]
    elif node.flow_style:
        if node.value:
            at = doc.at(node.value[-1][1].end_mark)
            edits = [(at, at, f", {outcome}: {when.isoformat()}")]
        else:
            at = doc.at(node.end_mark) - 1
            edits = [(at, at, f"{outcome}: {when.isoformat()}")]
    else:
        at = _after(doc, node, node.start_mark.column)
        edits = [(at, at, " " * node.start_mark.column + f"{outcome}: {when.isoformat()}{doc.newline}")]
    new_text = _splice(text, edits)
    expected = copy.deepcopy(doc.data())
    expected["promises"][number - 1][outcome] = when
    _check_data(doc, new_text, expected)
    return new_text


def set_grade(text: str, grade: str) -> tuple[str, str | None]:
    """Replace the grade value (keeping its quoting); returns (new text, old grade)."""
    if grade not in GRADES:
        raise EditError(f"grade must be one of {' '.join(GRADES)}, not '{grade}'")
    doc = _parse(text)
    found = _get(doc.root, "grade")
    if found is None or not isinstance(found[1], yaml.ScalarNode) or _is_null(found[1]):
        raise EditError("the file has no 'grade:' value; run 'crmgen check'")
    node = found[1]
    old = node.value
    if old == grade:
        return text, old
    start, end = doc.at(node.start_mark), doc.at(node.end_mark)
    quote = node.style if node.style in ("'", '"') else ""
    new_text = _splice(text, [(start, end, f"{quote}{grade}{quote}")])
    expected = doc.data()
    expected["grade"] = grade
    _check_data(doc, new_text, expected)
    return new_text, old


def _one_line(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise EditError(f"{what} is empty; say what it is")
    if "\n" in value or "\r" in value:
        raise EditError(f"{what} must be one line")
    return value


_FENCE_LINE = re.compile(r"^[ \t]*(```|~~~)")


def append_interaction(
    text: str,
    when: dt.date,
    kind: str,
    summary: str,
    *,
    body: str | None = None,
    next_step: tuple[dt.date, str] | None = None,
) -> str:
    """Append ``## D kind: summary`` (then the body and a ``Next:`` line) at the end of the file."""
    if kind not in INTERACTION_TYPES:
        raise EditError(f"the type must be one of {', '.join(INTERACTION_TYPES)}, not '{kind}'")
    summary = _one_line(summary, "the summary")
    doc = _parse(text)
    if sum(1 for line in text[doc.body_start :].splitlines() if _FENCE_LINE.match(line)) % 2:
        raise EditError("the body ends inside an unclosed ``` code block; close it, then log again")
    nl = doc.newline
    out = []
    if text and not text.endswith("\n"):
        out.append(nl)
    if not re.search(r"\n[ \t]*\r?\n\Z", text if text.endswith("\n") else text + "\n"):
        out.append(nl)  # a blank line before the heading, unless there is one already
    out.append(f"## {when.isoformat()} {kind}: {summary}{nl}")
    if body is not None and body.strip():
        lines = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
        out.append(nl + nl.join(line.rstrip() for line in lines) + nl)
    if next_step is not None:
        date, what = next_step
        what = _one_line(what, "the next step")
        out.append(f"{nl}Next: {date.isoformat()} {what}{nl}")
    return text + "".join(out)


# -- the I/O edge -------------------------------------------------------------------

def _validate(text: str, rel_path: str, when: str) -> Client:
    from crmgen.load.book import parse_client_text

    client, problems = parse_client_text(text, rel_path)
    errors = [p for p in problems if p.is_error]
    if client is not None and not errors:
        return client
    shown = "\n".join("  " + p.format() for p in errors[:5])
    more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
    if when == "before":
        raise EditError(
            f"{rel_path} has errors, so crmgen will not edit it; fix them first "
            f"(crmgen check lists them all):\n{shown}{more}"
        )
    raise EditError(f"the change would make {rel_path} invalid, so nothing was written:\n{shown}{more}")


def edit_bytes(
    data: bytes,
    rel_path: str,
    transform: Callable[[str], tuple[str, T]],
    *,
    verify: Callable[[Client, Client], None] | None = None,
) -> tuple[bytes | None, T]:
    """Apply ``transform`` to a file's bytes: (new bytes, or None when nothing changes; info).

    Decodes (keeping a BOM), validates, transforms, validates the new text (and
    ``verify(old client, new client)``), and encodes it back with the same BOM.
    """
    text, bom, problems = decode(data, rel_path)
    if text is None:
        raise EditError(problems[0].format())
    old_client = _validate(text, rel_path, "before")
    new_text, info = transform(text)
    if new_text == text:
        return None, info
    new_client = _validate(new_text, rel_path, "after")
    if verify is not None:
        verify(old_client, new_client)
    return (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8"), info


def edit_client_file(
    path: Path,
    rel_path: str,
    transform: Callable[[str], tuple[str, T]],
    *,
    verify: Callable[[Client, Client], None] | None = None,
    root: Path | None = None,
) -> tuple[bool, T]:
    """Apply ``transform`` (text -> (new text, info)) to a client file, safely.

    The file must validate before; the new text must validate before it is
    written (and pass ``verify(old client, new client)``). The write is atomic
    and happens only if the file on disk is still the one that was read; if
    another writer saved it meanwhile, the whole edit is redone once on the new
    content, then it gives up with a clear message. Returns (written, info).
    With ``root`` (the project), a symlink leading outside it or an oversized
    file is refused, as ``crmgen check`` refuses them. A failed write is
    :class:`~crmgen.fsutil.WriteFailed` naming ``rel_path``, the file as it was; stale
    temporary files of killed writers in its directory are removed first.
    """
    if root is not None and (problems := check_path(path, rel_path, root)):
        raise EditError(problems[0].format())
    # Temporary files of writers that were killed, here and where a symlink leads.
    for directory in dict.fromkeys([path.parent, Path(os.path.realpath(path)).parent]):
        sweep_dir(directory)
    for attempt in (1, 2):
        try:
            data, snapshot = read_with_snapshot(path)
        except FileNotFoundError as exc:
            raise EditError(f"{rel_path} does not exist") from exc
        except OSError as exc:
            fix = f"make it readable (chmod u+r {rel_path})" if isinstance(exc, PermissionError) else "check it"
            raise EditError(f"cannot read {rel_path}: {(exc.strerror or str(exc)).lower()}; {fix} and run the "
                            "command again (nothing was changed)") from exc
        payload, info = edit_bytes(data, rel_path, transform, verify=verify)
        if payload is None:
            return False, info
        try:
            atomic_write(path, payload, expect=snapshot)
        except WriteFailed as exc:
            raise exc.at(rel_path) from None
        except FileChanged:
            if attempt == 2:
                raise EditError(
                    f"{rel_path} was changed by someone else (an editor or another crmgen) while "
                    "crmgen was writing it, twice in a row; nothing was written: save or close the "
                    "file elsewhere and run the command again"
                ) from None
            continue
        return True, info
    raise AssertionError("unreachable")  # pragma: no cover
