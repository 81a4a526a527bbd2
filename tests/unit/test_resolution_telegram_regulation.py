"""Nghị quyết (Mẫu 1.1), công điện (Mẫu 1.6) and a decision issuing a regulation (Mẫu 1.3).

Each type: its sample validates, reads back in order from the DOCX, works through the web
form (page, preview, downloads) and serves as the base of a bulk job.
"""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.text.paragraph import Paragraph

from service.bulk.check import check_table
from service.bulk.table import Table
from service.core.documents import DocumentInvalid, DocumentService
from service.core.form_model import FormModel
from tests.conftest import bulk_base, csrf_of, load_sample, signed_in
from tests.helpers import errors_of

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Each new type and its sample.
SAMPLES = {
    "nghi_quyet": "nghi_quyet_chu_truong_dau_tu",
    "cong_dien": "cong_dien_ung_pho_mua_lu",
    "quyet_dinh": "quyet_dinh_ban_hanh_quy_che",
}
REGULATION = "quyet_dinh_ban_hanh_quy_che"


def lines(data: bytes) -> list[str]:
    """Every line of a DOCX as python-docx reads it, body and table cells in document order."""
    document = docx.Document(io.BytesIO(data))
    out = []
    for p in document.element.body.iter(W + "p"):
        out.extend(Paragraph(p, document).text.split("\n"))
    return [line for line in out if line.strip()]


def assert_in_order(found: list[str], expected: list[str]) -> None:
    """Each expected line is one of the found lines, in this order."""
    position = 0
    for line in expected:
        assert line in found[position:], f"{line!r} not after {found[position - 1]!r}"
        position = found.index(line, position) + 1


@pytest.mark.parametrize(("type_id", "sample"), SAMPLES.items())
def test_the_schema_accepts_the_sample(
    documents: DocumentService, type_id: str, sample: str
) -> None:
    payload = load_sample(sample)
    assert payload["doc_type"] == type_id
    assert documents.validate(type_id, payload)["subject"] == payload["subject"]


def test_resolution_reads_in_order(rendered_samples: dict[str, Any]) -> None:
    found = lines(rendered_samples["nghi_quyet_chu_truong_dau_tu"].docx)
    assert_in_order(found, [
        "HỘI ĐỒNG NHÂN DÂN", "XÃ Y TỊCH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Số: 12/NQ-HĐND", "Y Tịch, ngày 05 tháng 7 năm 2023",
        "NGHỊ QUYẾT",
        "Về việc phê duyệt chủ trương đầu tư xây dựng Nhà văn hóa thôn Nà Pe",
        "HỘI ĐỒNG NHÂN DÂN XÃ Y TỊCH", "KHÓA XXI, KỲ HỌP THỨ BẢY",
        "Căn cứ Luật Đầu tư công ngày 13 tháng 6 năm 2019;",
        "QUYẾT NGHỊ:",
        "Điều 1. Phê duyệt chủ trương đầu tư xây dựng Nhà văn hóa thôn Nà Pe, xã Y Tịch với "
        "các nội dung chủ yếu sau:",
        "2. Quy mô đầu tư:", "a) Nhà một tầng, diện tích xây dựng 120 m²;",
        "b) Sân bê tông 200 m², tường rào và cổng.",
        "6. Thời gian thực hiện: năm 2023 - 2024.",
        "Điều 2. Giao Ủy ban nhân dân xã tổ chức thực hiện Nghị quyết này. Thường trực Hội đồng "
        "nhân dân xã, các Ban của Hội đồng nhân dân xã và đại biểu Hội đồng nhân dân xã giám "
        "sát việc thực hiện Nghị quyết.",
        "Điều 3. Nghị quyết này đã được Hội đồng nhân dân xã Y Tịch khóa XXI, kỳ họp thứ bảy "
        "thông qua ngày 05 tháng 7 năm 2023 và có hiệu lực kể từ ngày thông qua./.",
        "Nơi nhận:", "- TT HĐND, UBND huyện Chi Lăng (B/c);", "- Lưu: VT.",
        "TM. HỘI ĐỒNG NHÂN DÂN", "CHỦ TỊCH", "Hoàng Văn Thịnh",
    ])  # fmt: skip
    assert "QUYẾT ĐỊNH:" not in found
    document = docx.Document(io.BytesIO(rendered_samples["nghi_quyet_chu_truong_dau_tu"].docx))
    basis = next(p for p in document.paragraphs if p.text.startswith("Căn cứ Luật Đầu tư"))
    assert basis.style.name == "VBBasis" and basis.style.font.italic


