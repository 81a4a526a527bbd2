"""A field printed as typed refuses markup; a section's lines take it, as paragraphs do."""

from __future__ import annotations

import io

import pytest
from docx import Document as open_docx

from service.core.documents import DocumentInvalid, DocumentService
from tests.conftest import load_sample

MESSAGE = ("Trường này in đúng chữ như gõ, không nhận định dạng **đậm** hay ^[chú thích]: hãy bỏ "
           "các dấu ** và ^[ ].")


@pytest.mark.parametrize(("path", "value"), [
    (("subject",), "Kế hoạch **trọng tâm** năm 2023"),
    (("signer", "name"), "Lộc Văn Thành^[Phó Chủ tịch]"),
])
def test_markup_in_a_plain_field_is_refused_naming_the_field(path, value) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(DocumentInvalid) as refused:
        DocumentService().validate("ke_hoach", payload)
    assert refused.value.errors == {".".join(path): [MESSAGE]}


def test_a_single_star_in_plain_text_prints_as_typed() -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["subject"] = "Kế hoạch 5* năm 2023"
    assert DocumentService().validate("ke_hoach", payload)["subject"] == "Kế hoạch 5* năm 2023"


def test_a_sections_deadline_in_bold_prints_bold_without_stars() -> None:
    payload = load_sample("ke_hoach_phan_cong_phong_chong_duoi_nuoc")
    docx = DocumentService().render("ke_hoach", payload).docx
    (line,) = [p for p in open_docx(io.BytesIO(docx)).paragraphs
               if p.text == "Thời gian thực hiện: Hoàn thành trước ngày 31/5/2023"]
    assert [(run.text, bool(run.bold)) for run in line.runs][-1] == ("31/5/2023", True)
