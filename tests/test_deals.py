"""``crmgen deal`` and ``crmgen move`` (#17 item 7): the same safety as ``crmgen log``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.cli.app import main
from crmgen.edit import EditError
from crmgen.edit_opportunities import WhichOpportunity, add, move
from crmgen.load.book import parse_client_text

REPO = Path(__file__).resolve().parents[1]
D = dt.date.fromisoformat
BASE = """---
name: 华东润滑油
grade: A
orders:
  - {id: 2027-01-A, date: 2027-01-05, amount: 600000}
opportunities:
  - id: hyd-2027
    what: 2027 年度液压油框架合同   # the big one
    amount: 1200000
    stage: proposal
  - {what: 切削液试用装, amount: 60000}
extra:
  微信: hd-zhou
---
## 2026-11-20 meeting: 到货确认
"""


def test_add_appends_a_record_and_changes_nothing_else():
    new, ident = add(BASE, "冬季冲量", amount=300000, stage="negotiation", probability=0.6, expected=D("2026-12-31"),
                     opened=D("2026-12-02"), competitor="某国产品牌", next_step="报价")
    assert ident == "opp-3"
    assert new.startswith(BASE.split("extra:")[0].rstrip("\n"))
    assert new.endswith("extra:\n  微信: hd-zhou\n---\n## 2026-11-20 meeting: 到货确认\n")
    (o,) = [o for o in parse_client_text(new, "clients/hd.md")[0].opportunities if o.id == "opp-3"]
    assert (o.what, o.amount, o.stage, o.probability, o.expected, o.opened, o.competitor, o.next_step) == (
        "冬季冲量", 300000, "negotiation", 0.6, D("2026-12-31"), D("2026-12-02"), "某国产品牌", "报价")


def test_add_refuses_an_id_already_taken():
    with pytest.raises(EditError, match="already has the id 'hyd-2027'"):
        add(BASE, "x", opened=D("2026-12-02"), opp_id="hyd-2027")


def test_move_sets_the_stage_and_since_in_place_keeping_the_comment():
    new, (name, old) = move(BASE, "hyd-2027", "negotiation", when=D("2026-12-02"), next_step="交修订报价")
    assert (name, old) == ("hyd-2027", "proposal")
    assert "    what: 2027 年度液压油框架合同   # the big one\n    amount: 1200000\n    stage: negotiation\n" \
           "    since: 2026-12-02\n    next_step: 交修订报价\n  - {what: 切削液试用装" in new


def test_move_a_flow_record_by_number_and_by_a_word():
    new, (name, old) = move(BASE, "#2", "qualified", when=D("2026-12-02"))
    assert (name, old) == ("#2", None)
    assert "  - {what: 切削液试用装, amount: 60000, stage: qualified, since: 2026-12-02}\n" in new
    assert move(BASE, "试用", "qualified", when=D("2026-12-02"))[0] == new


def test_lost_needs_a_reason_won_may_name_its_order():
    with pytest.raises(EditError, match="say why it was lost"):
        move(BASE, "hyd-2027", "lost", when=D("2026-12-02"))
    new, _ = move(BASE, "hyd-2027", "lost", when=D("2026-12-02"), lost_reason="价格")
    assert "    lost_reason: 价格\n" in new
    with pytest.raises(EditError, match="no order has the id 'NOPE'; the orders' ids are 2027-01-A"):
        move(BASE, "hyd-2027", "won", when=D("2027-01-05"), order="NOPE")
    won, _ = move(BASE, "hyd-2027", "won", when=D("2027-01-05"), order="2027-01-A")
    client, problems = parse_client_text(won, "clients/hd.md")
    assert problems == [] and client.opportunities[0].order == "2027-01-A"
    with pytest.raises(EditError, match="is won already"):
        move(won, "hyd-2027", "lost", when=D("2027-01-06"), lost_reason="x")


@pytest.mark.parametrize("ref", ["年度", "#3", "nope"])
def test_a_reference_that_names_no_single_opportunity_lists_them(ref):
    text = BASE.replace("切削液试用装", "2027 年度切削液")
    with pytest.raises(WhichOpportunity) as caught:
        move(text, ref, "qualified", when=D("2026-12-02"))
    assert "#1 hyd-2027: 2027 年度液压油框架合同 (proposal, 1,200,000)" in str(caught.value)


@pytest.mark.parametrize("slug", sorted(p.stem for p in (REPO / "clients").glob("*.md")))
def test_add_then_move_on_every_sample_keeps_every_other_value(slug):
    text = (REPO / "clients" / f"{slug}.md").read_text(encoding="utf-8")
    before, _ = parse_client_text(text, f"clients/{slug}.md")
    added, ident = add(text, "试用新品", amount=10000, opened=D("2026-12-02"))
    moved, _ = move(added, ident, "proposal", when=D("2026-12-03"))
    after, problems = parse_client_text(moved, f"clients/{slug}.md")
    assert [p for p in problems if p.is_error] == []

    def same(records):  # the lines below the new record move down
        return [dataclasses.replace(r, line=0) for r in records]

    assert same(after.opportunities[:-1]) == same(before.opportunities)
    for key in ("orders", "promises", "contacts", "interactions", "complaints"):
        assert same(getattr(after, key)) == same(getattr(before, key)), key
    assert same(after.programmes) == same(before.programmes)
    cleared = {"opportunities": (), "orders": (), "promises": (), "contacts": (), "interactions": (),
               "complaints": (), "rebate": None, "rebates": (), "body": "", "body_line": 0}
    assert dataclasses.replace(after, **cleared) == dataclasses.replace(before, **cleared)


def test_the_commands_in_a_real_repository(tmp_path):
    import subprocess

    root = tmp_path / "crm"
    shutil.copytree(REPO / "clients", root / "clients")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    env = {"GIT_AUTHOR_NAME": "王磊", "GIT_AUTHOR_EMAIL": "wl@example.com", "GIT_COMMITTER_NAME": "王磊",
           "GIT_COMMITTER_EMAIL": "wl@example.com", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "start"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    run = CliRunner(env=env).invoke(main, ["-C", str(root), "deal", "华东润滑油", "冬季冲量", "--amount", "30万",
                                           "--date", "2026-12-02", "--commit"])
    assert run.exit_code == 0, run.output
    assert run.output.startswith("added opportunity opp-3 worth ¥300,000: clients/huadong-runhuayou.md\ncommitted ")
    run = CliRunner(env=env).invoke(main, ["-C", str(root), "move", "huadong-runhuayou", "opp-3", "proposel"])
    assert run.exit_code == 2 and "did you mean 'proposal'?" in run.output
    run = CliRunner(env=env).invoke(main, ["-C", str(root), "move", "huadong-runhuayou", "冬季", "proposal",
                                           "--date", "2026-12-05"])
    assert run.output == "moved opportunity opp-3 from the first stage to proposal: clients/huadong-runhuayou.md\n"
    run = CliRunner(env=env).invoke(main, ["-C", str(root), "move", "huadong-runhuayou", "opp-9", "won"])
    assert run.exit_code == 2 and "#1 hyd-2027" in run.stderr
    assert CliRunner().invoke(main, ["-C", str(root), "check", "--strict"]).exit_code == 0
