"""Unit tests of the Gotenberg converter against a local stand-in server (no LibreOffice)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from service.convert.gotenberg import DOCX_TYPE, GotenbergConverter, open_converter
from service.core.converter import ConversionFailed, Converter, ConverterUnavailable
from service.core.pdf_checks import validate_pdf
from service.settings import Settings
from tests.fakes import DropConnection, GotenbergStandIn, Upload, blank_pdf

DOCX = b"PK\x03\x04" + b"\0\r\n--\n" * 50  # a ZIP signature, then bytes a parser could trip on
PDF = blank_pdf(300, 300)
Answer = Callable[[Upload], tuple[int, bytes]]
StartStandIn = Callable[..., GotenbergStandIn]


@pytest.fixture
def stand_in() -> Iterator[StartStandIn]:
    """Start stand-ins with the answers given; stop them after the test."""
    with ExitStack() as stack:

        def start(
            answer: Answer = lambda upload: (200, PDF), health: int = 200
        ) -> GotenbergStandIn:
            return stack.enter_context(GotenbergStandIn(answer, health=lambda: health))

        yield start


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sends_the_docx_as_the_files_part_and_returns_the_pdf(stand_in: StartStandIn) -> None:
    server = stand_in()
    pdf = GotenbergConverter(server.url, timeout=5).convert(DOCX)
    assert pdf == PDF and validate_pdf(pdf) == 1
    [upload] = server.uploads
    assert upload.path == "/forms/libreoffice/convert"
    assert upload.content_type.startswith("multipart/form-data; boundary=")
    assert upload.file("files") == ("document.docx", DOCX_TYPE, DOCX)
    assert upload.fields == {}  # plain PDF: no pdfa field
    assert [f[0] for f in upload.files] == ["files"]


@pytest.mark.parametrize(("version", "pdfa"), [(1, "PDF/A-1b"), (2, "PDF/A-2b"), (3, "PDF/A-3b")])
def test_pdf_a_is_asked_for_with_the_pdfa_field(
    stand_in: StartStandIn, version: int, pdfa: str
) -> None:
    server = stand_in()
    GotenbergConverter(server.url, timeout=5).convert(DOCX, pdf_version=version)
    assert server.uploads[0].fields == {"pdfa": pdfa}
    assert server.uploads[0].file("files")[2] == DOCX


def test_destinations_are_asked_for_with_gotenberg_s_field(stand_in: StartStandIn) -> None:
    server = stand_in()
    GotenbergConverter(server.url, timeout=5).convert(DOCX, pdf_version=2, destinations=True)
    assert server.uploads[0].fields == {
        "pdfa": "PDF/A-2b", "exportBookmarksToPdfDestination": "true"}


def test_a_trailing_slash_on_the_base_url_is_ignored(stand_in: StartStandIn) -> None:
    server = stand_in()
    # The stand-in answers only the exact route, so a doubled slash would be a 404.
    GotenbergConverter(server.url + "/", timeout=5).convert(DOCX)
    assert server.uploads[0].path == "/forms/libreoffice/convert"


@pytest.mark.parametrize("status", [503, 429])
def test_a_full_queue_is_unavailable(stand_in: StartStandIn, status: int) -> None:
    server = stand_in(lambda upload: (status, b"queue is  full\n"))
    with pytest.raises(ConverterUnavailable) as caught:
        GotenbergConverter(server.url, timeout=5).convert(DOCX)
    assert caught.type is ConverterUnavailable
    assert str(caught.value) == f"Gotenberg is busy: {server.url} answered {status}: queue is full"


@pytest.mark.parametrize("status", [500, 400, 404])
def test_other_error_answers_fail(stand_in: StartStandIn, status: int) -> None:
    server = stand_in(lambda upload: (status, b"LibreOffice: conversion failed"))
    with pytest.raises(ConversionFailed) as caught:
        GotenbergConverter(server.url, timeout=5).convert(DOCX)
    assert str(caught.value) == (
        f"Gotenberg failed: {server.url} answered {status}: LibreOffice: conversion failed"
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(b"Error: could not load document", "not a PDF", id="error-text"),
        pytest.param(PDF[: len(PDF) // 2], "truncated PDF", id="truncated"),
        pytest.param(b"", "not a PDF", id="empty"),
    ],
)
def test_garbage_instead_of_a_pdf_fails(stand_in: StartStandIn, body: bytes, problem: str) -> None:
    server = stand_in(lambda upload: (200, body))
    with pytest.raises(ConversionFailed, match=f"^Gotenberg returned no usable PDF: {problem}"):
        GotenbergConverter(server.url, timeout=5).convert(DOCX)


def test_no_answer_in_time_fails(stand_in: StartStandIn) -> None:
    release = threading.Event()

    def stall(upload: Upload) -> tuple[int, bytes]:
        release.wait(10)
        return 200, PDF

    server = stand_in(stall)
    converter = GotenbergConverter(server.url, timeout=0.2)
    started = time.monotonic()
    try:
        with pytest.raises(ConversionFailed) as caught:
            converter.convert(DOCX)
    finally:
        release.set()
    assert time.monotonic() - started < 2
    assert str(caught.value) == f"Gotenberg at {server.url} gave no answer within 0.2 s"


def test_a_dropped_connection_fails(stand_in: StartStandIn) -> None:
    def drop(upload: Upload) -> tuple[int, bytes]:
        raise DropConnection

    server = stand_in(drop)
    with pytest.raises(ConversionFailed, match="^Gotenberg at .* broke off: RemoteDisconnected"):
        GotenbergConverter(server.url, timeout=5).convert(DOCX)


def test_nothing_listening_is_unavailable() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(ConverterUnavailable) as caught:
        GotenbergConverter(url, timeout=5).convert(DOCX)
    assert str(caught.value) == f"cannot reach Gotenberg at {url}: [Errno 111] Connection refused"


def test_bad_input_is_refused_before_any_request(stand_in: StartStandIn) -> None:
    server = stand_in()
    converter = GotenbergConverter(server.url, timeout=5)
    with pytest.raises(ConversionFailed, match="not a DOCX"):
        converter.convert(b"plain text")
    with pytest.raises(ValueError, match="pdf_version"):
        converter.convert(DOCX, pdf_version=4)
    assert server.uploads == []


def test_health_asks_the_service(stand_in: StartStandIn) -> None:
    server = stand_in()
    converter = GotenbergConverter(server.url, timeout=5)
    converter.convert(DOCX)
    health = converter.health()
    assert server.health_checks == 1
    assert health == {
        "ok": True,
        "ready": 1,
        "size": 1,
        "busy": 0,
        "instances": [
            {
                "address": server.url,
                "kind": "gotenberg",
                "state": "ready",
                "pid": None,
                "conversions": 1,
                "restarts": 0,
                "last_error": None,
            }
        ],
    }


def test_health_reports_a_sick_or_missing_service(stand_in: StartStandIn) -> None:
    sick = GotenbergConverter(stand_in(health=503).url, timeout=5).health()
    assert not sick["ok"] and sick["ready"] == 0
    assert sick["instances"][0]["state"] == "unhealthy"
    assert sick["instances"][0]["last_error"] == 'health answered 503: {"status": "down"}'
    missing = GotenbergConverter(f"http://127.0.0.1:{closed_port()}", timeout=5).health()
    assert not missing["ok"]
    assert missing["instances"][0]["last_error"].startswith("health check failed: URLError")


def test_close_refuses_work_and_is_idempotent(stand_in: StartStandIn) -> None:
    server = stand_in()
    converter = GotenbergConverter(server.url, timeout=5)
    converter.close()
    converter.close()
    with pytest.raises(ConverterUnavailable, match="closed"):
        converter.convert(DOCX)
    health = converter.health()
    assert not health["ok"] and health["instances"][0]["state"] == "stopped"
    assert server.uploads == [] and server.health_checks == 0


def test_open_converter_takes_the_url_and_timeout_from_the_settings(stand_in: StartStandIn) -> None:
    server = stand_in()
    settings = Settings.from_env(
        {"VB_CONVERTER": "gotenberg", "VB_GOTENBERG_URL": server.url, "VB_CONVERSION_TIMEOUT": "7"}
    )
    converter = open_converter(settings, wait=True)
    assert isinstance(converter, Converter)
    assert (converter.url, converter.timeout) == (server.url, 7.0)
    assert server.health_checks == 1  # wait=True asked once, and it was up


def test_open_converter_waits_for_a_service_that_comes_up(monkeypatch: pytest.MonkeyPatch) -> None:
    down = [503, 503]  # then up for good
    server = GotenbergStandIn(lambda upload: (200, PDF), health=lambda: down.pop() if down else 200)
    monkeypatch.setattr(GotenbergConverter, "health_poll", 0.01)
    with server:
        settings = Settings.from_env({}, gotenberg_url=server.url)
        converter = open_converter(settings, wait=True)
        assert server.health_checks == 3
        assert converter.health()["ok"] is True


@pytest.mark.parametrize("url", ["", "127.0.0.1:3000", "ftp://host/", "http://"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="a Gotenberg URL is http"):
        GotenbergConverter(url, timeout=5)
