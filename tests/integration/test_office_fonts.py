"""Real LibreOffice: given the office's own Times New Roman (VB_FONT_DIR), the PDF embeds it;
without one, Liberation Serif; the pool's health says which."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest

from service.core.documents import DocumentService
from tests.conftest import load_sample
from tests.unit.test_fonts import renamed_times

pytestmark = pytest.mark.integration


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of the fonts the PDF's pages use, without their subset tags."""
    names = set()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                names.add(str(font.BaseFont).split("+", 1)[-1])
    return names


@pytest.mark.parametrize("own", [True, False], ids=["own-times", "stand-in"])
def test_the_pdf_embeds_the_offices_times_new_roman_when_it_has_one(
    make_converter_pool, tmp_path: Path, own: bool
) -> None:
    if own:
        renamed_times(tmp_path / "fonts")
    pool = make_converter_pool(font_dir=tmp_path / "fonts" if own else None)
    service = DocumentService(pool)
    pdf = service.to_pdf(service.render("cong_van", load_sample("cong_van_de_nghi_ho_tro")))
    serif = {name for name in embedded_fonts(pdf) if "Serif" in name or "Times" in name}
    if own:  # its regular face given (the bold one stays Liberation's in this test)
        assert "TimesNewRomanPSMT" in serif and "LiberationSerif" not in serif
        assert pool.health()["serif_font"] == "Times New Roman"
    else:
        assert "TimesNewRomanPSMT" not in serif and "LiberationSerif" in serif
        assert pool.health()["serif_font"] == (
            "Liberation Serif (in place of Times New Roman; metric-compatible)")
