"""Tables of rows from CSV, XLSX or JSON, and back to CSV or XLSX for editing."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from service.core import vn

FORMATS = ("csv", "xlsx", "json")
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Bounds checked while a table is read, so a hostile file costs well under a second.
MAX_COLUMNS = 200  # the widest real table is a few dozen columns of field paths
MAX_CELL = 10_000  # characters: a long paragraph; Excel itself stops at 32,767
MAX_BLANK_LINES = 10_000  # empty rows skipped before giving up (formatted empty rows)
MAX_XLSX_PARTS = 2_000  # files inside the zip; a workbook has a few dozen
MAX_XLSX_PART = 50 * 1024 * 1024  # uncompressed bytes of one part: ~5,000 rows x 200 columns
MAX_XLSX_TOTAL = 100 * 1024 * 1024  # uncompressed bytes of all parts together
MAX_XLSX_RATIO = 100  # real sheets compress 5-20:1; a zip bomb thousands to one
RATIO_CHECKED_FROM = 10 * 1024 * 1024  # small parts may compress well without harm
# openpyxl parses a whole sheet that lacks <dimension> just to size it (~3 MB/s), every sheet
# on opening; Excel and LibreOffice always write one, so only small sheets may go without.
MAX_UNDIMENSIONED_SHEET = 1024 * 1024
# Excel never writes a DTD; with one, entity expansion or external fetches become possible.
_DTD_MARKS = ("<!DOCTYPE", "<!ENTITY")
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
# A text cell beginning with one of these is run as a formula when a spreadsheet opens it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


class TableUnreadable(ValueError):
    """The table file cannot be read; the message says why, in Vietnamese."""


class TableTooLarge(ValueError):
    """The table is over a size bound (rows, uncompressed size); answered 413."""


class TooManyRows(TableTooLarge):
    """The table has more rows than bulk_max_rows."""


@dataclass
class Table:
    """A header and its data rows; cells are strings (CSV) or typed values (XLSX, JSON)."""

    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    # The file's line of each row as a spreadsheet numbers it (header = 1, blank lines count);
    # empty for tables without lines (JSON), whose rows are numbered from 1.
    lines: list[int] = field(default_factory=list)

    def line(self, index: int) -> int:
        """The number a clerk sees for data row `index` (1-based): its spreadsheet row."""
        return self.lines[index - 1] if index <= len(self.lines) else index


def table_format(filename: str, content_type: str = "") -> str:
    """csv, xlsx or json from a file name (or its media type); TableUnreadable otherwise."""
    name = filename.lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    if content_type == XLSX_MEDIA:
        return "xlsx"
    if content_type in ("text/csv", "application/json"):
        return content_type.split("/")[1]
    raise TableUnreadable(
        f"Không nhận ra định dạng bảng của tệp {filename!r}: cần .csv, .xlsx hoặc .json."
    )


def read_table(content: bytes, fmt: str, max_rows: int | None = None) -> Table:
    """Read a table of the given format, stopping at the bounds; TableUnreadable says why.

    More than `max_rows` data rows raise TooManyRows as soon as the next one is seen.
    """
    if fmt == "csv":
        return _read_csv(content, max_rows)
    if fmt == "xlsx":
        return _read_xlsx(content, max_rows)
    if fmt == "json":
        try:
            data = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TableUnreadable(f"Tệp JSON không đọc được: {exc}") from None
        table = table_from_records(data)
        if max_rows is not None and len(table.rows) > max_rows:
            raise too_many_rows(max_rows)
        return table
    raise TableUnreadable(f"Định dạng bảng {fmt!r} không được hỗ trợ (csv, xlsx, json).")


def too_many_rows(max_rows: int) -> TooManyRows:
    """The error for a table found longer than `max_rows` data rows."""
    return TooManyRows(
        f"Bảng có hơn {_count(max_rows)} dòng; mỗi lần tối đa {_count(max_rows)} dòng. "
        "Hãy chia bảng thành nhiều tệp và tạo từng việc."
    )


def table_from_records(data: Any) -> Table:
    """A table from a JSON list of objects (or {"rows": [...]}); columns in first-seen order."""
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise TableUnreadable("Bảng JSON phải là một danh sách các đối tượng {cột: giá trị}.")
    columns: list[str] = []
    for record in data:
        columns += [str(k).strip() for k in record if str(k).strip() not in columns]
    if len(columns) > MAX_COLUMNS:
        raise _too_wide(len(columns))
    rows = [{str(k).strip(): v for k, v in record.items()} for record in data]
    for number, row in enumerate(rows, start=1):
        for position, name in enumerate(columns, start=1):
            _check_cell(row.get(name), number, position)
    return Table(columns, [r for r in rows if not _blank(r)])


def _from_lines(lines: Iterable[Sequence[Any]], max_rows: int | None) -> Table:
    """The first non-empty line is the header, empty lines are dropped; bounded as it reads.

    Line numbers in messages are the file's (Excel's row numbers), blank lines included.
    """
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    blank = 0
    for number, line in enumerate(lines, start=1):
        width = _width(line)
        if not width:
            blank += 1
            if blank > MAX_BLANK_LINES:
                raise TableUnreadable(
                    f"Bảng có hơn {_count(MAX_BLANK_LINES)} dòng trống. Hãy xóa các dòng trống "
                    "(thường ở cuối trang tính) rồi lưu lại."
                )
            continue
        if width > MAX_COLUMNS:
            raise _too_wide(width)
        cells = [_unescaped(c) for c in line[:width]]
        for position, cell in enumerate(cells, start=1):
            _check_cell(cell, number, position)
        if header is None:
            header = _header(cells)
        elif width > len(header):
            raise TableUnreadable(f"Dòng {number} có nhiều ô hơn số cột của tiêu đề.")
        elif max_rows is not None and len(rows) == max_rows:
            raise too_many_rows(max_rows)
        else:
            # Cells past the last filled one are kept as read (an empty string stays "").
            rows.append({name: _unescaped(line[i]) if i < len(line) else None
                         for i, name in enumerate(header)})
            numbers.append(number)
    if header is None:
        raise TableUnreadable("Bảng trống: cần một dòng tiêu đề (tên cột) và ít nhất một dòng.")
    return Table(header, rows, numbers)


def _header(cells: list[Any]) -> list[str]:
    """The column names of a header line: each named once."""
    header = [vn.clean_text(str(c)).strip() if not _empty(c) else "" for c in cells]
    seen = set()
    for position, name in enumerate(header, start=1):
        if not name:
            raise TableUnreadable(f"Cột thứ {position} không có tên ở dòng tiêu đề.")
        if name in seen:
            raise TableUnreadable(f"Cột {name!r} xuất hiện hai lần ở dòng tiêu đề.")
        seen.add(name)
    return header


def _width(line: Sequence[Any]) -> int:
    """How many cells a line has up to its last non-empty one."""
    for end in range(len(line), 0, -1):
        if not _empty(line[end - 1]):
            return end
    return 0


def _check_cell(value: Any, number: int, position: int) -> None:
    """Refuse a text cell over MAX_CELL characters, naming it as Excel does (C7)."""
    if isinstance(value, str) and len(value) > MAX_CELL:
        raise _long_cell(number, position, _count(len(value)))


def _long_cell(number: int, position: int, length: str) -> TableUnreadable:
    letter = column_letter(position)
    return TableUnreadable(
        f"Ô {letter}{number} (dòng {number}, cột {letter}) có {length} ký tự; mỗi ô tối đa "
        f"{_count(MAX_CELL)} ký tự. Hãy rút gọn nội dung ô này rồi tải bảng lên lại."
    )


def _too_wide(width: int) -> TableUnreadable:
    return TableUnreadable(
        f"Bảng có {'hơn ' if width > MAX_COLUMNS else ''}{_count(MAX_COLUMNS)} cột; tối đa "
        f"{_count(MAX_COLUMNS)} cột. Hãy xóa các cột không dùng (kể cả cột trống có dữ liệu "
        "ở xa bên phải)."
    )


def column_letter(position: int) -> str:
    """Excel's name of a column: 1 → A, 27 → AA."""
    letters = ""
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _count(number: int) -> str:
    """A count the Vietnamese way: 10.000."""
    return f"{number:,}".replace(",", ".")


