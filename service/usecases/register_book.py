"""A year's outgoing register as the XLSX offices keep on paper: one row per entry, by number."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from service.bulk.table import formula_safe
from service.usecases.ports import RegisterRecord

# The paper book's columns (sổ đăng ký văn bản đi), in its order.
COLUMNS = (
    ("Số", 7),
    ("Ngày", 12),
    ("Ký hiệu", 16),
    ("Tên loại và trích yếu nội dung", 60),
    ("Người ký", 24),
    ("Nơi nhận", 48),
    ("Số lượng bản", 10),
)


def paper_row(entry: RegisterRecord, type_name: Callable[[str], str]) -> list[Any]:
    """One entry as the book's row: number, date, symbol, subject, signer, recipients, copies."""
    inputs = entry.inputs or {}
    signer = inputs.get("signer") or {}
    recipients = [part.strip() for line in inputs.get("recipients") or []
                  for part in str(line).split(";") if part.strip()]
    # One copy to each recipient named and one kept in the archive ("Lưu: VT").
    copies = len(recipients) + (1 if inputs.get("archive") else 0)
    return [
        entry.number_text,
        entry.document_date.strftime("%d/%m/%Y"),
        entry.symbol,
        f"{type_name(entry.doc_type)}: {entry.subject}",
        " ".join(filter(None, [signer.get("title"), signer.get("name")])),
        "; ".join(recipients),
        copies,
    ]


def register_xlsx(
    entries: list[RegisterRecord], year: int, type_name: Callable[[str], str]
) -> bytes:
    """The entries (in number order) as one sheet per issuing agency, titled with the year."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheets: dict[str, Any] = {}
    for entry in entries:
        sheet = sheets.get(entry.agency_key)
        if sheet is None:
            sheet = workbook.active if not sheets else workbook.create_sheet()
            assert sheet is not None
            sheet.title = _sheet_title(entry.agency, len(sheets) + 1)
            sheet.append([formula_safe(f"SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM {year} - {entry.agency}")])
            sheet["A1"].font = Font(bold=True)
            sheet.append([name for name, _ in COLUMNS])
            for position, (_, width) in enumerate(COLUMNS, start=1):
                sheet.cell(2, position).font = Font(bold=True)
                sheet.column_dimensions[sheet.cell(2, position).column_letter].width = width
            sheet.freeze_panes = "A3"
            sheets[entry.agency_key] = sheet
        # openpyxl stores a string starting with "=" as a formula: quoted, it stays text.
        sheet.append([formula_safe(value) for value in paper_row(entry, type_name)])
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if not sheets:
        sheet = workbook.active
        assert sheet is not None
        sheet.title = f"Năm {year}"
        sheet.append([f"SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM {year}: chưa có văn bản nào."])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(agency: str, position: int) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique by position."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in formula_safe(agency)).strip()
    return f"{position}. {cleaned}"[:31]
