"""Rollout tables: waves, each department's place in the rollout, its checklist and support.

Enumerated values are plain strings checked in Python (``STAGES`` and friends), as in the
directory, so adding one never needs an ``ALTER TYPE`` on PostgreSQL. Computed checklist items
(champions, use cases, support) are derived when read and never stored as done or open.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow

STAGES = ("planned", "pilot", "rolling_out", "adopted")
ITEM_STATUSES = ("open", "done", "not_applicable")
SUPPORT_AREAS = ("technical", "adoption", "content", "governance")

TITLE_MAX = 200
KEY_MAX = 64
URL_MAX = 2000


class RolloutWave(Base):
    """A group of departments rolled out together, run as a mini-pilot with its own goals."""

    __tablename__ = "rollout_wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TITLE_MAX), unique=True)
    goals: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DepartmentRollout(Base):
    """One department's place in the rollout; created on first use with stage "planned"."""

    __tablename__ = "department_rollout"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), unique=True
    )
    stage: Mapped[str] = mapped_column(String(16), default="planned")
    wave_id: Mapped[int | None] = mapped_column(
        ForeignKey("rollout_wave.id", ondelete="SET NULL"), index=True, nullable=True
    )
    sponsor_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), nullable=True
    )
    budget_owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), nullable=True
    )
    target_pilot: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_rollout: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_adopted: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StageChange(Base):
    """A department moved from one stage to the next: who, when, why, and what was still open."""

    __tablename__ = "stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The email at the time, kept even if the person later leaves the directory.
    actor_email: Mapped[str] = mapped_column(String(320), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # JSON list of the checklist keys still open when the move was made.
    open_items: Mapped[str] = mapped_column(Text, default="[]")


class ReadinessItem(Base):
    """A checklist item's stored part: status, owner and evidence.

    Default items are identified by their ``key`` and get their title from the code (so it can
    be translated); items added by an administrator carry their own ``title`` and a key made
    from it. A row for a computed item holds only its owner and evidence.
    """

    __tablename__ = "readiness_item"
    __table_args__ = (UniqueConstraint("department_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), nullable=True
    )
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str] = mapped_column(String(URL_MAX), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SupportAssignment(Base):
    """The owner of one support area, for one department or (department null) everyone."""

    __tablename__ = "support_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True, nullable=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    weekly_hours: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
