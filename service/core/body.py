"""Turn validated body blocks into WordprocessingML paragraphs and tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from service.core import data_table, markup, table_widths, vn, wordml
from service.core.markup import Span
from service.core.page import text_width_mm

DEFAULT_SCHEMES = ("roman", "decimal", "decimal", "alpha", "dash")


@dataclass(frozen=True)
class Numbering:
    """Where a section sits: its scheme, the parent's decimal label, and the text width."""

    scheme: str
    parent_label: str = ""
    depth: int = 0


class BodyWriter:
    """Writes the blocks of one document, sharing its footnotes."""

    def __init__(
        self,
        notes: wordml.Footnotes | None = None,
        *,
        landscape: bool = False,
        titled_articles: bool = False,
    ) -> None:
        self.notes = notes or wordml.Footnotes()
        self.landscape = landscape
        # In a regulation an article's text is its title, bold as its number (Decree 30).
        self.titled_articles = titled_articles
        self.article_count = 0
        self.kinds: dict[str, Callable[[dict[str, Any], Numbering, int], str]] = {
            "paragraph": lambda b, _n, _i: self.rich(b["text"]),
            "bullet": lambda b, _n, _i: self.rich(markup.strip_bullet(b["text"]), prefix="- "),
            "section": self.section,
            "assignments": lambda b, _n, _i: self.assignments(b["rows"]),
            "indicators": lambda b, _n, _i: self.indicators(b["rows"], b["total"]),
            "article": self.article,
            "table": lambda b, _n, _i: self.table(b),
        }

    def rich(self, text: str, style: str = "VBBody", *, prefix: str = "", **emphasis: bool) -> str:
        """One body paragraph from marked-up text."""
        pieces = markup.parse(text)
        lead = wordml.run(prefix, **emphasis) if prefix else ""
        return wordml.paragraph(
            lead + wordml.runs(pieces, self.notes, **emphasis), style, props=_introducing(text)
        )

    def paragraphs(self, texts: Sequence[str], style: str = "VBBody") -> str:
        """Several body paragraphs."""
        return "".join(self.rich(t, style) for t in texts)

    def blocks(self, blocks: Sequence[dict[str, Any]], numbering: Numbering | None = None) -> str:
        """Render blocks in order; sections are numbered by position."""
        numbering = numbering or Numbering(DEFAULT_SCHEMES[0])
        out = []
        counter = 0
        for block in blocks:
            if block["kind"] == "section":
                counter = _next_counter(block.get("number"), counter)
            out.append(self.kinds[block["kind"]](block, numbering, counter))
        return "".join(out)

    def section(self, block: dict[str, Any], numbering: Numbering, counter: int) -> str:
        """A numbered heading, its blocks, then the lead/support/deadline lines."""
        label = block.get("number") or _label(numbering, counter)
        children = block.get("body") or []
        has_lines = any(block.get(k) for k in ("lead", "support", "deadline"))
        style, upper, bold, italic = _heading_style(numbering.scheme, label)
        # Every title keeps with its first line, `a)` items (body style) included.
        keep = wordml.keep_next()
        if not (children or has_lines or numbering.scheme == "roman"):
            # A numbered item with nothing under it titles nothing: it reads as a body paragraph,
            # and is not kept with the next one (a run of them would move to the next page).
            style, bold, italic, keep = "VBBody", False, False, wordml.keep_next(False)
        pieces = markup.parse(markup.strip_label(block["title"]))
        if upper:
            pieces = [vn_upper(p) for p in pieces]
        title = wordml.run(label + " ", bold=bold, italic=italic) if label else ""
        title += wordml.runs(pieces, self.notes, bold=bold, italic=italic)
        out = [wordml.paragraph(title, style, props=[keep])]
        child_scheme = block.get("numbering") or _child_default(numbering)
        parent_label = label if numbering.scheme == "decimal" else ""
        child = Numbering(child_scheme, parent_label, numbering.depth + 1)
        out.append(self.blocks(children, child))
        for key, caption in (
            ("lead", "Chủ trì"),
            ("support", "Phối hợp"),
            ("deadline", "Thời gian thực hiện"),
        ):
            if block.get(key):
                line = wordml.run(f"{caption}: ", italic=True) + wordml.runs(
                    markup.parse(block[key]), self.notes)
                out.append(wordml.paragraph(line, "VBBody"))
        return "".join(out)

    def article(self, block: dict[str, Any], numbering: Numbering, counter: int) -> str:
        """`Điều N.` in bold followed by its text and blocks."""
        # A trích sao gives the articles it keeps their numbers in the original.
        self.article_count = block.get("number") or self.article_count + 1
        head = wordml.run(f"Điều {self.article_count}. ", bold=True)
        text = wordml.runs(markup.parse(block["text"]), self.notes, bold=self.titled_articles)
        child = Numbering("alpha", "", numbering.depth + 1)
        clauses = block.get("clauses") or []
        titles = self.titled_articles and bool(block.get("body") or clauses)
        props = [wordml.keep_next()] if titles else _introducing(block["text"])
        return (wordml.paragraph(head + text, "VBBody", props=props)
                + "".join(self.clause(c, n) for n, c in enumerate(clauses, 1))
                + self.blocks(block.get("body") or [], child))

    def clause(self, clause: dict[str, Any], number: int) -> str:
        """Khoản `1.` of an article and its điểm `a)`, `b)`, as the layout numbers them."""
        points = clause.get("points") or []
        out = [self.rich(clause["text"], prefix=f"{number}. ")]
        out += [self.rich(text, prefix=f"{vn.alpha_label(n)}) ")
                for n, text in enumerate(points, 1)]
        return "".join(out)

    def assignments(self, rows: Sequence[dict[str, Any]]) -> str:
        """The assignment table: STT, task, lead, support, deadline, output."""
        header = (
            "STT",
            "Nội dung nhiệm vụ",
            "Cơ quan chủ trì",
            "Cơ quan phối hợp",
            "Thời gian thực hiện",
            "Sản phẩm/Ghi chú",
        )
        texts = [[str(i), markup.plain(r["task"]), r["lead"], r.get("support") or "",
                  r.get("deadline") or "", r.get("output") or ""] for i, r in enumerate(rows, 1)]
        widths = self._widths((13, 52, 30, 30, 22, 24), header, texts)
        body = [
            [
                wordml.cell_text(str(i), align="center"),
                wordml.paragraph(
                    wordml.runs(markup.parse(r["task"]), self.notes), "VBTableText",
                    align=table_widths.alignment(widths[1]),
                ),
                wordml.cell_text(r["lead"]),
                wordml.cell_text(r.get("support") or ""),
                wordml.cell_text(r.get("deadline") or "", align="center"),
                wordml.cell_text(r.get("output") or ""),
            ]
            for i, r in enumerate(rows, 1)
        ]
        return wordml.table(widths, header, body)

    def indicators(self, rows: Sequence[dict[str, Any]], total: bool) -> str:
        """The indicator table with the percentage computed, and a total row if asked."""
        header = ("STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)", "Ghi chú")
        texts = [
            _indicator_texts(str(i), r["name"], r.get("unit") or "", r.get("plan"),
                             r.get("achieved"), r.get("note") or "")
            for i, r in enumerate(rows, 1)
        ]
        if total:
            plan = sum(r["plan"] for r in rows if r.get("plan") is not None)
            done = sum(r["achieved"] for r in rows if r.get("achieved") is not None)
            texts.append(_indicator_texts("", "Tổng cộng", "", plan, done, ""))
        widths = self._widths((13, 52, 18, 20, 20, 18, 24), header, texts)
        body = [_indicator_cells(cells, bold=total and i == len(texts) - 1)
                for i, cells in enumerate(texts)]
        return wordml.table(widths, header, body)

    def table(self, block: dict[str, Any]) -> str:
        """The clerk's own table: title, unit line, STT, figures flush right, `Tổng cộng`."""
        columns = list(block["columns"])
        rows = [list(row["cells"]) for row in block["rows"]]
        figures = data_table.figure_columns(rows)
        if block.get("totals"):
            rows.append(data_table.total_row(columns, rows, block["totals"]))
        weights = data_table.weights(columns, rows)
        if block.get("numbered", True):
            columns, figures, weights = [data_table.STT, *columns], [False, *figures], [6, *weights]
            rows = [[str(i) if i <= len(block["rows"]) else "", *row]
                    for i, row in enumerate(rows, 1)]
        widths = self._widths(weights, columns, rows)
        aligns = [("center" if title == data_table.STT and i == 0 else
                   "right" if figures[i] else table_widths.alignment(widths[i]))
                  for i, title in enumerate(columns)]
        total = bool(block.get("totals"))
        body = [[wordml.cell_text(text, bold=total and r == len(rows) - 1, align=align)
                 for text, align in zip(row, aligns, strict=True)]
                for r, row in enumerate(rows)]
        out = []
        if block.get("title"):
            # A line's space above: the title belongs to the table, not to the text before it.
            out.append(wordml.paragraph(wordml.run(block["title"]), "VBAppendixTitle",
                                        props=['<w:spacing w:before="240"/>']))
        if block.get("unit"):
            out.append(wordml.paragraph(wordml.run(block["unit"], italic=True), "VBBody",
                                        align="right", props=[wordml.keep_next()]))
        return "".join(out) + wordml.table(widths, columns, body)

    def _widths(
        self, weights: Sequence[float], header: Sequence[str], rows: Sequence[Sequence[str]]
    ) -> list[float]:
        """The columns' widths across the text, each wide enough for its longest word."""
        columns = [[(header[c], True), *((row[c], False) for row in rows)]
                   for c in range(len(header))]
        return table_widths.column_widths(weights, columns, text_width_mm(self.landscape))


