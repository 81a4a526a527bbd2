"""The pre-flight report on a table: unknown columns, bad values by row and column, duplicates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.bulk.overrides import (
    COMMUNE,
    DEFAULT_SEPARATOR,
    UnknownColumn,
    apply_overrides,
    commune_of,
    resolve_column,
)
from service.bulk.table import Table
from service.core import vn
from service.core.documents import DocumentInvalid, DocumentService


@dataclass
class RowProblem:
    """One bad value: its row (1 = first data row), column, cell and the reason."""

    row: int
    column: str
    message: str
    value: Any = None


@dataclass
class Report:
    """Everything wrong with a table before a job runs; `ok` when nothing is."""

    rows: int = 0
    unknown_columns: list[dict[str, str]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    base_errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the job can run as it is."""
        return not (self.unknown_columns or self.problems or self.duplicates or self.base_errors)

    @property
    def blocking(self) -> bool:
        """Whether the job cannot run even with bad rows allowed (broken base, unknown columns)."""
        return bool(self.unknown_columns or self.base_errors) or self.rows == 0

    def bad_rows(self) -> set[int]:
        """Rows with a bad value or a duplicate commune."""
        rows = {p.row for p in self.problems}
        for dup in self.duplicates:
            rows.update(dup["rows"][1:])
        return rows

    def as_dict(self) -> dict[str, Any]:
        """The report as the API and the page show it."""
        return {
            "ok": self.ok,
            "rows": self.rows,
            "valid_rows": self.rows - len(self.bad_rows()),
            "base_errors": self.base_errors,
            "unknown_columns": self.unknown_columns,
            "errors": [
                {"row": p.row, "column": p.column, "value": _shown(p.value), "message": p.message}
                for p in self.problems
            ],
            "duplicates": self.duplicates,
        }

    def flat(self) -> dict[str, list[str]]:
        """Field path → messages, the service's usual error shape (`rows.3.date.day`)."""
        out: dict[str, list[str]] = {f"base.{k}": v for k, v in self.base_errors.items()}
        for unknown in self.unknown_columns:
            out[f"columns.{unknown['column']}"] = [unknown["message"]]
        for p in self.problems:
            out.setdefault(f"rows.{p.row}.{p.column}", []).append(p.message)
        for dup in self.duplicates:
            for row in dup["rows"][1:]:
                out.setdefault(f"rows.{row}.{COMMUNE}", []).append(dup["message"])
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
    """Validate the base, the columns and every row with the type's schema."""
    report = Report(rows=len(table.rows))
    try:
        service.validate(type_id, base)
    except DocumentInvalid as exc:
        report.base_errors = exc.errors
        return report
    for name in table.columns:
        if name == COMMUNE:
            continue
        try:
            resolve_column(service.catalog, type_id, name)
        except UnknownColumn as exc:
            report.unknown_columns.append({"column": name, "message": str(exc)})
    if report.unknown_columns:
        return report
    seen: dict[str, int] = {}
    for index, cells in enumerate(table.rows, start=1):
        report.problems += row_problems(service, type_id, base, cells, index, separator)
        commune = commune_of(cells, index)
        # Communes share names across provinces: a duplicate is the same name under one parent.
        # Case, spacing and tone-mark placement (Thủy/Thuỷ) are ignored, diacritics are not
        # (Lộc Thạnh and Lộc Thành both exist).
        parent = str(cells.get("issuer.parent_agency") or "")
        key = vn.match_key(f"{vn.clean_text(parent)} / {vn.clean_text(commune)}")
        if key in seen:
            first = seen[key]
            report.duplicates.append(
                {
                    "rows": [first, index],
                    "commune": commune,
                    "message": f"Xã/phường {commune!r} trùng với dòng {first}.",
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
) -> list[RowProblem]:
    """The bad values of one row: cells that do not coerce, then the schema's complaints."""
    document, errors = apply_overrides(service.catalog, type_id, base, cells, separator)
    problems = [
        RowProblem(index, column, " ".join(messages), cells.get(column))
        for column, messages in errors.items()
    ]
    if problems:
        return problems
    try:
        service.validate(type_id, document)
    except DocumentInvalid as exc:
        for path, messages in exc.errors.items():
            column = column_for(path, list(cells))
            problems.append(RowProblem(index, column, " ".join(messages), cells.get(column)))
    return problems


def column_for(path: str, columns: list[str]) -> str:
    """The column an error path comes from (the longest column that is a prefix), else the path."""
    matches = [c for c in columns if path == c or path.startswith(c + ".")]
    return max(matches, key=len) if matches else path


def _shown(value: Any) -> Any:
    """A cell as the report shows it (JSON-safe)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
