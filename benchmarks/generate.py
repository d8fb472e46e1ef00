"""Generate a realistic synthetic book of clients for the benchmark.

    python benchmarks/generate.py N DIR [--seed 6] [--git]

creates a complete crmgen project in DIR: ``mkdocs.yml`` (the repository's own,
else a minimal Material config) and ``clients/`` holding N client files in the
client file format v1. Each file has about 40 lines of front matter (contacts
with birthdays, promises both ways, kept/broken/open, orders with partial
payments, the odd complaint, an occasional rebate or anniversary, tags, cadence,
an owner among 50 salespeople) and a body of 8-15 dated interactions with
``Next:`` / ``下一步：`` lines, in Chinese and English.

The output is deterministic: the same seed gives the same bytes. Each client is
drawn from its own random stream (seeded by the seed and its index), so the book
of 100 is the first 100 clients of the book of 1,000. Every file is given the
same fixed modification time, well in the past, so crmgen's parse cache can trust
them at once (it never trusts a file modified within seconds of the cache).

With ``--git``, DIR also becomes a git repository with the book committed once
(fixed author and date), as a team's repository would be.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SEED = 6
# "Today" for the synthetic book: dates are spread around it, so some promises are
# overdue, some due this week and some later. Benchmarks pass it as --today.
ANCHOR = dt.date(2026, 11, 20)
# Fixed mtime for every generated file (2026-01-01T00:00:00Z).
MTIME = 1_767_225_600

MINIMAL_MKDOCS = """\
# Synthetic benchmark book (minimal config: the repository had no mkdocs.yml).
site_name: Benchmark clients
theme:
  name: material
  font: false
  language: en
