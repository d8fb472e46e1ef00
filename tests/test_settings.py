"""Team settings under ``extra: crmgen:`` in ``mkdocs.yml`` (#15): every key is checked against
one declaration (:data:`crmgen.load.project.SETTING_RULES`), every bad one is reported at once with
its line, and a good ``mkdocs.yml`` reads as it always did."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from crmgen.cli import main
from crmgen.format.errors import SettingsError
from crmgen.format.schema import CADENCE_MAX, GRADES, NUMBER_MAX
from crmgen.format.terms import Terms
from crmgen.load.project import (
    DEFAULT_CADENCE,
    DEFAULT_LEADS,
    SETTING_RULES,
    Settings,
    load_project,
)
from crmgen.rules.dueplan import KINDS
from tests.conftest import REPO

HEAD = "site_name: T\nextra:\n  crmgen:\n"  # a setting written after it is on line 4
KIND_LIST = ", ".join(KINDS)
WHERE = "name a directory inside the project, relative to mkdocs.yml"


def _book(tmp_path: Path, settings_text: str) -> Path:
    root = tmp_path / "book"
    (root / "clients").mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(HEAD + settings_text, encoding="utf-8")
    return root


def _check(root: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    return result.exit_code, result.stderr.splitlines()


def test_every_setting_has_one_rule_and_the_names_a_map_may_have_are_the_real_ones() -> None:
    assert set(SETTING_RULES) == set(Settings.__dataclass_fields__)
    assert SETTING_RULES["leads"].names == tuple(DEFAULT_LEADS) == KINDS
    assert SETTING_RULES["cadence"].names == tuple(DEFAULT_CADENCE) == GRADES


# (the setting as written on line 4, the one line check prints for it)
REFUSED = [
    # days: 0 to CADENCE_MAX, whole
    ("    within: -3\n", "4:13: error: extra.crmgen.within: must be a whole number of days"),
    ("    within: 1.5\n", "4:13: error: extra.crmgen.within: must be a whole number of days"),
    ("    within: 3651\n", "4:13: error: extra.crmgen.within: must be 0 to 3,650 days (10 years)"),
    ("    within: .inf\n", "4:13: error: extra.crmgen.within: must be a whole number of days"),
    ("    within: true\n", "4:13: error: extra.crmgen.within: must be a number"),
    ("    within:\n", "4:12: error: extra.crmgen.within: must be a number"),
    ("    review_after: -1\n", "4:19: error: extra.crmgen.review_after: must be a whole number of days"),
    ("    complaint_after: 2.5\n", "4:22: error: extra.crmgen.complaint_after: must be a whole number of days"),
    ("    successor_after: 99999\n",
     "4:22: error: extra.crmgen.successor_after: must be 0 to 3,650 days (10 years)"),
    ("    dormant_after: 10000000000000000000000\n",
     "4:20: error: extra.crmgen.dormant_after: must be 0 to 3,650 days (10 years)"),
    ("    dormant_after: half a year\n", "4:20: error: extra.crmgen.dormant_after: must be a number"),
    # a share: above 0, at most 1
    *[(f"    rebate_near: {v}\n", "4:18: error: extra.crmgen.rebate_near: must be a share above 0 and at most 1 "
       f"(0.8: at 80% of the next tier), not {shown}")
      for v, shown in [("0", "0"), ("-0.5", "-0.5"), ("1.01", "1.01"), ("80", "80"), (".nan", "nan")]],
    ("    rebate_near: 80%\n", "4:18: error: extra.crmgen.rebate_near: must be a number"),
    # cadence: grades to 1 to CADENCE_MAX days, as a client's own cadence
    ("    cadence: {B: 0}\n", "4:18: error: extra.crmgen.cadence.B: must be 1 to 3,650 days (10 years)"),
    ("    cadence: {B: 3651}\n", "4:18: error: extra.crmgen.cadence.B: must be 1 to 3,650 days (10 years)"),
    ("    cadence: {B: 2w}\n", "4:18: error: extra.crmgen.cadence.B: must be a whole number of days"),
    ("    cadence: {a: 7}\n", "4:18: error: extra.crmgen.cadence.a: unknown grade (did you mean 'A'?)"),
    ("    cadence: {G: 7}\n", "4:18: error: extra.crmgen.cadence.G: unknown grade (one of A, B, C, D, E, F)"),
    ("    cadence: 7\n", "4:14: error: extra.crmgen.cadence: must be a mapping"),
    # leads: reminder kinds to 0 to CADENCE_MAX days
    ("    leads: {touch: 3651}\n", "4:20: error: extra.crmgen.leads.touch: must be 0 to 3,650 days (10 years)"),
    ("    leads: {touch: 1.5}\n", "4:20: error: extra.crmgen.leads.touch: must be a whole number of days"),
    ("    leads: {brithday: 3}\n",
     "4:23: error: extra.crmgen.leads.brithday: unknown reminder kind (did you mean 'birthday'?)"),
    ("    leads: {visit: 3}\n", "4:20: error: extra.crmgen.leads.visit: unknown reminder kind (did you mean 'revisit'?)"),
    ("    leads: {call: 3}\n", f"4:19: error: extra.crmgen.leads.call: unknown reminder kind (one of {KIND_LIST})"),
    ("    leads: {1: 3}\n", f"4:16: error: extra.crmgen.leads.1: unknown reminder kind (one of {KIND_LIST})"),
    # remind_steps: located at the list, as a bad 'days' always was
    ("    remind_steps: 5\n", "4:19: error: extra.crmgen.remind_steps: must be a list"),
    ("    remind_steps: [7]\n",
     "4:19: error: extra.crmgen.remind_steps: each entry needs 'days' (and 'under' but the last)"),
    ("    remind_steps: [{under: 100}]\n",
     "4:19: error: extra.crmgen.remind_steps: each entry needs 'days' (and 'under' but the last)"),
    ("    remind_steps: [{under: 100, days: 5000}, {days: 4}]\n",
     "4:19: error: extra.crmgen.remind_steps: 'days' must be 0 to 3,650 days (10 years), not 5000"),
    ("    remind_steps: [{under: 100, days: -1}, {days: 4}]\n",
     "4:19: error: extra.crmgen.remind_steps: 'days' must be a whole number of days, not -1"),
    *[(f"    remind_steps: [{{under: {v}, days: 2}}, {{days: 4}}]\n",
       f"4:19: error: extra.crmgen.remind_steps: 'under' must be an amount above 0 (at most {NUMBER_MAX:,}), "
       f"not {shown}") for v, shown in [("-5", "-5"), ("0", "0"), ("lots", "'lots'"), (".inf", "inf"),
                                         ("true", "True"), ("10000000000000001", "10000000000000001")]],
    ("    remind_steps: [{under: 100, days: 2}, {under: 50, days: 3}, {days: 4}]\n",
     "4:19: error: extra.crmgen.remind_steps: 'under' must increase from step to step, not 50 after 100"),
    ("    remind_steps: [{under: 100, days: 2}, {under: 100, days: 3}, {days: 4}]\n",
     "4:19: error: extra.crmgen.remind_steps: 'under' must increase from step to step, not 100 after 100"),
    ("    remind_steps: [{days: 2}, {under: 50, days: 3}]\n",
     "4:19: error: extra.crmgen.remind_steps: only the last step may leave out 'under' "
     "(it covers every larger amount); step 1 of 2 has none"),
    ("    remind_steps: [{under: 100, dyas: 2}, {days: 4}]\n",
     "4:19: error: extra.crmgen.remind_steps: unknown key 'dyas' in step 1 (did you mean 'days'?)"),
    ("    remind_steps: [{under: 100, days: 2}, {days: 4, ahead: 1}]\n",
     "4:19: error: extra.crmgen.remind_steps: unknown key 'ahead' in step 2"),
    # text
    ("    currency: 5\n", '4:15: error: extra.crmgen.currency: must be text, in quotes if need be (e.g. "¥" or "US$")'),
    ("    currency: [US$]\n",
     '4:15: error: extra.crmgen.currency: must be text, in quotes if need be (e.g. "¥" or "US$")'),
    ("    currency:\n", '4:14: error: extra.crmgen.currency: must be text, in quotes if need be (e.g. "¥" or "US$")'),
    ("    allow_html: 'true'\n", "4:17: error: extra.crmgen.allow_html: must be true or false"),
    # directories: relative, inside the project, not the project itself
    ("    clients_dir: /srv/crm/clients\n",
     f"4:18: error: extra.crmgen.clients_dir: '/srv/crm/clients' is an absolute path: {WHERE} (e.g. 'clients')"),
    ("    clients_dir: 'C:\\crm'\n",
     f"4:18: error: extra.crmgen.clients_dir: 'C:\\crm' is an absolute path: {WHERE} (e.g. 'clients')"),
    ("    clients_dir: ../other/clients\n",
     f"4:18: error: extra.crmgen.clients_dir: '../other/clients' leads outside the project: {WHERE} (e.g. 'clients')"),
    ("    clients_dir: crm/../../clients\n",
     f"4:18: error: extra.crmgen.clients_dir: 'crm/../../clients' leads outside the project: {WHERE} "
     "(e.g. 'clients')"),
    ("    clients_dir: '..\\clients'\n",
     f"4:18: error: extra.crmgen.clients_dir: '..\\clients' leads outside the project: {WHERE} (e.g. 'clients')"),
    ("    clients_dir: .\n",
     f"4:18: error: extra.crmgen.clients_dir: '.' is the project's own directory: {WHERE} (e.g. 'clients')"),
    ("    clients_dir: crm/..\n",
     f"4:18: error: extra.crmgen.clients_dir: 'crm/..' is the project's own directory: {WHERE} (e.g. 'clients')"),
    ("    clients_dir: ''\n", f"4:18: error: extra.crmgen.clients_dir: must not be empty: {WHERE} (e.g. 'clients')"),
    ('    clients_dir: "a\\0b"\n',
     f"4:18: error: extra.crmgen.clients_dir: must not contain a NUL character: {WHERE} (e.g. 'clients')"),
    ("    clients_dir: 5\n", f"4:18: error: extra.crmgen.clients_dir: must be text: {WHERE} (e.g. 'clients')"),
    ("    templates_dir: /etc\n",
     f"4:20: error: extra.crmgen.templates_dir: '/etc' is an absolute path: {WHERE} (e.g. 'templates')"),
    ("    templates_dir: ../templates\n",
     f"4:20: error: extra.crmgen.templates_dir: '../templates' leads outside the project: {WHERE} "
     "(e.g. 'templates')"),
    # unknown settings
    ("    withn: 3\n", "4:12: error: extra.crmgen.withn: unknown setting (did you mean 'within'?)"),
    ("    Currency: $\n", "4:15: error: extra.crmgen.Currency: unknown setting (did you mean 'currency'?)"),
    ("    colour: red\n", "4:13: error: extra.crmgen.colour: unknown setting"),
]


@pytest.mark.parametrize(("written", "line"), REFUSED, ids=[w.strip() for w, _ in REFUSED])
def test_a_bad_setting_is_refused_with_its_line_and_how_to_fix_it(tmp_path: Path, written: str, line: str) -> None:
    code, stderr = _check(_book(tmp_path, written))
    assert (code, stderr) == (2, [f"mkdocs.yml:{line}", "crmgen: error: 1 bad setting in mkdocs.yml"])


def test_every_bad_setting_and_every_bad_part_of_one_is_reported_at_once(tmp_path: Path) -> None:
    root = _book(tmp_path, (
        "    within: -3\n"
        "    cadence: {A: 0, H: 7, B: 14}\n"
        "    leads:\n"
        "      brithday: 3\n"
        "      touch: 4000\n"
        "    remind_steps:\n"
        "      - {days: 2}\n"
        "      - {under: -1, days: 5}\n"
        "      - {days: 10}\n"
        "    rebate_near: 2\n"
        "    currency: 1\n"
        "    clients_dir: /clients\n"
        "    templates_dir: ../templates\n"
        "    withn: 3\n"))
    code, stderr = _check(root)
    assert code == 2
    assert stderr == [
        "mkdocs.yml:4:13: error: extra.crmgen.within: must be a whole number of days",
        "mkdocs.yml:5:18: error: extra.crmgen.cadence.A: must be 1 to 3,650 days (10 years)",
        "mkdocs.yml:5:24: error: extra.crmgen.cadence.H: unknown grade (one of A, B, C, D, E, F)",
        "mkdocs.yml:7:17: error: extra.crmgen.leads.brithday: unknown reminder kind (did you mean 'birthday'?)",
        "mkdocs.yml:8:14: error: extra.crmgen.leads.touch: must be 0 to 3,650 days (10 years)",
        "mkdocs.yml:10:7: error: extra.crmgen.remind_steps: only the last step may leave out 'under' "
        "(it covers every larger amount); step 1 of 3 has none",
        f"mkdocs.yml:10:7: error: extra.crmgen.remind_steps: 'under' must be an amount above 0 "
        f"(at most {NUMBER_MAX:,}), not -1",
        "mkdocs.yml:13:18: error: extra.crmgen.rebate_near: must be a share above 0 and at most 1 "
        "(0.8: at 80% of the next tier), not 2",
        'mkdocs.yml:14:15: error: extra.crmgen.currency: must be text, in quotes if need be (e.g. "¥" or "US$")',
        f"mkdocs.yml:15:18: error: extra.crmgen.clients_dir: '/clients' is an absolute path: {WHERE} "
        "(e.g. 'clients')",
        f"mkdocs.yml:16:20: error: extra.crmgen.templates_dir: '../templates' leads outside the project: {WHERE} "
        "(e.g. 'templates')",
        "mkdocs.yml:17:12: error: extra.crmgen.withn: unknown setting (did you mean 'within'?)",
        "crmgen: error: 12 bad settings in mkdocs.yml",
    ]


def test_a_bad_setting_stops_every_command_as_a_real_process(tmp_path: Path) -> None:
    root = _book(tmp_path, "    clients_dir: ../elsewhere\n")
    done = subprocess.run([sys.executable, "-m", "crmgen", "-C", str(root), "due", "--today", "2026-12-01"],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"mkdocs.yml:4:18: error: extra.crmgen.clients_dir: '../elsewhere' leads outside the project: {WHERE} "
        "(e.g. 'clients')",
        "crmgen: error: 1 bad setting in mkdocs.yml",
    ]


GOOD = """\
    within: 0
    cadence: {A: 1, F: 3650}
    leads: {touch: 0, birthday: 3650, dormant: 30}
    remind_steps:
      - {under: 0.5, days: 0}
      - {under: 10000, days: 2}
      - {under: 1000000000000000, days: 3650}
    review_after: 3650
    complaint_after: 0
    successor_after: 1
    dormant_after: 365
    rebate_near: 1
    private: [phone]
    allow_html: true
    currency: ""
    clients_dir: ./crm/clients/
    templates_dir: crm/../layouts
