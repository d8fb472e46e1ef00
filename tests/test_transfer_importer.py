"""Planning and writing imports: mapping, values, duplicates, validation, never overwriting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crmgen.format.errors import ERROR, Problem, UsageError
from crmgen.format.model import Birthday
from crmgen.load.book import load_book, parse_client_text
from crmgen.load.project import load_project
from crmgen.transfer import importer
from crmgen.transfer.importer import (
    normalise_grade,
    normalise_stage,
    parse_birthday,
    parse_cadence,
    parse_number,
    plan_import,
    split_tags,
    write_plan,
)
from tests.conftest import write_client

DATA = Path(__file__).parent / "data" / "import"


def plan_of(root: Path, data: bytes | str, source: str = "in.csv", **kw):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return plan_import(load_project(root), data, source, **kw)


def fixture_plan(root: Path, name: str, **kw):
    return plan_of(root, (DATA / name).read_bytes(), name, **kw)


def reasons(plan) -> list[tuple[int, str]]:
    return [(r.number, "; ".join(r.reasons)) for r in plan.rejected]


def front(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1])


# -- CSV files as Excel writes them --------------------------------------------------------


def test_gbk_file_with_chinese_headers_and_a_title_row(project: Path) -> None:
    plan = fixture_plan(project, "clients-gbk.csv")
    assert plan.encoding == "GBK"
    assert plan.info[0] == "encoding GBK; delimiter comma; header on row 2"
    assert plan.rejected == []
    assert [(p.numbers, p.slug, p.name, p.owner, p.grade) for p in plan.created] == [
        ([3], "huadong-runhuayou-youxiangongsi", "华东润滑油有限公司", "李娜", "A"),
        ([4], "beifang-baozhuangcailiao-chang", "北方包装材料厂", "李娜", "B"),
        ([5], "nanfang-dianxin-xitongjicheng", "南方电信系统集成", "王强", "C"),
    ]
    assert plan.created[0].text == (
        "---\n"
        "name: 华东润滑油有限公司\n"
        "grade: A\n"
        "owner: 李娜\n"
        'phone: "021-61234567"\n'
        "email: wang.wei@huadong.cn\n"
        "address: 上海市浦东新区世纪大道100号\n"
        "industry: 润滑油分销\n"
        "notes: 喜欢喝龙井\n"
        "contacts:\n"
        "- name: 王伟\n"
        '  phone: "013812345678"\n'
        "  birthday: 1978-03-15\n"
        "---\n"
        "\n"
        "Imported from clients-gbk.csv (row 3).\n"
    )


def test_written_files_keep_leading_zeros_and_plus_and_validate(project: Path) -> None:
    plan = fixture_plan(project, "clients-gbk.csv")
    written = write_plan(load_project(project), plan)
    assert [p.path for p in written] == [p.path for p in plan.created]
    book = load_book(load_project(project))
    assert [p for p in book.problems if p.is_error] == []
    by_slug = book.by_slug()
    huadong = by_slug["huadong-runhuayou-youxiangongsi"]
    assert huadong.phone == "021-61234567"
    assert huadong.contacts[0].phone == "013812345678"
    assert huadong.contacts[0].birthday == Birthday(3, 15, 1978)
    beifang = by_slug["beifang-baozhuangcailiao-chang"]
    assert beifang.contacts[0].birthday == Birthday(6, 1)
    nanfang = by_slug["nanfang-dianxin-xitongjicheng"]
    assert nanfang.phone == "0755-2345 6789"
    # No contact on the row and the client has a phone: the mobile is kept under extra.
    assert nanfang.contacts == ()
    assert nanfang.extra == {"mobile": "+8613700000000"}
    assert nanfang.notes == "季度回访\n注意报价"
    assert "phone: \"0755-2345 6789\"" in plan.created[2].text


def test_gb18030_tab_separated_with_tags(project: Path) -> None:
    plan = fixture_plan(project, "clients-gb18030.csv")
    assert plan.info[0] == "encoding GB18030; delimiter tab; header on row 1"
    (created,) = plan.created
    assert created.name == "𠮷祥游乐设备"
    assert front(created.text)["tags"] == ["游乐", "华东"]
    assert front(created.text)["contacts"] == [{"name": "陈静", "phone": "0571-8888 1234"}]


def test_utf8_bom_semicolons_english_headers_and_default_grade(project: Path) -> None:
    plan = fixture_plan(project, "clients-bom.csv", default_grade="D")
    assert plan.info[0] == "encoding UTF-8 with BOM; delimiter semicolon; header on row 1"
    assert [(p.name, p.grade, p.grade_defaulted) for p in plan.created] == [
        ("Acme Trading Co.", "A", False), ("Blue Sky Parks", "D", True)]
    assert plan.defaulted == [plan.created[1]]
    assert plan.notes == []
    acme = front(plan.created[0].text)
    assert acme["stage"] == "customer"
    assert acme["contacts"] == [{"name": "John Smith", "phone": "+44 7700 900123"}]


def test_problem_rows_and_duplicates_within_the_file(project: Path) -> None:
    plan = fixture_plan(project, "clients-utf8.csv")
    assert [p.name for p in plan.created] == []
    assert reasons(plan) == [
        (2, "the rows of this client disagree (see row 3); not imported"),
        (3, "email is 'bob@delta.example' here but 'anna@delta.example' on row 2, a row of the same client: "
            "the rows of one client must agree on its columns (or leave them empty); correct one of them; "
            "if the column is each contact's own, import with --map contact_email=email"),
        (4, "phone '1.38123E+10' is in scientific notation: Excel stored the phone number as a number and "
            "lost digits; format the column as Text in Excel, retype or re-export, and import again"),
        (5, "likely duplicate: same phone 0571-1111 2222 as row 2; not imported"),
        (6, "grade 'VIP' is not one of A B C D E F"),
        (7, "the column for the client name is empty"),
        (8, "likely duplicate: same email anna@delta.example as row 2; not imported"),
    ]
    assert not plan.ok


def test_duplicates_of_existing_clients_are_reported_not_created(project: Path) -> None:
    write_client(project, "huadong", """
        ---
        name: 华东润滑油
        grade: A
        phone: "021-61234567"
        contacts:
          - name: 王伟
            email: wang@hd.example
        ---
        """)
    csv = ("客户名称,电话,邮箱\n"
           "华东润滑油有限公司,,\n"  # the same name, give or take the legal form
           "上海华东,+86 21 6123 4567,\n"  # the same phone, written differently
           "新客户,,WANG@HD.EXAMPLE\n"  # a contact's email, in other case
           "真的新客户,0571-1,\n")
    plan = plan_of(project, csv)
    assert [p.name for p in plan.created] == ["真的新客户"]
    assert reasons(plan) == [
        (2, "likely duplicate: same name as clients/huadong.md; not imported"),
        (3, "likely duplicate: same phone +86 21 6123 4567 as clients/huadong.md; not imported"),
        (4, "likely duplicate: same email WANG@HD.EXAMPLE as clients/huadong.md; not imported"),
    ]


def test_duplicates_of_a_client_file_with_errors_are_still_caught(project: Path) -> None:
    write_client(project, "broken", "---\nname: 坏文件客户\ngrade: Z\nphone: \"0571-1234567\"\n---\n")
    plan = plan_of(project, "客户名称,电话\n坏文件客户,\n别的名字,0571 1234567\n")
    assert plan.created == []
    assert reasons(plan) == [
        (2, "likely duplicate: same name as clients/broken.md; not imported"),
        (3, "likely duplicate: same phone 0571 1234567 as clients/broken.md; not imported"),
    ]


@pytest.mark.parametrize(("a", "b"), [("华东润滑油有限公司", "华东 润滑油"), ("Acme Trading Co., Ltd.", "ACME trading"),
                                      ("Müller GmbH", "Müller"), ("ＡＢＣ集团", "abc")])
def test_name_key_ignores_legal_form_width_and_punctuation(a: str, b: str) -> None:
    assert importer.name_key(a) == importer.name_key(b)


def test_name_key_keeps_different_names_apart() -> None:
    assert importer.name_key("华东润滑油") != importer.name_key("华东")
    assert importer.name_key("Acme (Shanghai)") != importer.name_key("Acme (Beijing)")
    assert importer.name_key("Costco") != importer.name_key("Cost")
    assert importer.name_key("Visa") == "visa"
    assert importer.name_key("Co") == "co"  # never empty


def test_repeated_name_with_another_contact_adds_the_contact(project: Path) -> None:
    csv = ("name,grade,phone,contact,contact_phone\n"
           "Acme,B,0571-88881234,Ann,0139\n"
           "Acme,,,Bob,0138\n"  # empty client columns: the same client
           "Acme,B,0571-88881234,Ann,0137\n"  # the same contact again
           "Acme,B,0571-88881234,,\n"  # no contact: the client's columns only
           "ａｃｍｅ ,B,0571 8888 1234,Cid,0136\n")  # the same name in full-width letters, the same phone
    plan = plan_of(project, csv)
    (acme,) = plan.created
    assert acme.numbers == [2, 3, 5, 6]
    assert plan.merged == [(3, "acme", "Bob"), (6, "acme", "Cid")]
    assert front(acme.text)["phone"] == "0571-88881234"
    assert front(acme.text)["contacts"] == [{"name": "Ann", "phone": "0139"}, {"name": "Bob", "phone": "0138"},
                                            {"name": "Cid", "phone": "0136"}]
    assert reasons(plan) == [(4, "contact Ann is on row 2 of this client already; not imported (delete the "
                                 "repeated row, or give each contact one row)")]


def test_client_columns_that_disagree_are_an_error_on_every_row_of_the_client(project: Path) -> None:
    csv = ("name,grade,owner,contact,extra.区域\n"
           "Acme,B,李娜,Ann,华东\n"
           "Acme,,李娜,Bob,\n"
           "Acme,A,王强,Cid,华南\n"  # grade, owner and region disagree
           "Other,B,李娜,Dan,\n")
    plan = plan_of(project, csv)
    assert [p.name for p in plan.created] == ["Other"]
    assert reasons(plan) == [
        (2, "the rows of this client disagree (see row 4); not imported"),
        (3, "the rows of this client disagree (see row 4); not imported"),
        (4, "; ".join(f"{what} here but {was} on row 2, a row of the same client: the rows of one client "
                      "must agree on its columns (or leave them empty); correct one of them"
                      for what, was in (("grade is 'A'", "'B'"), ("owner is '王强'", "'李娜'"),
                                        ("extra.区域 is '华南'", "'华东'")))),
    ]


def test_rows_with_one_slug_are_one_client_and_their_names_must_agree(project: Path) -> None:
    csv = ("slug,name,contact\n"
           "acme,Acme,Ann\n"
           "acme,,Bob\n"  # no name: a problem of its own
           ",Acme,Cid\n"  # no slug, the name of the client with slug acme
           "beta,Beta,Dan\n"
           "beta,Beta Ltd,Eve\n")
    plan = plan_of(project, csv)
    assert [(p.slug, p.numbers) for p in plan.created] == [("acme", [2, 4])]
    assert reasons(plan)[0] == (3, "the column for the client name is empty")
    assert reasons(plan)[2][0] == 6 and reasons(plan)[2][1].startswith(
        "name is 'Beta Ltd' here but 'Beta' on row 5")


def test_map_overrides_headers(project: Path) -> None:
    csv = "Firma,Ansprechpartner,Tel,联系电话\nMüller GmbH,Hans,089-1,0171-2\n"
    with pytest.raises(UsageError, match="no column for the client name"):
        plan_of(project, csv)
    plan = plan_of(project, csv, overrides={"name": "Firma", "contact": "Ansprechpartner",
                                            "contact_phone": "联系电话"})
    (created,) = plan.created
    data = front(created.text)
    assert data["name"] == "Müller GmbH"
    assert data["phone"] == "089-1"
    assert data["contacts"] == [{"name": "Hans", "phone": "0171-2"}]
    assert "extra" not in data


def test_unknown_columns_are_kept_under_extra(project: Path) -> None:
    plan = plan_of(project, "客户名称,来源,序号\n甲公司,展会,7\n")
    assert front(plan.created[0].text)["extra"] == {"来源": "展会"}
    assert plan.info[1] == "columns: 客户名称 -> name; 来源 -> extra.来源"


def test_strings_that_look_like_numbers_booleans_or_dates_stay_strings(project: Path) -> None:
    csv = ("name,owner,industry,address,notes,tags,website,来源\n"
           "0123,NO,1e3,12:30,2026-01-01,yes;007;on,true,off\n")
    plan = plan_of(project, csv)
    (created,) = plan.created
    client, problems = parse_client_text(created.text, created.path)
    assert problems == []
    assert (client.name, client.owner, client.industry, client.address, client.notes, client.website) == (
        "0123", "NO", "1e3", "12:30", "2026-01-01", "true")
    assert client.tags == ("yes", "007", "on")
    assert client.extra == {"来源": "off"}


def test_phones_are_always_double_quoted(project: Path) -> None:
    plan = plan_of(project, "name,phone,mobile,contact\nA,010 1234,+8613800000000,Ann\n")
    text = plan.created[0].text
    assert 'phone: "010 1234"' in text
    assert '  phone: "+8613800000000"' in text


def test_placeholders_are_empty_and_too_many_cells_is_a_problem(project: Path) -> None:
    plan = plan_of(project, "name,phone,email\nA,无,-\nB,010,b@x.example,surplus\n")
    assert front(plan.created[0].text) == {"name": "A", "grade": "C"}
    assert reasons(plan) == [(3, "the row has 4 cells but the header has 3: a value probably contains the "
                                 "delimiter; quote it or fix the row")]


def test_value_problems_are_reported_per_row(project: Path) -> None:
    csv = ("name,email,since,生日,stage,credit_limit,cadence,phone\n"
           "A,not-an-email,44927,,,,,\n"
           "B,,2026-02-30,13/13,,,,\n"
           "C,,,,maybe,lots,often,13812345678.0\n")
    plan = plan_of(project, csv)
    assert plan.created == []
    assert reasons(plan) == [
        (2, "email 'not-an-email' is not an email address; since '44927' is an Excel date serial number; "
            "format the column as a date (YYYY-MM-DD) in Excel and export again"),
        (3, "since '2026-02-30' is not a date; write it as YYYY-MM-DD; birthday '13/13' is not a date; "
            "write it as YYYY-MM-DD, or --MM-DD without the year"),
        (4, "stage 'maybe' is not one of prospect, customer, dormant, lost (or 潜在, 成交, 休眠, 流失); "
            "phone '13812345678.0' was saved as a number (it ends in .0); format the column as Text in "
            "Excel and export again; cadence 'often' is not a number of days (or 2w, 3m); credit limit "
            "'lots' is not an amount"),
    ]


def test_list_of_people_the_person_is_client_and_contact(project: Path) -> None:
    plan = plan_of(project, "姓名,手机,生日,等级\n张伟,13800001111,1980年5月3日,A级\n")
    data = front(plan.created[0].text)
    assert data == {"name": "张伟", "grade": "A",
                    "contacts": [{"name": "张伟", "phone": "13800001111", "birthday": dt.date(1980, 5, 3)}]}


def test_referred_by_names_and_slugs(project: Path) -> None:
    write_client(project, "old-friend", "---\nname: Old Friend\ngrade: A\n---\n")
    csv = ("name,referred_by\n"
           "New One,Old Friend\n"  # an existing client's name
           "New Two,old-friend\n"  # its slug
           "New Three,New One\n"  # a client from this very file
           "New Four,Nobody\n")
    plan = plan_of(project, csv)
    assert [(p.name, p.data["referred_by"]) for p in plan.created] == [
        ("New One", "old-friend"), ("New Two", "old-friend"), ("New Three", "new-one")]
    assert reasons(plan) == [(5, "referred_by 'Nobody' is not a client (neither an existing one nor one "
                                 "imported from this file); give the referrer's name or slug")]


def test_slug_column_is_used_and_a_taken_slug_gets_a_free_one(project: Path) -> None:
    write_client(project, "acme", "---\nname: Acme Old\ngrade: A\n---\n")
    plan = plan_of(project, "slug,name,referred_by\nacme,Acme New,\nbeta,Beta,acme\nNot A Slug,Gamma,\n")
    assert [(p.slug, p.data.get("referred_by")) for p in plan.created] == [("acme-2", None), ("beta", "acme-2")]
    assert plan.notes == ["row 2: slug 'acme' is taken; using 'acme-2'"]
    assert reasons(plan)[0][0] == 4


def test_no_name_column_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError) as exc:
        plan_of(project, "电话,地址\n010,北京\n")
    assert str(exc.value) == (
        "in.csv: no column for the client name (looked for 客户名称, 公司, 名称, name, company, ... in the "
        "first rows; the first row has: 电话, 地址); name it with --map name=COLUMN")


def test_map_is_for_csv_only(project: Path) -> None:
    with pytest.raises(UsageError, match="--map applies to CSV files only"):
        fixture_plan(project, "google-v3.vcf", overrides={"name": "FN"})


# -- vCards ---------------------------------------------------------------------------


def test_vcard_3_and_4_files(project: Path) -> None:
    iphone = fixture_plan(project, "iphone-v3.vcf")
    assert iphone.kind == "card"
    assert iphone.info == ["encoding UTF-8; 2 vCards (version 3.0)"]
    assert [p.name for p in iphone.created] == ["华东润滑油有限公司", "小明"]
    v4 = fixture_plan(project, "contacts-v4.vcf")
    assert v4.info == ["encoding UTF-8; 2 vCards (version 4.0)"]
    data = front(v4.created[0].text)
    assert data["contacts"] == [{"name": "陈静", "role": "总经理", "phone": "+86-139-0000-2222",
                                 "email": "chen.jing@jixiang.example", "birthday": dt.date(1985, 4, 12)}]
    assert data["phone"] == "0571-8888 1234"


def test_vcard_duplicates_and_cards_without_a_name(project: Path) -> None:
    plan = fixture_plan(project, "google-v3.vcf")
    (acme,) = plan.created
    assert acme.numbers == [1, 2]
    assert [c["name"] for c in front(acme.text)["contacts"]] == ["John Smith", "Mary Jones"]
    assert [(n, r.split(";")[0]) for n, r in reasons(plan)] == [
        (3, "contact John Smith is on card 1 of this client already"),
        (4, "the card has no name (no FN, N or ORG)"),
    ]


# -- validation and writing -------------------------------------------------------------


def test_every_planned_file_is_validated(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, rel_path: str):
        return None, [Problem(rel_path, 2, 7, ERROR, "grade: 'Z' is not one of A B C D E F", "bad-choice")]

    monkeypatch.setattr(importer, "parse_client_text", refuse)
    plan = plan_of(project, "name,contact\nAcme,Ann\nAcme,Bob\n")
    assert plan.created == [] and plan.merged == []
    assert reasons(plan) == [
        (2, "would not validate: grade: 'Z' is not one of A B C D E F"),
        (3, "a further contact of row 2, which cannot be imported"),
    ]


def test_write_never_overwrites_a_file_created_meanwhile(project: Path) -> None:
    plan = plan_of(project, "name\nAcme\nBeta\n")
    intruder = project / "clients" / "acme.md"
    intruder.write_text("---\nname: Someone else\ngrade: B\n---\n", encoding="utf-8")
    written = write_plan(load_project(project), plan)
    assert [p.slug for p in written] == ["beta"]
    assert intruder.read_text(encoding="utf-8") == "---\nname: Someone else\ngrade: B\n---\n"
    assert reasons(plan) == [(2, "clients/acme.md was created by someone else meanwhile; not overwritten")]
    assert (project / "clients" / "beta.md").read_text(encoding="utf-8").startswith("---\nname: Beta\n")
    leftovers = [p.name for p in (project / "clients").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_dry_run_plan_writes_nothing(project: Path) -> None:
    fixture_plan(project, "clients-gbk.csv")
    assert list((project / "clients").iterdir()) == []


# -- value helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "grade"), [("A级", "A"), ("a", "A"), ("B类", "B"), (" c ", "C"),
                                            ("Ｄ", "D"), ("grade e", "E"), ("F类客户", "F"), ("G", None),
                                            ("VIP", None), ("AB", None)])
def test_normalise_grade(raw: str, grade: str | None) -> None:
    assert normalise_grade(raw) == grade


@pytest.mark.parametrize(("raw", "stage"), [("潜在客户", "prospect"), ("已成交", "customer"),
                                            ("Customer", "customer"), ("休眠", "dormant"), ("流失", "lost"),
                                            ("maybe", None)])
def test_normalise_stage(raw: str, stage: str | None) -> None:
    assert normalise_stage(raw) == stage


@pytest.mark.parametrize(("raw", "value"), [
    ("1980-05-03", dt.date(1980, 5, 3)), ("1980/5/3", dt.date(1980, 5, 3)), ("19800503", dt.date(1980, 5, 3)),
    ("1980年5月3日", dt.date(1980, 5, 3)), ("--05-03", "--05-03"), ("--0503", "--05-03"),
    ("5月3日", "--05-03"), ("05-03", "--05-03"), ("02-30", None), ("1980-02-30", None), ("soon", None)])
def test_parse_birthday(raw: str, value) -> None:
    assert parse_birthday(raw) == value


def test_parse_number_cadence_and_tags() -> None:
    assert parse_number("¥50,000") == 50000
    assert parse_number("5万") == 50000
    assert parse_number("1234.5元") == 1234.5
    assert parse_number("-5") is None
    assert parse_cadence("14") == 14
    assert parse_cadence("2w") == "2w"
    assert parse_cadence("30天") == 30
    assert parse_cadence("3个月") == "3m"
    assert parse_cadence("0") is None
    assert split_tags("华东、分销；重点, 华东|VIP") == ["华东", "分销", "重点", "VIP"]


# -- property: whatever text a cell holds, the new file gives it back -------------------

# YAML normalises line breaks (\r, NEL, LS, PS) and cannot hold most control characters.
CELL_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029\ufeff")
    | st.sampled_from("\n\t"),
    min_size=1, max_size=40,
).map(str.strip).filter(bool)


# An owner names pages and calendars: one line (a cell with a line break is refused, below).
OWNER_TEXT = CELL_TEXT.filter(lambda text: "\n" not in text and "\t" not in text)


@settings(max_examples=50, deadline=None)
@given(owner=OWNER_TEXT, notes=CELL_TEXT, phone=st.from_regex(r"\A\+?0?[0-9 ()-]{1,15}\Z"),
       tags=st.lists(CELL_TEXT, max_size=3, unique=True))
def test_any_cell_text_survives_the_new_file(owner: str, notes: str, phone: str, tags: list[str]) -> None:
    front_matter = {"name": "X", "grade": "A", "owner": owner, "notes": notes,
                    "phone": importer.Quoted(phone), "tags": tags}
    text = importer.render_client(front_matter, "in.csv", "row", [2])
    client, problems = parse_client_text(text, "clients/x.md")
    assert [p for p in problems if p.is_error] == [], text
    assert (client.owner, client.notes, client.phone, client.tags) == (owner, notes, phone, tuple(tags))



def test_an_owner_cell_on_two_lines_is_refused_not_written(project: Path) -> None:
    plan = plan_of(project, '名称,等级,业务员\n甲公司,A,"王磊\n李娜"\n乙公司,B,王磊\n')
    assert [p.name for p in plan.created] == ["乙公司"]
    [(number, why)] = reasons(plan)
    assert number == 2 and "would not validate: owner: must be one line" in why
