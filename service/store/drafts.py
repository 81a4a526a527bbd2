"""Drafts on the server: their versions, their files, and the step each one is at."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from service.core.clock import utcnow
from service.store.base import Base, UTCDateTime
from service.store.database import Database
from service.usecases.draft_ports import (
    EDITABLE,
    DraftConflict,
    DraftFile,
    DraftRecord,
    DraftStatus,
    DraftVersion,
    FileKind,
    Signature,
)


class Draft(Base):
    """One document on its way to the register, in one unit."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_slug: Mapped[str] = mapped_column(String(80), index=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signer_account: Mapped[str | None] = mapped_column(String(120), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    entry_id: Mapped[int | None] = mapped_column(Integer)

    def record(self, data: dict[str, Any] | None = None) -> DraftRecord:
        """The draft as the use cases see it."""
        return DraftRecord(
            id=self.id, unit=self.unit_slug, doc_type=self.doc_type, title=self.title,
            status=DraftStatus(self.status), version=self.version, created_by=self.created_by,
            created_at=self.created_at, updated_by=self.updated_by, updated_at=self.updated_at,
            signer_account=self.signer_account, note=self.note or "", comment=self.comment or "",
            signature=Signature(**self.signature) if self.signature else None,
            entry_id=self.entry_id, data=data,
        )


class DraftVersionRow(Base):
    """One saved version of a draft's document."""

    __tablename__ = "draft_versions"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(120))
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DraftFileRow(Base):
    """A file a draft keeps: the PDF prepared for signing, the signed upload, a scan."""

    __tablename__ = "draft_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SqlDrafts:
    """The DraftStore on the service's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, draft: DraftRecord, data: dict[str, Any]) -> DraftRecord:
        """Store a new draft with its first version."""
        with self.database.session() as session:
            row = Draft(
                unit_slug=draft.unit, doc_type=draft.doc_type, title=draft.title[:400],
                status=DraftStatus.DRAFT.value, version=1, created_by=draft.created_by,
                updated_by=draft.created_by,
            )
            session.add(row)
            session.flush()
            session.add(DraftVersionRow(draft_id=row.id, version=1, data=data,
                                        saved_by=draft.created_by))
            return row.record(data)

    def get(self, draft_id: int, units: frozenset[str] | None) -> DraftRecord | None:
        """The draft with its newest data, when one of `units` (None: any) holds it."""
        with self.database.session() as session:
            row = session.get(Draft, draft_id)
            if row is None or (units is not None and row.unit_slug not in units):
                return None
            version = session.get(DraftVersionRow, (row.id, row.version))
            return row.record(dict(version.data) if version is not None else None)

    def find(
        self, units: frozenset[str] | None, *, statuses: tuple[DraftStatus, ...] = (),
        signer_account: str | None = None,
    ) -> list[DraftRecord]:
        """Drafts of those units (None: every unit), newest change first, without data."""
        statement = select(Draft).order_by(Draft.updated_at.desc(), Draft.id.desc())
        if units is not None:
            statement = statement.where(Draft.unit_slug.in_(sorted(units)))
        if statuses:
            statement = statement.where(_status_in(statuses))
        if signer_account is not None:
            statement = statement.where(Draft.signer_account == signer_account)
        with self.database.session() as session:
            return [row.record() for row in session.scalars(statement)]

    def versions(self, draft_id: int) -> list[DraftVersion]:
        """Every version of a draft, oldest first."""
        statement = (
            select(DraftVersionRow.version, DraftVersionRow.saved_by, DraftVersionRow.saved_at)
            .where(DraftVersionRow.draft_id == draft_id)
            .order_by(DraftVersionRow.version)
        )
        with self.database.session() as session:
            return [DraftVersion(*row) for row in session.execute(statement)]

    def save_version(
        self, draft_id: int, data: dict[str, Any], *, title: str, by: str, expect_version: int
    ) -> DraftRecord:
        """Add a version to an editable draft at `expect_version`; DraftConflict otherwise."""
        with self.database.session(immediate=True) as session:
            row = _step(
                session, draft_id, (Draft.version == expect_version, _status_in(EDITABLE)),
                f"is not editable at version {expect_version}",
                version=expect_version + 1, title=title[:400], updated_by=by,
                status=DraftStatus.DRAFT.value,
            )
            session.add(DraftVersionRow(draft_id=draft_id, version=expect_version + 1,
                                        data=data, saved_by=by))
            return row.record(data)

    def move(
        self, draft_id: int, *, expect: tuple[DraftStatus, ...], to: DraftStatus, by: str,
        file: DraftFile | None = None, **values: Any,
    ) -> DraftRecord:
        """Change the status (and `values`) from one of `expect`, adding `file`, in one go."""
        if isinstance(values.get("signature"), Signature):
            values["signature"] = values["signature"].as_dict()
        with self.database.session(immediate=True) as session:
            row = _step(session, draft_id, (_status_in(expect),),
                        f"is not at {[s.value for s in expect]}",
                        status=to.value, updated_by=by, **values)
            if file is not None:
                session.add(DraftFileRow(
                    draft_id=draft_id, kind=file.kind.value, version=file.version,
                    content=file.content, sha256=file.sha256, added_by=file.added_by,
                ))
            return row.record()

    def file(self, draft_id: int, kind: FileKind) -> DraftFile | None:
        """The newest file of this kind."""
        statement = (
            select(DraftFileRow)
            .where(DraftFileRow.draft_id == draft_id, DraftFileRow.kind == kind.value)
            .order_by(DraftFileRow.id.desc())
            .limit(1)
        )
        with self.database.session() as session:
            row = session.scalar(statement)
            if row is None:
                return None
            return DraftFile(kind, row.content, row.sha256, row.version, row.added_by,
                             row.added_at)


def _status_in(statuses: tuple[DraftStatus, ...]) -> ColumnElement[bool]:
    """The condition that a draft is at one of `statuses`."""
    return Draft.status.in_([status.value for status in statuses])


def _step(
    session: Session, draft_id: int, where: tuple[ColumnElement[bool], ...], refused: str,
    **values: Any,
) -> Draft:
    """Change the draft's `values` where `where` holds, in one statement; DraftConflict if not."""
    moved = session.execute(
        update(Draft).where(Draft.id == draft_id, *where).values(updated_at=utcnow(), **values)
    )
    # Checked and changed in one UPDATE, so two clerks' steps cannot both pass the check.
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise DraftConflict(f"draft {draft_id} {refused}")
    row = session.get(Draft, draft_id)
    assert row is not None
    session.refresh(row)
    return row
