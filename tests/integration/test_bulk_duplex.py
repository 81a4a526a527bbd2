"""A duplex bulk job on real LibreOffice: each commune's document starts on an odd page.

Three communes of one official letter: the first and last made three pages long by their
legal bases, the middle one two pages as it is. Printed on both sides, the merged PDF must
read: 3 pages, a blank page, 2 pages, 3 pages (no blank after the last).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from service.bulk.table import Table, write_xlsx
from service.core import vn
from tests.conftest import bulk_base, normalise
from tests.integration import calls
from tests.integration.conftest import require_soffice
from tests.integration.servers import Proc, start_service
from tests.integration.test_bulk import finished, wait_for
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration
PORT, POOL_BASE_PORT = 4490, 4400
PARENT = "UBND HUYỆN CHI LĂNG"  # the first line of every first page, from the base letter
LEGAL_BASE = (
    "Căn cứ văn bản số {n}/QĐ-UBND ngày 01/01/2023 của Ủy ban nhân dân tỉnh về việc ban hành "
    "quy định quản lý nhà nước trên địa bàn"
)


def commune(name: str, legal_bases: int) -> dict[str, str]:
    """A row for the commune; `legal_bases` long bases lengthen its letter (0: the base's)."""
    bases = ";".join(LEGAL_BASE.format(n=n) for n in range(1, legal_bases + 1))
    return {
        "commune": f"Xã {name}",
        "issuer.agency": f"Ủy ban nhân dân xã {name}",
        "issuer.place": name,
        "legal_bases": bases,
    }


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Proc]:
    """The service with the embedded runner and one LibreOffice, on this module's ports."""
    require_soffice()
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    proc = start_service(data_dir, PORT, pool_size=1, pool_base_port=POOL_BASE_PORT, bulk_workers=1)
    yield proc
    proc.stop()


def test_duplex_job_starts_each_commune_on_an_odd_page(service: Proc) -> None:
    server = f"http://127.0.0.1:{PORT}"
    # Three, two and three pages: the letter alone fits one page, eight long bases make it two.
    rows = [commune("Hữu Kiên", 30), commune("Quan Sơn", 8), commune("Bằng Mạc", 30)]
    table = Table(list(rows[0]), rows)
    base = json.dumps(bulk_base("cong_van_de_nghi_ho_tro"), ensure_ascii=False)
    files = {
        "base": ("cong-van.json", base.encode(), "application/json"),
        "table": ("xa.xlsx", write_xlsx(table), "application/octet-stream"),
    }
    accepted = calls.post(f"{server}/api/jobs", files=files, data={"duplex": "1"}, timeout=60)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["duplex"] is True
    progress = wait_for(server, accepted.headers["Location"], finished, timeout=600, what="done")
    assert (progress["done"], progress["failed"], progress["duplex"]) == (3, 0, True)
    manifest = calls.get(server + progress["links"]["manifest.json"], timeout=30).json()
    assert [r["pages"] for r in manifest["rows"]] == [3, 2, 3]

    merged = calls.get(server + progress["links"]["merged.pdf"], timeout=60).content
    reader = pikepdf.open(io.BytesIO(merged))
    pages = [normalise(text) for text in pdf_text(merged).split("\f")[: len(reader.pages)]]
    assert len(pages) == 9
    # 1-based: communes start on pages 1, 5 and 7; page 4 is the blank after the first.
    starts = [n for n, text in enumerate(pages, start=1) if text.startswith(PARENT)]
    assert starts == [1, 5, 7]
    for start, row in zip(starts, rows, strict=True):
        agency = vn.upper_vn(row["issuer.agency"])
        assert pages[start - 1].startswith(f"{PARENT} {agency} CỘNG HÒA XÃ HỘI CHỦ NGHĨA"), pages[
            start - 1
        ][:120]
    assert pages[3] == ""  # the blank page: no text, no page number
    blank = reader.pages[3]
    assert "/Contents" not in blank.obj and "/Annots" not in blank.obj
    assert list(blank.mediabox) == list(reader.pages[2].mediabox)
    # Each document keeps its own page numbers (from 2, at the top of the page).
    numbered = [
        int(text.split(" ", 1)[0]) for text in pages if text and not text.startswith(PARENT)
    ]
    assert numbered == [2, 3, 2, 2, 3]
