"""Training tables: tracks by tier and their resources, who marked what done, and tips shown
in context with their dismissals.

Each person's tier is the ``training_tier`` of the directory (``person.training_tier``, set by
the people import or on the training cockpit); champions are always ``power``. Enumerated
values are plain strings checked in Python, as elsewhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow

RESOURCE_KINDS = ("guide", "recording", "example")

TITLE_MAX = 200
TEXT_MAX = 20_000
TIP_MAX = 600
TARGET_MAX = 160
URL_MAX = 2000


class TrainingTrack(Base):
    """An ordered list of resources for one tier (power, occasional or everyone)."""

    __tablename__ = "training_track"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(16), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    title_fr: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingResource(Base):
    """A guide, a recording (an http(s) link) or an example; its body is Markdown."""

    __tablename__ = "training_resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(
        ForeignKey("training_track.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16), default="guide")
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    title_fr: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_fr: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(URL_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingCompletion(Base):
    """One person marked one resource done."""

    __tablename__ = "training_completion"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("training_resource.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Tip(Base):
    """A short hint shown on a page (``ask``, ``search``...) or a workflow (``workflow:<id>``)
    to one tier or (tier null) everyone. ``displays`` counts page views that showed it."""

    __tablename__ = "tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(TARGET_MAX), index=True)
    tier: Mapped[str | None] = mapped_column(String(16), nullable=True)
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_fr: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    displays: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TipDismissal(Base):
    """A person dismissed a tip: it is never shown to them again."""

    __tablename__ = "tip_dismissal"

    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
