"""The pre-flight report on a table: every problem of every row at once, by spreadsheet row.

Unknown columns, placeholders no row can fill, bad values (every one of a row, not only the
first), placeholders a row leaves empty, and duplicate communes. Rows are numbered as the
spreadsheet shows them (the header is row 1), so a clerk finds them without counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.bulk.leftovers import leftovers
from service.bulk.overrides import (
    COMMUNE,
    DEFAULT_SEPARATOR,
    UnknownColumn,
    column_for,
    commune_of,
    resolve_column,
)
from service.bulk.row_document import row_document, unfilled_message
from service.bulk.table import Table
from service.core import placeholders, vn
from service.core.documents import DocumentInvalid, DocumentService


@dataclass
class RowProblem:
    """One bad value: its spreadsheet row, column, cell and the reason; `index` is the data row."""

    row: int
    column: str
    message: str
    value: Any = None
    index: int = 0


@dataclass
class Report:
    """Everything wrong with a table before a job runs; `ok` when nothing is."""

    rows: int = 0
    unknown_columns: list[dict[str, str]] = field(default_factory=list)
    unknown_placeholders: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    base_errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the job can run as it is."""
        return not (self.blocking or self.problems or self.duplicates)

    @property
    def blocking(self) -> bool:
        """Whether the job cannot run even with bad rows allowed (broken base, unknown columns)."""
        return bool(self.unknown_columns or self.unknown_placeholders or self.base_errors) or (
            self.rows == 0
        )

    def bad_rows(self) -> dict[int, list[str]]:
        """Data row → why it must not run: a bad value, or a duplicate of an earlier row."""
        bad: dict[int, list[str]] = {}
        # The job page numbers rows by their files (STT); the table's own row is named too.
        for p in self.problems:
            bad.setdefault(p.index, []).append(f"dòng {p.row} của bảng, cột {p.column}: "
                                               f"{p.message}")
        for dup in self.duplicates:
            bad.setdefault(dup["indexes"][1], []).append(
                f"dòng {dup['rows'][1]} của bảng: {dup['message']}")
        return bad

    def as_dict(self) -> dict[str, Any]:
        """The report as the API and the page show it (rows as the spreadsheet numbers them)."""
        return {
            "ok": self.ok,
            "rows": self.rows,
            "valid_rows": self.rows - len(self.bad_rows()),
            "base_errors": self.base_errors,
            "unknown_columns": self.unknown_columns,
            "unknown_placeholders": self.unknown_placeholders,
            "errors": [
                {"row": p.row, "column": p.column, "value": _shown(p.value), "message": p.message}
                for p in self.problems
            ],
            "duplicates": [{k: d[k] for k in ("rows", "commune", "message")}
                           for d in self.duplicates],
        }

    def flat(self) -> dict[str, list[str]]:
        """Field path → messages, the service's usual error shape (`rows.3.date.day`)."""
        out: dict[str, list[str]] = {f"base.{k}": v for k, v in self.base_errors.items()}
        for unknown in self.unknown_columns:
            out[f"columns.{unknown['column']}"] = [unknown["message"]]
        for name in self.unknown_placeholders:
            out[f"placeholders.{name['name']}"] = [name["message"]]
        for p in self.problems:
            out.setdefault(f"rows.{p.row}.{p.column}", []).append(p.message)
        for dup in self.duplicates:
            out.setdefault(f"rows.{dup['rows'][1]}.{COMMUNE}", []).append(dup["message"])
        if self.rows == 0:
            out["rows"] = ["Bảng không có dòng nào."]
        return out


