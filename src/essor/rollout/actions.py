"""Writes to the rollout, each checked against ``can_manage_rollout`` and audited in the same
transaction (a refusal is audited too, with outcome "denied")."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from essor.governance.access import Reader, actor_email, can_manage_rollout
from essor.governance.actions import NotAllowed
from essor.governance.audit import record
from essor.knowledge.models import utcnow
from essor.people.models import Department, Person
from essor.people.queries import known_department, known_person
from essor.rollout.models import (
    ITEM_STATUSES,
    KEY_MAX,
    STAGES,
    SUPPORT_AREAS,
    TITLE_MAX,
    URL_MAX,
    DepartmentRollout,
    ReadinessItem,
    RolloutWave,
    StageChange,
    SupportAssignment,
)
from essor.rollout.readiness import (
    COMPUTED_KEYS,
    DEFAULT_KEYS,
    checklist,
    readiness,
    use_case_departments,
)
from essor.settings import Settings, get_settings


class RolloutError(ValueError):
    """Bad input for a rollout change (unknown department, wrong stage, missing reason...)."""


class ReasonRequired(RolloutError):
    """Moving forward with open checklist items needs a written reason."""

    def __init__(self, department: str, open_items: tuple[str, ...]) -> None:
        self.open_items = open_items
        super().__init__(
            f"{department} has open checklist items ({', '.join(open_items)}); "
            "give a reason to move it forward anyway"
        )


def _require(
    session: Session, actor: Reader, department_id: int | None, action: str, object_id: str
) -> None:
    if can_manage_rollout(actor, department_id):
        return
    what = "this department's rollout" if department_id else "organisation-wide rollout settings"
    raise NotAllowed(
        f"you may not change {what}",
        actor=actor,
        action=action,
        object_type="rollout",
        object_id=object_id,
    )


def _department(session: Session, code: str) -> Department:
    return known_department(session, code, RolloutError)


def _person(session: Session, email: str) -> Person:
    return known_person(session, email, RolloutError)


def _wave(session: Session, name: str) -> RolloutWave:
    wave = session.scalar(select(RolloutWave).where(RolloutWave.name == name.strip()))
    if wave is None:
        raise RolloutError(f"unknown wave: {name}")
    return wave


def ensure_rollout(session: Session, department: Department) -> DepartmentRollout:
    """The department's rollout row, created at stage "planned" the first time it is needed."""
    rollout = session.scalar(
        select(DepartmentRollout).where(DepartmentRollout.department_id == department.id)
    )
    if rollout is None:
        rollout = DepartmentRollout(department_id=department.id, stage="planned")
        session.add(rollout)
        session.flush()
    return rollout


# -- waves, people, dates ------------------------------------------------------------------
def create_wave(
    session: Session,
    name: str,
    *,
    actor: Reader,
    goals: str = "",
    start: date | None = None,
    end: date | None = None,
) -> RolloutWave:
    name = name.strip()
    _require(session, actor, None, "rollout.wave.create", name)
    if not name or len(name) > TITLE_MAX:
        raise RolloutError(f"a wave needs a name of 1 to {TITLE_MAX} characters")
    if start and end and end < start:
        raise RolloutError("a wave cannot end before it starts")
    if session.scalar(select(RolloutWave.id).where(RolloutWave.name == name)) is not None:
        raise RolloutError(f"wave {name!r} already exists")
    wave = RolloutWave(name=name, goals=goals.strip(), start_date=start, end_date=end)
    session.add(wave)
    session.flush()
    record(
        session,
        actor,
        "rollout.wave.create",
        object_type="wave",
        object_id=name,
        detail={"goals": wave.goals, "start": start, "end": end},
    )
    return wave


def update_wave(
    session: Session,
    wave_id: int,
    *,
    actor: Reader,
    name: str,
    goals: str = "",
    start: date | None = None,
    end: date | None = None,
) -> RolloutWave:
    """Replace a wave's name, goals and dates (the departments in it stay)."""
    name = name.strip()
    _require(session, actor, None, "rollout.wave.update", str(wave_id))
    wave = session.get(RolloutWave, wave_id)
    if wave is None:
        raise RolloutError(f"unknown wave: {wave_id}")
    if not name or len(name) > TITLE_MAX:
        raise RolloutError(f"a wave needs a name of 1 to {TITLE_MAX} characters")
    if start and end and end < start:
        raise RolloutError("a wave cannot end before it starts")
    clash = session.scalar(
        select(RolloutWave.id).where(RolloutWave.name == name, RolloutWave.id != wave_id)
    )
    if clash is not None:
        raise RolloutError(f"wave {name!r} already exists")
    before = wave.name
    wave.name, wave.goals, wave.start_date, wave.end_date = name, goals.strip(), start, end
    session.flush()
    record(
        session,
        actor,
        "rollout.wave.update",
        object_type="wave",
        object_id=name,
        detail={"before": before, "goals": wave.goals, "start": start, "end": end},
    )
    return wave


