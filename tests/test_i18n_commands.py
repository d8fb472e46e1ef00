"""The commands in Chinese (issue #19 item 3): the reminders' titles and words of time
(crmgen/rules/wording.py), ``crmgen due`` (text, JSON, the calendar), ``check``'s summary line
and ``crmgen report``; English exactly as before, and caches that never serve a title in the
language of the run before.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmgen import i18n
from crmgen.cli.app import main
from crmgen.rules import wording

TODAY = dt.date(2026, 12, 1)
D = dt.date
CJK = re.compile(r"[\u4e00-\u9fff]")

# Every title function, with arguments that take each of its variants: (call, English, Chinese).
TITLES = [
    (lambda: wording.win_back("华东润滑油", D(2027, 6, 30)),
     "Win back 华东润滑油: 2027-06-30 is the day noted to try again (their contract elsewhere ends, a tender opens); "
     "get in touch before it",
     "争取华东润滑油回来：2027-06-30 是记下的再次争取的日子（对方与别家的合同到期、招标开始）；请在那之前联系"),
    (lambda: wording.revisit("华东润滑油", "两桶刮花", D(2026, 11, 17)),
     "Visit 华东润滑油 after the complaint closed 2026-11-17: 两桶刮花; is the client satisfied now?",
     "投诉已于 2026-11-17 结案，回访华东润滑油：两桶刮花；客户现在满意吗？"),
    (lambda: wording.opportunity_expected("华东润滑油", "框架合同", D(2026, 12, 31)),
     "Opportunity with 华东润滑油: 框架合同 was expected to be decided by 2026-12-31; update the date or move it on",
     "华东润滑油 的商机：框架合同 原预计 2026-12-31 前有结果；请更新日期或推进阶段"),
    (lambda: wording.opportunity_stale("华东润滑油", "框架合同", "proposal", D(2026, 11, 1)),
     "Opportunity with 华东润滑油: 框架合同 has stayed at proposal since 2026-11-01; take the next step or close it",
     "华东润滑油 的商机：框架合同 自 2026-11-01 起一直停在“方案报价”；请推进下一步或结束它"),
    (lambda: wording.touch("华东润滑油", "周建国", wording.touch_since("contact", D(2026, 11, 10)), 14),
     "Get in touch with 华东润滑油 (周建国) (last contact 2026-11-10; every 14 days)",
     "联系华东润滑油（周建国）（上次联系 2026-11-10；每 14 天联系一次）"),
    (lambda: wording.touch("华东润滑油", None, wording.touch_since("client", D(2026, 1, 5)), 1),
     "Get in touch with 华东润滑油 (client since 2026-01-05, no contact logged; every 1 day)",
     "联系华东润滑油（2026-01-05 成为客户，尚无联系记录；每 1 天联系一次）"),
    (lambda: wording.touch("Acme", None, wording.touch_since("added", D(2026, 2, 1)), 7),
     "Get in touch with Acme (added 2026-02-01, no contact logged; every 7 days)",
     "联系Acme（2026-02-01 建档，尚无联系记录；每 7 天联系一次）"),
    (lambda: wording.touch("Acme", None, wording.touch_since(None, None), 7),
     "Get in touch with Acme (no contact logged; every 7 days)",
     "联系Acme（尚无联系记录；每 7 天联系一次）"),
    (lambda: wording.next_step("华东润滑油", "报价", i18n.label("interaction", "call"), D(2026, 11, 20)),
     "Next step with 华东润滑油: 报价 (from the call on 2026-11-20)",
     "华东润滑油的下一步：报价（来自 2026-11-20 的电话）"),
    (lambda: wording.birthday("周建国", "华东润滑油"),
     "Birthday of 周建国 at 华东润滑油", "华东润滑油 周建国的生日"),
    (lambda: wording.birthday_title("周建国", "华东润滑油", 46),
     "Birthday of 周建国 at 华东润滑油, turns 46", "华东润滑油 周建国的生日，满 46 岁"),
    (lambda: wording.birthday_title("周建国", "华东润滑油", None),
     "Birthday of 周建国 at 华东润滑油", "华东润滑油 周建国的生日"),
    (lambda: wording.anniversary("合作开始", "华东润滑油"), "合作开始 at 华东润滑油", "华东润滑油：合作开始"),
    (lambda: wording.anniversary_title("合作开始", "华东润滑油", 7, D(2019, 12, 5)),
     "合作开始 at 华东润滑油 (7 years since 2019-12-05)", "华东润滑油：合作开始（自 2019-12-05 起 7 周年）"),
    (lambda: wording.anniversary_title("合作开始", "华东润滑油", 1, D(2025, 12, 5)),
     "合作开始 at 华东润滑油 (1 year since 2025-12-05)", "华东润滑油：合作开始（自 2025-12-05 起 1 周年）"),
    (lambda: wording.anniversary_title("合作开始", "华东润滑油", 0, D(2026, 12, 5)),
     "合作开始 at 华东润滑油 (on 2026-12-05)", "华东润滑油：合作开始（2026-12-05）"),
    (lambda: wording.successor("李娜", "采购经理", "华东润滑油", D(2026, 11, 1)),
     "李娜 (采购经理) left 华东润滑油 on 2026-11-01: meet whoever replaced them",
     "李娜（采购经理）已于 2026-11-01 离开华东润滑油：去拜访接任的人"),
    (lambda: wording.successor("李娜", None, "华东润滑油", D(2026, 11, 1)),
     "李娜 left 华东润滑油 on 2026-11-01: meet whoever replaced them",
     "李娜已于 2026-11-01 离开华东润滑油：去拜访接任的人"),
    (lambda: wording.promise("华东润滑油", "送样品", "¥500", D(2026, 12, 1)),
     "Keep our promise to 华东润滑油: 送样品 (¥500), due 2026-12-01",
     "兑现我方对华东润滑油的承诺：送样品（¥500），截止 2026-12-01"),
    (lambda: wording.promise("华东润滑油", "送样品", None, D(2026, 12, 1)),
     "Keep our promise to 华东润滑油: 送样品, due 2026-12-01", "兑现我方对华东润滑油的承诺：送样品，截止 2026-12-01"),
    (lambda: wording.remind("华东润滑油", "结清货款", "¥50,000", D(2026, 12, 1)),
     "Remind 华东润滑油 of their promise: 结清货款 (¥50,000), due 2026-12-01",
     "提醒华东润滑油兑现承诺：结清货款（¥50,000），截止 2026-12-01"),
    (lambda: wording.remind("华东润滑油", "结清货款", None, D(2026, 12, 1)),
     "Remind 华东润滑油 of their promise: 结清货款, due 2026-12-01", "提醒华东润滑油兑现承诺：结清货款，截止 2026-12-01"),
    (lambda: wording.collect("华东润滑油", "结清货款", "¥50,000", D(2026, 12, 1)),
     "Collect / confirm with 华东润滑油: 结清货款 (¥50,000), promised for 2026-12-01",
     "向华东润滑油收取 / 确认：结清货款（¥50,000），承诺于 2026-12-01"),
    (lambda: wording.collect("华东润滑油", "结清货款", None, D(2026, 12, 1)),
     "Collect / confirm with 华东润滑油: 结清货款, promised for 2026-12-01",
     "向华东润滑油收取 / 确认：结清货款，承诺于 2026-12-01"),
    (lambda: wording.payment("华东润滑油", "¥80", D(2026, 10, 20), None, None, "¥80", D(2026, 11, 20)),
     "Payment from 华东润滑油: ¥80 owed on the order of 2026-10-20, due 2026-11-20",
     "华东润滑油回款：2026-10-20 的订单尚欠 ¥80，2026-11-20 到期"),
    (lambda: wording.payment("华东润滑油", "¥80", D(2026, 10, 20), "液压油", None, "¥80", D(2026, 11, 20)),
     "Payment from 华东润滑油: ¥80 owed on the order of 2026-10-20 (液压油), due 2026-11-20",
     "华东润滑油回款：2026-10-20 的订单（液压油）尚欠 ¥80，2026-11-20 到期"),
    (lambda: wording.payment("华东润滑油", "¥80", D(2026, 10, 20), None, "¥20", "¥100", D(2026, 11, 20)),
     "Payment from 华东润滑油: ¥80 owed on the order of 2026-10-20, ¥20 of ¥100 paid, due 2026-11-20",
     "华东润滑油回款：2026-10-20 的订单尚欠 ¥80，已付 ¥20 / 共 ¥100，2026-11-20 到期"),
    (lambda: wording.payment("华东润滑油", "¥80", D(2026, 10, 20), "液压油", "¥20", "¥100", D(2026, 11, 20)),
     "Payment from 华东润滑油: ¥80 owed on the order of 2026-10-20 (液压油), ¥20 of ¥100 paid, due 2026-11-20",
     "华东润滑油回款：2026-10-20 的订单（液压油）尚欠 ¥80，已付 ¥20 / 共 ¥100，2026-11-20 到期"),
    (lambda: wording.payment("华东润滑油", "¥80", D(2026, 10, 20), None, None, "¥80", D(2026, 11, 20), "月结30天"),
     "Payment from 华东润滑油: ¥80 owed on the order of 2026-10-20, due 2026-11-20 by the terms (月结30天)",
     "华东润滑油回款：2026-10-20 的订单尚欠 ¥80，按账期（月结30天）2026-11-20 到期"),
    (lambda: wording.payment("华东润滑油", "¥80", D(2026, 10, 20), "液压油", None, "¥80", D(2026, 11, 20), "月结30天"),
     "Payment from 华东润滑油: ¥80 owed on the order of 2026-10-20 (液压油), due 2026-11-20 by the terms (月结30天)",
     "华东润滑油回款：2026-10-20 的订单（液压油）尚欠 ¥80，按账期（月结30天）2026-11-20 到期"),
    (lambda: wording.payment("华东润滑油", "¥80", D(2026, 10, 20), None, "¥20", "¥100", D(2026, 11, 20), "月结30天"),
     "Payment from 华东润滑油: ¥80 owed on the order of 2026-10-20, ¥20 of ¥100 paid, due 2026-11-20 by the terms "
     "(月结30天)",
     "华东润滑油回款：2026-10-20 的订单尚欠 ¥80，已付 ¥20 / 共 ¥100，按账期（月结30天）2026-11-20 到期"),
    (lambda: wording.payment("华东润滑油", "¥80", D(2026, 10, 20), "液压油", "¥20", "¥100", D(2026, 11, 20),
                             "月结30天"),
     "Payment from 华东润滑油: ¥80 owed on the order of 2026-10-20 (液压油), ¥20 of ¥100 paid, due 2026-11-20 by the "
     "terms (月结30天)",
     "华东润滑油回款：2026-10-20 的订单（液压油）尚欠 ¥80，已付 ¥20 / 共 ¥100，按账期（月结30天）2026-11-20 到期"),
    (lambda: wording.credit("华东润滑油", "¥120", "¥100", "¥20"),
     "华东润滑油 is over its credit limit: owes ¥120 on a limit of ¥100 (¥20 over); collect before the next order",
     "华东润滑油超出信用额度：欠款 ¥120，额度 ¥100（超出 ¥20）；下次订货前先回款"),
    (lambda: wording.broken("华东润滑油", True, "送样品", D(2026, 11, 20), D(2026, 11, 21)),
     "We broke our promise to 华东润滑油: 送样品 (due 2026-11-20, broken 2026-11-21); apologise and agree a new date",
     "我方未兑现对华东润滑油的承诺：送样品（截止 2026-11-20，2026-11-21 失约）；请致歉并约定新日期"),
    (lambda: wording.broken("华东润滑油", False, "付款", D(2026, 11, 20), D(2026, 11, 21)),
     "华东润滑油 broke their promise: 付款 (due 2026-11-20, broken 2026-11-21); say so plainly and agree a new date",
     "华东润滑油未兑现承诺：付款（截止 2026-11-20，2026-11-21 失约）；如实指出并约定新日期"),
    (lambda: wording.review("华东润滑油", D(2026, 10, 20), "液压油", D(2026, 10, 25)),
     "After-sale review visit at 华东润滑油: the order of 2026-10-20 (液压油), delivered 2026-10-25",
     "售后回访华东润滑油：2026-10-20 的订单（液压油），2026-10-25 交付"),
    (lambda: wording.review("华东润滑油", D(2026, 10, 20), None, D(2026, 10, 25)),
     "After-sale review visit at 华东润滑油: the order of 2026-10-20, delivered 2026-10-25",
     "售后回访华东润滑油：2026-10-20 的订单，2026-10-25 交付"),
    (lambda: wording.usage("华东润滑油", D(2026, 10, 20), "液压油", D(2026, 10, 25)),
     "Usage review at 华东润滑油: how is the order of 2026-10-20 (液压油) working out? Delivered 2026-10-25",
     "使用回访华东润滑油：2026-10-20 的订单（液压油）用得怎么样？2026-10-25 交付"),
    (lambda: wording.usage("华东润滑油", D(2026, 10, 20), None, D(2026, 10, 25)),
     "Usage review at 华东润滑油: how is the order of 2026-10-20 working out? Delivered 2026-10-25",
     "使用回访华东润滑油：2026-10-20 的订单用得怎么样？2026-10-25 交付"),
    (lambda: wording.service("华东润滑油", "油品检测", "液压油", D(2026, 9, 5), D(2026, 3, 1)),
     "Service at 华东润滑油: 油品检测 for 液压油 (last done 2026-09-05)",
     "华东润滑油 的定期服务：液压油 的油品检测（上次 2026-09-05）"),
    (lambda: wording.service("华东润滑油", "油品检测", "液压油", None, D(2026, 3, 1)),
     "Service at 华东润滑油: 油品检测 for 液压油 (first 2026-03-01)",
     "华东润滑油 的定期服务：液压油 的油品检测（首次 2026-03-01）"),
    (lambda: wording.service("华东润滑油", "保养", None, D(2026, 9, 5), None),
     "Service at 华东润滑油: 保养 (last done 2026-09-05)", "华东润滑油 的定期服务：保养（上次 2026-09-05）"),
    (lambda: wording.service("华东润滑油", "保养", None, None, D(2026, 3, 1)),
     "Service at 华东润滑油: 保养 (first 2026-03-01)", "华东润滑油 的定期服务：保养（首次 2026-03-01）"),
    (lambda: wording.complaint("华东润滑油", "漏液", D(2026, 11, 1), 2, "analyse"),
     "Complaint from 华东润滑油: 漏液 (opened 2026-11-01; step 2 of 6, analyse: analyse the cause)",
     "华东润滑油的投诉：漏液（2026-11-01 受理；第 2/6 步，分析：分析原因）"),
    (lambda: wording.rebate("华东润滑油", "¥100", 0.03, "¥900", "¥1,000", D(2026, 12, 31)),
     "华东润滑油 is ¥100 short of the 3% rebate tier (¥900 of ¥1,000 bought; the period ends 2026-12-31)",
     "华东润滑油距 3% 返利档还差 ¥100（已购 ¥900 / ¥1,000；周期于 2026-12-31 结束）"),
    (lambda: wording.rebate("华东润滑油", "¥100", 0.03, "¥900", "¥1,000", D(2026, 12, 31), "年度返利"),
     "华东润滑油 is ¥100 short of the 3% tier of 年度返利 (¥900 of ¥1,000 bought; the period ends 2026-12-31)",
     "华东润滑油距年度返利的 3% 档还差 ¥100（已购 ¥900 / ¥1,000；周期于 2026-12-31 结束）"),
    (lambda: wording.rebate("华东润滑油", "¥100", 0.025, "¥900", "¥1,000", D(2026, 12, 31), None, "¥25", "¥18"),
     "华东润滑油 is ¥100 short of the 2.5% rebate tier (¥900 of ¥1,000 bought; the period ends 2026-12-31; "
     "at that tier the rebate is ¥25, ¥18 now)",
     "华东润滑油距 2.5% 返利档还差 ¥100（已购 ¥900 / ¥1,000；周期于 2026-12-31 结束；达到该档返利 ¥25，目前 ¥18）"),
    (lambda: wording.rebate("华东润滑油", "¥100", 0.03, "¥900", "¥1,000", D(2026, 12, 31), "年度返利", "¥30", "¥18"),
     "华东润滑油 is ¥100 short of the 3% tier of 年度返利 (¥900 of ¥1,000 bought; the period ends 2026-12-31; "
     "at that tier the rebate is ¥30, ¥18 now)",
     "华东润滑油距年度返利的 3% 档还差 ¥100（已购 ¥900 / ¥1,000；周期于 2026-12-31 结束；达到该档返利 ¥30，目前 ¥18）"),
    (lambda: wording.rebate_pace("华东润滑油", "年度返利", 0.03, D(2026, 7, 1), "¥300", "¥500", "¥1,000",
                                 D(2026, 12, 31)),
     "华东润滑油 is behind the pace for the 3% tier of 年度返利: ¥300 by mid-period (2026-07-01), ¥500 needed to "
     "reach ¥1,000 by 2026-12-31; help them plan orders",
     "华东润滑油在年度返利 3% 档上进度落后：期中（2026-07-01）累计 ¥300，需 ¥500 才能在 2026-12-31 前达到 ¥1,000；"
     "帮客户规划订货"),
    (lambda: wording.settle("华东润滑油", "年度返利", "¥30", 0.03, "¥1,000", D(2026, 12, 31)),
     "Settle 年度返利 with 华东润滑油: ¥30 earned (3% tier, ¥1,000 counted; the period ended 2026-12-31)",
     "与华东润滑油结算年度返利：应返 ¥30（3% 档，计入 ¥1,000；周期已于 2026-12-31 结束）"),
    (lambda: wording.dormant("华东润滑油", D(2026, 4, 1), "液压油"),
     "华东润滑油 has not ordered since 2026-04-01 (液压油): time to win them back",
     "华东润滑油自 2026-04-01 起未再订货（液压油）：该把客户争取回来了"),
    (lambda: wording.dormant("华东润滑油", D(2026, 4, 1), None),
     "华东润滑油 has not ordered since 2026-04-01: time to win them back",
     "华东润滑油自 2026-04-01 起未再订货：该把客户争取回来了"),
]


@pytest.mark.parametrize(("call", "english", "chinese"), TITLES)
def test_every_title_is_one_message_in_each_language(call, english, chinese) -> None:
    assert call() == english
    with i18n.using("zh"):
        assert call() == chinese


def test_every_title_function_is_tested_in_chinese() -> None:
    import inspect

    called = {name for call, _, _ in TITLES for name in re.findall(r"wording\.(\w+)\(", inspect.getsource(call))}
    titles = {"touch", "touch_since", "next_step", "birthday", "birthday_title", "anniversary", "anniversary_title",
              "successor", "promise", "remind", "collect", "payment", "credit", "broken", "review", "complaint",
              "usage", "service", "rebate", "rebate_pace", "settle", "dormant", "revisit", "opportunity_expected", "opportunity_stale", "win_back"}
    public = {name for name, f in vars(wording).items()
              if inspect.isfunction(f) and f.__module__ == wording.__name__ and not name.startswith("_")}
    assert titles <= called
    assert public - titles == {"group_of", "group_name", "when", "plural", "one_line"}


def test_the_words_of_time_and_the_groups_in_chinese() -> None:
    days = (-12, -1, 0, 1, 2)
    assert [wording.when(d) for d in days] == ["12 days late", "1 day late", "today", "tomorrow", "in 2 days"]
    assert [wording.group_name(i) for i in range(4)] == list(wording.GROUPS)
    assert wording.plural(3, "year") == "3 years" and wording.plural(2, "file") == "2 files"
    with i18n.using("zh"):
        assert [wording.when(d) for d in days] == ["逾期 12 天", "逾期 1 天", "今天", "明天", "2 天后"]
        assert [wording.group_name(i) for i in range(4)] == ["逾期", "今天", "本周", "以后"]
        assert wording.GROUPS == ("Overdue", "Today", "This week", "Later")  # what code indexes by
        assert wording.plural(3, "year") == "3 年" and wording.plural(1, "day") == "1 天"
        assert {wording.STEP_TASKS[s] for s in ("listen", "act")} == {"listen and record", "carry it out"}


def test_every_complaint_step_says_its_task_in_chinese() -> None:
    with i18n.using("zh"):
        titles = [wording.complaint("甲", "漏液", D(2026, 11, 1), n, step)
                  for n, step in enumerate(wording.STEP_TASKS, start=1)]
    tasks = ["倾听并记录", "分析原因", "找出解决办法", "告知客户", "落实解决", "回顾总结，避免再次发生"]
    for title, task in zip(titles, tasks, strict=True):
        assert title.endswith(f"：{task}）") and not re.search(r"[A-Za-z]", title), title


# --- the commands on a small Chinese project ------------------------------------------

MKDOCS = """\
site_name: 销售客户
theme:
  name: material
  language: {language}
