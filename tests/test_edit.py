"""Surgical edits of client files: only the intended bytes change, and only safely."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmgen.edit import (
    EditError,
    _check_data,
    _parse,
    add_promise,
    append_interaction,
    close_promise,
    edit_bytes,
    edit_client_file,
    set_grade,
    yaml_scalar,
)
from crmgen.load.book import parse_client_text

D = dt.date
REL = "clients/acme.md"

BASE = """---
name: Acme   # the client
grade: B
promises:
  - by: us
    what: samples
    due: 2026-11-01  # soon
  - by: client
    what: pay
    due: 2026-12-01
    amount: 5000
stage: customer
---

Notes.
"""


def client_of(text: str):
    client, problems = parse_client_text(text, REL)
    assert client is not None, [p.format() for p in problems]
    return client


def assert_inserted(before: str, after: str, region: str) -> None:
    """``after`` is ``before`` with exactly ``region`` inserted somewhere."""
    n = len(region)
    assert len(after) == len(before) + n
    assert any(
        after[:i] == before[:i] and after[i : i + n] == region and after[i + n :] == before[i:]
        for i in range(len(before) + 1)
    ), "not a single insertion of the expected text"


def inserted(before: str, after: str) -> str:
    """The one contiguous region ``after`` adds to ``before`` (fails if anything else changed)."""
    p = 0
    while p < len(before) and before[p] == after[p]:
        p += 1
    extra = len(after) - len(before)
    assert extra > 0
    assert after[:p] + after[p + extra :] == before, "bytes outside the inserted region changed"
    return after[p : p + extra]


# -- yaml_scalar ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("华东", "华东"),
        ("Acme Trading", "Acme Trading"),
        ("+86 21 5555 0100", "+86 21 5555 0100"),
        ("0123", '"0123"'),  # YAML 1.1 would read 83
        ("12:30", '"12:30"'),  # ... and 750
        ("yes", '"yes"'),
        ("null", '"null"'),
        ("2026-01-01", '"2026-01-01"'),
        ("Acme: Inc", '"Acme: Inc"'),
        ("a #b", '"a #b"'),
        ("- x", '"- x"'),
        ("O'Brien", '"O\'Brien"'),
        ("", '""'),
        (5000.0, "5000"),
        (0.5, "0.5"),
        (D(2026, 12, 1), "2026-12-01"),
    ],
)
def test_yaml_scalar_examples(value: object, written: str) -> None:
    assert yaml_scalar(value) == written


def test_yaml_scalar_in_flow_quotes_flow_indicators() -> None:
    assert yaml_scalar("a, b", flow=True) == '"a, b"'
    assert yaml_scalar("a, b") == "a, b"
    assert yaml_scalar("us", flow=True) == "us"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
@settings(max_examples=200, deadline=None)
def test_yaml_scalar_reads_back_as_the_same_text(value: str) -> None:
    for flow in (False, True):
        written = yaml_scalar(value, flow=flow)
        doc = f"k: {written}\n" if not flow else f"k: [{written}]\n"
        loaded = yaml.load(doc, Loader=yaml.SafeLoader)
        assert loaded == ({"k": value} if not flow else {"k": [value]})
        if yaml.__with_libyaml__:
            assert yaml.load(doc, Loader=yaml.CSafeLoader) == loaded


# -- add_promise ----------------------------------------------------------------------

def test_add_promise_to_a_block_list_copies_its_indentation() -> None:
    after = add_promise(BASE, "client", "pay: Q4", D(2027, 1, 15), 210000)
    assert_inserted(BASE, after, "  - by: client\n    what: \"pay: Q4\"\n    due: 2027-01-15\n    amount: 210000\n")
    assert after.index("amount: 210000") < after.index("stage: customer")
    promise = client_of(after).promises[-1]
    assert (promise.by, promise.what, promise.due, promise.amount) == ("client", "pay: Q4", D(2027, 1, 15), 210000)


def test_add_promise_to_an_indentless_list() -> None:
    text = "---\nname: A\ngrade: C\npromises:\n- by: us\n  what: x\n  due: 2026-01-01\n---\n"
    after = add_promise(text, "us", "y", D(2026, 2, 1))
    assert after == text.replace("\n---\n", "\n- by: us\n  what: y\n  due: 2026-02-01\n---\n")


def test_add_promise_with_wide_key_offset() -> None:
    text = "---\nname: A\ngrade: C\npromises:\n    -   by: us\n        what: x\n        due: 2026-01-01\n---\n"
    after = add_promise(text, "us", "y", D(2026, 2, 1))
    assert after == text.replace("\n---\n", "\n    -   by: us\n        what: y\n        due: 2026-02-01\n---\n")
    assert len(client_of(after).promises) == 2


def test_add_promise_creates_the_key_following_the_files_other_lists() -> None:
    text = "---\nname: A\ngrade: C\ncontacts:\n- name: Li\n  role: boss\n# end\n---\nbody\n"
    after = add_promise(text, "client", "pay", D(2026, 2, 1), 12.5)
    assert_inserted(text, after, "promises:\n- by: client\n  what: pay\n  due: 2026-02-01\n  amount: 12.5\n")
    assert after.endswith("  role: boss\npromises:\n- by: client\n  what: pay\n  due: 2026-02-01\n  amount: 12.5\n"
                          "# end\n---\nbody\n")


def test_add_promise_creates_the_key_with_default_indentation() -> None:
    text = "---\nname: A\ngrade: C\n---\n"
    after = add_promise(text, "us", "x", D(2026, 2, 1))
    assert after == "---\nname: A\ngrade: C\npromises:\n  - by: us\n    what: x\n    due: 2026-02-01\n---\n"


def test_add_promise_to_an_empty_key() -> None:
    text = "---\nname: A\npromises:   # none yet\ngrade: C\n---\n"
    after = add_promise(text, "us", "x", D(2026, 2, 1))
    assert_inserted(text, after, "  - by: us\n    what: x\n    due: 2026-02-01\n")
    assert client_of(after).grade == "C"


def test_add_promise_replaces_an_explicit_null() -> None:
    text = "---\nname: A\npromises: ~\ngrade: C\n---\n"
    after = add_promise(text, "us", "x", D(2026, 2, 1))
    assert after == "---\nname: A\npromises: \n  - by: us\n    what: x\n    due: 2026-02-01\ngrade: C\n---\n"


def test_add_promise_to_flow_lists() -> None:
    empty = "---\nname: A\ngrade: C\npromises: []\n---\n"
    after = add_promise(empty, "us", "a, b", D(2026, 2, 1))
    assert_inserted(empty, after, '{by: us, what: "a, b", due: 2026-02-01}')
    one = "---\nname: A\ngrade: C\npromises: [ {by: us, what: x, due: 2026-01-01} ]\n---\n"
    after = add_promise(one, "client", "y", D(2026, 2, 1), 3)
    assert_inserted(one, after, ", {by: client, what: y, due: 2026-02-01, amount: 3}")
    assert len(client_of(after).promises) == 2


def test_add_promise_to_a_block_list_of_flow_mappings() -> None:
    text = "---\nname: A\ngrade: C\npromises:\n  - {by: us, what: x, due: 2026-01-01}\n---\n"
    after = add_promise(text, "us", "y", D(2026, 2, 1))
    assert_inserted(text, after, "  - {by: us, what: y, due: 2026-02-01}\n")


def test_add_promise_after_a_block_scalar_in_the_last_item() -> None:
    text = "---\nname: A\ngrade: C\npromises:\n  - by: us\n    due: 2026-01-01\n    what: |\n      long\n      text\n\nstage: customer\n---\n"
    after = add_promise(text, "us", "y", D(2026, 2, 1))
    data = yaml.safe_load(after.split("---\n")[1])
    assert data["promises"][0]["what"] == "long\ntext\n"
    assert data["promises"][1]["what"] == "y"
    inserted(text, after)


def test_add_promise_uses_crlf_in_a_crlf_file() -> None:
    text = BASE.replace("\n", "\r\n")
    after = add_promise(text, "us", "x", D(2026, 2, 1))
    check_newlines(text.encode(), after.encode(), "\r\n")
    assert after.count("\r\n") == text.count("\r\n") + 3


def test_add_promise_refuses_bad_input() -> None:
    with pytest.raises(EditError, match="one line"):
        add_promise(BASE, "us", "two\nlines", D(2026, 2, 1))
    with pytest.raises(EditError, match="--by"):
        add_promise(BASE, "them", "x", D(2026, 2, 1))
    for amount in (-5, float("inf"), float("nan")):
        with pytest.raises(EditError, match="must be a positive number"):
            add_promise(BASE, "us", "x", D(2026, 2, 1), amount)
    with pytest.raises(EditError, match="not a list"):
        add_promise("---\nname: A\ngrade: C\npromises: soon\n---\n", "us", "x", D(2026, 2, 1))


def test_check_data_catches_an_edit_that_changed_other_values() -> None:
    doc = _parse(BASE)
    expected = doc.data()
    with pytest.raises(EditError, match="by hand"):
        _check_data(doc, BASE.replace("grade: B", "grade: C"), expected)


# -- close_promise ---------------------------------------------------------------------

def test_close_promise_adds_the_date_at_the_end_of_the_item() -> None:
    after = close_promise(BASE, 1, "kept", D(2026, 10, 30))
    assert_inserted(BASE, after, "    kept: 2026-10-30\n")
    assert after.index("kept: 2026-10-30") > after.index("due: 2026-11-01  # soon")
    assert client_of(after).promises[0].kept == D(2026, 10, 30)
    after2 = close_promise(after, 2, "broken", D(2026, 12, 2))
    assert client_of(after2).promises[1].broken == D(2026, 12, 2)


def test_close_promise_in_flow_items() -> None:
    text = "---\nname: A\ngrade: C\npromises: [{by: us, what: x, due: 2026-01-01}]\n---\n"
    after = close_promise(text, 1, "broken", D(2026, 1, 3))
    assert_inserted(text, after, ", broken: 2026-01-03")


def test_close_promise_fills_an_empty_kept_key() -> None:
    text = "---\nname: A\ngrade: C\npromises:\n  - by: us\n    what: x\n    kept:\n    due: 2026-01-01\n---\n"
    after = close_promise(text, 1, "kept", D(2026, 1, 3))
    assert "    kept: 2026-01-03\n    due: 2026-01-01\n" in after


def test_close_promise_refusals() -> None:
    kept = close_promise(BASE, 1, "kept", D(2026, 10, 30))
    with pytest.raises(EditError, match="already marked kept"):
        close_promise(kept, 1, "broken", D(2026, 11, 2))
    with pytest.raises(EditError, match="numbered 1 to 2"):
        close_promise(BASE, 3, "kept", D(2026, 11, 2))
    with pytest.raises(EditError, match="no promises"):
        close_promise("---\nname: A\ngrade: C\n---\n", 1, "kept", D(2026, 11, 2))


# -- set_grade ---------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["B", "'B'", '"B"'])
def test_set_grade_keeps_the_quoting(written: str) -> None:
    text = BASE.replace("grade: B", f"grade: {written}   # moved up in May")
    after, old = set_grade(text, "A")
    assert old == "B"
    assert after == text.replace(f"grade: {written}", f"grade: {written.replace('B', 'A')}")
    assert client_of(after).grade == "A"


def test_set_grade_same_grade_changes_nothing() -> None:
    assert set_grade(BASE, "B") == (BASE, "B")


def test_set_grade_refuses_an_unknown_grade() -> None:
    with pytest.raises(EditError, match="A B C D E F"):
        set_grade(BASE, "G")


# -- append_interaction --------------------------------------------------------------------

def test_append_interaction_full() -> None:
    after = append_interaction(BASE, D(2026, 11, 2), "visit", " reviewed the contract ",
                               body="line 1\r\nline 2\n", next_step=(D(2026, 12, 1), "send samples"))
    assert after == BASE + (
        "\n## 2026-11-02 visit: reviewed the contract\n\nline 1\nline 2\n\nNext: 2026-12-01 send samples\n"
    )
    last = client_of(after).interactions[-1]
    assert (last.date, last.type, last.summary, last.next_date, last.next_what) == (
        D(2026, 11, 2), "visit", "reviewed the contract", D(2026, 12, 1), "send samples")


def test_append_interaction_blank_line_handling() -> None:
    assert append_interaction("---\nname: A\ngrade: C\n---\n", D(2026, 1, 2), "note", "x") == (
        "---\nname: A\ngrade: C\n---\n\n## 2026-01-02 note: x\n")
    assert append_interaction("---\nname: A\ngrade: C\n---", D(2026, 1, 2), "call", "x") == (
        "---\nname: A\ngrade: C\n---\n\n## 2026-01-02 call: x\n")
    assert append_interaction("---\nname: A\ngrade: C\n---\n  \n", D(2026, 1, 2), "call", "x") == (
        "---\nname: A\ngrade: C\n---\n  \n## 2026-01-02 call: x\n")
    assert append_interaction("---\nname: A\ngrade: C\n---\ntext", D(2026, 1, 2), "call", "x").endswith(
        "---\ntext\n\n## 2026-01-02 call: x\n")
    assert append_interaction("---\nname: A\ngrade: C\n---\ntext\n\n", D(2026, 1, 2), "call", "x").endswith(
        "---\ntext\n\n## 2026-01-02 call: x\n")


def test_append_interaction_crlf() -> None:
    text = BASE.replace("\n", "\r\n")
    after = append_interaction(text, D(2026, 1, 2), "gift", "tea", body="a\nb", next_step=(D(2026, 2, 1), "x"))
    assert after == text + "\r\n## 2026-01-02 gift: tea\r\n\r\na\r\nb\r\n\r\nNext: 2026-02-01 x\r\n"


def test_append_interaction_refusals() -> None:
    with pytest.raises(EditError, match="one line"):
        append_interaction(BASE, D(2026, 1, 2), "call", "a\nb")
    with pytest.raises(EditError, match="empty"):
        append_interaction(BASE, D(2026, 1, 2), "call", "  ")
    with pytest.raises(EditError, match="type must be one of"):
        append_interaction(BASE, D(2026, 1, 2), "lunch", "x")
    with pytest.raises(EditError, match="unclosed"):
        append_interaction(BASE + "```\ncode\n", D(2026, 1, 2), "call", "x")


# -- the I/O edge -------------------------------------------------------------------------

def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "acme.md"
    path.write_bytes(data)
    return path


def test_edit_client_file_keeps_bom_and_crlf(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + BASE.replace("\n", "\r\n").encode()
    path = write(tmp_path, data)
    written, old = edit_client_file(path, REL, lambda text: set_grade(text, "A"))
    assert (written, old) == (True, "B")
    assert path.read_bytes() == data.replace(b"grade: B", b"grade: A")


def test_edit_client_file_refuses_an_invalid_file(tmp_path: Path) -> None:
    data = BASE.replace("grade: B", "grade: Q").encode()
    path = write(tmp_path, data)
    with pytest.raises(EditError, match=r"(?s)has errors.*clients/acme.md:3:8: error"):
        edit_client_file(path, REL, lambda text: set_grade(text, "A"))
    assert path.read_bytes() == data


def test_edit_client_file_refuses_a_result_that_does_not_validate(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.encode())
    with pytest.raises(EditError, match="would make clients/acme.md invalid"):
        edit_client_file(path, REL, lambda text: (text + "\n## 2026-02-30 call: x\n", None))
    assert path.read_bytes() == BASE.encode()


def test_edit_client_file_refuses_non_utf8(tmp_path: Path) -> None:
    data = BASE.replace("Acme", "华东").encode("gbk")
    path = write(tmp_path, data)
    with pytest.raises(EditError, match="not valid UTF-8"):
        edit_client_file(path, REL, lambda text: set_grade(text, "A"))
    assert path.read_bytes() == data


def test_a_write_between_read_and_write_is_not_lost(tmp_path: Path) -> None:
    """Another writer saves while crmgen edits: crmgen redoes its edit on top of that save."""
    path = write(tmp_path, BASE.encode())
    calls = []

    def transform(text: str) -> tuple[str, None]:
        calls.append(text)
        if len(calls) == 1:  # an editor saves a new note meanwhile
            path.write_bytes(BASE.replace("Notes.", "Notes from the editor.").encode())
        return append_interaction(text, D(2026, 1, 2), "call", "x"), None

    written, _ = edit_client_file(path, REL, transform)
    assert written and len(calls) == 2
    final = path.read_text()
    assert "Notes from the editor." in final and "## 2026-01-02 call: x" in final


def test_a_file_that_keeps_changing_stops_with_a_clear_message(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.encode())
    n = 0

    def transform(text: str) -> tuple[str, None]:
        nonlocal n
        n += 1
        path.write_bytes(BASE.replace("Notes.", f"Edit {n}.").encode())
        return append_interaction(text, D(2026, 1, 2), "call", "x"), None

    with pytest.raises(EditError, match="changed by someone else"):
        edit_client_file(path, REL, transform)
    assert path.read_text() == BASE.replace("Notes.", "Edit 2.")  # the other writer's save survives
    assert [p.name for p in tmp_path.iterdir()] == ["acme.md"]


# -- property-based: arbitrary valid files, only the intended bytes change ------------------

NAMES = ["华东润滑油有限公司", "Acme Trading", "Acme: Trading", "O'Brien & Sons", "0123 物流", "yes"]
WHATS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=15
).filter(lambda s: s.strip() != "")


def styles(value: str) -> st.SearchStrategy[str]:
    options = [json.dumps(value, ensure_ascii=False), "'" + value.replace("'", "''") + "'"]
    if yaml_scalar(value) == value:
        options.append(value)
    return st.sampled_from(options)


COMMENT = st.sampled_from(["", "  # note", " # 注释: yes"])


@st.composite
def promise_item(draw, dash: int, keyoff: int, flow_item: bool) -> str:
    keys = [("by", draw(st.sampled_from(["us", "client"]))),
            ("what", draw(st.sampled_from(["samples", '"pay: Q4"', "'交货'", "年底 讲师"]))),
            ("due", draw(st.sampled_from(["2026-11-01", "2027-02-28"])))]
    if draw(st.booleans()):
        keys.append(("amount", draw(st.sampled_from(["5000", "12.5", "210000"]))))
    if draw(st.booleans()):
        keys.append((draw(st.sampled_from(["kept", "broken"])), "2026-10-30"))
    keys = draw(st.permutations(keys))
    if flow_item:
        return " " * dash + "- {" + ", ".join(f"{k}: {v}" for k, v in keys) + "}" + draw(COMMENT) + "\n"
    lines = []
    for i, (k, v) in enumerate(keys):
        lead = " " * dash + "-" + " " * (keyoff - 1) if i == 0 else " " * (dash + keyoff)
        lines.append(f"{lead}{k}: {v}{draw(COMMENT)}\n")
        if draw(st.integers(0, 6)) == 0:
            lines.append(" " * (dash + keyoff) + "# a comment inside the item\n")
    return "".join(lines)


@st.composite
def client_files(draw) -> tuple[bytes, str, int]:
    """(file bytes, newline, number of promises) for a varied but valid client file."""
    entries = [
        f"name: {draw(styles(draw(st.sampled_from(NAMES))))}{draw(COMMENT)}\n",
        f"grade: {draw(styles(draw(st.sampled_from('ABCDEF'))))}{draw(COMMENT)}\n",
    ]
    optional = [
        "stage: customer\n",
        "owner: 王磊\n",
        'phone: "021-5488 3120"   # keep the zero\n',
        "tags: [经销商, 'key account']\n",
        "notes: |\n  first line\n\n  second line\n",
        'extra:\n  zip: "201108"\n  # nested comment\n  付款方式: 月结 45 天\n',
        "contacts:\n- name: 周建国\n  role: 总经理\n",
    ]
    entries += draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    shape = draw(st.sampled_from(["none", "empty", "flow-empty", "flow", "block", "block-flow-items"]))
    count = 0
    if shape == "empty":
        entries.append(f"promises:{draw(COMMENT)}\n")
    elif shape == "flow-empty":
        entries.append("promises: []\n")
    elif shape == "flow":
        count = draw(st.integers(1, 3))
        items = ", ".join("{by: us, what: x, due: 2026-11-01}" for _ in range(count))
        entries.append(f"promises: [{items}]{draw(COMMENT)}\n")
    elif shape in ("block", "block-flow-items"):
        count = draw(st.integers(1, 3))
        dash, keyoff = draw(st.sampled_from([0, 2, 4])), draw(st.sampled_from([2, 4]))
        items = [draw(promise_item(dash, keyoff, shape == "block-flow-items")) for _ in range(count)]
        entries.append("promises:\n" + "".join(items))
    entries = draw(st.permutations(entries))
    front = ""
    for entry in entries:
        front += draw(st.sampled_from(["", "", "\n", "# a comment line\n", "\n# 注释\n\n"])) + entry
    front += draw(st.sampled_from(["", "\n", "# trailing comment\n"]))
    body = draw(st.sampled_from([
        "", "\n", "\nSome notes.\n", "\nNotes without a final newline",
        "\n## 2026-01-05 visit: met 周总\n\nNext: 2026-02-01 call back\n",
        "\n```\n## 2026-99-99 not a heading in code\n```\n\n",
    ]))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    opening = draw(st.sampled_from(["---", "---  "]))
    closing = draw(st.sampled_from(["---", "...", "--- "]))
    text = (opening + "\n" + front + closing + ("\n" if body == "" and draw(st.booleans()) else "") + body)
    text = text.replace("\n", nl)
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode("utf-8"), nl, count


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decoded(data: bytes):
    text = data.decode("utf-8-sig")
    return text, client_of(text)


def check_newlines(before: bytes, after: bytes, nl: str) -> None:
    """Inserted lines use the file's newline: no new bare LF in a CRLF file, no CR in an LF file."""
    def bare_lf(b: bytes) -> int:
        return b.count(b"\n") - b.count(b"\r\n")

    if nl == "\r\n":
        assert bare_lf(after) == bare_lf(before)
    else:
        assert after.count(b"\r") == before.count(b"\r")