def set_wave(
    session: Session, department_code: str, wave_name: str | None, *, actor: Reader
) -> DepartmentRollout:
    """Put a department in a wave, or (``None``) in none."""
    department = _department(session, department_code)
    _require(session, actor, department.id, "rollout.wave.assign", department.code)
    wave = _wave(session, wave_name) if wave_name else None
    rollout = ensure_rollout(session, department)
    rollout.wave_id = wave.id if wave else None
    rollout.updated_at = utcnow()
    _audit(session, actor, "rollout.wave.assign", department, {"wave": wave_name})
    return rollout


def set_sponsor(
    session: Session, department_code: str, email: str | None, *, actor: Reader
) -> DepartmentRollout:
    return _set_person(session, department_code, email, "sponsor_id", actor=actor)


def set_budget_owner(
    session: Session, department_code: str, email: str | None, *, actor: Reader
) -> DepartmentRollout:
    return _set_person(session, department_code, email, "budget_owner_id", actor=actor)


def _set_person(
    session: Session, code: str, email: str | None, field: str, *, actor: Reader
) -> DepartmentRollout:
    department = _department(session, code)
    action = f"rollout.{field.removesuffix('_id')}"
    _require(session, actor, department.id, action, department.code)
    person = _person(session, email) if email else None
    rollout = ensure_rollout(session, department)
    setattr(rollout, field, person.id if person else None)
    rollout.updated_at = utcnow()
    _audit(session, actor, action, department, {"person": person.email if person else None})
    return rollout


def set_targets(
    session: Session,
    department_code: str,
    *,
    actor: Reader,
    pilot: date | None = None,
    rolling_out: date | None = None,
    adopted: date | None = None,
) -> DepartmentRollout:
    """Replace the three target dates (None clears one)."""
    department = _department(session, department_code)
    _require(session, actor, department.id, "rollout.targets", department.code)
    given = [d for d in (pilot, rolling_out, adopted) if d is not None]
    if given != sorted(given):
        raise RolloutError("target dates must follow the stage order: pilot, rolling out, adopted")
    rollout = ensure_rollout(session, department)
    rollout.target_pilot, rollout.target_rollout, rollout.target_adopted = (
        pilot,
        rolling_out,
        adopted,
    )
    rollout.updated_at = utcnow()
    detail = {"pilot": pilot, "rolling_out": rolling_out, "adopted": adopted}
    _audit(session, actor, "rollout.targets", department, detail)
    return rollout


# -- stages --------------------------------------------------------------------------------
def advance_stage(
    session: Session,
    department_code: str,
    *,
    actor: Reader,
    reason: str | None = None,
    to: str | None = None,
    settings: Settings | None = None,
) -> StageChange:
    """Move a department to the next stage, never skipping one. With checklist items still
    open, a written reason is required; it is kept with the open items in the stage history
    and the audit log. ``to``, when given, must name the next stage (a guard for callers that
    show a target, such as a form that may be stale)."""
    department = _department(session, department_code)
    _require(session, actor, department.id, "rollout.advance", department.code)
    rollout = ensure_rollout(session, department)
    position = STAGES.index(rollout.stage)
    if position == len(STAGES) - 1:
        raise RolloutError(f"{department.code} is already adopted: there is no next stage")
    target = STAGES[position + 1]
    if to is not None and to != target:
        raise RolloutError(
            f"{department.code} is at {rollout.stage}: it can only move to {target}, not {to}"
        )
    use_cases = use_case_departments(settings or get_settings())
    state = readiness(checklist(session, department, use_cases=use_cases))
    reason = (reason or "").strip()
    if state.open_items and not reason:
        raise ReasonRequired(department.code, state.open_items)
    change = StageChange(
        department_id=department.id,
        from_stage=rollout.stage,
        to_stage=target,
        actor_email=actor_email(actor),
        reason=reason,
        open_items=json.dumps(list(state.open_items)),
    )
    session.add(change)
    rollout.stage = target
    rollout.updated_at = utcnow()
    detail = {
        "from": change.from_stage,
        "to": target,
        "reason": reason,
        "open_items": list(state.open_items),
    }
    _audit(session, actor, "rollout.advance", department, detail)
    session.flush()
    return change


# -- checklist -----------------------------------------------------------------------------
_UNCHANGED: Any = object()


