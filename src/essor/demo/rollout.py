"""The demo organisation mid-rollout: IT adopted, customer service rolling out, HR in pilot,
the others planned; waves, champions, support owners and checklist evidence.

Seeded once: if any stage change exists, the rollout is left as people made it since.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.demo.people import ADMIN_EMAIL, DOMAIN
from essor.governance.access import SYSTEM
from essor.governance.actions import grant_role
from essor.people.models import Department, Person
from essor.rollout.actions import (
    advance_stage,
    assign_support,
    create_wave,
    set_item,
    set_sponsor,
    set_wave,
)
from essor.rollout.models import StageChange
from essor.settings import Settings

WAVES = [
    (
        "Vague 1 · Wave 1",
        "Prove value with IT and customer service",
        date(2026, 3, 2),
        ["IT", "CS"],
    ),
    (
        "Vague 2 · Wave 2",
        "HR and sales, with sceptics in the cohort",
        date(2026, 9, 7),
        ["HR", "SALES"],
    ),
    (
        "Vague 3 · Wave 3",
        "Operations, finance, training",
        date(2027, 1, 11),
        ["OPS", "FIN", "TRAIN"],
    ),
]
# department -> number of stage moves from "planned"
STAGES = {"IT": 3, "CS": 2, "HR": 1}
# When each demo move happened, in days before seeding, so the stage history, the milestones
# of the executive report and the simulated usage (which starts with each stage) agree.
MOVED_DAYS_AGO = {
    ("IT", "pilot"): 120,
    ("IT", "rolling_out"): 96,
    ("IT", "adopted"): 21,
    ("CS", "pilot"): 100,
    ("CS", "rolling_out"): 50,
    ("HR", "pilot"): 63,
}
DONE_ITEMS = {
    "IT": ["budget_model", "training_approach", "executive_sponsorship", "success_metrics"],
    "CS": ["budget_model", "executive_sponsorship"],
    "HR": ["executive_sponsorship"],
}
SUPPORT = [  # area, owner, weekly hours, department (None: whole organisation)
    ("technical", f"head.it@{DOMAIN}", 6.0, None),
    ("adoption", ADMIN_EMAIL, 8.0, None),
    ("governance", f"head.fin@{DOMAIN}", 2.0, None),
    ("content", f"head.cs@{DOMAIN}", 4.0, "CS"),
    ("content", f"head.it@{DOMAIN}", 2.0, "IT"),
]


def _champions(session: Session, code: str, n: int) -> list[str]:
    rows = session.execute(
        select(Person.email)
        .join(Department, Department.id == Person.department_id)
        .where(Department.code == code, ~Person.email.startswith("head."))
        .order_by(Person.email)
        .limit(n)
    ).scalars()
    return list(rows)


def seed_rollout(session: Session, settings: Settings) -> bool:
    """Returns whether it seeded (False when a rollout already exists)."""
    if session.execute(select(StageChange.id).limit(1)).first() is not None:
        return False
    for name, goals, start, departments in WAVES:
        create_wave(session, name, actor=SYSTEM, goals=goals, start=start)
        for code in departments:
            set_wave(session, code, name, actor=SYSTEM)
    for code, n in (("IT", 2), ("CS", 2), ("HR", 1)):
        for email in _champions(session, code, n):
            grant_role(session, email, "champion", actor=SYSTEM, department=code)
    for area, owner, hours, department in SUPPORT:
        assign_support(
            session, area, owner, actor=SYSTEM, weekly_hours=hours, department_code=department
        )
    for code, keys in DONE_ITEMS.items():
        set_sponsor(session, code, f"head.{code.lower()}@{DOMAIN}", actor=SYSTEM)
        for key in keys:
            set_item(
                session,
                code,
                key,
                actor=SYSTEM,
                status="done",
                evidence="Validé en comité de pilotage · approved by the steering committee",
            )
    for code, moves in STAGES.items():
        for _ in range(moves):
            advance_stage(
                session,
                code,
                actor=SYSTEM,
                reason="Demo history: moved on with the steering committee's agreement",
                settings=settings,
            )
    session.flush()
    now = datetime.now(UTC)
    history = session.execute(
        select(StageChange, Department.code).join(
            Department, Department.id == StageChange.department_id
        )
    )
    for move, code in history:
        if (code, move.to_stage) in MOVED_DAYS_AGO:
            move.at = now - timedelta(days=MOVED_DAYS_AGO[(code, move.to_stage)])
    return True
