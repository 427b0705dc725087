"""Reads of the budget: cost lines grouped by budget, and the whole budget report (measured
usage, projection, break-even) that the page, the CLI and the executive report show.

``budget_report`` is the one function to call for the budget's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from essor.budget.measure import measure_pilot_usage
from essor.budget.models import Budget, CostLine
from essor.budget.projection import (
    LineCost,
    MeasuredUsage,
    Projection,
    ProjectionInputs,
    project,
)
from essor.people.models import Department, Person
from essor.people.queries import employed_on
from essor.rollout.models import DepartmentRollout, SupportAssignment
from essor.settings import Settings
from essor.workflows.registry import load_registry

# Defaults of the two figures the page and the CLI ask for (they are inputs, not settings):
# a typical enterprise assistant licence per seat per month, and an employee hour fully costed.
DEFAULT_SEAT_PRICE = 25.0
DEFAULT_HOURLY_VALUE = 45.0
DEFAULT_PERIOD_DAYS = 28


@dataclass(frozen=True)
class CostLineView:
    id: int
    budget: str
    category: str
    label: str
    period: str
    amount: float
    price_input_per_million: float | None
    price_output_per_million: float | None
    hours_per_week: float | None
    hourly_rate: float | None
    department: str | None  # the budget's department, when linked
    owner: str | None  # that department's budget owner

    def cost(self) -> LineCost:
        return LineCost(
            category=self.category,
            label=self.label,
            period=self.period,
            amount=self.amount,
            price_input_per_million=self.price_input_per_million,
            price_output_per_million=self.price_output_per_million,
            hours_per_week=self.hours_per_week,
            hourly_rate=self.hourly_rate,
            budget=self.budget,
        )

    def as_dict(self, amortisation_months: int = 12) -> dict[str, object]:
        return {
            "id": self.id,
            "budget": self.budget,
            "category": self.category,
            "label": self.label,
            "period": self.period,
            "amount": self.amount,
            "price_input_per_million": self.price_input_per_million,
            "price_output_per_million": self.price_output_per_million,
            "hours_per_week": self.hours_per_week,
            "hourly_rate": self.hourly_rate,
            "monthly": round(self.cost().monthly(amortisation_months), 2),
            "department": self.department,
            "owner": self.owner,
        }


@dataclass(frozen=True)
class BudgetGroup:
    name: str
    department: str | None
    owner: str | None
    lines: tuple[CostLineView, ...]
    monthly: float  # fixed lines per month, one-off ones spread over the amortisation
    one_off: float

    def as_dict(self, amortisation_months: int = 12) -> dict[str, object]:
        return {
            "name": self.name,
            "department": self.department,
            "owner": self.owner,
            "monthly": round(self.monthly, 2),
            "one_off": round(self.one_off, 2),
            "lines": [line.as_dict(amortisation_months) for line in self.lines],
        }


@dataclass(frozen=True)
class BudgetReport:
    currency: str
    groups: tuple[BudgetGroup, ...]
    measured: MeasuredUsage
    # None when the pilot departments are smaller than the privacy minimum: their usage would
    # describe too few people, so neither it nor anything scaled from it is shown.
    projection: Projection | None
    min_group_size: int
    support_hours_hint: float

    @property
    def withheld(self) -> bool:
        return self.projection is None

    def as_dict(self) -> dict[str, object]:
        months = self.projection.inputs.amortisation_months if self.projection else 12
        return {
            "currency": self.currency,
            "budgets": [g.as_dict(months) for g in self.groups],
            "withheld": self.withheld,
            "min_group_size": self.min_group_size,
            "measured": None if self.withheld else self.measured.as_dict(),
            "pilot_departments": list(self.measured.departments),
            "projection": self.projection.as_dict() if self.projection else None,
            "support_hours_hint": self.support_hours_hint,
        }


def cost_lines(session: Session) -> list[CostLineView]:
    """Every cost line, by budget name then line id."""
    owner = aliased(Person)
    rows = session.execute(
        select(CostLine, Budget.name, Department.code, owner.email)
        .join(Budget, Budget.id == CostLine.budget_id)
        .outerjoin(Department, Department.id == Budget.department_id)
        .outerjoin(DepartmentRollout, DepartmentRollout.department_id == Budget.department_id)
        .outerjoin(owner, owner.id == DepartmentRollout.budget_owner_id)
        .order_by(func.lower(Budget.name), CostLine.id)
    ).all()
    return [
        CostLineView(
            id=line.id,
            budget=name,
            category=line.category,
            label=line.label,
            period=line.period,
            amount=line.amount,
            price_input_per_million=line.price_input_per_million,
            price_output_per_million=line.price_output_per_million,
            hours_per_week=line.hours_per_week,
            hourly_rate=line.hourly_rate,
            department=code,
            owner=email,
        )
        for line, name, code, email in rows
    ]


def cost_line(session: Session, line_id: int) -> CostLineView | None:
    return next((line for line in cost_lines(session) if line.id == line_id), None)


def group_by_budget(
    lines: list[CostLineView], amortisation_months: int = 12
) -> tuple[BudgetGroup, ...]:
    groups: dict[str, list[CostLineView]] = {}
    for line in lines:
        groups.setdefault(line.budget, []).append(line)
    return tuple(
        BudgetGroup(
            name=name,
            department=members[0].department,
            owner=members[0].owner,
            lines=tuple(members),
            monthly=sum(m.cost().monthly(amortisation_months) for m in members),
            one_off=sum(m.cost().one_off for m in members),
        )
        for name, members in groups.items()
    )


def support_hours_hint(session: Session) -> float:
    """Weekly hours of every support owner (rollout support model): a default for a
    support_hours line."""
    total = session.scalar(select(func.sum(SupportAssignment.weekly_hours)))
    return float(total or 0.0)


def full_headcount(session: Session, on: date) -> int:
    """Everyone employed on ``on``, in any department or none."""
    return session.scalar(select(func.count(Person.id)).where(employed_on(on))) or 0


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 28 days, today included."""
    end = today or date.today()
    return end - timedelta(days=DEFAULT_PERIOD_DAYS - 1), end


