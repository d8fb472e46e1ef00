"""Complaints step by step (#18): what check refuses, and the deadlines, by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from crmgen.format.model import Client, Complaint
from crmgen.load.book import parse_client_text
from crmgen.load.project import Settings
from crmgen.rules import complaints as rules

D = dt.date.fromisoformat


def problems(complaint_yaml: str) -> list[tuple[int, int, str]]:
    text = f"---\nname: 恒通机械\ngrade: B\ncomplaints:\n{complaint_yaml}---\n"
    _client, found = parse_client_text(text, "clients/hengtong.md")
    return [(p.line, p.col, p.code) for p in found]


def client(complaint_yaml: str) -> Client:
    text = f"---\nname: 恒通机械\ngrade: B\ncomplaints:\n{complaint_yaml}---\n"
    c, found = parse_client_text(text, "clients/hengtong.md")
    assert c is not None and not found, found
    return c


def test_every_new_key_is_read():
    (c,) = client("""\
  - opened: 2026-11-18
    what: 冷却液沉淀
    step: act
    steps: {listen: 2026-11-18, analyse: 2026-11-19, solve: 2026-11-21, inform: 2026-11-22, act: 2026-11-23}
    cause: product
    cause_note: 批次 CL2610 配方问题
    handler: 王磊
    escalated_to: 质量部 刘工
    escalated: 2026-11-19
    compensation: 补发 12 桶
    compensation_amount: 9600
