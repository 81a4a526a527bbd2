"""The converter that forwards each DOCX to a Gotenberg-compatible HTTP service.

Gotenberg runs, queues and restarts its own LibreOffice, so this side only sends the document
(`POST /forms/libreoffice/convert`, multipart field `files`), asks for PDF/A with the form field
`pdfa`, and checks what comes back. A full queue answers 503 or 429 at once: that is "try
later", not a failed document.
"""

from __future__ import annotations

import http.client
import logging
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from service.convert.process import InstanceState
from service.core.converter import (
    ConversionFailed,
    ConverterUnavailable,
    check_docx,
    check_pdf_version,
)
from service.core.pdf_checks import validate_pdf
from service.settings import Settings

log = logging.getLogger("service.convert")

CONVERT_PATH = "/forms/libreoffice/convert"
HEALTH_PATH = "/health"
PDFA_FORMATS = {1: "PDF/A-1b", 2: "PDF/A-2b", 3: "PDF/A-3b"}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BUSY_STATUSES = (429, 503)  # Gotenberg's answers when its queue is full
# Gotenberg 8's field for ExportBookmarksToPDFDestination; an older one ignores it, and the
# batch's split then names the destination it misses.
DESTINATIONS_FIELD = "exportBookmarksToPdfDestination"


def open_converter(settings: Settings, *, wait: bool = False) -> GotenbergConverter:
    """Return a converter for VB_GOTENBERG_URL; with wait, first wait until it is healthy."""
    converter = GotenbergConverter(settings.gotenberg_url, timeout=settings.conversion_timeout)
    if wait:
        converter.wait_ready(converter.startup_timeout)
    return converter


class GotenbergConverter:
    """Convert DOCX to PDF through a Gotenberg-compatible service at a base URL."""

    health_timeout = 5.0  # a health check must not wait behind the work it reports on
    startup_timeout = 60.0  # what open_converter(wait=True) waits for a first healthy answer
    health_poll = 0.5  # seconds between health checks while waiting

    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"a Gotenberg URL is http(s)://host[:port][/path], not {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout  # seconds of socket silence before the conversion is given up
        self._lock = threading.Lock()
        self._conversions = 0
        self._last_error: str | None = None
        self._closed = False

    def convert(
        self, docx: bytes, *, pdf_version: int | None = None, destinations: bool = False
    ) -> bytes:
        """Convert a DOCX to PDF (PDF/A-1b/2b/3b with pdf_version 1/2/3) on the service.

        `destinations` asks for bookmarks as named destinations (Gotenberg 8's form field).
        """
        check_pdf_version(pdf_version)
        check_docx(docx)
        if self._closed:
            raise ConverterUnavailable("the Gotenberg converter is closed")
        fields = {} if pdf_version is None else {"pdfa": PDFA_FORMATS[pdf_version]}
        if destinations:
            fields[DESTINATIONS_FIELD] = "true"
        body, content_type = multipart(fields, "files", "document.docx", DOCX_TYPE, docx)
        request = urllib.request.Request(
            self.url + CONVERT_PATH,
            data=body,
            method="POST",
            headers={"Content-Type": content_type, "Accept": "application/pdf"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                pdf = response.read()
        except urllib.error.HTTPError as exc:
            detail = f"{self.url} answered {exc.code}: {_error_text(exc)}"
            self._note(detail)
            if exc.code in BUSY_STATUSES:
                raise ConverterUnavailable(f"Gotenberg is busy: {detail}") from exc
            raise ConversionFailed(f"Gotenberg failed: {detail}") from exc
        except urllib.error.URLError as exc:
            # Raised before any answer (refused, no route, DNS, connect timeout): the service
            # is down, not the document bad, so the caller should try again later.
            self._note(f"unreachable: {exc.reason}")
            raise ConverterUnavailable(
                f"cannot reach Gotenberg at {self.url}: {exc.reason}"
            ) from exc
        except TimeoutError as exc:  # it took the document, then fell silent
            self._note(f"no answer within {self.timeout:g} s")
            raise ConversionFailed(
                f"Gotenberg at {self.url} gave no answer within {self.timeout:g} s"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:  # reset or garbled mid-answer
            self._note(f"{type(exc).__name__}: {exc}")
            raise ConversionFailed(
                f"Gotenberg at {self.url} broke off: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            validate_pdf(pdf)
        except ValueError as exc:
            self._note(f"no usable PDF: {exc}")
            raise ConversionFailed(f"Gotenberg returned no usable PDF: {exc}") from exc
        with self._lock:
            self._conversions += 1
        log.debug(
            "converted %d bytes of DOCX to %d of PDF on %s in %.2f s",
            len(docx),
            len(pdf),
            self.url,
            time.monotonic() - started,
        )
        return pdf

    def health(self) -> dict[str, Any]:
        """Ask the service's /health (200 means it can convert) and report in the pool's shape."""
        ok, problem = self._probe()
        with self._lock:
            conversions, last_error = self._conversions, problem or self._last_error
        state = InstanceState.READY if ok else InstanceState.UNHEALTHY
        return {
            "ok": ok,
            "ready": int(ok),
            "size": 1,
            "busy": 0,  # Gotenberg does not say; its queue answers 503/429 when full
            "instances": [
                {
                    "address": self.url,
                    "kind": "gotenberg",
                    "state": (InstanceState.STOPPED if self._closed else state).value,
                    "pid": None,
                    "conversions": conversions,
                    "restarts": 0,
                    "last_error": last_error,
                }
            ],
        }

    def wait_ready(self, timeout: float) -> bool:
        """Poll /health until it answers 200 or timeout passes; say whether it did."""
        deadline = time.monotonic() + timeout
        while not self._closed:
            ok, problem = self._probe()
            if ok:
                return True
            if time.monotonic() >= deadline:
                log.warning("Gotenberg at %s not ready after %g s: %s", self.url, timeout, problem)
                return False
            time.sleep(min(self.health_poll, max(0.0, deadline - time.monotonic())))
        return False

    def close(self) -> None:
        """Refuse further work; the service itself runs elsewhere, so nothing is stopped."""
        self._closed = True

    def _probe(self) -> tuple[bool, str | None]:
        """GET /health; return whether it answered 200, else what went wrong."""
        if self._closed:
            return False, "closed"
        try:
            with urllib.request.urlopen(
                self.url + HEALTH_PATH, timeout=self.health_timeout
            ) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            return False, f"health answered {exc.code}: {_error_text(exc)}"
        except (OSError, http.client.HTTPException) as exc:  # URLError and timeouts included
            return False, f"health check failed: {type(exc).__name__}: {exc}"
        if status != 200:
            return False, f"health answered {status}"
        return True, None

    def _note(self, error: str) -> None:
        with self._lock:
            self._last_error = error
        log.warning("Gotenberg conversion failed: %s", error)


def multipart(
    fields: dict[str, str], file_field: str, filename: str, content_type: str, data: bytes
) -> tuple[bytes, str]:
    """Encode form fields and one file as multipart/form-data; return (body, content type)."""
    boundary = secrets.token_hex(16)  # 128 random bits never occur inside the document
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head += (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _error_text(exc: urllib.error.HTTPError) -> str:
    """Return the start of an error answer's body, on one line, for logs and messages."""
    try:
        body = exc.read(300)
    except (OSError, http.client.HTTPException):
        body = b""
    return " ".join(body.decode("utf-8", "replace").split()) or exc.reason or "no detail"
