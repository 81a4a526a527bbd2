"""Every DOCX the service writes validates against the OOXML schema (openxml-audit, M365)."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from lxml import etree

from service.core import wordml
from service.core.documents import DocumentService
from service.core.template_builder import TEMPLATE_FILES, TEMPLATES_DIR
from tests.conftest import built_template, load_sample, sample_names
from tests.helpers import errors, errors_of

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PROPERTY_PARTS = ("word/document.xml", "word/styles.xml", "word/footnotes.xml")


def every_block_kind() -> dict[str, Any]:
    """A plan with every block kind: footnotes, both tables, appendices (one landscape), urgency."""
    payload = copy.deepcopy(load_sample("ke_hoach_phan_cong_phong_chong_duoi_nuoc"))
    payload["urgency"] = "HỎA TỐC"
    payload["legal_bases"].append("Căn cứ Quyết định số 34/2014/QĐ-TTg^[Ngày 30/5/2014.];")
    payload["body"].append(
        {
            "kind": "section",
            "title": "Chỉ tiêu",
            "body": [
                {
                    "kind": "section",
                    "title": "Các chỉ tiêu chính gồm:",
                    "numbering": "alpha",
                    "body": [
                        {
                            "kind": "section",
                            "title": "Trẻ em biết bơi:",
                            "body": [
                                {"kind": "bullet", "text": "Tỷ lệ trẻ em biết bơi tăng 5%;"},
                            ],
                        },
                    ],
                },
                {
                    "kind": "indicators",
                    "total": True,
                    "rows": [
                        {"name": "Trẻ em biết bơi", "unit": "em", "plan": 200, "achieved": 180},
                        {"name": "Lớp dạy bơi", "unit": "lớp", "plan": 2, "achieved": 2},
                    ],
                },
            ],
        }
    )
    payload["appendices"].append(
        {
            "title": "Kết quả chỉ tiêu",
            "landscape": True,
            "body": [
                {
                    "kind": "indicators",
                    "total": False,
                    "rows": [{"name": "Điểm nước sâu có biển báo", "plan": 12, "achieved": 9}],
                }
            ],
        }
    )
    return payload


@pytest.mark.parametrize("name", sorted(TEMPLATE_FILES))
def test_every_template_validates(name: str) -> None:
    assert errors(TEMPLATES_DIR / name) == []


@pytest.mark.parametrize("name", sample_names())
def test_every_rendered_sample_validates(rendered_samples, name: str, tmp_path: Path) -> None:
    assert errors_of(rendered_samples[name].docx, tmp_path) == []


def test_document_with_every_block_kind_validates(documents: DocumentService, tmp_path) -> None:
    rendered = documents.render("ke_hoach", every_block_kind())
    with zipfile.ZipFile(io.BytesIO(rendered.docx)) as archive:
        body = archive.read("word/document.xml").decode()
        notes = archive.read("word/footnotes.xml").decode()
    # What the document must hold for this test to cover every kind.
    assert body.count("<w:tbl>") >= 5 and body.count('w:orient="landscape"') == 1
    assert "HỎA TỐC" in body and "Ngày 30/5/2014." in notes and "<w:noBreakHyphen/>" in body
    assert errors_of(rendered.docx, tmp_path) == []


def test_letter_with_urgency_and_addressees_validates(documents, tmp_path: Path) -> None:
    payload = load_sample("cong_van_de_nghi_ho_tro")
    payload["urgency"] = "KHẨN"
    assert len(payload["kinh_gui"]) == 2
    assert errors_of(documents.render("cong_van", payload).docx, tmp_path) == []


def test_validator_reports_a_border_placed_after_the_spacing(tmp_path: Path) -> None:
    """The check is real: the order python-docx produced before the fix is an error."""
    source = TEMPLATES_DIR / "cong_van.docx"
    with zipfile.ZipFile(source) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    root = etree.fromstring(parts["word/document.xml"])
    ppr = root.find(f".//{W}pPr[{W}pBdr]")
    ppr.append(ppr.find(f"{W}pBdr"))  # after w:spacing and w:ind
    parts["word/document.xml"] = etree.tostring(root)
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    found = errors(broken)
    assert len(found) == 1 and "pBdr" in found[0]
    assert wordml.out_of_order(ppr) == ["spacing", "ind"]


def test_properties_are_written_in_schema_order() -> None:
    ppr = wordml.properties(
        "pPr", '<w:jc w:val="center"/>', '<w:ind w:left="0"/>', wordml.border("top"),
        '<w:spacing w:before="0"/>', wordml.keep_next(), '<w:pStyle w:val="VBRule"/>',
    )  # fmt: skip
    names = [e.tag.split("}")[1] for e in etree.fromstring(_with_ns(ppr))]
    assert names == ["pStyle", "keepNext", "pBdr", "spacing", "ind", "jc"]
    with pytest.raises(wordml.UnknownProperty):
        wordml.properties("pPr", "<w:b/>")


def test_place_inserts_at_the_schema_position() -> None:
    ppr = etree.fromstring(_with_ns(wordml.properties("pPr", '<w:spacing w:before="0"/>')))
    wordml.place(ppr, etree.fromstring(_with_ns(wordml.border("top"))))
    wordml.place(ppr, etree.fromstring(_with_ns('<w:jc w:val="left"/>')))
    assert [e.tag.split("}")[1] for e in ppr] == ["pBdr", "spacing", "jc"]
    assert wordml.out_of_order(ppr) == []


@pytest.mark.parametrize("name", sorted(TEMPLATE_FILES))
def test_no_property_of_a_template_is_out_of_order(name: str) -> None:
    document = docx.Document(io.BytesIO(built_template(name)))
    for kind in ("pPr", "tcPr"):
        for props in document.element.body.iter(W + kind):
            assert wordml.out_of_order(props) == []


def test_no_property_of_a_rendered_document_is_out_of_order(documents: DocumentService) -> None:
    rendered = documents.render("ke_hoach", every_block_kind())
    with zipfile.ZipFile(io.BytesIO(rendered.docx)) as archive:
        for part in PROPERTY_PARTS:
            root = etree.fromstring(archive.read(part))
            for kind in ("pPr", "tcPr"):
                for props in root.iter(W + kind):
                    assert wordml.out_of_order(props) == [], part


def _with_ns(xml: str) -> str:
    """The fragment with the w: namespace declared on its root."""
    head, _, rest = xml.partition(">")
    closing = head.endswith("/")
    head = head.rstrip("/")
    return f'{head} xmlns:w="{W[1:-1]}"{"/" if closing else ""}>{rest}'
