"""Table columns fit their longest word; narrow text cells are flush left, not justified."""

from __future__ import annotations

import io

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn

from service.core import rules
from service.core.documents import DocumentService
from service.core.table_widths import CELL_MARGINS_MM, SLACK_MM, alignment, column_widths
from service.core.wordml import mm
from tests.conftest import load_sample


def least(word: str, bold: bool = False) -> float:
    return rules.text_width_mm(word, 12, bold=bold) + CELL_MARGINS_MM + SLACK_MM


def test_a_column_too_narrow_for_its_longest_word_is_widened_from_the_others() -> None:
    columns = [[("STT", True), ("1", False)], [("Nội dung", True), ("Rà soát", False)],
               [("Thời gian", True), ("Trước 10/11/2023", False)]]
    widths = column_widths((13, 130, 22), columns, 165.0)
    assert widths[2] == pytest.approx(least("10/11/2023"))
    assert sum(widths) == pytest.approx(165.0)
    assert widths[0] / widths[1] == pytest.approx(13 / 130)  # the others keep their proportion


def test_when_words_cannot_all_fit_the_widths_follow_them() -> None:
    columns = [[("Ủybannhândânxã" * 3, False)], [("Hộiđồngnhândân" * 3, False)]]
    widths = column_widths((1, 1), columns, 100.0)
    assert sum(widths) == pytest.approx(100.0)
    assert widths[0] / widths[1] == pytest.approx(
        least("Ủybannhândânxã" * 3) / least("Hộiđồngnhândân" * 3))


def test_text_is_justified_only_in_wide_cells() -> None:
    assert (alignment(59.9), alignment(60.0)) == ("left", "both")


def test_the_assignment_tables_deadline_column_holds_a_whole_date() -> None:
    payload = load_sample("ke_hoach_phan_cong_phong_chong_duoi_nuoc")
    docx = DocumentService().render("ke_hoach", payload).docx
    table = next(t for t in open_docx(io.BytesIO(docx)).tables
                 if t.rows[0].cells[0].text == "STT")
    grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.iter(qn("w:gridCol"))]
    # "Trước 10/11/2023" once split "10/11/202│3": the column now fits the date whole.
    assert grid[4] >= mm(least("10/11/2023")) - 1
    assert grid[0] >= mm(least("STT", bold=True)) - 1
