"""The general table block and an article's clauses and points, read back from the DOCX."""

from __future__ import annotations

import io

import docx
import pytest

from service.core.definitions import load_catalog
from service.core.documents import DocumentInvalid, DocumentService
from tests.conftest import load_sample

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
COSTS = {
    "kind": "table",
    "title": "Dự toán kinh phí",
    "unit": "Đơn vị tính: triệu đồng",
    "columns": ["Nội dung", "Số lượng", "Kinh phí"],
    "rows": [
        {"cells": ["Hội nghị triển khai theo Nghị định 45/2020/NĐ-CP", "2", "12,5"]},
        {"cells": ["In tài liệu", "1.200", "3"]},
        {"cells": ["Dự phòng", "-", "-"]},
    ],
    "totals": ["Kinh phí"],
}


def decision(**changes: object) -> dict:
    """The decision sample with its second article changed."""
    payload = load_sample("quyet_dinh_thanh_lap_hoi_dong")
    payload["body"][1] = {**payload["body"][1], **changes}
    return payload


def rendered(documents: DocumentService, payload: dict) -> docx.document.Document:
    return docx.Document(io.BytesIO(documents.render(payload["doc_type"], payload).docx))


def data_table(document: docx.document.Document) -> docx.table.Table:
    """The one table headed by the block's columns (the header and signature are tables too)."""
    (table,) = [t for t in document.tables if t.rows[0].cells[-1].text == "Kinh phí"]
    return table


def test_every_type_with_a_body_of_sections_or_articles_takes_a_table() -> None:
    catalog = load_catalog()
    structured = [t for t in catalog.types.values() if {"section", "article"} & set(t.blocks)]
    assert len(structured) == 12
    assert all("table" in t.blocks for t in structured)


def test_a_table_prints_its_title_unit_numbers_and_total(documents: DocumentService) -> None:
    payload = decision()
    payload["body"].insert(2, COSTS)
    document = rendered(documents, payload)
    texts = [p.text for p in document.paragraphs]
    title = texts.index("Dự toán kinh phí")
    assert texts[title + 1] == "Đơn vị tính: triệu đồng"
    table = data_table(document)
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["STT", "Nội dung", "Số lượng", "Kinh phí"],
        ["1", "Hội nghị triển khai theo Nghị định 45/2020/NĐ-CP", "2", "12,5"],
        ["2", "In tài liệu", "1.200", "3"],
        ["3", "Dự phòng", "-", "-"],
        ["", "Tổng cộng", "", "15,5"],
    ]
    aligns = [[c.paragraphs[0].paragraph_format.alignment for c in row.cells]
              for row in table.rows[1:]]
    # The wide text column is justified (table_widths.alignment), figures flush right.
    assert [str(a) for a in aligns[0]] == ["CENTER (1)", "JUSTIFY (3)", "RIGHT (2)", "RIGHT (2)"]
    header = table.rows[0]._tr
    assert header.find(f"{W}trPr/{W}tblHeader") is not None
    assert all(run.bold for run in table.rows[4].cells[3].paragraphs[0].runs)


def test_a_table_without_numbers_has_no_stt_column(documents: DocumentService) -> None:
    payload = decision()
    payload["body"].insert(2, {**COSTS, "numbered": False, "totals": []})
    table = data_table(rendered(documents, payload))
    assert [c.text for c in table.rows[0].cells] == ["Nội dung", "Số lượng", "Kinh phí"]
    assert len(table.rows) == 4


@pytest.mark.parametrize(("change", "path", "message"), [
    ({"rows": [{"cells": ["Hội nghị", "2"]}]}, "body.2.rows.0.cells",
     "Dòng 1 có 2 ô, bảng có 3 cột; mỗi dòng cần đủ một ô cho mỗi cột "
     "(ô không có số liệu ghi “-”)."),
    ({"totals": ["Thành tiền"]}, "body.2.totals",
     "Không có cột “Thành tiền” để cộng; hãy ghi đúng tên cột."),
    ({"totals": ["Nội dung"]}, "body.2.totals",
     "Cột “Nội dung” có ô không phải số (“Hội nghị triển khai theo Nghị định 45/2020/NĐ-CP”) "
     "nên không cộng được."),
])
def test_a_table_that_does_not_add_up_is_refused_at_its_field(
    documents: DocumentService, change: dict, path: str, message: str
) -> None:
    payload = decision()
    payload["body"].insert(2, {**COSTS, **change})
    with pytest.raises(DocumentInvalid) as caught:
        documents.render("quyet_dinh", payload)
    assert caught.value.errors == {path: [message]}


def test_clauses_and_points_are_numbered_by_the_layout(documents: DocumentService) -> None:
    clauses = [
        {"text": "Nhiệm vụ của Hội đồng:", "points": ["Tham mưu **kế hoạch**;", "Kiểm tra."]},
        {"text": "Hội đồng tự giải thể sau khi hoàn thành nhiệm vụ."},
    ]
    document = rendered(documents, decision(text="Hội đồng có nhiệm vụ sau:", clauses=clauses,
                                            body=[]))
    texts = [p.text for p in document.paragraphs]
    start = texts.index("Điều 2. Hội đồng có nhiệm vụ sau:")
    assert texts[start + 1:start + 5] == [
        "1. Nhiệm vụ của Hội đồng:",
        "a) Tham mưu kế hoạch;",
        "b) Kiểm tra.",
        "2. Hội đồng tự giải thể sau khi hoàn thành nhiệm vụ.",
    ]
    point = document.paragraphs[start + 2]
    assert [(r.text, bool(r.bold)) for r in point.runs] == [
        ("a) ", False), ("Tham mưu ", False), ("kế hoạch", True), (";", False)]
