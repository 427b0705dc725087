"""A small organisation with hand-made usage for the dashboard and executive-report tests.

Events are written through the real recording functions (``record_workflow_run``,
``record_feedback``) and then dated in the past weeks. Relative to today:

- GRO (10 people, pilot since 3 days ago): weekly active people over the last 8 complete
  weeks 4, 5, 5, 6, 6, 7, 8, 8 (growing); each active person runs customer-service-reply once
  that week. In the last complete week 6 GRO people also run hr-policy-answer and 4 of them
  say it was unhelpful (67 % of 6 feedback: an alert); 5 of them run operations-procedure
  twice, and 4 of those 10 runs abstain (40 %: an alert).
- DEC (10 people): 8, 8, 7, 6, 5, 4, 3, 2 (declining: an alert).
- TINY (3 people, under the group minimum of 5): 2 people run sales-proposal in the last
  complete week; its figures and sales-proposal's are hidden.
- INJ (nobody): a hostile name for CSV injection and escaping.

Accounts (password ``PASSWORD``): the administrator, a programme lead, an executive viewer,
DEC's department admin, and a member with no role. A GRO champion published a story 2 days ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from essor.analytics.events import Feedback, WorkflowRun, record_feedback, record_workflow_run
from essor.analytics.periods import complete_weeks
from essor.db import write_session
from essor.governance.access import SYSTEM, Identity, Reader
from essor.governance.actions import grant_role
from essor.people.auth.actions import create_admin, set_password
from essor.people.models import Department, Person
from essor.rollout.champions import ChampionPost
from essor.rollout.models import DepartmentRollout, StageChange
from essor.settings import Settings

PASSWORD = "dashboard-password-1234"
ADMIN = "admin@dash.example"
HOSTILE_NAME = '=HYPERLINK("http://evil.example") <script>alert(1)</script>'
STORY_TITLE = "Customer replies drafted in half the time"
# The accounts by role (people of the directory below, but the administrator).
ACCOUNTS = {
    "lead": "gro9@dash.example",
    "exec": "dec9@dash.example",
    "dept_admin": "dec8@dash.example",
    "member": "gro8@dash.example",
}
GRO_WEEKLY = [4, 5, 5, 6, 6, 7, 8, 8]
DEC_WEEKLY = [8, 8, 7, 6, 5, 4, 3, 2]


@dataclass
class Site:
    settings: Settings
    departments: dict[str, int] = field(default_factory=dict)
    people: dict[str, list[Identity]] = field(default_factory=dict)
    weeks: list[date] = field(default_factory=list)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _run(
    settings: Settings,
    who: Identity,
    workflow_id: str,
    day: date,
    *,
    helpful: bool | None = None,
    abstained: bool = False,
) -> None:
    reader = Reader(who)
    with write_session(settings) as session:
        event = record_workflow_run(
            session,
            reader,
            WorkflowRun(workflow_id, "extractive", None, 100, 2, abstained, "en"),
        )
        event.at = _at(day)
        if helpful is not None:
            fb = record_feedback(session, reader, Feedback(event.id, helpful=helpful))
            fb.at = _at(day, 11)


def build(settings: Settings, today: date | None = None) -> Site:
    """Fill a migrated, empty database (see the module docstring)."""
    today = today or date.today()
    site = Site(settings, weeks=complete_weeks(today, 8))
    sizes = {"GRO": 10, "DEC": 10, "TINY": 3, "INJ": 0}
    names = {"GRO": "Growth", "DEC": "Decline", "TINY": "Tiny team", "INJ": HOSTILE_NAME}
    with write_session(settings) as s:
        for code, size in sizes.items():
            d = Department(code=code, name=names[code])
            s.add(d)
            s.flush()
            site.departments[code] = d.id
            people = [
                Person(
                    email=f"{code.lower()}{i}@dash.example", name=f"{code} {i}", department_id=d.id
                )
                for i in range(size)
            ]
            s.add_all(people)
            s.flush()
            site.people[code] = [
                Identity(p.id, p.email, p.name, d.id, frozenset({("member", None)})) for p in people
            ]
        gro, dec = site.departments["GRO"], site.departments["DEC"]
        # Role holders are the departments' own people, so headcounts stay as above.
        for person in s.scalars(select(Person).where(Person.email.in_(ACCOUNTS.values()))):
            set_password(s, person, PASSWORD, actor=SYSTEM)
        create_admin(s, ADMIN, password=PASSWORD, actor=SYSTEM, name="Ada Admin")
        s.add(DepartmentRollout(department_id=gro, stage="pilot"))
        s.add(DepartmentRollout(department_id=dec, stage="planned"))
        s.add(
            StageChange(
                department_id=gro,
                from_stage="planned",
                to_stage="pilot",
                at=_at(today - timedelta(days=3)),
                actor_email=ADMIN,
                reason="",
            )
        )
        s.add(
            ChampionPost(
                kind="story",
                author_id=None,
                author_name="GRO 0",
                department_id=gro,
                title=STORY_TITLE,
                body="Our team answers customers with the reply workflow.",
                impact_value=30,
                impact_unit="minutes a day",
                created_at=_at(today - timedelta(days=2)),
            )
        )
    with write_session(settings) as s:
        grant_role(s, "gro9@dash.example", "programme_lead", actor=SYSTEM)
        grant_role(s, "dec9@dash.example", "executive_viewer", actor=SYSTEM)
        grant_role(s, "dec8@dash.example", "department_admin", actor=SYSTEM, department="DEC")
        grant_role(s, "gro0@dash.example", "champion", actor=SYSTEM, department="GRO")
    for week, (growing, declining) in zip(
        site.weeks, zip(GRO_WEEKLY, DEC_WEEKLY, strict=True), strict=True
    ):
        wednesday = week + timedelta(days=2)
        for who in site.people["GRO"][:growing]:
            _run(settings, who, "customer-service-reply", wednesday, helpful=True)
        for who in site.people["DEC"][:declining]:
            _run(settings, who, "customer-service-reply", wednesday)
    last = site.weeks[-1] + timedelta(days=3)
    for i, who in enumerate(site.people["GRO"][:6]):
        _run(settings, who, "hr-policy-answer", last, helpful=i >= 4)
    for i, who in enumerate(site.people["GRO"][:5] * 2):
        _run(settings, who, "operations-procedure", last, abstained=i < 4)
    for who in site.people["TINY"][:2]:
        _run(settings, who, "sales-proposal", last)
    return site
