"""Adoption metrics read from the rollups, the people directory and the workflow registry.

The definitions are the product guide's, made exact in docs/metrics.md. Every query here reads
rollup tables (analytics/rollups.py), never the raw events (except the pilot cohorts'
comparison, which the rollout module computes for one department's members). Call
``rollups.catch_up(settings)`` before reading so the figures include the latest events.

No access check happens here: pages and commands check who may see which scope before calling.
A group smaller than ``privacy_min_group_size`` (never below 3) shows no figures: they are
``None`` with a ``reason``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from essor.analytics.periods import TREND_WEEKS, Period, complete_weeks, default_period
from essor.analytics.rollup_models import (
    ALL_DEPARTMENTS,
    QUESTIONS,
    UsageDay,
    UsagePersonDay,
    UsageRollupState,
    UsageWeek,
)
from essor.people.models import Department
from essor.people.queries import headcount_by_department
from essor.settings import Settings
from essor.workflows.registry import Registry, load_registry

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


# -- rollup reads --------------------------------------------------------------------------
def _in(name: str) -> Any:
    return bindparam(name, expanding=True)


_ACTIVE = text(
    "SELECT department_id, COUNT(*) FROM usage_person_day "
    "WHERE department_id IN :ids AND day BETWEEN :a AND :b AND COALESCE(prev_day, -1) < :a "
    "GROUP BY department_id"
).bindparams(_in("ids"))
# People active in the period none of whose value events helped: their active days all have
# helped_events = 0. Few people are in that case, so the NOT EXISTS probes stay few.
_NOT_HELPED = text(
    "SELECT c.department_id, COUNT(*) FROM (SELECT DISTINCT department_id, person_id "
    "FROM usage_person_day WHERE department_id IN :ids AND day BETWEEN :a AND :b "
    "AND helped_events = 0) c WHERE NOT EXISTS (SELECT 1 FROM usage_person_day u "
    "WHERE u.department_id = c.department_id AND u.person_id = c.person_id "
    "AND u.day BETWEEN :a AND :b AND u.helped_events > 0) GROUP BY c.department_id"
).bindparams(_in("ids"))
_WORKFLOW_PEOPLE = text(
    "SELECT workflow_id, department_id, COUNT(*) FROM usage_workflow_person_day "
    "WHERE workflow_id IN :wfs AND department_id IN :ids AND day BETWEEN :a AND :b "
    "AND COALESCE(prev_day, -1) < :a GROUP BY workflow_id, department_id"
).bindparams(_in("wfs"), _in("ids"))


def active_people(
    session: Session, period: Period, department_ids: Sequence[int]
) -> dict[int, int]:
    """Distinct people with a value event in the period, per department id (id 0: anywhere in
    the organisation, counting once someone active in two departments)."""
    rows = session.execute(
        _ACTIVE, {"ids": list(department_ids), "a": period.first, "b": period.last}
    )
    found = {int(d): int(n) for d, n in rows}
    return {d: found.get(d, 0) for d in department_ids}


def helped_people(
    session: Session, period: Period, department_ids: Sequence[int], active: dict[int, int]
) -> dict[int, int]:
    """Employees helped: active people with at least one value event not marked unhelpful."""
    rows = session.execute(
        _NOT_HELPED, {"ids": list(department_ids), "a": period.first, "b": period.last}
    )
    not_helped = {int(d): int(n) for d, n in rows}
    return {d: active.get(d, 0) - not_helped.get(d, 0) for d in department_ids}


def workflow_people(
    session: Session, period: Period, workflow_ids: Sequence[str], department_ids: Sequence[int]
) -> dict[tuple[str, int], int]:
    """Distinct people who ran each workflow in the period, per (workflow id, department id)."""
    if not workflow_ids:
        return {}
    rows = session.execute(
        _WORKFLOW_PEOPLE,
        {
            "wfs": list(workflow_ids),
            "ids": list(department_ids),
            "a": period.first,
            "b": period.last,
        },
    )
    return {(str(w), int(d)): int(n) for w, d, n in rows}


def weekly_active_people(
    session: Session, end: date, department_ids: Sequence[int], weeks: int = TREND_WEEKS
) -> dict[int, list[tuple[date, int]]]:
    """Active people per complete ISO week (the last ``weeks`` before ``end``), per department
    id, oldest week first."""
    mondays = complete_weeks(end, weeks)
    rows = session.execute(
        select(UsageWeek.department_id, UsageWeek.week, UsageWeek.active).where(
            UsageWeek.department_id.in_(list(department_ids)),
            UsageWeek.week.between(mondays[0].toordinal(), mondays[-1].toordinal()),
        )
    )
    found = {(int(d), int(w)): int(n) for d, w, n in rows}
    return {d: [(m, found.get((d, m.toordinal()), 0)) for m in mondays] for d in department_ids}


def first_active_day(session: Session, department_id: int, end: date) -> date | None:
    """The scope's first day with a value event, on or before ``end``."""
    day = session.scalar(
        select(func.min(UsagePersonDay.day)).where(
            UsagePersonDay.department_id == department_id, UsagePersonDay.day <= end.toordinal()
        )
    )
    return date.fromordinal(day) if day is not None else None


