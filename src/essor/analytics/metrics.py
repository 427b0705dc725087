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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from essor.analytics.metric_results import (
    DECLINING,
    GROWING,
    MIN_WEEKS_OF_DATA,
    NO_HEADCOUNT,
    STABLE,
    TOO_EARLY,
    TOO_SMALL,
    TREND_THRESHOLD,
    WITHHELD,
    DepartmentMetrics,
    Impact,
    OrgMetrics,
    QuestionStats,
    Sustainability,
    Tokens,
    UnknownDepartment,
    WeekPoint,
    WorkflowStats,
    min_group_size,
)
from essor.analytics.periods import TREND_WEEKS, Period, complete_weeks, default_period
from essor.analytics.rollup_models import (
    ALL_DEPARTMENTS,
    QUESTIONS,
    UsageDay,
)
from essor.analytics.rollup_reads import (
    Sums,
    active_people,
    first_active_days,
    helped_people,
    read_day_sums,
    rollup_cursor,
    weekly_active_people,
    workflow_people,
)
from essor.analytics.trend import sustainability, withheld_trend
from essor.people.models import Department
from essor.people.queries import headcount_by_department
from essor.settings import Settings
from essor.workflows.registry import Registry, load_registry


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


def _diversity(
    sums: dict[str, Sums],
    people: dict[str, int],
    registry: Registry,
    settings: Settings,
) -> tuple[str, ...]:
    """Production workflows with enough runs (from the sums) by enough people."""
    out = []
    for workflow_id, s in sums.items():
        definition = registry.get(workflow_id)
        if definition is None or definition.status != "production":
            continue
        if s.runs >= settings.diversity_min_runs and (
            people.get(workflow_id, 0) >= settings.diversity_min_people
        ):
            out.append(workflow_id)
    return tuple(sorted(out))


def _scope_sums(
    day_sums: dict[tuple[int, str], Sums], department_id: int | None
) -> dict[str, Sums]:
    """Sums per workflow key, for one department or (None) the whole organisation."""
    out: dict[str, Sums] = {}
    for (d, key), s in day_sums.items():
        if department_id is None or d == department_id:
            out.setdefault(key, Sums()).add(s)
    return out


def _impact(sums: dict[str, Sums], registry: Registry, helped: int) -> Impact:
    minutes = tickets = 0
    for key, s in sums.items():
        definition = registry.get(key) if key != QUESTIONS else None
        minutes += s.minutes(definition.minutes_saved if definition else 0)
        tickets += s.tickets_avoided
    return Impact(minutes, tickets, helped)


def _tokens(sums: Iterable[Sums]) -> Tokens:
    totals = list(sums)
    return Tokens(sum(s.prompt_tokens for s in totals), sum(s.completion_tokens for s in totals))


def _workflow_rows(
    sums: dict[str, Sums],
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
        s = sums.get(workflow_id, Sums())
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


def _questions(sums: dict[str, Sums]) -> QuestionStats:
    s = sums.get(QUESTIONS, Sums())
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
    day_sums = read_day_sums(session, period)
    workflow_ids = sorted({*registry.definitions, *(k for _, k in day_sums if k != QUESTIONS)})
    people = workflow_people(session, period, workflow_ids, ids)
    weekly = weekly_active_people(session, period.end, ids)
    first_days = first_active_days(session, ids, period.end)

    people_of: dict[int, dict[str, int]] = {}
    for (workflow_id, department_id), n in people.items():
        people_of.setdefault(department_id, {})[workflow_id] = n

    def trend(department_id: int) -> Sustainability:
        return sustainability(weekly[department_id], first_days.get(department_id))

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
                    withheld_trend(reason),
                    reason,
                )
            )
            continue
        sums = _scope_sums(day_sums, d.id)
        diverse = _diversity(sums, people_of.get(d.id, {}), registry, settings)
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
            withheld_trend(reason),
            tuple(rows),
            (),
            cursor,
            None,
            reason,
            thresholds,
        )
    scope_sums = _scope_sums(day_sums, None if department is None else scope_id)
    scope_people = people_of.get(scope_id, {})
    diverse = _diversity(scope_sums, scope_people, registry, settings)
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


# The metrics API (docs/metrics.md) keeps one import path; results, rollup reads and the trend
# live in their own modules.
__all__ = [
    "DECLINING",
    "GROWING",
    "MIN_WEEKS_OF_DATA",
    "NO_HEADCOUNT",
    "STABLE",
    "TOO_EARLY",
    "TOO_SMALL",
    "TREND_THRESHOLD",
    "WITHHELD",
    "DepartmentMetrics",
    "Impact",
    "OrgMetrics",
    "QuestionStats",
    "Sustainability",
    "Tokens",
    "UnknownDepartment",
    "WeekPoint",
    "WorkflowStats",
    "WorkflowWeek",
    "active_people",
    "department_metrics",
    "first_active_days",
    "helped_people",
    "min_group_size",
    "organisation_metrics",
    "rollup_cursor",
    "sustainability",
    "weekly_active_people",
    "workflow_people",
    "workflow_stats",
    "workflow_weeks",
]
