"""The converter pool on real LibreOffice: Vietnamese text, fonts, PDF/A, and faults."""

from __future__ import annotations

import io
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import docx
import pikepdf
import psutil
import pytest
from docx.shared import Pt

from service.convert.pool import ConverterPool
from service.core.converter import ConversionFailed, ConverterUnavailable
from service.core.pdf_checks import validate_pdf
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration

HEADER = "Ủy ban nhân dân xã Y Tịch"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _document() -> docx.document.Document:
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"  # Liberation Serif on Linux, same metrics
    style.font.size = Pt(13)
    return document


def _save(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def vietnamese_docx() -> bytes:
    """A one-page document with the header and the national motto."""
    document = _document()
    document.add_paragraph(HEADER.upper())
    document.add_paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    document.add_paragraph(MOTTO).runs[0].bold = True
    document.add_paragraph(f"{HEADER} báo cáo kết quả thực hiện nhiệm vụ năm 2024.")
    return _save(document)


@pytest.fixture(scope="module")
def long_docx() -> bytes:
    """A 40-page document of tables: a few seconds of LibreOffice work, long enough to kill."""
    document = _document()
    for page in range(40):
        document.add_paragraph(f"{HEADER}, trang {page + 1}")
        table = document.add_table(rows=30, cols=5)
        table.style = "Table Grid"
        for row in table.rows:
            for cell in row.cells:
                cell.text = MOTTO
        document.add_page_break()
    return _save(document)


def normalised_text(pdf: bytes) -> str:
    text = pdf_text(pdf)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def fonts_of(pdf: bytes) -> dict[str, bool]:
    """Map each font's name to whether its TrueType program (FontFile2) is embedded."""
    fonts: dict[str, bool] = {}
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            resources = page.obj.get("/Resources")
            font_dict = resources.get("/Font") if resources else None
            if not font_dict:
                continue
            for font in font_dict.values():
                described = font
                if font.get("/Subtype") == "/Type0":
                    described = font["/DescendantFonts"][0]
                descriptor = described.get("/FontDescriptor")
                embedded = descriptor is not None and "/FontFile2" in descriptor
                fonts[str(font.get("/BaseFont"))] = embedded
    return fonts


def xmp_of(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as document:  # its objects live as long as it is open
        metadata = document.Root.get("/Metadata")
        assert metadata is not None, "no XMP metadata"
        return metadata.read_bytes().decode("utf-8")


def soffice_of(pid: int) -> psutil.Process:
    """Find the soffice.bin in the process group of the unoserver with this pid."""
    leader = psutil.Process(pid)
    for child in leader.children(recursive=True):
        if child.name() == "soffice.bin" and os.getpgid(child.pid) == pid:
            return child
    raise AssertionError(f"no soffice.bin under unoserver {pid}")


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def all_ready(pool: ConverterPool) -> bool:
    health = pool.health()
    return bool(health["ready"] == health["size"] and health["busy"] == 0)


def instance(pool: ConverterPool, address: str) -> dict[str, Any]:
    return next(i for i in pool.health()["instances"] if i["address"] == address)


# -- output -----------------------------------------------------------------------------------


def test_vietnamese_text_survives_and_every_font_is_embedded(
    converter_pool: ConverterPool, vietnamese_docx: bytes
) -> None:
    pdf = converter_pool.convert(vietnamese_docx)
    assert validate_pdf(pdf) == 1
    text = normalised_text(pdf)
    assert HEADER.upper() in text and MOTTO in text and HEADER in text, text
    fonts = fonts_of(pdf)
    assert fonts, "the PDF uses no font"
    assert all(fonts.values()), f"fonts without FontFile2: {fonts}"


def test_pdf_a_2b_declares_part_2(converter_pool: ConverterPool, vietnamese_docx: bytes) -> None:
    pdf = converter_pool.convert(vietnamese_docx, pdf_version=2)
    assert validate_pdf(pdf) == 1
    xmp = xmp_of(pdf)
    assert re.search(r"pdfaid:part(>|=\")2", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp
    assert MOTTO in normalised_text(pdf)


def test_health_lists_every_instance(converter_pool: ConverterPool) -> None:
    health = converter_pool.health()
    assert health["ok"] and health["size"] == 2
    assert set(health["instances"][0]) >= {
        "address",
        "state",
        "pid",
        "conversions",
        "restarts",
        "last_error",
    }
    assert all(psutil.pid_exists(i["pid"]) for i in health["instances"])


# -- faults -----------------------------------------------------------------------------------


def test_libreoffice_killed_mid_conversion_is_retried_and_restarted(
    converter_pool: ConverterPool, long_docx: bytes
) -> None:
    pool = converter_pool
    wait_for(lambda: all_ready(pool), 60, "a whole pool")
    outcome: dict[str, Any] = {}

    def convert() -> None:
        try:
            outcome["pdf"] = pool.convert(long_docx)
        except ConversionFailed as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=convert)
    worker.start()
    busy = wait_for(
        lambda: next((i for i in pool.health()["instances"] if i["state"] == "busy"), None),
        10,
        "the conversion to start",
    )
    restarts = busy["restarts"]
    soffice = soffice_of(busy["pid"])
    time.sleep(0.7)  # well into the conversion (it takes seconds)
    soffice.kill()  # SIGKILL
    worker.join(90)
    assert not worker.is_alive(), "convert() did not come back"
    if "pdf" in outcome:
        assert validate_pdf(outcome["pdf"]) >= 40
    else:
        assert isinstance(outcome["error"], ConversionFailed)
    # The pool is whole again: the killed instance restarted and ready.
    wait_for(lambda: all_ready(pool), 60, "the killed instance to come back")
    killed = instance(pool, busy["address"])
    assert killed["restarts"] == restarts + 1
    assert killed["pid"] != busy["pid"] and killed["last_error"]
    assert not psutil.pid_exists(busy["pid"])


def test_hung_libreoffice_is_killed_restarted_and_the_request_retried(
    make_converter_pool: Callable[..., ConverterPool], vietnamese_docx: bytes
) -> None:
    pool = make_converter_pool(size=1, conversion_timeout=5.0)
    before = pool.health()["instances"][0]
    soffice = soffice_of(before["pid"])
    soffice.suspend()  # SIGSTOP: LibreOffice stops answering, its process lives on
    try:
        started = time.monotonic()
        pdf = pool.convert(vietnamese_docx)
        elapsed = time.monotonic() - started
    finally:
        if soffice.is_running():
            soffice.resume()
    assert validate_pdf(pdf) == 1
    # The timeout (5 s + socket grace), a restart (~5 s), then the retry on the new process.
    assert 5.0 <= elapsed < 30.0, elapsed
    after = pool.health()["instances"][0]
    assert after["restarts"] == before["restarts"] + 1
    assert after["state"] == "ready" and after["pid"] != before["pid"]
    assert "no answer" in after["last_error"] or "Timeout" in after["last_error"]
    gone, _ = psutil.wait_procs([soffice], timeout=10)
    assert gone, "the stopped soffice.bin was not killed"


def test_every_instance_busy_raises_unavailable_quickly(
    make_converter_pool: Callable[..., ConverterPool], long_docx: bytes, vietnamese_docx: bytes
) -> None:
    pool = make_converter_pool(size=2, acquire_timeout=0.5)
    results: list[bytes] = []
    workers = [
        threading.Thread(target=lambda: results.append(pool.convert(long_docx))) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    wait_for(lambda: pool.health()["busy"] == 2, 10, "both instances busy")
    started = time.monotonic()
    with pytest.raises(ConverterUnavailable):
        pool.convert(vietnamese_docx)
    assert time.monotonic() - started < 2.0
    for worker in workers:
        worker.join(60)
    assert len(results) == 2 and all(validate_pdf(pdf) >= 40 for pdf in results)


def test_instance_restarts_after_max_conversions(
    make_converter_pool: Callable[..., ConverterPool], vietnamese_docx: bytes
) -> None:
    pool = make_converter_pool(size=1, max_conversions=2)
    first_pid = pool.health()["instances"][0]["pid"]
    for _ in range(3):
        assert validate_pdf(pool.convert(vietnamese_docx)) == 1
    after = pool.health()["instances"][0]
    assert after["restarts"] == 1 and after["conversions"] == 3
    assert after["pid"] != first_pid and not psutil.pid_exists(first_pid)
    assert after["last_error"] is None  # a planned restart, not a failure
