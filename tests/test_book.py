"""Cross-file checks and loading the whole book."""

from __future__ import annotations

from pathlib import Path

from crmgen.load.book import load_book
from crmgen.load.project import load_project
from tests.conftest import write_client


def book(root: Path, paths=None):
    return load_book(load_project(root), paths)


def test_good_file_next_to_bad_ones_still_validates(project: Path) -> None:
    write_client(project, "good", "---\nname: Good\ngrade: A\n---\n")
    write_client(project, "bad", "---\nname: Bad\ngrade: Z\n---\n")
    write_client(project, "worse", "", raw=b"\xff\xfe\x00")
    b = book(project)
    assert [c.slug for c in b.clients] == ["good"]
    assert b.broken == ["clients/bad.md", "clients/worse.md"]
    assert b.files == 3


def test_referred_by_missing_client(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\nreferred_by: b\n---\n")
    (p,) = book(project).problems
    assert (p.path, p.line, p.col, p.code) == ("clients/a.md", 4, 14, "missing-referral")
    assert "clients/b.md" in p.message


def test_referral_to_existing_client_is_fine(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\nreferred_by: b\n---\n")
    write_client(project, "b", "---\nname: B\ngrade: A\n---\n")
    assert book(project).problems == []


def test_same_phone_or_email_is_a_possible_duplicate_warning(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\nphone: '+86 138-0013-8000'\n---\n")
    write_client(project, "b", "---\nname: B\ngrade: A\nphone: '13800138000'\n---\n")
    write_client(project, "c", "---\nname: C\ngrade: A\nemail: X@y.com\n---\n")
    write_client(project, "d", "---\nname: D\ngrade: A\nemail: x@Y.com\n---\n")
    problems = book(project).problems
    assert sorted((p.path, p.severity, p.code) for p in problems) == [
        ("clients/a.md", "warning", "possible-duplicate"),
        ("clients/b.md", "warning", "possible-duplicate"),
        ("clients/c.md", "warning", "possible-duplicate"),
        ("clients/d.md", "warning", "possible-duplicate"),
    ]


def test_same_slug_after_normalising(project: Path) -> None:
    write_client(project, "acme-corp", "---\nname: A\ngrade: A\n---\n")
    write_client(project, "Acme_Corp", "---\nname: A\ngrade: A\n---\n")
    codes = sorted((p.path, p.code) for p in book(project).problems)
    assert ("clients/Acme_Corp.md", "bad-slug") in codes
    assert ("clients/acme-corp.md", "duplicate-client") in codes
    assert ("clients/Acme_Corp.md", "duplicate-client") in codes


def test_paths_limit_reports_but_not_cross_checks(project: Path, monkeypatch) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\nreferred_by: b\n---\n")
    write_client(project, "b", "---\nname: B\ngrade: Q\n---\n")
    monkeypatch.chdir(project)
    b = book(project, [Path("clients/a.md")])
    assert b.problems == [] and b.files == 1  # b exists, so the referral is fine
    b = book(project, [project / "clients" / "b.md"])
    assert [p.code for p in b.problems] == ["bad-choice"]


def test_empty_project(project: Path) -> None:
    b = book(project)
    assert (b.clients, b.problems, b.files) == ([], [], 0)


def test_non_markdown_files_are_ignored(project: Path) -> None:
    (project / "clients" / "notes.txt").write_text("hello", encoding="utf-8")
    (project / "clients" / ".acme.md.swp").write_text("x", encoding="utf-8")
    assert book(project).files == 0


def test_without_clients_the_problems_are_the_same_in_parallel(project: Path, monkeypatch) -> None:
    from crmgen.load import book as book_module

    monkeypatch.setattr(book_module, "PARALLEL_MIN", 4)  # workers, as for a large book
    write_client(project, "a", "---\nname: A\ngrade: A\nreferred_by: nobody\nphone: '021 5555 0101'\n---\n")
    write_client(project, "b", "---\nname: B\ngrade: B\nphone: '021-5555-0101'\nemail: x@y.cn\n---\n")
    write_client(project, "c", "---\nname: C\ngrade: Q\nemail: X@y.cn\n---\n")
    write_client(project, "d", "---\nname: D\ngrade: C\nreferred_by: d\n---\n")
    write_client(project, "e_x", "---\nname: E\ngrade: C\nreferred_by: a\n---\n\n## 2026-02-30 call: x\n")
    write_client(project, "f", "---\nname: F\ngrade: C\n---\n")
    project_ = load_project(project)
    whole = load_book(project_, use_cache=False)
    slim = load_book(project_, use_cache=False, clients=False)
    assert len(whole.problems) >= 6
    assert slim.problems == whole.problems and slim.broken == whole.broken and slim.files == whole.files == 6
    assert slim.clients == [] and [c.slug for c in whole.clients] == ["b", "f"]


def test_phone_normalisation_is_the_regex_one() -> None:
    import re

    from crmgen.load.book import _norm_phone

    def by_regex(phone: str) -> str:
        digits = re.sub(r"\D", "", phone)
        return digits[-11:] if len(digits) >= 7 else ""

    for phone in ("+86 138-0013-8000", "13800138000", "(021) 5555.0101", "１３８ ００１３ ８０００", "٠١٢٣٤٥٦٧٨٩",
                  "²³⁴ 5678901", "tel: 138 0013 8000 ext. 5", "12345", "", "n/a", "+1 (555) 010-9999 x12"):
        assert _norm_phone(phone) == by_regex(phone), phone


def test_slug_of_is_the_path_stem() -> None:
    from crmgen.load.book import _slug_of

    for rel in ("clients/a.md", "clients/.a.md", "clients/a.", "clients/a..md", "a", "clients/", "clients/.",
                "clients/..", "x/y/z.tar.gz", "clients//b.md", ".md", "clients/Acme_Corp.md", "clients/a.md/"):
        assert _slug_of(rel) == Path(rel).stem, rel


def test_normal_slugs_are_left_as_they_are() -> None:
    from crmgen.load.book import _NORMAL_SLUG, normalise_slug

    for slug in ("acme", "acme-corp-2", "a--b", "a-", "-a", "Acme", "acmé", "a_b", "a b", "a\n", ""):
        assert bool(_NORMAL_SLUG(slug)) == (normalise_slug(slug) == slug and slug != ""), slug


def test_client_paths_in_path_order(project: Path) -> None:
    from crmgen.load.book import client_paths

    for name in ("b.md", "B.md", "a-2.md", "a.md", "a_1.md", "é.md", "z.txt", ".hidden.md", "10.md", "9.md"):
        (project / "clients" / name).write_text("x", encoding="utf-8")
    (project / "clients" / "dir.md").mkdir()  # a directory named like a client: a file that cannot be read
    paths = client_paths(load_project(project))
    assert paths == sorted(p for p in (project / "clients").iterdir() if p.suffix == ".md" and not p.name.startswith("."))
    assert len(paths) == 9