extra:
  crmgen:
    currency: "¥"
    within: 30
"""
CLIENTS = {
    "huadong": """\
        ---
        name: 华东润滑油
        grade: A
        stage: customer
        owner: 王磊
        since: 2024-01-10
        contacts:
          - name: 周建国
            birthday: 1980-12-03
        dates:
          - {what: 合作开始, date: 2019-12-05}
        promises:
          - {by: client, what: 结清三季度货款, due: 2026-12-04, amount: 50000, agreed: 2026-11-01}
          - {by: us, what: 送样品, due: 2026-11-28}
        orders:
          - {date: 2026-10-20, amount: 80000, paid: 20000, pay_by: 2026-12-10, items: 液压油}
        ---

        ## 2026-11-20 call: 催款

        Next: 2026-11-26 上门对账
        """,
    "lantian": """\
        ---
        name: 蓝天农机
        grade: B
        stage: customer
        owner: 李娜
        since: 2024-03-01
        orders:
          - {date: 2026-11-02, amount: 12000, paid: 12000, delivered: 2026-11-05}
        complaints:
          - {opened: 2026-11-07, what: 一箱漏液, step: analyse, steps: {analyse: 2026-11-09}}
        ---

        ## 2026-11-18 visit: 回访

        Next: 2026-12-01 电话确认补货
        """,
}


def make_project(root: Path, language: str = "zh") -> Path:
    (root / "clients").mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(MKDOCS.format(language=language), encoding="utf-8")
    for slug, text in CLIENTS.items():
        (root / "clients" / f"{slug}.md").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def set_language(root: Path, language: str) -> None:
    (root / "mkdocs.yml").write_text(MKDOCS.format(language=language), encoding="utf-8")


def settle(root: Path) -> None:
    """Date every file of the project a minute back: the book summary trusts no file modified
    just before it was written (see crmgen.accel.summary)."""
    old = time.time() - 60
    for path in [root / "mkdocs.yml", *(root / "clients").glob("*.md")]:
        os.utime(path, (old, old))


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["-C", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def due(root: Path, *args: str) -> str:
    code, out, err = run(root, "due", "--today", TODAY.isoformat(), *args)
    assert code == 0, err
    return out


ZH_LISTING = """\
逾期
  2026-11-12  逾期 19 天  投诉      蓝天农机    李娜  蓝天农机的投诉：一箱漏液（2026-11-07 受理；第 2/6 步，分析：分析原因）
  2026-11-12  逾期 19 天  售后回访  蓝天农机    李娜  售后回访蓝天农机：2026-11-02 的订单，2026-11-05 交付
  2026-11-26  逾期 5 天   下一步    华东润滑油  王磊  华东润滑油的下一步：上门对账（来自 2026-11-20 的电话）
  2026-11-27  逾期 4 天   联系      华东润滑油  王磊  联系华东润滑油（周建国）（上次联系 2026-11-20；每 7 天联系一次）
  2026-11-28  逾期 3 天   我方承诺  华东润滑油  王磊  兑现我方对华东润滑油的承诺：送样品，截止 2026-11-28
  2026-11-29  逾期 2 天   提醒客户  华东润滑油  王磊  提醒华东润滑油兑现承诺：结清三季度货款（¥50,000），截止 2026-12-04