def _guarded(
    lines: Iterator[T],
    errors: tuple[type[Exception], ...],
    reason: Callable[[Exception, int], TableUnreadable],
) -> Iterator[T]:
    """The lines of a reader, its failure on line n turned into TableUnreadable."""
    for number in itertools.count(1):
        try:
            line = next(lines)
        except StopIteration:
            return
        except errors as exc:
            raise reason(exc, number) from None
        yield line


def _read_csv(content: bytes, max_rows: int | None) -> Table:
    """CSV in UTF-8 (a BOM is fine); the delimiter (, ; or tab) is detected."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableUnreadable(
            "Tệp CSV phải lưu ở bảng mã UTF-8 (trong Excel: Lưu thành → CSV UTF-8)."
        ) from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    record: list[str] = []  # the physical lines of the record being read, for the error

    def physical_lines() -> Iterator[str]:
        for line in io.StringIO(text):
            record.append(line)
            yield line

    def reason(exc: Exception, number: int) -> TableUnreadable:
        if "field limit" in str(exc):  # a cell over csv's own bound, far over MAX_CELL
            length = f"hơn {_count(csv.field_size_limit())}"
            return _long_cell(number, _long_column("".join(record), dialect), length)
        return TableUnreadable(f"Dòng {number} của tệp CSV không đọc được: {exc}.")

    def records() -> Iterator[list[str]]:
        for line in csv.reader(physical_lines(), dialect):
            yield line
            record.clear()

    return _from_lines(_guarded(records(), (csv.Error,), reason), max_rows)


def _long_column(record: str, dialect: Any) -> int:
    """The position of the first cell over MAX_CELL characters in a CSV record's text."""
    position, length, quoted = 1, 0, False
    for char in record:
        if char == dialect.quotechar:
            quoted = not quoted  # a doubled quote toggles twice: lengths stay close enough
        elif char == dialect.delimiter and not quoted:
            position, length = position + 1, 0
            continue
        length += 1
        if length > MAX_CELL:
            break
    return position