@given(client_files(), st.sampled_from("ABCDEF"))
@PROPS
def test_property_grade_changes_only_the_grade_value(file, grade: str) -> None:
    data, nl, _ = file
    old = decoded(data)[1].grade
    assume(old != grade)
    new, info = edit_bytes(data, REL, lambda text: set_grade(text, grade))
    assert info == old
    assert new is not None and len(new) == len(data)
    diff = [i for i in range(len(data)) if data[i] != new[i]]
    assert len(diff) == 1
    line_start = data.rfind(b"\n", 0, diff[0]) + 1
    assert data[line_start:diff[0]].lstrip(b"\xef\xbb\xbf") in (b"grade: ", b"grade: '", b'grade: "')
    assert decoded(new)[1].grade == grade


@given(client_files(), st.sampled_from(["us", "client"]), WHATS, st.none() | st.integers(0, 10**7))
@PROPS
def test_property_add_promise_only_inserts(file, by: str, what: str, amount: int | None) -> None:
    data, nl, count = file
    due = D(2027, 3, 4)
    new, _ = edit_bytes(data, REL, lambda text: (add_promise(text, by, what, due, amount), None))
    assert new is not None
    inserted(data.decode("latin-1"), new.decode("latin-1"))
    check_newlines(data, new, nl)
    promises = decoded(new)[1].promises
    assert len(promises) == count + 1
    last = promises[-1]
    assert (last.by, last.what, last.due, last.amount) == (by, what.strip(), due, amount)


