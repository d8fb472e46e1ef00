"""``crmgen import`` and ``crmgen export`` as people and scripts run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from crmgen.cli import main
from tests.conftest import write_client

DATA = Path(__file__).parent / "data" / "import"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args])


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "clients").iterdir())}


def gbk_sheet(tmp_path: Path) -> Path:
    path = tmp_path / "客户.csv"
    text = ("客户名称,联系人,手机,等级,负责人\r\n"
            "华东润滑油,王伟,013812345678,A级,李娜\r\n"
            "北方包装,,1.38123E+10,,王强\r\n"
            "Acme Trading,Ann,+44 7700 900123,,\r\n")
    path.write_bytes(text.encode("gbk"))
    return path


def test_import_dry_run_table_and_problems(project: Path, tmp_path: Path) -> None:
    sheet = gbk_sheet(tmp_path)
    result = run(project, "import", str(sheet))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{sheet}: encoding GBK; delimiter comma; header on row 1",
        "  columns: 客户名称 -> name; 联系人 -> contact; 手机 -> mobile; 等级 -> grade; 负责人 -> owner",
        "",
        "Would create 2 clients:",
        "  ROW  SLUG               NAME          OWNER  GRADE  PATH",
        "  2    huadong-runhuayou  华东润滑油    李娜   A      clients/huadong-runhuayou.md",
        "  4    acme-trading       Acme Trading  -      C*     clients/acme-trading.md",
        "",
        "Cannot import 1 row:",
        f"{sheet}:3: error: 北方包装: mobile '1.38123E+10' is in scientific notation: Excel stored the phone "
        "number as a number and lost digits; format the column as Text in Excel, retype or re-export, and "
        "import again",
        "",
        "Note: 1 of 2 clients had no grade and got C (marked *; change it with --grade).",
        "",
        "Dry run: nothing written. Correct the rows above and run again, or run again with --write "
        "--skip-bad-rows to create the 2 clients without them.",
    ]
    assert result.stderr == "crmgen: 1 row not imported\n"
    assert snapshot(project) == {}


def test_import_write_then_again_reports_duplicates_and_changes_nothing(project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "ok.csv"
    sheet.write_text("客户名称,联系人,手机\n华东润滑油,王伟,013812345678\n", encoding="utf-8-sig")
    first = run(project, "import", str(sheet), "--write", "--grade", "b")
    assert first.exit_code == 0, first.output
    assert "Created 1 client:" in first.stdout
    assert "Dry run" not in first.stdout
    assert first.stderr == ""
    written = snapshot(project)
    assert written["huadong-runhuayou.md"].decode("utf-8") == (
        "---\nname: 华东润滑油\ngrade: B\ncontacts:\n- name: 王伟\n  phone: \"013812345678\"\n---\n\n"
        "Imported from ok.csv (row 2).\n")
    assert run(project, "check").exit_code == 0

    again = run(project, "import", str(sheet), "--write")
    assert again.exit_code == 1
    assert again.stdout.splitlines()[3:7] == [
        "Would create no clients.",
        "",
        "Cannot import 1 row:",
        f"{sheet}:2: error: 华东润滑油: likely duplicate: same name as clients/huadong-runhuayou.md; "
        "not imported",
    ]
    assert snapshot(project) == written


def test_import_map_option_and_usage_errors(project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "odd.csv"
    sheet.write_text("Firma;Telefon\nMüller GmbH;089 1234\n", encoding="utf-8")
    assert run(project, "import", str(sheet)).exit_code == 2
    result = run(project, "import", str(sheet), "--map", "name=Firma", "--map", "phone=Telefon")
    assert result.exit_code == 0, result.output
    assert "  columns: Firma -> name; Telefon -> phone" in result.stdout
    bad = run(project, "import", str(sheet), "--map", "nmae=Firma")
    assert bad.exit_code == 2
    assert bad.stderr == ("crmgen: error: --map 'nmae=Firma': unknown field 'nmae' (did you mean 'name'?); "
                          "fields: slug, name, grade, stage, owner, tags, phone, email, address, website, "
                          "industry, since, cadence, referred_by, credit_limit, notes, contact, contact_role, "
                          "contact_phone, contact_email, contact_birthday, contact_left, contact_notes, "
                          "mobile\n")
    missing = run(project, "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr


def test_import_vcards_v3_and_v4(project: Path) -> None:
    v3 = run(project, "import", str(DATA / "iphone-v3.vcf"), "--write")
    assert v3.exit_code == 0, v3.output
    v4 = run(project, "import", str(DATA / "contacts-v4.vcf"), "--write")
    assert v4.exit_code == 0, v4.output
    assert "  CARD  SLUG" in v4.stdout
    assert sorted(snapshot(project)) == ["huadong-runhuayou-youxiangongsi.md", "jixiang-youle-shebei.md",
                                         "li-lei.md", "xiaoming.md"]
    check = run(project, "check", "--strict")
    assert check.exit_code == 0, check.stderr


def test_export_formats_and_owner(project: Path, tmp_path: Path) -> None:
    write_client(project, "a", "---\nname: 甲\ngrade: A\nowner: 李娜\ncontacts:\n  - name: 王伟\n"
                               "    phone: \"0138\"\n---\n")
    write_client(project, "b", "---\nname: B Co\ngrade: B\nowner: Wang\n---\n")
    csv_out = run(project, "export", "--format", "csv")
    assert csv_out.exit_code == 0
    assert csv_out.stdout_bytes.startswith(b"\xef\xbb\xbfslug,name,grade,")
    lines = csv_out.stdout_bytes.decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines] == ["slug", "a", "b"]
    gb = run(project, "export", "--format", "csv", "--encoding", "gb18030", "--owner", "李娜")
    assert gb.stdout_bytes.decode("gb18030").splitlines()[1].startswith("a,甲,A,prospect,李娜,")
    data = json.loads(run(project, "export", "--format", "json", "--owner", "wang").stdout)
    assert [c["slug"] for c in data] == ["b"]
    vcf = run(project, "export", "--format", "vcf").stdout
    assert vcf.count("BEGIN:VCARD") == 2 and "FN:王伟" in vcf and "KIND:org" in vcf
    none = run(project, "export", "--format", "json", "--owner", "Nobody")  # a typo is not "no clients"
    assert none.exit_code == 2
    assert none.stdout == ""
    assert none.stderr == "crmgen: error: no clients with owner 'Nobody' (owners: Wang, 李娜)\n"


def test_export_to_file_and_usage_errors(project: Path, tmp_path: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\n---\n")
    out = tmp_path / "clients.vcf"
    result = run(project, "export", "--format", "vcf", "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"wrote 1 client to {out}\n"
    assert out.read_bytes().startswith(b"BEGIN:VCARD\r\nVERSION:4.0\r\n")
    bad = run(project, "export", "--format", "json", "--encoding", "gb18030")
    assert bad.exit_code == 2
    assert bad.stderr == "crmgen: error: --encoding applies to --format csv only (json is always UTF-8)\n"
    assert run(project, "export").exit_code == 2


def test_export_leaves_out_broken_files_and_exits_1(project: Path) -> None:
    write_client(project, "a", "---\nname: A\ngrade: A\n---\n")
    write_client(project, "b", "---\nname: B\ngrade: Z\n---\n")
    result = run(project, "export", "--format", "json")
    assert result.exit_code == 1
    assert [c["slug"] for c in json.loads(result.stdout)] == ["a"]
    assert result.stderr == ("crmgen: error: left out 1 file with errors: clients/b.md; "
                             "run 'crmgen check' to see why\n")


def test_real_process_import_gbk_then_export(project: Path, tmp_path: Path) -> None:
    sheet = gbk_sheet(tmp_path)
    exe = shutil.which("crmgen")
    command = [exe] if exe else [sys.executable, "-m", "crmgen"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([*command, "import", str(sheet), "--write"], cwd=project, capture_output=True,
                          env=env)
    assert proc.returncode == 1  # row 3 has a phone in scientific notation: nothing written
    assert proc.stderr.decode("utf-8") == "crmgen: 1 row not imported\n"
    assert list((project / "clients").iterdir()) == []
    proc = subprocess.run([*command, "import", str(sheet), "--write", "--skip-bad-rows"], cwd=project,
                          capture_output=True, env=env)
    assert proc.returncode == 0
    assert proc.stderr.decode("utf-8") == "crmgen: skipped 1 row\n"
    assert f"{sheet}:3: warning: 北方包装: mobile '1.38123E+10'" in proc.stdout.decode("utf-8")
    assert "Created 2 clients:" in proc.stdout.decode("utf-8")
    out = subprocess.run([*command, "export", "--format", "csv"], cwd=project, capture_output=True, env=env)
    assert out.returncode == 0
    rows = out.stdout.decode("utf-8-sig").splitlines()
    assert rows[1].startswith("acme-trading,Acme Trading,C,prospect,,,")
    assert ",王伟,,'013812345678," in rows[2]  # the ' keeps the leading zero in a spreadsheet


def test_csv_export_cells_are_never_formulas_and_import_gives_them_back(project: Path, tmp_path: Path) -> None:
    """OWASP's CSV injection: a cell starting with = + - @ tab or CR is written with a leading '."""
    import csv
    import io

    write_client(project, "evil", '---\nname: "=HYPERLINK(\\"http://x.example\\",\\"点我\\")"\ngrade: B\n'
                                  'owner: "@boss"\nphone: "+86 138 0013 8000"\nnotes: "-2+3 is not a sum"\n'
                                  "tags: [\"+vip\", plain]\n---\n")
    out = tmp_path / "clients.csv"
    assert run(project, "export", "--format", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row, strict=True))
    assert cells["name"].startswith("'=HYPERLINK(") and cells["owner"] == "'@boss"
    assert cells["phone"] == "'+86 138 0013 8000" and cells["notes"] == "'-2+3 is not a sum"
    assert all(not cell or cell[0] not in "=+-@\t\r" for r in rows for cell in r)  # nothing a spreadsheet runs
    # and importing the export gives the values back as they were
    other = tmp_path / "other"
    (other / "clients").mkdir(parents=True)
    (other / "mkdocs.yml").write_text("site_name: T\n", encoding="utf-8")
    done = run(other, "import", str(out), "--write")
    assert done.exit_code == 0, done.output
    from crmgen.load.book import load_book
    from crmgen.load.project import load_project

    [client] = load_book(load_project(other)).clients
    assert client.name == '=HYPERLINK("http://x.example","点我")' and client.owner == "@boss"
    assert client.phone == "+86 138 0013 8000" and client.notes == "-2+3 is not a sum"
    assert "+vip" in client.tags


def test_a_negative_number_is_left_as_a_number() -> None:
    from crmgen.transfer.csvio import clean_cell, neutralise

    assert neutralise("-5000") == "-5000" and neutralise("-12.5") == "-12.5"
    assert neutralise("-5000 owed") == "'-5000 owed" and neutralise("=1+1") == "'=1+1"
    assert neutralise("\tx") == "'\tx" and neutralise("plain") == "plain" and neutralise("") == ""
    for value in ("=1+1", "+86 1", "@x", "-a", "'=already quoted"):
        assert clean_cell(neutralise(value)) == value


def test_neutralised_cells_come_back_as_they_were() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from crmgen.transfer.csvio import FORMULA_STARTS, clean_cell, neutralise

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.sampled_from("'=+-@ab1.\t") | st.characters(), min_size=1, max_size=12)
           .map(lambda t: t.strip(" \t\r\n\u3000\ufeff")).filter(bool))
    def roundtrip(value: str) -> None:
        written = neutralise(value)
        assert written[0] not in FORMULA_STARTS or written.lstrip("-").replace(".", "", 1).isdigit()
        assert clean_cell(written) == value.replace("\r\n", "\n").replace("\r", "\n")

    roundtrip()
