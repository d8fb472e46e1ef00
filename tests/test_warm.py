"""crmgen.warm: values read ahead by a spare are used only when made from the same inputs."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from crmgen import warm
from crmgen.config import load_project
from crmgen.site import _config_witness, build_site
from crmgen.site import incremental as inc

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-12-01"


@pytest.fixture(autouse=True)
def _nothing_held():
    warm.forget()
    yield
    warm.forget()


def test_a_value_is_kept_only_while_warming_and_given_once_for_equal_inputs():
    warm.keep("k", "a", b"inputs", "value")
    assert warm.held("k", "a", b"inputs") is warm.MISSING  # not warming: nothing was kept
    with warm.warming():
        warm.keep("k", "a", b"inputs", "value")
        warm.keep("k", "b", b"inputs", "other")
    assert warm.held("k", "a", b"changed") is warm.MISSING  # other inputs: not given, and dropped
    assert warm.held("k", "a", b"inputs") is warm.MISSING
    assert warm.held("k", "b", b"inputs") == "other"
    assert warm.held("k", "b", b"inputs") is warm.MISSING  # once
    assert warm.count() == 0


def test_a_file_edited_since_it_was_read_ahead_is_parsed_again_even_with_the_same_size_and_times(tmp_path):
    path = tmp_path / "state.pickle"
    path.write_bytes(pickle.dumps({"n": 1}))
    with warm.warming():
        assert inc.load_pickle(path) == {"n": 1}
    st = path.stat()
    path.write_bytes(pickle.dumps({"n": 2}))  # same length
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    assert inc.load_pickle(path) == {"n": 2}

    with warm.warming():
        kept = inc.load_pickle(path)
    assert inc.load_pickle(path) is kept  # unchanged: the very value read ahead
    assert inc.load_pickle(path) is not kept  # given once; read again after that


def test_values_of_another_parser_are_not_taken(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"[1, 2]")
    with warm.warming():
        warm.read_parsed(path, bytes.decode)
    assert warm.read_parsed(path, lambda data: len(data)) == 6


@pytest.fixture
def project(samples):
    return samples


def _build(root: Path):
    import datetime as dt

    from crmgen.book import load_book

    project = load_project(root)
    book = load_book(project, digests=True)
    return build_site(project, book.clients, today=dt.date.fromisoformat(TODAY), digest=book.digest,
                      broken=book.broken)


def test_the_config_witness_holds_what_mkdocs_reads(project, monkeypatch):
    _build(project)
    config = project / ".crmgen" / "mkdocs.yml"
    out = project / ".crmgen" / inc.BUILD_DIR
    first = _config_witness(config, out, False)
    assert first is not None and first == _config_witness(config, out, False)
    assert _config_witness(config, out, True) != first
    monkeypatch.setenv("CRMGEN_SOME_VARIABLE", "a")
    assert _config_witness(config, out, False) == first  # no !ENV tag: the environment is no input
    user = project / "mkdocs.yml"
    user.write_text(user.read_text(encoding="utf-8") + "\ncopyright: changed\n", encoding="utf-8")
    assert _config_witness(config, out, False) != first
    user.write_text(user.read_text(encoding="utf-8") + "\nrepo_url: !ENV CRMGEN_SOME_VARIABLE\n", encoding="utf-8")
    tagged = _config_witness(config, out, False)
    assert tagged == _config_witness(config, out, False)
    monkeypatch.setenv("CRMGEN_SOME_VARIABLE", "b")
    assert _config_witness(config, out, False) != tagged

    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("- offline\n", "- offline\n- tags\n"), encoding="utf-8")
    assert _config_witness(config, out, False) is None  # another plugin may read files: never read ahead
    config.write_text(text.replace("hooks:\n", "hooks:\n- /elsewhere/hook.py\n"), encoding="utf-8")
    assert _config_witness(config, out, False) is None


def test_a_build_after_prepare_takes_what_is_unchanged_and_sees_what_changed(project, tmp_path, monkeypatch):
    import mkdocs.config

    loads = []
    real = mkdocs.config.load_config
    monkeypatch.setattr(mkdocs.config, "load_config", lambda *a, **k: loads.append(1) or real(*a, **k))
    _build(project)
    assert warm.prepare(["-C", str(project), "build", "--today", TODAY]) >= 5
    user = project / "mkdocs.yml"
    user.write_text(user.read_text(encoding="utf-8").replace("site_name:", "site_name: Read ahead 预读 #"),
                    encoding="utf-8")
    result = _build(project)
    assert result.incremental is False  # the config changed: a full build, made from the new config
    assert "Read ahead 预读" in (result.site_dir / "index.html").read_text(encoding="utf-8")
    assert warm.count() <= 1  # the rest was taken (the old MkDocs config was not: its inputs changed)

    warm.forget()
    kept = warm.prepare(["-C", str(project), "build", "--today", TODAY])
    assert kept >= 5
    loads.clear()
    assert _build(project).incremental
    assert warm.count() == 0  # every value read ahead was given out
    assert loads == []  # MkDocs' config among them: the build did not load it again


def test_prepare_reads_nothing_for_another_command_or_a_full_build(project):
    _build(project)
    assert warm.prepare(["-C", str(project), "check"]) == 0
    shards = len(list((project / ".crmgen" / "cache" / "parse-v2").glob("*.pickle")))
    assert shards and warm.prepare(["-C", str(project), "build", "--full"]) == shards  # the parse cache only
    warm.forget()
    assert warm.prepare(["-C", str(project / "missing"), "build"]) == 0


def test_the_theme_environment_made_ahead_is_used_only_while_its_templates_are_the_same(project, monkeypatch):
    from mkdocs.theme import Theme

    overrides = project / "overrides"
    overrides.mkdir()
    (overrides / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}{{ super() }}<p id="mark">first</p>{% endblock %}\n', encoding="utf-8")
    user = project / "mkdocs.yml"
    user.write_text(user.read_text(encoding="utf-8").replace("  name: material\n",
                                                              "  name: material\n  custom_dir: overrides\n"),
                    encoding="utf-8")
    _build(project)
    made = []
    real = Theme.get_env
    monkeypatch.setattr(Theme, "get_env", lambda self: made.append(1) or real(self))

    warm.prepare(["-C", str(project), "build", "--today", TODAY])
    assert made == [1]
    made.clear()
    assert _build(project).incremental
    assert made == []  # the build took the environment made ahead

    site = project / "site" / "index.html"
    for change, mark in ((lambda: (overrides / "main.html").write_text(
                             (overrides / "main.html").read_text(encoding="utf-8").replace("first", "second"),
                             encoding="utf-8"), "second"),
                         (lambda: (overrides / "partials").mkdir() or (overrides / "partials" / "footer.html")
                          .write_text('<footer id="mark2">shadowed</footer>', encoding="utf-8"), "shadowed")):
        warm.forget()
        warm.prepare(["-C", str(project), "build", "--today", TODAY])
        change()
        made.clear()
        _build(project)
        assert made == [1]  # made again: a template changed, or another file now stands for one
        assert mark in site.read_text(encoding="utf-8")
