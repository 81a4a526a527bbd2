"""Real LibreOffice: the seed samples' PDFs match the seeds, embed their fonts, miss no glyph."""

from __future__ import annotations

import difflib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from service.convert.pool import ConverterPool, PoolConfig
from service.core.documents import DocumentService
from service.core.markup import parse
from tests.conftest import SEEDS, load_sample, normalise

pytestmark = pytest.mark.integration
SEED_SAMPLES = {
    "000": "seed_000_ke_hoach_y_tich",
    "001": "seed_001_ke_hoach_thanh_linh",
    "002": "seed_002_ke_hoach_phuoc_long",
}


@pytest.fixture(scope="module")
def pdf_service(tmp_path_factory) -> DocumentService:
    """A DocumentService on a real two-instance pool."""
    assert shutil.which("soffice"), "LibreOffice (soffice) is required for integration tests"
    pool = ConverterPool(
        PoolConfig(size=2, base_port=2500, work_dir=tmp_path_factory.mktemp("pool"))
    )
    pool.start(wait=True)
    yield DocumentService(pool)
    pool.close()


@pytest.fixture(scope="module")
def pdfs(pdf_service: DocumentService) -> dict[str, bytes]:
    """PDF of each seed sample, the report and the special-character sample."""
    names = [*SEED_SAMPLES.values(), "edge_special_characters", "bao_cao_ket_qua_tre_em_2023"]
    out = {}
    for name in names:
        payload = load_sample(name)
        out[name] = pdf_service.to_pdf(pdf_service.render(payload["doc_type"], payload))
    return out


def pdf_text(data: bytes, *, layout: bool = False) -> str:
    """Text of a PDF as poppler's pdftotext reads it (in reading order, or as laid out)."""
    done = subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def body_of(text: str) -> str:
    """Text from the title on, without page numbers: the header table is compared elsewhere."""
    start = text.index("KẾ HOẠCH")
    lines = [line for line in text[start:].splitlines() if not re.fullmatch(r"\s*\d+\s*", line)]
    return normalise("\n".join(lines))


def footnote_texts(payload: dict) -> list[str]:
    """The footnotes a sample carries, as printed."""
    found = []
    for match in re.finditer(r"\^\[(.*?)\]", str(payload)):
        found.append(normalise("".join(p.text for p in parse(match.group(1)))))
    return found


@pytest.mark.parametrize("seed", sorted(SEED_SAMPLES))
def test_seed_pdf_text_matches_the_seed(pdfs, seed: str) -> None:
    name = SEED_SAMPLES[seed]
    found = sorted(SEEDS.glob(f"{seed}_*.txt"))
    assert found, f"seed {seed} not found in {SEEDS} (set VB_SEEDS_DIR)"
    seed_text = found[0].read_text(encoding="utf-8")
    # pdftotext joins a hyphenated word broken at a line end ("2021-" + "2025"): ignore hyphens.
    notes = [n.replace("-", "") for n in footnote_texts(load_sample(name))]
    expected = body_of(seed_text).replace("-", "")
    actual = body_of(pdf_text(pdfs[name])).replace("-", "")
    for note in notes:
        # A footnote prints at the foot of its page; the text export put it after the paragraph.
        expected = expected.replace("¹ " + note, " ").replace("¹", "")
        assert note in actual
        actual = actual.replace(note, " ")
    expected, actual = normalise(expected), normalise(actual)
    ratio = difflib.SequenceMatcher(None, expected.split(), actual.split(), autojunk=False).ratio()
    print(f"seed {seed}: similarity {ratio:.4f}")
    assert ratio >= 0.98, f"seed {seed}: similarity {ratio:.4f}"


@pytest.mark.parametrize("name", [*SEED_SAMPLES.values(), "bao_cao_ket_qua_tre_em_2023"])
def test_pdf_is_a4_and_embeds_every_font(pdfs, name: str) -> None:
    assert_a4_with_embedded_fonts(pdfs[name])


def assert_a4_with_embedded_fonts(data: bytes) -> None:
    """Every page is A4 portrait; every font is Liberation Serif, embedded."""
    pdf = pikepdf.open(io.BytesIO(data))
    for page in pdf.pages:
        width, height = (float(v) for v in page.mediabox[2:])
        assert (round(width), round(height)) == (595, 842)
    fonts = {}
    for page in pdf.pages:
        for _, font in (page.Resources.get("/Font") or {}).items():
            descriptor = font.get("/FontDescriptor")
            if descriptor is None:
                descriptor = font.DescendantFonts[0].FontDescriptor
            fonts[str(font.BaseFont)] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts and all(fonts.values()), fonts
    # Times New Roman is substituted by the metric-compatible Liberation Serif; no other font.
    assert all("LiberationSerif" in f for f in fonts), fonts


@pytest.mark.parametrize("name", SEED_SAMPLES.values())
def test_no_vietnamese_glyph_is_missing(pdfs, name: str) -> None:
    source = str(load_sample(name))
    wanted = {c for c in source if ord(c) > 127 and c.isalpha()}
    extracted = set(pdf_text(pdfs[name]))
    assert wanted <= extracted, sorted(wanted - extracted)


def test_header_lines_in_the_pdf(pdfs) -> None:
    text = normalise(pdf_text(pdfs["seed_000_ke_hoach_y_tich"]))
    for line in (
        "UBND HUYỆN CHI LĂNG",
        "ỦY BAN NHÂN DÂN XÃ Y TỊCH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ):
        assert line in text, line
    laid_out = pdf_text(pdfs["seed_000_ke_hoach_y_tich"], layout=True)
    # Number and date share one row of the header: left and right column.
    assert re.search(r"Số:\s+/KH-UBND\s+Y Tịch, ngày\s+tháng 02 năm 2023", laid_out)


def test_special_characters_render_literally(pdfs) -> None:
    text = normalise(pdf_text(pdfs["edge_special_characters"]))
    for literal in ("&", "<tag>", "{{ 7*7 }}", "{% if true %}x{% endif %}", '"quotes"', "🎉"):
        assert literal in text, literal
    assert "\u0007" not in text


def test_report_percentages_in_pdf(pdfs) -> None:
    payload = load_sample("bao_cao_ket_qua_tre_em_2023")
    text = normalise(pdf_text(pdfs["bao_cao_ket_qua_tre_em_2023"]))
    assert "Tỷ lệ (%)" in text and "Tổng cộng" in text
    assert payload["issuer"]["place"] in text


def test_cli_renders_a_sample(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        "VB_POOL_SIZE": "1",
        "VB_POOL_BASE_PORT": "2540",
        "VB_DATA_DIR": str(tmp_path / "var"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [
            str(root / ".venv/bin/python"),
            "-m",
            "service",
            "render",
            str(root / "samples/quyet_dinh_thanh_lap_hoi_dong.json"),
            "-o",
            str(tmp_path / "out"),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    pdf = next((tmp_path / "out").glob("*.pdf"))
    assert pdf.name == "42-QD-UBND-2023-xa-y-tich.pdf"
    assert "QUYẾT ĐỊNH:" in pdf_text(pdf.read_bytes())
    assert (tmp_path / "out" / "42-QD-UBND-2023-xa-y-tich.docx").stat().st_size > 10_000