def budget_report(
    session: Session,
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
    seat_price: float = DEFAULT_SEAT_PRICE,
    hourly_value: float = DEFAULT_HOURLY_VALUE,
    target_depth: float | None = None,
    amortisation_months: int = 12,
) -> BudgetReport:
    """Cost lines by budget, usage measured in the pilot departments over ``start``..``end``
    (default: the last 28 days), and its projection to everyone employed on ``end``.

    Access is the caller's to check (``essor.budget.access.can_see_budget``). The measured
    usage reads the analytics rollups: call ``essor.analytics.rollups.catch_up(settings)``
    before opening the session so they include the latest events.
    """
    if start is None or end is None:
        start, end = default_period(end)
    lines = cost_lines(session)
    workflow_minutes = {d.id: d.minutes_saved for d in load_registry(settings).definitions.values()}
    measured = measure_pilot_usage(session, start=start, end=end, workflow_minutes=workflow_minutes)
    minimum = settings.privacy_min_group_size
    projection = None
    if measured.headcount >= minimum and measured.active_people >= minimum:
        projection = project(
            ProjectionInputs(
                measured=measured,
                full_headcount=full_headcount(session, end),
                lines=tuple(line.cost() for line in lines),
                seat_price=seat_price,
                hourly_value=hourly_value,
                target_depth=target_depth,
                amortisation_months=amortisation_months,
                currency=settings.budget_currency,
            )
        )
    return BudgetReport(
        currency=settings.budget_currency,
        groups=group_by_budget(lines, amortisation_months),
        measured=measured,
        projection=projection,
        min_group_size=minimum,
        support_hours_hint=support_hours_hint(session),
    )