def set_item(
    session: Session,
    department_code: str,
    key: str,
    *,
    actor: Reader,
    status: str | None = None,
    owner: str | None = _UNCHANGED,
    evidence: str | None = _UNCHANGED,
    evidence_url: str | None = _UNCHANGED,
) -> ReadinessItem:
    """Update an item's status, owner (an email; None clears it) and evidence. Computed items
    take an owner and evidence but no status: their status comes from the data."""
    department = _department(session, department_code)
    _require(session, actor, department.id, "rollout.item", f"{department.code}/{key}")
    row = session.scalar(
        select(ReadinessItem).where(
            ReadinessItem.department_id == department.id, ReadinessItem.key == key
        )
    )
    if row is None:
        if key not in DEFAULT_KEYS:
            raise RolloutError(f"unknown checklist item: {key}")
        row = ReadinessItem(department_id=department.id, key=key, status="open")
        session.add(row)
    if status is not None:
        if key in COMPUTED_KEYS:
            raise RolloutError(f"{key} is checked from the data; its status cannot be set")
        if status not in ITEM_STATUSES:
            raise RolloutError(f"unknown status {status!r}; one of {', '.join(ITEM_STATUSES)}")
        row.status = status
    if owner is not _UNCHANGED:
        row.owner_id = _person(session, owner).id if owner else None
    if evidence is not _UNCHANGED:
        row.evidence = (evidence or "").strip()
    if evidence_url is not _UNCHANGED:
        row.evidence_url = _checked_url(evidence_url)
    row.updated_at = utcnow()
    session.flush()
    detail = {"item": key, "status": row.status, "evidence_url": row.evidence_url}
    _audit(session, actor, "rollout.item", department, detail)
    return row


def add_item(
    session: Session,
    department_code: str,
    title: str,
    *,
    actor: Reader,
    owner: str | None = None,
    evidence: str = "",
    evidence_url: str = "",
) -> ReadinessItem:
    """A checklist item of the department's own; its key is made from the title."""
    department = _department(session, department_code)
    _require(session, actor, department.id, "rollout.item.add", department.code)
    title = title.strip()
    if not title or len(title) > TITLE_MAX:
        raise RolloutError(f"an item needs a title of 1 to {TITLE_MAX} characters")
    taken = set(
        session.scalars(
            select(ReadinessItem.key).where(ReadinessItem.department_id == department.id)
        )
    ) | set(DEFAULT_KEYS)
    base = (re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-") or "item")[: KEY_MAX - 4]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    row = ReadinessItem(
        department_id=department.id,
        key=key,
        title=title,
        status="open",
        owner_id=_person(session, owner).id if owner else None,
        evidence=evidence.strip(),
        evidence_url=_checked_url(evidence_url),
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "rollout.item.add", department, {"item": key, "title": title})
    return row


def _checked_url(url: str | None) -> str:
    # Evidence links are shown as links: only web addresses, never javascript: or data:.
    url = (url or "").strip()
    if url and not re.match(r"https?://\S+$", url, re.IGNORECASE):
        raise RolloutError("an evidence link must be an http(s) address")
    if len(url) > URL_MAX:
        raise RolloutError(f"an evidence link has at most {URL_MAX} characters")
    return url


# -- support model -------------------------------------------------------------------------
def assign_support(
    session: Session,
    area: str,
    owner: str,
    *,
    actor: Reader,
    weekly_hours: float,
    department_code: str | None = None,
) -> SupportAssignment:
    """Name the owner of a support area for one department or (no department) everyone,
    replacing the previous owner there."""
    if area not in SUPPORT_AREAS:
        raise RolloutError(f"unknown support area {area!r}; one of {', '.join(SUPPORT_AREAS)}")
    department = _department(session, department_code) if department_code else None
    scope = department.code if department else "organisation"
    _require(session, actor, department.id if department else None, "rollout.support", scope)
    if not 0 <= weekly_hours <= 168:
        raise RolloutError("weekly hours are between 0 and 168")
    person = _person(session, owner)
    row = session.scalar(_support_query(area, department))
    if row is None:
        row = SupportAssignment(area=area, department_id=department.id if department else None)
        session.add(row)
    row.owner_id = person.id
    row.weekly_hours = float(weekly_hours)
    row.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "rollout.support",
        object_type="rollout",
        object_id=scope,
        detail={"area": area, "owner": person.email, "weekly_hours": row.weekly_hours},
    )
    return row


def remove_support(
    session: Session, area: str, *, actor: Reader, department_code: str | None = None
) -> bool:
    department = _department(session, department_code) if department_code else None
    scope = department.code if department else "organisation"
    _require(session, actor, department.id if department else None, "rollout.support", scope)
    row = session.scalar(_support_query(area, department))
    if row is not None:
        session.delete(row)
    record(
        session,
        actor,
        "rollout.support.remove",
        object_type="rollout",
        object_id=scope,
        detail={"area": area, "removed": row is not None},
    )
    return row is not None


def _support_query(area: str, department: Department | None) -> Select[SupportAssignment]:
    where = (
        SupportAssignment.department_id == department.id
        if department
        else SupportAssignment.department_id.is_(None)
    )
    return select(SupportAssignment).where(SupportAssignment.area == area, where)


def _audit(
    session: Session, actor: Reader, action: str, department: Department, detail: dict[str, Any]
) -> None:
    record(
        session, actor, action, object_type="department", object_id=department.code, detail=detail
    )
