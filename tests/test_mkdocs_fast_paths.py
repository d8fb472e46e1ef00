"""crmgen's shortcuts through MkDocs give what MkDocs' own way gives (see tests/test_incremental.py for whole sites)."""

from __future__ import annotations

import os
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from crmgen.accel import incremental, plugin
from crmgen.render.mkdocs import hooks
from tests.test_incremental import book, build, tree  # noqa: F401 - book is a fixture


def _substituted(markdown: str) -> tuple[str, list[str]]:
    blocks: list[str] = []

    def stash(match):
        blocks.append(match.group(1))
        return f"\n<!--crmgen:{hooks._TOKEN}:{len(blocks) - 1}-->\n"

    return hooks._BLOCK.sub(stash, markdown), blocks


def test_blocks_are_found_as_the_block_pattern_finds_them() -> None:
    parts = [hooks.HTML_START, hooks.HTML_END, f"{hooks.HTML_START}\n", f"\n{hooks.HTML_END}", "\n", "\n\n",
             "x", " ", "<p>", "a\n"]
    rng = random.Random(7)
    for _ in range(30_000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 14)))
        assert hooks.take_blocks(text) == _substituted(text), repr(text)


def test_links_are_cleaned_as_the_full_substitution_cleans_them() -> None:
    parts = ['"a"', "'b'", '"javascript:x"', "'data:1'", '"x&y"', '"', "'", " href=", " src=", " HREF = ", "=",
             " ", ":", "&", "java&#115;cript:x", "\n", "ſrc="]
    rng = random.Random(11)
    for _ in range(30_000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 12)))
        assert hooks.clean_urls(text) == hooks._URL_ATTR.sub(hooks._clean, text), repr(text)


def test_a_page_out_of_search_gets_its_blocks_back_cleaned_after_search() -> None:
    page = SimpleNamespace(file=SimpleNamespace(src_uri="reminders/index.md"), meta={"search": {"exclude": True}},
                           content=None)
    block = '<p><a href="javascript:alert(1)">x</a> <a href="../clients/a/index.html">a</a></p>'
    inner = hooks.on_page_markdown(f"{hooks.HTML_START}\n{block}\n{hooks.HTML_END}\n", page=page)
    page.content = hooks.on_page_content(f"<h1>R</h1>\n{inner.strip()}\n", page=page)  # as Markdown passes it
    assert "<a " not in page.content  # what Material's search strips attributes from: a few bytes
    hooks.on_page_context({}, page=page)
    assert page.content == '<h1>R</h1>\n<p><a href="#">x</a> <a href="../clients/a/index.html">a</a></p>\n'


def test_theme_files_are_listed_without_hidden_directories_only(tmp_path: Path) -> None:
    import functools

    import jinja2
    from mkdocs.structure.files import Files

    names = ("main.html", "partials/Nav.HTML", "hooks.py", "assets/app.js", ".icons/a/b.svg", "assets/.cache/x.js",
             ".hidden.css", "x/.y/z.css", "README.md", "locales/en.js", "static.css")
    for rel in names:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    loader = jinja2.FileSystemLoader([str(tmp_path)])
    listed = plugin._visible_templates(loader)
    assert ".icons/a/b.svg" not in listed and ".hidden.css" in listed
    assert "main.html" not in listed and "partials/Nav.HTML" not in listed and "hooks.py" not in listed

    def theme_files(env: jinja2.Environment) -> list[str]:  # what MkDocs copies from the theme
        files = Files([])
        config = SimpleNamespace(theme=SimpleNamespace(static_templates={"static.css"}, dirs=[str(tmp_path)]),
                                 docs_dir=str(tmp_path / "docs"), site_dir=str(tmp_path / "site"),
                                 use_directory_urls=False)
        files.add_files_from_theme(env, config)
        return [f.src_uri for f in files]

    ours = jinja2.Environment(loader=jinja2.FileSystemLoader([str(tmp_path)]))
    ours.loader.list_templates = functools.partial(plugin._visible_templates, ours.loader)
    assert theme_files(ours) == theme_files(jinja2.Environment(loader=loader)) == ["assets/app.js"]


def test_the_search_index_is_kept_as_a_link_and_copied_from(book: Path, tmp_path: Path,  # noqa: F811
                                                            monkeypatch) -> None:
    site = tmp_path / "site"
    written = []
    real = incremental._write_index
    monkeypatch.setattr(incremental, "_write_index", lambda *a: written.append(a) or real(*a))
    build(book, site)
    assert not written  # a one-process full build keeps Material's own index: crmgen writes the same bytes
    work = book / ".crmgen"
    index = work / incremental.BUILD_DIR / "search" / "search_index.json"
    assert os.path.samefile(work / incremental.SEARCH_STORE, index)

    path = book / "clients" / "gamma.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-20 call: spans-edit\n", encoding="utf-8")
    assert build(book, site).incremental and written
    assert os.path.samefile(work / incremental.SEARCH_STORE, index)
    full = tmp_path / "full"
    build(book, full, full=True)
    assert tree(site) == tree(full)


def test_a_search_index_changed_since_the_last_build_is_never_merged_into(book: Path, tmp_path: Path) -> None:  # noqa: F811
    site = tmp_path / "site"
    build(book, site)
    store = book / ".crmgen" / incremental.SEARCH_STORE
    store.unlink()
    store.write_bytes(b'{"config":{},"docs":[]}')
    path = book / "clients" / "gamma.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-20 call: another\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="without a search index"):
        build(book, site)
    assert not build(book, site).incremental  # the failed build is never trusted: a full one follows
