"""The demo pilot: HR (in pilot) has a cohort of 20 people with a realistic mix of attitudes
(sceptics included, above the 20 % threshold) and a journal written by its champion and cohort
members, in French and English, so its playbook reads like a real one.

Seeded once: if HR already has a cohort or a journal, it is left as people made it since.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.demo.rollout import MOVED_DAYS_AGO
from essor.governance.access import Reader, identity_of
from essor.governance.models import RoleGrant
from essor.people.models import Department, Person
from essor.rollout.cohorts import enrol
from essor.rollout.journal import add_entry
from essor.rollout.pilot_models import CohortMember, JournalEntry
from essor.settings import Settings

DEPARTMENT = "HR"
COHORT_SIZE = 20
# Seven enthusiasts, eight neutrals, five sceptics: 25 % sceptics, a pilot that will hear
# objections. Assigned in directory order, so the mix is the same at every seeding.
E, N, S = "enthusiast", "neutral", "sceptic"
ATTITUDES = (E, N, S, E, N, N, E, S, N, E, S, N, E, N, S, E, N, S, E, N)
# The pilot started nine weeks before the demo was seeded (its stage move says so too).
PILOT_DAYS_AGO = MOVED_DAYS_AGO[("HR", "pilot")]

# (days after the pilot start, author: "champion" or a cohort index, category, title, body,
#  index of the problem it resolves among the problems listed before it)
JOURNAL: list[tuple[int, str | int, str, str, str, int | None]] = [
    (
        0,
        "champion",
        "onboarding",
        "Comptes ouverts la veille · Accounts opened the day before",
        "Tous les membres de la cohorte ont reçu leur accès la veille du lancement : personne "
        "n'a perdu la première matinée.\nEvery cohort member had their access the day before "
        "the launch, so nobody lost the first morning.",
        None,
    ),
    (
        1,
        "champion",
        "onboarding",
        "Binômes sceptique–enthousiaste · Sceptic–enthusiast pairs",
        "Chaque sceptique est associé à un enthousiaste pour la première semaine ; les "
        "questions arrivent plus vite. Each sceptic was paired with an enthusiast for the "
        "first week; questions came sooner.",
        None,
    ),
    (
        4,
        0,
        "training",
        "Sessions de 30 minutes · Thirty-minute sessions",
        "Trois sessions courtes sur des cas réels (congés, télétravail, notes de frais) ont "
        "mieux marché qu'un atelier d'une journée. Three short sessions on real cases worked "
        "better than a full-day workshop.",
        None,
    ),
    (
        9,
        2,
        "problem",
        "Réponses sur les congés : ancienne politique · Leave answers cite the old policy",
        "L'assistant cite parfois la politique de congés 2023, encore présente dans la "
        "collection. The assistant sometimes cites the 2023 leave policy, still in the "
        "collection.",
        None,
    ),
    (
        12,
        "champion",
        "resolution",
        "Ancienne politique archivée · Old policy archived",
        "La politique 2023 a été retirée de la collection RH et la page de réponse indique "
        "désormais la date du document. The 2023 policy was removed from the HR collection; "
        "answers now show the document's date.",
        0,
    ),
    (
        16,
        7,
        "problem",
        "Pas de guide pour les temps partiels · No guide for part-time contracts",
        "Les questions sur le temps partiel thérapeutique restent sans réponse : aucun document "
        "ne le couvre. Questions on part-time contracts go unanswered: no document covers them.",
        None,
    ),
    (
        21,
        4,
        "training",
        "Exemples partagés dans le canal RH · Examples shared in the HR channel",
        "Les meilleures questions de la semaine sont partagées chaque vendredi. The week's best "
        "questions are shared every Friday.",
        None,
    ),
    (
        25,
        9,
        "resource_wished",
        "Glossaire paie · Payroll glossary",
        "Un glossaire des termes de paie (brut, net, cotisations) aiderait les nouveaux "
        "arrivants. A glossary of payroll terms would help newcomers.",
        None,
    ),
    (
        30,
        12,
        "resource_wished",
        "Modèles de courriers · Letter templates",
        "Des modèles de courriers RH (attestation, avenant) à utiliser avec le workflow. HR "
        "letter templates to use with the workflow.",
        None,
    ),
]


def _reader(session: Session, person: Person) -> Reader:
    return Reader(identity_of(session, person))


def seed_pilot(session: Session, settings: Settings) -> bool:
    """Returns whether it seeded (False when HR already has a cohort or journal)."""
    department = session.scalar(select(Department).where(Department.code == DEPARTMENT))
    if department is None:
        return False
    for table in (CohortMember, JournalEntry):
        taken = session.execute(
            select(table.id).where(table.department_id == department.id).limit(1)
        ).first()
        if taken is not None:
            return False
    start = date.today() - timedelta(days=PILOT_DAYS_AGO)
    champion = session.scalar(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == "champion", RoleGrant.department_id == department.id)
        .order_by(Person.email)
        .limit(1)
    )
    people = list(
        session.scalars(
            select(Person)
            .where(
                Person.department_id == department.id,
                ~Person.email.startswith("head."),
                Person.status != "left",
            )
            .order_by(Person.email)
        )
    )
    candidates = [p for p in people if champion is None or p.id != champion.id]
    members = candidates[:COHORT_SIZE]
    system = Reader(identity=None, system=True)
    for i, person in enumerate(members):
        attitude = ATTITUDES[i % len(ATTITUDES)]
        enrol(session, DEPARTMENT, person.email, attitude, actor=system, enrolled_on=start)
    problems: list[int] = []
    for days, author, category, title, body, resolves in JOURNAL:
        writer = champion if author == "champion" else members[int(author) % len(members)]
        if writer is None:
            continue
        entry = add_entry(
            session,
            DEPARTMENT,
            category,
            title,
            body,
            actor=_reader(session, writer),
            resolves=problems[resolves] if resolves is not None else None,
        )
        if category == "problem":
            problems.append(entry.id)
        # Spread over the pilot, as if written along the way (at the end of a working day).
        written = datetime.combine(start + timedelta(days=days), time(16, 30), tzinfo=UTC)
        entry.created_at = entry.updated_at = written
    session.flush()
    return True