"""

# -- vocabulary ------------------------------------------------------------------

OWNERS = [
    "王磊", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄勇", "周婷", "吴刚",
    "徐蕾", "孙浩", "胡军", "朱丽", "高峰", "林晓", "何平", "郭涛", "马超", "罗琳",
    "梁志", "宋佳", "郑凯", "谢芳", "韩冰", "唐宁", "冯雪", "于洋", "董明", "萧然",
    "程亮", "曹颖", "袁杰", "邓华", "许晴",
    "Sarah Lin", "David Chen", "Emily Wang", "Michael Zhou", "Grace Liu",
    "Kevin Huang", "Linda Wu", "Jason Xu", "Amy Zhang", "Peter Li",
    "Helen Sun", "Tony Ma", "Vivian Guo", "Eric He", "Nancy Luo",
]
assert len(OWNERS) == 50

# (Chinese, pinyin) pairs: names are built from a region, a core word and a trade.
REGIONS = [
    ("华东", "huadong"), ("华南", "huanan"), ("华北", "huabei"), ("西南", "xinan"), ("东北", "dongbei"),
    ("上海", "shanghai"), ("苏州", "suzhou"), ("杭州", "hangzhou"), ("宁波", "ningbo"), ("南京", "nanjing"),
    ("广州", "guangzhou"), ("深圳", "shenzhen"), ("成都", "chengdu"), ("武汉", "wuhan"), ("青岛", "qingdao"),
    ("天津", "tianjin"), ("无锡", "wuxi"), ("厦门", "xiamen"), ("长沙", "changsha"), ("合肥", "hefei"),
]
CORES = [
    ("恒通", "hengtong"), ("顺达", "shunda"), ("金海", "jinhai"), ("新联", "xinlian"), ("蓝天", "lantian"),
    ("万家", "wanjia"), ("诚信", "chengxin"), ("宏远", "hongyuan"), ("永盛", "yongsheng"), ("瑞丰", "ruifeng"),
    ("华光", "huaguang"), ("鼎力", "dingli"), ("中天", "zhongtian"), ("东方", "dongfang"), ("海川", "haichuan"),
    ("精工", "jinggong"), ("同创", "tongchuang"), ("启明", "qiming"), ("佳美", "jiamei"), ("远航", "yuanhang"),
]
TRADES = [
    ("润滑油", "runhuayou", "润滑油经销", ["经销商", "润滑油"]),
    ("包装", "baozhuang", "包装材料", ["包装", "制造"]),
    ("机械", "jixie", "机械制造", ["制造", "设备"]),
    ("汽配", "qipei", "汽车配件", ["汽配", "经销商"]),
    ("通信", "tongxin", "通信系统集成", ["集成商", "通信"]),
    ("超市", "chaoshi", "连锁零售", ["零售", "连锁"]),
    ("物流", "wuliu", "物流运输", ["物流", "车队"]),
    ("农机", "nongji", "农业机械", ["农机", "经销商"]),
    ("保险", "baoxian", "保险代理", ["保险", "机构"]),
    ("游乐设备", "youle-shebei", "游乐设备采购", ["游乐", "采购"]),
]
EN_FIRST = [
    "Brightway", "Greenfield", "Harrison", "Kingsway", "Oceanview", "Pacific", "Sunrise", "Northstar",
    "Silverline", "Bluewater", "Redwood", "Summit", "Evergreen", "Golden Gate", "Riverside", "Crestview",
]
EN_TRADES = [
    ("Foods", "foods", "Food processing", ["food", "manufacturing"]),
    ("Logistics", "logistics", "Logistics", ["logistics", "fleet"]),
    ("Hardware", "hardware", "Hardware retail", ["retail", "hardware"]),
    ("Supermarkets", "supermarkets", "Retail chain", ["retail", "chain"]),
    ("Adventure Park", "adventure-park", "Theme parks", ["leisure", "equipment"]),
    ("Insurance", "insurance", "Insurance", ["insurance", "fleet"]),
    ("Wind Energy", "wind-energy", "Renewable energy", ["energy", "industrial"]),
    ("Packaging", "packaging", "Packaging", ["packaging", "export"]),
]
CITIES_EN = ["Suzhou", "Shanghai", "Ningbo", "Shenzhen", "Hong Kong", "Singapore", "Kuala Lumpur", "Manila"]
STREETS = ["春东路", "星湖街", "人民路", "解放大道", "科技园路", "长江路", "滨江大道", "工业园区三路"]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "丽", "浩", "伟", "敏", "静", "强", "芳", "军", "洁", "磊", "娟", "涛", "颖", "斌", "霞"]
EN_PEOPLE = ["Tom Xu", "Helen Qian", "Mark Lee", "Julia Tan", "Ryan Ng", "Mia Ong", "Sam Chua", "Lily Ho",
             "Alan Goh", "Rachel Lim"]
ROLES_ZH = ["总经理", "采购经理", "采购主管", "仓库主管", "财务经理", "技术总监", "设备科长", "老板"]
ROLES_EN = ["Purchasing Manager", "Maintenance Manager", "Quality Manager", "Finance Director",
            "Operations Manager", "Owner"]
CONTACT_NOTES = ["喜欢喝茶、钓鱼。", "女儿在读高三。", "只接受微信联系。", "Prefers email to calls.",
                 "Plays golf on Saturdays.", "对价格很敏感。", "老乡，江苏盐城人。"]

ITEMS = ["全合成机油 SN 5W-30 ×{n} 箱", "液压油 46# ×{n} 桶", "柴机油 CI-4 ×{n} 桶", "齿轮油 ×{n} 桶",
         "瓦楞纸箱 ×{n}00 只", "缠绕膜 ×{n} 卷", "Food-grade grease H1 ×{n} cartridges",
         "Spare parts kit ×{n}", "Conveyor belts ×{n} m", "防冻液 ×{n} 箱"]
PROMISES_US = ["按期送货", "提供两名技术讲师", "寄样品给技术部", "Send the revised quotation",
               "Run a free lubrication audit", "Deliver the spare parts kit", "给出年度返利方案",
               "安排工厂参观"]
PROMISES_CLIENT = ["结清货款", "付清三季度货款", "确认年度采购计划", "Pay the outstanding invoice",
                   "Sign the framework contract", "Send the audit findings", "提供开票信息"]
COMPLAINTS = ["到货延迟两天", "两桶外漆刮花", "发票抬头开错", "Wrong grade delivered",
              "Late delivery to the Ningbo site", "包装破损漏油", "售后响应太慢"]
ANNIVERSARIES = ["首次合作纪念日", "公司成立日", "Founding day", "新厂开业纪念日"]

VISIT_LINES = [
    "和{c}核对上批货：数量、批号都对，到货比承诺早一天。",
    "{c}说终端动销不错，冬季品要补货。",
    "Met {c}; they are happy with the last delivery and asked about prices for next year.",
    "{c} raised the payment terms again; I said I would check with finance.",
    "仓库反映托盘包装有两桶外漆刮花，不影响使用，已拍照反馈物流。",
    "顺便提了一下年度返利：今年已累计 {amt} 元，离下一档不远。",
    "Walked the plant with {c}: lines 1 to 3 run our products, line 4 still uses a competitor's.",
    "{c}提到竞争对手在降价，我们先不跟，强调服务和交期。",
    "Quoted {amt} for the annual package; {c} will discuss it with the owner.",
    "{c}的女儿考上大学了，送了一份小礼物。",
]
SUMMARIES = {
    "visit": ["售后回访", "工厂拜访", "first factory visit", "quarterly review", "新品介绍"],
    "call": ["备货沟通", "payment reminder", "follow-up on the quotation", "确认交期"],
    "meeting": ["年度合同谈判", "framework contract meeting", "经销商大会", "技术交流"],
    "message": ["货款到账", "微信问候", "sent the new price list", "节日祝福"],
    "email": ["sent samples report", "报价单", "audit findings received", "对账单"],
    "gift": ["中秋月饼", "生日礼物", "New Year hamper"],
    "note": ["内部备忘", "competitor intelligence", "信用评估"],
}
NEXT_ZH = ["带冬季新品资料拜访", "送样品", "催收余款", "确认年度采购计划", "安排技术培训", "回访使用情况"]
NEXT_EN = ["send samples", "follow up on the quotation", "visit with the new catalogue",
           "check payment", "call about the annual plan", "review the contract delivery"]


# -- one client --------------------------------------------------------------------

def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _person(rng: random.Random, english: bool) -> str:
    if english and rng.random() < 0.7:
        return rng.choice(EN_PEOPLE)
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def identity(i: int, seed: int) -> tuple[str, str, str, list[str], bool]:
    """(name, slug base, industry, tags, english) of client ``i``."""
    rng = random.Random(seed * 1_000_003 + i * 7919 + 1)
    if rng.random() < 0.3:
        first = rng.choice(EN_FIRST)
        trade, tslug, industry, tags = rng.choice(EN_TRADES)
        city = rng.choice(CITIES_EN)
        base = f"{first.lower().replace(' ', '-')}-{tslug}"
        return f"{first} {trade} ({city}) Co., Ltd.", base, industry, list(tags), True
    (region, _), (core, cslug) = rng.choice(REGIONS), rng.choice(CORES)
    trade, tslug, industry, tags = rng.choice(TRADES)
    return f"{region}{core}{trade}有限公司", f"{cslug}-{tslug}", industry, [*tags, region], False


def client_text(i: int, seed: int, slug: str, name: str, industry: str, tags: list[str],
                english: bool, earlier: list[str]) -> str:
    """The text of client ``i`` (front matter + body), deterministic in (seed, i)."""
    rng = random.Random(seed * 1_000_003 + i * 7919)
    grade = rng.choice("AABBBCCDDEF")
    stage = rng.choices(["customer", "prospect", "dormant", "lost"], [60, 25, 10, 5])[0]
    owner = OWNERS[rng.randrange(len(OWNERS))]
    domain = f"{slug}.example.{'com' if english else 'cn'}"
    lines = ["---", f"name: {_q(name)}", f"grade: {grade}", f"stage: {stage}", f"owner: {owner}",
             f"tags: [{', '.join(tags)}]",
             # Unique per client, so the duplicate check stays quiet.
             f'phone: "0{rng.randint(10, 999)}-{6000_0000 + i:08d}"',
             f"email: info@{domain}"]
    if english:
        lines.append(f"address: {rng.randint(1, 300)} {rng.choice(['Xinghu', 'Harbour', 'Jalan Ampang'])} "
                     f"Street, {rng.choice(CITIES_EN)}")
    else:
        lines.append(f"address: {rng.choice(REGIONS[5:])[0]}市工业区{rng.choice(STREETS)} {rng.randint(1, 999)} 号")
    lines += [f"website: https://{domain}", f"industry: {industry}"]
    if rng.random() < 0.4:
        lines.append("notes: " + ("Key account; the owner values long-term partners." if english
                                  else "老板重感情，重视长期合作；年底前是谈来年计划的好时机。"))
    since = _day(rng, dt.date(2015, 1, 1), ANCHOR - dt.timedelta(days=200))
    if stage != "prospect":
        lines.append(f"since: {since.isoformat()}")
    lines.append(f"cadence: {rng.choice(['7', '10d', '2w', '3w', '1m', '30', '3m'])}")
    lines.append(f"credit_limit: {rng.randint(5, 100) * 10000}")
    if earlier and rng.random() < 0.15:
        lines.append(f"referred_by: {rng.choice(earlier)}")

    contacts = []
    lines.append("contacts:")
    for _ in range(rng.randint(1, 3)):
        person = _person(rng, english)
        contacts.append(person)
        lines.append(f"  - name: {person}")
        lines.append(f"    role: {rng.choice(ROLES_EN if english else ROLES_ZH)}")
        lines.append(f'    phone: "1{rng.randint(30, 89)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"')
        if rng.random() < 0.7:
            m, d = rng.randint(1, 12), rng.randint(1, 28)
            if rng.random() < 0.5:
                lines.append(f'    birthday: "--{m:02d}-{d:02d}"')
            else:
                lines.append(f"    birthday: {rng.randint(1960, 1995)}-{m:02d}-{d:02d}")
        if rng.random() < 0.08:
            lines.append(f"    left: {_day(rng, ANCHOR - dt.timedelta(days=120), ANCHOR).isoformat()}")
        if rng.random() < 0.3:
            lines.append(f"    notes: {rng.choice(CONTACT_NOTES)}")

    if rng.random() < 0.3:
        lines.append("dates:")
        lines.append(f"  - what: {rng.choice(ANNIVERSARIES)}")
        lines.append(f"    date: {since.isoformat()}")

    lines.append("promises:")
    for _ in range(rng.randint(1, 3)):
        by = rng.choice(["us", "client"])
        due = _day(rng, ANCHOR - dt.timedelta(days=90), ANCHOR + dt.timedelta(days=45))
        lines.append(f"  - by: {by}")
        lines.append(f"    what: {rng.choice(PROMISES_US if by == 'us' else PROMISES_CLIENT)}")
        lines.append(f"    due: {due.isoformat()}")
        if by == "client" and rng.random() < 0.6:
            lines.append(f"    amount: {rng.randint(1, 50) * 5000}")
        if due < ANCHOR:
            fate = rng.random()
            if fate < 0.6:
                lines.append(f"    kept: {(due - dt.timedelta(days=rng.randint(0, 3))).isoformat()}")
            elif fate < 0.8:
                lines.append(f"    broken: {due.isoformat()}")

    if stage in ("customer", "dormant") or rng.random() < 0.2:
        lines.append("orders:")
        for _ in range(rng.randint(1, 3)):
            date = _day(rng, ANCHOR - dt.timedelta(days=300), ANCHOR - dt.timedelta(days=5))
            amount = rng.randint(2, 300) * 1000
            paid = rng.choice([amount, amount, 0, amount // 2, rng.randint(0, amount // 1000) * 1000])
            lines.append(f"  - date: {date.isoformat()}")
            lines.append(f"    amount: {amount}")
            if paid:
                lines.append(f"    paid: {paid}")
            lines.append(f"    pay_by: {(date + dt.timedelta(days=rng.choice([30, 45, 60]))).isoformat()}")
            if rng.random() < 0.8:
                lines.append(f"    delivered: {(date + dt.timedelta(days=rng.randint(2, 7))).isoformat()}")
            lines.append(f"    items: {rng.choice(ITEMS).format(n=rng.randint(2, 90))}")

    if rng.random() < 0.12:
        opened = _day(rng, ANCHOR - dt.timedelta(days=60), ANCHOR - dt.timedelta(days=1))
        lines.append("complaints:")
        lines.append(f"  - opened: {opened.isoformat()}")
        lines.append(f"    what: {rng.choice(COMPLAINTS)}")
        step = rng.choice(["listen", "analyse", "solve", "inform", "act", "review"])
        lines.append(f"    step: {step}")
        if step == "review" and rng.random() < 0.5:
            lines.append(f"    closed: {(opened + dt.timedelta(days=rng.randint(1, 20))).isoformat()}")

    if stage == "customer" and rng.random() < 0.15:
        lines += ["rebate:", f"  from: {ANCHOR.year}-01-01", f"  to: {ANCHOR.year}-12-31", "  tiers:",
                  "    - over: 500000", "      rate: 2%", "    - over: 1000000", "      rate: 3%"]
    if rng.random() < 0.3:
        lines += ["extra:", f'  zip: "{rng.randint(100000, 899999)}"', "  付款方式: 月结 45 天"]
    lines.append("---")

    # -- body
    lines.append("")
    lines.append("Key account since the first order." if english
                 else f"{industry}客户，负责人 {owner}。重点关注回款和年度返利。")
    count = rng.randint(8, 15)
    days = sorted({_day(rng, ANCHOR - dt.timedelta(days=400), ANCHOR) for _ in range(count * 2)})
    days = sorted(rng.sample(days, min(count, len(days))))
    for n, day in enumerate(days):
        kind = rng.choices(list(SUMMARIES), [30, 25, 10, 15, 10, 4, 6])[0]
        lines.append("")
        lines.append(f"## {day.isoformat()} {kind}: {rng.choice(SUMMARIES[kind])}")
        lines.append("")
        for _ in range(rng.randint(1, 3)):
            lines.append(rng.choice(VISIT_LINES).format(c=rng.choice(contacts),
                                                        amt=f"{rng.randint(10, 900) * 1000:,}"))
        if n == len(days) - 1 or rng.random() < 0.4:
            nxt = (day + dt.timedelta(days=rng.randint(5, 40))).isoformat()
            lines.append("")
            if rng.random() < 0.5:
                lines.append(f"下一步：{nxt} {rng.choice(NEXT_ZH)}")
            else:
                lines.append(f"Next: {nxt} {rng.choice(NEXT_EN)}")
    return "\n".join(lines) + "\n"


def book(n: int, seed: int = DEFAULT_SEED) -> dict[str, str]:
    """slug -> file text for the first ``n`` clients of the book of ``seed``."""
    out: dict[str, str] = {}
    order: list[str] = []
    for i in range(n):
        name, base, industry, tags, english = identity(i, seed)
        slug, k = base, 2
        while slug in out:
            slug, k = f"{base}-{k}", k + 1
        out[slug] = client_text(i, seed, slug, name, industry, tags, english, order[-200:])
        order.append(slug)
    return out


def mkdocs_yml() -> str:
    """The repository's mkdocs.yml if it has one, else a minimal Material config."""
    path = REPO / "mkdocs.yml"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return MINIMAL_MKDOCS


