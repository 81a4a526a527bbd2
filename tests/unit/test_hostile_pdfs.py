"""PDFs built to expand are read in a child within the memory budget and refused, never held."""

from __future__ import annotations

import pytest

from service.core.signed_upload import SignedUploadRefused, check_signed_upload
from service.usecases.scans import ScanRefused, media_type
from tests.helpers import BODY, block, make_pdf, prepare
from tests.hostile import deflate_bomb_pdf

INFLATED = 512  # MB the cross-reference stream inflates to: twice the reading budget


def test_verify_refuses_a_deflate_bomb_as_too_costly_to_read(make_app) -> None:
    response = make_app().test_client().post("/api/verify", data=deflate_bomb_pdf(INFLATED),
                           content_type="application/pdf")
    assert response.status_code == 400
    assert response.json["message"] == "Tệp gửi lên không phải PDF đọc được."
    assert response.json["errors"] == {"body": ["reading the PDF took more memory than allowed"]}


def test_a_scan_that_is_a_deflate_bomb_is_refused() -> None:
    with pytest.raises(ScanRefused) as caught:
        media_type(deflate_bomb_pdf(INFLATED))
    assert caught.value.message in (
        "Tệp bị hỏng, không đọc được.",  # qpdf gives up on the stream before inflating it all
        "Tệp quá phức tạp để đọc (cần quá nhiều bộ nhớ hoặc thời gian); hãy quét lại.",
    )


def test_a_signed_upload_whose_update_is_a_deflate_bomb_is_refused_as_too_costly() -> None:
    prepared = prepare(make_pdf(BODY + block()))
    bomb = deflate_bomb_pdf(INFLATED, prefix=prepared)
    with pytest.raises(SignedUploadRefused) as caught:
        check_signed_upload(prepared, bomb, field="Chu ky", signer_name="Nguyen Van Hien")
    assert caught.value.reason == "too_costly"
