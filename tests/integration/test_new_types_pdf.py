"""Real LibreOffice: nghị quyết, công điện and a decision issuing a regulation, as PDF text."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from service.core.documents import DocumentService, ready_for_signing
from tests.conftest import load_sample, normalise
from tests.integration.conftest import started_pool
from tests.integration.test_documents_pdf import assert_a4_with_embedded_fonts, pdf_text

pytestmark = pytest.mark.integration
BASE_PORT = 4100
SAMPLES = (
    "nghi_quyet_chu_truong_dau_tu",
    "cong_dien_ung_pho_mua_lu",
    "quyet_dinh_ban_hanh_quy_che",
)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, bytes]]:
    """Each new type's sample as PDF, from a one-instance pool of this module's own."""
    work_dir: Path = tmp_path_factory.mktemp("pool")
    with started_pool(work_dir, BASE_PORT) as pool:
        service = DocumentService(pool)
        out = {}
        for name in SAMPLES:
            payload = load_sample(name)
            out[name] = service.to_pdf(service.render(payload["doc_type"], payload))
        yield out


def position_after(text: str, expected: list[str], start: int = 0) -> int:
    """Find each phrase after the previous one; return where the last one ends."""
    for phrase in expected:
        found = text.find(phrase, start)
        assert found >= 0, f"{phrase!r} not found after {text[max(0, start - 80) : start]!r}"
        start = found + len(phrase)
    return start


def assert_reads_in_order(pdf: bytes, head: list[str], date: str, rest: list[str]) -> str:
    """The header's lines up to the title, the motto and date before it, then the rest in order."""
    text = normalise(pdf_text(pdf))
    title = position_after(text, head)
    assert "Độc lập - Tự do - Hạnh phúc" in text[:title] and date in text[:title]
    position_after(text, rest, title)
    return text


@pytest.mark.parametrize("name", SAMPLES)
def test_fonts_are_embedded(pdfs: dict[str, bytes], name: str) -> None:
    assert_a4_with_embedded_fonts(pdfs[name])


def test_resolution_pdf_text_in_order(pdfs: dict[str, bytes]) -> None:
    head = [
        "HỘI ĐỒNG NHÂN DÂN XÃ Y TỊCH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 12/NQ-HĐND", "NGHỊ QUYẾT",
    ]  # fmt: skip
    date = "Y Tịch, ngày 05 tháng 7 năm 2023"
    assert_reads_in_order(pdfs["nghi_quyet_chu_truong_dau_tu"], head, date, [
        "Về việc phê duyệt chủ trương đầu tư xây dựng Nhà văn hóa thôn Nà Pe",
        "HỘI ĐỒNG NHÂN DÂN XÃ Y TỊCH KHÓA XXI, KỲ HỌP THỨ BẢY",
        "Căn cứ Luật Tổ chức chính quyền địa phương", "Xét Tờ trình số 18/TTr-UBND",
        "QUYẾT NGHỊ:",
        "Điều 1. Phê duyệt chủ trương đầu tư xây dựng Nhà văn hóa thôn Nà Pe, xã Y Tịch",
        "Điều 2. Giao Ủy ban nhân dân xã tổ chức thực hiện Nghị quyết này.",
        "Điều 3. Nghị quyết này", "có hiệu lực kể từ ngày thông qua./.",
        "Nơi nhận:", "- Lưu: VT.", "TM. HỘI ĐỒNG NHÂN DÂN CHỦ TỊCH", "Hoàng Văn Thịnh",
    ])  # fmt: skip


