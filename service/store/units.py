"""Unit profiles: the issuing office's fixed details that prefill every document it makes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.store.base import Base, UTCDateTime, utcnow

ISSUER_FIELDS = ("parent_agency", "agency", "agency_short", "agency_code", "unit_code", "place")
SIGNER_FIELDS = ("collective", "mode", "head_title", "title", "name")


class Unit(Base):
    """One office (UBND xã Y Tịch): its issuer block, usual signer and usual recipients."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    parent_agency: Mapped[str | None] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200))
    agency_short: Mapped[str | None] = mapped_column(String(200))
    agency_code: Mapped[str] = mapped_column(String(30))
    unit_code: Mapped[str | None] = mapped_column(String(30))
    place: Mapped[str] = mapped_column(String(100))
    collective: Mapped[str | None] = mapped_column(String(200))
    mode: Mapped[str | None] = mapped_column(String(10))
    head_title: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100), default="")
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    archive: Mapped[str] = mapped_column(String(60), default="VT")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )

    def issuer(self) -> dict[str, Any]:
        """The document's `issuer` part."""
        return {name: getattr(self, name) for name in ISSUER_FIELDS}

    def signer(self) -> dict[str, Any]:
        """The document's `signer` part."""
        return {name: getattr(self, name) for name in SIGNER_FIELDS}

    def prefill(self) -> dict[str, Any]:
        """The document fields this profile fills: issuer, signer, recipients, archive."""
        return {
            "issuer": self.issuer(),
            "signer": self.signer(),
            "recipients": list(self.recipients or []),
            "archive": self.archive,
        }


def list_units(session: Session) -> list[Unit]:
    """Every unit, by agency name."""
    return list(session.scalars(select(Unit).order_by(Unit.agency)))


def get_unit(session: Session, slug: str) -> Unit | None:
    """The unit with this slug, or None."""
    return session.scalar(select(Unit).where(Unit.slug == slug))


def apply_profile(unit: Unit, slug: str, profile: dict[str, Any]) -> Unit:
    """Set a unit's slug and fields from a prefill-shaped mapping (issuer, signer, …)."""
    unit.slug = slug
    for name in ISSUER_FIELDS:
        setattr(unit, name, profile["issuer"].get(name))
    for name in SIGNER_FIELDS:
        setattr(unit, name, profile["signer"].get(name))
    unit.name = unit.name or ""  # the column is NOT NULL; no name means a blank signature line
    unit.recipients = list(profile.get("recipients") or [])
    unit.archive = profile.get("archive") or "VT"
    return unit


def save_unit(
    session: Session, slug: str, profile: dict[str, Any], old_slug: str | None = None
) -> Unit:
    """Create the unit (old_slug None) or update the one named old_slug; return it."""
    unit = get_unit(session, old_slug) if old_slug else None
    if unit is None:
        unit = Unit()
        session.add(unit)
    apply_profile(unit, slug, profile)
    session.flush()
    return unit


def delete_unit(session: Session, slug: str) -> bool:
    """Delete the unit with this slug; False when there is none."""
    unit = get_unit(session, slug)
    if unit is None:
        return False
    session.delete(unit)
    return True