""").complaints
    assert c.steps == (("listen", D("2026-11-18")), ("analyse", D("2026-11-19")), ("solve", D("2026-11-21")),
                       ("inform", D("2026-11-22")), ("act", D("2026-11-23")))
    assert (c.cause, c.cause_note, c.handler, c.escalated_to, c.escalated, c.compensation,
            c.compensation_amount) == ("product", "批次 CL2610 配方问题", "王磊", "质量部 刘工", D("2026-11-19"),
                                       "补发 12 桶", 9600)


def test_closed_only_at_the_review_step_and_the_message_says_how_to_fix_it():
    assert problems("  - {opened: 2026-03-20, what: late, step: inform, closed: 2026-04-02}\n") == [
        (5, 60, "closed-before-review")]
    assert problems("  - {opened: 2026-03-20, what: late, closed: 2026-04-02}\n") == [(5, 46, "closed-before-review")]
    assert problems("  - {opened: 2026-03-20, what: late, step: review, closed: 2026-04-02}\n") == []
    text = "---\nname: X\ngrade: B\ncomplaints:\n  - {opened: 2026-03-20, what: late, step: act, closed: 2026-04-02}\n---\n"
    (p,) = parse_client_text(text, "clients/x.md")[1]
    assert "set step: review" in p.message and "closed at the act step" in p.message


@pytest.mark.parametrize(("steps", "step", "codes"), [
    ("{listen: 2026-11-18, analyse: 2026-11-19}", "analyse", []),
    ("{listen: 2026-11-18, analyse: 2026-11-18}", "analyse", []),  # the same day is in order
    ("{analyse: 2026-11-17}", "analyse", ["step-before-opened"]),
    ("{listen: 2026-11-20, analyse: 2026-11-19}", "analyse", ["steps-out-of-order"]),
    ("{solve: 2026-11-20}", "analyse", ["step-after-current"]),
    ("{review: 2026-11-20}", "listen", ["step-after-current"]),
    ("{}", "solve", []),
])
def test_the_steps_days_are_in_order_from_opened_up_to_the_current_step(steps, step, codes):
    found = problems(f"  - opened: 2026-11-18\n    what: x\n    step: {step}\n    steps: {steps}\n")
    assert [code for _l, _c, code in found] == codes
    assert all(line == 8 for line, _c, _code in found)  # on the steps line, at the step's key


def test_no_step_after_closing_and_the_visit_after_it():
    found = problems("  - opened: 2026-11-18\n    what: x\n    step: review\n"
                     "    steps: {review: 2026-11-30}\n    closed: 2026-11-29\n    visited: 2026-11-28\n")
    assert [code for *_x, code in found] == ["visited-before-closed", "step-after-closed"]


SETTINGS = Settings()  # listen 2 (complaint_after), analyse 3, solve 5, inform 2, act 7, review 7


def test_the_reminder_follows_the_current_step_from_the_day_it_was_reached():
    c = Complaint(opened=D("2026-11-18"), what="x", step="solve",
                  steps=(("listen", D("2026-11-18")), ("analyse", D("2026-11-19")), ("solve", D("2026-11-25"))))
    assert rules.due(c, SETTINGS) == D("2026-11-30")  # 25 + 5 days of solve


def test_a_step_without_its_day_counts_from_when_the_one_before_was_due():
    # listen due 11-20, analyse due 11-23, solve due 11-28
    c = Complaint(opened=D("2026-11-18"), what="x", step="solve")
    assert rules.due(c, SETTINGS) == D("2026-11-28")
    c = Complaint(opened=D("2026-11-18"), what="x", step="solve", steps=(("analyse", D("2026-11-21")),))
    assert rules.due(c, SETTINGS) == D("2026-11-29")  # analyse 21 + 3 = 24 reached solve, + 5
    assert rules.due(Complaint(opened=D("2026-11-18"), what="x"), SETTINGS) == D("2026-11-20")


def test_the_team_sets_each_steps_days_and_listen_keeps_complaint_after():
    s = Settings.from_mapping({"complaint_after": 1, "complaint_steps": {"analyse": 10}})
    c = Complaint(opened=D("2026-11-18"), what="x", step="analyse")
    assert rules.due(c, s) == D("2026-11-29")  # 18 + 1 + 10
    s = Settings.from_mapping({"complaint_after": 1, "complaint_steps": {"listen": 4}})
    assert rules.due(Complaint(opened=D("2026-11-18"), what="x"), s) == D("2026-11-22")


def test_closed_is_not_due_and_the_follow_up_visit_is_until_visited():
    c = Complaint(opened=D("2026-11-01"), what="x", step="review", closed=D("2026-11-20"))
    assert rules.due(c, SETTINGS) is None
    assert rules.visit_due(c, SETTINGS) == D("2026-12-04")
    assert rules.visit_due(Complaint(opened=D("2026-11-01"), what="x", step="review", closed=D("2026-11-20"),
                                     visited=D("2026-12-01")), SETTINGS) is None
    assert rules.visit_due(Complaint(opened=D("2026-11-01"), what="x"), SETTINGS) is None


def test_the_page_shows_the_steps_truthfully():
    c = Complaint(opened=D("2026-11-18"), what="x", step="solve", steps=(("analyse", D("2026-11-19")),))
    shown = rules.steps_shown(c)
    assert [s["state"] for s in shown] == ["done", "done", "current", "todo", "todo", "todo"]
    assert [s["day"] for s in shown[:3]] == [D("2026-11-18"), D("2026-11-19"), None]
    closed = Complaint(opened=D("2026-11-18"), what="x", step="review", closed=D("2026-12-01"))
    assert [s["state"] for s in rules.steps_shown(closed)] == ["done"] * 6


def test_complaints_by_cause_and_the_time_to_resolve():
    def one(*cs: Complaint) -> Client:
        return Client(slug="x", path="clients/x.md", name="x", grade="B", complaints=cs)

    book = [
        one(Complaint(opened=D("2026-01-01"), what="a", step="review", closed=D("2026-01-11"), cause="product"),
            Complaint(opened=D("2026-02-01"), what="b", cause="salesperson")),
        one(Complaint(opened=D("2026-03-01"), what="c", step="review", closed=D("2026-03-05"), cause="product"),
            Complaint(opened=D("2026-04-01"), what="d", step="review", closed=D("2026-04-21"))),
    ]
    assert rules.by_cause(book) == {
        "causes": [("salesperson", 1), ("product", 2), (None, 1)], "total": 4, "open": 1, "closed": 3,
        "median_days": 10, "longest_days": 20,
    }
    assert rules.by_cause([])["median_days"] is None
