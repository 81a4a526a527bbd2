"""The service started as users start it, driven by a real HTTP client."""

from __future__ import annotations

import io

import pikepdf
import pytest
import requests

from tests.conftest import load_sample
from tests.integration import calls
from tests.integration.servers import free_port, start_service
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`python -m service serve` with a one-instance pool; stopped and checked afterwards."""
    service = start_service(
        tmp_path_factory.mktemp("var"), free_port(), pool_size=1, pool_base_port=2560
    )
    yield service.url
    assert not service.stop(), "processes left running after SIGTERM"


def post_sample(server: str, type_id: str, sample: str, query: str = "") -> requests.Response:
    """POST a sample as JSON to the render endpoint."""
    url = f"{server}/api/documents/{type_id}{query}"
    return calls.post(url, json=load_sample(sample), timeout=60)


def test_health_reports_the_real_pool(server: str) -> None:
    body = calls.get(server + "/health", timeout=5).json()
    assert body["status"] == "ok"
    assert body["pool"]["ready"] == 1 and body["pool"]["instances"][0]["pid"]


def test_post_json_get_pdf(server: str) -> None:
    response = post_sample(server, "ke_hoach", "seed_000_ke_hoach_y_tich")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert 'filename="KH-UBND-2023-xa-y-tich.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Thực hiện xây dựng xã, thị trấn phù hợp với trẻ em năm 2023" in text
    assert "Vương Văn Sơn" in text


def test_post_pdfa(server: str) -> None:
    response = post_sample(server, "cong_van", "cong_van_de_nghi_ho_tro", "?format=pdfa-2b")
    assert response.status_code == 200
    with pikepdf.open(io.BytesIO(response.content)) as pdf, pdf.open_metadata() as meta:
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
    assert "V/v đề nghị" in pdf_text(response.content)


def test_errors_over_http(server: str) -> None:
    url = server + "/api/documents/ke_hoach"
    bad = calls.post(
        url, data=b"{nope", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert bad.status_code == 400 and bad.json()["code"] == 400
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["date"]["month"] = 13
    invalid = calls.post(url, json=payload, timeout=10)
    assert invalid.status_code == 422
    assert invalid.json()["errors"]["date.month"] == ["Phải từ 1 đến 12."]
    big = calls.post(
        url,
        data=b"[" + b"1," * 2_000_000 + b"1]",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert big.status_code == 413
    assert calls.get(server + "/openapi.json", timeout=10).json()["openapi"].startswith("3.")


def test_post_pdf_ready_for_signing(server: str) -> None:
    response = post_sample(
        server, "ke_hoach", "seed_001_ke_hoach_thanh_linh", "?signing=1&format=pdfa-2b"
    )
    assert response.status_code == 200
    pdf = pikepdf.open(io.BytesIO(response.content))
    names = {str(f.T) for f in pdf.Root.AcroForm.Fields}
    assert names == {"Chu ky - Nguyen Van Hien", "Dau - Uy ban nhan dan xa Thanh Linh"}
    assert all("/V" not in f for f in pdf.Root.AcroForm.Fields)
    assert str(pdf.Root.Lang) == "vi-VN"
    with pdf.open_metadata() as meta:
        assert meta["pdfaid:part"] == "2"
        assert meta["dc:creator"] == ["Ủy ban nhân dân xã Thanh Lĩnh"]
