"""Real LibreOffice: the lean conversion path gives the PDFs unoserver's own path gave.

The pool loads hidden and read-only, and refreshes indexes only in documents that have some
(one layout pass otherwise). Each sample is converted both ways on the same instance and must
keep its pages, text and embedded fonts; a table of contents must still be brought up to date.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
import pikepdf
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from service.convert.pool import ConverterPool
from service.convert.rpc_client import INDEXES_IF_ANY
from service.core.documents import DocumentService
from service.core.pdf_checks import validate_pdf
from tests.conftest import load_sample, normalise, sample_names
from tests.integration.conftest import started_pool
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration
BASE_PORT = 3860  # this module's converter ports (the peer benchmark's range 3800-3899)
STALE = "Muc luc cu chua cap nhat"  # what Word last saved in the TOC field: never current


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=BASE_PORT) as pool:
        yield pool


def unoserver_path(pool: ConverterPool, data: bytes, options: list[str] | None = None) -> bytes:
    """The PDF from unoserver's own convert (visible load, indexes updated twice): the old path."""
    (inst,) = pool._supervisor.instances  # one instance: the same LibreOffice both ways
    return inst.process.client().convert(data, options or [], 60.0, update_index=True)


def lean_path(pool: ConverterPool, data: bytes, update_index: bool | str) -> bytes:
    (inst,) = pool._supervisor.instances
    return inst.process.client().convert(data, [], 60.0, update_index=update_index)


def embedded_fonts(data: bytes) -> dict[str, bool]:
    """Each font's name (subset tag dropped) and whether the PDF embeds it."""
    fonts = {}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for _, font in (page.Resources.get("/Font") or {}).items():
                descriptor = font.get("/FontDescriptor")
                if descriptor is None:
                    descriptor = font.DescendantFonts[0].FontDescriptor
                name = re.sub(r"^/[A-Z]{6}\+", "", str(font.BaseFont))
                fonts[name] = any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
    return fonts


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_keeps_pages_text_and_fonts(pool: ConverterPool, name: str) -> None:
    payload = load_sample(name)
    rendered = DocumentService(None).render(payload["doc_type"], payload).docx
    before = unoserver_path(pool, rendered)
    after = pool.convert(rendered)
    assert validate_pdf(after) == validate_pdf(before)
    assert pdf_text(after, layout=True) == pdf_text(before, layout=True)
    assert embedded_fonts(after) == embedded_fonts(before)
    assert all(embedded_fonts(after).values()), embedded_fonts(after)


def test_pdf_a_options_still_reach_the_export(pool: ConverterPool) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    rendered = DocumentService(None).render(payload["doc_type"], payload).docx
    options = ["SelectPdfVersion=2", "UseTaggedPDF=true"]
    after = pool.convert(rendered, pdf_version=2)
    before = unoserver_path(pool, rendered, options)
    with pikepdf.open(io.BytesIO(after)) as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "2"
        assert "/StructTreeRoot" in pdf.Root  # tagged
    assert pdf_text(after, layout=True) == pdf_text(before, layout=True)


def toc_docx() -> bytes:
    """Three chapters a page apart and a TOC field whose saved result is stale."""
    document = docx.Document()
    toc = parse_xml(
        f"<w:p {nsdecls('w')}>"
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" \\h \\z \\u </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r><w:t>{STALE}</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        "</w:p>"
    )
    document.element.body.insert(0, toc)
    for title in ("Chuong mot", "Chuong hai", "Chuong ba"):
        document.add_page_break()
        document.add_heading(title, level=1)
        document.add_paragraph("Noi dung cua chuong.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def toc_lines(data: bytes) -> list[str]:
    """The first page's lines: the table of contents."""
    first_page = pdf_text(data, layout=True).split("\f")[0]
    return [normalise(line) for line in first_page.splitlines() if line.strip()]


def test_a_table_of_contents_is_still_updated(pool: ConverterPool) -> None:
    data = toc_docx()
    updated = toc_lines(lean_path(pool, data, INDEXES_IF_ANY))
    assert STALE not in " ".join(updated)
    entries = [line for line in updated if line.startswith("Chuong")]
    assert [re.sub(r"[ .]+(\d+)$", r" \1", line) for line in entries] == [
        "Chuong mot 2",
        "Chuong hai 3",
        "Chuong ba 4",
    ]
    assert toc_lines(unoserver_path(pool, data)) == updated


def test_without_index_updates_the_stale_toc_shows(pool: ConverterPool) -> None:
    # The counter-proof: what the TOC test sees comes from the update, not from the import.
    assert STALE in " ".join(toc_lines(lean_path(pool, toc_docx(), False)))
