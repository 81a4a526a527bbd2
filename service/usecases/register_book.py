"""The book of outgoing documents of Decree 30, Appendix IV part I: per agency a cover (the
agencies, the year, the dates and numbers it spans, the volume) and its ten columns; as XLSX."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.bulk.table import formula_safe
from service.core import vn
from service.usecases.ports import RegisterRecord

# The book's columns in the decree's order, with their widths in characters (on paper, in
# proportion): "Ngày tháng" and "Số lượng" each on one line of their heads.
COLUMNS = (
    ("Số, ký hiệu văn bản", 16),
    ("Ngày tháng văn bản", 14),
    ("Tên loại và trích yếu nội dung văn bản", 50),
    ("Người ký", 20),
    ("Nơi nhận văn bản", 40),
    ("Đơn vị, người nhận bản lưu", 17),
    ("Số lượng bản", 12),
    ("Ngày chuyển", 12),
    ("Ký nhận", 12),
    ("Ghi chú", 14),
)
HEAD_ROWS = 2  # the column names and their numbers (1) … (10), repeated on every printed page
SIGNED_NOTE = "Văn bản điện tử ký số"
TITLE = "SỔ ĐĂNG KÝ VĂN BẢN ĐI"


@dataclass(frozen=True)
class Volume:
    """Which part of a year's book: its volume number and the numbers it holds (all if None)."""

    number: int = 1
    first: int | None = None
    last: int | None = None

    def holds(self, entry: RegisterRecord) -> bool:
        """Whether the entry's number is in the volume's range."""
        return (self.first is None or entry.number >= self.first) and (
            self.last is None or entry.number <= self.last)


def book_row(entry: RegisterRecord, type_name: Callable[[str], str]) -> list[Any]:
    """One entry in the book's ten columns; "ngày chuyển" and "ký nhận" are the văn thư's."""
    inputs = entry.inputs or {}
    signer = inputs.get("signer") or {}
    recipients = [part.strip() for line in inputs.get("recipients") or []
                  for part in str(line).split(";") if part.strip()]
    archive = str(inputs.get("archive") or "").strip()
    # One copy to each recipient named and one kept in the archive ("Lưu: VT").
    copies = len(recipients) + (1 if archive else 0)
    return [
        f"{entry.number_text}/{entry.symbol}",
        entry.document_date.strftime("%d/%m/%Y"),
        f"{type_name(entry.doc_type)}: {entry.subject}",
        " ".join(filter(None, [signer.get("title"), signer.get("name")])),
        "; ".join(recipients),
        archive,
        copies,
        "",
        "",
        SIGNED_NOTE if entry.signed else "",
    ]


def agency_books(entries: list[RegisterRecord], volume: Volume) -> list[list[RegisterRecord]]:
    """The volume's entries, one book per issuing agency, each in the entries' order."""
    books: dict[str, list[RegisterRecord]] = {}
    for entry in entries:
        if volume.holds(entry):
            books.setdefault(entry.agency_key, []).append(entry)
    return list(books.values())


def cover_lines(
    entries: list[RegisterRecord], year: int, volume: Volume
) -> list[tuple[str, int, bool]]:
    """The cover's lines as (text, size in points, bold): agencies, title, year, span, volume."""
    issuer = (entries[0].inputs or {}).get("issuer") or {}
    first, last = entries[0], entries[-1]
    dates = [entry.document_date for entry in entries]
    return [
        (vn.upper_vn(issuer.get("parent_agency") or ""), 13, False),
        (vn.upper_vn(issuer.get("agency") or first.agency), 13, True),
        ("", 13, False),
        (TITLE, 24, True),
        ("", 13, False),
        (f"Năm: {year}", 14, False),
        (f"Từ ngày {min(dates):%d/%m/%Y} đến ngày {max(dates):%d/%m/%Y}", 14, False),
        (f"Từ số {first.number_text} đến số {last.number_text}", 14, False),
        (f"Quyển số: {volume.number:02d}", 14, False),
    ]


def empty_book(year: int) -> str:
    """What a book with no entry says."""
    return f"{TITLE} NĂM {year}: chưa có văn bản nào."


def register_xlsx(
    entries: list[RegisterRecord], year: int, type_name: Callable[[str], str],
    volume: Volume = Volume(),
) -> bytes:
    """The entries (in number order) as a cover and a book sheet per issuing agency."""
    from openpyxl import Workbook

    workbook = Workbook()
    books = agency_books(entries, volume)
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for position, kept in enumerate(books, start=1):
        _cover(workbook.create_sheet(_sheet_title("Bìa", kept[0].agency, position)),
               kept, year, volume)
        _book(workbook.create_sheet(_sheet_title("Sổ", kept[0].agency, position)),
              kept, type_name)
    if not books:
        sheet = workbook.create_sheet(f"Năm {year}")
        sheet.append([empty_book(year)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cover(sheet: Any, entries: list[RegisterRecord], year: int, volume: Volume) -> None:
    """The cover: parent agency, agency, the title, the year, dates, numbers and volume."""
    from openpyxl.styles import Alignment, Font

    sheet.column_dimensions["A"].width = 120
    for row, (text, size, bold) in enumerate(cover_lines(entries, year, volume), start=1):
        cell = sheet.cell(row, 1, formula_safe(text))
        cell.font = Font(name="Times New Roman", size=size, bold=bold)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.row_dimensions[row].height = 2 * size
    _print_setup(sheet)


def _book(sheet: Any, entries: list[RegisterRecord], type_name: Callable[[str], str]) -> None:
    """The ten columns, their numbers, one row per entry; A3 landscape, the head repeated."""
    from openpyxl.styles import Alignment, Border, Font, Side

    line = Side(style="thin")
    box = Border(left=line, right=line, top=line, bottom=line)
    sheet.append([name for name, _ in COLUMNS])
    sheet.append([f"({n})" for n in range(1, len(COLUMNS) + 1)])
    for entry in entries:
        # openpyxl stores a string starting with "=" as a formula: quoted, it stays text.
        sheet.append([formula_safe(value) for value in book_row(entry, type_name)])
    for row in sheet.iter_rows():
        for cell in row:
            head = cell.row <= HEAD_ROWS
            cell.font = Font(name="Times New Roman", size=12, bold=cell.row == 1)
            cell.alignment = Alignment(wrap_text=True, vertical="center" if head else "top",
                                       horizontal="center" if head else None)
            cell.border = box
    for position, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(1, position).column_letter].width = width
    sheet.freeze_panes = sheet.cell(HEAD_ROWS + 1, 1)
    sheet.print_title_rows = f"1:{HEAD_ROWS}"
    _print_setup(sheet)


def _print_setup(sheet: Any) -> None:
    """A3 landscape, as wide as the page and as many pages long as it takes."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A3
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True


def _sheet_title(kind: str, agency: str, position: int) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique by position."""
    short = vn.short_agency(agency)
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in formula_safe(short)).strip()
    return f"{kind} {position}. {cleaned}"[:31]
