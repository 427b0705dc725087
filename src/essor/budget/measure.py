"""Measured usage in the pilot departments over a period: what the projection scales up.

The pilot departments are those whose rollout stage is pilot, rolling_out or adopted (a
department still "planned" has no measured usage worth projecting). Events count for the
department the person was in when they happened.

Every figure comes from the analytics rollups (``essor.analytics.rollups``), never from a scan
of the raw events, so the definitions are the dashboards' own (docs/metrics.md): a value event
is an answered question or a workflow run; a person is active with at least one value event in
the period; minutes saved are the person's own figure when their feedback gives one, otherwise
the workflow's estimate for a run (an answered question without a figure saves nothing).
Tokens are counted on every question and run, abstentions included: they cost the same.

Active people are summed over the pilot departments: someone who moved from one pilot
department to another during the period counts in both (as each department's depth does).
Call ``essor.analytics.rollups.catch_up`` first so the rollups include the latest events.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essor.analytics.metrics import active_people
from essor.analytics.periods import Period
from essor.analytics.rollup_models import QUESTIONS, UsageDay
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


def measure_pilot_usage(
    session: Session,
    *,
    start: date,
    end: date,
    workflow_minutes: dict[str, int],
) -> MeasuredUsage:
    """Usage of the pilot departments from ``start`` to ``end`` (both included), from the
    rollups. ``workflow_minutes`` maps workflow ids to their estimated minutes saved per run
    (the workflow registry); a run of a workflow no longer there saves only its own figure."""
    period = Period(start, end)  # refuses a period that ends before it starts
    departments = pilot_departments(session)
    counts = headcount_by_department(session, end)
    headcount = sum(counts.get(code, 0) for code in departments.values())
    codes = tuple(departments.values())
    if not departments:
        return MeasuredUsage(start, end, codes, headcount, 0, 0, 0, 0, 0.0)
    ids = list(departments)
    active = sum(active_people(session, period, ids).values())
    t = UsageDay
    rows = session.execute(
        select(
            t.workflow_key,
            func.sum(t.questions),
            func.sum(t.runs),
            func.sum(t.runs_estimated),
            func.sum(t.own_minutes),
            func.sum(t.prompt_tokens),
            func.sum(t.completion_tokens),
        )
        .where(t.day.between(period.first, period.last), t.department_id.in_(ids))
        .group_by(t.workflow_key)
    )
    events = prompt = completion = 0
    minutes = 0.0
    for key, questions, runs, estimated, own, p_tokens, c_tokens in rows:
        events += int(questions or 0) + int(runs or 0)
        prompt += int(p_tokens or 0)
        completion += int(c_tokens or 0)
        minutes += int(own or 0)
        if key != QUESTIONS:
            minutes += int(estimated or 0) * workflow_minutes.get(str(key), 0)
    return MeasuredUsage(
        start=start,
        end=end,
        departments=codes,
        headcount=headcount,
        active_people=active,
        value_events=events,
        prompt_tokens=prompt,
        completion_tokens=completion,
        minutes_saved=minutes,
    )
