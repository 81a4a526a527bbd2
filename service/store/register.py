"""The outgoing register (sổ văn bản đi): one number series per agency and year, issued entries."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
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

# Ignores case, spacing and "Uỷ"/"Ủy" tone placement while keeping diacritics ("Tân" ≠ "Tấn").
from service.core.vn import match_key
from service.store.base import Base, UTCDateTime, iso, utcnow


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

    @property
    def number_text(self) -> str:
        """The number as printed: "05"."""
        return vn.number_str(self.number)

    @property
    def number_line(self) -> str:
        """The header line: "Số: 05/KH-UBND"."""
        return vn.number_line(self.number, self.symbol)

    def summary(self) -> dict[str, Any]:
        """The entry as the API lists it (no file contents)."""
        return {
            "id": self.id,
            "number": self.number,
            "number_text": self.number_text,
            "symbol": self.symbol,
            "number_line": self.number_line,
            "doc_type": self.doc_type,
            "subject": self.subject,
            "agency": self.agency,
            "unit": self.unit_slug,
            "year": self.year,
            "date": self.document_date.isoformat(),
            "issued_at": iso(self.issued_at),
            "issued_by": self.issued_by,
            "docx_sha256": self.docx_sha256,
            "pdf_sha256": self.pdf_sha256,
            "signed": self.signed,
            "signed_by": self.signed_by,
        }


def agency_key(issuer: dict[str, Any]) -> str:
    """The series an issuer numbers in: its agency under its parent (communes share names)."""
    parent = match_key(issuer.get("parent_agency") or "")
    return f"{parent} / {match_key(issuer['agency'])}"[:400]


def search_key(text: str) -> str:
    """Lower-case ASCII with single spaces, for accent-insensitive search."""
    return re.sub(r"\s+", " ", vn.strip_diacritics(text).lower()).strip()


class UnsupportedDatabase(RuntimeError):
    """Numbers are allocated with an upsert only SQLite and PostgreSQL are known to support."""


def allocate_number(session: Session, key: str, year: int) -> int:
    """Take the next number of the series in the session's transaction (undone by a rollback).

    One upsert: the first issue of a year inserts 1, later ones add 1. PostgreSQL keeps the
    counter row locked until the transaction ends, so concurrent issues of the same series queue
    behind it; SQLite's BEGIN IMMEDIATE (Database.session(immediate=True)) does the same for
    the whole database. A rolled-back issue therefore gives its number back: no gap.
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


@dataclass(frozen=True)
class RegisterQuery:
    """Filters for listing the register; None means any."""

    number: int | None = None
    doc_type: str | None = None
    text: str | None = None
    agency: str | None = None
    year: int | None = None
    unit: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _like(text: str) -> str:
    """A LIKE pattern matching the text anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: RegisterQuery) -> Select[Any]:
    """SELECT of the entries matching the query."""
    statement = select(RegisterEntry)
    if query.number is not None:
        statement = statement.where(RegisterEntry.number == query.number)
    if query.doc_type:
        statement = statement.where(RegisterEntry.doc_type == query.doc_type)
    if query.year is not None:
        statement = statement.where(RegisterEntry.year == query.year)
    if query.unit:
        statement = statement.where(RegisterEntry.unit_slug == query.unit)
    if query.date_from is not None:
        statement = statement.where(RegisterEntry.document_date >= query.date_from)
    if query.date_to is not None:
        statement = statement.where(RegisterEntry.document_date <= query.date_to)
    if query.text and search_key(query.text):
        pattern = _like(search_key(query.text))
        statement = statement.where(RegisterEntry.search_text.like(pattern, escape="\\"))
    if query.agency and match_key(query.agency):
        pattern = _like(match_key(query.agency))
        statement = statement.where(RegisterEntry.agency_key.like(pattern, escape="\\"))
    return statement


def search_register(
    session: Session, query: RegisterQuery, *, offset: int = 0, limit: int = 50
) -> tuple[list[RegisterEntry], int]:
    """One page of matching entries, newest first, and how many match in all."""
    statement = _filtered(query)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = statement.order_by(
        RegisterEntry.year.desc(), RegisterEntry.document_date.desc(), RegisterEntry.id.desc()
    )
    return list(session.scalars(page.offset(offset).limit(limit))), int(total)


def get_entry(session: Session, entry_id: int) -> RegisterEntry | None:
    """The entry with this id, or None."""
    return session.get(RegisterEntry, entry_id)