"""


def test_a_good_mkdocs_yml_reads_every_setting_at_the_edges_of_its_range(tmp_path: Path) -> None:
    root = _book(tmp_path, GOOD)
    (root / "crm" / "clients").mkdir(parents=True)
    (root / "crm" / "clients" / "a.md").write_text("---\nname: A\ngrade: A\n---\n", encoding="utf-8")
    s = load_project(root).settings
    assert s == Settings(
        within=0, cadence={**DEFAULT_CADENCE, "A": 1, "F": 3650},
        leads={**DEFAULT_LEADS, "birthday": 3650, "dormant": 30},
        remind_steps=[(0.5, 0), (10000, 2), (NUMBER_MAX, 3650)], review_after=3650, complaint_after=0,
        successor_after=1, dormant_after=365, rebate_near=1, private=["phone"], allow_html=True, currency="",
        clients_dir="./crm/clients/", templates_dir="crm/../layouts")
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    assert (result.exit_code, result.stderr) == (0, "no problems in 1 file\n")


def test_the_last_step_may_have_an_under_and_an_empty_list_is_kept() -> None:
    steps = [{"under": 100, "days": 2}, {"under": 200, "days": 5}]
    assert Settings.from_mapping({"remind_steps": steps}).remind_steps == [(100, 2), (200, 5)]
    assert Settings.from_mapping({"remind_steps": []}).remind_steps == []


def test_the_defaults_the_readme_shows_are_the_defaults() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Changing the defaults"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block
    raw = yaml.safe_load(block[1])["extra"]["crmgen"]
    assert set(raw) == set(SETTING_RULES) - {"private"}  # private: its own section of the README
    assert Settings.from_mapping(raw) == Settings()


def test_the_repository_and_the_scaffold_mkdocs_yml_still_read() -> None:
    assert load_project(REPO).settings == Settings()
    scaffold = yaml.load((REPO / "crmgen" / "scaffold" / "mkdocs.yml").read_text(encoding="utf-8"),
                         Loader=yaml.SafeLoader)
    assert Settings.from_mapping(scaffold["extra"]["crmgen"]) == Settings()


# Values as YAML reads them, and keys that reach every branch (the settings, grades, kinds, a step's).
NAMES = st.sampled_from([*SETTING_RULES, *GRADES, *KINDS, "under", "days", "a", "withn", ""]) | st.text(max_size=8)
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(-5, CADENCE_MAX + 5)
           | st.floats() | st.text(max_size=12) | st.sampled_from(["/etc", "..", ".", "a/../..", "C:\\x", "a\0b"])
           | st.dates(min_value=dt.date(1900, 1, 1)))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(NAMES | st.integers(), inner, max_size=4), max_leaves=12)
MAPPINGS = st.dictionaries(NAMES, VALUES, max_size=6)


def _holds_its_rules(s: Settings) -> None:
    """A Settings that from_mapping returned holds only values its rules let through."""
    for key in ("within", "review_after", "complaint_after", "successor_after", "dormant_after"):
        value = getattr(s, key)
        assert type(value) is int and 0 <= value <= CADENCE_MAX, (key, value)
    assert set(s.cadence) == set(GRADES) and all(1 <= d <= CADENCE_MAX for d in s.cadence.values())
    assert set(s.leads) == set(KINDS) and all(0 <= d <= CADENCE_MAX for d in s.leads.values())
    unders = [u for u, _ in s.remind_steps if u is not None]
    assert unders == sorted(set(unders)) and all(0 < u <= NUMBER_MAX for u in unders)
    assert all(u is not None for u, _ in s.remind_steps[:-1])
    assert 0 < s.rebate_near <= 1 and isinstance(s.currency, str) and isinstance(s.allow_html, bool)
    assert 0 < s.credit_near <= 1 and isinstance(s.terms, Terms) and 0 <= s.terms.days <= CADENCE_MAX
    assert s.ageing == sorted(set(s.ageing)) and all(type(d) is int and 1 <= d <= CADENCE_MAX for d in s.ageing)
    for directory in (s.clients_dir, s.templates_dir):
        inside = os.path.normpath(directory.replace("\\", "/"))
        assert not Path(directory).is_absolute() and inside != "." and inside.split("/")[0] != "..", directory


@settings(max_examples=400, deadline=None)
@given(st.one_of(MAPPINGS, VALUES))
def test_from_mapping_returns_settings_or_refuses_never_anything_else(raw: Any) -> None:
    try:
        s = Settings.from_mapping(raw)
    except SettingsError as exc:
        assert exc.lines and all(line.startswith("mkdocs.yml: error: extra.crmgen") for line in exc.lines)
    else:
        _holds_its_rules(s)


@settings(max_examples=60, deadline=None)
@given(MAPPINGS)
def test_every_refusal_has_a_line_in_the_real_mkdocs_yml(raw: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = {"site_name": "T", "extra": {"crmgen": raw}}
        (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        try:
            s = load_project(root).settings
        except SettingsError as exc:
            for line in exc.lines:
                assert re.match(r"mkdocs\.yml:\d+:\d+: error: extra\.crmgen", line), line
        else:
            _holds_its_rules(s)


def test_nan_and_infinity_are_never_days_or_shares() -> None:
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(SettingsError):
            Settings.from_mapping({"within": value})
        with pytest.raises(SettingsError):
            Settings.from_mapping({"rebate_near": value})


@pytest.mark.parametrize(("value", "shown", "why"), [
    ("2026-02-30", "2026-02-30", "day is out of range for month"),
    ("1" + "0" * 5000, "1" + "0" * 19 + "… (5,001 characters)", "too many digits"),
], ids=["date", "digits"])
def test_a_value_yaml_cannot_make_is_located_not_a_traceback(tmp_path: Path, value: str, shown: str,
                                                              why: str) -> None:
    root = _book(tmp_path, f"    within: {value}\n")
    code, stderr = _check(root)
    assert (code, stderr) == (2, [
        f"crmgen: error: {root / 'mkdocs.yml'}:4:13: error: mkdocs.yml: '{shown}' cannot be read ({why}); "
        "correct it, or quote it to keep it as text"])


def test_a_mkdocs_yml_that_is_not_utf8_is_refused_not_a_traceback(tmp_path: Path) -> None:
    root = _book(tmp_path, "")
    (root / "mkdocs.yml").write_bytes(b"site_name: \xff\n")
    code, stderr = _check(root)
    assert (code, stderr) == (2, [
        f"crmgen: error: {root / 'mkdocs.yml'}: error: mkdocs.yml is not UTF-8 (invalid start byte at byte 11); "
        "save it as UTF-8"])