def _read_xlsx(content: bytes, max_rows: int | None) -> Table:
    """The first sheet of an XLSX workbook, with the cells' values (not formulas), streamed."""
    from openpyxl import load_workbook

    check_xlsx_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl fails in many ways on a malformed workbook
        raise _unreadable_xlsx(exc) from None
    try:
        sheet = workbook.worksheets[0]
        # The declared size may be wrong either way: read the rows there are, no padding.
        sheet.reset_dimensions()
        # One column past the bound shows a table too wide without building 16,384 cells.
        lines = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        return _from_lines(_guarded(lines, (Exception,), _unreadable_xlsx), max_rows)
    finally:
        workbook.close()


def _unreadable_xlsx(exc: Exception, number: int | None = None) -> TableUnreadable:
    where = f" (ở dòng {number})" if number else ""
    return TableUnreadable(
        f"Tệp XLSX không đọc được{where}: {type(exc).__name__}. Hãy mở tệp bằng Excel "
        "và lưu lại thành tệp .xlsx mới."
    )


def check_xlsx_archive(content: bytes) -> None:
    """Refuse, before any XML is parsed, a workbook that expands too far or declares a DTD."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            _check_sizes(parts)
            for part in parts:
                with archive.open(part) as handle:
                    head = handle.read(1 << 16)
                    if part.file_size > MAX_UNDIMENSIONED_SHEET and _undimensioned(part, head):
                        raise TableUnreadable(
                            f"Trang tính {part.filename!r} lớn mà không ghi kích thước "
                            "(thẻ dimension), nên đọc rất chậm. Hãy mở tệp bằng Excel và lưu "
                            "lại thành tệp .xlsx mới."
                        )
                    if _declares_dtd(head, handle):
                        raise TableUnreadable(
                            f"Tệp XLSX có khai báo DOCTYPE/ENTITY trong {part.filename!r}, "
                            "điều Excel không bao giờ tạo ra, nên không được nhận. Hãy mở tệp "
                            "bằng Excel và lưu lại thành tệp .xlsx mới."
                        )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError) as exc:  # a damaged, encrypted or oddly compressed zip
        raise _unreadable_xlsx(exc) from None


def _check_sizes(parts: list[zipfile.ZipInfo]) -> None:
    """TableTooLarge for too many parts, a part or all of them too large, or a zip bomb."""
    advice = ("Hãy sao chép các dòng cần dùng sang một bảng tính mới rồi lưu lại, "
              "hoặc lưu thành CSV UTF-8.")
    if len(parts) > MAX_XLSX_PARTS:
        raise TableTooLarge(f"Tệp XLSX có {_count(len(parts))} phần bên trong, tối đa "
                            f"{_count(MAX_XLSX_PARTS)}. {advice}")
    total = 0
    for part in parts:
        # zipfile stops reading a part at its declared size, so the declaration is a bound.
        size = part.file_size
        total += size
        if size > MAX_XLSX_PART or total > MAX_XLSX_TOTAL:
            shown = size if size > MAX_XLSX_PART else total
            raise TableTooLarge(
                f"Tệp XLSX khi giải nén quá lớn (hơn {_megabytes(shown)} MB; tối đa "
                f"{_megabytes(MAX_XLSX_PART)} MB mỗi phần, {_megabytes(MAX_XLSX_TOTAL)} MB "
                f"tất cả). {advice}"
            )
        if size > RATIO_CHECKED_FROM and size > MAX_XLSX_RATIO * max(part.compress_size, 1):
            raise TableTooLarge(
                f"Tệp XLSX nén bất thường ({_megabytes(size)} MB nén lại chỉ còn "
                f"{_count(max(part.compress_size, 1) // 1024)} KB) — có thể là tệp hỏng hoặc "
                f"tệp độc hại. {advice}"
            )


def _megabytes(size: int) -> str:
    return _count(max(1, round(size / (1024 * 1024))))


def _undimensioned(part: zipfile.ZipInfo, head: bytes) -> bool:
    """Whether a part is a worksheet (by place or by content) whose start has no <dimension>."""
    sheet = part.filename.startswith("xl/worksheets/") or b"worksheet" in head
    return sheet and b"dimension" not in head


def _declares_dtd(head: bytes, handle: Any) -> bool:
    """Whether a part (its head read already) holds <!DOCTYPE or <!ENTITY, in its encoding.

    The whole part is scanned (sizes are bounded by now): a DTD may follow a long comment.
    """
    encoding = _xml_encoding(head)
    try:
        marks = [m.encode(encoding) for m in _DTD_MARKS]
    except LookupError:
        return True  # an encoding Python does not know: expat would not either
    overlap = max(len(m) for m in marks) - 1
    chunk = head
    tail = b""
    while chunk:
        window = tail + chunk
        if any(m in window for m in marks):
            return True
        tail = window[-overlap:]
        chunk = handle.read(1 << 16)
    return False


def _xml_encoding(head: bytes) -> str:
    """The encoding an XML parser would read a part in (UTF-8 unless it says otherwise)."""
    if head.startswith((codecs.BOM_UTF16_LE, b"<\0")):
        return "utf-16-le"
    if head.startswith((codecs.BOM_UTF16_BE, b"\0<")):
        return "utf-16-be"
    declared = _XML_ENCODING.match(head.removeprefix(codecs.BOM_UTF8))
    return declared.group(1).decode("ascii") if declared else "utf-8"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank(record: dict[str, Any]) -> bool:
    return all(_empty(v) for v in record.values())


def formula_safe(value: T) -> T | str:
    """A text cell a spreadsheet would run as a formula, quoted with a leading ' (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _unescaped(value: Any) -> Any:
    """A cell as written before formula_safe quoted it (a table downloaded, edited, uploaded)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def write_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with a BOM (so Excel shows the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([formula_safe(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([formula_safe(_cell_text(row.get(c))) for c in table.columns])
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(table: Table, title: str = "Danh sách") -> bytes:
    """The table as an XLSX workbook with a bold, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([formula_safe(c) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        # openpyxl stores a string starting with "=" as a formula: quoted, it stays text.
        sheet.append([formula_safe(_cell_text(row.get(c))) for c in table.columns])
    for position, name in enumerate(table.columns, start=1):
        width = max([len(name), *(len(_cell_text(r.get(name))) for r in table.rows[:200])])
        sheet.column_dimensions[sheet.cell(1, position).column_letter].width = min(60, width + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell_text(value: Any) -> str:
    """A cell as text: lists joined with "; ", dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_cell_text(v) for v in value)
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value)
