"""Reading spreadsheets saved as CSV, and writing CSV that Excel opens correctly.

Excel in China saves "CSV" in the ANSI code page, which is GBK (GB18030 is its
superset); elsewhere it saves UTF-8 with a BOM, or UTF-16 for "Unicode text".
:func:`decode` tries those in an order that cannot misread: a BOM is certain,
strict UTF-8 almost never decodes text in another encoding by accident, and
GB18030 before the statistical guess of charset-normalizer, which is only asked
when everything else fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from crmgen.format.errors import UsageError

DELIMITERS = ",;\t"
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8 with BOM"),
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32"),
    (b"\xff\xfe", "utf-16", "UTF-16"),
    (b"\xfe\xff", "utf-16", "UTF-16"),
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")


def decode(data: bytes, source: str) -> tuple[str, str]:
    """``(text, encoding label)`` for the bytes of a CSV or vCard file.

    Raises UsageError when no encoding fits, naming the file and how to re-save it.
    """
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UsageError(f"{source}: this is an Excel workbook (.xlsx/.xls), not a CSV file; in Excel "
                         "choose File > Save As > 'CSV UTF-8 (comma delimited)' and import that file")
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), label
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _PRIVATE_USE.search(text):
        # Big5 (Excel in Taiwan/Hong Kong) often "decodes" as GB18030 into private-use
        # code points, which no real spreadsheet holds: let charset-normalizer decide.
        text = None
    if text is not None:
        try:
            data.decode("gbk")
            return text, "GBK"
        except UnicodeDecodeError:
            return text, "GB18030"
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None or best.encoding is None:
        raise UsageError(f"{source}: cannot tell the file's encoding; save it again as "
                         "'CSV UTF-8 (comma delimited)' and import that")
    # Short Western text fits several Latin code pages equally well; Excel outside
    # Asia writes Windows-1252, so prefer it when it reads the bytes about as cleanly.
    western = next((m for m in results if m.encoding == "cp1252"), None)
    if western is not None and western.percent_chaos <= best.percent_chaos + 5:
        best = western
    return str(best), f"{best.encoding.upper().replace('_', '-')} (guessed by charset-normalizer)"


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: comma, semicolon or tab (comma when in doubt)."""
    sample = text[:64 * 1024]
    first = next((line for line in sample.splitlines() if line.strip()), "")
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = None
    if found and found in first:
        return found
    # The Sniffer gives up on short or irregular files; the header line decides then.
    counts = {d: _count_outside_quotes(first, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))


@dataclass
class Table:
    """Rows of a CSV file; ``numbers[i]`` is the spreadsheet row number of ``rows[i]``."""

    rows: list[list[str]]
    numbers: list[int]
    delimiter: str


def read_table(text: str) -> Table:
    """Split CSV text into rows of stripped cells, numbering rows as a spreadsheet does."""
    first_line, _, rest = text.partition("\n")
    hint = re.match(r"^\ufeff?sep=(.)\s*$", first_line, re.IGNORECASE)
    start = 1
    if hint:
        # Excel's "sep=;" line names the delimiter; it is not a row of data.
        delimiter, text, start = hint[1], rest, 2
    else:
        delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, numbers = [], []
    try:
        for number, row in enumerate(reader, start=start):
            rows.append([clean_cell(cell) for cell in row])
            numbers.append(number)
    except csv.Error as exc:
        raise UsageError(f"row {len(rows) + 1}: the CSV cannot be read ({exc}); "
                         "check for a stray quote in that row") from exc
    return Table(rows=rows, numbers=numbers, delimiter=delimiter)


