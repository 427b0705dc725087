"""Pilot cohorts: people of a department enrolled in its pilot with their attitude, the
sceptic-share flag, and usage compared by attitude (depth and 4-week retention).

A cohort is made of the department's own employed people: its department admin manages it and
its usage is read from the department's events. Writes are checked with ``can_manage_rollout``
and audited in the same transaction; a refusal raises ``NotAllowed`` and is audited too.

The comparison follows the adoption metrics of the product guide (a *value event* is an
answered question or a workflow run) and never shows figures for a group smaller than
``privacy_min_group_size``; ``cohort_comparison`` is what analytics reuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from essor.analytics.models import UsageEvent
from essor.governance.access import Reader, actor_email, can_manage_rollout, is_employed
from essor.governance.actions import NotAllowed
from essor.governance.audit import record
from essor.knowledge.models import utcnow
from essor.people.models import Department, Person
from essor.people.queries import find_person, known_department, known_person
from essor.rollout.pilot_models import ATTITUDES, CohortMember
from essor.settings import Settings

MAX_BULK_LINES = 500
PERIOD_DAYS = 28
# Retention is measured in the fourth week after a member's first value event: days 21 to 27.
RETENTION_FIRST_DAY = 21
RETENTION_LAST_DAY = 27
ALL = "all"


class CohortError(ValueError):
    """Bad input for a cohort change (unknown person, not in the department, bad attitude...)."""


# -- reads ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    email: str
    name: str
    attitude: str
    enrolled_on: date
    employed: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "email": self.email,
            "name": self.name,
            "attitude": self.attitude,
            "enrolled_on": self.enrolled_on.isoformat(),
            "employed": self.employed,
        }


@dataclass(frozen=True)
class Cohort:
    department_code: str
    members: tuple[Member, ...]
    # Employed members only: someone who has left no longer shapes the pilot.
    counts: dict[str, int]
    min_sceptic_share: float

    @property
    def size(self) -> int:
        return sum(self.counts.values())

    @property
    def sceptic_share(self) -> float | None:
        return self.counts.get("sceptic", 0) / self.size if self.size else None

    @property
    def flagged(self) -> bool:
        """Too few sceptics: a pilot of enthusiasts says little about the department. Computed
        with exact fractions so that 1 in 5 is exactly the 20 % threshold, not a float hair
        below it."""
        if not self.size:
            return False
        share = Fraction(self.counts.get("sceptic", 0), self.size)
        return share < Fraction(str(self.min_sceptic_share))

    def as_dict(self) -> dict[str, object]:
        return {
            "department": self.department_code,
            "members": [m.as_dict() for m in self.members],
            "counts": dict(self.counts),
            "size": self.size,
            "sceptic_share": self.sceptic_share,
            "min_sceptic_share": self.min_sceptic_share,
            "flagged": self.flagged,
        }


def cohort(
    session: Session, department: Department, settings: Settings, on: date | None = None
) -> Cohort:
    """The department's cohort, by attitude then name; counts are of employed members."""
    on = on or date.today()
    rows = session.execute(
        select(CohortMember, Person)
        .join(Person, Person.id == CohortMember.person_id)
        .where(CohortMember.department_id == department.id)
    ).all()
    members = sorted(
        (
            Member(
                email=person.email,
                name=person.name,
                attitude=row.attitude,
                enrolled_on=row.enrolled_on,
                employed=is_employed(person, on),
            )
            for row, person in rows
        ),
        key=lambda m: (ATTITUDES.index(m.attitude), m.name.casefold(), m.email),
    )
    counts = {a: 0 for a in ATTITUDES}
    for m in members:
        if m.employed:
            counts[m.attitude] += 1
    return Cohort(department.code, tuple(members), counts, settings.pilot_min_sceptic_share)


def is_cohort_member(session: Session, person_id: int, department_id: int) -> bool:
    return (
        session.scalar(
            select(CohortMember.id).where(
                CohortMember.person_id == person_id, CohortMember.department_id == department_id
            )
        )
        is not None
    )


# -- writes --------------------------------------------------------------------------------
def _require(actor: Reader, department: Department, action: str, object_id: str) -> None:
    if not can_manage_rollout(actor, department.id):
        raise NotAllowed(
            "you may not change this department's pilot cohort",
            actor=actor,
            action=action,
            object_type="cohort",
            object_id=object_id,
        )


def _department(session: Session, code: str) -> Department:
    return known_department(session, code, CohortError)


def _attitude(value: str) -> str:
    attitude = value.strip().casefold()
    if attitude not in ATTITUDES:
        raise CohortError(f"attitude must be one of {', '.join(ATTITUDES)}, not {value!r}")
    return attitude


def _person_of(session: Session, department: Department, email: str) -> Person:
    person = known_person(session, email, CohortError)
    if person.department_id != department.id:
        raise CohortError(f"{person.email} is not in department {department.code}")
    if not is_employed(person):
        raise CohortError(f"{person.email} is not employed")
    return person


def _membership(session: Session, department: Department, person: Person) -> CohortMember | None:
    return session.scalar(
        select(CohortMember).where(
            CohortMember.department_id == department.id, CohortMember.person_id == person.id
        )
    )


