"""Decoding and splitting CSV files the way Excel and WPS save them."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmgen.format.errors import UsageError
from crmgen.transfer.csvio import decode, read_table, sniff_delimiter, write_csv

DATA = Path(__file__).parent / "data" / "import"
TEXT = "客户名称,电话\n华东润滑油,021-61234567\n"


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (TEXT.encode("utf-8"), "UTF-8"),
        (TEXT.encode("utf-8-sig"), "UTF-8 with BOM"),
        (TEXT.encode("gbk"), "GBK"),
        (TEXT.encode("utf-16"), "UTF-16"),
    ],
)
def test_decode_known_encodings(data: bytes, label: str) -> None:
    assert decode(data, "x.csv") == (TEXT, label)


def test_decode_gb18030_beyond_gbk() -> None:
    text = "客户名称\n𠮷祥游乐\n"  # U+20BB7 is not in GBK
    assert decode(text.encode("gb18030"), "x.csv") == (text, "GB18030")


def test_decode_falls_back_to_charset_normalizer() -> None:
    # Neither UTF-8 nor GB18030 can read Windows-1252 here (é followed by a comma).
    text = ("name,city,notes\nCafé Müller,Zürich,Grüße aus der Schweiz; sehr großer Kunde\n"
            "Brasserie Lipp,Paris,Très bon client, déjà fidèle\nHôtel Crillon,Paris,Réunion prévue en été\n")
    decoded, label = decode(text.encode("cp1252"), "x.csv")
    assert decoded == text
    assert label.endswith("(guessed by charset-normalizer)")


def test_decode_big5_is_not_mistaken_for_gb18030() -> None:
    text = "客戶名稱,聯絡人,電話\n台灣潤滑油股份有限公司,王大明,02-2345-6789\n高雄包裝材料行,陳小華,07-1234567\n"
    decoded, label = decode(text.encode("big5"), "x.csv")
    assert decoded == text
    assert label == "BIG5 (guessed by charset-normalizer)"


def test_fixture_files_decode_as_their_encodings() -> None:
    assert decode((DATA / "clients-gbk.csv").read_bytes(), "f")[1] == "GBK"
    assert decode((DATA / "clients-gb18030.csv").read_bytes(), "f")[1] == "GB18030"
    assert decode((DATA / "clients-bom.csv").read_bytes(), "f")[1] == "UTF-8 with BOM"
    assert decode((DATA / "clients-utf8.csv").read_bytes(), "f")[1] == "UTF-8"


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ('name;notes\n"x, y, z";1\n', ";"),  # commas inside quotes do not count
        ("name\nAcme\n", ","),  # one column: comma
    ],
)
def test_sniff_delimiter(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


def test_read_table_numbers_rows_as_excel_does_and_strips_cells() -> None:
    table = read_table('name,notes\r\n" Acme ","two\r\nlines"\r\n\r\nBeta,\u3000x\u3000\r\n')
    assert table.rows == [["name", "notes"], ["Acme", "two\nlines"], [], ["Beta", "x"]]
    assert table.numbers == [1, 2, 3, 4]


def test_write_csv_quotes_and_encodes() -> None:
    data = write_csv(["name", "notes"], [["华东, 上海", 'say "hi"\nbye']], "utf-8-sig")
    assert data == '\ufeffname,notes\r\n"华东, 上海","say ""hi""\nbye"\r\n'.encode("utf-8")


def test_decode_undecodable_bytes_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import charset_normalizer

    class Nothing:
        def best(self) -> None:
            return None

    monkeypatch.setattr(charset_normalizer, "from_bytes", lambda data: Nothing())
    with pytest.raises(UsageError, match="cannot tell the file's encoding"):
        decode(b"\xff\xff\x81", "x.csv")


def test_excel_sep_line_names_the_delimiter() -> None:
    table = read_table("sep=;\nname;phone\nAcme, Inc.;010\n")
    assert table.delimiter == ";"
    assert table.rows == [["name", "phone"], ["Acme, Inc.", "010"]]
    assert table.numbers == [2, 3]


def test_an_excel_workbook_is_refused_with_how_to_save_csv() -> None:
    with pytest.raises(UsageError) as exc:
        decode(b"PK\x03\x04\x14\x00\x06\x00", "clients.xlsx")
    assert str(exc.value) == ("clients.xlsx: this is an Excel workbook (.xlsx/.xls), not a CSV file; in Excel "
                              "choose File > Save As > 'CSV UTF-8 (comma delimited)' and import that file")


def test_excel_text_formula_cells_are_unwrapped() -> None:
    table = read_table('name,phone\nAcme,"=""013812345678"""\n')
    assert table.rows[1] == ["Acme", "013812345678"]