def clean_cell(cell: str) -> str:
    # Excel pads with spaces; Chinese input methods add full-width spaces (U+3000);
    # line breaks inside a cell become plain newlines, as in the client files.
    cell = cell.strip(" \t\r\n\u3000\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # ="0571..." is the formula trick many systems export so Excel keeps leading zeros.
    if len(cell) >= 3 and cell.startswith('="') and cell.endswith('"'):
        cell = cell[2:-1].replace('""', '"')
    # A cell crmgen's own export (or another careful one) kept from being a formula.
    if cell[:1] == "'" and _QUOTED_FORMULA.match(cell):
        cell = cell[1:]
    return cell


# What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection"): such a cell
# is written with a leading ' , which the spreadsheet shows as text and import takes off.
FORMULA_STARTS = "=+-@\t\r"
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_QUOTED_FORMULA = re.compile("'+[=+@\t\r-]")  # quotes, then what starts a formula


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet must not evaluate it: a leading ``'`` when it starts like a formula
    (``=``, ``+``, ``-``, ``@``, tab, carriage return), unless it is a plain negative number."""
    if cell and cell[0] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    if cell[:1] == "'" and _QUOTED_FORMULA.match(cell):
        return "'" + cell  # quotes of the value's own: import takes off only the one added here
    return cell


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]], encoding: str) -> bytes:
    """CSV bytes with CRLF line ends (what Excel writes and expects), quoting as needed, no cell
    a formula (:func:`neutralise`)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode(encoding)


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


# -- cells that keep their type ---------------------------------------------------------
#
# A spreadsheet reads a cell of digits as a number: 013812345678 loses its leading zero and
# 13812345678 shows as 1.38123E+10. crmgen writes such cells with a leading ' (the mark Excel,
# WPS and LibreOffice take for "this is text"), and import takes one ' off again.
TEXT_MARK = "'"
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?")
# What a spreadsheet reads as a number (0200120 would lose its zero).
_NUMERIC = re.compile(r"[+-]?[0-9][0-9,]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|[+-]?\.[0-9]+")
# What people type for "nothing here"; import leaves such a cell empty.
EMPTY = frozenset({"-", "--", "—", "/", "无", "暂无", "没有", "n/a", "na", "none", "null", "nil", "#n/a"})


def phone_cell(phone: str) -> str:
    """A phone as a CSV cell: one that starts with a digit (or a ') gets a leading ', so a
    spreadsheet keeps it as text; one that starts with + gets it from :func:`neutralise`."""
    if phone[:1].isdigit() or phone[:1] in (TEXT_MARK, "("):
        return TEXT_MARK + phone
    return phone


def read_phone_cell(cell: str) -> str:
    """A phone cell as written: one leading ' (crmgen's, or a spreadsheet user's) taken off."""
    return cell[1:] if cell.startswith(TEXT_MARK) else cell


def extra_cell(value: Any) -> str:
    """A value under ``extra`` as a CSV cell that :func:`read_extra_cell` turns back into it.

    Numbers, true/false and dates are written plainly; text that a spreadsheet would take for
    a number (``"0200120"``) or that would read back as a number, true/false, a date, a list or
    nothing (``"12"``, ``"true"``, ``"2026-01-01"``, ``"[1]"``, ``"无"``), or that starts with ',
    gets a leading '. Lists and maps are JSON.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    if (text.startswith(TEXT_MARK) or text.strip().casefold() in EMPTY or _NUMERIC.fullmatch(text.strip())
            or read_extra_cell(text) != text):
        return TEXT_MARK + text
    return text


def read_extra_cell(cell: str) -> Any:
    """An ``extra.KEY`` cell of a crmgen export back to its value (see :func:`extra_cell`)."""
    if cell.startswith(TEXT_MARK):
        return cell[1:]
    if _INT.fullmatch(cell):
        return int(cell)
    if _FLOAT.fullmatch(cell):
        return float(cell)
    if cell in ("true", "false"):
        return cell == "true"
    try:
        if _ISO_DATE.fullmatch(cell):
            return dt.date.fromisoformat(cell)
        if _ISO_DATETIME.fullmatch(cell):
            return dt.datetime.fromisoformat(cell)
    except ValueError:
        return cell
    if cell[:1] in ("[", "{"):
        try:
            return json.loads(cell)
        except ValueError:
            return cell
    return cell
