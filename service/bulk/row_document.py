"""One row's document: the base with the row's field columns set and its placeholders filled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from service.bulk import derived
from service.bulk.overrides import (
    COMMUNE,
    DEFAULT_SEPARATOR,
    Column,
    UnknownColumn,
    apply_overrides,
    is_empty,
    resolve_column,
)
from service.core import placeholders
from service.core.definitions import Catalog


@dataclass(frozen=True)
class RowDocument:
    """The row's filled document, its cells that did not fit, and its unfilled placeholders."""

    document: dict[str, Any]
    merged: dict[str, Any]  # the base with the row's columns and derived fields, still unfilled
    cell_errors: dict[str, list[str]]  # column → messages
    unfilled: dict[str, list[str]]  # field path → placeholder names without a value


def field_columns(catalog: Catalog, type_id: str, columns: Iterable[str]) -> dict[str, Column]:
    """The columns that name a field of the type, resolved (the others are placeholder values)."""
    found = {}
    for name in columns:
        if name == COMMUNE:
            continue
        try:
            found[name] = resolve_column(catalog, type_id, name)
        except UnknownColumn:
            continue
    return found


def row_document(
    catalog: Catalog,
    type_id: str,
    base: dict[str, Any],
    cells: dict[str, Any],
    separator: str = DEFAULT_SEPARATOR,
) -> RowDocument:
    """Set the row's columns on the base and what its agency decides, then fill `{name}`."""
    fields = field_columns(catalog, type_id, cells)
    document, errors = apply_overrides(
        catalog, type_id, base, {k: v for k, v in cells.items() if k in fields}, separator
    )
    set_paths = [column.path for name, column in fields.items()
                 if not is_empty(cells[name]) and name not in errors]
    document = derived.follow_row(base, document, set_paths)
    commune = cells.get(COMMUNE)
    values = placeholders.values_for_row(
        document, cells, str(commune) if commune is not None else None
    )
    filled, unfilled = placeholders.fill_document(document, values)
    return RowDocument(filled, document, errors, unfilled)


def unfilled_message(path: str, names: list[str]) -> str:
    """`Chỗ {chu_tich} trong signer.name…`: a placeholder this row leaves empty, in Vietnamese."""
    shown = ", ".join("{" + n + "}" for n in names)
    return f"Không có giá trị cho {shown} (dùng ở {path}): ô của dòng này trống."