今天
  2026-12-01  今天        下一步    蓝天农机    李娜  蓝天农机的下一步：电话确认补货（来自 2026-11-18 的拜访）

本周
  2026-12-02  明天        联系      蓝天农机    李娜  联系蓝天农机（上次联系 2026-11-18；每 14 天联系一次）
  2026-12-03  2 天后      生日      华东润滑油  王磊  华东润滑油 周建国的生日，满 46 岁
  2026-12-04  3 天后      确认兑现  华东润滑油  王磊  向华东润滑油收取 / 确认：结清三季度货款（¥50,000），承诺于 2026-12-04
  2026-12-05  4 天后      纪念日    华东润滑油  王磊  华东润滑油：合作开始（自 2019-12-05 起 7 周年）

以后
  2026-12-10  9 天后      收款      华东润滑油  王磊  华东润滑油回款：2026-10-20 的订单（液压油）尚欠 ¥60,000，已付 ¥20,000 / 共 ¥80,000，2026-12-10 到期
  2026-12-17  16 天后     使用回访  蓝天农机    李娜  使用回访蓝天农机：2026-11-02 的订单用得怎么样？2026-11-05 交付

共 13 条提醒：逾期 6 条、今天 1 条、本周 4 条、以后 2 条
"""


def test_due_lists_in_chinese(tmp_path: Path) -> None:
    """The groups, the when-words, the kinds (as the site names them), the titles and the count."""
    out = due(make_project(tmp_path))
    assert out == ZH_LISTING
    assert not re.search(r"[A-Za-z]", out)  # no English of crmgen's left (the user wrote none)
    assert due(tmp_path, "--within", "0", "--owner", "李娜", "--kind", "settle") == "未来 0 天内没有待办提醒。\n"


def test_due_in_english_is_unchanged(tmp_path: Path) -> None:
    lines = due(make_project(tmp_path, "en")).splitlines()
    assert [line for line in lines if line and not line.startswith(" ")] == [
        "Overdue", "Today", "This week", "Later", "13 reminders: 6 overdue, 1 today, 4 this week, 2 later"]
    assert lines[1] == ("  2026-11-12  19 days late  complaint    蓝天农机    李娜  Complaint from 蓝天农机: 一箱漏液 "
                        "(opened 2026-11-07; step 2 of 6, analyse: analyse the cause)")
    assert "  2026-12-01  today         next         蓝天农机    李娜  Next step with 蓝天农机: 电话确认补货 (from the visit on " \
           "2026-11-18)" in lines
    assert "  2026-12-03  in 2 days     birthday     华东润滑油  王磊  Birthday of 周建国 at 华东润滑油, turns 46" in lines
    assert "  2026-12-05  in 4 days     anniversary  华东润滑油  王磊  合作开始 at 华东润滑油 (7 years since 2019-12-05)" in lines
    assert due(tmp_path, "--within", "0", "--owner", "李娜", "--kind", "settle") == "Nothing due in the next 0 days.\n"


def test_due_json_keeps_its_keys_and_machine_values(tmp_path: Path) -> None:
    root = make_project(tmp_path, "en")
    english = json.loads(due(root, "--format", "json", "--no-cache"))
    set_language(root, "zh")
    chinese = json.loads(due(root, "--format", "json", "--no-cache"))
    assert len(chinese) == len(english) > 5
    for en, zh in zip(english, chinese, strict=True):
        assert list(zh) == ["client", "name", "owner", "kind", "date", "days", "lead", "title", "amount"]
        assert {k: v for k, v in zh.items() if k != "title"} == {k: v for k, v in en.items() if k != "title"}
        assert CJK.search(zh["title"]) and zh["title"] != en["title"]
    assert {r["kind"] for r in chinese} >= {"birthday", "anniversary", "payment", "complaint", "next", "remind"}


def test_a_chinese_run_after_an_english_one_never_reuses_english_titles(tmp_path: Path) -> None:
    """``due`` keeps the plan beside the book summary; a build keeps the clients' plans and the
    calendar's events: each is keyed by the settings (the language among them)."""
    root = make_project(tmp_path, "en")
    for _ in range(2):  # the second run answers from the kept plan
        assert "Birthday of 周建国 at 华东润滑油, turns 46" in due(root)
    set_language(root, "zh")
    for _ in range(2):
        out = due(root)
        assert "华东润滑油 周建国的生日，满 46 岁" in out and "Birthday" not in out

    site = tmp_path / "site"
    build = ["build", "--today", TODAY.isoformat(), "-d", str(site)]
    set_language(root, "en")
    code, _, err = run(root, *build)
    assert code == 0, err
    feed = (site / "reminders" / "reminders.ics").read_bytes().decode("utf-8").replace("\r\n ", "")  # lines unfolded
    assert "Overdue since 2026-11-28" in feed and "Keep our promise to 华东润滑油" in feed
    set_language(root, "zh")
    code, _, err = run(root, *build)
    assert code == 0, err
    feed = (site / "reminders" / "reminders.ics").read_bytes().decode("utf-8").replace("\r\n ", "")
    assert "自 2026-11-28 起逾期" in feed and "兑现我方对华东润滑油的承诺" in feed
    assert "Overdue since" not in feed and "Keep our promise" not in feed
    page = (site / "reminders" / "index.html").read_text(encoding="utf-8")
    assert "华东润滑油 周建国的生日，满 46 岁" in page and "Birthday of" not in page