@dataclass
class _Sums:
    questions: int = 0
    questions_abstained: int = 0
    runs: int = 0
    runs_abstained: int = 0
    runs_estimated: int = 0
    own_minutes: int = 0
    helpful: int = 0
    unhelpful: int = 0
    tickets_avoided: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: _Sums) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def minutes(self, estimate: int) -> int:
        return self.own_minutes + self.runs_estimated * estimate


def _day_sums(session: Session, period: Period) -> dict[tuple[int, str], _Sums]:
    t = UsageDay
    names = list(_Sums.__dataclass_fields__)
    rows = session.execute(
        select(t.department_id, t.workflow_key, *(func.sum(getattr(t, n)) for n in names))
        .where(t.day.between(period.first, period.last))
        .group_by(t.department_id, t.workflow_key)
    )
    out: dict[tuple[int, str], _Sums] = {}
    for department_id, key, *values in rows:
        out[(int(department_id), str(key))] = _Sums(*(int(v or 0) for v in values))
    return out


# -- sustainability ------------------------------------------------------------------------
def sustainability(points: Sequence[tuple[date, int]], first_day: date | None) -> Sustainability:
    """The trend of weekly active people (``points``: the last 8 complete weeks, oldest first).

    Weeks of data are the weeks among them that end on or after the scope's first value event;
    under 4 it is too early. Otherwise the least-squares slope over those weeks (x = 0, 1, ...)
    is divided by their mean: growing from +2 %/week, declining from −2 %/week, else stable.
    Computed in exact fractions, so a trend of exactly 2 % is growing.
    """
    weeks = tuple(
        WeekPoint(m, n, first_day is not None and m + timedelta(days=6) >= first_day)
        for m, n in points
    )
    with_data = [w.active for w in weeks if w.has_data]
    if len(with_data) < MIN_WEEKS_OF_DATA:
        return Sustainability(TOO_EARLY, len(with_data), None, None, weeks)
    n = len(with_data)
    mean_x = Fraction(n - 1, 2)
    mean_y = Fraction(sum(with_data), n)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(with_data))
    variance = sum((x - mean_x) ** 2 for x in range(n))
    slope = Fraction(covariance) / Fraction(variance)
    if mean_y == 0:
        return Sustainability(STABLE, n, 0.0, 0.0, weeks)
    relative = slope / mean_y
    if relative >= TREND_THRESHOLD:
        status = GROWING
    elif relative <= -TREND_THRESHOLD:
        status = DECLINING
    else:
        status = STABLE
    return Sustainability(status, n, float(slope), float(relative), weeks)


def _withheld_trend(reason: str) -> Sustainability:
    return Sustainability(WITHHELD, 0, None, None, (), reason)


# -- the metrics ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Dept:
    id: int
    code: str
    name: str
    headcount: int


def _departments(session: Session, on: date) -> tuple[list[_Dept], int]:
    counts = headcount_by_department(session, on)
    rows = session.execute(select(Department.id, Department.code, Department.name))
    departments = sorted(
        (_Dept(i, c, n, counts.get(c, 0)) for i, c, n in rows), key=lambda d: d.code
    )
    return departments, sum(counts.values())


_AT_LEAST = text(
    "SELECT COUNT(*) FROM (SELECT 1 FROM usage_workflow_person_day WHERE workflow_id = :wf "
    "AND department_id = :d AND day BETWEEN :a AND :b AND COALESCE(prev_day, -1) < :a "
    "LIMIT :n) AS enough"
)


