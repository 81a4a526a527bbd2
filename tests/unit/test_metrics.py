"""GET /metrics (Prometheus text), request ids, and one JSON access line per request."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.core.converter import ConverterUnavailable
from service.web import request_log
from service.web.metrics import CONTENT_TYPE
from service.web.request_log import JsonFormatter, RequestIdFilter, use_json_logs
from tests.conftest import client_as, load_sample
from tests.fakes import FakeConverter

RENDER = "/api/documents/ke_hoach?format=docx"
RENDER_RULE = "/api/documents/<type_id>"
ACCESS_FIELDS = {"ts", "level", "logger", "msg", "request_id", "method", "route", "path",
                 "status", "duration_ms", "actor"}


def scrape(app: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics by (name, labels), read by a monitoring key."""
    response = client_as(app, "giam-sat", scopes=["metrics"]).get("/metrics")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == CONTENT_TYPE
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    """The sample with exactly these labels, or None when there is none."""
    return samples.get((name, frozenset(labels.items())))


def test_metrics_need_the_metrics_scope(make_app) -> None:
    app = make_app()
    assert client_as(app, "mot-cua", scopes=["render"]).get("/metrics").status_code == 403
    wrong = app.test_client(token=None).get("/metrics", headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401
    assert client_as(app, "giam-sat", scopes=["metrics"]).get("/metrics").status_code == 200


def test_metrics_without_credentials_is_401(make_app) -> None:
    assert make_app().test_client(token=None).get("/metrics").status_code == 401


def test_requests_are_counted_by_rule_method_and_status(make_app) -> None:
    app = make_app()
    client = app.test_client()
    for _ in range(2):
        assert client.post(RENDER, json=load_sample("seed_000_ke_hoach_y_tich")).status_code == 200
    assert client.get("/api/types/khong_co_loai_nay").status_code == 404
    assert client.get("/khong-co-trang-nay").status_code == 404
    assert client.get("/api/register/987654").status_code == 404
    samples = scrape(app)
    requests = "vanban_http_requests_total"
    assert value(samples, requests, route=RENDER_RULE, method="POST", status="200") == 2
    assert value(samples, requests, route="/api/types/<type_id>", method="GET", status="404") == 1
    assert value(samples, requests, route="<unmatched>", method="GET", status="404") == 1
    # The rule without its converter (`<int(min=1, …):entry_id>`), and never the id.
    assert value(samples, requests, route="/api/register/<entry_id>", method="GET",
                 status="404") == 1
    assert value(samples, "vanban_http_request_duration_seconds_count", route=RENDER_RULE) == 2
    assert value(samples, "vanban_http_request_duration_seconds_bucket",
                 route=RENDER_RULE, le="120.0") == 2
    labels = {v for (_, pairs) in samples for _, v in pairs}
    assert not any(word in label for label in labels for word in ("khong", "ke_hoach", "987654"))


def test_an_unknown_method_is_not_a_new_label(make_app) -> None:
    app = make_app()
    app.test_client().open("/api/types", method="BREW")
    samples = scrape(app)
    # A 405 matched no rule for its method: it is "<unmatched>", like a 404.
    assert value(samples, "vanban_http_requests_total",
                 route="<unmatched>", method="other", status="405") == 1


def test_the_queue_and_the_converter_are_read_when_scraped(make_app) -> None:
    converter = FakeConverter()
    app = make_app(converter)
    admission = app.extensions["vb_services"].admission
    with admission.admit():
        samples = scrape(app)
    assert value(samples, "vanban_converter_queue_capacity") == admission.capacity
    assert value(samples, "vanban_converter_queue_depth") == 1
    assert value(samples, "vanban_converter_up") == 1
    assert value(samples, "vanban_converter_instances", state="ready") == 1
    converter.calls.extend([(b"", None)] * 3)
    samples = scrape(app)
    assert value(samples, "vanban_converter_conversions_total", address="fake") == 3
    assert value(samples, "vanban_converter_restarts_total", address="fake") == 0
    assert value(samples, "vanban_register_entries") == 0


def test_bulk_rows_of_unfinished_jobs_by_state(make_app) -> None:
    app = make_app()
    store = app.extensions["vb_services"].bulk.ctx.jobs
    job = {"doc_type": "ke_hoach", "base": {}, "columns": ["commune"], "backend": "embedded",
           "actor": "t", "separator": ";"}
    running = store.create_job(rows=[("Xã A", {}), ("Xã B", {}), ("Xã C", {})], **job)
    cancelled = store.create_job(rows=[("Xã D", {})], **job)
    assert store.claim_row(running, 1, "w1") and store.cancel_job(cancelled)
    samples = scrape(app)
    assert value(samples, "vanban_bulk_rows", state="pending") == 2
    assert value(samples, "vanban_bulk_rows", state="running") == 1
    assert value(samples, "vanban_bulk_rows", state="skipped") == 0  # the cancelled job's


def test_a_failing_source_is_marked_down_and_the_rest_still_served(make_app, monkeypatch) -> None:
    app = make_app()
    bulk = app.extensions["vb_services"].bulk

    def broken() -> dict[str, int]:
        raise OSError("database is down")

    monkeypatch.setattr(bulk, "backlog", broken)
    samples = scrape(app)
    assert value(samples, "vanban_metrics_source_up", source="bulk") == 0
    assert value(samples, "vanban_metrics_source_up", source="queue") == 1
    assert value(samples, "vanban_bulk_rows", state="pending") is None
    assert value(samples, "vanban_converter_queue_capacity") is not None


@pytest.mark.parametrize("sent", ["abc-123_X.y", "a" * 64])
def test_a_valid_request_id_is_echoed(make_app, sent: str) -> None:
    response = make_app().test_client().get("/api/types", headers={"X-Request-ID": sent})
    assert response.headers["X-Request-ID"] == sent


@pytest.mark.parametrize("sent", [None, "", "a" * 100, "abc\ndef", "a b", "é"])
def test_an_invalid_or_missing_request_id_is_replaced(make_app, sent: str | None) -> None:
    environ = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}  # past the client's checks
    response = make_app().test_client(token=None).get("/health", environ_overrides=environ)
    made = response.headers["X-Request-ID"]
    assert made != sent and len(made) == 32 and int(made, 16) >= 0


