"""Placeholders `{name}` in a document's text, filled per commune; `{{` and `}}` are braces.

A name is a built-in (BUILTINS, taken from the document's own fields, so a bulk row's issuer
and signer or the single form's unit profile fill it) or a column of a bulk table. Braces
around anything else (`{7*7}`, `{ a }`) are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from service.core.documents import DocumentInvalid

_TOKEN = re.compile(r"\{\{|\}\}|\{([^\W\d][\w.]*)\}")

# name → (where its value comes from, what the README says it is)
BUILTINS: dict[str, tuple[str, str]] = {
    "ten_xa": ("commune", "the commune as running text: `xã Y Tịch`, `phường Đông Kinh`"),
    "dia_danh": ("issuer.place", "the place name: `Y Tịch`"),
    "co_quan": ("issuer.agency", "the issuing agency: `Ủy ban nhân dân xã Y Tịch`"),
    "co_quan_viet_tat": ("issuer.agency_short", "its short name: `UBND xã Y Tịch`"),
    "co_quan_cap_tren": ("issuer.parent_agency", "the agency above it: `UBND tỉnh Lạng Sơn`"),
    "chu_tich": ("signer.name", "the signer's name: `Vương Văn Sơn`"),
    "chuc_vu": ("signer.title", "the signer's title: `Chủ tịch`"),
}
_KINDS = ("xã", "phường", "thị trấn", "đặc khu")
_AGENCY_PREFIXES = ("UBND ", "Ủy ban nhân dân ", "Uỷ ban nhân dân ")


class PlaceholdersUnfilled(ValueError):
    """Some placeholders have no value; `missing` maps field paths to the names."""

    def __init__(self, missing: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in missing.items()))
        self.missing = missing


def names_in(text: str) -> list[str]:
    """The placeholder names of a text, in order, each once."""
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        name = match.group(1)
        if name and name not in found:
            found.append(name)
    return found


def fill_text(text: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    """The text with its placeholders filled and braces unescaped; the names without a value."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]  # `{{` → `{`, `}}` → `}`
        value = values.get(name)
        if value is None or not value.strip():
            if name not in missing:
                missing.append(name)
            return match.group(0)
        return value

    return _TOKEN.sub(replace, text), missing


def document_names(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field path → the placeholder names its text uses (only paths that use some)."""
    return {path: names for path, text in texts(document) if (names := names_in(text))}


def fill_document(
    document: dict[str, Any], values: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A copy with every text filled; field path → the names left without a value."""
    missing: dict[str, list[str]] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, str):
            filled, absent = fill_text(value, values)
            if absent:
                missing[path] = absent
            return filled
        if isinstance(value, dict):
            return {k: v if k == "doc_type" else walk(v, _join(path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, _join(path, i)) for i, v in enumerate(value)]
        return value

    return walk(document, ""), missing


def fill_or_raise(document: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """A copy with every text filled; PlaceholdersUnfilled when a name has no value."""
    filled, missing = fill_document(document, values)
    if missing:
        raise PlaceholdersUnfilled(missing)
    return filled


def fill_single(document: dict[str, Any], *, columns: bool = False) -> dict[str, Any]:
    """A single document filled from its own fields (the unit profile's issuer and signer).

    DocumentInvalid names each field whose text keeps a placeholder without a value. With
    `columns` (the preview of a bulk base), a name no field fills is a column the bulk table
    will fill, and stays in the text as typed.
    """
    filled, missing = fill_document(document, builtin_values(document))
    if columns:
        missing = {path: known for path, names in missing.items()
                   if (known := [name for name in names if source_of(name)])}
    if missing:
        raise DocumentInvalid({path: [single_message(names)] for path, names in missing.items()})
    return filled


def column_names(document: Mapping[str, Any]) -> list[str]:
    """The names a document uses that no field fills: the columns a bulk table must have."""
    used = [name for names in document_names(document).values() for name in names]
    return [name for name in dict.fromkeys(used) if source_of(name) is None]


def columns_notice(names: list[str]) -> str:
    """What the preview says of a base whose names come from a bulk table's columns."""
    listed = ", ".join("{" + name + "}" for name in names)
    return (f"Văn bản có chỗ điền theo cột của bảng dữ liệu: {listed}. Dùng văn bản này làm văn "
            "bản gốc để tạo hàng loạt (bảng cần có các cột cùng tên); văn bản chưa điền không "
            "ban hành được.")


def single_message(names: list[str]) -> str:
    """Why a single document's placeholders stay empty, in Vietnamese."""
    parts = []
    for name in names:
        source = source_of(name)
        if source is None:
            known = ", ".join("{" + n + "}" for n in BUILTINS)
            parts.append(f"{{{name}}} không phải tên có sẵn ({known}); {literal_hint(name)}.")
        else:
            parts.append(f"{{{name}}} lấy từ {source}, trường này đang trống.")
    return " ".join(parts)


def literal_hint(name: str) -> str:
    """How to print a name in braces as it is: `viết {{ten}} để in nguyên dấu ngoặc`."""
    return f"viết {{{{{name}}}}} để in nguyên dấu ngoặc"


def builtin_values(document: Mapping[str, Any], commune: str | None = None) -> dict[str, str]:
    """The built-in names' values from a document's fields (and a bulk row's commune)."""
    values: dict[str, str] = {}
    for name, (source, _) in BUILTINS.items():
        if source != "commune":
            values[name] = _text_at(document, source)
    values["ten_xa"] = commune_in_text(commune or "") or _commune_of_agency(document)
    return values


def values_for_row(document: Mapping[str, Any], cells: Mapping[str, Any],
                   commune: str | None = None) -> dict[str, str]:
    """A bulk row's values: the built-ins from its document, then every column by its name."""
    values = builtin_values(document, commune)
    for name, cell in cells.items():
        text = "" if cell is None else str(cell)
        if text.strip() or name not in values:
            values[name] = text
    return values


def source_of(name: str) -> str | None:
    """The field path or column a built-in name is read from; None for other names."""
    return BUILTINS[name][0] if name in BUILTINS else None


def commune_in_text(name: str) -> str:
    """`Xã Thất Khê` → `xã Thất Khê`: the kind in lower case, as it reads mid-sentence."""
    name = " ".join(name.split())
    for kind in _KINDS:
        if name.lower().startswith(kind + " "):
            return kind + name[len(kind):]
    return name


def _commune_of_agency(document: Mapping[str, Any]) -> str:
    """The commune from the agency's names: `UBND xã Y Tịch` → `xã Y Tịch`."""
    for source in ("issuer.agency_short", "issuer.agency"):
        text = _text_at(document, source)
        for prefix in _AGENCY_PREFIXES:
            if text.startswith(prefix) and text[len(prefix):].strip():
                return commune_in_text(text[len(prefix):])
    return ""


def _text_at(document: Mapping[str, Any], path: str) -> str:
    """The text at a dotted path, or ""."""
    value: Any = document
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return " ".join(value.split()) if isinstance(value, str) else ""


def texts(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (field path, text) of a document."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, child in value.items():
            if key != "doc_type":
                yield from texts(child, _join(path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from texts(child, _join(path, index))


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)
