"""The week's plan (#17 item 3): by region and day, each client with its brief; plan against done."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from crmgen.cli.app import main
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.rules.plan import plan_start, week_of, week_plan
from crmgen.rules.reminders import due

D = dt.date.fromisoformat
TODAY = "2026-12-02"  # a Wednesday: the week is 2026-11-30 to 2026-12-06


def _write(root: Path, slug: str, text: str) -> None:
    (root / "clients" / f"{slug}.md").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def book(tmp_path: Path, language: str = "en") -> Path:
    root = tmp_path / "crm"
    (root / "clients").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(f"site_name: t\ntheme:\n  name: material\n  language: {language}\n",
                                     encoding="utf-8")
    _write(root, "huadong", """
        ---
        name: 华东润滑油
        grade: A
        stage: customer
        owner: 王磊
        region: 上海
        phone: "021-5488 3120"
        cadence: 14
        contacts:
          - {name: 周建国, birthday: 1970-12-05}
        promises:
          - {by: us, what: 送两名技术讲师, due: 2026-12-04}
          - {by: client, what: 付清十月货款, due: 2026-12-20, amount: 100000}
        orders:
          - {date: 2026-10-20, amount: 220000, paid: 120000, pay_by: 2026-11-30, items: 促销装}
          - {date: 2026-06-18, amount: 210000, paid: 210000}
        complaints:
          - {opened: 2026-11-25, what: 两桶刮花, step: analyse}
        opportunities:
          - {what: 2027 框架合同, amount: 1200000, stage: negotiation, expected: 2026-12-31, since: 2026-11-20}
        ---
        ## 2026-11-20 meeting: 到货确认

        Next: 2026-12-03 年底冲量方案面谈
        """)
    _write(root, "jinhai", """
        ---
        name: 金海包装
        grade: B
        owner: 王磊
        region: 宁波
        cadence: 7
        ---
        ## 2026-11-30 call: 问候
        """)
    _write(root, "laoliu", """
        ---
        name: 老刘汽修
        grade: C
        owner: 李娜
        cadence: 30
        ---
        ## 2026-10-01 visit: 第一次拜访
        """)
    return root


def the_plan(root: Path, day: str = TODAY, week: str | None = None):
    project = load_project(root)
    clients = load_book(project).clients
    today = D(day)
    monday, _sunday = week_of(D(week) if week else today)
    start = plan_start(monday, today)
    reminders = due(clients, start, project.settings, within=(monday - start).days + 6)
    return week_plan(clients, reminders, project.settings, monday=monday, today=today)


def test_the_week_is_monday_to_sunday_and_starts_today_inside_it():
    assert week_of(D("2026-12-02")) == (D("2026-11-30"), D("2026-12-06"))
    assert week_of(D("2026-12-06")) == (D("2026-11-30"), D("2026-12-06"))
    assert plan_start(D("2026-11-30"), D("2026-12-02")) == D("2026-12-02")
    assert plan_start(D("2026-12-07"), D("2026-12-02")) == D("2026-12-07")


def test_regions_then_days_each_client_once_on_its_first_day(tmp_path):
    plan = the_plan(book(tmp_path))
    layout = [(r.name, [(d.isoformat(), [v.client.slug for v in visits]) for d, visits in r.days])
              for r in plan.regions]
    # huadong: the payment was due 11-30 (late: on the plan's first day, today); jinhai: touch 12-07 is
    # next week; laoliu (no region, last): touch due 10-31, late
    assert layout == [("上海", [("2026-12-02", ["huadong"])]), (None, [("2026-12-02", ["laoliu"])])]
    (visit,) = plan.regions[0].days[0][1]
    assert {r.kind for r in visit.reminders} >= {"payment", "promise", "next", "birthday"}
    assert all(r.date <= D("2026-12-06") for r in visit.reminders)


def test_the_brief_says_what_to_know_before_the_visit(tmp_path):
    plan = the_plan(book(tmp_path))
    b = plan.regions[0].days[0][1][0].brief
    assert [(o.date, o.amount) for o in b.orders] == [(D("2026-10-20"), 220000), (D("2026-06-18"), 210000)]
    assert (b.owed, b.owed_late) == (100000, 100000)
    assert [p.what for p in b.ours] == ["送两名技术讲师"] and [p.what for p in b.theirs] == ["付清十月货款"]
    # analyse reached when listen was due (11-27), due 3 days later
    assert [(c.what, n, d) for c, n, d in b.complaints] == [("两桶刮花", 2, D("2026-11-30"))]
    assert b.birthdays == [("周建国", D("2026-12-05"))]
    assert [(o.what, s) for o, s in b.opportunities] == [("2027 框架合同", "negotiation")]
    assert (b.last.date, b.last.summary) == (D("2026-11-20"), "到货确认")
    assert (b.next_step.next_date, b.next_step.next_what) == (D("2026-12-03"), "年底冲量方案面谈")


def test_plan_against_done_per_owner(tmp_path):
    plan = the_plan(book(tmp_path), day="2026-12-06", week="2026-11-30")
    done = {d.owner: (d.planned, d.contacted, d.planned_and_contacted) for d in plan.done}
    # jinhai was called on 11-30 without being due; huadong was due (next, touch), not contacted
    assert done == {"李娜": (["laoliu"], [], []), "王磊": (["huadong"], ["jinhai"], [])}


def test_next_week_starts_on_its_monday(tmp_path):
    plan = the_plan(book(tmp_path), week="2026-12-09")
    assert (plan.monday, plan.start) == (D("2026-12-07"), D("2026-12-07"))
    days = {r.name: [d for d, _v in r.days] for r in plan.regions}
    assert days["宁波"] == [D("2026-12-07")]  # the touch of 11-30 + 7


def test_the_command_in_text_markdown_and_json(tmp_path):
    root = book(tmp_path)
    run = CliRunner().invoke(main, ["-C", str(root), "plan", "--today", TODAY])
    assert run.exit_code == 0, run.output
    assert run.output.startswith("The week's plan: 2026-11-30 to 2026-12-06\n2 clients, ")
    assert "\n上海\n  Wed 2026-12-02\n    华东润滑油 (huadong) · 021-5488 3120\n" in run.output
    assert "        Owed: ¥100,000 (¥100,000 past due)\n" in run.output
    assert "        Open complaint: 两桶刮花 (step 2 of 6, analyse, due 2026-11-30)\n" in run.output
    assert "\n(no region)\n" in run.output
    md = CliRunner().invoke(main, ["-C", str(root), "plan", "--today", TODAY, "--format", "markdown"]).output
    assert md.startswith("# The week's plan: 2026-11-30 to 2026-12-06\n") and "## 上海\n\n### Wed 2026-12-02\n" in md
    data = json.loads(CliRunner().invoke(main, ["-C", str(root), "plan", "--today", TODAY, "--format", "json"]).output)
    assert data["week"] == {"from": "2026-11-30", "to": "2026-12-06", "start": "2026-12-02"}
    first = data["regions"][0]["days"][0]["clients"][0]
    assert first["client"] == "huadong" and first["brief"]["owed"] == 100000
    assert first["brief"]["complaints"][0]["step_due"] == "2026-11-30"


def test_one_owner_and_an_owner_nobody_has(tmp_path):
    root = book(tmp_path)
    run = CliRunner().invoke(main, ["-C", str(root), "plan", "--today", TODAY, "--owner", "李娜"])
    assert run.exit_code == 0 and "huadong" not in run.output and "laoliu" in run.output
    assert run.output.startswith("The week's plan for 李娜: ")
    bad = CliRunner().invoke(main, ["-C", str(root), "plan", "--owner", "王雷"])
    assert bad.exit_code == 2 and "王磊" in bad.stderr


def test_the_plan_in_chinese(tmp_path):
    root = book(tmp_path, language="zh")
    out = CliRunner().invoke(main, ["-C", str(root), "plan", "--today", TODAY]).output
    assert out.startswith("本周计划：2026-11-30 至 2026-12-06\n")
    assert "周三 2026-12-02" in out and "（无区域）" in out and "应收" in out


def test_a_contact_logged_answers_the_plan_it_was_due_for(tmp_path):
    """Planned is counted as the week stood on its Monday: the visit logged on Wednesday to a client
    late since October was planned, and done."""
    root = book(tmp_path)
    path = root / "clients" / "laoliu.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## 2026-11-25 visit: 第二次拜访\n", encoding="utf-8")
    plan = the_plan(root, day="2026-12-02", week="2026-11-23")
    done = {d.owner: (d.planned, d.contacted, d.planned_and_contacted) for d in plan.done}
    assert done["李娜"] == (["laoliu"], ["laoliu"], ["laoliu"])
    run = CliRunner().invoke(main, ["-C", str(root), "plan", "--today", "2026-12-02", "--week", "-1w"])
    assert run.exit_code == 0, run.output
    assert run.output.startswith("The week's plan: 2026-11-23 to 2026-11-29\n")  # -1w from --today
    assert "  李娜: 1 of 1 clients due a contact were contacted; 0 more contacted\n" in run.output