def test_a_refused_request_has_an_id_too(make_app) -> None:
    response = make_app().test_client(token=None).get("/api/types", headers={"X-Request-ID": "r1"})
    assert response.status_code == 401 and response.headers["X-Request-ID"] == "r1"


def test_a_log_line_written_during_a_request_carries_its_id(make_app, caplog) -> None:
    app = make_app(FakeConverter(ConverterUnavailable("busy")))
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="service.web"):
        response = app.test_client().post("/api/documents/ke_hoach?format=pdf",
                                          json=load_sample("seed_000_ke_hoach_y_tich"),
                                          headers={"X-Request-ID": "yeu-cau-7"})
    assert response.status_code == 503
    (busy,) = [r for r in caplog.records if r.getMessage().startswith("no converter free")]
    assert busy.request_id == "yeu-cau-7"  # type: ignore[attr-defined]


def test_one_json_access_line_per_request(make_app, caplog) -> None:
    app = make_app()
    with caplog.at_level(logging.INFO, logger="service.access"):
        response = app.test_client().post(RENDER, json=load_sample("seed_000_ke_hoach_y_tich"))
        app.test_client(token=None).get("/health")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records
             if r.name == "service.access"]
    assert len(lines) == 2
    render, health = lines
    assert set(render) == ACCESS_FIELDS
    assert render["request_id"] == response.headers["X-Request-ID"]
    assert (render["level"], render["logger"]) == ("INFO", "service.access")
    assert render["method"] == "POST"
    assert (render["route"], render["path"]) == (RENDER_RULE, "/api/documents/ke_hoach")
    assert (render["status"], render["actor"]) == (200, "key:tests")
    assert isinstance(render["duration_ms"], float) and render["duration_ms"] >= 0
    assert render["msg"].startswith("POST /api/documents/ke_hoach 200 ")
    assert render["ts"].endswith("+00:00")
    assert (health["route"], health["actor"]) == ("/health", None)


def test_json_logs_carry_the_request_id_inside_a_request_and_null_outside(make_app) -> None:
    app = make_app()
    logger = logging.Logger("test-json")
    out = io.StringIO()
    logger.addHandler(logging.StreamHandler(out))
    use_json_logs(logger)
    with app.test_request_context("/", headers={"X-Request-ID": "r-9"}):
        request_log.begin_request()
        logger.warning("inside %s", "a request", extra={"job": "j1"})
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("outside")
    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    assert inside == {"ts": inside["ts"], "level": "WARNING", "logger": "test-json",
                      "msg": "inside a request", "request_id": "r-9", "job": "j1"}
    assert outside["request_id"] is None and "ValueError: boom" in outside["exc"]