def test_resolution_authority_defaults_to_the_council(documents: DocumentService) -> None:
    payload = load_sample("nghi_quyet_chu_truong_dau_tu")
    payload["authority"] = None
    found = lines(documents.render("nghi_quyet", payload).docx)
    assert_in_order(
        found,
        [
            "NGHỊ QUYẾT",
            "HỘI ĐỒNG NHÂN DÂN XÃ Y TỊCH",
            "Căn cứ Luật Tổ chức "
            "chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ "
            "sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính "
            "quyền địa phương ngày 22 tháng 11 năm 2019;",
            "QUYẾT NGHỊ:",
        ],
    )


def test_a_decision_still_says_quyet_dinh(rendered_samples: dict[str, Any]) -> None:
    found = lines(rendered_samples["quyet_dinh_thanh_lap_hoi_dong"].docx)
    assert_in_order(found, ["QUYẾT ĐỊNH", "ỦY BAN NHÂN DÂN XÃ Y TỊCH", "QUYẾT ĐỊNH:"])
    assert "QUYẾT NGHỊ:" not in found


def test_telegram_reads_in_order(rendered_samples: dict[str, Any]) -> None:
    found = lines(rendered_samples["cong_dien_ung_pho_mua_lu"].docx)
    assert_in_order(found, [
        "UBND HUYỆN CHI LĂNG", "ỦY BAN NHÂN DÂN", "XÃ Y TỊCH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Số: 05/CĐ-UBND", "HỎA TỐC", "Y Tịch, ngày 04 tháng 8 năm 2023",
        "CÔNG ĐIỆN", "Về việc chủ động ứng phó với mưa lớn, lũ quét, sạt lở đất",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ Y TỊCH điện:",
        "- Ban Chỉ huy phòng, chống thiên tai và tìm kiếm cứu nạn xã;",
        "- Công an xã, Ban Chỉ huy Quân sự xã;",
        "- Trạm Y tế xã, các trường học trên địa bàn xã;",
        "- Trưởng các thôn.",
        "3. Công an xã, Ban Chỉ huy Quân sự xã bố trí lực lượng, phương tiện ứng trực 24/24 giờ, "
        "sẵn sàng cứu hộ, cứu nạn khi có tình huống xảy ra.",
        "Chủ tịch Ủy ban nhân dân xã yêu cầu các cơ quan, đơn vị và Trưởng các thôn nghiêm túc "
        "thực hiện./.",
        "Nơi nhận:", "- Như trên;", "- Lưu: VT, VP.",
        "CHỦ TỊCH", "Vương Văn Sơn",
    ])  # fmt: skip
    document = docx.Document(io.BytesIO(rendered_samples["cong_dien_ung_pho_mua_lu"].docx))
    line = next(p for p in document.paragraphs if p.text.endswith(" điện:"))
    assert line.style.name == "VBAuthority" and line.style.font.bold
    assert "Kính gửi:" not in found


