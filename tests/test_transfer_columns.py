"""Header mapping for imports: Chinese and English synonyms, --map overrides."""

from __future__ import annotations

import pytest

from crmgen.format.errors import UsageError
from crmgen.transfer.columns import field_of, map_columns, normalise_header, parse_overrides


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("客户名称", "name"), ("公司", "name"), ("名称", "name"), ("Company Name", "name"), ("name", "name"),
        ("联系人", "contact"), ("电话", "phone"), ("手机", "mobile"), ("手机号码", "mobile"),
        ("地址", "address"), ("邮箱", "email"), ("E-mail", "email"), ("行业", "industry"),
        ("等级", "grade"), ("负责人", "owner"), ("生日", "contact_birthday"), ("备注", "notes"),
        ("阶段", "stage"), ("标签", "tags"), ("网站", "website"), ("职务", "contact_role"),
        ("contact_phone", "contact_phone"), ("客户名称（必填）", "name"), (" 电 话 ", "phone"),
        ("ＥＭＡＩＬ", "email"), ("介绍人", "referred_by"), ("slug", "slug"),
        ("Business Phone", "phone"), ("E-mail Address", "email"), ("Job Title", "contact_role"),
        ("Organization 1 - Name", "name"), ("客戶名稱", "name"), ("聯絡人", "contact"), ("電話", "phone"), ("備註", "notes"),
    ],
)
def test_synonyms(header: str, field: str) -> None:
    assert field_of(header) == field


def test_unknown_header_is_none_and_extra_prefix_is_not_a_field() -> None:
    assert field_of("来源") is None
    assert field_of("extra.phone") is None


def test_normalise_header_drops_remarks_and_punctuation() -> None:
    assert normalise_header("Contact_Phone (mobile)") == "contactphone"
    assert normalise_header("客户名称*：") == "客户名称"


def test_map_columns_chinese_sheet_with_row_numbers_and_unknown_columns() -> None:
    cmap = map_columns(["序号", "客户名称", "联系人", "手机", "来源", ""])
    assert cmap.fields == {"name": 1, "contact": 2, "mobile": 3}
    assert cmap.extra == {4: "来源"}
    assert cmap.ignored == [0, 5]
    assert cmap.describe() == ["客户名称 -> name", "联系人 -> contact", "手机 -> mobile", "来源 -> extra.来源"]


def test_person_name_is_the_client_without_a_company_column() -> None:
    assert map_columns(["姓名", "手机", "生日"]).fields == {"name": 0, "mobile": 1, "contact_birthday": 2}
    assert map_columns(["公司", "姓名", "手机"]).fields == {"name": 0, "contact": 1, "mobile": 2}


def test_second_column_for_the_same_field_is_kept_under_extra_with_a_note() -> None:
    cmap = map_columns(["客户名称", "电话", "联系电话"])
    assert cmap.fields == {"name": 0, "phone": 1}
    assert cmap.extra == {2: "联系电话"}
    assert cmap.notes == ["columns '电话' and '联系电话' both look like phone; used '电话' and kept '联系电话' "
                          "under extra (choose with --map phone=COLUMN)"]


def test_overrides_win_and_the_displaced_column_goes_to_extra() -> None:
    cmap = map_columns(["客户名称", "电话", "联系电话"], parse_overrides(["phone=联系电话"]))
    assert cmap.fields == {"phone": 2, "name": 0}
    assert cmap.extra == {1: "电话"}


def test_override_to_a_missing_column_is_a_usage_error_listing_the_columns() -> None:
    with pytest.raises(UsageError) as exc:
        map_columns(["客户名称", "电话"], {"email": "邮箱"})
    assert str(exc.value) == "--map email=邮箱: no column '邮箱' in the header; the columns are: 客户名称, 电话"


def test_parse_overrides_errors() -> None:
    with pytest.raises(UsageError, match="write it as FIELD=COLUMN"):
        parse_overrides(["name"])
    with pytest.raises(UsageError, match="unknown field 'phnoe' \\(did you mean 'phone'\\?\\)"):
        parse_overrides(["phnoe=电话"])
    assert parse_overrides(["Contact-Phone=手机", "notes="]) == {"contact_phone": "手机", "notes": ""}
