"""The outgoing register (sổ văn bản đi): one number series per agency and year, issued entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import Select

from service.core import vn
from service.core.clock import utcnow

# Ignores case, spacing and "Uỷ"/"Ủy" tone placement while keeping diacritics ("Tân" ≠ "Tấn").
from service.core.vn import match_key
from service.store.audit import HeldAudit, SessionAudit
from service.store.base import Base, UTCDateTime
from service.store.database import Database
from service.store.series_lock import series_lock
from service.usecases.ports import (
    AfterEntry,
    IssueTransaction,
    RegisterQuery,
    RegisterRecord,
    StoredFile,
)

# Columns a RegisterRecord carries under the same name; the store sets id and issued_at.
RECORD_COLUMNS = (
    "id", "agency_key", "year", "number", "symbol", "doc_type", "agency", "subject",
    "document_date", "issued_at", "issued_by", "file_stem", "display_name", "docx_sha256",
    "pdf_sha256", "signed", "signed_by", "source_id", "draft_id",
)
STORE_SET = ("id", "issued_at")


class RegisterCounter(Base):
    """The last number given in one agency's series for one year."""

    __tablename__ = "register_counters"

    agency_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class RegisterEntry(Base):
    """One issued document: its number, what was rendered, the files and who issued it when."""

    __tablename__ = "register_entries"
    # The database itself refuses a number given twice in a series.
    __table_args__ = (UniqueConstraint("agency_key", "year", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_key: Mapped[str] = mapped_column(String(400))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(60))
    doc_type: Mapped[str] = mapped_column(String(40), index=True)
    agency: Mapped[str] = mapped_column(String(200))
    unit_slug: Mapped[str | None] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(Text)
    # The subject without case or diacritics: "ke hoach" finds "Kế hoạch".
    search_text: Mapped[str] = mapped_column(Text)
    document_date: Mapped[dt.date] = mapped_column(Date, index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(120))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    file_stem: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(300))
    # Files live in the row: stored in the same transaction as the number, so an entry never
    # lacks its files and a failed issue leaves nothing behind.
    docx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    docx_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_by: Mapped[str | None] = mapped_column(String(200))
    # A copy's source entry (its copies are listed with it); entries are never removed.
    source_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The draft whose signed PDF this entry issued: one entry per draft, ever.
    draft_id: Mapped[int | None] = mapped_column(Integer, index=True, unique=True)

    def record(self, *, with_inputs: bool = False) -> RegisterRecord:
        """The entry as the use cases see it (no files)."""
        return RegisterRecord(
            **{name: getattr(self, name) for name in RECORD_COLUMNS},
            unit=self.unit_slug,
            inputs=self.inputs if with_inputs else None,
        )


class UnsupportedDatabase(RuntimeError):
    """Numbers are allocated with an upsert only SQLite and PostgreSQL are known to support."""


def allocate_number(session: Session, key: str, year: int) -> int:
    """Take the next number of the series in the session's transaction (undone by a rollback).

    One upsert: the first issue of a year inserts 1, later ones add 1. The series lock
    (series_lock.py) makes issues of one series take turns; this upsert and the unique
    (series, year, number) constraint keep the promise even for a writer that skipped it.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert: Any = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise UnsupportedDatabase(f"no number allocation for {dialect}")
    statement = (
        insert(RegisterCounter)
        .values(agency_key=key, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=["agency_key", "year"],
            set_={"last_number": RegisterCounter.last_number + 1},
        )
        .returning(RegisterCounter.last_number)
    )
    return int(session.execute(statement).scalar_one())


def _like(text: str) -> str:
    """A LIKE pattern matching the text anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: RegisterQuery) -> Select[Any]:
    """SELECT of the entries matching the query."""
    statement = select(RegisterEntry)
    if query.number is not None:
        statement = statement.where(RegisterEntry.number == query.number)
    if query.symbol:
        # Symbols are written in capitals ("QĐ-UBND"); SQLite's upper() knows only ASCII, so
        # the query is raised in Python and the stored symbol compared as it is.
        prefix = _like(query.symbol.strip().upper())[1:]  # anchored at the start
        statement = statement.where(RegisterEntry.symbol.like(prefix, escape="\\"))
    if query.doc_type:
        statement = statement.where(RegisterEntry.doc_type == query.doc_type)
    if query.year is not None:
        statement = statement.where(RegisterEntry.year == query.year)
    if query.unit:
        statement = statement.where(RegisterEntry.unit_slug == query.unit)
    if query.units is not None:
        statement = statement.where(RegisterEntry.unit_slug.in_(sorted(query.units)))
    if query.source_id is not None:
        statement = statement.where(RegisterEntry.source_id == query.source_id)
    if query.date_from is not None:
        statement = statement.where(RegisterEntry.document_date >= query.date_from)
    if query.date_to is not None:
        statement = statement.where(RegisterEntry.document_date <= query.date_to)
    if query.text and vn.search_key(query.text):
        pattern = _like(vn.search_key(query.text))
        statement = statement.where(RegisterEntry.search_text.like(pattern, escape="\\"))
    if query.agency and match_key(query.agency):
        pattern = _like(match_key(query.agency))
        statement = statement.where(RegisterEntry.agency_key.like(pattern, escape="\\"))
    return statement