def test_a_telegram_to_one_addressee_keeps_the_dash(documents: DocumentService) -> None:
    payload = load_sample("cong_dien_ung_pho_mua_lu")
    payload["kinh_gui"] = ["- Trưởng các thôn;"]
    payload["signer"]["collective"] = "Ủy ban nhân dân"  # the committee wires, as it signs
    found = lines(documents.render("cong_dien", payload).docx)
    assert_in_order(
        found,
        [
            "ỦY BAN NHÂN DÂN XÃ Y TỊCH điện:",
            "- Trưởng các thôn.",
            "Theo tin"
            " của Đài Khí tượng Thủy văn tỉnh Lạng Sơn, từ đêm ngày 04/8 đến "
            "hết ngày 06/8/2023 trên địa bàn xã có mưa to đến rất to, lượng mưa "
            "phổ biến từ 80 đến 150 mm, có nơi trên 200 mm; nguy cơ cao xảy ra "
            "lũ quét, sạt lở đất ở vùng đồi núi và ngập úng ở vùng trũng thấp.",
        ],
    )
    payload["kinh_gui"] = []
    with pytest.raises(DocumentInvalid) as refused:
        documents.validate("cong_dien", payload)
    assert refused.value.errors == {"kinh_gui": ["Cần ít nhất 1 mục."]}


def test_regulation_follows_the_decision_on_a_section_of_its_own(
    rendered_samples: dict[str, Any],
) -> None:
    data = rendered_samples[REGULATION].docx
    assert_in_order(lines(data), [
        "UBND HUYỆN CHI LĂNG", "ỦY BAN NHÂN DÂN", "XÃ Y TỊCH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Số: 15/QĐ-UBND", "Y Tịch, ngày 05 tháng 02 năm 2023",
        "QUYẾT ĐỊNH",
        "Ban hành Quy chế làm việc của Ủy ban nhân dân xã Y Tịch",
        "ỦY BAN NHÂN DÂN XÃ Y TỊCH", "Theo đề nghị của công chức Văn phòng - Thống kê.",
        "QUYẾT ĐỊNH:",
        "Điều 1. Ban hành kèm theo Quyết định này Quy chế làm việc của Ủy ban nhân dân xã "
        "Y Tịch.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
        "Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, VP.",
        "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Vương Văn Sơn",
        # The attached text: the header without number and date, then its own parts.
        "UBND HUYỆN CHI LĂNG", "ỦY BAN NHÂN DÂN", "XÃ Y TỊCH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "QUY CHẾ", "Làm việc của Ủy ban nhân dân xã Y Tịch",
        "(Kèm theo Quyết định số 15/QĐ-UBND ngày 05 tháng 02 năm 2023 của Ủy ban nhân dân "
        "xã Y Tịch)",
        "Chương I", "QUY ĐỊNH CHUNG", "Điều 1. Phạm vi và đối tượng điều chỉnh",
        "Điều 2. Nguyên tắc làm việc",
        "Chương II", "TRÁCH NHIỆM, PHẠM VI GIẢI QUYẾT CÔNG VIỆC",
        "Điều 3. Trách nhiệm của Chủ tịch Ủy ban nhân dân xã",
        "Chương IV", "ĐIỀU KHOẢN THI HÀNH", "Điều 8. Tổ chức thực hiện",
        "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Vương Văn Sơn",
    ])  # fmt: skip
    document = docx.Document(io.BytesIO(data))
    assert len(document.sections) == 2
    numbering = document.sections[1]._sectPr.find(f"{W}pgNumType")
    assert numbering.get(f"{W}start") == "1"
    header, signature = document.tables[-2], document.tables[-1]
    assert [p.text for p in header.rows[0].cells[0].paragraphs][1:2] == [
        "ỦY BAN NHÂN DÂN\nXÃ Y TỊCH"
    ]
    assert len(header.rows) == 1 and "Số:" not in "".join(c.text for c in header._cells)
    assert signature.cell(0, 0).text == ""  # no Nơi nhận under the attached text
    assert [p.text for p in signature.cell(0, 1).paragraphs] == [
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Vương Văn Sơn",
    ]
    article = next(p for p in document.paragraphs if p.text.startswith("Điều 8. "))
    assert all(r.bold for r in article.runs)  # a regulation's article title is bold throughout
    decided = next(p for p in document.paragraphs if p.text.startswith("Điều 2. Quyết"))
    assert [r.bold for r in decided.runs] == [True, None]


