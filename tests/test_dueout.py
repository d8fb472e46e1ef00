"""The output ``due`` keeps is written again only for exactly the same question: any change to
the book, the settings, crmgen, the day, an option, the output mode or the boot makes it anew."""

from __future__ import annotations

import datetime as dt
import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmgen import dueout, fastpath, summary
from tests.conftest import write_client

OLD = time.time() - 3600

ACME = """
    ---
    name: Acme
    grade: A
    owner: Wang Lei
    promises:
      - by: us
        what: send samples
        due: 2026-11-18
      - by: client
        what: pay the invoice
        due: 2026-11-25
    ---

    ## 2026-11-01 call: hi
    Next: 2026-11-22 call back
"""

BETA = """
    ---
    name: 北京贝塔
    grade: B
    owner: Sarah Lin
    contacts:
      - name: 周建国
        birthday: "--11-24"
    ---

    ## 2026-10-01 visit: 年底方案
"""

DUE = ["due", "--today", "2026-11-20"]


def age(path: Path, when: float = OLD) -> Path:
    os.utime(path, (when, when))
    return path


@pytest.fixture
def book(project: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    age(write_client(project, "acme", ACME))
    age(write_client(project, "beta", BETA))
    age(project / "mkdocs.yml")
    assert fastpath.main(["-C", str(project), "check"]) == 0  # writes the summary
    capsys.readouterr()
    return project


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the runs answered from the kept output."""
    calls: list[int] = []
    real = dueout.send

    def spy(found: tuple, stream: object) -> None:
        calls.append(1)
        real(found, stream)

    monkeypatch.setattr(dueout, "send", spy)
    return calls


def run(root: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | None, str, str]:
    code = fastpath.main(["-C", str(root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def fresh(root: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | None, str, str]:
    """The answer made anew (nothing kept); tests/test_fastpath.py shows it is Click's."""
    Path(dueout.path_of(str(root))).unlink(missing_ok=True)
    return run(root, args, capsys)


def keep(root: Path, args: list[str], capsys: pytest.CaptureFixture[str], sent: list[int]) -> tuple:
    """Run ``args`` until its output is kept and answered from it; that answer."""
    first = run(root, args, capsys)
    assert Path(dueout.path_of(str(root))).exists()
    before = len(sent)
    again = run(root, args, capsys)
    assert len(sent) == before + 1 and again == first
    return again


def test_the_same_question_is_answered_from_the_kept_output(book: Path, capsys: pytest.CaptureFixture[str],
                                                             sent: list[int]) -> None:
    answer = keep(book, DUE, capsys, sent)
    assert answer[0] == 0 and "send samples" in answer[1] and "reminders:" in answer[1]
    assert run(book, DUE, capsys) == answer == fresh(book, DUE, capsys)
    assert len(sent) == 2


@pytest.mark.parametrize("args", [
    [*DUE, "--format", "json"], [*DUE, "--fail-on-overdue"], [*DUE, "--within", "30", "--kind", "birthday"],
    [*DUE, "--owner", " sarah lin "], ["due", "--today", "2027-06-01"],
])
def test_every_form_is_kept_with_its_exit_code(book: Path, args: list[str], capsys: pytest.CaptureFixture[str],
                                               sent: list[int]) -> None:
    assert keep(book, args, capsys, sent) == fresh(book, args, capsys)


def _edit(book: Path) -> None:
    path = book / "clients" / "acme.md"
    path.write_text(path.read_text(encoding="utf-8").replace("send samples", "send new samples"), encoding="utf-8")
    age(path)


def _settings(book: Path) -> None:
    (book / "mkdocs.yml").write_text("site_name: Test CRM\nextra:\n  crmgen:\n    within: 30\n", encoding="utf-8")
    age(book / "mkdocs.yml")


CHANGES = {
    "edit": _edit,
    "touch": lambda book: age(book / "clients" / "acme.md", OLD + 1),
    "rename": lambda book: (book / "clients" / "beta.md").rename(book / "clients" / "zeta.md"),
    "delete": lambda book: (book / "clients" / "beta.md").unlink(),
    "add": lambda book: age(write_client(book, "gamma", "---\nname: Gamma\ngrade: C\n---\n\n## 2026-01-01 call: x\n")),
    "settings": _settings,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_no_change_to_the_book_is_hidden(book: Path, change: str, capsys: pytest.CaptureFixture[str],
                                         sent: list[int]) -> None:
    keep(book, DUE, capsys, sent)
    CHANGES[change](book)
    before = len(sent)
    answer = run(book, DUE, capsys)  # reads the book, writes a new summary
    assert run(book, DUE, capsys) == answer  # from the new summary
    assert len(sent) == before  # both made anew
    assert answer == fresh(book, DUE, capsys)
    if change == "edit":
        assert "send new samples" in answer[1]


@pytest.mark.parametrize("args", [
    ["due", "--today", "2026-11-21"], [*DUE, "--within", "7"], [*DUE, "--within", "8"], [*DUE, "--owner", "Wang Lei"],
    [*DUE, "--kind", "promise"], [*DUE, "--format", "json"], [*DUE, "--fail-on-overdue"], ["due"],
])
def test_another_question_is_answered_anew(book: Path, args: list[str], capsys: pytest.CaptureFixture[str],
                                           sent: list[int]) -> None:
    keep(book, DUE, capsys, sent)
    before = len(sent)
    answer = run(book, args, capsys)
    assert len(sent) == before
    assert answer == fresh(book, args, capsys)


def test_the_real_day_is_part_of_the_key(book: Path, capsys: pytest.CaptureFixture[str], sent: list[int],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    keep(book, ["due"], capsys, sent)
    real = time.localtime
    tomorrow = real(time.time() + 86400)
    monkeypatch.setattr(time, "localtime", lambda *args: real(*args) if args else tomorrow)
    before = len(sent)
    answer = run(book, ["due"], capsys)
    assert len(sent) == before
    assert answer == fresh(book, ["due", "--today", dt.date(*tomorrow[:3]).isoformat()], capsys)


def test_the_same_question_spelt_otherwise_is_the_same(book: Path, capsys: pytest.CaptureFixture[str],
                                                      sent: list[int]) -> None:
    answer = keep(book, DUE, capsys, sent)
    assert run(book, ["due", "--today=2026-11-20", "--format", "text"], capsys) == answer
    assert len(sent) == 2


@pytest.mark.parametrize("what", ["terminal", "code", "boot"])
def test_a_different_output_mode_crmgen_or_boot_is_answered_anew(book: Path, what: str,
                                                                 capsys: pytest.CaptureFixture[str], sent: list[int],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    keep(book, DUE, capsys, sent)
    if what == "terminal":
        monkeypatch.setattr(fastpath, "isatty", lambda stream: True)
    elif what == "code":
        key = summary.code_key()
        monkeypatch.setattr(summary, "code_key", lambda: (*key, "edited module"))
    else:
        monkeypatch.setattr(dueout, "boot_id", lambda: "another boot")
    before = len(sent)
    answer = run(book, DUE, capsys)
    assert len(sent) == before
    assert run(book, DUE, capsys) == answer  # kept anew (or, for another crmgen, from a new summary)
    assert answer == fresh(book, DUE, capsys)
    if what == "terminal":
        assert "\x1b[31m" in answer[1]  # colour: what is kept off a terminal would not do


def test_the_key_holds_every_part() -> None:
    head = {"token": b"t" * 16, "code": ("0.1", 1), "root": "/b"}
    base = dueout.key(head, "boot", (2026, 11, 20), (None, None, (), "text", False), (False, "utf-8", "strict"))
    others = [
        dueout.key({**head, "token": b"u" * 16}, "boot", (2026, 11, 20), (None, None, (), "text", False),
                   (False, "utf-8", "strict")),
        dueout.key({**head, "code": ("0.2", 1)}, "boot", (2026, 11, 20), (None, None, (), "text", False),
                   (False, "utf-8", "strict")),
        dueout.key({**head, "root": "/c"}, "boot", (2026, 11, 20), (None, None, (), "text", False),
                   (False, "utf-8", "strict")),
        dueout.key(head, None, (2026, 11, 20), (None, None, (), "text", False), (False, "utf-8", "strict")),
        dueout.key(head, "boot", (2026, 11, 21), (None, None, (), "text", False), (False, "utf-8", "strict")),
        dueout.key(head, "boot", (2026, 11, 20), (7, None, (), "text", False), (False, "utf-8", "strict")),
        dueout.key(head, "boot", (2026, 11, 20), (None, None, (), "text", False), (True, "utf-8", "strict")),
        dueout.key(head, "boot", (2026, 11, 20), (None, None, (), "text", False), (False, "utf-8", "replace")),
    ]
    assert base is not None and all(other is not None and other != base for other in others)
    assert len(set(others)) == len(others)
    assert dueout.key({"code": (), "root": "/b"}, "boot", (2026, 11, 20), (), ()) is None  # a summary of old


def test_each_summary_has_its_own_token(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = summary.load(str(book))[0]["token"]
    assert fastpath.main(["-C", str(book), "check", "--no-cache"]) == 0  # writes none
    assert summary.load(str(book))[0]["token"] == first
    age(book / "clients" / "acme.md", OLD + 1)
    assert fastpath.main(["-C", str(book), "check"]) == 0
    second = summary.load(str(book))[0]["token"]
    assert isinstance(second, bytes) and len(second) == 16 and second != first
    capsys.readouterr()


@pytest.mark.parametrize("damage", ["empty", "truncated", "longer", "garbage", "header"])
def test_a_damaged_kept_output_is_never_written(book: Path, damage: str, capsys: pytest.CaptureFixture[str],
                                                sent: list[int]) -> None:
    expected = keep(book, DUE, capsys, sent)
    path = Path(dueout.path_of(str(book)))
    data = path.read_bytes()
    path.write_bytes({"empty": b"", "truncated": data[:-1], "longer": data + b"x", "garbage": b"\xff" * len(data),
                      "header": data[:20] + b"\x00" + data[21:]}[damage])
    before = len(sent)
    assert run(book, DUE, capsys) == expected
    assert len(sent) == before


def test_nothing_is_kept_when_something_goes_to_stderr(tmp_path: Path) -> None:
    (tmp_path / ".crmgen" / "cache").mkdir(parents=True)
    wanted = ("k", None, None, None, "boot")
    record = dueout.Recorder(str(tmp_path), wanted, 0)
    assert fastpath.write([(False, "out", None), (True, "warning", None)], record)
    record.commit()
    assert not Path(dueout.path_of(str(tmp_path))).exists()
    assert os.listdir(tmp_path / ".crmgen" / "cache") == []


def test_a_failed_write_keeps_nothing(book: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def writer(buffer: object) -> object:
        def put(pieces: list[bytes]) -> None:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

        return put

    monkeypatch.setattr(fastpath, "_writer", writer)
    with pytest.raises(BrokenPipeError):
        fastpath.main(["-C", str(book), *DUE])
    assert os.listdir(book / ".crmgen" / "cache") == ["book-v1.marshal"] or sorted(
        os.listdir(book / ".crmgen" / "cache")) == ["book-v1.marshal", "parse-v2"]


def test_without_a_boot_id_the_file_is_synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".crmgen" / "cache").mkdir(parents=True)
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    for boot in ("boot", None):
        wanted = ("k", b"t", (), "/r", boot, (2026, 11, 20), (), ())
        record = dueout.Recorder(str(tmp_path), wanted, 3)
        record.add([b"a", b"bc"])
        record.commit()
        found = dueout.find(str(tmp_path), wanted)
        assert found is not None and found[2] == 3
        found[0].close()
    assert len(synced) == 1


def test_leftovers_of_killed_writers_are_removed(tmp_path: Path) -> None:
    cache = tmp_path / ".crmgen" / "cache"
    cache.mkdir(parents=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    dead = cache / f"{dueout.FILE}.{gone}.tmp"
    dead.write_bytes(b"x" * 100)
    alive = cache / f"{dueout.FILE}.1.tmp"  # pid 1 always runs
    alive.write_bytes(b"y")
    other = cache / "book-v1.marshal.123.tmp"
    other.write_bytes(b"z")
    record = dueout.Recorder(str(tmp_path), ("k", b"t", (), "/r", "boot"), 0)
    record.add([b"out"])
    record.commit()
    assert sorted(os.listdir(cache)) == sorted([dueout.FILE, alive.name, other.name])


@pytest.mark.parametrize("how", ["refused", "in part"])
def test_the_copy_when_sendfile_will_not_do_it_all(tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".crmgen" / "cache").mkdir(parents=True)
    wanted = ("k", b"t", (), "/r", "boot")
    payload = [f"行 {i}\n".encode() for i in range(50_000)]
    record = dueout.Recorder(str(tmp_path), wanted, 0)
    record.add(payload)
    record.commit()
    real = os.sendfile
    calls: list[int] = []

    def sendfile(out: int, src: int, offset: int, count: int) -> int:
        calls.append(count)
        if how == "refused" and len(calls) > 1:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(out, src, offset, min(count, 7))

    monkeypatch.setattr(os, "sendfile", sendfile)
    with open(tmp_path / "out.txt", "w", encoding="utf-8") as stream:
        stream.write("before\n")  # buffered text goes out first
        found = dueout.find(str(tmp_path), wanted)
        assert found is not None
        dueout.send(found, stream)
    assert (tmp_path / "out.txt").read_bytes() == b"before\n" + b"".join(payload)
    assert len(calls) == 2 if how == "refused" else len(calls) > 2


def test_a_kept_answer_in_a_real_process_imports_no_listing_code(book: Path) -> None:
    cmd = [sys.executable, "-X", "importtime", "-m", "crmgen", "-C", str(book), *DUE, "--fail-on-overdue"]
    out = book / "out.txt"
    runs = []
    for _ in range(3):  # from the summary (kept), then twice from what was kept
        with open(out, "wb") as fh:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, text=True)
        runs.append((proc.returncode, out.read_bytes()))
        imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import")}
    assert runs[0] == runs[1] == runs[2] and runs[0][0] == 3 and b"send samples" in runs[0][1]
    assert "crmgen.dueout" in imported
    assert not imported & {"datetime", "crmgen.duepack", "crmgen.dueplan", "mmap"}


def test_days_are_validated_as_datetime_does() -> None:
    for y in (1, 1900, 2000, 2023, 2024, 9999):
        for m in range(0, 14):
            for d in range(0, 33):
                try:
                    expected = dt.date(y, m, d)
                except ValueError:
                    expected = None
                got = fastpath._ymd(f"{y:04d}-{m:02d}-{d:02d}")
                assert (got and dt.date(*got)) == expected, (y, m, d)
    assert fastpath._ymd("0000-01-01") is None
