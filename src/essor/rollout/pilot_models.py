"""Pilot tables: who is in a department's pilot cohort (with their attitude), and the pilot
journal the department's playbook is generated from.

Enumerated values are plain strings checked in Python, as elsewhere in the rollout.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow
from essor.people.models import ATTITUDES

__all__ = ["ATTITUDES", "CATEGORIES", "CohortMember", "JournalEntry"]
CATEGORIES = ("onboarding", "training", "problem", "resolution", "resource_wished")

ENTRY_TITLE_MAX = 200
ENTRY_BODY_MAX = 4000


class CohortMember(Base):
    """A person enrolled in one department's pilot cohort, with the attitude they start with.

    ``enrolled_on`` is when their pilot usage starts counting: it defaults to the day of
    enrolment and may be set earlier for a pilot that began before Essor held its cohort.
    """

    __tablename__ = "cohort_member"
    __table_args__ = (UniqueConstraint("department_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    attitude: Mapped[str] = mapped_column(String(16))
    enrolled_on: Mapped[date] = mapped_column(Date)
    # The enrolling person's email at the time, kept if they later leave the directory.
    enrolled_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JournalEntry(Base):
    """One entry of a department's pilot journal. A ``resolution`` names the ``problem`` entry
    of the same department it resolves (``resolves_id``); other categories leave it null."""

    __tablename__ = "journal_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(ENTRY_TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True, nullable=True
    )
    # Name and email at the time of writing, kept if the author later leaves.
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_email: Mapped[str] = mapped_column(String(320), default="")
    resolves_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entry.id", ondelete="SET NULL"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
