"""The audit trail: who rendered, issued or signed what, and when; append-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.core.clock import iso, utcnow
from service.store.base import Base, UTCDateTime
from service.store.database import Database
from service.usecases.ports import AuditQuery


class AuditEvent(Base):
    """One recorded action; triggers in the database refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    unit_slug: Mapped[str | None] = mapped_column(String(80), index=True)

    def as_dict(self) -> dict[str, Any]:
        """The event as the API lists it."""
        return {
            "id": self.id,
            "at": iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "details": self.details,
            "unit": self.unit_slug,
        }


def new_event(
    action: str, actor: str, subject: str, details: dict[str, Any], unit: str | None
) -> AuditEvent:
    """An event with its texts cut to the columns' sizes."""
    return AuditEvent(
        at=utcnow(), actor=actor[:120], action=action[:20], subject=subject[:300], details=details,
        unit_slug=unit,
    )


class SessionAudit:
    """An AuditSink writing into a caller's session: the event commits or rolls back with it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, action: str, *, actor: str, subject: str, details: dict[str, Any],
        unit: str | None = None,
    ) -> None:
        """Add the event to the session."""
        self.session.add(new_event(action, actor, subject, details, unit))


class HeldAudit:
    """An AuditSink that keeps events until they are written with what they describe."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def record(
        self, action: str, *, actor: str, subject: str, details: dict[str, Any],
        unit: str | None = None,
    ) -> None:
        """Keep the event."""
        self.events.append(
            (action, {"actor": actor, "subject": subject, "details": details, "unit": unit})
        )

    def write_to(self, sink: SessionAudit) -> None:
        """Record the kept events on the sink (an issue's transaction), in order."""
        for action, fields in self.events:
            sink.record(action, **fields)


class DatabaseAudit:
    """An AuditSink writing each event in its own short transaction."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(
        self, action: str, *, actor: str, subject: str, details: dict[str, Any],
        unit: str | None = None,
    ) -> None:
        """Insert the event and commit."""
        with self.database.session() as session:
            session.add(new_event(action, actor, subject, details, unit))


class SqlAudit:
    """The AuditStore on the service's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def search(
        self, query: AuditQuery, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of matching events, newest first, and how many match in all."""
        statement = select(AuditEvent)
        if query.action:
            statement = statement.where(AuditEvent.action == query.action)
        if query.actor:
            statement = statement.where(AuditEvent.actor == query.actor)
        if query.subject:
            statement = statement.where(
                AuditEvent.subject.contains(query.subject, autoescape=True)
            )
        if query.units is not None:
            statement = statement.where(AuditEvent.unit_slug.in_(sorted(query.units)))
        if query.since is not None:
            statement = statement.where(AuditEvent.at >= query.since)
        if query.until is not None:
            statement = statement.where(AuditEvent.at <= query.until)
        with self.database.session() as session:
            total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            page = statement.order_by(AuditEvent.id.desc()).offset(offset).limit(limit)
            return [event.as_dict() for event in session.scalars(page)], int(total)
