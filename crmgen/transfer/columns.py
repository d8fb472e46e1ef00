"""Spreadsheet headers to client fields, in English and Chinese.

A header is normalised (NFKC, case-folded, spaces, ``_ - . / *`` and any
parenthesised remark dropped) and looked up in :data:`SYNONYMS`. The canonical
field names are also what ``crmgen export --format csv`` writes, so an export
always maps back onto itself.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crmgen.format.errors import UsageError

# The client's id (its file name): exported so that a re-import keeps slugs and referrals.
ID_FIELDS = ("slug",)
# Fields of the client itself, in the order they are written to a file and to a CSV export.
CLIENT_FIELDS = (
    "name", "grade", "stage", "owner", "tags", "phone", "email", "address", "website",
    "industry", "since", "cadence", "referred_by", "credit_limit", "notes",
)
# Fields of the one contact a row can carry.
CONTACT_FIELDS = (
    "contact", "contact_role", "contact_phone", "contact_email", "contact_birthday",
    "contact_left", "contact_notes",
)
# A mobile number goes to the row's contact, or to the client when the row names no contact.
OTHER_FIELDS = ("mobile",)
FIELDS = ID_FIELDS + CLIENT_FIELDS + CONTACT_FIELDS + OTHER_FIELDS

# Columns that carry no data worth keeping (Excel row numbers).
IGNORED = frozenset({"序号", "no", "#", "行号", "序"})

SYNONYMS: dict[str, tuple[str, ...]] = {
    "slug": ("clientslug", "文件名"),
    "name": ("client", "clientname", "customer", "customername", "company", "companyname",
             "organization", "organisation", "org", "account", "accountname", "organizationname",
             "organization1name",
             "客户名称", "客户", "客户名", "客户全称", "公司", "公司名称", "名称", "单位", "单位名称",
             "企业", "企业名称", "商户名称", "门店名称"),
    "grade": ("level", "rating", "class", "等级", "客户等级", "级别", "客户级别", "分级", "客户分级",
              "客户类别"),
    "stage": ("status", "阶段", "状态", "客户状态", "客户阶段", "销售阶段", "跟进阶段"),
    "owner": ("salesperson", "salesrep", "rep", "accountowner", "sales", "负责人", "业务员", "销售",
              "销售员", "跟进人", "所属销售", "归属人", "客户经理", "业务负责人"),
    "tags": ("tag", "labels", "label", "categories", "category", "标签", "分类", "客户标签"),
    "phone": ("tel", "telephone", "phonenumber", "officephone", "workphone", "businessphone",
              "companyphone", "primaryphone", "phone1value", "电话", "电话号码",
              "座机", "固话", "固定电话", "办公电话", "联系电话", "公司电话"),
    "email": ("mail", "emailaddress", "email1value", "邮箱", "电子邮箱", "电子邮件", "邮件", "邮箱地址"),
    "address": ("addr", "streetaddress", "地址", "公司地址", "详细地址", "通讯地址", "联系地址",
                "所在地", "办公地址"),
    "website": ("web", "url", "site", "homepage", "网站", "网址", "官网", "主页"),
    "industry": ("sector", "行业", "所属行业", "行业类别", "行业分类"),
    "since": ("firstdeal", "customersince", "首次成交", "首次合作", "合作时间", "成交日期",
              "首次成交日期", "合作日期"),
    "cadence": ("contactevery", "联系周期", "回访周期", "拜访周期"),
    "referred_by": ("referredby", "referrer", "referral", "referredfrom", "介绍人", "推荐人",
                    "转介绍", "转介绍人"),
    "credit_limit": ("creditlimit", "credit", "信用额度", "授信额度", "额度"),
    "notes": ("note", "remark", "remarks", "comment", "comments", "memo", "description", "备注",
              "说明", "描述", "客户备注"),
    "contact": ("contactname", "contactperson", "person", "联系人", "联系人姓名", "对接人",
                "联系人名称"),
    "contact_role": ("contactrole", "role", "title", "jobtitle", "position", "organizationtitle",
                     "organization1title", "职务", "职位", "岗位",
                     "头衔", "联系人职务"),
    "contact_phone": ("contactphone", "联系人电话", "联系人手机"),
    "contact_email": ("contactemail", "联系人邮箱"),
    "contact_birthday": ("contactbirthday", "birthday", "birthdate", "dateofbirth", "dob", "bday",
                         "生日", "出生日期", "联系人生日"),
    "contact_left": ("contactleft", "left", "离职", "离职日期"),
    "contact_notes": ("contactnotes", "联系人备注"),
    "mobile": ("cell", "cellphone", "mobilephone", "mobilenumber", "手机", "手机号", "手机号码",
               "移动电话"),
}
# Traditional Chinese headers (Excel in Taiwan and Hong Kong).
_TRADITIONAL = {
    "name": ("客戶名稱", "客戶", "公司名稱", "單位名稱"),
    "contact": ("聯絡人", "聯繫人"),
    "phone": ("電話", "聯絡電話", "公司電話"),
    "mobile": ("手機", "手機號碼", "行動電話"),
    "email": ("郵箱", "電子郵件", "電郵"),
    "address": ("地址", "公司地址"),
    "industry": ("行業",),
    "grade": ("等級", "客戶等級", "級別"),
    "owner": ("負責人", "業務員", "業務"),
    "notes": ("備註", "備注"),
    "tags": ("標籤",),
    "website": ("網站", "網址"),
    "contact_role": ("職務", "職位", "職稱"),
    "stage": ("階段", "狀態"),
}
for _field, _names in _TRADITIONAL.items():
    SYNONYMS[_field] = SYNONYMS[_field] + _names
# A person's name is the client when the sheet has no company column (an insurance
# agent's list of people), and the contact when it has one.
PERSON_NAME = ("姓名", "fullname", "personname", "名字")


def normalise_header(text: str) -> str:
    """The lookup key of a header: ``客户名称（必填）`` and ``客户名称`` are the same column."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", text)
    return re.sub(r"[\s_\-./*:：]+", "", text)


