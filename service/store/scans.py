"""Scans of signed paper, kept beside the register's entries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, mapped_column

from service.core.clock import utcnow
from service.store.base import Base, UTCDateTime
from service.store.database import Database
from service.usecases.scans import Scan


class EntryScan(Base):
    """A scan of an entry's signed, stamped paper (PDF, JPEG or PNG)."""

    __tablename__ = "entry_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer, index=True)
    media_type: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    added_by: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def record(self, with_content: bool = False) -> Scan:
        """The scan as the use case sees it."""
        return Scan(self.entry_id, self.media_type, self.sha256, self.size, self.added_by,
                    self.id, self.added_at, self.content if with_content else None)


class SqlScans:
    """The ScanStore on the service's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, scan: Scan, content: bytes) -> Scan:
        """Keep a scan; the record with its id and time."""
        with self.database.session() as session:
            row = EntryScan(entry_id=scan.entry_id, media_type=scan.media_type, content=content,
                            sha256=scan.sha256, size=scan.size, added_by=scan.added_by[:120])
            session.add(row)
            session.flush()
            return row.record()

    def of_entry(self, entry_id: int) -> list[Scan]:
        """An entry's scans, oldest first, without their content."""
        statement = select(EntryScan).where(EntryScan.entry_id == entry_id).order_by(EntryScan.id)
        with self.database.session() as session:
            return [row.record() for row in session.scalars(statement)]

    def get(self, entry_id: int, scan_id: int) -> Scan | None:
        """One scan of the entry with its content."""
        with self.database.session() as session:
            row = session.get(EntryScan, scan_id)
            if row is None or row.entry_id != entry_id:
                return None
            return row.record(with_content=True)
