"""Copies on a real LibreOffice pool: the issued text first, then the copy block; DOCX valid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.convert.pool import ConverterPool
from service.core.clock import today_in_vietnam
from service.core.vn import date_line
from service.usecases.units import PROFILE_FIELDS
from service.web.context import EXTENSION
from tests.conftest import client_as, load_sample, normalise
from tests.helpers import errors_of
from tests.integration.conftest import started_pool
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration
SIGNER = {
    "mode": "TL",
    "head_title": "Chủ tịch",
    "title": "Chánh Văn phòng",
    "name": "Hoàng Văn Tùng",
}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    """A one-instance pool on real LibreOffice (this suite's ports: 4300-4360)."""
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=4300) as pool:
        yield pool


@pytest.fixture()
def client(make_app, pool: ConverterPool) -> Any:
    app = make_app(pool)
    payload = load_sample("seed_000_ke_hoach_y_tich")
    app.extensions[EXTENSION].units.save(
        {"slug": "y-tich", **{k: payload[k] for k in PROFILE_FIELDS}}
    )
    return client_as(app, "van-thu")


def issue(client: Any) -> dict[str, Any]:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    body = {k: v for k, v in payload.items() if k not in ("issuer", "signer")}
    response = client.post("/api/register/issue/ke_hoach?unit=y-tich", json=body)
    assert response.status_code == 201, response.json
    return dict(response.json)


def copy(client: Any, entry: dict[str, Any], **request: Any) -> tuple[dict[str, Any], str]:
    """Make a copy of the entry; its entry and its PDF's text."""
    response = client.post(f"/api/register/{entry['id']}/copies", json=request)
    assert response.status_code == 201, response.json
    made = dict(response.json)
    return made, pdf_text(client.get(made["links"]["pdf"]).data)


def test_sao_y_prints_the_issued_text_then_its_block(client, tmp_path: Path) -> None:
    original = issue(client)
    issued_text = pdf_text(client.get(original["links"]["pdf"]).data)
    made, text = copy(
        client, original, kind="SY", signer=SIGNER, recipients=["Phòng Nội vụ huyện Chi Lăng"]
    )
    assert made["number_line"] == "Số: 01/SY-UBND" and made["doc_type"] == "ban_sao_y"
    # Everything before the rule reads as the issued PDF does, page numbers included.
    issued = issued_text.rstrip()
    assert text.startswith(issued)
    block = normalise(text[len(issued) :])
    assert block.startswith("UBND HUYỆN CHI LĂNG ỦY BAN NHÂN DÂN XÃ Y TỊCH")
    today = today_in_vietnam()
    expected = [
        "UBND HUYỆN CHI LĂNG",
        "ỦY BAN NHÂN DÂN XÃ Y TỊCH",
        "Số: 01/SY-UBND",
        "SAO Y",
        date_line("Y Tịch", today.day, today.month, today.year),
        "Nơi nhận:",
        "- Phòng Nội vụ huyện Chi Lăng;",
        "- Lưu: VT.",
        "TL. CHỦ TỊCH",
        "CHÁNH VĂN PHÒNG",
        "Hoàng Văn Tùng",
    ]
    assert all(line in block for line in expected), block
    assert block.index("SAO Y") < block.index("Y Tịch, ngày") < block.index("TL. CHỦ TỊCH")
    assert block.index("CHÁNH VĂN PHÒNG") < block.index("Hoàng Văn Tùng")
    docx = client.get(made["links"]["docx"]).data
    assert errors_of(docx, tmp_path) == []


def test_trich_sao_prints_only_the_chosen_parts(client, tmp_path: Path) -> None:
    original = issue(client)
    copy(client, original, kind="SY")
    made, text = copy(client, original, kind="TS", parts=["1", "3"])
    flat = normalise(text)
    assert made["number_line"] == "Số: 02/TS-UBND"  # one series for every kind of copy
    assert "Số: 01/KH-UBND" in flat and "KẾ HOẠCH" in flat
    assert flat.index("I. MỤC ĐÍCH, YÊU CẦU") < flat.index("III. KINH PHÍ THỰC HIỆN")
    assert "II. NỘI DUNG THỰC HIỆN" not in flat and "IV. TỔ CHỨC THỰC HIỆN" not in flat
    assert "Thực hiện Quyết định số 06/QĐ-TTg" not in flat  # the opening is not a chosen part
    assert flat.index("III. KINH PHÍ") < flat.index("TRÍCH SAO")
    assert flat.index("III. KINH PHÍ") < flat.index("Số: 02/TS-UBND")
    assert errors_of(client.get(made["links"]["docx"]).data, tmp_path) == []
