"""Reads of the rollout: every department on one screen, one department's detail, history.

Departments without a rollout row yet read as "planned" with no wave, so a department added
to the directory shows up in the cockpit at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from essor.governance.access import Reader, can_manage_rollout
from essor.people.models import Department, Person
from essor.people.queries import headcount_by_department
from essor.rollout.models import DepartmentRollout, RolloutWave, StageChange
from essor.rollout.readiness import (
    ChecklistItem,
    champion_count,
    checklist,
    readiness,
    use_case_departments,
)
from essor.rollout.support import gaps
from essor.settings import Settings


@dataclass(frozen=True)
class DepartmentOverview:
    code: str
    name: str
    stage: str
    wave: str | None
    headcount: int
    done: int
    total: int
    champions: int
    support_gaps: tuple[str, ...]
    sponsor: str | None = None
    budget_owner: str | None = None
    targets: dict[str, date | None] = field(default_factory=dict)
    items: tuple[ChecklistItem, ...] = ()

    @property
    def readiness(self) -> float | None:
        return self.done / self.total if self.total else None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "stage": self.stage,
            "wave": self.wave,
            "headcount": self.headcount,
            "readiness": {"done": self.done, "total": self.total, "ratio": self.readiness},
            "champions": self.champions,
            "support_gaps": list(self.support_gaps),
            "sponsor": self.sponsor,
            "budget_owner": self.budget_owner,
            "targets": {k: v.isoformat() if v else None for k, v in self.targets.items()},
            "items": [i.as_dict() for i in self.items],
        }


def can_see_rollout(reader: Reader, department_id: int) -> bool:
    """Whoever may change a department's rollout sees it; executive viewers see all of them."""
    if can_manage_rollout(reader, department_id):
        return True
    identity = reader.identity
    return identity is not None and identity.has_role("executive_viewer")


def overview(
    session: Session,
    settings: Settings,
    *,
    reader: Reader,
    on: date | None = None,
    language: str = "en",
) -> list[DepartmentOverview]:
    """The departments ``reader`` may see, by code: stage, wave, headcount, readiness,
    champions and support gaps (computed checklist items included)."""
    on = on or date.today()
    sponsor, budget = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Department, DepartmentRollout, RolloutWave.name, sponsor.email, budget.email)
        .outerjoin(DepartmentRollout, DepartmentRollout.department_id == Department.id)
        .outerjoin(RolloutWave, RolloutWave.id == DepartmentRollout.wave_id)
        .outerjoin(sponsor, sponsor.id == DepartmentRollout.sponsor_id)
        .outerjoin(budget, budget.id == DepartmentRollout.budget_owner_id)
        .order_by(Department.code)
    ).all()
    visible = [r for r in rows if can_see_rollout(reader, r[0].id)]
    if not visible:
        return []
    headcount = headcount_by_department(session, on)
    use_cases = use_case_departments(settings)
    missing: dict[str, list[str]] = {}
    for gap in gaps(session):
        missing.setdefault(gap.department, []).append(gap.area)
    out = []
    for department, rollout, wave, sponsor_email, budget_email in visible:
        items = checklist(session, department, use_cases=use_cases, language=language)
        state = readiness(items)
        out.append(
            DepartmentOverview(
                code=department.code,
                name=department.name,
                stage=rollout.stage if rollout else "planned",
                wave=wave,
                headcount=headcount.get(department.code, 0),
                done=state.done,
                total=state.total,
                champions=champion_count(session, department.id, on),
                support_gaps=tuple(missing.get(department.code, [])),
                sponsor=sponsor_email,
                budget_owner=budget_email,
                targets={
                    "pilot": rollout.target_pilot if rollout else None,
                    "rolling_out": rollout.target_rollout if rollout else None,
                    "adopted": rollout.target_adopted if rollout else None,
                },
                items=tuple(items),
            )
        )
    return out


@dataclass(frozen=True)
class StageMove:
    from_stage: str
    to_stage: str
    at: str
    actor: str
    reason: str
    open_items: tuple[str, ...]


def stage_history(session: Session, department_id: int) -> list[StageMove]:
    """A department's stage moves, oldest first."""
    rows = session.scalars(
        select(StageChange)
        .where(StageChange.department_id == department_id)
        .order_by(StageChange.at, StageChange.id)
    )
    return [
        StageMove(
            from_stage=r.from_stage,
            to_stage=r.to_stage,
            at=r.at.isoformat(),
            actor=r.actor_email,
            reason=r.reason,
            open_items=tuple(json.loads(r.open_items)),
        )
        for r in rows
    ]


def waves(session: Session) -> list[RolloutWave]:
    return list(
        session.scalars(select(RolloutWave).order_by(RolloutWave.start_date, RolloutWave.name))
    )
