"""Validation from the definitions: defaults, Vietnamese messages, field paths, cleaning."""

import shutil
from typing import Any

import pytest

from service.core import signer
from service.core.definitions import FORMS_DIR, DefinitionError, load_catalog
from service.core.documents import DocumentInvalid, DocumentService
from tests.conftest import load_sample


def errors_of(documents: DocumentService, type_id: str, payload: Any) -> dict[str, list[str]]:
    with pytest.raises(DocumentInvalid) as caught:
        documents.validate(type_id, payload)
    return caught.value.errors


def test_every_form_definition_loads() -> None:
    catalog = load_catalog()
    assert {"ke_hoach", "bao_cao", "to_trinh", "thong_bao", "cong_van", "quyet_dinh"} <= set(
        catalog.types
    )
    assert catalog.get("ke_hoach").code == "KH"
    assert catalog.get("to_trinh").code == "TTr"
    assert catalog.get("cong_van").code is None
    assert catalog.get("quyet_dinh").code == "QĐ"


def test_minimal_document_gets_defaults(documents: DocumentService) -> None:
    data = documents.validate(
        "thong_bao",
        {
            "issuer": {
                "agency": "Ủy ban nhân dân xã Y Tịch",
                "agency_code": "UBND",
                "place": "Y Tịch",
            },
            "date": {"year": 2024},
            "subject": "Lịch tiếp công dân",
            "signer": {"title": "Chủ tịch"},
        },
    )
    assert data["archive"] == "VT"
    assert data["body"] == [] and data["recipients"] == []
    assert data["date"] == {"day": None, "month": None, "year": 2024}
    assert data["end_mark"] is True


def test_errors_carry_field_paths_and_vietnamese_messages(documents: DocumentService) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["date"] = {"day": 30, "month": 2, "year": 2023}
    payload["signer"] = {"mode": "KT", "title": "Phó Chủ tịch", "name": "A"}
    payload["body"][0]["body"][1] = {"kind": "section", "title": ""}
    payload["body"].append({"kind": "indicatorz"})
    payload["number"] = "05"
    payload["colour"] = "red"
    errors = errors_of(documents, "ke_hoach", payload)
    assert errors["date.day"] == ["Ngày 30 tháng 2 năm 2023 không có thật."]
    assert errors["signer.head_title"] == ["Cần nhập chức vụ người đứng đầu khi ký KT."]
    assert errors["body.0.body.1.title"] == ["Không được để trống."]
    assert errors[f"body.{len(payload['body']) - 1}.kind"][0].startswith(
        "Loại khối phải là một trong:"
    )
    assert errors["number"] == ["Phải là số nguyên."]
    assert errors["colour"] == ["Trường này không có trong mẫu văn bản."]


def test_block_kinds_are_limited_by_type(documents: DocumentService) -> None:
    payload = load_sample("cong_van_de_nghi_ho_tro")
    payload["body"] = [{"kind": "article", "text": "Điều không hợp với công văn"}]
    assert "body.0.kind" in errors_of(documents, "cong_van", payload)


def test_required_fields_and_wrong_shapes(documents: DocumentService) -> None:
    errors = errors_of(documents, "ke_hoach", {"issuer": "x", "recipients": "a"})
    assert errors["issuer"] == ["Phải là một đối tượng JSON."]
    assert errors["subject"] == ["Cần nhập trường này."]
    assert errors["recipients"] == ["Phải là một danh sách."]
    assert errors_of(documents, "ke_hoach", [1, 2]) == {"_schema": ["Phải là một đối tượng JSON."]}


def test_control_characters_are_removed_and_lines_folded(documents: DocumentService) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["subject"] = "Kế hoạch\u0007 năm\n2023\u001b"
    payload["recipients"] = ["Phòng \u0000Văn hóa"]
    data = documents.validate("ke_hoach", payload)
    assert data["subject"] == "Kế hoạch năm 2023"
    assert data["recipients"] == ["Phòng Văn hóa"]


def test_agency_code_pattern(documents: DocumentService) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["issuer"]["agency_code"] = "UB ND/1"
    assert errors_of(documents, "ke_hoach", payload)["issuer.agency_code"] == [
        "Chỉ gồm chữ cái và chữ số, không dấu cách."
    ]


def test_bad_definition_is_reported(tmp_path) -> None:
    for name in ("_shared.yaml", "_layouts.yaml"):
        shutil.copy(FORMS_DIR / name, tmp_path / name)
    (tmp_path / "x.yaml").write_text(
        "id: x\nname: Kế hoạch\nlayout: named\nblocks: [nope]\n", encoding="utf-8"
    )
    with pytest.raises(DefinitionError, match="unknown block kinds"):
        load_catalog(tmp_path)


def test_new_type_needs_only_a_definition(tmp_path) -> None:
    for name in ("_shared.yaml", "_layouts.yaml"):
        shutil.copy(FORMS_DIR / name, tmp_path / name)
    (tmp_path / "giay_moi.yaml").write_text(
        "id: giay_moi\nname: Giấy mời\nlayout: named\nblocks: [paragraph]\n"
        "fields:\n  - {name: venue, type: line, label: Địa điểm, required: true}\n",
        encoding="utf-8",
    )
    catalog = load_catalog(tmp_path)
    service = DocumentService(None, catalog=catalog)
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload.update(doc_type="giay_moi", body=[{"kind": "paragraph", "text": "Kính mời dự họp."}])
    assert errors_of(service, "giay_moi", payload) == {"venue": ["Cần nhập trường này."]}
    payload["venue"] = "Hội trường UBND xã"
    rendered = service.render("giay_moi", payload)
    assert rendered.document.ascii_name == "GM-UBND-2023-xa-y-tich"


def test_the_signer_part_is_declared_once() -> None:
    """The YAML's signer part, its typed form and its modes agree; the copy form reads them."""
    part = load_catalog().parts[signer.PART]
    assert [f.name for f in part.fields] == list(signer.SignerData.__annotations__)
    assert next(f for f in part.fields if f.name == "mode").options == signer.MODES
    assert signer.form_fields(load_catalog())[1] == ("mode", "Hình thức ký (KT, TL, TUQ, Q)")
    assert signer.signer_lines({"mode": "TUQ", "head_title": "Chủ tịch", "title": "Chánh VP"}) == [
        "TUQ. CHỦ TỊCH",
        "CHÁNH VP",
    ]
