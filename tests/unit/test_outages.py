"""A full disk or an absent database answers 503 with what to do, and leaves nothing half-done."""

from __future__ import annotations

import errno
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from service.core.converter import ConversionFailed
from service.core.outages import DATABASE_AWAY, DISK_FULL
from service.store import register
from tests.fakes import FakeConverter
from tests.helpers import SignableConverter, plan

DOCX = "/api/documents/ke_hoach?format=docx"


def gone(statement: str = "SELECT 1") -> OperationalError:
    """What SQLAlchemy raises when the server is away."""
    return OperationalError(statement, {}, Exception("connection refused"))


def test_an_absent_database_is_503_with_retry_after(make_app, monkeypatch) -> None:
    app = make_app()
    audit = app.extensions["vb_services"].documents.audit

    def record(*args: Any, **kwargs: Any) -> None:
        raise gone("INSERT INTO audit_events")

    monkeypatch.setattr(audit, "record", record)
    response = app.test_client().post(DOCX, json=plan())
    assert response.status_code == 503
    assert response.json["message"] == DATABASE_AWAY
    assert response.headers["Retry-After"] == "5"


def test_a_full_disk_while_issuing_is_503_and_takes_no_number(make_app, monkeypatch) -> None:
    app = make_app(SignableConverter())
    client = app.test_client()
    original = register._store_entry

    def full(*args: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(register, "_store_entry", full)
    refused = client.post("/api/register/issue/ke_hoach", json=plan())
    assert (refused.status_code, refused.json["message"]) == (503, DISK_FULL)
    monkeypatch.setattr(register, "_store_entry", original)
    issued = client.post("/api/register/issue/ke_hoach", json=plan())
    assert issued.status_code == 201 and issued.json["number"] == 1
    assert client.get("/api/register").json["total"] == 1


def test_a_preview_on_a_full_disk_is_a_vietnamese_503_page(make_app, monkeypatch) -> None:
    from tests.conftest import signed_in
    from tests.unit.test_pages import HTML, add_unit, plan_form

    app = make_app()
    client = signed_in(app, "quantri", "quan_tri")
    add_unit(client)

    def save(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(app.extensions["vb_services"].previews, "save", save)
    response = client.post("/van-ban/ke_hoach", data=plan_form(client), headers=HTML)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Máy chủ đã hết chỗ lưu trữ" in page and "Traceback" not in page


@pytest.mark.parametrize(("disk_low", "status"), [(True, 503), (False, 502)])
def test_a_failed_conversion_on_a_full_disk_says_so(make_app, monkeypatch, disk_low,
                                                     status) -> None:
    app = make_app(FakeConverter(error=ConversionFailed("soffice: write error")))
    monkeypatch.setattr("service.web.errors.low_disk", lambda folder: disk_low)
    response = app.test_client().post("/api/documents/ke_hoach", json=plan())
    assert response.status_code == status
    if disk_low:
        assert response.json["message"] == DISK_FULL