def _enrol_one(
    session: Session,
    department: Department,
    email: str,
    attitude: str,
    *,
    actor: Reader,
    enrolled_on: date | None,
) -> CohortMember:
    attitude = _attitude(attitude)
    person = _person_of(session, department, email)
    if _membership(session, department, person) is not None:
        raise CohortError(f"{person.email} is already in the cohort")
    if enrolled_on is not None and enrolled_on > date.today():
        raise CohortError("the enrolment date cannot be in the future")
    member = CohortMember(
        department_id=department.id,
        person_id=person.id,
        attitude=attitude,
        enrolled_on=enrolled_on or date.today(),
        enrolled_by=actor_email(actor),
    )
    session.add(member)
    session.flush()
    record(
        session,
        actor,
        "cohort.enrol",
        object_type="cohort",
        object_id=department.code,
        detail={"person": person.email, "attitude": attitude, "on": member.enrolled_on},
    )
    return member


def enrol(
    session: Session,
    department_code: str,
    email: str,
    attitude: str,
    *,
    actor: Reader,
    enrolled_on: date | None = None,
) -> CohortMember:
    """Enrol one employed person of the department with their attitude."""
    department = _department(session, department_code)
    _require(actor, department, "cohort.enrol", department.code)
    return _enrol_one(session, department, email, attitude, actor=actor, enrolled_on=enrolled_on)


@dataclass(frozen=True)
class LineError:
    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class BulkEnrolment:
    enrolled: tuple[str, ...]
    errors: tuple[LineError, ...] = field(default_factory=tuple)


def enrol_many(
    session: Session,
    department_code: str,
    lines: str | Iterable[str],
    *,
    actor: Reader,
    default_attitude: str | None = None,
) -> BulkEnrolment:
    """Enrol one person a line: ``email`` or ``email, attitude`` (a comma, semicolon or tab
    between them); lines without an attitude take ``default_attitude``. A bad line is
    reported with its number and reason and does not stop the others; blank lines and lines
    starting with ``#`` are skipped."""
    department = _department(session, department_code)
    _require(actor, department, "cohort.enrol", department.code)
    rows = lines.splitlines() if isinstance(lines, str) else list(lines)
    if len(rows) > MAX_BULK_LINES:
        raise CohortError(f"at most {MAX_BULK_LINES} lines at once")
    enrolled: list[str] = []
    errors: list[LineError] = []
    for n, raw in enumerate(rows, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        parts = [p.strip() for p in text.replace("\t", ",").replace(";", ",").split(",")]
        email = parts[0]
        attitude = parts[1] if len(parts) > 1 and parts[1] else default_attitude
        try:
            if len(parts) > 2:
                raise CohortError("expected an email and an attitude, nothing more")
            if not attitude:
                raise CohortError("no attitude given (enthusiast, neutral or sceptic)")
            member = _enrol_one(session, department, email, attitude, actor=actor, enrolled_on=None)
        except CohortError as exc:
            errors.append(LineError(n, text[:200], str(exc)))
            continue
        person_email = session.scalar(select(Person.email).where(Person.id == member.person_id))
        enrolled.append(person_email or email)
    return BulkEnrolment(tuple(enrolled), tuple(errors))


def set_attitude(
    session: Session, department_code: str, email: str, attitude: str, *, actor: Reader
) -> CohortMember:
    department = _department(session, department_code)
    _require(actor, department, "cohort.attitude", department.code)
    attitude = _attitude(attitude)
    person = find_person(session, email)
    member = _membership(session, department, person) if person else None
    if person is None or member is None:
        raise CohortError(f"{email} is not in the cohort")
    before = member.attitude
    member.attitude = attitude
    member.updated_at = utcnow()
    record(
        session,
        actor,
        "cohort.attitude",
        object_type="cohort",
        object_id=department.code,
        detail={"person": person.email, "from": before, "to": attitude},
    )
    return member


def remove(session: Session, department_code: str, email: str, *, actor: Reader) -> None:
    department = _department(session, department_code)
    _require(actor, department, "cohort.remove", department.code)
    person = find_person(session, email)
    member = _membership(session, department, person) if person else None
    if person is None or member is None:
        raise CohortError(f"{email} is not in the cohort")
    session.delete(member)
    record(
        session,
        actor,
        "cohort.remove",
        object_type="cohort",
        object_id=department.code,
        detail={"person": person.email, "attitude": member.attitude},
    )


# -- comparison by attitude ----------------------------------------------------------------
@dataclass(frozen=True)
class AttitudeFigures:
    """One attitude's figures (or the whole cohort's, attitude "all").

    ``members`` counts the members employed on the period's last day. ``None`` figures are
    withheld: ``reason`` says why for depth ("too_small"), ``retention_reason`` for retention
    ("too_small", "no_usage": nobody's first value event is 28 days old yet, or
    "too_few_eligible": fewer such members than the privacy threshold).
    """

    attitude: str
    members: int
    active: int | None
    depth: float | None
    eligible: int | None
    retained: int | None
    retention: float | None
    reason: str | None = None
    retention_reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "attitude": self.attitude,
            "members": self.members,
            "active": self.active,
            "depth": self.depth,
            "eligible": self.eligible,
            "retained": self.retained,
            "retention": self.retention,
            "reason": self.reason,
            "retention_reason": self.retention_reason,
        }


