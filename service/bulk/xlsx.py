"""XLSX workbooks: the first sheet read as a table within bounds, and a table written back."""

from __future__ import annotations

import io
import zipfile
import zlib

from defusedxml import DefusedXmlException

from service.bulk.rows import (
    MAX_COLUMNS,
    Table,
    TableTooLarge,
    TableUnreadable,
    cell_text,
    count_text,
    formula_safe,
    from_lines,
    guarded,
)
from service.core.confined import (
    MEMORY_BUDGET,
    TIME_BUDGET,
    ReadingTooCostly,
    caused_by,
    confined,
)

XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX_PARTS = 2_000  # files inside the zip; a workbook has a few dozen
MAX_XLSX_PART = 50 * 1024 * 1024  # uncompressed bytes of one part: ~5,000 rows x 200 columns
MAX_XLSX_TOTAL = 100 * 1024 * 1024  # uncompressed bytes of all parts together
# openpyxl keeps every shared string as a Python string, several times its XML's size: a real
# table's list is a few megabytes, one built to expand is the bulk of the workbook.
MAX_SHARED_STRINGS = 8 * 1024 * 1024  # uncompressed bytes of xl/sharedStrings.xml
MAX_XLSX_RATIO = 100  # real sheets compress 5-20:1; a zip bomb thousands to one
RATIO_CHECKED_FROM = 10 * 1024 * 1024  # small parts may compress well without harm
# openpyxl parses a whole sheet that lacks <dimension> just to size it (~3 MB/s), every sheet
# on opening; Excel and LibreOffice always write one, so only small sheets may go without.
MAX_UNDIMENSIONED_SHEET = 1024 * 1024


def read_xlsx(content: bytes, max_rows: int | None) -> Table:
    """The first sheet of an XLSX workbook, read in a child within the memory and time budget."""
    check_xlsx_archive(content)
    try:
        return confined(_read_first_sheet, content, max_rows, memory=MEMORY_BUDGET,
                        seconds=TIME_BUDGET)
    except ReadingTooCostly as exc:
        budget = (f"{_megabytes(MEMORY_BUDGET)} MB bộ nhớ" if exc.what == "memory"
                  else f"{count_text(int(TIME_BUDGET))} giây")
        raise TableTooLarge(
            f"Đọc tệp XLSX này cần hơn {budget}, mức tối đa cho một bảng. Hãy sao chép các dòng "
            "cần dùng sang một bảng tính mới rồi lưu lại, hoặc lưu thành CSV UTF-8."
        ) from None


def _read_first_sheet(content: bytes, max_rows: int | None) -> Table:
    """The first sheet's cell values (not formulas), streamed; in the reading child."""
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False would let a DTD's entities expand
        raise RuntimeError("openpyxl must parse workbooks through defusedxml")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl fails in many ways on a malformed workbook
        raise _unreadable_xlsx(exc) from None
    try:
        sheet = workbook.worksheets[0]
        # The declared size may be wrong either way: read the rows there are, no padding.
        sheet.reset_dimensions()
        # One column past the bound shows a table too wide without building 16,384 cells.
        lines = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        return from_lines(guarded(lines, (Exception,), _unreadable_xlsx), max_rows)
    finally:
        workbook.close()


def _unreadable_xlsx(exc: Exception, number: int | None = None) -> TableUnreadable:
    if caused_by(exc, DefusedXmlException):  # openpyxl may wrap it
        return TableUnreadable(
            "Tệp XLSX có khai báo DOCTYPE/ENTITY, điều Excel không bao giờ tạo ra, nên không "
            "được nhận. Hãy mở tệp bằng Excel và lưu lại thành tệp .xlsx mới."
        )
    where = f" (ở dòng {number})" if number else ""
    return TableUnreadable(
        f"Tệp XLSX không đọc được{where}: {type(exc).__name__}. Hãy mở tệp bằng Excel "
        "và lưu lại thành tệp .xlsx mới."
    )


def check_xlsx_archive(content: bytes) -> None:
    """Refuse, before any XML is parsed, a workbook that expands too far or reads too slowly."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            _check_sizes(parts)
            for part in parts:
                if part.file_size <= MAX_UNDIMENSIONED_SHEET:
                    continue
                with archive.open(part) as handle:
                    if _undimensioned(part, handle.read(1 << 16)):
                        raise TableUnreadable(
                            f"Trang tính {part.filename!r} lớn mà không ghi kích thước "
                            "(thẻ dimension), nên đọc rất chậm. Hãy mở tệp bằng Excel và lưu "
                            "lại thành tệp .xlsx mới."
                        )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError) as exc:  # a damaged, encrypted or oddly compressed zip
        raise _unreadable_xlsx(exc) from None


def _check_sizes(parts: list[zipfile.ZipInfo]) -> None:
    """TableTooLarge for too many parts, a part or all of them too large, or a zip bomb."""
    advice = ("Hãy sao chép các dòng cần dùng sang một bảng tính mới rồi lưu lại, "
              "hoặc lưu thành CSV UTF-8.")
    if len(parts) > MAX_XLSX_PARTS:
        raise TableTooLarge(f"Tệp XLSX có {count_text(len(parts))} phần bên trong, tối đa "
                            f"{count_text(MAX_XLSX_PARTS)}. {advice}")
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
        if part.filename == "xl/sharedStrings.xml" and size > MAX_SHARED_STRINGS:
            raise TableTooLarge(
                f"Tệp XLSX có bảng chữ dùng chung quá lớn ({_megabytes(size)} MB khi giải nén; "
                f"tối đa {_megabytes(MAX_SHARED_STRINGS)} MB). {advice}"
            )
        if size > RATIO_CHECKED_FROM and size > MAX_XLSX_RATIO * max(part.compress_size, 1):
            raise TableTooLarge(
                f"Tệp XLSX nén bất thường ({_megabytes(size)} MB nén lại chỉ còn "
                f"{count_text(max(part.compress_size, 1) // 1024)} KB) — có thể là tệp hỏng hoặc "
                f"tệp độc hại. {advice}"
            )


def _megabytes(size: int) -> str:
    return count_text(max(1, round(size / (1024 * 1024))))


def _undimensioned(part: zipfile.ZipInfo, head: bytes) -> bool:
    """Whether a part is a worksheet (by place or by content) whose start has no <dimension>."""
    sheet = part.filename.startswith("xl/worksheets/") or b"worksheet" in head
    return sheet and b"dimension" not in head


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
        sheet.append([formula_safe(cell_text(row.get(c))) for c in table.columns])
    for position, name in enumerate(table.columns, start=1):
        width = max([len(name), *(len(cell_text(r.get(name))) for r in table.rows[:200])])
        sheet.column_dimensions[sheet.cell(1, position).column_letter].width = min(60, width + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
