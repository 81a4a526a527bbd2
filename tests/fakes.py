"""Stand-ins for the converter: a fake Converter, and a Gotenberg-compatible HTTP server."""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
import sys
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pikepdf

from service.convert.gotenberg import CONVERT_PATH, HEALTH_PATH
from service.convert.process import InstanceState
from service.core.batch_docx import BOOKMARK_PREFIX
from service.core.batch_pdf import destination_names
from service.core.converter import ConversionError, check_pdf_version


class FakeConverter:
    """A Converter for unit tests: a blank one-page PDF per call, no LibreOffice."""

    def __init__(self, error: ConversionError | None = None) -> None:
        self.error = error  # raised by convert() when set, e.g. ConverterUnavailable("busy")
        self.calls: list[tuple[bytes, int | None]] = []
        self.closed = False
        self._lock = threading.Lock()

    def convert(
        self, docx: bytes, *, pdf_version: int | None = None, destinations: bool = False
    ) -> bytes:
        """Record the call and return a blank PDF (or raise the configured error).

        With `destinations`, a merged batch gets a blank page per document, each page at its
        document's destination as LibreOffice names it, so that batch_pdf.split cuts it.
        """
        check_pdf_version(pdf_version)  # the same argument check as the real converters
        with self._lock:
            self.calls.append((docx, pdf_version))
        if self.error is not None:
            raise self.error
        return batch_of_blank_pages(docx) if destinations else blank_pdf()

    def health(self) -> dict[str, Any]:
        """Report one always-ready fake instance."""
        return {
            "ok": True,
            "ready": 1,
            "size": 1,
            "busy": 0,
            "instances": [
                {
                    "address": "fake",
                    "kind": "fake",
                    "state": InstanceState.READY.value,
                    "pid": None,
                    "conversions": len(self.calls),
                    "restarts": 0,
                    "last_error": None,
                }
            ],
        }

    def close(self) -> None:
        """Remember that the converter was closed; there is nothing to stop."""
        self.closed = True


class GatedConverter(FakeConverter):
    """Converts one document for each turn the test lets through, or every one once opened."""

    def __init__(self) -> None:
        super().__init__()
        self._gate = threading.Condition()
        self._turns = 0
        self._open = False

    def let(self, turns: int = 1) -> None:
        """Let `turns` more conversions through."""
        with self._gate:
            self._turns += turns
            self._gate.notify_all()

    def open(self) -> None:
        """Let every conversion through, now and from now on."""
        with self._gate:
            self._open = True
            self._gate.notify_all()

    def convert(
        self, docx: bytes, *, pdf_version: int | None = None, destinations: bool = False
    ) -> bytes:
        """Wait for a turn (30 s at most), then convert as the fake does."""
        with self._gate:
            let_through = self._gate.wait_for(lambda: self._open or self._turns > 0, 30)
            assert let_through, "the test never let the conversion through"
            if not self._open:
                self._turns -= 1
        return super().convert(docx, pdf_version=pdf_version, destinations=destinations)


class HeldConverter(GatedConverter):
    """A GatedConverter that tells the test each conversion has begun (`started`)."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Semaphore(0)

    def convert(
        self, docx: bytes, *, pdf_version: int | None = None, destinations: bool = False
    ) -> bytes:
        """Count the start, then wait at the gate."""
        self.started.release()
        return super().convert(docx, pdf_version=pdf_version, destinations=destinations)


def blank_pdf(width: float = 595.28, height: float = 841.89) -> bytes:
    """Return a valid one-page PDF, A4 by default."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(width, height))
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def batch_of_blank_pages(docx: bytes) -> bytes:
    """A blank page per batch bookmark of the DOCX, at its destination as LibreOffice names it."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml")
    count = len(re.findall(rb'w:name="' + BOOKMARK_PREFIX.encode() + rb'\d+"', body))
    with pikepdf.new() as pdf:
        pdf.Root.Dests = pikepdf.Dictionary()
        for index in range(max(count, 1)):
            pdf.add_blank_page(page_size=(595.28, 841.89))
            where = pikepdf.Array([pdf.pages[index].obj, pikepdf.Name.XYZ, None, None, 0])
            pdf.Root.Dests["/" + destination_names(index)[1]] = where
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


@dataclass
class Upload:
    """One POST the Gotenberg stand-in received, its multipart body taken apart."""

    path: str
    content_type: str
    fields: dict[str, str] = field(default_factory=dict)
    # (field name, filename, content type, data) of each file part
    files: list[tuple[str, str, str, bytes]] = field(default_factory=list)

    def file(self, name: str) -> tuple[str, str, bytes]:
        """Return (filename, content type, data) of the one file sent as `name`."""
        found = [f[1:] for f in self.files if f[0] == name]
        assert len(found) == 1, f"expected one file part {name!r}, got {self.files}"
        return found[0]


class DropConnection(Exception):
    """Raised by a stand-in's answer function: close the connection without answering."""


class GotenbergStandIn:
    """A Gotenberg-compatible server on 127.0.0.1 whose answers come from the functions given.

    `answer(upload)` returns (status, body) for each POST to the convert route; `health()`
    returns the status of GET /health. Every upload is kept in `uploads`.
    """

    def __init__(
        self,
        answer: Callable[[Upload], tuple[int, bytes]],
        health: Callable[[], int] = lambda: 200,
    ) -> None:
        self.answer = answer
        self.health = health
        self.uploads: list[Upload] = []
        self.health_checks = 0
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll: shutdown() waits for the loop to look at its flag.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> GotenbergStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                upload = parse_upload(self.path, self.headers.get("Content-Type", ""), body)
                stand_in.uploads.append(upload)
                if self.path != CONVERT_PATH:
                    self._send(404, b"no such route")
                    return
                try:
                    status, answer = stand_in.answer(upload)
                except DropConnection:
                    self.close_connection = True
                    return
                self._send(status, answer, "application/pdf" if status == 200 else "text/plain")

            def do_GET(self) -> None:
                if self.path != HEALTH_PATH:
                    self._send(404, b"no such route")
                    return
                stand_in.health_checks += 1
                status = stand_in.health()
                up = json.dumps({"status": "up" if status == 200 else "down"}).encode()
                self._send(status, up, "application/json")

            def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        return Handler


class _QuietServer(ThreadingHTTPServer):
    """An HTTP server that does not print the broken pipe of a client that gave up waiting."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Print errors as usual, except a client gone (a converter timing out on purpose)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def parse_upload(path: str, content_type: str, body: bytes) -> Upload:
    """Take a multipart/form-data body apart into its fields and files."""
    upload = Upload(path=path, content_type=content_type)
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.message_from_bytes(head + body, policy=email.policy.HTTP)
    assert isinstance(message, EmailMessage)  # what the policy makes
    if not message.is_multipart():
        return upload
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        filename = part.get_filename()
        if filename is None:
            upload.fields[name] = data.decode("utf-8")
        else:
            upload.files.append((name, filename, part.get_content_type(), data))
    return upload