@dataclass(frozen=True)
class CohortComparison:
    department_code: str
    period_start: date
    period_end: date
    min_group_size: int
    groups: tuple[AttitudeFigures, ...]  # one per attitude, in ATTITUDES order
    total: AttitudeFigures

    def group(self, attitude: str) -> AttitudeFigures:
        return next(g for g in (*self.groups, self.total) if g.attitude == attitude)

    def as_dict(self) -> dict[str, object]:
        return {
            "department": self.department_code,
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "min_group_size": self.min_group_size,
            "groups": [g.as_dict() for g in self.groups],
            "total": self.total.as_dict(),
        }


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 28 days, today included."""
    end = today or date.today()
    return end - timedelta(days=PERIOD_DAYS - 1), end


def value_event() -> ColumnElement[bool]:
    """An answered question (not abstained) or a workflow run."""
    return or_(
        and_(UsageEvent.kind == "question", UsageEvent.abstained.is_(False)),
        UsageEvent.kind == "workflow_run",
    )


def _figures(
    attitude: str,
    members: list[tuple[int, date]],
    usage: dict[int, list[date]],
    *,
    period_start: date,
    period_end: date,
    min_size: int,
) -> AttitudeFigures:
    n = len(members)
    if n < min_size:
        return AttitudeFigures(attitude, n, None, None, None, None, None, "too_small", "too_small")
    active = eligible = retained = 0
    for person_id, enrolled_on in members:
        # Only usage from enrolment on counts: what came before is not the pilot's doing.
        days = sorted(d for d in usage.get(person_id, []) if enrolled_on <= d <= period_end)
        if any(period_start <= d for d in days):
            active += 1
        if not days:
            continue
        first = days[0]
        if (first + timedelta(days=RETENTION_LAST_DAY)) > period_end:
            continue  # their fourth week is not over yet
        eligible += 1
        if any(RETENTION_FIRST_DAY <= (d - first).days <= RETENTION_LAST_DAY for d in days):
            retained += 1
    depth = active / n
    if eligible == 0:
        return AttitudeFigures(attitude, n, active, depth, None, None, None, None, "no_usage")
    if eligible < min_size:
        return AttitudeFigures(
            attitude, n, active, depth, None, None, None, None, "too_few_eligible"
        )
    return AttitudeFigures(attitude, n, active, depth, eligible, retained, retained / eligible)


def cohort_comparison(
    session: Session,
    department_id: int,
    *,
    period_start: date,
    period_end: date,
    settings: Settings,
) -> CohortComparison:
    """Depth and 4-week retention of the department's cohort by attitude, for the period
    ``period_start``..``period_end`` (both days included; see ``default_period``).

    - Members: cohort members employed on ``period_end``, grouped by their attitude.
    - Value events: answered questions and workflow runs of a member made while in this
      department (the event's department), on or after their enrolment day.
    - depth = members active in the period (≥ 1 value event in it) ÷ members.
    - 4-week retention = retained ÷ eligible, where a member is eligible once the fourth
      week after their first value event is over by ``period_end`` (first + 27 days ≤ end),
      and retained with a value event 21 to 27 days after the first one.
    - A group with fewer members (or eligible members) than ``privacy_min_group_size`` shows
      no figures: they are None with the reason.
    """
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    min_size = max(3, settings.privacy_min_group_size)
    department = session.get(Department, department_id)
    if department is None:
        raise CohortError(f"unknown department id: {department_id}")
    rows = session.execute(
        select(CohortMember, Person)
        .join(Person, Person.id == CohortMember.person_id)
        .where(CohortMember.department_id == department_id)
    ).all()
    by_attitude: dict[str, list[tuple[int, date]]] = {a: [] for a in ATTITUDES}
    for member, person in rows:
        if is_employed(person, period_end):
            by_attitude[member.attitude].append((person.id, member.enrolled_on))
    ids = [pid for group in by_attitude.values() for pid, _ in group]
    usage: dict[int, list[date]] = {}
    if ids:
        events = session.execute(
            select(UsageEvent.person_id, UsageEvent.at).where(
                UsageEvent.person_id.in_(ids),
                UsageEvent.department_id == department_id,
                value_event(),
            )
        )
        for person_id, at in events:
            if person_id is not None:
                usage.setdefault(person_id, []).append(at.date())

    def figures(attitude: str, members: list[tuple[int, date]]) -> AttitudeFigures:
        return _figures(
            attitude,
            members,
            usage,
            period_start=period_start,
            period_end=period_end,
            min_size=min_size,
        )

    groups = tuple(figures(a, by_attitude[a]) for a in ATTITUDES)
    total = figures(ALL, [m for a in ATTITUDES for m in by_attitude[a]])
    return CohortComparison(department.code, period_start, period_end, min_size, groups, total)