def vn_upper(piece: markup.Piece) -> markup.Piece:
    """Upper-case a span's text, leaving footnotes as written."""
    if isinstance(piece, Span):
        return Span(vn.upper_vn(piece.text), piece.bold, piece.italic)
    return piece


def _introducing(text: str) -> list[str]:
    """keepNext for a line ending in `:`: it introduces what follows and must not end a page."""
    return [wordml.keep_next()] if markup.plain(text).rstrip().endswith(":") else []


def _indicator_texts(
    stt: str, name: str, unit: str, plan: float | None, done: float | None, note: str
) -> list[str]:
    """An indicator row's seven texts, the rate computed from plan and done."""
    rate = vn.percent(done, plan) if done is not None else None
    return [stt, name, unit, _number(plan), _number(done),
            vn.format_number(rate, 1) if rate is not None else "", note]


INDICATOR_ALIGN = ("center", "left", "center", "right", "right", "right", "left")
INDICATOR_BOLD = (False, True, False, True, True, True, False)  # in the total row


def _indicator_cells(texts: list[str], *, bold: bool = False) -> list[str]:
    """An indicator row's cells: figures flush right, the total row's in bold."""
    return [wordml.cell_text(text, bold=bold and strong, align=align)
            for text, align, strong in zip(texts, INDICATOR_ALIGN, INDICATOR_BOLD, strict=True)]