def test_the_calendar_speaks_chinese_but_keeps_its_uids_and_categories(tmp_path: Path) -> None:
    import icalendar

    root = make_project(tmp_path, "en")
    english = icalendar.Calendar.from_ical(run(root, "due", "--today", TODAY.isoformat(), "--format", "ics")[1])
    set_language(root, "zh")
    chinese = icalendar.Calendar.from_ical(run(root, "due", "--today", TODAY.isoformat(), "--format", "ics")[1])
    en_events, zh_events = english.walk("VEVENT"), chinese.walk("VEVENT")
    assert len(zh_events) == len(en_events) > 5
    for en, zh in zip(en_events, zh_events, strict=True):
        assert str(zh["uid"]) == str(en["uid"])
        assert zh.categories == en.categories  # the kinds, and "overdue": what filters match on
        assert CJK.search(str(zh["summary"])) and str(zh["summary"]) != str(en["summary"])
        assert not re.search(r"\b(Client|Owner|Kind|Amount|Overdue)\b", str(zh["description"]))
    ours = next(e for e in zh_events if "送样品" in str(e["summary"]))
    assert str(ours["summary"]) == "兑现我方对华东润滑油的承诺：送样品，截止 2026-11-28"
    assert str(ours["description"]) == "自 2026-11-28 起逾期\n客户：华东润滑油（huadong）\n负责人：王磊\n类型：我方承诺"
    assert [str(c) for c in ours.categories] == ["promise", "overdue"]
    assert str(chinese["x-wr-calname"]) == "crmgen: 销售客户"


