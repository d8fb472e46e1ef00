"""Opportunities and the pipeline (#17): what check refuses, and every number by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen.cli.app import main
from crmgen.format.model import Client, Opportunity
from crmgen.load.book import parse_client_text
from crmgen.load.project import Settings
from crmgen.rules import opportunities as rules

D = dt.date.fromisoformat
S = Settings()  # lead 10%, qualified 25%, proposal 50%, negotiation 75%; stale after 30 days


def found(opportunities_yaml: str, orders: str = "") -> list[str]:
    text = f"---\nname: 华东润滑油\ngrade: A\n{orders}opportunities:\n{opportunities_yaml}---\n"
    return [p.code for p in parse_client_text(text, "clients/huadong.md")[1]]


def test_every_key_is_read():
    text = ("---\nname: 华东润滑油\ngrade: A\norders:\n  - {id: 2027-01-A, date: 2027-01-05, amount: 600000}\n"
            "opportunities:\n"
            "  - id: hyd-2027\n    what: 2027 年度液压油框架合同\n    amount: 600000\n    stage: won\n"
            "    probability: 90%\n    expected: 2027-01-31\n    opened: 2026-10-08\n    since: 2026-12-20\n"
            "    competitor: 某国产品牌\n    next_step: 签合同\n    order: 2027-01-A\n"
            "  - {what: 切削液, stage: lost, lost_reason: 价格}\n---\n")
    client, problems = parse_client_text(text, "clients/huadong.md")
    assert problems == []
    first, second = client.opportunities
    assert first == Opportunity(what="2027 年度液压油框架合同", stage="won", amount=600000, probability=0.9,
                                expected=D("2027-01-31"), opened=D("2026-10-08"), since=D("2026-12-20"),
                                competitor="某国产品牌", next_step="签合同", order="2027-01-A", id="hyd-2027",
                                index=0, line=7)
    assert (second.stage, second.lost_reason) == ("lost", "价格")


@pytest.mark.parametrize(("yaml_text", "codes"), [
    ("  - {what: a, id: x}\n  - {what: b, id: x}\n", ["duplicate-id"]),
    ("  - {what: a, opened: 2026-10-08, since: 2026-10-01}\n", ["since-before-opened"]),
    ("  - {what: a, stage: proposal, lost_reason: 价格}\n", ["reason-not-lost"]),
    ("  - {what: a, stage: proposal, order: X}\n", ["order-not-won"]),
    ("  - {what: a, stage: won, order: NOPE}\n", ["unknown-order"]),
    ("  - {what: a, probability: 150%}\n", ["bad-rate"]),
    ("  - {amount: 5}\n", ["missing-key"]),
    ("  - {what: a, stage: won, order: O-1}\n", []),
])
def test_what_one_file_can_tell(yaml_text, codes):
    assert found(yaml_text, "orders:\n  - {id: O-1, date: 2026-01-01, amount: 5}\n") == codes


def _project(tmp_path: Path, stages: str = "") -> Path:
    settings = f"extra:\n  crmgen:\n    opportunity_stages: {stages}\n" if stages else ""
    (tmp_path / "mkdocs.yml").write_text(f"site_name: t\n{settings}", encoding="utf-8")
    (tmp_path / "clients").mkdir()
    (tmp_path / "clients" / "hd.md").write_text(
        "---\nname: 华东润滑油\ngrade: A\nopportunities:\n  - what: a\n    stage: proposel\n"
        "  - {what: b, stage: 报价}\n  - {what: c, stage: won}\n---\n", encoding="utf-8")
    return tmp_path


def test_check_names_a_stage_that_is_not_the_teams_with_its_place_and_a_hint(tmp_path):
    root = _project(tmp_path)
    result = CliRunner().invoke(main, ["-C", str(root), "check", "--no-cache"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if "bad-stage" in line]
    assert lines[0].startswith("clients/hd.md:6:12: error: opportunities[0].stage: 'proposel' is not one of the "
                               "team's stages (lead, qualified, proposal, negotiation, won, lost); did you mean "
                               "'proposal'?")
    assert lines[1].startswith("clients/hd.md:7:22: error: opportunities[1].stage: '报价'")
    assert len(lines) == 2
    # the same with the parse cache, the second time from it
    for _ in range(2):
        again = CliRunner().invoke(main, ["-C", str(root), "check"])
        assert [line for line in again.stderr.splitlines() if "bad-stage" in line] == lines


def test_the_teams_own_stages(tmp_path):
    root = _project(tmp_path, "{proposel: 20%, 报价: 50%}")
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    assert (result.exit_code, result.stderr) == (0, "no problems in 1 file\n")


def test_stage_and_probability_by_default_and_as_written():
    assert rules.stage(Opportunity(what="a"), S) == "lead"
    assert rules.probability(Opportunity(what="a"), S) == 0.1
    assert rules.probability(Opportunity(what="a", stage="negotiation"), S) == 0.75
    assert rules.probability(Opportunity(what="a", stage="negotiation", probability=0.6), S) == 0.6
    assert rules.probability(Opportunity(what="a", stage="won", probability=0.6), S) == 1.0
    assert rules.probability(Opportunity(what="a", stage="lost", probability=0.6), S) == 0.0
    assert rules.weighted(Opportunity(what="a", stage="proposal", amount=300000), S) == 150000


def test_attention_when_expected_has_passed_or_it_has_not_moved():
    o = Opportunity(what="a", stage="proposal", expected=D("2026-12-15"), since=D("2026-12-01"))
    assert rules.attention(o, S) == rules.Attention(D("2026-12-16"), "expected", 0)
    o = Opportunity(what="a", stage="proposal", expected=D("2027-03-31"), since=D("2026-12-01"))
    assert rules.attention(o, S) == rules.Attention(D("2026-12-31"), "stale", 30)
    o = Opportunity(what="a", opened=D("2026-11-01"))
    assert rules.attention(o, S) == rules.Attention(D("2026-12-01"), "stale", 30)
    assert rules.attention(Opportunity(what="a"), S) is None
    assert rules.attention(Opportunity(what="a", stage="won", expected=D("2026-01-01")), S) is None
    assert rules.attention(Opportunity(what="a", stage="lost", since=D("2026-01-01")), S) is None


def test_the_pipeline_of_a_small_book_by_hand():
    def client(slug, owner, *opps):
        return Client(slug=slug, path=f"clients/{slug}.md", name=slug, grade="A", owner=owner, opportunities=opps)

    book = [
        client("a", "王磊",
               Opportunity(what="1", stage="proposal", amount=100000, expected=D("2027-01-31")),  # w 50,000
               Opportunity(what="2", stage="negotiation", amount=200000, expected=D("2027-01-15")),  # w 150,000
               Opportunity(what="3", stage="won", amount=80000)),
        client("b", "李娜",
               Opportunity(what="4", amount=50000),  # lead, w 5,000, no expected day
               Opportunity(what="5", stage="lost", amount=70000, lost_reason="价格"),
               Opportunity(what="6", stage="lost", amount=30000, lost_reason="价格"),
               Opportunity(what="7", stage="lost", amount=10000, lost_reason="交期")),
        client("c", None, Opportunity(what="8", stage="proposal", amount=40000, probability=0.2,
                                      expected=D("2027-02-10"))),  # w 8,000
    ]
    p = rules.pipeline(book, S)
    assert [(c["stage"], c["count"], c["total"], c["weighted"]) for c in p["board"]] == [
        ("lead", 1, 50000, 5000), ("qualified", 0, 0, 0), ("proposal", 2, 140000, 58000),
        ("negotiation", 1, 200000, 150000), ("won", 1, 80000, 80000), ("lost", 3, 110000, 0)]
    assert (p["open_total"], p["open_weighted"]) == (390000, 213000)
    assert p["forecast"] == [("2027-01", 200000), ("2027-02", 8000), (None, 5000)]
    assert p["owners"] == {
        "李娜": {"open": 1, "total": 50000, "weighted": 5000, "won": 0, "won_amount": 0},
        "王磊": {"open": 2, "total": 300000, "weighted": 200000, "won": 1, "won_amount": 80000},
        None: {"open": 1, "total": 40000, "weighted": 8000, "won": 0, "won_amount": 0},
    }
    assert p["lost_by_reason"] == [("价格", {"count": 2, "amount": 100000}), ("交期", {"count": 1, "amount": 10000})]
    assert p["won"] == {"count": 1, "amount": 80000}
    assert p["win_rate"] == 0.25  # 1 won of 4 decided
    assert rules.pipeline([], S)["win_rate"] is None
