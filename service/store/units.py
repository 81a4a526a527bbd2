"""Unit profiles in the database: the issuer and signer parts kept as the documents hold them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from service.core.clock import utcnow
from service.store.base import Base, UTCDateTime
from service.store.database import Database
from service.usecases.ports import UnitProfile


class Unit(Base):
    """One office (UBND xã Y Tịch): its issuer part, usual signer and usual recipients."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # The agency again, outside the JSON: units are listed by it.
    agency: Mapped[str] = mapped_column(String(200))
    # Validated with the shared `issuer` and `signer` parts of forms/_shared.yaml.
    issuer: Mapped[dict[str, Any]] = mapped_column(JSON)
    signer: Mapped[dict[str, Any]] = mapped_column(JSON)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    archive: Mapped[str] = mapped_column(String(60), default="VT")
    council: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    province: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )

    def profile(self) -> UnitProfile:
        """The unit as the use cases see it."""
        return UnitProfile(
            self.slug, dict(self.issuer), dict(self.signer), list(self.recipients or []),
            self.archive, dict(self.council) if self.council else None, self.province,
        )


class SqlUnits:
    """The UnitStore on the service's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def list(self) -> list[UnitProfile]:
        """Every unit, by agency name."""
        with self.database.session() as session:
            return [u.profile() for u in session.scalars(select(Unit).order_by(Unit.agency))]

    def get(self, slug: str) -> UnitProfile | None:
        """The unit with this slug, or None."""
        with self.database.session() as session:
            unit = session.scalar(select(Unit).where(Unit.slug == slug))
            return unit.profile() if unit is not None else None

    def save(self, profile: UnitProfile, old_slug: str | None = None) -> None:
        """Create the unit (old_slug None) or replace the one named old_slug."""
        with self.database.session() as session:
            unit = None
            if old_slug:
                unit = session.scalar(select(Unit).where(Unit.slug == old_slug))
            if unit is None:
                unit = Unit()
                session.add(unit)
            unit.slug = profile.slug
            unit.agency = profile.issuer["agency"]
            unit.issuer = dict(profile.issuer)
            unit.signer = dict(profile.signer)
            unit.recipients = list(profile.recipients)
            unit.archive = profile.archive or "VT"
            unit.council = dict(profile.council) if profile.council else None
            unit.province = profile.province

    def delete(self, slug: str) -> bool:
        """Delete the unit; False when there is none."""
        with self.database.session() as session:
            unit = session.scalar(select(Unit).where(Unit.slug == slug))
            if unit is None:
                return False
            session.delete(unit)
            return True
