"""Reads of the usage rollups that the metrics are built from (never the raw events)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from essor.analytics.periods import TREND_WEEKS, Period, complete_weeks
from essor.analytics.rollup_models import (
    UsageDay,
    UsageRollupState,
    UsageWeek,
)


# -- rollup reads --------------------------------------------------------------------------
def expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


# Distinct people from the link counts: a person is counted on their first active day of the
# period, the one whose previous active day (-1: none) falls before it.
_ACTIVE = text(
    "SELECT department_id, SUM(people) FROM usage_person_link "
    "WHERE department_id IN :ids AND day BETWEEN :a AND :b AND prev_day < :a "
    "GROUP BY department_id"
).bindparams(expanding("ids"))
# People active in the period none of whose value events helped: their active days all have
# helped_events = 0. Few people are in that case, so the NOT EXISTS probes stay few.
_NOT_HELPED = text(
    "SELECT c.department_id, COUNT(*) FROM (SELECT DISTINCT department_id, person_id "
    "FROM usage_person_day WHERE department_id IN :ids AND day BETWEEN :a AND :b "
    "AND helped_events = 0) c WHERE NOT EXISTS (SELECT 1 FROM usage_person_day u "
    "WHERE u.department_id = c.department_id AND u.person_id = c.person_id "
    "AND u.day BETWEEN :a AND :b AND u.helped_events > 0) GROUP BY c.department_id"
).bindparams(expanding("ids"))
_WORKFLOW_PEOPLE = text(
    "SELECT workflow_id, department_id, SUM(people) FROM usage_workflow_link "
    "WHERE workflow_id IN :wfs AND department_id IN :ids AND day BETWEEN :a AND :b "
    "AND prev_day < :a GROUP BY workflow_id, department_id"
).bindparams(expanding("wfs"), expanding("ids"))


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


_FIRST_DAYS = text(
    "SELECT department_id, MIN(day) FROM usage_person_link "
    "WHERE department_id IN :ids AND day <= :end GROUP BY department_id"
).bindparams(expanding("ids"))


def first_active_days(
    session: Session, department_ids: Sequence[int], end: date
) -> dict[int, date]:
    """Each scope's first day with a value event, on or before ``end`` (absent: none)."""
    rows = session.execute(_FIRST_DAYS, {"ids": list(department_ids), "end": end.toordinal()})
    return {int(d): date.fromordinal(int(day)) for d, day in rows}


@dataclass
class Sums:
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

    def add(self, other: Sums) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def minutes(self, estimate: int) -> int:
        return self.own_minutes + self.runs_estimated * estimate


def read_day_sums(session: Session, period: Period) -> dict[tuple[int, str], Sums]:
    t = UsageDay
    names = list(Sums.__dataclass_fields__)
    rows = session.execute(
        select(t.department_id, t.workflow_key, *(func.sum(getattr(t, n)) for n in names))
        .where(t.day.between(period.first, period.last))
        .group_by(t.department_id, t.workflow_key)
    )
    out: dict[tuple[int, str], Sums] = {}
    for department_id, key, *values in rows:
        out[(int(department_id), str(key))] = Sums(*(int(v or 0) for v in values))
    return out


def rollup_cursor(session: Session) -> int:
    cursor = session.scalar(select(UsageRollupState.last_event_id).where(UsageRollupState.id == 1))
    return int(cursor or 0)
