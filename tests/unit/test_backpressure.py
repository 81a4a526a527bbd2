"""A bounded queue in front of the converter: past it, 503 at once; /health never waits."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from service.core.form_model import FormModel
from service.usecases.admission import Admission, QueueFull
from tests.conftest import load_sample
from tests.fakes import FakeConverter, HeldConverter

BUSY = "Bộ chuyển đổi PDF đang bận, vui lòng thử lại sau ít giây."


def test_admission_refuses_the_one_past_capacity_at_once() -> None:
    admission = Admission(2)
    with admission.admit(), admission.admit():
        assert admission.inside == 2
        began = time.monotonic()
        with pytest.raises(QueueFull, match="all 2 places"), admission.admit():
            pass
        assert time.monotonic() - began < 0.1
    assert admission.inside == 0
    with admission.admit():
        assert admission.inside == 1


def test_a_full_queue_answers_503_at_once_and_health_stays_quick(make_app) -> None:
    converter = HeldConverter()
    # One converter instance (the fake's size) and one waiting place: two requests inside.
    app = make_app(converter, queue_length=1, retry_after=7)
    seed = load_sample("seed_000_ke_hoach_y_tich")
    statuses: list[int] = []

    def post() -> None:
        statuses.append(app.test_client().post("/api/documents/ke_hoach", json=seed).status_code)

    inside = [threading.Thread(target=post) for _ in range(2)]
    for thread in inside:
        thread.start()
    for _ in inside:
        assert converter.started.acquire(timeout=30)
    try:
        client = app.test_client()
        began = time.monotonic()
        refused = client.post("/api/documents/ke_hoach", json=seed)
        assert time.monotonic() - began < 1.0
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "7"
        assert refused.json["message"] == BUSY
        began = time.monotonic()
        assert client.get("/health").status_code == 200
        # The conversions inside are held for up to 30 s: a second proves health did not wait,
        # and leaves room for a busy machine.
        assert time.monotonic() - began < 1.0
        # A DOCX needs no converter: it is not queued.
        assert client.post("/api/documents/ke_hoach?format=docx", json=seed).status_code == 200
        # While full, a PDF request is refused before its body is even read: the CPU goes to
        # the conversions under way, not to checking input that could not run anyway.
        unread = client.post("/api/documents/ke_hoach", data=b"{not json",
                             content_type="application/json")
        assert unread.status_code == 503
        issue = client.post("/api/register/issue/ke_hoach", data=b"{not json",
                            content_type="application/json")
        assert issue.status_code == 503
    finally:
        converter.open()
        for thread in inside:
            thread.join(30)
    assert statuses == [200, 200]
    assert app.test_client().post("/api/documents/ke_hoach", json=seed).status_code == 200


def test_a_full_queue_is_a_vietnamese_page_for_a_clerk(make_app) -> None:
    converter = HeldConverter()
    app = make_app(converter, queue_length=0)
    seed = load_sample("seed_000_ke_hoach_y_tich")
    holder = threading.Thread(
        target=lambda: app.test_client().post("/api/documents/ke_hoach", json=seed)
    )
    holder.start()
    assert converter.started.acquire(timeout=30)
    try:
        client = app.test_client()
        page = client.get("/van-ban/ke_hoach", headers={"Accept": "text/html"}).get_data(True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        catalog = app.extensions["vb_services"].documents.catalog
        flat = FormModel(catalog, catalog.get("ke_hoach")).to_flat(seed)
        answer = client.post(
            "/van-ban/ke_hoach",
            data={"csrf_token": token, "_action": "preview", **flat},
            headers={"Accept": "text/html"},
        )
        assert answer.status_code == 503
        text = answer.get_data(as_text=True)
        assert "đang bận" in text and 'value="Thực hiện xây dựng xã' in text  # the form is kept
    finally:
        converter.open()
        holder.join(30)


def test_bulk_rows_are_not_refused_by_the_queue(make_app: Any) -> None:
    app = make_app(FakeConverter(), queue_length=0)
    services = app.extensions["vb_services"]
    with services.admission.admit():  # every place taken by web requests
        job = app.test_client().post(
            "/api/jobs", json={"base": load_sample("seed_000_ke_hoach_y_tich"),
                               "rows": [{"commune": "Xã A"}]}
        )
        assert job.status_code == 202
        assert services.bulk.runner.wait(30)
        assert services.bulk.progress(job.json["id"])["done"] == 1