def _diversity(
    sums: dict[str, _Sums],
    people: Callable[[str], int],
    registry: Registry,
    settings: Settings,
) -> tuple[str, ...]:
    """Production workflows with enough runs (from the sums) by enough people (``people``
    answers at least up to ``diversity_min_people``)."""
    out = []
    for workflow_id, s in sums.items():
        definition = registry.get(workflow_id)
        if definition is None or definition.status != "production":
            continue
        if s.runs >= settings.diversity_min_runs and (
            people(workflow_id) >= settings.diversity_min_people
        ):
            out.append(workflow_id)
    return tuple(sorted(out))


def _people_up_to(
    session: Session, period: Period, department_id: int, n: int
) -> Callable[[str], int]:
    """Distinct people who ran a workflow in the period, counted only up to ``n``: a
    department's diversity needs no more, and the count stops after ``n`` index entries."""

    def count(workflow_id: str) -> int:
        params = {"wf": workflow_id, "d": department_id, "a": period.first, "b": period.last}
        return int(session.scalar(_AT_LEAST, {**params, "n": n}) or 0)

    return count


def _scope_sums(
    day_sums: dict[tuple[int, str], _Sums], department_id: int | None
) -> dict[str, _Sums]:
    """Sums per workflow key, for one department or (None) the whole organisation."""
    out: dict[str, _Sums] = {}
    for (d, key), s in day_sums.items():
        if department_id is None or d == department_id:
            out.setdefault(key, _Sums()).add(s)
    return out


def _impact(sums: dict[str, _Sums], registry: Registry, helped: int) -> Impact:
    minutes = tickets = 0
    for key, s in sums.items():
        definition = registry.get(key) if key != QUESTIONS else None
        minutes += s.minutes(definition.minutes_saved if definition else 0)
        tickets += s.tickets_avoided
    return Impact(minutes, tickets, helped)


def _tokens(sums: Iterable[_Sums]) -> Tokens:
    totals = list(sums)
    return Tokens(sum(s.prompt_tokens for s in totals), sum(s.completion_tokens for s in totals))


def _workflow_rows(
    sums: dict[str, _Sums],
    people: dict[str, int],
    registry: Registry,
    diverse: Sequence[str],
    min_size: int,
) -> tuple[WorkflowStats, ...]:
    ids = sorted({*registry.definitions, *(k for k in sums if k != QUESTIONS)})
    rows = []
    for workflow_id in ids:
        definition = registry.get(workflow_id)
        estimate = definition.minutes_saved if definition else 0
        s = sums.get(workflow_id, _Sums())
        n = people.get(workflow_id, 0)
        common: dict[str, Any] = {
            "workflow_id": workflow_id,
            "title": definition.title.en if definition else None,
            "status": definition.status if definition else None,
            "estimate_minutes": estimate,
            "counts_for_diversity": workflow_id in diverse,
        }
        if 0 < n < min_size:
            rows.append(
                WorkflowStats(
                    **common,
                    runs=None,
                    people=None,
                    abstained=None,
                    helpful=None,
                    unhelpful=None,
                    minutes_saved=None,
                    tickets_avoided=None,
                    reason=TOO_SMALL,
                )
            )
            continue
        rows.append(
            WorkflowStats(
                **common,
                runs=s.runs,
                people=n,
                abstained=s.runs_abstained,
                helpful=s.helpful,
                unhelpful=s.unhelpful,
                minutes_saved=s.minutes(estimate),
                tickets_avoided=s.tickets_avoided,
            )
        )
    return tuple(rows)


def _questions(sums: dict[str, _Sums]) -> QuestionStats:
    s = sums.get(QUESTIONS, _Sums())
    return QuestionStats(
        s.questions,
        s.questions_abstained,
        s.helpful,
        s.unhelpful,
        s.own_minutes,
        s.tickets_avoided,
    )


def _ratio(active: int, headcount: int) -> float | None:
    return active / headcount if headcount else None


def rollup_cursor(session: Session) -> int:
    cursor = session.scalar(select(UsageRollupState.last_event_id).where(UsageRollupState.id == 1))
    return int(cursor or 0)


