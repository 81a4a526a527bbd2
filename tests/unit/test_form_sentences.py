"""A paragraph repeating a line the Appendix III form prints itself is refused at its field."""

from __future__ import annotations

import pytest

from service.core.documents import DocumentInvalid, DocumentService
from tests.conftest import load_sample


def refused(opening: str) -> list[str]:
    return [f"Mẫu văn bản đã tự in dòng “{opening} …”; hãy bỏ đoạn này để không in hai lần."]


@pytest.mark.parametrize(("sample", "field", "value", "path", "opening"), [
    ("giay_gioi_thieu_lien_he_kinh_phi", "closing",
     ["Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên hoàn thành nhiệm vụ./."],
     "closing.0",
     "Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên hoàn thành nhiệm vụ"),
    ("giay_gioi_thieu_lien_he_kinh_phi", "intro",
     ["Trân trọng.", "giấy này có giá trị đến hết ngày 31/3/2023."],
     "intro.1", "Giấy này có giá trị đến hết ngày"),
    ("giay_moi_so_ket_quy_i", "body",
     [{"kind": "bullet", "text": "- **Thời gian:** 7 giờ 30 phút"}], "body.0.text", "Thời gian:"),
    ("giay_nghi_phep_nam_2023", "closing",
     ["Nghỉ phép năm 2023 trong thời gian 05 ngày."], "closing.0", "Nghỉ phép năm"),
    ("bien_ban_hop_phong_chong_thien_tai", "body",
     [{"kind": "section", "title": "Kết thúc", "body": [
         {"kind": "paragraph", "text": "Cuộc họp kết thúc vào hồi 10 giờ 30 phút cùng ngày."}]}],
     "body.0.body.0.text", "Cuộc họp kết thúc vào"),
])
def test_a_repeated_form_line_is_refused_at_its_path(
    documents: DocumentService, sample: str, field: str, value: list, path: str, opening: str
) -> None:
    payload = load_sample(sample)
    payload[field] = value
    with pytest.raises(DocumentInvalid) as caught:
        documents.validate(payload["doc_type"], payload)
    assert caught.value.errors == {path: refused(opening)}


def test_the_same_words_inside_a_sentence_are_not_a_repetition(documents: DocumentService) -> None:
    payload = load_sample("giay_moi_so_ket_quy_i")
    payload["body"] = [{"kind": "paragraph", "text": "Đề nghị đại biểu đến đúng thời gian: 7 giờ."}]
    assert documents.validate("giay_moi", payload)["body"] == payload["body"]

