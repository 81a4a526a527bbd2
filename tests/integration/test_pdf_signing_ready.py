"""Real LibreOffice PDFs made ready for signing: fields in the signature space, metadata kept."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pdfplumber
import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from service.convert.pool import ConverterPool
from service.core import markup
from service.core.document import signer_lines
from service.core.documents import DocumentService
from service.core.pdf import field_name, locate_signature_space, prepare_for_signing, seal_rect
from tests.conftest import load_sample
from tests.integration.conftest import started_pool

pytestmark = pytest.mark.integration
SAMPLES = ["seed_001_ke_hoach_thanh_linh", "ke_hoach_phan_cong_phong_chong_duoi_nuoc"]
SEAL = "Dau co quan"


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    """A one-instance pool on real LibreOffice."""
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=2620) as pool:
        yield pool


@pytest.fixture(scope="module")
def rendered(pool: ConverterPool) -> dict[tuple[str, int | None], tuple[dict, bytes]]:
    """(name, pdf_version) -> (data, PDF) for each sample, plain and PDF/A-2b."""
    service = DocumentService(pool)
    out = {}
    for name in SAMPLES:
        payload = load_sample(name)
        rendered = service.render(payload["doc_type"], payload)
        for version in (None, 2):
            pdf = pool.convert(rendered.docx, pdf_version=version)
            out[name, version] = (rendered.document.data, pdf)
    return out


def ready(data: dict[str, Any], pdf: bytes) -> bytes:
    """The PDF with metadata and empty signer and seal fields."""
    signer = data["signer"]
    space = locate_signature_space(pdf, signer_lines(signer), signer["name"])
    return prepare_for_signing(
        pdf,
        title=markup.plain(data["subject"]),
        author=data["issuer"]["agency"],
        subject=f"Kế hoạch {data['issuer']['agency']}",
        keywords=["Kế hoạch", data["issuer"]["agency"]],
        signer_field=field_name("Chữ ký", signer["name"]),
        seal_field=SEAL,
        space=space,
    )


def box(array: Any) -> tuple[float, ...]:
    """A PDF rectangle as (x1, y1, x2, y2) floats."""
    x1, y1, x2, y2 = (float(v) for v in array)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def found(page: Any, text: str) -> dict[str, Any]:
    """The last occurrence of the text on the page, with pdfplumber's top-down positions."""
    matches = page.search(text, regex=False)
    assert matches, f"{text!r} not on page {page.page_number}"
    return matches[-1]


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [page.extract_text() for page in document.pages]


@pytest.mark.parametrize("name", SAMPLES)
def test_fields_sit_between_title_and_name(rendered, name: str) -> None:
    data, source = rendered[name, None]
    signer = data["signer"]
    title, signer_name = signer_lines(signer)[-1], signer["name"]
    result = ready(data, source)
    with pikepdf.open(io.BytesIO(result)) as pdf:
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        signer_field = field_name("Chữ ký", signer_name)
        assert set(fields) == {signer_field, SEAL}
        assert all(f.FT == "/Sig" and "/V" not in f for f in fields.values())
        pages = [p.obj.objgen for p in pdf.pages]
        index = pages.index(fields[signer_field].P.objgen)
        assert fields[SEAL].P.objgen == pages[index]
        rect, seal = box(fields[signer_field].Rect), box(fields[SEAL].Rect)
        assert str(pdf.Root.Lang) == "vi-VN"
        assert str(pdf.docinfo.Title) == markup.plain(data["subject"])
        assert str(pdf.docinfo.Author) == data["issuer"]["agency"]
        meta = pdf.open_metadata()
        assert meta["dc:title"] == markup.plain(data["subject"])
        assert meta["dc:creator"] == [data["issuer"]["agency"]]
    with pdfplumber.open(io.BytesIO(result)) as document:
        page = document.pages[index]
        height = float(page.height)
        title_box, name_box = found(page, title), found(page, signer_name)
        assert name_box["top"] > title_box["bottom"]
        # Just under the title's bottom, just above the name's top (PDF y grows upwards).
        assert height - title_box["bottom"] - 5 < rect[3] < height - title_box["bottom"]
        # Clear of the name's ink: above its baseline by more than a capital's height.
        name_baseline = height - name_box["bottom"] + 0.2 * (name_box["bottom"] - name_box["top"])
        assert name_baseline + 9 < rect[1] < height - name_box["top"] + 5
        assert rect[0] < min(title_box["x0"], name_box["x0"]) and rect[0] > page.width / 2
        assert rect[2] > max(title_box["x1"], name_box["x1"])
    left_third = (rect[0], rect[0] + (rect[2] - rect[0]) / 3)
    assert seal[0] < left_third[1] and seal[2] > left_third[0]
    assert seal[1] < rect[3] and seal[3] > rect[1]
    space = locate_signature_space(source, signer_lines(signer), signer_name)
    assert rect == pytest.approx(space.rect, abs=0.01)
    assert seal == pytest.approx(seal_rect(space), abs=0.01)
    assert page_texts(result) == page_texts(source)


def test_appendix_follows_the_signed_page(rendered) -> None:
    data, source = rendered["ke_hoach_phan_cong_phong_chong_duoi_nuoc", None]
    space = locate_signature_space(source, signer_lines(data["signer"]), data["signer"]["name"])
    texts = page_texts(source)
    assert space.page_index < len(texts) - 1
    assert "Phụ lục" in texts[space.page_index + 1]


@pytest.mark.parametrize("name", SAMPLES)
def test_pyhanko_sees_empty_fields(rendered, name: str) -> None:
    data, source = rendered[name, None]
    reader = PdfFileReader(io.BytesIO(ready(data, source)))
    assert reader.embedded_signatures == []
    fields = {field: value for field, value, _ in enumerate_sig_fields(reader)}
    assert fields == {field_name("Chữ ký", data["signer"]["name"]): None, SEAL: None}


@pytest.mark.parametrize("name", SAMPLES)
def test_pdfa_identification_kept(rendered, name: str) -> None:
    data, source = rendered[name, 2]
    with pikepdf.open(io.BytesIO(source)) as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "2"
    result = ready(data, source)
    with pikepdf.open(io.BytesIO(result)) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "2"
        assert meta.get("pdfaid:conformance") == "B"
        assert meta["dc:title"] == markup.plain(data["subject"])
        assert str(pdf.docinfo.Title) == markup.plain(data["subject"])
        assert str(pdf.Root.Lang) == "vi-VN"
        assert len(pdf.Root.AcroForm.Fields) == 2
    assert page_texts(result) == page_texts(source)
