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
from essor.governance.models import RoleGrant
from essor.people.models import Department, Person
from essor.people.queries import employed_on, headcount_by_department
from essor.rollout.models import SUPPORT_AREAS, DepartmentRollout, RolloutWave, StageChange
from essor.rollout.readiness import (
    ChecklistItem,
    champion_count,
    checklist,
    readiness,
    use_case_departments,
)
from essor.rollout.support import Load, covered_areas, gaps, loads
from essor.settings import Settings
from essor.workflows.registry import PUBLISHED, load_registry
from essor.workflows.schema import ALL_DEPARTMENTS


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
    code: str | None = None,
) -> list[DepartmentOverview]:
    """The departments ``reader`` may see, by code: stage, wave, headcount, readiness,
    champions and support gaps (computed checklist items included). ``code`` narrows it to
    one department, by its exact code (a department's own page need not compute the others)."""
    on = on or date.today()
    sponsor, budget = aliased(Person), aliased(Person)
    query = (
        select(Department, DepartmentRollout, RolloutWave.name, sponsor.email, budget.email)
        .outerjoin(DepartmentRollout, DepartmentRollout.department_id == Department.id)
        .outerjoin(RolloutWave, RolloutWave.id == DepartmentRollout.wave_id)
        .outerjoin(sponsor, sponsor.id == DepartmentRollout.sponsor_id)
        .outerjoin(budget, budget.id == DepartmentRollout.budget_owner_id)
        .order_by(Department.code)
    )
    if code is not None:
        query = query.where(Department.code == code)
    rows = session.execute(query).all()
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


def sees_every_department(reader: Reader) -> bool:
    """Administrators, programme leads, executive viewers and the operator see every
    department's rollout; a department admin sees only their own."""
    if reader.system:
        return True
    identity = reader.identity
    return identity is not None and (
        identity.is_admin
        or identity.has_role("programme_lead")
        or identity.has_role("executive_viewer")
    )


def may_see_some_rollout(reader: Reader) -> bool:
    """Whether anything of the rollout is visible to ``reader`` (the cockpit link shows)."""
    identity = reader.identity
    if sees_every_department(reader):
        return True
    return identity is not None and any(role == "department_admin" for role, _ in identity.roles)


@dataclass(frozen=True)
class ComputedEvidence:
    """Why each computed checklist item is done or open, from the data it is computed from."""

    champions: tuple[str, ...]  # names of the department's employed champions
    workflows: tuple[tuple[str, str], ...]  # (id, title) of its workflows in pilot/production
    missing_areas: tuple[str, ...]  # support areas with no owner for it


def computed_evidence(
    session: Session,
    settings: Settings,
    department: Department,
    *,
    on: date | None = None,
    language: str = "en",
) -> ComputedEvidence:
    names = session.scalars(
        select(Person.name)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            RoleGrant.role == "champion",
            RoleGrant.department_id == department.id,
            employed_on(on or date.today()),
        )
        .distinct()
        .order_by(Person.name)
    )
    wanted = department.code.casefold()
    workflows = sorted(
        (d.id, d.title.get(language))
        for d in load_registry(settings).definitions.values()
        if d.status in PUBLISHED
        and d.department != ALL_DEPARTMENTS
        and d.department.casefold() == wanted
    )
    covered = covered_areas(session, department.id)
    return ComputedEvidence(
        champions=tuple(names),
        workflows=tuple(workflows),
        missing_areas=tuple(a for a in SUPPORT_AREAS if a not in covered),
    )


@dataclass(frozen=True)
class AreaSupport:
    """Who covers one support area for a department: its own owner, else the shared one."""

    area: str
    load: Load | None  # None: a gap
    shared: bool  # the organisation-wide owner covers it


def department_support(session: Session, code: str, on: date | None = None) -> list[AreaSupport]:
    """The four support areas for one department, in their fixed order."""
    everything = loads(session, on)
    own = {x.area: x for x in everything if x.department == code}
    shared = {x.area: x for x in everything if x.department is None}
    out = []
    for area in SUPPORT_AREAS:
        if area in own:
            out.append(AreaSupport(area, own[area], shared=False))
        else:
            out.append(AreaSupport(area, shared.get(area), shared=area in shared))
    return out


@dataclass(frozen=True)
class WaveSummary:
    id: int
    name: str
    goals: str
    start: date | None
    end: date | None
    departments: tuple[str, ...]  # codes, sorted


def wave_summaries(session: Session) -> list[WaveSummary]:
    """Every wave with the codes of the departments in it, by start date then name."""
    members: dict[int, list[str]] = {}
    for wave_id, code in session.execute(
        select(DepartmentRollout.wave_id, Department.code)
        .join(Department, Department.id == DepartmentRollout.department_id)
        .where(DepartmentRollout.wave_id.is_not(None))
        .order_by(Department.code)
    ):
        if wave_id is not None:
            members.setdefault(wave_id, []).append(code)
    return [
        WaveSummary(
            id=w.id,
            name=w.name,
            goals=w.goals,
            start=w.start_date,
            end=w.end_date,
            departments=tuple(members.get(w.id, [])),
        )
        for w in waves(session)
    ]
