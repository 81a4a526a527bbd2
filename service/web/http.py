"""What every web feature answers with: media types, flags, downloads, posted documents, ids."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any
from urllib.parse import quote

from flask import Response, abort, request, url_for

from service.core import copies
from service.core.documents import DocumentService
from service.core.vn import ascii_slug
from service.usecases.draft_ports import FileKind
from service.usecases.drafting import DraftNotFound
from service.usecases.ports import RegisterRecord
from service.usecases.register_book import Volume
from service.web.auth import principal, scope, type_refused
from service.web.context import services
from service.web.errors import RequestBodyInvalid, error_response

MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# The register book's two layouts (Decree 30, Appendix IV): to keep on a computer, to print.
BOOK_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": MEDIA["pdf"],
}
# Ids, numbers and pages are SQL INTEGER (32 bits in PostgreSQL): a larger value matches
# nothing, and the database driver fails on it instead of answering.
SQL_INT_MAX = 2**31 - 1
ENTRY_ID = f"<int(min=1, max={SQL_INT_MAX}):entry_id>"  # beyond it the route is a plain 404
DRAFT_ID = f"<int(min=1, max={SQL_INT_MAX}):draft_id>"
# Longest text searched for: no subject or agency is longer, and SQLite refuses LIKE patterns
# of 50,000 characters ("too complex"), which read as the database being away.
SEARCH_MAX = 200
SEARCH_TOO_LONG = f"Chữ tìm dài tối đa {SEARCH_MAX} ký tự."


def documents() -> DocumentService:
    """The app's DocumentService."""
    return services().documents


def type_name(type_id: str) -> str:
    """A document type's Vietnamese name (the id for a type no longer defined)."""
    found = documents().catalog.types.get(type_id)
    return found.name if found is not None else copies.TYPE_NAMES.get(type_id, type_id)


def check_type(type_id: str) -> None:
    """Refuse (403) a document type outside an API key's scope, where a body names it."""
    if not principal().may_use_type(type_id):
        abort(403, description=type_refused(type_id))


def flag(value: Any) -> bool:
    """A query, form or JSON flag: true, 1, yes, on (an HTML checkbox)."""
    return value is True or (
        isinstance(value, str) and value.lower() in ("1", "true", "yes", "on")
    )


def document_request(controls: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    """The posted JSON document, and its control keys: from the query, else from the body."""
    if not request.is_json:
        raise RequestBodyInvalid(415, "Nội dung gửi lên phải là application/json.")
    payload = request.get_json(silent=True)
    if payload is None:
        raise RequestBodyInvalid(400, "JSON không đọc được (sai cú pháp hoặc không phải UTF-8).")
    values: dict[str, Any] = {name: request.args.get(name) or None for name in controls}
    if isinstance(payload, dict):
        for name in controls:
            if values[name] is None:
                values[name] = payload.get(name)
        payload = {k: v for k, v in payload.items() if k not in controls}
    return payload, values


def file_response(content: bytes, mimetype: str, ascii_name: str, display_name: str) -> Response:
    """A download with the file name in ASCII and in UTF-8 (RFC 6266)."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(display_name)}"
    )
    response.headers["Content-Length"] = str(len(content))
    return response


def issued_file(entry_id: int, kind: str) -> Response | None:
    """An issued PDF or DOCX the caller sees (None otherwise), named with its number."""
    stored = services().register.file(entry_id, kind, scope())
    if stored is None:
        return None
    # The numbered ASCII name (`05-KH-UBND-2026-xa-y-tich.pdf`) in both `filename` and
    # `filename*`: browsers prefer the UTF-8 one, and the unnumbered display name made 01 and
    # 02 of a subject download under one name. The register pages show the same name.
    response = file_response(stored.content, MEDIA[kind], stored.ascii_name, stored.ascii_name)
    response.headers["ETag"] = f'"{stored.sha256}"'
    return response


def book_download(kind: str, year: int, volume: Volume, unit: str | None) -> Response:
    """The year's register book the caller sees (of one unit if named) as XLSX or PDF."""
    if kind == "pdf":  # printing converts: a place in the converters' queue, or a 503 now
        services().admission.refuse_when_full()
    with services().admission.admit() if kind == "pdf" else nullcontext():
        book = services().register.book(kind, year, type_name, volume, scope(), unit)
    name = "-".join(filter(None, ["so-van-ban-di", str(year), unit and ascii_slug(unit)]))
    response = Response(book, mimetype=BOOK_MEDIA[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def entry_not_found(entry_id: int) -> Any:
    """404 for a register entry that does not exist."""
    return error_response(404, f"Sổ văn bản đi không có mục số {entry_id}.")


def created(entry: RegisterRecord) -> tuple[RegisterRecord, int, dict[str, str]]:
    """201 with a new register entry (its route's schema dumps it), Location pointing at it."""
    return entry, 201, {"Location": url_for("register.Entry", entry_id=entry.id)}


def draft_pdf(draft_id: int, kind: FileKind) -> Response:
    """A draft's kept PDF (prepared for signing, or signed) as a download named for the draft;
    DraftNotFound (a 404) when the caller does not see it or it has no such file."""
    kept = services().drafting.file(principal(), draft_id, kind)
    if kept is None:
        raise DraftNotFound(draft_id)
    name = f"du-thao-{draft_id}-{'chuan-bi-ky' if kind == FileKind.PREPARED else 'da-ky'}.pdf"
    response = file_response(kept.content, MEDIA["pdf"], name, name)
    response.headers["ETag"] = f'"{kept.sha256}"'
    return response


def uploaded(field: str) -> tuple[bytes, str]:
    """A page's chosen file: its bytes (b"" when none) and its name. The request's size limit
    (VB_MAX_REQUEST_BYTES) has bounded it already."""
    chosen = request.files.get(field)
    return (chosen.read(), chosen.filename or "") if chosen else (b"", "")
