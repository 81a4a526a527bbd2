"""Tables of rows from CSV, XLSX or JSON, and back to CSV or XLSX for editing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from service.bulk.rows import (
    MAX_CELL,
    MAX_COLUMNS,
    Table,
    TableTooLarge,
    TableUnreadable,
    TooManyRows,
    blank_record,
    cell_text,
    check_cell,
    count_text,
    formula_safe,
    from_lines,
    guarded,
    long_cell,
    too_many_rows,
    too_wide,
)
from service.bulk.xlsx import XLSX_MEDIA, read_xlsx, write_xlsx

# The bulk package's one door to tables: the names from rows and xlsx are given on from here.
__all__ = [
    "FORMATS", "MAX_CELL", "MAX_COLUMNS", "XLSX_MEDIA", "Table", "TableTooLarge",
    "TableUnreadable", "TooManyRows", "formula_safe", "read_table", "table_format",
    "table_from_records", "too_many_rows", "write_csv", "write_xlsx",
]

FORMATS = ("csv", "xlsx", "json")


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
        return read_xlsx(content, max_rows)
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
        raise too_wide(len(columns))
    rows = [{str(k).strip(): v for k, v in record.items()} for record in data]
    for number, row in enumerate(rows, start=1):
        for position, name in enumerate(columns, start=1):
            check_cell(row.get(name), number, position)
    return Table(columns, [r for r in rows if not blank_record(r)])


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
            length = f"hơn {count_text(csv.field_size_limit())}"
            return long_cell(number, _long_column("".join(record), dialect), length)
        return TableUnreadable(f"Dòng {number} của tệp CSV không đọc được: {exc}.")

    def records() -> Iterator[list[str]]:
        for line in csv.reader(physical_lines(), dialect):
            yield line
            record.clear()

    return from_lines(guarded(records(), (csv.Error,), reason), max_rows)


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


def write_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with a BOM (so Excel shows the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([formula_safe(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([formula_safe(cell_text(row.get(c))) for c in table.columns])
    return out.getvalue().encode("utf-8-sig")
