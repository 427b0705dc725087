"""What the adoption metrics return: results, their status words and the privacy rule's
minimum (the definitions are in docs/metrics.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from essor.analytics.periods import Period
from essor.settings import Settings

TOO_SMALL = "too_small"  # the group has fewer people than the privacy threshold
NO_HEADCOUNT = "no_headcount"  # nobody in the department is employed on the period's last day

GROWING = "growing"
STABLE = "stable"
DECLINING = "declining"
TOO_EARLY = "too_early"
WITHHELD = "withheld"
TREND_THRESHOLD = Fraction(2, 100)
MIN_WEEKS_OF_DATA = 4


class UnknownDepartment(ValueError):
    pass


def min_group_size(settings: Settings) -> int:
    return max(3, settings.privacy_min_group_size)


# -- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeekPoint:
    monday: date
    active: int
    has_data: bool  # the week ends on or after the scope's first value event

    def as_dict(self) -> dict[str, object]:
        return {"week": self.monday.isoformat(), "active": self.active, "has_data": self.has_data}


@dataclass(frozen=True)
class Sustainability:
    """Trend of weekly active people over the last 8 complete ISO weeks before the period's
    end. ``slope`` is people per week; ``relative_slope`` is slope ÷ mean (0.02 = +2 %/week)."""

    status: str  # growing | stable | declining | too_early | withheld
    weeks_of_data: int
    slope: float | None
    relative_slope: float | None
    weeks: tuple[WeekPoint, ...]
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "weeks_of_data": self.weeks_of_data,
            "slope": self.slope,
            "relative_slope": self.relative_slope,
            "weeks": [w.as_dict() for w in self.weeks],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Impact:
    minutes_saved: int
    tickets_avoided: int
    employees_helped: int

    @property
    def hours_saved(self) -> float:
        return self.minutes_saved / 60

    def as_dict(self) -> dict[str, object]:
        return {
            "minutes_saved": self.minutes_saved,
            "hours_saved": round(self.hours_saved, 2),
            "tickets_avoided": self.tickets_avoided,
            "employees_helped": self.employees_helped,
        }


@dataclass(frozen=True)
class Tokens:
    prompt: int
    completion: int

    def as_dict(self) -> dict[str, object]:
        return {"prompt": self.prompt, "completion": self.completion}


@dataclass(frozen=True)
class DepartmentMetrics:
    department_id: int
    code: str
    name: str
    headcount: int
    active: int | None
    depth: float | None
    counts_for_breadth: bool | None
    diversity: int | None
    diversity_workflows: tuple[str, ...] | None
    impact: Impact | None
    tokens: Tokens | None
    sustainability: Sustainability
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "headcount": self.headcount,
            "active": self.active,
            "depth": self.depth,
            "counts_for_breadth": self.counts_for_breadth,
            "diversity": self.diversity,
            "diversity_workflows": (
                list(self.diversity_workflows) if self.diversity_workflows is not None else None
            ),
            "impact": self.impact.as_dict() if self.impact else None,
            "tokens": self.tokens.as_dict() if self.tokens else None,
            "sustainability": self.sustainability.as_dict(),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class WorkflowStats:
    """One workflow in the scope and period. Figures are withheld when 1 to
    ``min_group_size - 1`` people ran it (a handful of people's usage would be readable)."""

    workflow_id: str
    title: str | None  # English title from the registry; None for a workflow no longer there
    status: str | None
    estimate_minutes: int
    runs: int | None
    people: int | None
    abstained: int | None
    helpful: int | None
    unhelpful: int | None
    minutes_saved: int | None
    tickets_avoided: int | None
    counts_for_diversity: bool
    reason: str | None = None

    @property
    def unhelpful_share(self) -> float | None:
        """Unhelpful ÷ feedback saying helpful or not (None without such feedback)."""
        if self.helpful is None or self.unhelpful is None:
            return None
        rated = self.helpful + self.unhelpful
        return self.unhelpful / rated if rated else None

    @property
    def abstention_share(self) -> float | None:
        if not self.runs or self.abstained is None:
            return None
        return self.abstained / self.runs

    def as_dict(self) -> dict[str, object]:
        return {
            "workflow_id": self.workflow_id,
            "title": self.title,
            "status": self.status,
            "estimate_minutes": self.estimate_minutes,
            "runs": self.runs,
            "people": self.people,
            "abstained": self.abstained,
            "helpful": self.helpful,
            "unhelpful": self.unhelpful,
            "unhelpful_share": self.unhelpful_share,
            "abstention_share": self.abstention_share,
            "minutes_saved": self.minutes_saved,
            "tickets_avoided": self.tickets_avoided,
            "counts_for_diversity": self.counts_for_diversity,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class QuestionStats:
    """Questions asked outside workflows."""

    answered: int
    abstained: int
    helpful: int
    unhelpful: int
    minutes_saved: int
    tickets_avoided: int

    def as_dict(self) -> dict[str, object]:
        return {
            "answered": self.answered,
            "abstained": self.abstained,
            "helpful": self.helpful,
            "unhelpful": self.unhelpful,
            "minutes_saved": self.minutes_saved,
            "tickets_avoided": self.tickets_avoided,
        }


@dataclass(frozen=True)
class OrgMetrics:
    """The metrics of the organisation, or of one department (``department`` is its code)."""

    period: Period
    department: str | None
    min_group_size: int
    headcount: int
    active: int | None
    depth: float | None
    breadth: float | None
    breadth_departments: int | None  # departments whose depth reaches the threshold
    departments_in_scope: int  # departments with at least the minimum group size
    diversity: int | None
    diversity_workflows: tuple[str, ...] | None
    impact: Impact | None
    tokens: Tokens | None
    questions: QuestionStats | None
    sustainability: Sustainability
    departments: tuple[DepartmentMetrics, ...]
    workflows: tuple[WorkflowStats, ...]
    rollup_last_event_id: int
    cohorts: dict[str, object] | None = None
    reason: str | None = None
    thresholds: dict[str, object] = field(default_factory=dict)

    def department_named(self, code: str) -> DepartmentMetrics | None:
        return next((d for d in self.departments if d.code.casefold() == code.casefold()), None)

    def workflow(self, workflow_id: str) -> WorkflowStats | None:
        return next((w for w in self.workflows if w.workflow_id == workflow_id), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "period": self.period.as_dict(),
            "department": self.department,
            "min_group_size": self.min_group_size,
            "thresholds": self.thresholds,
            "headcount": self.headcount,
            "active": self.active,
            "depth": self.depth,
            "breadth": self.breadth,
            "breadth_departments": self.breadth_departments,
            "departments_in_scope": self.departments_in_scope,
            "diversity": self.diversity,
            "diversity_workflows": (
                list(self.diversity_workflows) if self.diversity_workflows is not None else None
            ),
            "impact": self.impact.as_dict() if self.impact else None,
            "tokens": self.tokens.as_dict() if self.tokens else None,
            "questions": self.questions.as_dict() if self.questions else None,
            "sustainability": self.sustainability.as_dict(),
            "departments": [d.as_dict() for d in self.departments],
            "workflows": [w.as_dict() for w in self.workflows],
            "cohorts": self.cohorts,
            "rollup_last_event_id": self.rollup_last_event_id,
            "reason": self.reason,
        }