def test_a_decision_with_a_regulation_and_an_appendix(
    documents: DocumentService, tmp_path: Path
) -> None:
    payload = load_sample(REGULATION)
    payload["number"], payload["end_mark"] = None, False
    payload["attachments"][0]["type_name"] = "Quy định"
    payload["appendices"] = [
        {"title": "Lịch họp", "landscape": True, "body": [{"kind": "paragraph", "text": "x"}]}
    ]
    rendered = documents.render("quyet_dinh", payload)
    found = lines(rendered.docx)
    assert_in_order(found, [
        "QUY ĐỊNH",
        "(Kèm theo Quyết định số      /QĐ-UBND ngày 05 tháng 02 năm 2023 của Ủy ban nhân dân "
        "xã Y Tịch)",
        "Chương I", "Điều 8. Tổ chức thực hiện", "Vương Văn Sơn", "Phụ lục I", "LỊCH HỌP",
        "(Kèm theo Quyết định số      /QĐ-UBND ngày 05 tháng 02 năm 2023 của UBND xã Y Tịch)",
    ])  # fmt: skip
    assert not any(line.endswith("./.") for line in found)
    document = docx.Document(io.BytesIO(rendered.docx))
    assert [s.orientation for s in document.sections] == [0, 0, 1]
    assert errors_of(rendered.docx, tmp_path) == []


@pytest.fixture()
def clerk(make_app: Any) -> Any:
    return signed_in(make_app(), "quantri", "quan_tri")


@pytest.mark.parametrize(("type_id", "sample"), SAMPLES.items())
def test_form_preview_and_downloads(
    clerk: Any, documents: DocumentService, type_id: str, sample: str
) -> None:
    payload = load_sample(sample)
    page = clerk.get(f"/van-ban/{type_id}", headers=HTML)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for target in re.findall(r'<label for="([^"]+)"', html):
        assert f'id="{target}"' in html, target
    if type_id == "quyet_dinh":  # an attached text and its chapters are added as cards
        assert 'data-add="part-attached_text">+ Thêm văn bản kèm theo<' in html
        assert '<template id="tpl-part-chapter">' in html
    flat = FormModel(documents.catalog, documents.catalog.get(type_id)).to_flat(payload)
    posted = {**flat, "csrf_token": csrf_of(html), "_action": "preview"}
    response = clerk.post(f"/van-ban/{type_id}", data=posted, headers=HTML)
    shown = response.get_data(as_text=True)
    assert response.status_code == 200, shown[:3000]
    image = re.search(r'src="(/xem-truoc/[^"]+/trang-1\.png)"', shown)
    assert image and clerk.get(image.group(1)).data.startswith(b"\x89PNG")
    link = re.search(r'href="/tai-ve/([^"]+)\.pdf"', shown)
    assert link
    symbol = documents.load(type_id, payload).ascii_name
    pdf = clerk.get(f"/tai-ve/{link.group(1)}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert f'filename="{symbol}.pdf"' in pdf.headers["Content-Disposition"]
    word = clerk.get(f"/tai-ve/{link.group(1)}.docx")
    assert word.status_code == 200 and word.data.startswith(b"PK")
    as_json = clerk.get(f"/tai-ve/{link.group(1)}.json")
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    sent = documents.validate(type_id, json.loads(as_json.data))
    assert sent == documents.validate(type_id, payload)


@pytest.mark.parametrize(("type_id", "sample"), SAMPLES.items())
def test_bulk_table_accepts_the_type_as_base(
    documents: DocumentService, type_id: str, sample: str
) -> None:
    base = bulk_base(sample)
    agency = base["issuer"]["agency"]
    rows = [
        {
            "commune": f"Xã {place}",
            "issuer.agency": agency.replace("Y Tịch", place),
            "issuer.place": place,
            "signer.name": name,
        }
        for place, name in (("Y Tịch", "Hoàng Văn Thịnh"), ("Chi Lăng", "Lộc Văn Hải"))
    ]
    report = check_table(documents, type_id, copy.deepcopy(base), Table(list(rows[0]), rows))
    assert report.ok and not report.blocking, report.as_dict()
    assert report.problems == [] and report.unknown_columns == []
