"""Scans of signed, stamped paper kept with their register entry (PDF, JPEG or PNG)."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from dataclasses import dataclass, field
from typing import Protocol

import pikepdf
from PIL import Image, UnidentifiedImageError

from service.core.confined import ReadingTooCostly, confined
from service.core.documents import AuditSink
from service.core.files import sha256
from service.usecases.access import Principal
from service.usecases.copying import EntryNotFound
from service.usecases.ports import RegisterRecord, RegisterStore

# The media a scan may be, by its first bytes (never by the name or the type a client says).
MAGIC = {
    b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
}
EXTENSION = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


class ScanRefused(ValueError):
    """Not a readable PDF, JPEG or PNG; `message` says so to the văn thư."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Scan:
    """A scan kept with an entry."""

    entry_id: int
    media_type: str
    sha256: str
    size: int
    added_by: str
    id: int | None = None
    added_at: dt.datetime | None = None
    content: bytes | None = field(default=None, repr=False)

    @property
    def file_name(self) -> str:
        """The name it downloads under: ban-quet-<entry>-<id>.pdf."""
        return f"ban-quet-{self.entry_id}-{self.id}.{EXTENSION[self.media_type]}"


class ScanStore(Protocol):
    """Where scans are kept."""

    def add(self, scan: Scan, content: bytes) -> Scan:
        """Keep a scan; the record with its id and time."""

    def of_entry(self, entry_id: int) -> list[Scan]:
        """An entry's scans, oldest first, without their content."""

    def get(self, entry_id: int, scan_id: int) -> Scan | None:
        """One scan of the entry with its content."""


def media_type(content: bytes) -> str:
    """The scan's media type, once it reads as one within the upload budget; ScanRefused else."""
    try:
        return confined(_read_media_type, content)
    except ReadingTooCostly:
        raise ScanRefused(
            "Tệp quá phức tạp để đọc (cần quá nhiều bộ nhớ hoặc thời gian); hãy quét lại."
        ) from None


def _read_media_type(content: bytes) -> str:
    """media_type's work, in the reading child."""
    kind = next((media for magic, media in MAGIC.items() if content.startswith(magic)), None)
    if kind is None:
        raise ScanRefused("Bản quét phải là tệp PDF, JPEG hoặc PNG.")
    try:
        if kind == "application/pdf":
            with pikepdf.open(io.BytesIO(content)) as pdf:
                if len(pdf.pages) < 1:
                    raise ScanRefused("Tệp PDF không có trang nào.")
        else:
            # Pillow's own bound (89 Mpx; an A3 page at 600 dpi is 70) refuses a picture whose
            # header promises more pixels than a page, before any is decoded.
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content)) as picture:
                    picture.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ScanRefused("Ảnh quá lớn; hãy quét ở 300 dpi.") from None
    except (pikepdf.PdfError, UnidentifiedImageError, OSError):
        raise ScanRefused("Tệp bị hỏng, không đọc được.") from None
    return kind


class EntryScans:
    """Attaches scans of the signed paper to entries, and reads them back, within the caller's
    units."""

    def __init__(self, store: ScanStore, register: RegisterStore, audit: AuditSink) -> None:
        self.store = store
        self.register = register
        self.audit = audit

    def attach(self, who: Principal, entry_id: int, content: bytes) -> Scan:
        """Keep the scan with the entry the caller sees; on the trail with its SHA-256."""
        entry = self._entry(who, entry_id)
        kind = media_type(content)
        scan = self.store.add(Scan(entry_id, kind, sha256(content), len(content), who.name),
                              content)
        self.audit.record(
            "attach", actor=who.name, subject=entry.number_line, unit=entry.unit,
            details={"entry": entry_id, "scan": scan.id, "media_type": kind,
                     "sha256": scan.sha256},
        )
        return scan

    def of_entry(self, who: Principal, entry_id: int) -> list[Scan]:
        """The scans of an entry the caller sees."""
        self._entry(who, entry_id)
        return self.store.of_entry(entry_id)

    def get(self, who: Principal, entry_id: int, scan_id: int) -> Scan:
        """One scan with its content; EntryNotFound outside the caller's units."""
        self._entry(who, entry_id)
        found = self.store.get(entry_id, scan_id)
        if found is None:
            raise EntryNotFound(entry_id)
        return found

    def _entry(self, who: Principal, entry_id: int) -> RegisterRecord:
        found = self.register.get(entry_id, who.units)
        if found is None:
            raise EntryNotFound(entry_id)
        return found
