"""The short solid lines of Decree 30 under the agency name, the motto and the subject."""

from __future__ import annotations

import functools

from PIL import ImageFont

from service.core import wordml

# LibreOffice sets Times New Roman in Liberation Serif, whose widths are the same.
FONT_FILES = {False: "LiberationSerif-Regular.ttf", True: "LiberationSerif-Bold.ttf"}
MM_PER_PT = 25.4 / 72
SCALE = 20  # glyphs are measured at 20× the size, then scaled back, for sub-point widths
FALLBACK_EM = 0.55  # average width of a character in ems when no font file is found
CELL_MARGIN_MM = 1.905  # the header tables' cells keep 108 twips of each side clear of text
# Decree 30: the line under the agency name is 1/3 to 1/2 of the name's width; the middle.
NAME_SHARE = 0.42
RULE_LINE_TWIPS = 40  # the rule paragraph is 2 pt high: only its top border shows


def text_width_mm(
    text: str, size_pt: float, *, bold: bool = True, column_mm: float | None = None
) -> float:
    """Width of the widest line of the text set at this size, wrapped at the column if given."""
    widths = [
        width
        for line in text.split("\n")
        for width in _wrapped_widths(line.split(), size_pt, bold, column_mm)
    ]
    return max(widths, default=0.0)


def line_count(
    text: str, size_pt: float, column_mm: float, *, bold: bool = False, indent_mm: float = 0.0
) -> int:
    """How many lines the text takes in a column of this width, its first line indented."""
    words = text.split()
    return len(_wrapped_widths(words, size_pt, bold, column_mm, indent_mm)) if words else 0


def line_width_mm(text: str, size_pt: float, *, bold: bool = True) -> float:
    """Width of the text on one line, its spaces included."""
    return _measure(text, size_pt, bold)


def _wrapped_widths(
    words: list[str], size_pt: float, bold: bool, column_mm: float | None, indent_mm: float = 0.0
) -> list[float]:
    """The widths of the lines that words fill one after another, as Writer wraps them."""
    widths: list[float] = []
    line = ""
    for word in words:
        longer = f"{line} {word}" if line else word
        room = None if column_mm is None else column_mm - (0.0 if widths else indent_mm)
        if line and room is not None and _measure(longer, size_pt, bold) > room:
            widths.append(_measure(line, size_pt, bold))
            longer = word
        line = longer
    return [*widths, _measure(line, size_pt, bold)]


# The same lines come back on every row of a bulk job and every preview of a draft: measured once.
@functools.lru_cache(maxsize=4096)
def _measure(text: str, size_pt: float, bold: bool) -> float:
    font = _font(bold, size_pt)
    points = font.getlength(text) / SCALE if font else len(text) * size_pt * FALLBACK_EM
    return points * MM_PER_PT


def rule(
    length_mm: float, column_mm: float, *, cell_margin_mm: float = 0.0, before_pt: float = 3
) -> str:
    """A centred rule paragraph of this length in a column of this width (cell margins aside)."""
    inner = column_mm - 2 * cell_margin_mm
    indent = wordml.mm(max(0.0, (inner - min(length_mm, inner)) / 2))
    return wordml.paragraph(
        "",
        "VBRule",
        props=[
            wordml.border("top"),
            f'<w:spacing w:before="{round(before_pt * 20)}" w:line="{RULE_LINE_TWIPS}" '
            'w:lineRule="exact"/>',
            f'<w:ind w:left="{indent}" w:right="{indent}"/>',
        ],
    )


def name_rule(
    text: str,
    size_pt: float,
    column_mm: float,
    *,
    cell_margin_mm: float = 0.0,
    before_pt: float = 3,
) -> str:
    """The rule under a name (agency, subject): a share of its widest line, wrapping included."""
    width = text_width_mm(text, size_pt, column_mm=column_mm - 2 * cell_margin_mm)
    return rule(width * NAME_SHARE, column_mm, cell_margin_mm=cell_margin_mm, before_pt=before_pt)


@functools.lru_cache(maxsize=8)
def _font(bold: bool, size_pt: float) -> ImageFont.FreeTypeFont | None:
    try:
        # Pillow looks the bare file name up in the system's font folders.
        return ImageFont.truetype(FONT_FILES[bold], round(size_pt * SCALE))
    except OSError:
        return None
