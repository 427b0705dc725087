"""Measured usage in the pilot departments over a period: what the projection scales up.

The pilot departments are those whose rollout stage is pilot, rolling_out or adopted (a
department still "planned" has no measured usage worth projecting). Events count for the
department the person was in when they happened (``usage_event.department_id``).

``measure_pilot_usage`` reads the raw ``usage_event`` table. It is the stop-gap until the
analytics rollups answer the same question (see ``essor.analytics.rollups``); the budget page
calls it once per request, over one period.

Definitions (PRODUCT.md): a value event is an answered question (not an abstention) or a
workflow run; a person is active with at least one value event in the period; minutes saved
are each run's workflow estimate, replaced by the person's own figure when feedback gives
one (a question saves only what its feedback says). Tokens are counted on every question and
run, abstentions included: they cost the same.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from essor.analytics.models import UsageEvent
from essor.budget.projection import MeasuredUsage
from essor.people.models import Department
from essor.people.queries import headcount_by_department
from essor.rollout.models import DepartmentRollout

PILOT_STAGES = ("pilot", "rolling_out", "adopted")


def pilot_departments(session: Session) -> dict[int, str]:
    """Department id -> code, for departments in the pilot stage or beyond."""
    rows = session.execute(
        select(Department.id, Department.code)
        .join(DepartmentRollout, DepartmentRollout.department_id == Department.id)
        .where(DepartmentRollout.stage.in_(PILOT_STAGES))
        .order_by(Department.code)
    )
    return {dept_id: code for dept_id, code in rows}


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )


def measure_pilot_usage(
    session: Session,
    *,
    start: date,
    end: date,
    workflow_minutes: dict[str, int],
) -> MeasuredUsage:
    """Usage of the pilot departments from ``start`` to ``end`` (both included).

    ``workflow_minutes`` maps workflow ids to their estimated minutes saved per run (from the
    workflow registry); a run of a workflow no longer in the registry saves only what its
    feedback says.
    """
    if end < start:
        raise ValueError("the period ends before it starts")
    departments = pilot_departments(session)
    counts = headcount_by_department(session, end)
    headcount = sum(counts.get(code, 0) for code in departments.values())
    codes = tuple(departments.values())
    if not departments:
        return MeasuredUsage(start, end, codes, headcount, 0, 0, 0, 0, 0.0)
    low, high = _bounds(start, end)
    value = and_(
        or_(
            UsageEvent.kind == "workflow_run",
            and_(UsageEvent.kind == "question", UsageEvent.abstained.isnot(True)),
        ),
    )
    in_scope = and_(
        UsageEvent.at >= low,
        UsageEvent.at < high,
        UsageEvent.department_id.in_(list(departments)),
    )
    active, events = session.execute(
        select(func.count(func.distinct(UsageEvent.person_id)), func.count(UsageEvent.id)).where(
            in_scope, value, UsageEvent.person_id.isnot(None)
        )
    ).one()
    prompt, completion = session.execute(
        select(
            func.coalesce(func.sum(UsageEvent.prompt_tokens), 0),
            func.coalesce(func.sum(UsageEvent.completion_tokens), 0),
        ).where(in_scope, UsageEvent.kind.in_(("question", "workflow_run")))
    ).one()
    feedback = aliased(UsageEvent)
    # The latest feedback figure on each value event, if any (feedback ids grow with time).
    latest = (
        select(func.max(feedback.id))
        .where(feedback.about_event_id == UsageEvent.id, feedback.minutes_saved.isnot(None))
        .correlate(UsageEvent)
        .scalar_subquery()
    )
    minutes = 0.0
    rows = session.execute(
        select(UsageEvent.kind, UsageEvent.workflow_id, feedback.minutes_saved)
        .outerjoin(feedback, feedback.id == latest)
        .where(in_scope, value)
    )
    for kind, workflow_id, own in rows:
        if own is not None:
            minutes += own
        elif kind == "workflow_run" and workflow_id is not None:
            minutes += workflow_minutes.get(workflow_id, 0)
    return MeasuredUsage(
        start=start,
        end=end,
        departments=codes,
        headcount=headcount,
        active_people=int(active),
        value_events=int(events),
        prompt_tokens=int(prompt or 0),
        completion_tokens=int(completion or 0),
        minutes_saved=minutes,
    )
