"""Budget tables: named budgets that absorb costs, and the cost lines assigned to them.

Categories and periods are plain strings checked in Python, as elsewhere, so adding one never
needs an ``ALTER TYPE`` on PostgreSQL. Amounts are floats in the currency of the
``budget_currency`` setting: they are planning estimates, not accounting entries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow

CATEGORIES = ("platform_hosting", "llm_usage", "support_hours", "training", "other")
# How a line's amount recurs. Language-model lines are priced per token and support lines per
# hour instead; their period is "usage" and "weekly" respectively (set by the actions).
PERIODS = ("monthly", "one_off")
USAGE_PERIOD = "usage"
WEEKLY_PERIOD = "weekly"

NAME_MAX = 200
LABEL_MAX = 200
# A sanity bound on every amount and price: a typo of ten digits is refused, not projected.
AMOUNT_MAX = 1_000_000_000.0


class Budget(Base):
    """A budget that absorbs costs ("IT run budget", "HR department budget"). Linked to a
    department, its owner is that department's budget owner (``DepartmentRollout``)."""

    __tablename__ = "budget"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CostLine(Base):
    """One cost: a monthly or one-off amount, a token price (llm_usage), or weekly support
    hours at an hourly rate (support_hours)."""

    __tablename__ = "cost_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="RESTRICT"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    period: Mapped[str] = mapped_column(String(16))
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    price_input_per_million: Mapped[float | None] = mapped_column(Float, nullable=True)
    price_output_per_million: Mapped[float | None] = mapped_column(Float, nullable=True)
    hours_per_week: Mapped[float | None] = mapped_column(Float, nullable=True)
    hourly_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
