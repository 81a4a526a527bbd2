"""Moments as the service keeps them: timezone-aware, in UTC, written in ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the UTC offset, or None."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None
