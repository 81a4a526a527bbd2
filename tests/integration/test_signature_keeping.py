"""Real LibreOffice: in documents of every type and growing length, the signature never stands
alone on a page, and a spill of a few lines is fitted onto the page before."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from service.convert.pool import ConverterPool
from service.core import fitting
from service.core.documents import DocumentService
from tests.conftest import SAMPLES

pytestmark = pytest.mark.integration
SENTENCE = ("Các cơ quan, đơn vị rà soát, cập nhật số liệu và báo cáo kết quả thực hiện về "
            "Ủy ban nhân dân xã đúng thời hạn quy định. ")
GROWTH = range(0, 40, 5)  # sentences added to the opening paragraph: a line or so each


def documents() -> list[tuple[str, str, dict]]:
    """Every sample, and each one with an opening paragraph of growing length (60 or more)."""
    made = []
    for path in sorted(SAMPLES.glob("*.json")):
        payload = json.loads(path.read_text("utf-8"))
        grown = [0] if not payload.get("intro") else [n + len(made) % 5 for n in GROWTH]
        for added in grown:
            longer = dict(payload, intro=lengthened(payload["intro"], added)) if added else payload
            made.append((f"{path.stem}+{added}", payload["doc_type"], longer))
    return made


def lengthened(intro: str | list[str], sentences: int) -> str | list[str]:
    """The opening text with `sentences` more: at the end of its (last) paragraph."""
    if isinstance(intro, list):
        return [*intro[:-1], f"{intro[-1]} {SENTENCE * sentences}"]
    return f"{intro} {SENTENCE * sentences}"


def test_no_page_holds_the_signature_block_alone(converter_pool: ConverterPool) -> None:
    service = DocumentService(converter_pool)
    cases = documents()
    assert len(cases) >= 60

    def pages(case: tuple[str, str, dict]) -> tuple[str, tuple[int, int] | None]:
        name, doc_type, payload = case
        return name, fitting.signature_page(service.to_pdf(service.render(doc_type, payload)))

    with ThreadPoolExecutor(2) as pool:
        found = dict(pool.map(pages, cases))
    missing = [name for name, place in found.items() if place is None]
    alone = [name for name, place in found.items() if place is not None and place[1] == 0]
    assert missing == [] and alone == [], (missing, alone)
    # Spills that single line spacing can fit went onto the page before; those left hold at
    # least the text's last lines with the signature.
    assert all(place[1] >= 1 for place in found.values() if place)
