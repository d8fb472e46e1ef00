"""Reading files: encodings, size, symlinks, fences; and a fuzz test that never tracebacks."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmgen.load.book import parse_client_text, read_client_file
from crmgen.load.nodes import MAX_BYTES, decode, split

GOOD = "---\nname: 华东润滑油\ngrade: A\n---\n## 2026-11-02 visit: 拜访\n"


def test_utf8_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "clients" / "a.md"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    client, problems = read_client_file(path, "clients/a.md", tmp_path)
    assert problems == [] and client.name == "华东润滑油"


def test_gbk_file_names_the_encoding_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "clients" / "a.md"
    path.parent.mkdir()
    path.write_bytes(GOOD.encode("gbk"))
    client, problems = read_client_file(path, "clients/a.md", tmp_path)
    assert client is None
    (p,) = problems
    assert p.code == "encoding" and p.line == 2
    assert "looks like GBK" in p.message and "UTF-8" in p.message and "iconv" in p.message


def test_utf16_is_named() -> None:
    text, _, problems = decode("---\n".encode("utf-16"), "clients/a.md")
    assert text is None and "UTF-16" in problems[0].message


def test_file_over_1_mib_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "clients" / "big.md"
    path.parent.mkdir()
    path.write_bytes(GOOD.encode() + b"x" * MAX_BYTES)
    client, problems = read_client_file(path, "clients/big.md", tmp_path)
    assert client is None and [p.code for p in problems] == ["too-large"]


def test_symlink_outside_project_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(GOOD, encoding="utf-8")
    project = tmp_path / "proj"
    (project / "clients").mkdir(parents=True)
    link = project / "clients" / "a.md"
    os.symlink(outside, link)
    client, problems = read_client_file(link, "clients/a.md", project)
    assert client is None and [p.code for p in problems] == ["symlink-outside"]


def test_symlink_inside_project_is_fine(tmp_path: Path) -> None:
    (tmp_path / "clients").mkdir()
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "a.md").write_text(GOOD, encoding="utf-8")
    os.symlink(tmp_path / "archive" / "a.md", tmp_path / "clients" / "a.md")
    client, problems = read_client_file(tmp_path / "clients" / "a.md", "clients/a.md", tmp_path)
    assert problems == [] and client is not None


def _assert_located(problems: list, text_lines: int) -> None:
    for p in problems:
        assert p.path == "clients/fuzz.md"
        assert 1 <= p.line <= max(text_lines, 1) + 2, p
        assert p.col >= 1 and p.message and p.code
        assert p.severity in ("error", "warning")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_traceback(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    path = root / "clients" / "fuzz.md"
    path.parent.mkdir()
    path.write_bytes(b"---\n" + data)
    client, problems = read_client_file(path, "clients/fuzz.md", root)
    assert client is not None or any(p.is_error for p in problems)
    _assert_located(problems, data.count(b"\n") + 2)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
    | st.dates().map(str),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10) | st.sampled_from(
        ["name", "grade", "phone", "orders", "promises", "contacts", "rebate", "tiers", "due", "amount",
         "by", "what", "date", "paid", "kept", "broken", "opened", "closed", "birthday", "cadence"]),
        children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(
    ["name", "grade", "stage", "phone", "tags", "since", "cadence", "referred_by", "credit_limit",
     "contacts", "dates", "promises", "orders", "complaints", "rebate", "extra", "other"]),
    yaml_values, max_size=8), st.text(max_size=200))
def test_arbitrary_yaml_documents_never_traceback(doc: dict, body: str) -> None:
    front = yaml.safe_dump(doc, allow_unicode=True)
    text = f"---\n{front}---\n{body}"
    client, problems = parse_client_text(text, "clients/fuzz.md")
    assert client is not None or any(p.is_error for p in problems)
    _assert_located(problems, text.count("\n") + 1)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_tracebacks(text: str) -> None:
    client, problems = parse_client_text("---\n" + text, "clients/fuzz.md")
    assert client is not None or any(p.is_error for p in problems)
    _assert_located(problems, text.count("\n") + 3)


def test_remembered_tags_are_the_safe_loaders() -> None:
    import yaml

    from crmgen.load import nodes as loader

    text = ("a: 012\nb: '012'\nc: 012\nd: yes\ne: \"yes\"\nf: 2026-01-01\ng: ~\nh: 1.5\ni: text\nj: 012\n"
            "k: [1, '1', x]\nl: {m: 1}\nn: ! 12\no: !!str 12\np: !x 12\n? [q]\n: r\n\"s\": |\n  1\n")
    for _ in range(2):  # the second time from what was remembered
        ours = yaml.compose(text, Loader=loader._Loader)
        theirs = yaml.compose(text, Loader=yaml.SafeLoader)
        assert _tags(ours) == _tags(theirs)
    assert [v.tag.rsplit(":", 1)[-1] for _, v in ours.value] == [
        "int", "str", "int", "bool", "str", "timestamp", "null", "float", "str", "int", "seq", "map", "int", "str",
        "!x", "str", "str"]
    assert loader._Loader.yaml_path_resolvers == {}  # what lets it skip the path resolvers' steps


def _tags(node: yaml.Node) -> list:
    """The tag of every node, depth first."""
    if isinstance(node, yaml.ScalarNode):
        return [node.tag]
    children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
    return [node.tag, *(tag for child in children for tag in _tags(child))]


def _split_by_lines(text: str) -> tuple[str, int, str, int] | None:
    """What loader.split finds, the plain way: line by line, as str.splitlines splits them."""
    lines = text.splitlines(keepends=True)
    if not lines or not re.match(r"^---[ \t]*$", lines[0].rstrip("\r\n")):
        return None
    for i in range(1, len(lines)):
        if re.match(r"^(---|\.\.\.)[ \t]*$", lines[i].rstrip("\r\n")):
            return "".join(lines[1:i]), 2, "".join(lines[i + 1:]), i + 2
    return None


# lines that are, almost are, or are not fences, ended by every line break str.splitlines knows
FENCE_LINES = ["---", "...", "--- \t", "...\t", "--", "-- -", ". ..", "a", "", " ---", "----", "é"]
BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\n\r", ""]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FENCE_LINES), st.sampled_from(BREAKS)), max_size=6)
       .map(lambda lines: "".join(a + b for a, b in lines)))
def test_split_finds_the_fences_of_str_splitlines(text: str) -> None:
    for candidate in (text, "---\n" + text):
        parts, problems = split(candidate, "clients/a.md")
        assert parts == _split_by_lines(candidate)
        assert (parts is None) == bool(problems)