@given(client_files(), st.data())
@PROPS
def test_property_close_promise_only_inserts(file, data_strategy) -> None:
    data, nl, count = file
    client = decoded(data)[1]
    open_numbers = [i + 1 for i, p in enumerate(client.promises) if p.is_open]
    assume(open_numbers)
    number = data_strategy.draw(st.sampled_from(open_numbers))
    outcome = data_strategy.draw(st.sampled_from(["kept", "broken"]))
    when = D(2026, 12, 24)
    new, _ = edit_bytes(data, REL, lambda text: (close_promise(text, number, outcome, when), None))
    assert new is not None
    inserted(data.decode("latin-1"), new.decode("latin-1"))
    check_newlines(data, new, nl)
    after = decoded(new)[1].promises
    assert getattr(after[number - 1], outcome) == when
    def others(promises):
        return [dataclasses.replace(p, line=0) for i, p in enumerate(promises) if i != number - 1]

    assert others(after) == others(client.promises)


@given(client_files(), st.sampled_from(["visit", "call", "note"]), WHATS, st.booleans())
@PROPS
def test_property_log_only_appends(file, kind: str, summary: str, with_next: bool) -> None:
    data, nl, _ = file
    before = decoded(data)[1]
    step = (D(2027, 1, 1), "follow up") if with_next else None
    new, _ = edit_bytes(data, REL, lambda text: (
        append_interaction(text, D(2026, 12, 24), kind, summary, next_step=step), None))
    assert new is not None
    prefix = data if data.endswith(b"\n") else data + nl.encode()
    assert new.startswith(prefix)
    check_newlines(prefix, new, nl)
    after = decoded(new)[1]
    assert len(after.interactions) == len(before.interactions) + 1
    last = after.interactions[-1]
    assert (last.date, last.type, last.summary) == (D(2026, 12, 24), kind, summary.strip())
    assert last.next_date == (D(2027, 1, 1) if with_next else None)


