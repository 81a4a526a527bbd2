"""Columns as field paths of the document model, cells read as the field's type, set on the base.

A column is a dotted path (`issuer.agency`, `signer.name`, `date.day`, `kinh_gui.0`). A cell is
read as the web form reads an input (service.core.fields), except that a list column
(`recipients`, `kinh_gui`, `legal_bases`) also splits on the list separator (`;` by default),
as a cell has no comfortable new lines. An empty cell keeps the base document's value. A
`date` cell takes a spreadsheet date or `05/02/2023`, `…/02/2023`; fields holding other
structures (`body`, `appendices`, a whole part) take a JSON cell.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from service.core import vn
from service.core.definitions import Catalog, FieldDef
from service.core.fields import FieldInvalid, as_text, field_type

COMMUNE = "commune"  # the key column: the row's commune, in file names and the duplicate check
DEFAULT_SEPARATOR = ";"


class UnknownColumn(LookupError):
    """A column names no field of the document type."""


class CellInvalid(FieldInvalid):
    """A cell cannot be set at its column's path; the message is in Vietnamese."""


@dataclass(frozen=True)
class Column:
    """A resolved column: its path segments and the field it sets."""

    name: str
    path: tuple[str | int, ...]
    field: FieldDef


def resolve_column(catalog: Catalog, type_id: str, name: str) -> Column:
    """Resolve a column name to a field of the type; UnknownColumn when it names none."""
    fields = catalog.get(type_id).fields
    segments = [s.strip() for s in name.split(".")]
    path: list[str | int] = []
    current: FieldDef | None = None
    for segment in segments:
        if current is not None and current.type == "list" and current.item is not None:
            if not segment.isdigit():
                where = ".".join(map(str, path))
                raise UnknownColumn(f"{name}: sau {where} cần số thứ tự (0, 1, …).")
            path.append(int(segment))
            current = current.item
            continue
        if current is not None:
            if current.type != "part" or current.part not in catalog.parts:
                where = ".".join(map(str, path))
                raise UnknownColumn(f"{name}: trường {where} không có trường con.")
            fields = catalog.parts[current.part].fields
        match = next((f for f in fields if f.name == segment), None)
        if match is None:
            raise UnknownColumn(
                f"{name}: không có trường {segment!r} trong văn bản loại {type_id}."
            )
        path.append(segment)
        current = match
    if current is None or path == ["doc_type"]:
        raise UnknownColumn(f"{name}: không phải trường có thể thay.")
    return Column(name, tuple(path), current)


def apply_overrides(
    catalog: Catalog,
    type_id: str,
    base: dict[str, Any],
    cells: dict[str, Any],
    separator: str = DEFAULT_SEPARATOR,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The base with the row's non-empty cells set; and the errors by column (empty if none)."""
    document = copy.deepcopy(base)
    errors: dict[str, list[str]] = {}
    resolved = []
    for name, value in cells.items():
        if name == COMMUNE or is_empty(value):
            continue
        try:
            resolved.append((resolve_column(catalog, type_id, name), value))
        except UnknownColumn as exc:
            errors[name] = [str(exc)]
    # Whole lists before their items: `kinh_gui` then `kinh_gui.0`.
    for column, value in sorted(resolved, key=lambda item: len(item[0].path)):
        try:
            field = column.field
            set_path(document, column.path, field_type(field).read(field, value, separator))
        except FieldInvalid as exc:
            errors[column.name] = [str(exc)]
    return document, errors


def set_path(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set a value at a path, making missing parts; a list index may append one item."""
    target: Any = document
    for depth, segment in enumerate(path[:-1]):
        following = path[depth + 1]
        empty: Any = [] if isinstance(following, int) else {}
        target = _child(target, segment, empty, path[: depth + 1])
    last = path[-1]
    if isinstance(last, int):
        if last > len(target):
            where = ".".join(map(str, path[:-1]))
            raise CellInvalid(
                f"{where} chỉ có {len(target)} mục; hãy điền mục {len(target)} trước."
            )
        if last == len(target):
            target.append(value)
            return
    target[last] = value


def _child(target: Any, segment: str | int, empty: Any, where: tuple[str | int, ...]) -> Any:
    """The child at segment, created empty when missing."""
    if isinstance(segment, int):
        if segment == len(target):
            target.append(empty)
        elif segment > len(target):
            raise CellInvalid(f"{'.'.join(map(str, where[:-1]))} chỉ có {len(target)} mục.")
        return target[segment]
    if not isinstance(target.get(segment), dict | list):
        target[segment] = empty
    return target[segment]


def column_for(path: str, columns: list[str]) -> str:
    """The column an error path comes from (the longest column that is a prefix), else the path."""
    matches = [c for c in columns if path == c or path.startswith(c + ".")]
    return max(matches, key=len) if matches else path


def is_empty(value: Any) -> bool:
    """An empty cell keeps the base value."""
    return value is None or (isinstance(value, str) and not value.strip())


def commune_of(cells: dict[str, Any], index: int) -> str:
    """The row's commune: the `commune` column, else issuer.place or issuer.agency."""
    for key in (COMMUNE, "issuer.place", "issuer.agency"):
        if not is_empty(cells.get(key)):
            return vn.clean_text(as_text(cells[key])).strip()
    return f"Dòng {index}"
