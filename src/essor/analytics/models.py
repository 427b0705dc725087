"""The usage event table: one row per question, workflow run or piece of feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow

KINDS = ("question", "workflow_run", "feedback")


class UsageEvent(Base):
    __tablename__ = "usage_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The department at the time of the event: moving someone later does not rewrite history.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True, index=True
    )
    workflow_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    citations: Mapped[int | None] = mapped_column(Integer, nullable=True)
    abstained: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Kept only when ESSOR_STORE_QUESTION_TEXT is true.
    question_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Feedback: the answer or run it is about, and what the person said.
    about_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("usage_event.id", ondelete="CASCADE"), nullable=True, index=True
    )
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    minutes_saved: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_without_ticket: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