def organisation_metrics(
    session: Session,
    settings: Settings,
    *,
    period: Period | None = None,
    department: str | None = None,
    registry: Registry | None = None,
    with_cohorts: bool = True,
) -> OrgMetrics:
    """Every adoption metric for the period (default: the last 28 days), for the whole
    organisation or for the department with code ``department`` (UnknownDepartment if none)."""
    period = period or default_period()
    registry = registry or load_registry(settings)
    min_size = min_group_size(settings)
    departments, org_headcount = _departments(session, period.end)
    if department is not None:
        wanted = department.strip().casefold()
        chosen = [d for d in departments if d.code.casefold() == wanted]
        if not chosen:
            raise UnknownDepartment(f"unknown department: {department}")
        departments = chosen
        scope_code: str | None = chosen[0].code
        scope_id = chosen[0].id
        headcount = chosen[0].headcount
    else:
        scope_code = None
        scope_id = ALL_DEPARTMENTS
        headcount = org_headcount
    ids = sorted({scope_id, *(d.id for d in departments)})
    active = active_people(session, period, ids)
    helped = helped_people(session, period, ids, active)
    day_sums = _day_sums(session, period)
    workflow_ids = sorted({*registry.definitions, *(k for _, k in day_sums if k != QUESTIONS)})
    # Exact people per workflow for the scope only; departments' diversity counts up to the
    # threshold (see _people_up_to), which spares scanning every department's runs.
    people = workflow_people(session, period, workflow_ids, [scope_id])
    weekly = weekly_active_people(session, period.end, ids)

    def people_of(department_id: int) -> dict[str, int]:
        return {w: n for (w, d), n in people.items() if d == department_id}

    def trend(department_id: int) -> Sustainability:
        return sustainability(
            weekly[department_id], first_active_day(session, department_id, period.end)
        )

    rows = []
    in_scope = reaching = 0
    for d in departments:
        depth = _ratio(active[d.id], d.headcount)
        reaches = depth is not None and depth >= settings.breadth_threshold
        # A department too small to show figures stays out of breadth too: counting it would
        # tell whether its hidden depth reached the threshold.
        if d.headcount >= min_size:
            in_scope += 1
            reaching += int(reaches)
        if d.headcount == 0 or d.headcount < min_size:
            reason = NO_HEADCOUNT if d.headcount == 0 else TOO_SMALL
            rows.append(
                DepartmentMetrics(
                    d.id,
                    d.code,
                    d.name,
                    d.headcount,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    _withheld_trend(reason),
                    reason,
                )
            )
            continue
        sums = _scope_sums(day_sums, d.id)
        enough = _people_up_to(session, period, d.id, settings.diversity_min_people)
        diverse = _diversity(sums, enough, registry, settings)
        rows.append(
            DepartmentMetrics(
                d.id,
                d.code,
                d.name,
                d.headcount,
                active[d.id],
                depth,
                reaches,
                len(diverse),
                diverse,
                _impact(sums, registry, helped[d.id]),
                _tokens(sums.values()),
                trend(d.id),
            )
        )
    thresholds: dict[str, object] = {
        "breadth": settings.breadth_threshold,
        "diversity_min_runs": settings.diversity_min_runs,
        "diversity_min_people": settings.diversity_min_people,
        "trend_per_week": float(TREND_THRESHOLD),
        "min_weeks_of_data": MIN_WEEKS_OF_DATA,
    }
    breadth = reaching / in_scope if in_scope else None
    cursor = rollup_cursor(session)
    if headcount < min_size:
        reason = NO_HEADCOUNT if headcount == 0 else TOO_SMALL
        return OrgMetrics(
            period,
            scope_code,
            min_size,
            headcount,
            None,
            None,
            None,
            None,
            in_scope,
            None,
            None,
            None,
            None,
            None,
            _withheld_trend(reason),
            tuple(rows),
            (),
            cursor,
            None,
            reason,
            thresholds,
        )
    scope_sums = _scope_sums(day_sums, None if department is None else scope_id)
    scope_people = people_of(scope_id)
    diverse = _diversity(
        scope_sums, lambda workflow_id: scope_people.get(workflow_id, 0), registry, settings
    )
    cohorts = None
    if department is not None and with_cohorts:
        cohorts = _cohorts(session, settings, scope_id, period)
    return OrgMetrics(
        period=period,
        department=scope_code,
        min_group_size=min_size,
        headcount=headcount,
        active=active[scope_id],
        depth=_ratio(active[scope_id], headcount),
        breadth=breadth,
        breadth_departments=reaching,
        departments_in_scope=in_scope,
        diversity=len(diverse),
        diversity_workflows=diverse,
        impact=_impact(scope_sums, registry, helped[scope_id]),
        tokens=_tokens(scope_sums.values()),
        questions=_questions(scope_sums),
        sustainability=trend(scope_id),
        departments=tuple(rows),
        workflows=_workflow_rows(scope_sums, scope_people, registry, diverse, min_size),
        rollup_last_event_id=cursor,
        cohorts=cohorts,
        thresholds=thresholds,
    )


