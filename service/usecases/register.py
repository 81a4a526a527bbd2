"""Reading the outgoing register and the audit trail: searches, entries, issued files."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from service.core.converter import Converter
from service.usecases.ports import (
    AuditQuery,
    AuditStore,
    Page,
    RegisterQuery,
    RegisterRecord,
    RegisterStore,
    StoredFile,
)
from service.usecases.register_book import Volume, register_xlsx
from service.usecases.register_book_docx import register_docx

BOOK_FORMATS = ("pdf", "xlsx")


class NumberUnreadable(ValueError):
    """A number searched for is not written as the register prints one."""


NUMBER_AS_PRINTED = re.compile(r"^\s*(?:số\s*:?\s*)?0*(\d{1,9})\s*(?:/\s*([^\s/][^/]*?))?\s*$",
                               re.IGNORECASE)


def number_query(text: str) -> tuple[int, str | None]:
    """(number, symbol start) of a number as printed: "02/KH-UBND", "02", "2/kh", "Số: 02/KH"."""
    found = NUMBER_AS_PRINTED.match(text)
    if found is None or int(found.group(1)) == 0:
        raise NumberUnreadable(text)
    return int(found.group(1)), (found.group(2) or None)


def _page(search: Callable[..., tuple[list[Any], int]], query: Any, page: int,
          per_page: int) -> Page:
    """One 1-based page of a search."""
    items, total = search(query, offset=(page - 1) * per_page, limit=per_page)
    return Page(items, total, page, per_page)


class RegisterBook:
    """The outgoing register as clerks and other systems read it."""

    def __init__(self, store: RegisterStore, converter: Converter | None = None) -> None:
        self.store = store
        self.converter = converter  # the documents' own: the book is printed as they are

    def search(self, query: RegisterQuery, page: int = 1, per_page: int = 50) -> Page:
        """One page of matching entries, newest first."""
        return _page(self.store.search, query, page, per_page)

    def get(self, entry_id: int, units: frozenset[str] | None = None) -> RegisterRecord | None:
        """The entry with its inputs, or None (also outside the reader's `units`)."""
        return self.store.get(entry_id, units)

    def year_book(
        self, year: int, units: frozenset[str] | None = None, unit: str | None = None
    ) -> list[RegisterRecord]:
        """A year's entries the reader sees (of one unit if named), by series and number."""
        return self.store.in_number_order(RegisterQuery(year=year, unit=unit, units=units))

    def book(
        self, kind: str, year: int, type_name: Callable[[str], str], volume: Volume,
        units: frozenset[str] | None = None, unit: str | None = None,
    ) -> bytes:
        """A year's book (Decree 30, Appendix IV) as XLSX, or as PDF for printing."""
        entries = self.year_book(year, units, unit)
        if kind == "xlsx":
            return register_xlsx(entries, year, type_name, volume)
        if self.converter is None:
            raise RuntimeError("this register book has no converter to print with")
        # No Calc to print the XLSX: the same rows laid out for Writer.
        return self.converter.convert(register_docx(entries, year, type_name, volume))

    def file(
        self, entry_id: int, kind: str, units: frozenset[str] | None = None
    ) -> StoredFile | None:
        """The issued PDF or DOCX, byte for byte, or None (also outside the reader's `units`)."""
        return self.store.file(entry_id, kind, units)


class AuditTrail:
    """The audit trail as it is read (writing goes through the AuditSink of each action)."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store

    def search(self, query: AuditQuery, page: int = 1, per_page: int = 50) -> Page:
        """One page of matching events, newest first."""
        return _page(self.store.search, query, page, per_page)

    def of_entry(
        self, entry: RegisterRecord, units: frozenset[str] | None = None
    ) -> list[dict[str, Any]]:
        """An entry's events, oldest first: its render, seal and issue (not earlier previews)."""
        # The issue and the seal name the entry; the render inside the issue is named by the
        # numbered file, which no preview (unnumbered) or other series' render shares.
        named, _ = self.store.search(
            AuditQuery(subject=entry.number_line, units=units), offset=0, limit=200
        )
        rendered, _ = self.store.search(
            AuditQuery(action="render", subject=entry.file_name("docx"), units=units),
            offset=0, limit=200,
        )
        events = [e for e in named if (e.get("details") or {}).get("entry") == entry.id]
        events += [e for e in rendered if e.get("subject") == entry.file_name("docx")
                   and (e.get("details") or {}).get("type") == entry.doc_type]
        return sorted(events, key=lambda e: int(e.get("id") or 0))
