"""The general table block: its columns' alignment, weights and the `Tổng cộng` row."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from service.core import vn
from service.core.field_values import FieldInvalid, read_decimal

TOTAL = "Tổng cộng"
STT = "STT"
NO_FIGURE = "-"  # what a clerk writes in a cell with no figure; a form cannot send a blank item


def filled(text: str) -> bool:
    """Whether a cell holds something besides blank or the no-figure dash."""
    return text.strip() not in ("", NO_FIGURE)


def figure(text: str) -> int | float | None:
    """The number a cell holds (`1.250`, `12,5`, `-3`), or None for text."""
    if not filled(text):
        return None
    try:
        return read_decimal(text, "")
    except FieldInvalid:
        return None


def figure_columns(rows: Sequence[Sequence[str]]) -> list[bool]:
    """For each column, whether every filled cell is a figure (and one is filled)."""
    count = len(rows[0]) if rows else 0
    return [
        any(filled(row[c]) for row in rows)
        and all(figure(row[c]) is not None for row in rows if filled(row[c]))
        for c in range(count)
    ]


def total_row(
    columns: Sequence[str], rows: Sequence[Sequence[str]], summed: Sequence[str]
) -> list[str]:
    """`Tổng cộng` in the first text column, the sums of the columns named in `summed`."""
    cells = [""] * len(columns)
    for c, title in enumerate(columns):
        if title in summed:
            values = [figure(row[c]) for row in rows]
            cells[c] = vn.format_number(sum(Decimal(str(v)) for v in values if v is not None))
    first_free = next((c for c, text in enumerate(cells) if not text), None)
    if first_free is not None:
        cells[first_free] = TOTAL
    return cells


def weights(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    """Each column's share of the width: its longest cell, its header counting half."""
    return [
        max(len(title) / 2, 6.0, *(len(row[c]) for row in rows))
        for c, title in enumerate(columns)
    ]


def shape_problem(block: dict[str, Any]) -> dict[str, Any] | None:
    """The error of a row with too few or too many cells, or a total of a missing column."""
    columns = block.get("columns") or []
    for index, row in enumerate(block.get("rows") or []):
        cells = row.get("cells") or []
        if len(cells) != len(columns):
            message = (f"Dòng {index + 1} có {len(cells)} ô, bảng có {len(columns)} cột; "
                       "mỗi dòng cần đủ một ô cho mỗi cột (ô không có số liệu ghi “-”).")
            return {"rows": {index: {"cells": [message]}}}
    for name in block.get("totals") or []:
        if name not in columns:
            return {"totals": [f"Không có cột “{name}” để cộng; hãy ghi đúng tên cột."]}
        c = columns.index(name)
        cells = [row["cells"][c] for row in block["rows"]]
        words = [text for text in cells if filled(text) and figure(text) is None]
        if words:
            message = f"Cột “{name}” có ô không phải số (“{words[0]}”) nên không cộng được."
            return {"totals": [message]}
    return None