def _number(value: float | None) -> str:
    return "" if value is None else vn.format_number(value)


def _label(numbering: Numbering, counter: int) -> str:
    scheme = numbering.scheme
    if scheme == "roman":
        return vn.roman(counter) + "."
    if scheme == "decimal":
        return f"{numbering.parent_label}{counter}."
    if scheme == "alpha":
        return vn.alpha_label(counter) + ")"
    return "-"


def _child_default(numbering: Numbering) -> str:
    depth = min(numbering.depth + 1, len(DEFAULT_SCHEMES) - 1)
    return DEFAULT_SCHEMES[depth]


def _heading_style(scheme: str, label: str) -> tuple[str, bool, bool, bool]:
    """Paragraph style, upper-case, bold, italic for a heading by its label."""
    if scheme == "roman":
        return "VBHeading1", True, True, False
    if scheme == "decimal":
        level = label.count(".")
        if level <= 1:
            return "VBHeading2", False, True, False
        if level == 2:
            return "VBHeading3", False, True, True
        return "VBHeading4", False, False, True
    return "VBBody", False, False, False


def _next_counter(override: str | None, counter: int) -> int:
    """Continue numbering after an explicit label such as `2.3.5.`."""
    if override:
        found = re.findall(r"\d+", override)
        if found:
            return int(found[-1])
    return counter + 1