def test_check_sums_up_in_chinese_and_keeps_its_problem_lines(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "clients" / "cuowu.md").write_text("---\nname: 错误\ngrade: Z\n---\n", encoding="utf-8")
    settle(root)
    line = "clients/cuowu.md:3:8: error: grade: 'Z' is not one of A, B, C, D, E, F [bad-choice]"
    for args in (["--no-cache"], [], []):  # read, then written to the book summary, then from it
        code, _, err = run(root, "check", *args)
        assert (code, err.splitlines()) == (1, [line, "3 个文件中有 1 个错误、0 个警告"])
    (root / "clients" / "cuowu.md").unlink()
    assert run(root, "check")[2] == "2 个文件中没有问题\n"
    set_language(root, "en")
    settle(root)
    for _ in range(2):
        assert run(root, "check")[2] == "no problems in 2 files\n"


def test_check_from_the_summary_reads_no_project_settings_in_any_language(tmp_path: Path, monkeypatch) -> None:
    """The book summary answers check without parsing mkdocs.yml: it holds the language it was made in."""
    from crmgen.cli import app
    from crmgen.load import answers

    def refused(*args, **kwargs):
        raise AssertionError("mkdocs.yml parsed")

    root = make_project(tmp_path, "en")
    for language, line in (("en", "no problems in 2 files\n"), ("zh", "2 个文件中没有问题\n")):
        set_language(root, language)
        settle(root)
        assert run(root, "check")[2] == line  # read, and the book summary written
        with monkeypatch.context() as patch:
            patch.setattr(app, "load_project", refused)
            patch.setattr(answers, "check_book", refused)
            assert run(root, "check")[2] == line


