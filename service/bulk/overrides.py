"""Columns as field paths of the document model, cells coerced to the field's type, set on the base.

A column is a dotted path (`issuer.agency`, `signer.name`, `date.day`, `kinh_gui.0`); a list
column (`recipients`, `kinh_gui`, `legal_bases`) splits its cell on the list separator (`;` by
default) and on new lines. An empty cell keeps the base document's value. Fields holding
structures (`body`, `appendices`, a whole part) take a JSON cell.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from service.core import vn
from service.core.definitions import Catalog, FieldDef

COMMUNE = "commune"  # the key column: the row's commune, in file names and the duplicate check
DEFAULT_SEPARATOR = ";"
TRUE = {"1", "true", "x", "có", "co", "yes", "đúng", "dung"}
FALSE = {"0", "false", "không", "khong", "no", "sai"}


class UnknownColumn(LookupError):
    """A column names no field of the document type."""


class CellInvalid(ValueError):
    """A cell cannot be turned into its field's type; the message is in Vietnamese."""


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


def coerce(field: FieldDef, value: Any, separator: str = DEFAULT_SEPARATOR) -> Any:
    """Turn a cell into the field's type; CellInvalid with a Vietnamese reason."""
    kind = field.type
    if kind in ("line", "text", "rich", "choice"):
        return vn.clean_text(_text(value)).strip()
    if kind == "integer":
        return _integer(value)
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            return float(_text(value).strip().replace(",", "."))
        except ValueError:
            raise CellInvalid(f"Phải là số, không phải {_text(value)!r}.") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        word = _text(value).strip().lower()
        if word in TRUE | FALSE:
            return word in TRUE
        raise CellInvalid(f"Phải là có/không (true/false), không phải {_text(value)!r}.")
    if kind == "list" and field.item is not None and field.item.type in ("line", "text", "rich"):
        if isinstance(value, list):
            return [coerce(field.item, v, separator) for v in value]
        return split_list(_text(value), separator)
    if kind == "part" and field.part == "doc_date" and isinstance(value, datetime | date):
        return {"day": value.day, "month": value.month, "year": value.year}
    # Structures (body, appendices, a whole part) come as JSON.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise CellInvalid("Phải là JSON (cấu trúc của trường này).") from None
    return value


def split_list(text: str, separator: str = DEFAULT_SEPARATOR) -> list[str]:
    """Split a list cell on the separator and on new lines; blank items are dropped."""
    parts = re.split("|".join([re.escape(separator), r"\r?\n"]), vn.clean_text(text))
    return [p.strip() for p in parts if p.strip()]


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
            set_path(document, column.path, coerce(column.field, value, separator))
        except CellInvalid as exc:
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


def is_empty(value: Any) -> bool:
    """An empty cell keeps the base value."""
    return value is None or (isinstance(value, str) and not value.strip())


def commune_of(cells: dict[str, Any], index: int) -> str:
    """The row's commune: the `commune` column, else issuer.place or issuer.agency."""
    for key in (COMMUNE, "issuer.place", "issuer.agency"):
        if not is_empty(cells.get(key)):
            return vn.clean_text(_text(cells[key])).strip()
    return f"Dòng {index}"


def _text(value: Any) -> str:
    """A cell as text; an integral float from Excel loses its ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def _integer(value: Any) -> int:
    """An integer cell: 5, 5.0 or "5"."""
    if isinstance(value, bool):
        raise CellInvalid("Phải là số nguyên.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    raise CellInvalid(f"Phải là số nguyên, không phải {text!r}.")
