"""UTC timestamps that compare safely whatever the database returns.

SQLite gives back naive datetimes for ``DateTime(timezone=True)`` columns, PostgreSQL aware
ones; everything here is stored in UTC, so a naive value is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