_LOOKUP: dict[str, str] = {}
for _field, _names in SYNONYMS.items():
    for _name in (_field, *_names):
        _LOOKUP[normalise_header(_name)] = _field
_PERSON = {normalise_header(n) for n in PERSON_NAME}


@dataclass
class ColumnMap:
    """Which column holds which field; everything else is kept under ``extra``."""

    headers: list[str]
    fields: dict[str, int] = field(default_factory=dict)  # field -> column index
    extra: dict[int, str] = field(default_factory=dict)  # column index -> extra key
    ignored: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the user should know about the mapping

    def describe(self) -> list[str]:
        """``客户名称 -> name`` lines, in column order."""
        by_column = {i: f for f, i in self.fields.items()}
        out = []
        for i, header in enumerate(self.headers):
            if i in by_column:
                out.append(f"{header} -> {by_column[i]}")
            elif i in self.extra:
                out.append(f"{header} -> extra.{self.extra[i]}")
        return out


def field_of(header: str) -> str | None:
    """The field a header names, or None (person-name columns are decided by :func:`map_columns`)."""
    key = normalise_header(header)
    if key.startswith("extra") and len(key) > 5:
        return None
    return _LOOKUP.get(key)


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    """``--map FIELD=COLUMN`` options to a dict; an empty COLUMN means 'do not import FIELD'."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--map {item!r}: write it as FIELD=COLUMN, e.g. --map name=客户全称")
        name, column = (part.strip() for part in item.split("=", 1))
        key = name.lower().replace("-", "_")
        if key not in FIELDS:
            hint = difflib.get_close_matches(key, FIELDS, n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise UsageError(f"--map {item!r}: unknown field '{name}'{did}; fields: {', '.join(FIELDS)}")
        out[key] = column
    return out


def _extra_key(header: str) -> str:
    header = header.strip()
    if header.lower().startswith("extra.") and len(header) > 6:
        return header[6:]
    return header


def map_columns(headers: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnMap:
    """Map a header row to fields: ``--map`` overrides first, then synonyms, the rest to ``extra``."""
    overrides = overrides or {}
    cmap = ColumnMap(headers=list(headers))
    taken: set[int] = set()
    for fld, column in overrides.items():
        if column == "":
            continue
        index = _find_column(headers, column)
        if index is None:
            shown = ", ".join(h for h in headers if h.strip()) or "(none)"
            raise UsageError(f"--map {fld}={column}: no column '{column}' in the header; "
                             f"the columns are: {shown}")
        cmap.fields[fld] = index
        taken.add(index)
    person_columns: list[int] = []
    for i, header in enumerate(headers):
        if i in taken:
            continue
        key = normalise_header(header)
        if not key:
            cmap.ignored.append(i)
            continue
        if key in IGNORED:
            cmap.ignored.append(i)
            continue
        if key in _PERSON:
            person_columns.append(i)
            continue
        found = field_of(header)
        if found is None or found in overrides:
            cmap.extra[i] = _extra_key(header)
            continue
        fld = found
        if fld in cmap.fields:
            first = headers[cmap.fields[fld]]
            cmap.extra[i] = _extra_key(header)
            cmap.notes.append(f"columns '{first}' and '{header}' both look like {fld}; used '{first}' "
                              f"and kept '{header}' under extra (choose with --map {fld}=COLUMN)")
            continue
        cmap.fields[fld] = i
    for i in person_columns:
        # 姓名 is the client's name in a list of people, the contact's next to a company column.
        fld = "contact" if "name" in cmap.fields or "name" in overrides else "name"
        if fld in cmap.fields or fld in overrides:
            cmap.extra[i] = _extra_key(headers[i])
        else:
            cmap.fields[fld] = i
    return cmap


def _find_column(headers: Sequence[str], column: str) -> int | None:
    for i, header in enumerate(headers):
        if header.strip() == column.strip():
            return i
    wanted = normalise_header(column)
    for i, header in enumerate(headers):
        if normalise_header(header) == wanted:
            return i
    return None
