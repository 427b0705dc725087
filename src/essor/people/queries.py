"""Reads of the directory: people, departments and headcounts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from essor.people.models import Department, Person


@dataclass(frozen=True)
class PersonEntry:
    """A person as listings show them: department and manager by their codes and emails."""

    email: str
    name: str
    department: str | None
    job_title: str | None
    manager_email: str | None
    status: str
    start_date: date | None
    end_date: date | None
    attitude: str | None
    training_tier: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "email": self.email,
            "name": self.name,
            "department": self.department,
            "job_title": self.job_title,
            "manager_email": self.manager_email,
            "status": self.status,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "attitude": self.attitude,
            "training_tier": self.training_tier,
        }


def employed_on(day: date) -> ColumnElement[bool]:
    """People employed on ``day``: started, not ended, and not left (unless still serving
    notice, that is marked left with an end date still to come)."""
    return and_(
        or_(Person.start_date.is_(None), Person.start_date <= day),
        or_(Person.end_date.is_(None), Person.end_date >= day),
        or_(Person.status != "left", Person.end_date >= day),
    )


def headcount_by_department(session: Session, on: date) -> dict[str | None, int]:
    """Employed people per department code, every department included (0 when empty);
    the key ``None`` counts employed people without a department, when there are any."""
    codes = {i: c for i, c in session.execute(select(Department.id, Department.code))}
    counts: dict[str | None, int] = {code: 0 for code in sorted(codes.values())}
    # Grouped by id, not code: the count reads ix_person_employment alone, in its order.
    rows = session.execute(
        select(Person.department_id, func.count())
        .where(employed_on(on))
        .group_by(Person.department_id)
    )
    for department_id, n in rows:
        code = codes.get(department_id) if department_id is not None else None
        counts[code] = counts.get(code, 0) + n
    return counts


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_person(session: Session, email: str) -> Person | None:
    return session.scalar(select(Person).where(Person.email == normalise_email(email)))


def known_person(session: Session, email: str, error: Callable[[str], Exception]) -> Person:
    """The person with this email; an unknown one raises ``error("unknown person: EMAIL")``."""
    person = find_person(session, email)
    if person is None:
        raise error(f"unknown person: {email}")
    return person


def known_department(session: Session, code: str, error: Callable[[str], Exception]) -> Department:
    """The department with this code (any case); an unknown one raises
    ``error("unknown department: CODE")``."""
    department = find_department(session, code)
    if department is None:
        raise error(f"unknown department: {code}")
    return department


def find_department(session: Session, code: str) -> Department | None:
    """The department with this code, compared without regard to case (as imports do)."""
    wanted = code.strip().casefold()
    return next(
        (d for d in session.scalars(select(Department)) if d.code.casefold() == wanted), None
    )


def list_people(
    session: Session,
    department_code: str | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[PersonEntry]:
    """People ordered by name then email, optionally those of one department only."""
    manager = aliased(Person)
    query = (
        select(
            Person.email,
            Person.name,
            Department.code.label("department"),
            Person.job_title,
            manager.email.label("manager_email"),
            Person.status,
            Person.start_date,
            Person.end_date,
            Person.attitude,
            Person.training_tier,
        )
        .outerjoin(Department, Person.department_id == Department.id)
        .outerjoin(manager, Person.manager_id == manager.id)
        .where(_in_department(session, department_code))
        .order_by(Person.name, Person.email)
        .limit(limit)
        .offset(offset)
    )
    return [PersonEntry(**row._asdict()) for row in session.execute(query)]


def count_people(session: Session, department_code: str | None = None) -> int:
    query = select(func.count(Person.id)).where(_in_department(session, department_code))
    return session.scalar(query) or 0


def _in_department(session: Session, department_code: str | None) -> ColumnElement[bool]:
    if department_code is None:
        return true()
    department = find_department(session, department_code)
    # An unknown code matches nobody rather than everybody.
    return Person.department_id == (department.id if department else -1)
