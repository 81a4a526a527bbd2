"""Moments as the service keeps them: timezone-aware, in UTC, written in ISO 8601."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# Offices date their documents and deadlines in Vietnam time, whatever the server's zone.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def today_in_vietnam() -> date:
    """Today's date in Vietnam."""
    return datetime.now(VIETNAM).date()


def end_of_day(day: date) -> datetime:
    """The last second of a day in Vietnam, in UTC (a key's last day, for example)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=VIETNAM).astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the UTC offset, or None."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def vietnam_iso(moment: datetime) -> str:
    """ISO 8601 to the second with Vietnam's offset, as Decree 30 writes a signing time."""
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")
