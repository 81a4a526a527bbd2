"""Scans of the signed, stamped paper, kept with their register entry and read back."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from PIL import Image

from service.usecases.scans import ScanRefused, media_type
from tests.conftest import client_as, csrf_of, signed_in
from tests.fakes import blank_pdf
from tests.helpers import SignableConverter, plan, save_two_communes

HTML = {"Accept": "text/html"}


def picture(kind: str, size: tuple[int, int] = (40, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (250, 250, 250)).save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [(picture("PNG"), "image/png"), (picture("JPEG"), "image/jpeg")],
)
def test_a_scan_is_known_by_its_first_bytes(content: bytes, kind: str) -> None:
    assert media_type(content) == kind


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a....", "Bản quét phải là tệp PDF, JPEG hoặc PNG."),
        (b"%PDF-1.7 broken", "Tệp bị hỏng, không đọc được."),
        (picture("PNG")[:40], "Tệp bị hỏng, không đọc được."),
    ],
)
def test_anything_else_is_refused_with_the_reason(content: bytes, message: str) -> None:
    with pytest.raises(ScanRefused) as caught:
        media_type(content)
    assert caught.value.message == message


def test_a_picture_too_large_to_be_a_page_is_refused() -> None:
    huge = io.BytesIO()
    Image.new("1", (13_000, 13_000)).save(huge, "PNG")  # small on disk, 169 Mpx decoded
    with pytest.raises(ScanRefused) as caught:
        media_type(huge.getvalue())
    assert caught.value.message == "Ảnh quá lớn; hãy quét ở 300 dpi."


@pytest.fixture()
def app(make_app) -> Any:
    app = make_app(SignableConverter())
    save_two_communes(app.extensions["vb_services"].units)
    return app


def issued(app: Any) -> Any:
    return app.extensions["vb_services"].issuer.issue("ke_hoach", plan(), actor="lan",
                                                      unit="y-tich")


def test_the_api_keeps_a_scan_with_the_entry(app) -> None:
    entry = issued(app)
    client = client_as(app, "van-thu", units=["y-tich"])
    scan = picture("JPEG")
    made = client.post(f"/api/register/{entry.id}/scans", data=scan, content_type="image/jpeg")
    assert made.status_code == 201, made.json
    assert (made.json["media_type"], made.json["sha256"]) == (
        "image/jpeg", hashlib.sha256(scan).hexdigest()
    )
    assert made.headers["Location"] == made.json["links"]["self"]
    back = client.get(made.json["links"]["self"])
    assert back.data == scan and back.headers["ETag"] == f'"{made.json["sha256"]}"'
    assert 'filename="ban-quet-1-1.jpg"' in back.headers["Content-Disposition"]
    wrong_type = client.post(f"/api/register/{entry.id}/scans", data=b"x",
                             content_type="text/plain")
    assert wrong_type.status_code == 415
    refused = client.post(f"/api/register/{entry.id}/scans", data=b"GIF89a",
                          content_type="image/png")
    assert (refused.status_code, refused.json["errors"]) == (
        422, {"body": ["Bản quét phải là tệp PDF, JPEG hoặc PNG."]}
    )
    stranger = client_as(app, "khac", units=["thanh-linh"])
    assert stranger.get(made.json["links"]["self"]).status_code == 404
    assert stranger.post(f"/api/register/{entry.id}/scans", data=scan,
                         content_type="image/jpeg").status_code == 404
    trail = client.get("/api/audit?action=attach").json["items"]
    assert [(e["actor"], e["details"]["sha256"]) for e in trail] == [
        ("key:van-thu", made.json["sha256"])
    ]


def test_the_entry_page_lists_and_takes_scans(app) -> None:
    entry = issued(app)
    clerk = signed_in(app, "thu.vt", "van_thu", "y-tich")
    page = clerk.get(f"/so-van-ban-di/{entry.id}", headers=HTML).get_data(as_text=True)
    assert "Bản quét văn bản giấy đã ký, đóng dấu" in page
    scan = blank_pdf()
    done = clerk.post(f"/so-van-ban-di/{entry.id}/ban-quet", headers=HTML,
                      content_type="multipart/form-data",
                      data={"csrf_token": csrf_of(page), "scan": (io.BytesIO(scan), "quet.pdf")})
    assert done.status_code == 303
    after = clerk.get(f"/so-van-ban-di/{entry.id}", headers=HTML).get_data(as_text=True)
    assert "Đã lưu bản quét (ban-quet-1-1.pdf)." in after
    assert hashlib.sha256(scan).hexdigest() in after and "Lưu bản quét" in after
    assert clerk.get(f"/so-van-ban-di/{entry.id}/ban-quet/1").data == scan
    leader = signed_in(app, "son.ld", "lanh_dao", "y-tich")
    read_only = leader.get(f"/so-van-ban-di/{entry.id}", headers=HTML).get_data(as_text=True)
    assert "Bản quét 1" in read_only and 'name="scan"' not in read_only