def test_the_summary_line_in_english_and_in_chinese() -> None:
    from crmgen.format.errors import summary_line

    cases = [[], [("a", 1, 1, "note", "m", "c")], [("a", 1, 1, "error", "m", "c")],
             [("a", 1, 1, "error", "m", "c"), ("a", 1, 1, "warning", "m", "c"), ("a", 2, 1, "note", "m", "c"),
              ("b", 1, 1, "note", "m", "c")]]
    assert [summary_line(p, f) for p in cases for f in (1, 3)] == [
        "no problems in 1 file", "no problems in 3 files", "no problems in 1 file (1 note)",
        "no problems in 3 files (1 note)", "1 error, 0 warnings in 1 file", "1 error, 0 warnings in 3 files",
        "1 error, 1 warning, 2 notes in 1 file", "1 error, 1 warning, 2 notes in 3 files"]
    with i18n.using("zh"):
        assert summary_line(cases[3], 3) == "3 个文件中有 1 个错误、1 个警告、2 条备注"
        assert summary_line(cases[1], 1) == "1 个文件中没有问题（1 条备注）"


WEEK_CLIENT = """\
    ---
    name: 华东润滑油
    grade: A
    owner: 王磊
    promises:
      - {by: client, what: 结清货款, due: 2026-11-30, amount: 2100, agreed: 2026-11-16, kept: 2026-11-22}
      - {by: us, what: 送样品, due: 2026-11-20, agreed: 2026-11-15, broken: 2026-11-23}
    orders:
      - id: Q3
        date: 2026-11-16
        amount: 860
        items: 液压油
        payments:
          - {date: 2026-11-22, amount: 400, note: 转账}
    ---

    ## 2026-11-16 visit: 拜访周建国

    ## 2026-11-17 visit: 送合同

    ## 2026-11-22 call: 催款
    """


