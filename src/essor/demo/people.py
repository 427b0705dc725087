"""The demo organisation's directory: departments, ~330 people, and who may read what.

Generated deterministically (no randomness), so seeding twice changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.governance.access import SYSTEM
from essor.governance.actions import grant_role, set_collection_access
from essor.governance.models import CollectionDepartment
from essor.knowledge.models import Collection
from essor.people.actions import FIELD_COLUMNS, ImportSummary, PersonInput, upsert_people
from essor.people.models import Department

DOMAIN = "essor-demo.example"
ADMIN_EMAIL = f"admin@{DOMAIN}"
MEMBER_EMAIL = f"member@{DOMAIN}"

# code -> (name, number of people)
DEPARTMENTS: dict[str, tuple[str, int]] = {
    "HR": ("Ressources humaines · Human resources", 24),
    "CS": ("Service client · Customer service", 90),
    "SALES": ("Ventes · Sales", 60),
    "OPS": ("Opérations · Operations", 70),
    "IT": ("Informatique · IT", 40),
    "FIN": ("Finance", 30),
    "TRAIN": ("Formation · Training", 16),
}

# Who may read each demo collection: None is the whole organisation.
VISIBILITY: dict[str, list[str] | None] = {
    "hr": None,
    "operations": None,
    "training": None,
    "customer-service": ["CS", "OPS"],
    "sales": ["SALES", "CS"],
}

FIRST = [
    "Camille",
    "Sam",
    "Léa",
    "Oliver",
    "Hugo",
    "Amelia",
    "Chloé",
    "George",
    "Louis",
    "Isla",
    "Manon",
    "Harry",
    "Jules",
    "Ava",
    "Inès",
    "Noah",
    "Lucas",
    "Mia",
    "Emma",
    "Jack",
    "Zoé",
    "Leo",
    "Nathan",
    "Grace",
    "Sarah",
    "Arthur",
    "Alice",
    "Theo",
    "Jade",
    "Freya",
]
LAST = [
    "Martin",
    "Taylor",
    "Bernard",
    "Smith",
    "Dubois",
    "Jones",
    "Thomas",
    "Brown",
    "Robert",
    "Williams",
    "Richard",
    "Wilson",
    "Petit",
    "Davies",
    "Durand",
    "Evans",
    "Leroy",
    "Moreau",
    "Walker",
    "Simon",
    "Laurent",
    "Wright",
    "Lefebvre",
    "Hughes",
    "Michel",
    "Green",
    "Garcia",
]
TITLES = {
    "HR": "HR advisor",
    "CS": "Customer service agent",
    "SALES": "Account executive",
    "OPS": "Operations coordinator",
    "IT": "Systems engineer",
    "FIN": "Financial analyst",
    "TRAIN": "Learning designer",
}
ATTITUDES = ["neutral", "enthusiast", "neutral", "sceptic", "neutral", "enthusiast", "sceptic"]
TIERS = ["occasional", "everyone", "occasional", "power", "everyone", "occasional"]


def demo_people() -> list[PersonInput]:
    people: list[PersonInput] = []
    n = 0
    start = date(2019, 1, 7)
    for code, (_, size) in DEPARTMENTS.items():
        head = f"head.{code.lower()}@{DOMAIN}"
        for i in range(size):
            first, last = FIRST[n % len(FIRST)], LAST[(n * 7) % len(LAST)]
            email = head if i == 0 else f"{first.lower()}.{last.lower()}.{n}@{DOMAIN}"
            people.append(
                PersonInput(
                    line=n + 1,
                    email=_ascii(email),
                    name=f"{first} {last}",
                    department=code,
                    job_title=f"Head of {code}" if i == 0 else TITLES[code],
                    manager_email=None if i == 0 else head,
                    start_date=start + timedelta(days=(n * 37) % 2200),
                    attitude=ATTITUDES[n % len(ATTITUDES)],
                    training_tier=TIERS[n % len(TIERS)],
                )
            )
            n += 1
    people.append(
        PersonInput(
            line=n + 1,
            email=ADMIN_EMAIL,
            name="Camille Martin (demo admin)",
            department="IT",
            job_title="AI programme lead",
            start_date=start,
        )
    )
    people.append(
        PersonInput(
            line=n + 2,
            email=MEMBER_EMAIL,
            name="Sam Taylor (demo member)",
            department="CS",
            job_title="Customer service agent",
            manager_email=f"head.cs@{DOMAIN}",
            start_date=start,
            attitude="sceptic",
            training_tier="occasional",
        )
    )
    return people


def _ascii(email: str) -> str:
    return email.replace("é", "e").replace("è", "e").replace("ï", "i")


def seed_people(session: Session) -> ImportSummary:
    """Directory, department names, visibilities and the demo admin's role."""
    summary = upsert_people(session, demo_people(), columns=FIELD_COLUMNS.values())
    for dept in session.scalars(select(Department).where(Department.code.in_(DEPARTMENTS))):
        dept.name = DEPARTMENTS[dept.code][0]
    for name, departments in VISIBILITY.items():
        collection = session.execute(
            select(Collection).where(Collection.name == name)
        ).scalar_one_or_none()
        if collection is None:
            continue
        current = set(
            session.scalars(
                select(Department.code)
                .join(CollectionDepartment, CollectionDepartment.department_id == Department.id)
                .where(CollectionDepartment.collection_id == collection.id)
            )
        )
        wanted = "organisation" if departments is None else "departments"
        if collection.visibility != wanted or current != set(departments or []):
            set_collection_access(session, collection, actor=SYSTEM, departments=departments or [])
    grant_role(session, ADMIN_EMAIL, "administrator", actor=SYSTEM)
    return summary
