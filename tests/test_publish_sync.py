"""Publishing an incremental build: only what differs is replaced, each file by one rename."""

from __future__ import annotations

import os
from pathlib import Path

from crmgen.render.publish import MARKER, sync_links


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_sync_links_mirrors_the_build_and_touches_only_what_changed(tmp_path: Path) -> None:
    build, site = tmp_path / "build", tmp_path / "site"
    for rel, data in {"index.html": b"home", "clients/a/index.html": b"a", "clients/b/index.html": b"b",
                      "assets/x.css": b"css"}.items():
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_bytes(data)
    site.mkdir()
    (site / MARKER).write_text("crmgen site\n")
    assert sync_links(build, site) == 4
    kept = site / "assets" / "x.css"
    kept_inode = kept.stat().st_ino
    assert kept_inode == (build / "assets" / "x.css").stat().st_ino  # a link, not a copy

    # the next build: one page rewritten (a new file), one gone, one new; a dir became a file
    os.unlink(build / "clients" / "a" / "index.html")
    (build / "clients" / "a" / "index.html").write_bytes(b"a2")
    (build / "clients" / "b" / "index.html").unlink()
    (build / "clients" / "b").rmdir()
    (build / "clients" / "c" / "index.html").parent.mkdir(parents=True)
    (build / "clients" / "c" / "index.html").write_bytes(b"c")
    served = open(site / "clients" / "a" / "index.html", "rb")  # a reader in the middle of a response
    assert sync_links(build, site) == 3
    assert served.read() == b"a"  # the old file stays whole for its reader
    served.close()
    assert files(site) == {**files(build), MARKER: b"crmgen site\n"}
    assert kept.stat().st_ino == kept_inode  # unchanged files are not touched
    assert not (site / "clients" / "b").exists()
    assert not [p for p in site.rglob("*") if ".crmgen-new" in p.name]


def tree_of(build: Path, files_: dict[str, bytes]) -> None:
    for rel, data in files_.items():
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_bytes(data)


def test_sync_links_of_the_changed_files_only(tmp_path: Path) -> None:
    build, site = tmp_path / "build", tmp_path / "site"
    tree_of(build, {"index.html": b"home", "clients/a/index.html": b"a", "clients/b/index.html": b"b",
                    "assets/x.css": b"css"})
    site.mkdir()
    (site / MARKER).write_text("crmgen site\n")
    assert sync_links(build, site) == 4
    os.unlink(build / "clients" / "a" / "index.html")
    (build / "clients" / "a" / "index.html").write_bytes(b"a2")
    (build / "clients" / "b" / "index.html").unlink()
    (build / "clients" / "b").rmdir()
    tree_of(build, {"clients/c/index.html": b"c"})
    changed = [str(build / "clients" / "a" / "index.html"), "clients/b/index.html", "clients/c/index.html"]
    (site / "stray.txt").write_bytes(b"not looked at")  # only what changed is looked at
    assert sync_links(build, site, changed) == 3
    assert files(site) == {**files(build), MARKER: b"crmgen site\n", "stray.txt": b"not looked at"}
    assert not (site / "clients" / "b").exists()  # the directory its page left empty went too
    assert not [p for p in site.rglob("*") if ".crmgen-new" in p.name]


def test_sync_links_of_changed_files_walks_all_when_a_file_became_a_directory(tmp_path: Path) -> None:
    build, site = tmp_path / "build", tmp_path / "site"
    tree_of(build, {"index.html": b"home", "page": b"a file"})
    site.mkdir()
    (site / MARKER).write_text("crmgen site\n")
    sync_links(build, site)
    (build / "page").unlink()
    tree_of(build, {"page/index.html": b"now a directory"})
    sync_links(build, site, ["page", "page/index.html"])
    assert files(site) == {**files(build), MARKER: b"crmgen site\n"}


def test_publish_build_trusts_the_changed_files_only_for_the_site_it_last_published(
        tmp_path: Path, monkeypatch) -> None:
    from crmgen.render import publish

    monkeypatch.setattr(publish, "_serving", lambda: False)  # no page previews from this process
    build, site, other = tmp_path / "work" / "build", tmp_path / "site", tmp_path / "other"
    tree_of(build, {"index.html": b"home", "clients/a/index.html": b"a"})
    publish.publish_build(build, site, dirty=False)  # swapped in: the site links every file
    assert files(site) == {**files(build), MARKER: publish.MARKER_TEXT.encode()}
    publish.publish_build(build, other, dirty=False)  # now the build dir's last site is another one

    tree_of(build, {"clients/b/index.html": b"b"})
    walked = []
    original = publish._sync_all
    monkeypatch.setattr(publish, "_sync_all", lambda *a: walked.append(a) or original(*a))
    publish.publish_build(build, site, dirty=True, changed=["clients/b/index.html"])
    assert walked  # the site missed what the build dir took in for the other site: walked
    assert files(site) == {**files(build), MARKER: publish.MARKER_TEXT.encode()}

    walked.clear()
    os.unlink(build / "index.html")
    tree_of(build, {"index.html": b"home 2"})
    publish.publish_build(build, site, dirty=True, changed=["index.html"])
    assert not walked  # it linked the build dir's every file: the changed ones are enough
    assert files(site) == {**files(build), MARKER: publish.MARKER_TEXT.encode()}
    publish.publish_build(build, site, dirty=True, changed=None)
    assert walked  # writes not all seen: walked


def test_sync_tree_deletes_stale_files_and_the_directories_they_leave_empty(tmp_path: Path) -> None:
    from crmgen.render import publish
    from crmgen.render.tree import KEEP

    docs = tmp_path / "docs"
    publish.sync_tree(docs, {"index.md": b"i", "clients/a/index.md": b"a", "clients/b/index.md": b"b",
                             "deep/er/x.md": b"x"})
    (docs / "clients" / "c").mkdir()  # an empty directory goes too
    assert publish.sync_tree_changes(docs, {"index.md": b"i2", "clients/a/index.md": KEEP}) == (
        ["index.md"], ["clients/b/index.md", "deep/er/x.md"])
    assert files(docs) == {"index.md": b"i2", "clients/a/index.md": b"a"}
    assert sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_dir()) == ["clients", "clients/a"]


def test_a_tree_writer_places_pages_as_they_come_and_the_sync_keeps_them(tmp_path: Path) -> None:
    import pytest

    from crmgen.format.errors import UsageError
    from crmgen.render import publish

    docs = tmp_path / "docs"
    publish.sync_tree(docs, {"index.md": b"i", "clients/a/index.md": b"a", "clients/b/index.md": b"b"})
    before = os.stat(docs / "clients" / "a" / "index.md").st_mtime_ns
    writer = publish.TreeWriter(docs)
    same, new = writer("clients/a/index.md", b"a"), writer("clients/c/index.md", b"ccc")
    assert (same.size, new.size) == (1, 3)
    assert writer.written == ["clients/c/index.md"]  # an unchanged page is not written again
    assert os.stat(docs / "clients" / "a" / "index.md").st_mtime_ns == before
    assert (docs / "clients" / "c" / "index.md").read_bytes() == b"ccc"  # on disk at once
    with pytest.raises(UsageError, match="outside"):
        writer("../escape.md", b"x")
    # the sync leaves placed pages alone and deletes what neither it nor the writer was given
    assert publish.sync_tree_changes(docs, {"index.md": b"i", "clients/a/index.md": same,
                                            "clients/c/index.md": new}) == ([], ["clients/b/index.md"])
    assert files(docs) == {"index.md": b"i", "clients/a/index.md": b"a", "clients/c/index.md": b"ccc"}
