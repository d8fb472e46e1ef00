"""Publishing an incremental build: only what differs is replaced, each file by one rename."""

from __future__ import annotations

import os
from pathlib import Path

from crmgen.site.publish import MARKER, sync_links


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
