"""The message catalogues (crmgen/i18n.py, tools/i18n.py) and the language setting."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

from crmgen import i18n
from crmgen.format import labels, schema
from crmgen.format.errors import SettingsError
from crmgen.load.project import Settings, load_project
from crmgen.rules.dueplan import KINDS

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("crmgen_i18n_tool", ROOT / "tools" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_marked_string_has_a_chinese_translation_and_the_mo_is_compiled_from_the_po():
    assert _tool().problems("zh") == []


@pytest.mark.parametrize(("written", "code"), [
    ("zh", "zh"), ("zh_CN", "zh"), ("zh-Hans", "zh"), ("ZH-cn", "zh"), ("en", "en"), ("en_GB", "en"),
    ("de", None), ("", None), (None, None), (7, None),
])
def test_language_codes_as_people_write_them(written, code):
    assert i18n.normalize(written) == code


def test_using_translates_inside_the_block_only_and_nests():
    assert i18n.label("stage", "customer") == "customer"
    with i18n.using("zh"):
        assert i18n.label("stage", "customer") == "客户"
        assert i18n.active() == "zh"
        with i18n.using("en"):
            assert i18n.label("stage", "customer") == "customer"
        assert i18n.label("stage", "customer") == "客户"
    assert i18n.active() == "en"
    assert i18n.label("stage", "customer") == "customer"


def test_a_value_the_catalogue_does_not_know_is_shown_as_written():
    with i18n.using("zh"):
        assert i18n.label("stage", "partner") == "partner"
        assert i18n._("No such message in any catalogue") == "No such message in any catalogue"


def test_another_thread_starts_in_english_until_it_says_otherwise():
    seen = []
    with i18n.using("zh"):
        t = threading.Thread(target=lambda: seen.append(i18n.label("stage", "lost")))
        t.start()
        t.join()
    assert seen == ["lost"]


@pytest.mark.parametrize(("kind", "values"), [
    ("stage", schema.STAGES), ("interaction", schema.INTERACTION_TYPES), ("side", schema.PROMISE_SIDES),
    ("step", schema.COMPLAINT_STEPS), ("rebate_basis", schema.REBATE_BASES), ("rebate_mode", schema.REBATE_MODES),
    ("reminder", KINDS),
])
def test_every_value_of_the_format_has_a_label_in_chinese(kind, values):
    assert tuple(labels.LABELS[kind]) == tuple(values)
    with i18n.using("zh"):
        shown = [i18n.label(kind, v) for v in values]
    assert all(s != v for s, v in zip(shown, values, strict=True)), shown
    assert len(set(shown)) == len(shown)  # two values never look alike


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "mkdocs.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_theme_language_is_crmgen_language_when_the_team_sets_none(tmp_path):
    _project(tmp_path, "site_name: x\ntheme:\n  name: material\n  language: zh\n")
    assert load_project(tmp_path).settings.language == "zh"


def test_a_theme_language_crmgen_has_no_catalogue_for_is_english(tmp_path):
    _project(tmp_path, "site_name: x\ntheme:\n  name: material\n  language: de\n")
    assert load_project(tmp_path).settings.language == "en"


def test_the_team_setting_wins_over_the_theme(tmp_path):
    _project(tmp_path, "site_name: x\ntheme:\n  language: zh\nextra:\n  crmgen:\n    language: en\n")
    assert load_project(tmp_path).settings.language == "en"
    _project(tmp_path, "site_name: x\nextra:\n  crmgen:\n    language: zh_CN\n")
    assert load_project(tmp_path).settings.language == "zh"


def test_a_language_crmgen_does_not_speak_is_an_error_naming_the_ones_it_does():
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({"language": "fr"})
    (line,) = caught.value.args[0] if isinstance(caught.value.args[0], list) else [str(caught.value)]
    assert "extra.crmgen.language" in line and "en (English)" in line and "zh (中文)" in line and "'fr'" in line


def test_init_language_zh_makes_a_project_that_speaks_chinese(tmp_path):
    from click.testing import CliRunner

    from crmgen.cli.app import main

    result = CliRunner().invoke(main, ["init", str(tmp_path / "crm"), "--language", "zh"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "crm" / "mkdocs.yml").read_text(encoding="utf-8")
    assert "\n  language: zh\n" in text and "language: en" not in text
    assert load_project(tmp_path / "crm").settings.language == "zh"
    assert CliRunner().invoke(main, ["init", str(tmp_path / "x"), "--language", "fr"]).exit_code == 2
