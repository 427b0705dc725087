"""Rollup tables kept up to date from ``usage_event`` (see analytics/rollups.py).

Days are stored as proleptic ordinals (``date.toordinal()``): integer arithmetic for weeks and
gaps works the same on SQLite and PostgreSQL, and comparisons stay cheap.

Two kinds of table:

- ``usage_day`` holds additive sums per day, department and workflow: any period's totals are
  sums of its days.
- ``usage_person_day`` and ``usage_workflow_person_day`` hold one row per person and active
  day (per department, per workflow). Distinct people cannot be summed across days, so each row
  carries ``prev_day``, the person's previous active day under the same key. A person is active
  in a period exactly once with ``day`` in the period and ``prev_day`` before its start: counting
  those rows counts distinct people without a DISTINCT (a range scan, no sort).
- ``usage_person_link`` and ``usage_workflow_link`` count those rows per day and ``prev_day``
  (-1: none). A period's distinct people are the sum of ``people`` over its days where
  ``prev_day`` falls before its start: the same count, read from a few rows per day instead of
  one per active person. They are recounted from the person-day rows for the days a batch
  touches.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow

# ``department_id`` values that are not departments: rows summed over every department (for
# distinct people across the organisation) and events of people without a department.
ALL_DEPARTMENTS = 0
NO_DEPARTMENT = -1
# ``workflow_key`` of questions asked outside a workflow.
QUESTIONS = ""


class UsageDay(Base):
    __tablename__ = "usage_day"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    questions: Mapped[int] = mapped_column(Integer, default=0)  # answered (not abstained)
    questions_abstained: Mapped[int] = mapped_column(Integer, default=0)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    runs_abstained: Mapped[int] = mapped_column(Integer, default=0)
    # Runs without the person's own figure: they are worth the workflow's current estimate.
    runs_estimated: Mapped[int] = mapped_column(Integer, default=0)
    own_minutes: Mapped[int] = mapped_column(Integer, default=0)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    unhelpful: Mapped[int] = mapped_column(Integer, default=0)
    tickets_avoided: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)


class UsagePersonDay(Base):
    __tablename__ = "usage_person_day"
    __table_args__ = (
        Index("ix_usage_person_day_window", "department_id", "day", "prev_day", "helped_events"),
        # Active days none of whose value events helped: few rows, read by "employees helped".
        Index(
            "ix_usage_person_day_unhelped",
            "department_id",
            "day",
            "person_id",
            sqlite_where=text("helped_events = 0"),
            postgresql_where=text("helped_events = 0"),
        ),
    )

    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[int] = mapped_column(Integer)  # the ISO week's Monday, as an ordinal
    prev_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value_events: Mapped[int] = mapped_column(Integer, default=0)
    # Value events not marked unhelpful.
    helped_events: Mapped[int] = mapped_column(Integer, default=0)


class UsageWeek(Base):
    """Distinct active people per ISO week and department (0: the whole organisation),
    recomputed from ``usage_person_day`` for the weeks each batch touches."""

    __tablename__ = "usage_week"

    week: Mapped[int] = mapped_column(Integer, primary_key=True)  # the Monday's ordinal
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[int] = mapped_column(Integer, default=0)


class UsageWorkflowPersonDay(Base):
    __tablename__ = "usage_workflow_person_day"
    __table_args__ = (
        Index(
            "ix_usage_workflow_person_day_window", "workflow_id", "department_id", "day", "prev_day"
        ),
    )

    workflow_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    prev_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)


# ``prev_day`` of a person's first active day under a key, in the link tables (a primary key
# column cannot be NULL on PostgreSQL).
NO_PREVIOUS_DAY = -1


class UsagePersonLink(Base):
    """Person-day rows per department, day and previous active day (see the module's doc)."""

    __tablename__ = "usage_person_link"
    # The rows are read by a range on the primary key: stored in its order on SQLite, the
    # counts come without a second lookup.
    __table_args__ = ({"sqlite_with_rowid": False},)

    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    prev_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    people: Mapped[int] = mapped_column(Integer, default=0)


class UsageWorkflowLink(Base):
    """Workflow-person-day rows per workflow, department, day and previous day."""

    __tablename__ = "usage_workflow_link"
    __table_args__ = ({"sqlite_with_rowid": False},)

    workflow_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    prev_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    people: Mapped[int] = mapped_column(Integer, default=0)


class UsageRollupState(Base):
    """One row (id 1): the last usage event applied to the rollups."""

    __tablename__ = "usage_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    events_applied: Mapped[int] = mapped_column(Integer, default=0)
    # The latest day with a value event applied: an event dated before it arrived late.
    max_day: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
