"""The Gotenberg converter end to end: a stand-in that converts for real on a unoserver pool.

The stand-in speaks Gotenberg's route (multipart `files`, `pdfa`) and hands the DOCX it
receives to a real LibreOffice, so what the test reads is a real PDF of a rendered sample.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pdfplumber
import pikepdf
import pytest

from service.convert.gotenberg import PDFA_FORMATS, GotenbergConverter
from service.convert.pool import ConverterPool
from service.core.converter import ConversionFailed, ConverterUnavailable
from service.core.documents import DocumentService
from service.core.pdf_checks import validate_pdf
from tests.conftest import load_sample
from tests.fakes import GotenbergStandIn, Upload
from tests.integration.conftest import started_pool

pytestmark = pytest.mark.integration
BASE_PORT = 2640  # this module's unoserver; clear of the other suites' ports
PDF_VERSIONS = {name: version for version, name in PDFA_FORMATS.items()}


@dataclass
class Stack:
    """The stand-in, the pool behind it, and a DocumentService converting through Gotenberg."""

    server: GotenbergStandIn
    pool: ConverterPool
    documents: DocumentService


def forward(pool: ConverterPool) -> Callable[[Upload], tuple[int, bytes]]:
    """Answer a Gotenberg upload by converting its DOCX on the pool, as Gotenberg would."""

    def answer(upload: Upload) -> tuple[int, bytes]:
        _, _, docx = upload.file("files")
        pdfa = upload.fields.get("pdfa")
        try:
            return 200, pool.convert(docx, pdf_version=PDF_VERSIONS[pdfa] if pdfa else None)
        except ConverterUnavailable as exc:
            return 503, str(exc).encode()
        except ConversionFailed as exc:
            return 500, str(exc).encode()

    return answer


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=BASE_PORT) as pool:

        def health() -> int:
            return 200 if pool.health()["ok"] else 503

        with GotenbergStandIn(forward(pool), health=health) as server:
            converter = GotenbergConverter(server.url, timeout=60)
            try:
                yield Stack(server, pool, DocumentService(converter))
            finally:
                converter.close()


def text_of(pdf: bytes) -> str:
    """All text of the PDF as pdfplumber reads it, NFC, whitespace collapsed."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def test_a_rendered_sample_converts_through_gotenberg(stack: Stack) -> None:
    payload = load_sample("to_trinh_kinh_phi")
    rendered = stack.documents.render("to_trinh", payload)
    pdf = stack.documents.to_pdf(rendered)
    assert validate_pdf(pdf) >= 1
    text = text_of(pdf)
    assert "TỜ TRÌNH" in text, text
    assert "Ủy ban nhân dân xã Y Tịch kính trình" in text, text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text, text
    upload = stack.server.uploads[-1]
    assert upload.file("files")[2] == rendered.docx
    assert "pdfa" not in upload.fields
    assert stack.pool.health()["instances"][0]["conversions"] >= 1


def test_pdf_a_2b_through_gotenberg_declares_part_2(stack: Stack) -> None:
    rendered = stack.documents.render("to_trinh", load_sample("to_trinh_kinh_phi"))
    pdf = stack.documents.to_pdf(rendered, pdf_version=2)
    assert stack.server.uploads[-1].fields == {"pdfa": "PDF/A-2b"}
    with pikepdf.open(io.BytesIO(pdf)) as document:  # its objects live as long as it is open
        metadata = document.Root.get("/Metadata")
        assert metadata is not None, "no XMP metadata"
        xmp = metadata.read_bytes().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")2", xmp), xmp
    assert "TỜ TRÌNH" in text_of(pdf)


def test_health_reports_the_pool_behind_the_stand_in(stack: Stack) -> None:
    converter = stack.documents.converter
    assert converter is not None
    health = converter.health()
    assert health["ok"] and health["instances"][0]["kind"] == "gotenberg"
