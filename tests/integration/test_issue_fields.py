"""Signed, then numbered and sealed: the Số and date filled after the signer's signature.

On real LibreOffice PDFs: the PDF for the signer has the header's blank number, day and month
as read-only fields and a signer's field locked with form filling allowed; after the signer
signs, the fields are filled and the seal signs, and both signatures hold (pyHanko, pdfsig).
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from service.core.documents import DocumentService
from service.core.issue_fields import (
    DAY,
    MONTH,
    NUMBER,
    IssueBlanksNotFound,
    fill_issue_fields,
    issue_field_values,
    locate_issue_blanks,
)
from service.core.signing import load_signer, sign_field
from tests.conftest import load_sample
from tests.helpers import PASSPHRASE, make_key, validated

pytestmark = pytest.mark.integration
SAMPLE = "seed_000_ke_hoach_y_tich"


def unnumbered(name: str = SAMPLE) -> dict[str, Any]:
    """A sample as it goes to its signer: no number, no day, no month."""
    data = load_sample(name)
    data["number"] = None
    data["date"] = {**data["date"], "day": None, "month": None}
    return data


@pytest.fixture(scope="module")
def service(converter_pool: Any) -> DocumentService:
    return DocumentService(converter_pool)


@pytest.fixture(scope="module")
def converted(service: DocumentService) -> tuple[Any, bytes]:
    """(document, PDF as converted) of the unnumbered seed."""
    rendered = service.render("ke_hoach", unnumbered())
    assert service.converter is not None
    return rendered.document, service.converter.convert(rendered.docx)


@pytest.fixture(scope="module")
def prepared(service: DocumentService) -> tuple[Any, bytes]:
    """(document, PDF prepared for its signer) of the unnumbered seed."""
    rendered = service.render("ke_hoach", unnumbered())
    return rendered.document, service.to_pdf(rendered, signing=True, numbered_later=True)


def fields(pdf: bytes) -> dict[str, Any]:
    """The AcroForm's fields by name."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return {
            str(f.T): {
                "type": str(f.FT),
                "flags": int(f.get("/Ff", 0)),
                "value": str(f.get("/V", "")),
                "lock": dict(f.Lock) if "/Lock" in f else None,
            }
            for f in document.Root.AcroForm.Fields
        }


def test_the_blanks_sit_between_the_header_words(converted: tuple[Any, bytes]) -> None:
    blanks = {b.name: b for b in locate_issue_blanks(converted[1])}
    assert list(blanks) == [NUMBER, DAY, MONTH]
    number, day, month = blanks[NUMBER], blanks[DAY], blanks[MONTH]
    assert (number.size, number.italic, number.right_aligned) == (13, False, True)
    assert (day.size, day.italic, month.italic) == (14, True, True)
    assert number.rect[2] < 300 < day.rect[0] < day.rect[2] < month.rect[0]  # two columns
    assert number.baseline == pytest.approx(day.baseline, abs=2)  # one header line
    for blank in blanks.values():
        assert blank.rect[2] - blank.rect[0] >= 2 * 0.5 * blank.size  # room for two digits


def test_a_printed_number_leaves_no_blank(service: DocumentService) -> None:
    data = unnumbered()
    data["number"] = 5
    rendered = service.render("ke_hoach", data)
    assert service.converter is not None
    with pytest.raises(IssueBlanksNotFound, match="So"):
        locate_issue_blanks(service.converter.convert(rendered.docx))


def test_the_signers_pdf_has_read_only_blank_fields_and_a_locked_signature(
    prepared: tuple[Any, bytes],
) -> None:
    document, pdf = prepared
    found = fields(pdf)
    for name in (NUMBER, DAY, MONTH):
        assert found[name] == {"type": "/Tx", "flags": 1, "value": "", "lock": None}
    lock = found[document.signer_field]["lock"]
    assert str(lock["/Action"]) == "/Exclude"
    assert [str(f) for f in lock["/Fields"]] == [NUMBER, DAY, MONTH, document.seal_field]
    assert int(lock["/P"]) == 2
    assert found[document.seal_field]["lock"] is None


def test_signed_then_numbered_then_sealed(prepared: tuple[Any, bytes], tmp_path: Path) -> None:
    document, pdf = prepared
    leader_p12, _ = make_key(document.signer["name"])
    leader_key = load_signer(leader_p12, PASSPHRASE)
    signed = sign_field(pdf, signer=leader_key, field=document.signer_field)
    filled = fill_issue_fields(signed, issue_field_values(1, 5, 2))
    seal_p12, _ = make_key("Ủy ban nhân dân xã Y Tịch")
    sealed = sign_field(filled, signer=load_signer(seal_p12, PASSPHRASE), field=document.seal_field)
    assert sealed.startswith(filled) and filled.startswith(signed) and signed.startswith(pdf)

    reader = PdfFileReader(io.BytesIO(sealed))
    leader, seal = reader.embedded_signatures
    context = ValidationContext(trust_roots=[], allow_fetching=False)
    leader_status = validated(leader, context)
    seal_status = validated(seal, context)
    assert (leader_status.intact, leader_status.valid, leader_status.docmdp_ok) == (
        True, True, True
    )
    assert leader_status.modification_level == ModificationLevel.FORM_FILLING
    assert (seal_status.intact, seal_status.valid) == (True, True)
    assert seal_status.coverage == SignatureCoverageLevel.ENTIRE_FILE

    path = tmp_path / "issued.pdf"
    path.write_bytes(sealed)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=True)
    assert report.stdout.count("Signature Validation: Signature is Valid.") == 2
    text = subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True, text=True, check=True,
    ).stdout
    header = " ".join(text.split())
    assert "Số: 01" in header and "/KH-UBND" in header
    assert "Y Tịch, ngày 05 tháng 02 năm 2023" in header
    assert {k: v["value"] for k, v in fields(sealed).items() if v["type"] == "/Tx"} == {
        NUMBER: "01", DAY: "05", MONTH: "02"
    }


def test_the_fields_font_is_embedded(prepared: tuple[Any, bytes], tmp_path: Path) -> None:
    _, pdf = prepared
    filled = fill_issue_fields(pdf, issue_field_values(12, 28, 11))
    path = tmp_path / "filled.pdf"
    path.write_bytes(filled)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    ours = [line.split() for line in listing.splitlines() if "VBSUBS+" in line]
    assert [row[0] for row in ours] == ["VBSUBS+LiberationSerif", "VBSUBS+LiberationSerif-Italic"]
    assert all(row[-5:-3] == ["yes", "yes"] for row in ours)  # embedded, subset
