"""Real LibreOffice: each document of a batch, split out, reads and looks as it does alone.

Documents are merged (service.core.batch_docx), converted in one load with named destinations,
split (service.core.batch_pdf), and each part compared with the same document's own conversion:
page count, text of every page, fonts of every page, and page images at 50 dpi.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from service.convert.pool import ConverterPool
from service.core.batch_docx import batchable, merge
from service.core.batch_pdf import split
from service.core.documents import DocumentService
from service.core.pdf_io import pdfium_document
from tests.batches import commune_plans
from tests.conftest import load_sample, sample_names
from tests.integration.conftest import started_pool
from tests.unit.test_ooxml import every_block_kind

pytestmark = pytest.mark.integration
BASE_PORT = 3540  # this module's converter ports: 3540-3559
DPI = 50
# A pixel differs when its grey level moves by more than THRESHOLD; a page may have at most
# MAX_DIFFERING of its pixels differ. LibreOffice gave every document's pages, batched and
# alone, the same pixels at 50 dpi (not one grey level apart): the bound is equality.
THRESHOLD = 0
MAX_DIFFERING = 0.0
COMMUNES = 10


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=BASE_PORT) as pool:
        yield pool


def page_texts(pdf: bytes) -> list[str]:
    with pdfium_document(pdf) as document:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def page_fonts(pdf: bytes) -> list[list[str]]:
    """Each page's font names, the subset tag (ABCDEF+) dropped."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [
            sorted(re.sub(r"^/[A-Z]{6}\+", "/", str(font.BaseFont))
                   for _, font in (page.Resources.get("/Font") or {}).items())
            for page in document.pages
        ]


def page_images(pdf: bytes) -> list[Image.Image]:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-", f"{folder}/p"], input=pdf,
                       check=True, capture_output=True)
        return [Image.open(path).copy() for path in sorted(Path(folder).iterdir())]


def differing(alone: Image.Image, batched: Image.Image) -> float:
    """The share of pixels whose grey level differs by more than THRESHOLD."""
    if alone.size != batched.size:
        return 1.0
    histogram = ImageChops.difference(alone, batched).histogram()
    return sum(histogram[THRESHOLD + 1 :]) / (alone.size[0] * alone.size[1])


def differences(name: str, alone: bytes, batched: bytes) -> list[str]:
    """What differs between a document's lone PDF and its part of a batch."""
    found = []
    texts = page_texts(alone), page_texts(batched)
    if texts[0] != texts[1]:
        found.append(f"{name}: text ({len(texts[0])} pages alone, {len(texts[1])} batched)")
    fonts = page_fonts(alone), page_fonts(batched)
    if fonts[0] != fonts[1]:
        pages = [i for i, (a, b) in enumerate(zip(*fonts, strict=False)) if a != b]
        found.append(f"{name}: fonts differ ({len(fonts[0])}, {len(fonts[1])} pages; on {pages})")
    images = zip(page_images(alone), page_images(batched), strict=False)
    worst = max((differing(a, b) for a, b in images), default=1.0)
    if worst > MAX_DIFFERING:
        found.append(f"{name}: {worst:.4%} of a page's pixels differ")
    return found


def check_batches(pool: ConverterPool, batches: list[list[tuple[str, bytes]]]) -> None:
    """Convert each batch, and each of its documents alone: every part matches its document."""
    problems: list[str] = []
    for batch in batches:
        merged = pool.convert(merge([docx for _, docx in batch]), destinations=True)
        for (name, docx), part in zip(batch, split(merged, len(batch)), strict=True):
            problems += differences(name, pool.convert(docx), part)
    assert problems == [], "\n".join(problems)


def template(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read("word/styles.xml")


def sample_batches() -> list[list[tuple[str, bytes]]]:
    """Every sample and a plan with a landscape appendix: the plain ones in two batches per
    template, each document with footnotes or sections in a batch of its own."""
    service = DocumentService(None)
    rendered = {name: service.render(load_sample(name)["doc_type"], load_sample(name)).docx
                for name in sample_names()}
    rendered["landscape_appendix"] = service.render("ke_hoach", every_block_kind()).docx
    groups: dict[bytes, list[str]] = {}
    for name, docx in rendered.items():
        if batchable(docx):
            groups.setdefault(template(docx), []).append(name)
    batches = [[name] for name, docx in rendered.items() if not batchable(docx)]
    for names in groups.values():
        batches += [names[: len(names) // 2 + 1], names[len(names) // 2 + 1 :]]
    assert sorted(n for b in batches for n in b) == sorted(rendered)
    return [[(name, rendered[name]) for name in batch] for batch in batches if batch]


def test_every_sample_in_a_batch_reads_and_looks_as_alone(pool: ConverterPool) -> None:
    batches = sample_batches()
    sizes = sorted(len(b) for b in batches)
    assert sizes[0] == 1 and sizes[-1] >= 5, sizes  # lone documents, and batches of several
    check_batches(pool, batches)


def test_ten_communes_in_one_batch_read_and_look_as_alone(pool: ConverterPool) -> None:
    service = DocumentService(None)
    plans = commune_plans(COMMUNES)
    batch = [(p["issuer"]["agency"], service.render("ke_hoach", p).docx) for p in plans]
    pages = [len(page_texts(pool.convert(docx))) for _, docx in batch[:6]]
    assert sorted(set(pages)) == [3, 4, 5], pages  # the batch mixes page counts
    check_batches(pool, [batch])