def test_the_weeks_report_in_chinese(tmp_path: Path) -> None:
    root = tmp_path
    (root / "clients").mkdir()
    (root / "mkdocs.yml").write_text(MKDOCS.format(language="zh"), encoding="utf-8")
    (root / "clients" / "huadong.md").write_text(textwrap.dedent(WEEK_CLIENT), encoding="utf-8")
    week = ["report", "--week", "--date", "2026-11-18"]
    code, text, err = run(root, *week)
    assert code == 0, err
    assert text == textwrap.dedent("""\
        周报：2026-W47（2026-11-16 至 2026-11-22）

        互动：3 次（拜访 2 次、电话 1 次），涉及 1 位客户
        新客户：0
        承诺：新增 1，兑现 1，失约 0
        订单：1 笔，¥860
        回款：1 笔，¥400
        商机：新增 0，推进 0（赢单 0，丢单 0）

        互动
          2026-11-16 华东润滑油：拜访：拜访周建国
          2026-11-17 华东润滑油：拜访：送合同
          2026-11-22 华东润滑油：电话：催款

        新增的承诺
          2026-11-16 华东润滑油：客户方：结清货款（¥2,100）

        兑现的承诺
          2026-11-22 华东润滑油：客户方：结清货款（¥2,100）

        订单
          2026-11-16 华东润滑油：¥860 液压油

        回款
          2026-11-22 华东润滑油：¥400，订单 Q3（转账）
        """)
    code, markdown, _ = run(root, *week, "--owner", "王磊", "--format", "markdown")
    assert markdown.startswith("# 王磊的周报：2026-W47（2026-11-16 至 2026-11-22）\n\n- 互动：3 次（拜访 2 次、电话 1 次），涉及 1 位客户\n")
    assert "\n## 兑现的承诺\n\n- 2026-11-22 华东润滑油：客户方：结清货款（¥2,100）\n" in markdown
    assert not re.search(r"[A-Za-z]{2,}", markdown.replace("W47", "")), markdown
    chinese_json = run(root, *week, "--format", "json")[1]
    set_language(root, "en")
    code, english, _ = run(root, *week)
    assert english.startswith("Weekly report: 2026-W47 (2026-11-16 to 2026-11-22)\n\n"
                              "Interactions: 3 (2 visits, 1 call) with 1 client\n")
    assert "  2026-11-22 华东润滑油: ¥400 for the order Q3 (转账)\n" in english
    assert run(root, *week, "--format", "json")[1] == chinese_json  # keys and values never change
    assert json.loads(chinese_json)["promises_made"][0]["by"] == "client"
