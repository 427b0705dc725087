"""Directory tables: departments and the people who work in them.

Enumerated values are plain strings checked in Python (see ``STATUSES`` and friends), not
database enums, so adding a value never needs an ``ALTER TYPE`` on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow

STATUSES = ("active", "leave", "left")
ATTITUDES = ("enthusiast", "neutral", "sceptic")
TRAINING_TIERS = ("power", "occasional", "everyone")

EMAIL_MAX = 320
NAME_MAX = 200
CODE_MAX = 64


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Person(Base):
    """Someone in the organisation's directory; ``email`` is stored stripped and lower-cased."""

    __tablename__ = "person"
    # Headcounts per department read only this index (every dashboard counts them).
    __table_args__ = (
        Index("ix_person_employment", "department_id", "status", "start_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True, nullable=True
    )
    job_title: Mapped[str | None] = mapped_column(String(NAME_MAX), nullable=True)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True, nullable=True
    )
    # Employment status, one of STATUSES; "left" people are kept, never deleted.
    status: Mapped[str] = mapped_column(String(16), default="active")
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    attitude: Mapped[str | None] = mapped_column(String(16), nullable=True)
    training_tier: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
