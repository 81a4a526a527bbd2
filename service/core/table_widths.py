"""Table columns sized from their content: no word or reference is ever split inside a cell."""

from __future__ import annotations

from collections.abc import Sequence

from service.core import rules

TEXT_SIZE = 12  # points: VBTableText and VBTableHead
CELL_MARGINS_MM = 2 * 2.0  # the left and right margins of every cell (wordml.table)
SLACK_MM = 0.6  # Writer's and Word's metrics differ a little from the font file's
JUSTIFIED_FROM_MM = 60.0  # narrower cells are set flush left: justified, they gape


def column_widths(
    weights: Sequence[float], columns: Sequence[Sequence[tuple[str, bool]]], total_mm: float
) -> list[float]:
    """Widths filling `total_mm` in proportion to `weights`, each fitting its longest word.

    `columns` holds each column's texts with whether they are bold (the header). Where even
    the longest words cannot all fit, the widths follow those words' proportions.
    """
    least = [_least(texts) for texts in columns]
    if sum(least) >= total_mm:
        return [total_mm * w / sum(least) for w in least]
    fixed: set[int] = set()
    while True:
        free = [i for i in range(len(weights)) if i not in fixed]
        room = total_mm - sum(least[i] for i in fixed)
        share = sum(weights[i] for i in free)
        widths = [least[i] if i in fixed else room * weights[i] / share
                  for i in range(len(weights))]
        short = [i for i in free if widths[i] < least[i]]
        if not short:
            return widths
        fixed.update(short)


def alignment(width_mm: float) -> str:
    """`both` (justified) in a cell wide enough for it, else `left`."""
    return "both" if width_mm >= JUSTIFIED_FROM_MM else "left"


def _least(texts: Sequence[tuple[str, bool]]) -> float:
    """The width of the column's longest word (a reference such as 45/2020/NĐ-CP is one)."""
    longest = max((rules.text_width_mm(word, TEXT_SIZE, bold=bold)
                   for text, bold in texts for word in text.split()), default=0.0)
    return longest + CELL_MARGINS_MM + SLACK_MM
