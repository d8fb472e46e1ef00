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
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
