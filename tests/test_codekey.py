"""The one code key changes with any byte of crmgen's code, a dependency's version or Python,
and with nothing else; every cache is keyed by it, so a changed validator is never hidden."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO, write_client

from crmgen.accel import codekey

VERSIONS = [("pyyaml", "6.0.2"), ("mkdocs", "1.6.1")]


def _copy(tmp_path: Path) -> Path:
    package = tmp_path / "crmgen"
    shutil.copytree(codekey.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    return package


def test_the_key_follows_content_not_times(tmp_path: Path) -> None:
    package = _copy(tmp_path)
    first = codekey.key_of(package, VERSIONS, "cpython 3.11.7")
    validation = package / "format" / "validation.py"
    os.utime(validation, (1, 1))
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "x.pyc").write_bytes(b"junk")
    assert codekey.key_of(package, VERSIONS, "cpython 3.11.7") == first
    validation.write_text(validation.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert codekey.key_of(package, VERSIONS, "cpython 3.11.7") != first


def test_the_key_follows_templates_dependencies_and_python(tmp_path: Path) -> None:
    package = _copy(tmp_path)
    first = codekey.key_of(package, VERSIONS, "cpython 3.11.7")
    assert codekey.key_of(package, [("pyyaml", "6.0.3"), ("mkdocs", "1.6.1")], "cpython 3.11.7") != first
    assert codekey.key_of(package, VERSIONS, "cpython 3.12.1") != first
    template = next(package.glob("templates/*.j2"))
    template.write_bytes(template.read_bytes() + b" ")
    assert codekey.key_of(package, VERSIONS, "cpython 3.11.7") != first


def test_a_changed_validator_is_never_hidden_by_the_caches(tmp_path: Path) -> None:
    """An upgrade at the same version number: a copy of crmgen whose validator is edited
    reports the new problem at once, from the same project and cache directory."""
    site = tmp_path / "lib"
    shutil.copytree(codekey.PACKAGE, site / "crmgen", ignore=shutil.ignore_patterns("__pycache__"))
    root = tmp_path / "crm"
    (root / "clients").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "projects" / "small" / "mkdocs.yml", root / "mkdocs.yml")
    path = write_client(root, "a", "---\nname: A\ngrade: A\n---\n")
    old = 1_000_000_000
    os.utime(path, (old, old))
    os.utime(root / "mkdocs.yml", (old, old))
    env = {**os.environ, "PYTHONPATH": str(site)}

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), "check"], capture_output=True,
                              text=True, env=env, timeout=120, cwd=tmp_path)

    assert check().returncode == 0
    assert check().returncode == 0  # now from the summary and the parse cache
    validation = site / "crmgen" / "format" / "validation.py"
    validation.write_text(validation.read_text(encoding="utf-8") + textwrap.dedent('''
        _original_validate = validate


        def validate(raw, slug, **kwargs):
            located = _original_validate(raw, slug, **kwargs)
            located.problems.append(Problem(raw.rel_path, 1, 1, ERROR, "upgraded rule", "new-rule"))
            return Located(None, located.problems, located.positions)
    '''), encoding="utf-8")
    done = check()
    assert done.returncode == 1, done.stderr
    assert "upgraded rule [new-rule]" in done.stderr


def test_installed_versions_are_those_importlib_reports() -> None:
    from importlib.metadata import version

    found = dict(codekey.installed_versions())
    for name in ("pyyaml", "jinja2", "mkdocs", "mkdocs-material", "click"):
        assert found[name] == version(name)


def test_installed_versions_read_the_first_dist_info_on_the_path(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "PyYAML-7.0.dist-info").mkdir(parents=True)
    (second / "PyYAML-6.0.2.dist-info").mkdir(parents=True)
    (second / "mkdocs_material-9.6.1.dist-info").mkdir(parents=True)
    found = dict(codekey.installed_versions([str(first), str(second), str(tmp_path / "missing")]))
    assert found["pyyaml"] == "7.0" and found["mkdocs-material"] == "9.6.1" and found["jieba"] == ""


def test_every_cache_is_keyed_by_the_one_code_key(tmp_path: Path, monkeypatch) -> None:
    """The incremental build, the segmentation memo and the slugs' memo: another crmgen
    (another code key) trusts none of what this one kept."""
    from crmgen import slugs
    from crmgen.accel import incremental, segment

    assert incremental.versions() == (codekey.code_key(),)
    assert codekey.code_key() in segment._versions()
    monkeypatch.setattr(slugs, "_MEMO", {"华东": "huadong"})
    monkeypatch.setattr(slugs, "_USED", {"华东"})
    monkeypatch.setattr(slugs, "_STATE", {"dirty": True})
    memo = tmp_path / slugs.MEMO_FILE
    assert slugs.save_memo(memo)
    monkeypatch.setattr(slugs, "_MEMO", {})
    assert slugs.load_memo(memo) == 1
    monkeypatch.setattr(slugs, "_MEMO", {})
    monkeypatch.setattr(codekey, "code_key", lambda: "another crmgen")
    assert incremental.versions() == ("another crmgen",) and "another crmgen" in segment._versions()
    assert slugs.load_memo(memo) == 0