class SqlRegister:
    """The RegisterStore on the service's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def issuing(self, series: str, year: int) -> Iterator[IssueTransaction]:
        """Hold the series while its next document is made; no transaction is open meanwhile."""
        with series_lock(self.database, series, year):
            yield _Issue(self.database, series, year, self.last_number(series, year) + 1)

    def by_draft(self, draft_id: int) -> RegisterRecord | None:
        """The entry that issued this draft, if it has been issued."""
        with self.database.session() as session:
            entry = session.scalar(select(RegisterEntry).where(RegisterEntry.draft_id == draft_id))
            return entry.record() if entry is not None else None

    def last_number(self, series: str, year: int) -> int:
        """The last number given in the series this year (0 before the first)."""
        with self.database.session() as session:
            found = session.get(RegisterCounter, (series, year))
            return found.last_number if found is not None else 0

    def search(
        self, query: RegisterQuery, *, offset: int, limit: int
    ) -> tuple[list[RegisterRecord], int]:
        """One page of matching entries, newest first, and how many match in all."""
        statement = _filtered(query)
        with self.database.session() as session:
            total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            page = statement.order_by(
                RegisterEntry.year.desc(),
                RegisterEntry.document_date.desc(),
                RegisterEntry.id.desc(),
            )
            found = session.scalars(page.offset(offset).limit(limit))
            return [entry.record() for entry in found], int(total)

    def in_number_order(self, query: RegisterQuery) -> list[RegisterRecord]:
        """Every matching entry with its inputs, by series, year and number (the paper book)."""
        statement = _filtered(query).order_by(
            RegisterEntry.agency_key, RegisterEntry.year, RegisterEntry.number
        )
        with self.database.session() as session:
            return [entry.record(with_inputs=True) for entry in session.scalars(statement)]

    def get(self, entry_id: int, units: frozenset[str] | None = None) -> RegisterRecord | None:
        """The entry with its inputs, or None (also when it is outside `units`)."""
        with self.database.session() as session:
            entry = _visible(session.get(RegisterEntry, entry_id), units)
            return entry.record(with_inputs=True) if entry is not None else None

    def file(
        self, entry_id: int, kind: str, units: frozenset[str] | None = None
    ) -> StoredFile | None:
        """The entry's stored PDF or DOCX, or None (also when it is outside `units`)."""
        with self.database.session() as session:
            entry = _visible(session.get(RegisterEntry, entry_id), units)
            if entry is None:
                return None
            content, digest = (
                (entry.pdf, entry.pdf_sha256) if kind == "pdf" else (entry.docx, entry.docx_sha256)
            )
            return StoredFile(
                content, digest, f"{entry.file_stem}.{kind}", f"{entry.display_name}.{kind}"
            )


def _visible(entry: RegisterEntry | None, units: frozenset[str] | None) -> RegisterEntry | None:
    """The entry when the reader's scope (None: every unit) includes its unit."""
    if entry is None or units is None or entry.unit_slug in units:
        return entry
    return None


class SeriesMovedOn(RuntimeError):
    """The series' counter moved while it was held: some writer did not take the series lock."""


class _Issue:
    """An IssueTransaction: the number held for it, the events kept until the entry is stored."""

    def __init__(self, database: Database, series: str, year: int, number: int) -> None:
        self.database = database
        self.series = series
        self.year = year
        self.number = number
        self.audit = HeldAudit()

    def add_entry(
        self, record: RegisterRecord, inputs: dict[str, Any], docx: bytes, pdf: bytes,
        after: AfterEntry | None = None,
    ) -> RegisterRecord:
        """Take the number, store the entry, its files and events; one short transaction."""
        with self.database.session() as session:
            taken = allocate_number(session, self.series, self.year)
            if taken != self.number or record.number != self.number:
                raise SeriesMovedOn(f"{self.series} {self.year}: {taken} != {self.number}")
            stored = _store_entry(session, record, inputs, docx, pdf)
            sink = SessionAudit(session)
            self.audit.write_to(sink)
            if after is not None:
                after(stored, sink)
            return stored


def _store_entry(
    session: Session, record: RegisterRecord, inputs: dict[str, Any], docx: bytes, pdf: bytes
) -> RegisterRecord:
    """Add the entry and its files to the session; the record with its id and time."""
    entry = RegisterEntry(
        **{name: getattr(record, name) for name in RECORD_COLUMNS if name not in STORE_SET},
        unit_slug=record.unit,
        search_text=vn.search_key(record.subject),
        inputs=inputs,
        docx=docx,
        pdf=pdf,
    )
    session.add(entry)
    session.flush()  # the id and time, for the trail
    return replace(entry.record(with_inputs=True), docx=docx, pdf=pdf)
