"""Sales by month, growth, the business mix, value classes and targets (#17 items 4-5), by hand."""

from __future__ import annotations

import datetime as dt

from crmgen.format.model import Client, Order
from crmgen.load.project import Settings
from crmgen.rules import sales

D = dt.date.fromisoformat


def client(slug: str, owner: str | None, *orders: tuple[str, float], referred_by: str | None = None) -> Client:
    return Client(slug=slug, path=f"clients/{slug}.md", name=slug.upper(), grade="A", owner=owner,
                  referred_by=referred_by,
                  orders=tuple(Order(date=D(d), amount=a, index=i) for i, (d, a) in enumerate(orders)))


BOOK = [
    client("a", "王磊", ("2025-03-01", 100), ("2025-11-10", 50), ("2026-02-01", 300), ("2026-11-30", 25.5)),
    client("b", "李娜", ("2026-11-02", 80)),
    client("c", None, ("2026-11-15", 20), referred_by="b"),
    client("d", "王磊"),
]


def test_sales_by_month_every_month_listed_in_cents():
    assert sales.monthly(BOOK, D("2026-09-01"), D("2026-12-31")) == {
        "2026-09": 0, "2026-10": 0, "2026-11": 12550, "2026-12": 0}
    assert sales.monthly(BOOK, D("2025-12-15"), D("2026-02-01")) == {"2025-12": 0, "2026-01": 0, "2026-02": 30000}


def test_revenue_per_owner_largest_first():
    assert sales.by_owner(BOOK, D("2026-01-01"), D("2026-12-31")) == {"王磊": 32550, "李娜": 8000, None: 2000}


def test_growth_compares_the_same_part_of_each_year():
    g = sales.growth(BOOK, D("2026-11-30"))
    # 2026-01-01..11-30: 300 + 25.50 + 80 + 20 = 425.50; 2025-01-01..11-30: 100 + 50 = 150
    assert (g.this, g.last) == (42550, 15000)
    assert g.rate == (42550 - 15000) / 15000 and g.rate_text == "+183.7%"
    # a whole last year would have been the same 150 here; on 2026-02-28 last year had 0 to that day
    assert sales.growth(BOOK, D("2026-02-28")).rate is None
    assert sales.same_day_last_year(D("2028-02-29")) == D("2027-02-28")


def test_new_referred_and_repeat_business():
    m = sales.mix(BOOK, D("2026-11-01"), D("2026-11-30"))
    # b's and c's first orders are new (c's referred), a's order of 11-30 is repeat
    assert m == sales.Mix(new=10000, referred=2000, repeat=2550, new_clients=2, referred_clients=1)
    assert sales.mix(BOOK, D("2025-01-01"), D("2025-12-31")) == sales.Mix(10000, 0, 5000, 1, 0)


def test_value_classes_by_a_years_revenue():
    book = [client("big", None, ("2026-06-01", 700)), client("mid", None, ("2026-06-01", 150)),
            client("small", None, ("2026-06-01", 100)), client("tiny", None, ("2026-06-01", 50)),
            client("none", None), client("old", None, ("2025-11-30", 999))]
    shares = Settings().value_classes  # A 80%, B 95%
    # of 1,000: big (0 before it) A; mid (700 < 800 before it) A; small (850: B); tiny (950: C)
    assert sales.value_classes(book, D("2026-11-30"), shares) == {"big": "A", "mid": "A", "small": "B", "tiny": "C"}
    assert sales.value_classes(book, D("2026-11-30"), {"A": 0.5, "B": 0.9}) == {
        "big": "A", "mid": "B", "small": "B", "tiny": "C"}
    assert sales.value_classes([], D("2026-11-30"), shares) == {}


def test_targets_and_the_pace_of_the_month():
    targets = Settings.from_mapping({"targets": {"王磊": {"monthly": 100, "2026-11": 200}, "李娜": 50,
                                                 "张敏": 10}}).targets
    got = sales.progress(BOOK, targets, D("2026-11-15"))
    assert [(p.owner, p.target, p.sold, p.share, p.expected, p.on_track) for p in got] == [
        ("王磊", 20000, 0, 0.0, 0.5, False),
        ("李娜", 5000, 8000, 1.6, 0.5, True),
        ("张敏", 1000, 0, 0.0, 0.5, False),
    ]
    assert sales.target_of(targets, "王磊", "2026-12") == 100
    assert sales.target_of(targets, "nobody", "2026-12") is None
