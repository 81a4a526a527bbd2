"""An agency's name may carry the clerk's line breaks: the header keeps them, the rest reads it
on one line (sentences, authority, metadata, file names, seal field, copies' subjects, bulk)."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest

from service.bulk.row_document import row_document
from service.core import copies, rules
from service.core.documents import DocumentInvalid, DocumentService
from service.core.template_builder import LEFT_COL_MM
from service.usecases.issuing import same_agency
from tests.conftest import load_sample

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# The short name left to be derived from the agency's.
BROKEN = {"parent_agency": "Ủy ban nhân dân\nhuyện Chi Lăng",
          "agency": "Ủy ban nhân dân xã\nY Tịch", "agency_short": None}
FLAT = {**BROKEN, "parent_agency": "Ủy ban nhân dân huyện Chi Lăng",
        "agency": "Ủy ban nhân dân xã Y Tịch"}
# A decision (its authority line), an invitation (`<agency> trân trọng kính mời`) and a plan
# with an appendix (`(Kèm theo … của UBND xã Y Tịch)`).
SAMPLES = {
    "quyet_dinh": "quyet_dinh_thanh_lap_hoi_dong",
    "giay_moi": "giay_moi_so_ket_quy_i",
    "ke_hoach": "ke_hoach_phan_cong_phong_chong_duoi_nuoc",
}


def with_issuer(name: str, names: dict[str, str]) -> dict[str, Any]:
    payload = load_sample(name)
    return {**payload, "issuer": {**payload["issuer"], **names}}


def header_lines(data: bytes, style: str) -> list[str]:
    """The text of the header paragraphs of a style, a `w:br` read as a new line."""
    document = docx.Document(io.BytesIO(data))
    cell = document.tables[0].cell(0, 0)
    found = []
    for paragraph in cell.paragraphs:
        if paragraph.style.name == style:
            parts = [
                "\n" if node.tag == f"{W}br" else node.text or ""
                for node in paragraph._p.iter(f"{W}t", f"{W}br")
            ]
            found.append("".join(parts))
    return found


def outside_the_header(data: bytes) -> list[str]:
    """Every paragraph's text but the first table's (the national header)."""
    document = docx.Document(io.BytesIO(data))
    header = document.tables[0]._tbl
    return [
        "".join(node.text or "" for node in p.iter(f"{W}t"))
        for p in document.element.body.iter(f"{W}p")
        if header not in p.iterancestors()
    ]


def test_the_schema_keeps_the_breaks_of_a_name_only(documents: DocumentService) -> None:
    typed = {"agency": " Ủy ban  nhân dân xã \n\n Y Tịch "}
    payload = with_issuer("seed_000_ke_hoach_y_tich", typed)
    payload["signer"] = {**payload["signer"], "title": "Phó\nChủ tịch"}
    data = documents.validate("ke_hoach", payload)
    assert data["issuer"]["agency"] == "Ủy ban nhân dân xã\nY Tịch"
    assert data["signer"]["title"] == "Phó Chủ tịch"  # a `line` still folds


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_the_header_breaks_where_the_clerk_did(documents: DocumentService, type_id: str) -> None:
    rendered = documents.render(type_id, with_issuer(SAMPLES[type_id], BROKEN))
    assert header_lines(rendered.docx, "VBHdrAgency") == ["ỦY BAN NHÂN DÂN XÃ\nY TỊCH"]
    assert header_lines(rendered.docx, "VBHdrParent") == ["ỦY BAN NHÂN DÂN\nHUYỆN CHI LĂNG"]


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_everything_but_the_header_reads_the_name_on_one_line(
    documents: DocumentService, type_id: str
) -> None:
    broken = documents.render(type_id, with_issuer(SAMPLES[type_id], BROKEN))
    flat = documents.render(type_id, with_issuer(SAMPLES[type_id], FLAT))
    assert outside_the_header(broken.docx) == outside_the_header(flat.docx)
    assert broken.document.metadata == flat.document.metadata
    assert broken.document.metadata.author == FLAT["agency"]
    assert broken.document.issuer == flat.document.issuer
    for name in ("seal_field", "ascii_name", "display_name"):
        assert getattr(broken.document, name) == getattr(flat.document, name)
    properties = docx.Document(io.BytesIO(broken.docx)).core_properties
    assert properties.author == FLAT["agency"]


def test_a_sentence_names_the_agency_on_one_line(documents: DocumentService) -> None:
    rendered = documents.render("giay_moi", with_issuer(SAMPLES["giay_moi"], BROKEN))
    assert "Ủy ban nhân dân xã Y Tịch trân trọng kính mời:" in outside_the_header(rendered.docx)
    decision = documents.render("quyet_dinh", with_issuer(SAMPLES["quyet_dinh"], BROKEN))
    assert "ỦY BAN NHÂN DÂN XÃ Y TỊCH" in outside_the_header(decision.docx)  # the authority
    plan = documents.render("ke_hoach", with_issuer(SAMPLES["ke_hoach"], BROKEN))
    assert any(p.endswith("của UBND xã Y Tịch)") for p in outside_the_header(plan.docx))


def test_the_rule_under_the_agency_follows_its_longest_line(documents: DocumentService) -> None:
    rendered = documents.render("ke_hoach", with_issuer("seed_000_ke_hoach_y_tich", BROKEN))
    document = docx.Document(io.BytesIO(rendered.docx))
    rule = next(p for p in document.tables[0].cell(0, 0).paragraphs if p.style.name == "VBRule")
    indent = int(rule._p.find(f"{W}pPr/{W}ind").get(f"{W}left"))
    inner = LEFT_COL_MM - 2 * rules.CELL_MARGIN_MM
    length_mm = inner - 2 * indent / 56.6929
    longest = rules.text_width_mm("ỦY BAN NHÂN DÂN XÃ", 13)
    assert length_mm == pytest.approx(longest * rules.NAME_SHARE, abs=0.05)
    assert length_mm < rules.text_width_mm("ỦY BAN NHÂN DÂN XÃ Y TỊCH", 13) * rules.NAME_SHARE


def test_a_copy_breaks_its_header_as_the_original_and_names_it_on_one_line() -> None:
    issuer = {**BROKEN, "place": "Y Tịch", "agency_code": "UBND"}
    block = copies.copy_block(
        copies.KINDS["SY"], issuer, 3, {"day": 5, "month": 6, "year": 2023},
        {"title": "Chủ tịch", "name": "Vương Văn Sơn"}, ["Như trên"],
    )
    (printed,) = copies.copy_context({"copies": [block]})["copies"]
    assert printed["agency"] == "ỦY BAN NHÂN DÂN XÃ\nY TỊCH"
    assert printed["parent_agency"] == "ỦY BAN NHÂN DÂN\nHUYỆN CHI LĂNG"
    data = {"issuer": issuer, "number": 5, "date": {"day": 2, "month": 6, "year": 2023}}
    subject = copies.copy_subject(copies.KINDS["SY"], "Kế hoạch", data, "KH-UBND", "")
    assert subject.endswith("của UBND xã Y Tịch")


def test_a_bulk_cell_carries_the_break_and_derives_flat_names(documents: DocumentService) -> None:
    cells = {"issuer.agency": "Ủy ban nhân dân xã\nThất Khê"}
    base = load_sample("seed_000_ke_hoach_y_tich")
    row = row_document(documents.catalog, "ke_hoach", base, cells)
    issuer = row.document["issuer"]
    assert issuer["agency"] == "Ủy ban nhân dân xã\nThất Khê"
    assert (issuer["agency_short"], issuer["place"]) == ("UBND xã Thất Khê", "Thất Khê")
    rendered = documents.render("ke_hoach", row.document)
    assert header_lines(rendered.docx, "VBHdrAgency") == ["ỦY BAN NHÂN DÂN XÃ\nTHẤT KHÊ"]
    assert rendered.document.ascii_name.endswith("xa-that-khe")



def test_the_unit_mismatch_message_names_the_agency_on_one_line() -> None:
    unit = {"agency": "Ủy ban nhân dân xã\nY Tịch", "parent_agency": "UBND huyện Chi Lăng"}
    other = {"agency": "Ủy ban nhân dân xã Thất Khê", "parent_agency": "UBND huyện Chi Lăng"}
    with pytest.raises(DocumentInvalid) as refused:
        same_agency(other, unit)
    assert refused.value.errors["issuer.agency"][0].startswith(
        "Văn bản của đơn vị này phải do “Ủy ban nhân dân xã Y Tịch” ban hành; ")