def _cohorts(
    session: Session, settings: Settings, department_id: int, period: Period
) -> dict[str, object] | None:
    """The pilot cohort's comparison by attitude (rollout.cohorts), None without a cohort."""
    from essor.rollout.cohorts import cohort_comparison

    comparison = cohort_comparison(
        session, department_id, period_start=period.start, period_end=period.end, settings=settings
    )
    if comparison.total.members == 0:
        return None
    return comparison.as_dict()


def department_metrics(
    session: Session, settings: Settings, code: str, *, period: Period | None = None
) -> OrgMetrics:
    return organisation_metrics(session, settings, period=period, department=code)


def workflow_stats(
    session: Session,
    settings: Settings,
    *,
    period: Period | None = None,
    department: str | None = None,
) -> tuple[WorkflowStats, ...]:
    """Every workflow's figures in the period (the organisation's, or one department's)."""
    return organisation_metrics(
        session, settings, period=period, department=department, with_cohorts=False
    ).workflows


# -- one workflow over time ----------------------------------------------------------------
@dataclass(frozen=True)
class WorkflowWeek:
    """One complete ISO week of a workflow; figures are None (``reason``) when 1 to
    ``min_group_size - 1`` people ran it that week."""

    monday: date
    runs: int | None
    people: int | None
    abstained: int | None
    helpful: int | None
    unhelpful: int | None
    minutes_saved: int | None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "week": self.monday.isoformat(),
            "runs": self.runs,
            "people": self.people,
            "abstained": self.abstained,
            "helpful": self.helpful,
            "unhelpful": self.unhelpful,
            "minutes_saved": self.minutes_saved,
            "reason": self.reason,
        }


_WORKFLOW_WEEKLY_PEOPLE = text(
    "SELECT day - ((day - 1) % 7) AS monday, COUNT(*) FROM usage_workflow_person_day "
    "WHERE workflow_id = :wf AND department_id = :d AND day BETWEEN :a AND :b "
    "AND COALESCE(prev_day, -1) < day - ((day - 1) % 7) GROUP BY day - ((day - 1) % 7)"
)


def workflow_weeks(
    session: Session,
    settings: Settings,
    workflow_id: str,
    *,
    end: date | None = None,
    weeks: int = TREND_WEEKS,
    department_id: int = ALL_DEPARTMENTS,
    registry: Registry | None = None,
) -> list[WorkflowWeek]:
    """A workflow's runs, people, feedback and minutes saved per complete ISO week (the last
    ``weeks`` on or before ``end``, default today), oldest first; ``department_id`` 0 is the
    whole organisation."""
    registry = registry or load_registry(settings)
    definition = registry.get(workflow_id)
    estimate = definition.minutes_saved if definition else 0
    mondays = complete_weeks(end or date.today(), weeks)
    first, last = mondays[0].toordinal(), mondays[-1].toordinal() + 6
    people = {
        int(m): int(n)
        for m, n in session.execute(
            _WORKFLOW_WEEKLY_PEOPLE, {"wf": workflow_id, "d": department_id, "a": first, "b": last}
        )
    }
    t = UsageDay
    query = select(
        t.day,
        func.sum(t.runs),
        func.sum(t.runs_abstained),
        func.sum(t.helpful),
        func.sum(t.unhelpful),
        func.sum(t.own_minutes),
        func.sum(t.runs_estimated),
    ).where(t.workflow_key == workflow_id, t.day.between(first, last))
    if department_id != ALL_DEPARTMENTS:
        query = query.where(t.department_id == department_id)
    sums: dict[int, list[int]] = {}
    for day, *values in session.execute(query.group_by(t.day)):
        week = sums.setdefault(day - (day - 1) % 7, [0] * 6)
        for i, v in enumerate(values):
            week[i] += int(v or 0)
    min_size = min_group_size(settings)
    out = []
    for monday in mondays:
        n = people.get(monday.toordinal(), 0)
        runs, abstained, helpful, unhelpful, own, estimated = sums.get(monday.toordinal(), [0] * 6)
        if 0 < n < min_size:
            out.append(WorkflowWeek(monday, None, None, None, None, None, None, TOO_SMALL))
            continue
        out.append(
            WorkflowWeek(monday, runs, n, abstained, helpful, unhelpful, own + estimated * estimate)
        )
    return out
