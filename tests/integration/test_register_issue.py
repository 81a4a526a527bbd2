"""Issue through the Flask app on a real LibreOffice pool: the number in the PDF, hashes, seal."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

import pdfplumber
import pikepdf
import pytest

from service.convert.pool import ConverterPool
from service.usecases.units import PROFILE_FIELDS
from service.web.context import EXTENSION
from tests.conftest import client_as, load_sample, normalise
from tests.helpers import PASSPHRASE, make_key, seal_png
from tests.integration.conftest import started_pool
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration
SEAL_FIELD = "Dau - Uy ban nhan dan xa Y Tich"


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    """A one-instance pool on real LibreOffice (this suite's ports: 2900-2960)."""
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=2900) as pool:
        yield pool


@pytest.fixture()
def app(make_app, pool: ConverterPool) -> Any:
    return make_app(pool)


def test_issue_prints_the_number_and_stores_what_it_sent(app) -> None:
    client = client_as(app, "van-thu")
    payload = load_sample("seed_000_ke_hoach_y_tich")
    response = client.post("/api/register/issue/ke_hoach", json=payload)
    assert response.status_code == 201, response.json
    entry = response.json
    pdf = client.get(entry["links"]["pdf"]).data
    assert hashlib.sha256(pdf).hexdigest() == entry["pdf_sha256"]
    text = normalise(pdf_text(pdf))
    assert "Số: 01/KH-UBND" in text
    day = entry["date"].split("-")
    assert f"Y Tịch, ngày {day[2]} tháng" in text and f"năm {day[0]}" in text
    second = client.post("/api/register/issue/ke_hoach", json=payload).json
    assert "Số: 02/KH-UBND" in normalise(pdf_text(client.get(second["links"]["pdf"]).data))
    trail = client.get("/api/audit?action=issue").json
    assert [e["actor"] for e in trail["items"]][-1] == "key:van-thu" and trail["total"] == 2


def test_sealed_issue_shows_the_seal_at_actual_size(app) -> None:
    services = app.extensions[EXTENSION]
    payload = load_sample("seed_000_ke_hoach_y_tich")
    services.units.save({"slug": "y-tich", **{k: payload[k] for k in PROFILE_FIELDS}})
    key = make_key("UBND xã Y Tịch")[0]
    services.keys.install("y-tich", key, PASSPHRASE, seal_png(), seal_mm=35)
    body = {k: v for k, v in payload.items() if k not in ("issuer", "signer")}
    client = app.test_client()
    response = client.post("/api/register/issue/ke_hoach?unit=y-tich&sign=1", json=body)
    assert response.status_code == 201, response.json
    pdf = client.get(response.json["links"]["pdf"]).data
    (signature,) = client.post("/api/verify", data=pdf, content_type="application/pdf").json[
        "signatures"
    ]
    assert signature["field"] == SEAL_FIELD and signature["signer"] == "UBND xã Y Tịch"
    assert signature["intact"] and signature["covers_whole_document"]
    with pikepdf.open(io.BytesIO(pdf)) as document:
        fields = {str(f.T): f for f in document.Root.AcroForm.Fields}
        x1, y1, x2, y2 = (float(v) for v in fields[SEAL_FIELD].Rect)
        sx1, sy1, sx2, sy2 = (float(v) for v in fields["Chu ky - Vuong Van Son"].Rect)
    assert x2 - x1 == pytest.approx(35 * 72 / 25.4, abs=0.01)
    # Centred on the left third of the signature space, between the title and the name.
    assert (x1 + x2) / 2 == pytest.approx(sx1 + (sx2 - sx1) / 3, abs=0.01)
    assert (y1 + y2) / 2 == pytest.approx((sy1 + sy2) / 2, abs=0.01)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert "Số: 01/KH-UBND" in normalise(document.pages[0].extract_text())


def test_a_units_council_issues_its_resolution_in_its_own_series(app) -> None:
    from tests.unit.test_unit_council import COUNCIL, resolution

    services = app.extensions[EXTENSION]
    payload = load_sample("seed_000_ke_hoach_y_tich")
    services.units.save({"slug": "y-tich", "council": COUNCIL,
                         **{k: payload[k] for k in PROFILE_FIELDS}})
    client = client_as(app, "van-thu", units=["y-tich"])
    body = {k: v for k, v in payload.items() if k not in ("issuer", "signer", "number")}
    plan = client.post("/api/register/issue/ke_hoach?unit=y-tich", json=body)
    issued = client.post("/api/register/issue/nghi_quyet?unit=y-tich", json=resolution())
    assert (plan.status_code, issued.status_code) == (201, 201), issued.json
    assert (plan.json["number"], issued.json["number"]) == (1, 1)  # two series, one per body
    text = normalise(pdf_text(client.get(issued.json["links"]["pdf"]).data))
    assert "Số: 01/NQ-HĐND" in text and "TM. HỘI ĐỒNG NHÂN DÂN" in text
    assert "HỘI ĐỒNG NHÂN DÂN XÃ Y TỊCH" in text and "Hoàng Văn Thịnh" in text
