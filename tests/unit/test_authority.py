"""Who decides is said once: the authority line, the telegram's sender, the quy chế's
`(Kèm theo …)` line and the signature block come from the same issuer and signer."""

from __future__ import annotations

import io

import pytest
from docx import Document as open_docx

from service.core.documents import DocumentInvalid, DocumentService
from tests.conftest import load_sample

SIGNERS = {  # every way the schema allows: collective or personal; TM., KT., Q.
    "TM.": {"collective": "Ủy ban nhân dân", "mode": None, "head_title": None,
            "title": "Chủ tịch"},
    "TM. KT.": {"collective": "Ủy ban nhân dân", "mode": "KT", "head_title": "Chủ tịch",
                "title": "Phó Chủ tịch"},
    "personal": {"collective": None, "mode": None, "head_title": None, "title": "Chủ tịch"},
    "KT.": {"collective": None, "mode": "KT", "head_title": "Chủ tịch",
            "title": "Phó Chủ tịch"},
    "Q.": {"collective": None, "mode": "Q", "head_title": None, "title": "Chủ tịch"},
}
AUTHORITY = {  # what the authority line must say for each
    "TM.": "ỦY BAN NHÂN DÂN XÃ Y TỊCH", "TM. KT.": "ỦY BAN NHÂN DÂN XÃ Y TỊCH",
    "personal": "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ Y TỊCH",
    "KT.": "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ Y TỊCH", "Q.": "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ Y TỊCH",
}
SIGNATURE = {
    "TM.": ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
    "TM. KT.": ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
    "personal": ["CHỦ TỊCH"], "KT.": ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], "Q.": ["Q. CHỦ TỊCH"],
}


def texts(docx: bytes, style: str) -> list[str]:
    """The texts of the paragraphs of a style, in the body and in tables, in order."""
    document = open_docx(io.BytesIO(docx))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for cell in table._cells:
            paragraphs += cell.paragraphs
    return [p.text for p in paragraphs if p.style is not None and p.style.name == style]


@pytest.fixture(scope="module")
def documents() -> DocumentService:
    return DocumentService()


@pytest.mark.parametrize("way", list(SIGNERS))
def test_a_decision_says_who_decides_as_its_signature_does(documents, way: str) -> None:
    payload = load_sample("quyet_dinh_ban_hanh_quy_che")
    payload["signer"] = {**SIGNERS[way], "name": "Vương Văn Sơn"}
    payload["authority"] = None  # said by the signature
    docx = documents.render("quyet_dinh", payload).docx
    assert texts(docx, "VBAuthority") == [AUTHORITY[way], "QUYẾT ĐỊNH:"]
    assert texts(docx, "VBSigner")[:len(SIGNATURE[way])] == SIGNATURE[way]
    (reference,) = texts(docx, "VBAppendixRef")
    by = "Ủy ban nhân dân xã Y Tịch" if way.startswith("TM.") else (
        "Chủ tịch Ủy ban nhân dân xã Y Tịch")
    assert reference == f"(Kèm theo Quyết định số 15/QĐ-UBND ngày 05 tháng 02 năm 2023 của {by})"


@pytest.mark.parametrize("way", list(SIGNERS))
def test_a_telegram_is_sent_by_who_signs_it(documents, way: str) -> None:
    payload = load_sample("cong_dien_ung_pho_mua_lu")
    payload["signer"] = {**SIGNERS[way], "name": "Vương Văn Sơn"}
    docx = documents.render("cong_dien", payload).docx
    assert texts(docx, "VBAuthority") == [f"{AUTHORITY[way]} điện:"]


@pytest.mark.parametrize(("way", "typed", "message"), [
    ("TM.", "Chủ tịch Ủy ban nhân dân xã Y Tịch",
     "Văn bản ký thay mặt tập thể (TM. Ủy ban nhân dân) nên thẩm quyền ban hành là tập thể đó: "
     "hãy bắt đầu bằng “Ủy ban nhân dân” hoặc để trống."),
    ("personal", "Ủy ban nhân dân xã Y Tịch",
     "Thẩm quyền ban hành là cơ quan (tập thể) nhưng người ký không ký thay mặt tập thể: hãy "
     "điền “Tập thể lãnh đạo (TM.)” hoặc để trống thẩm quyền."),
])
def test_an_authority_typed_against_the_signature_is_refused(
    documents, way: str, typed: str, message: str
) -> None:
    payload = load_sample("quyet_dinh_thanh_lap_hoi_dong")
    payload["signer"] = {**SIGNERS[way], "name": "Vương Văn Sơn"}
    payload["authority"] = typed
    with pytest.raises(DocumentInvalid) as refused:
        documents.validate("quyet_dinh", payload)
    assert refused.value.errors == {"authority": [message]}