def test_comments_under_an_item_stay_with_it() -> None:
    text = ("---\nname: A\ngrade: C\npromises:\n  - by: us\n    what: x\n    due: 2026-01-01\n"
            "    # about x\n# top\nstage: customer\n---\n")
    after = add_promise(text, "us", "y", D(2026, 2, 1))
    assert "    # about x\n  - by: us\n    what: y\n    due: 2026-02-01\n# top\n" in after
    after = close_promise(text, 1, "kept", D(2026, 2, 1))
    assert "    # about x\n    kept: 2026-02-01\n# top\n" in after


SAMPLES = sorted((Path(__file__).resolve().parent.parent / "clients").glob("*.md"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_edit_on_every_sample_client(path: Path) -> None:
    data = path.read_bytes()
    rel = f"clients/{path.name}"
    text = data.decode("utf-8-sig")
    before, _ = parse_client_text(text, rel)
    assert before is not None

    new, old = edit_bytes(data, rel, lambda t: set_grade(t, "F" if before.grade != "F" else "A"))
    assert new is not None and len(new) == len(data) and old == before.grade
    assert sum(a != b for a, b in zip(data, new, strict=True)) == 1

    new, _ = edit_bytes(data, rel, lambda t: (add_promise(t, "client", "付款: 第四季度", D(2027, 1, 1), 1000), None))
    inserted(data.decode("latin-1"), new.decode("latin-1"))
    assert parse_client_text(new.decode("utf-8-sig"), rel)[0].promises[-1].what == "付款: 第四季度"

    open_ones = [i + 1 for i, p in enumerate(before.promises) if p.is_open]
    if open_ones:
        new, _ = edit_bytes(data, rel, lambda t: (close_promise(t, open_ones[0], "kept", D(2027, 1, 2)), None))
        inserted(data.decode("latin-1"), new.decode("latin-1"))
        assert parse_client_text(new.decode("utf-8-sig"), rel)[0].promises[open_ones[0] - 1].kept == D(2027, 1, 2)

    new, _ = edit_bytes(data, rel, lambda t: (append_interaction(t, D(2027, 1, 3), "visit", "回访"), None))
    assert new.startswith(data.rstrip(b"\r\n"))
    assert parse_client_text(new.decode("utf-8-sig"), rel)[0].interactions[-1].summary == "回访"


def _marks(node: yaml.Node) -> list[tuple[int, int]]:
    out = [(node.start_mark.index, node.end_mark.index)]
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            out += _marks(k) + _marks(v)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            out += _marks(v)
    return out


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
@given(client_files())
@PROPS
def test_property_libyaml_marks_are_the_pure_python_ones(file) -> None:
    """The edits splice at libyaml's node offsets; they must be PyYAML's character offsets too."""
    data, _nl, _count = file
    doc = _parse(data.decode("utf-8-sig"))
    front = doc.text[doc.fm_start : doc.fm_end]
    fast = yaml.compose(front, Loader=yaml.CSafeLoader)
    pure = yaml.compose(front, Loader=yaml.SafeLoader)
    assert _marks(fast) == _marks(pure)