def test_telegram_pdf_text_in_order(pdfs: dict[str, bytes]) -> None:
    head = [
        "UBND HUYỆN CHI LĂNG ỦY BAN NHÂN DÂN XÃ Y TỊCH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 05/CĐ-UBND", "HỎA TỐC", "CÔNG ĐIỆN",
    ]  # fmt: skip
    date = "Y Tịch, ngày 04 tháng 8 năm 2023"
    assert_reads_in_order(pdfs["cong_dien_ung_pho_mua_lu"], head, date, [
        "Về việc chủ động ứng phó với mưa lớn, lũ quét, sạt lở đất",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ Y TỊCH điện:",
        "- Ban Chỉ huy phòng, chống thiên tai và tìm kiếm cứu nạn xã;",
        "- Công an xã, Ban Chỉ huy Quân sự xã;",
        "- Trạm Y tế xã, các trường học trên địa bàn xã;", "- Trưởng các thôn.",
        "Theo tin của Đài Khí tượng Thủy văn tỉnh Lạng Sơn",
        "1. Ban Chỉ huy phòng, chống thiên tai", "5. Các cơ quan, đơn vị và Trưởng các thôn",
        "nghiêm túc thực hiện./.",
        "Nơi nhận:", "- Như trên;", "- Lưu: VT, VP.", "CHỦ TỊCH", "Vương Văn Sơn",
    ])  # fmt: skip


def test_regulation_pdf_text_in_order_on_pages_after_the_decision(pdfs: dict[str, bytes]) -> None:
    pdf = pdfs["quyet_dinh_ban_hanh_quy_che"]
    head = [
        "UBND HUYỆN CHI LĂNG ỦY BAN NHÂN DÂN XÃ Y TỊCH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 15/QĐ-UBND", "QUYẾT ĐỊNH",
    ]  # fmt: skip
    reference = (
        "(Kèm theo Quyết định số 15/QĐ-UBND ngày 05 tháng 02 năm 2023 của Ủy ban nhân dân xã "
        "Y Tịch)"
    )
    assert_reads_in_order(pdf, head, "Y Tịch, ngày 05 tháng 02 năm 2023", [
        "Ban hành Quy chế làm việc của Ủy ban nhân dân xã Y Tịch",
        "ỦY BAN NHÂN DÂN XÃ Y TỊCH", "Căn cứ Luật Tổ chức chính quyền địa phương",
        "QUYẾT ĐỊNH:", "Điều 1. Ban hành kèm theo Quyết định này Quy chế làm việc",
        "Điều 3. Thành viên Ủy ban nhân dân xã", "thi hành Quyết định này./.",
        "Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, VP.",
        "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH", "Vương Văn Sơn",
        "UBND HUYỆN CHI LĂNG ỦY BAN NHÂN DÂN XÃ Y TỊCH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc", "QUY CHẾ",
        "Làm việc của Ủy ban nhân dân xã Y Tịch", reference,
        "Chương I QUY ĐỊNH CHUNG", "Điều 1. Phạm vi và đối tượng điều chỉnh",
        "Điều 2. Nguyên tắc làm việc", "Chương II", "Điều 3. Trách nhiệm của Chủ tịch",
        "Chương IV ĐIỀU KHOẢN THI HÀNH", "Điều 8. Tổ chức thực hiện",
        "sửa đổi, bổ sung cho phù hợp./.", "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH", "Vương Văn Sơn",
    ])  # fmt: skip
    pages = [normalise(text) for text in pdf_text(pdf).split("\f")]
    signed = next(i for i, text in enumerate(pages) if "Vương Văn Sơn" in text)
    starts = next(i for i, text in enumerate(pages) if reference in text)
    assert starts == signed + 1 and "Chương I QUY ĐỊNH CHUNG" in pages[starts]
    assert "Số: 15/QĐ-UBND" not in pages[starts] and "Nơi nhận:" not in "".join(pages[starts:])


def test_the_signature_field_is_the_decisions_not_the_regulations(pdfs: dict[str, bytes]) -> None:
    document = DocumentService(None).load("quyet_dinh", load_sample("quyet_dinh_ban_hanh_quy_che"))
    pdf = pdfs["quyet_dinh_ban_hanh_quy_che"]
    signed_on = next(i for i, text in enumerate(pdf_text(pdf).split("\f")) if "Vương" in text)
    with pikepdf.open(io.BytesIO(ready_for_signing(document, pdf))) as prepared:
        fields = {str(f.T): f for f in prepared.Root.AcroForm.Fields}
        pages = [p.obj.objgen for p in prepared.pages]
        assert pages.index(fields[document.signer_field].P.objgen) == signed_on == 0
        assert len(pages) == 3
