"""A sheet of people (one row per contact) as Excel in China saves it, through the real CLI.

tests/data/import/people-gbk.csv and people-bom.csv are the same sheet, GBK and UTF-8 with a
BOM, CRLF line ends, a 序号 column: two contacts of 杭州鸿运五金, three of 宁波海天机械 (the third
with a phone Excel turned into 1.39067E+10) and two of 温州东方电器 whose 负责人 disagree (the
second row writes the name with a full-width space).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parent / "data" / "import"
SHEETS = ["people-gbk.csv", "people-bom.csv"]
COMMAND = [exe] if (exe := shutil.which("crmgen")) else [sys.executable, "-m", "crmgen"]
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}


def crmgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], cwd=root, capture_output=True, text=True, encoding="utf-8",
                          env=ENV)


def shell(root: Path, line: str) -> subprocess.CompletedProcess[str]:
    """A command line as the README writes it, run by a real shell."""
    path = os.pathsep.join([str(Path(COMMAND[0]).parent), ENV.get("PATH", "")])
    return subprocess.run(["sh", "-c", line], cwd=root, capture_output=True, text=True, encoding="utf-8",
                          env={**ENV, "PATH": path})


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def sheet_in(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(DATA / name, target)
    return target


BAD = [
    ":6: error: 宁波海天机械: mobile '1.39067E+10' is in scientific notation: Excel stored the phone "
    "number as a number and lost digits; format the column as Text in Excel, retype or re-export, and "
    "import again",
    ":7: error: 温州东方电器: the rows of this client disagree (see row 8); not imported",
    ":8: error: 温州　东方电器: 负责人 (owner) is '王强' here but '张敏' on row 7, a row of the same client: the "
    "rows of one client must agree on its columns (or leave them empty); correct one of them",
]


@pytest.mark.parametrize("name", SHEETS)
def test_a_sheet_of_people_is_grouped_by_client_and_bad_rows_are_named(project: Path, tmp_path: Path,
                                                                        name: str) -> None:
    sheet = sheet_in(tmp_path, name)
    dry = crmgen(project, "import", str(sheet))
    assert dry.returncode == 1, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[2:7] == [
        "",
        "Would create 2 clients:",
        "  ROW  SLUG                                  NAME                  OWNER  GRADE  PATH",
        "  2,3  hangzhou-hongyun-wujin-youxiangongsi  杭州鸿运五金有限公司  张敏   A      "
        "clients/hangzhou-hongyun-wujin-youxiangongsi.md",
        "  4,5  ningbo-haitian-jixie                  宁波海天机械          李娜   B      "
        "clients/ningbo-haitian-jixie.md",
    ]
    assert [line for line in lines if ": error: " in line] == [f"{sheet}{bad}" for bad in BAD]
    assert dry.stderr == "crmgen: 3 rows not imported\n"
    assert list((project / "clients").iterdir()) == []


def test_the_readme_pair_writes_only_a_clean_sheet_and_skip_bad_rows_writes_the_good_clients(
        project: Path, tmp_path: Path) -> None:
    sheet = sheet_in(tmp_path, "people-gbk.csv")
    # README: look first, then write. A bad row stops the pair before anything is written...
    pair = shell(project, f"crmgen import {sheet} && crmgen import {sheet} --write")
    assert pair.returncode == 1
    assert pair.stdout.count("Would create 2 clients:") == 1 and "Created" not in pair.stdout
    assert "or run again with --write --skip-bad-rows to create the 2 clients without them." in pair.stdout
    assert list((project / "clients").iterdir()) == []
    # ... and --write alone, asked to write a sheet with bad rows, writes nothing either.
    alone = crmgen(project, "import", str(sheet), "--write")
    assert alone.returncode == 1
    assert "Nothing written: 3 rows cannot be imported." in alone.stdout
    assert list((project / "clients").iterdir()) == []
    # With --skip-bad-rows the bad rows are reported and the good clients written.
    skip = shell(project, f"crmgen import {sheet} --skip-bad-rows && crmgen import {sheet} --skip-bad-rows --write")
    assert skip.returncode == 0, skip.stdout + skip.stderr
    assert skip.stderr == "crmgen: skipped 3 rows\ncrmgen: skipped 3 rows\n"
    assert [line for line in skip.stdout.splitlines() if ": warning: " in line] == [
        f"{sheet}{bad.replace(': error: ', ': warning: ')}" for bad in BAD] * 2
    assert sorted(p.name for p in (project / "clients").iterdir()) == [
        "hangzhou-hongyun-wujin-youxiangongsi.md", "ningbo-haitian-jixie.md"]
    assert front(project / "clients" / "hangzhou-hongyun-wujin-youxiangongsi.md") == {
        "name": "杭州鸿运五金有限公司", "grade": "A", "owner": "张敏", "address": "杭州市余杭区文一西路100号",
        "notes": "老客户",
        "contacts": [
            {"name": "陈建国", "role": "总经理", "phone": "13805710001", "email": "chen@hongyun.cn"},
            {"name": "刘芳", "role": "采购主管", "phone": "13805710002", "email": "liufang@hongyun.cn"},
        ]}
    assert front(project / "clients" / "ningbo-haitian-jixie.md")["contacts"] == [
        {"name": "王强", "role": "厂长", "phone": "13906740001", "email": "wq@haitian.com"},
        {"name": "赵丽", "role": "财务", "phone": "13906740002"},
    ]
    assert crmgen(project, "check").returncode == 0
    # The skipped rows, corrected, are then duplicates of nothing but their own clients: a
    # second import of the whole sheet writes nothing new.
    again = crmgen(project, "import", str(sheet), "--skip-bad-rows", "--write")
    assert "Created no clients." in again.stdout


def test_the_map_fix_makes_a_column_the_contacts_or_the_clients(project: Path, tmp_path: Path) -> None:
    sheet = sheet_in(tmp_path, "people-bom.csv")
    contacts = crmgen(project, "import", str(sheet), "--map", "contact_email=邮箱", "--skip-bad-rows",
                      "--write")
    assert contacts.returncode == 0, contacts.stdout
    assert "邮箱 -> contact_email" in contacts.stdout
    assert "is not repeated on every row" not in contacts.stdout
    hong = front(project / "clients" / "hangzhou-hongyun-wujin-youxiangongsi.md")
    assert "email" not in hong
    assert [c["email"] for c in hong["contacts"]] == ["chen@hongyun.cn", "liufang@hongyun.cn"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "mkdocs.yml").write_text("site_name: T\n", encoding="utf-8")
    client = crmgen(other, "import", str(sheet), "--map", "email=邮箱")
    assert client.returncode == 1
    assert (f"{sheet}:3: error: 杭州鸿运五金有限公司: 邮箱 (email) is 'liufang@hongyun.cn' here but "
            "'chen@hongyun.cn' on row 2, a row of the same client") in client.stdout


def test_export_of_grouped_clients_imports_back_to_the_same_clients(project: Path, tmp_path: Path) -> None:
    sheet = sheet_in(tmp_path, "people-gbk.csv")
    assert crmgen(project, "import", str(sheet), "--skip-bad-rows", "--write").returncode == 0
    (project / "clients" / "ningbo-haitian-jixie.md").write_text(
        (project / "clients" / "ningbo-haitian-jixie.md").read_text(encoding="utf-8").replace(
            "owner: 李娜\n", "owner: 李娜\nphone: \"0574-86801234\"\nextra:\n  区域: 华东\n  年采购额: 120000\n"),
        encoding="utf-8")
    exported = tmp_path / "export.csv"
    assert crmgen(project, "export", "--format", "csv", "-o", str(exported)).returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "mkdocs.yml").write_text("site_name: T\n", encoding="utf-8")
    back = crmgen(other, "import", str(exported), "--write")
    assert back.returncode == 0, back.stdout
    for path in sorted((project / "clients").iterdir()):
        assert front(other / "clients" / path.name) == {"stage": "prospect", **front(path)}
    assert front(other / "clients" / "ningbo-haitian-jixie.md")["extra"] == {"区域": "华东", "年采购额": 120000}
