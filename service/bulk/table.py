"""Tables of rows from CSV, XLSX or JSON, and back to CSV or XLSX for editing."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from service.core import vn

FORMATS = ("csv", "xlsx", "json")
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableUnreadable(ValueError):
    """The table file cannot be read; the message says why, in Vietnamese."""


@dataclass
class Table:
    """A header and its data rows; cells are strings (CSV) or typed values (XLSX, JSON)."""

    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)


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


def read_table(content: bytes, fmt: str) -> Table:
    """Read a table of the given format; TableUnreadable with a clerk-readable reason."""
    if fmt == "csv":
        return _read_csv(content)
    if fmt == "xlsx":
        return _read_xlsx(content)
    if fmt == "json":
        try:
            data = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TableUnreadable(f"Tệp JSON không đọc được: {exc}") from None
        return table_from_records(data)
    raise TableUnreadable(f"Định dạng bảng {fmt!r} không được hỗ trợ (csv, xlsx, json).")


def table_from_records(data: Any) -> Table:
    """A table from a JSON list of objects (or {"rows": [...]}); columns in first-seen order."""
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise TableUnreadable("Bảng JSON phải là một danh sách các đối tượng {cột: giá trị}.")
    columns: list[str] = []
    for record in data:
        columns += [str(k).strip() for k in record if str(k).strip() not in columns]
    rows = [{str(k).strip(): v for k, v in record.items()} for record in data]
    return Table(columns, [r for r in rows if not _blank(r)])


def _from_grid(grid: list[list[Any]]) -> Table:
    """The first non-empty line is the header; empty lines are dropped."""
    grid = [line for line in grid if any(not _empty(c) for c in line)]
    if not grid:
        raise TableUnreadable("Bảng trống: cần một dòng tiêu đề (tên cột) và ít nhất một dòng.")
    header = [vn.clean_text(str(c)).strip() if not _empty(c) else "" for c in grid[0]]
    while header and not header[-1]:
        header.pop()
    for position, name in enumerate(header, start=1):
        if not name:
            raise TableUnreadable(f"Cột thứ {position} không có tên ở dòng tiêu đề.")
    seen = set()
    for name in header:
        if name in seen:
            raise TableUnreadable(f"Cột {name!r} xuất hiện hai lần ở dòng tiêu đề.")
        seen.add(name)
    rows = []
    for number, line in enumerate(grid[1:], start=2):
        extra = [c for c in line[len(header):] if not _empty(c)]
        if extra:
            raise TableUnreadable(f"Dòng {number} có nhiều ô hơn số cột của tiêu đề.")
        rows.append({name: line[i] if i < len(line) else None for i, name in enumerate(header)})
    return Table(header, rows)


def _read_csv(content: bytes) -> Table:
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
    return _from_grid([list(line) for line in csv.reader(io.StringIO(text), dialect)])


def _read_xlsx(content: bytes) -> Table:
    """The first sheet of an XLSX workbook, with the cells' values (not formulas)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise TableUnreadable(f"Tệp XLSX không đọc được: {type(exc).__name__}.") from None
    try:
        sheet = workbook.worksheets[0]
        grid = [list(line) for line in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _from_grid(grid)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank(record: dict[str, Any]) -> bool:
    return all(_empty(v) for v in record.values())


def write_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with a BOM (so Excel shows the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell_text(row.get(c)) for c in table.columns])
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(table: Table, title: str = "Danh sách") -> bytes:
    """The table as an XLSX workbook with a bold, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(table.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_cell_text(row.get(c)) for c in table.columns])
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