# Words for the edit's new Chinese sentence: every edit writes text the book has not seen,
# so a build cannot answer it from a memo of earlier segmentations (crmgen.accel.segment).
EDIT_WORDS = ["客户", "反馈", "新品", "价格", "库存", "物流", "合同", "样品", "付款", "培训", "年底", "促销",
              "经销商", "仓库", "采购", "质量", "包装", "运输", "返利", "订单"]


def edit_sentence(marker: str) -> str:
    """A Chinese sentence made for ``marker``: different for every marker."""
    rng = random.Random(marker)
    return "".join(rng.sample(EDIT_WORDS, 6)) + "的问题已经确认"


def append_interaction(path: Path, marker: str, day: dt.date = ANCHOR) -> None:
    """Append one dated interaction holding ``marker`` and new Chinese text (the benchmark's 'one edit')."""
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(f"\n## {day.isoformat()} call: benchmark edit {marker}\n\n"
                 f"Called about the order; {marker} {edit_sentence(marker)}。\n\n"
                 f"Next: {(day + dt.timedelta(days=7)).isoformat()} send samples\n")


def generate(n: int, directory: Path, seed: int = DEFAULT_SEED, *, git: bool = False) -> list[str]:
    """Write the project; return the client slugs in generation order."""
    directory.mkdir(parents=True, exist_ok=True)
    clients = directory / "clients"
    if clients.exists():
        shutil.rmtree(clients)
    clients.mkdir()
    (directory / "mkdocs.yml").write_text(mkdocs_yml(), encoding="utf-8", newline="\n")
    # Old, like the client files: caches trust nothing modified just before they were written.
    os.utime(directory / "mkdocs.yml", (MTIME, MTIME))
    (directory / ".gitignore").write_text("/site/\n.crmgen/\n", encoding="utf-8", newline="\n")
    texts = book(n, seed)
    for slug, text in texts.items():
        path = clients / f"{slug}.md"
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.utime(path, (MTIME, MTIME))
    if git:
        env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
               "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
               "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
        run = dict(cwd=directory, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not (directory / ".git").exists():
            subprocess.run(["git", "init", "-q", "-b", "main"], **run)
        subprocess.run(["git", "add", "-A"], **run)
        subprocess.run(["git", "commit", "-q", "--no-verify", "-m", f"Synthetic book of {n} clients"], **run)
    return list(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic crmgen book of N clients in DIR.")
    parser.add_argument("n", type=int, metavar="N", help="number of clients")
    parser.add_argument("dir", type=Path, metavar="DIR", help="project directory to create")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--git", action="store_true", help="make DIR a git repository with the book committed")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    slugs = generate(args.n, args.dir, args.seed, git=args.git)
    print(f"{len(slugs)} clients in {args.dir / 'clients'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
