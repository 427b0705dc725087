"""The support model: who owns technical, adoption, content and governance support, where
nobody does (gaps), and how many people each owner hour serves (load).

A department's area is covered by its own owner, or else by the organisation-wide owner of
that area. An organisation-wide owner serves everyone its area's department owners do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.people.models import Department, Person
from essor.people.queries import headcount_by_department
from essor.rollout.models import SUPPORT_AREAS, SupportAssignment


@dataclass(frozen=True)
class Gap:
    department: str
    area: str


@dataclass(frozen=True)
class Load:
    area: str
    department: str | None  # None: organisation-wide
    owner_email: str
    owner_name: str
    weekly_hours: float
    people: int  # employed people this owner serves
    people_per_hour: float | None  # None when no hours are given

    def as_dict(self) -> dict[str, object]:
        return {
            "area": self.area,
            "department": self.department,
            "owner": self.owner_email,
            "owner_name": self.owner_name,
            "weekly_hours": self.weekly_hours,
            "people": self.people,
            "people_per_hour": self.people_per_hour,
        }


def covered_areas(session: Session, department_id: int) -> set[str]:
    """Areas with an owner for this department or for the whole organisation."""
    rows = session.scalars(
        select(SupportAssignment.area).where(
            (SupportAssignment.department_id == department_id)
            | SupportAssignment.department_id.is_(None)
        )
    )
    return set(rows)


def gaps(session: Session) -> list[Gap]:
    """(department, area) pairs with no owner at all, by department code then area order."""
    assigned = {
        (dept, area)
        for dept, area in session.execute(
            select(SupportAssignment.department_id, SupportAssignment.area)
        )
    }
    out = []
    for dept_id, code in session.execute(
        select(Department.id, Department.code).order_by(Department.code)
    ):
        for area in SUPPORT_AREAS:
            if (dept_id, area) not in assigned and (None, area) not in assigned:
                out.append(Gap(department=code, area=area))
    return out


def loads(session: Session, on: date | None = None) -> list[Load]:
    """Every assignment with the employed people it serves and people per weekly hour."""
    on = on or date.today()
    headcount = headcount_by_department(session, on)
    everyone = sum(headcount.values())
    rows = session.execute(
        select(SupportAssignment, Department.code, Person.email, Person.name)
        .join(Person, Person.id == SupportAssignment.owner_id)
        .outerjoin(Department, Department.id == SupportAssignment.department_id)
        .order_by(SupportAssignment.area, Department.code)
    ).all()
    # Departments with their own owner in an area are not served by the shared owner.
    own = {(a.area, code) for a, code, _, _ in rows if code is not None}
    out = []
    for assignment, code, email, name in rows:
        if code is not None:
            people = headcount.get(code, 0)
        else:
            people = everyone - sum(n for c, n in headcount.items() if (assignment.area, c) in own)
        hours = assignment.weekly_hours
        out.append(
            Load(
                area=assignment.area,
                department=code,
                owner_email=email,
                owner_name=name,
                weekly_hours=hours,
                people=people,
                people_per_hour=round(people / hours, 2) if hours > 0 else None,
            )
        )
    return out