def check_table(
    service: DocumentService,
    type_id: str,
    base: dict[str, Any],
    table: Table,
    separator: str = DEFAULT_SEPARATOR,
) -> Report:
    """Validate the base, the columns, the placeholders and every row with the type's schema."""
    report = Report(rows=len(table.rows))
    try:
        service.validate(type_id, base)
    except DocumentInvalid as exc:
        report.base_errors = exc.errors
        return report
    used = placeholders.document_names(base)
    used_names = {n for names in used.values() for n in names}
    unknown: set[str] = set()
    for name in table.columns:
        if name == COMMUNE or name in used_names:
            continue  # a column the base's text names is a placeholder value
        try:
            resolve_column(service.catalog, type_id, name)
        except UnknownColumn as exc:
            unknown.add(name)
            report.unknown_columns.append({"column": name, "message": str(exc)})
    known = set(placeholders.BUILTINS) | set(table.columns)
    for name in sorted(used_names - known):
        paths = [path for path, names in used.items() if name in names]
        report.unknown_placeholders.append({
            "name": name,
            "paths": paths,
            "message": f"Văn bản gốc dùng {{{name}}} (ở {', '.join(paths)}) nhưng bảng không có "
                       f"cột {name} và đó không phải tên có sẵn. Thêm cột {name}, hoặc "
                       f"{placeholders.literal_hint(name)}.",
        })
    seen: dict[str, int] = {}
    for index, cells in enumerate(table.rows, start=1):
        line = table.line(index)
        known_cells = {k: v for k, v in cells.items() if k not in unknown}
        report.problems += row_problems(
            service, type_id, base, known_cells, index, separator, line=line,
            skip=used_names - known,
        )
        commune = commune_of(cells, line)
        # Communes share names across provinces: a duplicate is the same name under one parent.
        # Case, spacing and tone-mark placement (Thủy/Thuỷ) are ignored, diacritics are not
        # (Lộc Thạnh and Lộc Thành both exist).
        parent = str(cells.get("issuer.parent_agency") or "")
        key = vn.match_key(f"{vn.clean_text(parent)} / {vn.clean_text(commune)}")
        if key in seen:
            first = seen[key]
            report.duplicates.append(
                {
                    "rows": [table.line(first), line],
                    "indexes": [first, index],
                    "commune": commune,
                    "message": f"Xã/phường {commune!r} trùng với dòng {table.line(first)}; "
                               "dòng này không được tạo.",
                }
            )
        else:
            seen[key] = index
    return report


def row_problems(
    service: DocumentService,
    type_id: str,
    base: dict[str, Any],
    cells: dict[str, Any],
    index: int,
    separator: str = DEFAULT_SEPARATOR,
    *,
    line: int | None = None,
    skip: set[str] | None = None,
) -> list[RowProblem]:
    """Every bad value of one row: cells that do not fit, empty placeholders, schema complaints.

    `skip` holds placeholder names reported once for the whole table (no column has them).
    """
    row = line if line is not None else index
    result = row_document(service.catalog, type_id, base, cells, separator)
    problems = [
        RowProblem(row, column, " ".join(messages), cells.get(column), index)
        for column, messages in result.cell_errors.items()
    ]
    for path, names in result.unfilled.items():
        names = [n for n in names if n not in (skip or ())]
        for name in names:
            column = placeholders.source_of(name) or name
            problems.append(
                RowProblem(row, column, unfilled_message(path, [name]), cells.get(column), index)
            )
    try:
        service.validate(type_id, result.document)
    except DocumentInvalid as exc:
        reported = {p.column for p in problems}
        for path, messages in exc.errors.items():
            column = column_for(path, list(cells))
            if column not in reported:  # a cell that did not fit left the base's value there
                problems.append(
                    RowProblem(row, column, " ".join(messages), cells.get(column), index)
                )
    problems += base_commune_problems(service, type_id, base, cells, result.merged, row, index)
    order = {name: position for position, name in enumerate(cells)}
    return sorted(problems, key=lambda p: order.get(p.column, len(order)))  # as the row reads


def base_commune_problems(
    service: DocumentService,
    type_id: str,
    base: dict[str, Any],
    cells: dict[str, Any],
    merged: dict[str, Any],
    row: int,
    index: int,
) -> list[RowProblem]:
    """The base commune's names a row for another commune would print: by its cell or path."""
    return [
        RowProblem(row, found.path, found.message(column=_is_column(service, type_id, found.path)),
                   cells.get(found.path), index)
        for found in leftovers(base, merged, cells)
    ]


def _is_column(service: DocumentService, type_id: str, path: str) -> bool:
    """Whether a table may have a column for this path (a list item, a field; not a block's)."""
    try:
        resolve_column(service.catalog, type_id, path)
    except UnknownColumn:
        return False
    return True


def _shown(value: Any) -> Any:
    """A cell as the report shows it (JSON-safe)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
