"""Writes to the budget: add, change and delete cost lines, each checked against
``can_manage_budget`` and audited in the same transaction (a refusal is audited too).

A line names the budget that absorbs it; a budget is created the first time a line names it,
and removed when its last line goes. Giving a department links the budget to it, so that
department's budget owner is shown as the budget's owner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essor.budget.access import can_manage_budget
from essor.budget.models import (
    AMOUNT_MAX,
    CATEGORIES,
    LABEL_MAX,
    NAME_MAX,
    PERIODS,
    USAGE_PERIOD,
    WEEKLY_PERIOD,
    Budget,
    CostLine,
)
from essor.governance.access import Reader
from essor.governance.actions import NotAllowed
from essor.governance.audit import record
from essor.knowledge.models import utcnow
from essor.people.queries import known_department

HOURS_IN_A_WEEK = 168.0


class BudgetError(ValueError):
    """Bad input for a cost line (unknown category, negative amount, missing price...)."""


@dataclass(frozen=True)
class LineInput:
    """What a form or a command gives for one cost line (before validation)."""

    budget: str
    category: str
    label: str
    period: str = "monthly"
    amount: float | None = None
    price_input_per_million: float | None = None
    price_output_per_million: float | None = None
    hours_per_week: float | None = None
    hourly_rate: float | None = None
    department: str | None = None  # a department code whose budget owner owns this budget


def _number(name: str, value: float | None, *, required: bool, top: float = AMOUNT_MAX) -> float:
    if value is None:
        if required:
            raise BudgetError(f"{name} is required")
        return 0.0
    if not math.isfinite(value) or value < 0:
        raise BudgetError(f"{name} must be a number of at least 0")
    if value > top:
        raise BudgetError(f"{name} must be at most {top:,.0f}")
    return float(value)


def _text(name: str, value: str, limit: int) -> str:
    value = " ".join(value.split())
    if not value or len(value) > limit:
        raise BudgetError(f"{name} must have 1 to {limit} characters")
    return value


def validate(line: LineInput) -> dict[str, object]:
    """The columns of a valid line, or BudgetError saying what is wrong."""
    if line.category not in CATEGORIES:
        raise BudgetError(f"category must be one of {', '.join(CATEGORIES)}")
    out: dict[str, object] = {
        "category": line.category,
        "label": _text("label", line.label, LABEL_MAX),
        "amount": 0.0,
        "price_input_per_million": None,
        "price_output_per_million": None,
        "hours_per_week": None,
        "hourly_rate": None,
    }
    if line.category == "llm_usage":
        out["period"] = USAGE_PERIOD
        out["price_input_per_million"] = _number(
            "price per million input tokens", line.price_input_per_million, required=True
        )
        out["price_output_per_million"] = _number(
            "price per million output tokens", line.price_output_per_million, required=True
        )
    elif line.category == "support_hours":
        out["period"] = WEEKLY_PERIOD
        out["hours_per_week"] = _number(
            "hours per week", line.hours_per_week, required=True, top=HOURS_IN_A_WEEK * 100
        )
        out["hourly_rate"] = _number("hourly rate", line.hourly_rate, required=True)
    else:
        if line.period not in PERIODS:
            raise BudgetError(f"period must be one of {', '.join(PERIODS)}")
        out["period"] = line.period
        out["amount"] = _number("amount", line.amount, required=True)
    return out


def _require(actor: Reader, action: str, object_id: str) -> None:
    if not can_manage_budget(actor):
        raise NotAllowed(
            "you may not change the budget",
            actor=actor,
            action=action,
            object_type="cost_line",
            object_id=object_id,
        )


def _budget(session: Session, name: str, department: str | None) -> Budget:
    name = _text("budget", name, NAME_MAX)
    budget = session.scalar(select(Budget).where(func.lower(Budget.name) == name.lower()))
    if budget is None:
        budget = Budget(name=name)
        session.add(budget)
    if department:
        budget.department_id = known_department(session, department, BudgetError).id
    session.flush()
    return budget


def _drop_if_empty(session: Session, budget_id: int) -> None:
    left = session.scalar(select(func.count(CostLine.id)).where(CostLine.budget_id == budget_id))
    if not left:
        budget = session.get(Budget, budget_id)
        if budget is not None:
            session.delete(budget)
            session.flush()


def _detail(line: CostLine, budget: Budget) -> dict[str, object]:
    return {
        "budget": budget.name,
        "category": line.category,
        "label": line.label,
        "period": line.period,
        "amount": line.amount,
        "price_input_per_million": line.price_input_per_million,
        "price_output_per_million": line.price_output_per_million,
        "hours_per_week": line.hours_per_week,
        "hourly_rate": line.hourly_rate,
    }


def add_cost_line(session: Session, line: LineInput, *, actor: Reader) -> CostLine:
    _require(actor, "budget.line.add", line.label[:LABEL_MAX])
    columns = validate(line)
    budget = _budget(session, line.budget, line.department)
    row = CostLine(budget_id=budget.id, **columns)
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "budget.line.add",
        object_type="cost_line",
        object_id=row.id,
        detail=_detail(row, budget),
    )
    return row


def update_cost_line(session: Session, line_id: int, line: LineInput, *, actor: Reader) -> CostLine:
    _require(actor, "budget.line.update", str(line_id))
    row = session.get(CostLine, line_id)
    if row is None:
        raise LookupError(f"no cost line {line_id}")
    columns = validate(line)
    old_budget = session.get(Budget, row.budget_id)
    before = _detail(row, old_budget) if old_budget else {}
    budget = _budget(session, line.budget, line.department)
    for key, value in columns.items():
        setattr(row, key, value)
    previous_budget_id, row.budget_id = row.budget_id, budget.id
    row.updated_at = utcnow()
    session.flush()
    if previous_budget_id != budget.id:
        _drop_if_empty(session, previous_budget_id)
    record(
        session,
        actor,
        "budget.line.update",
        object_type="cost_line",
        object_id=row.id,
        detail={"before": before, "after": _detail(row, budget)},
    )
    return row


def delete_cost_line(session: Session, line_id: int, *, actor: Reader) -> None:
    _require(actor, "budget.line.delete", str(line_id))
    row = session.get(CostLine, line_id)
    if row is None:
        raise LookupError(f"no cost line {line_id}")
    budget = session.get(Budget, row.budget_id)
    detail = _detail(row, budget) if budget else {}
    session.delete(row)
    session.flush()
    _drop_if_empty(session, row.budget_id)
    record(
        session,
        actor,
        "budget.line.delete",
        object_type="cost_line",
        object_id=line_id,
        detail=detail,
    )
