"""The readiness checklist: seven default items, custom items, and the readiness ratio.

Three defaults are computed from the data rather than declared, so a department cannot tick
them without the thing being true: champions (a champion role for the department), use cases
(a workflow of the department in pilot or production) and the support model (every support
area has an owner for the department or the whole organisation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essor.governance.models import RoleGrant
from essor.people.models import Department, Person
from essor.people.queries import employed_on
from essor.rollout.models import SUPPORT_AREAS, ReadinessItem
from essor.rollout.support import covered_areas
from essor.settings import Settings
from essor.workflows.registry import PUBLISHED, load_registry
from essor.workflows.schema import ALL_DEPARTMENTS


@dataclass(frozen=True)
class ItemSpec:
    key: str
    en: str
    fr: str
    computed: bool = False


DEFAULT_ITEMS = (
    ItemSpec(
        "budget_model",
        "A budget model that works at full scale",
        "Un modèle budgétaire tenable à pleine échelle",
    ),
    ItemSpec("champions", "Champions identified", "Champions identifiés", computed=True),
    ItemSpec(
        "use_cases",
        "Use cases developed for this team",
        "Cas d'usage développés pour cette équipe",
        computed=True,
    ),
    ItemSpec(
        "training_approach",
        "A training approach beyond intensive workshops",
        "Une formation au-delà des ateliers intensifs",
    ),
    ItemSpec(
        "support_model",
        "A sustainable support model",
        "Un modèle de support durable",
        computed=True,
    ),
    ItemSpec(
        "executive_sponsorship",
        "Executive sponsorship maintained",
        "Parrainage de la direction maintenu",
    ),
    ItemSpec(
        "success_metrics",
        "Success metrics that keep tracking impact",
        "Des indicateurs de succès qui suivent l'impact dans la durée",
    ),
)
DEFAULT_KEYS = {spec.key: spec for spec in DEFAULT_ITEMS}
COMPUTED_KEYS = frozenset(spec.key for spec in DEFAULT_ITEMS if spec.computed)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    status: str
    computed: bool
    custom: bool
    owner_email: str | None = None
    evidence: str = ""
    evidence_url: str = ""
    updated_at: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "computed": self.computed,
            "custom": self.custom,
            "owner": self.owner_email,
            "evidence": self.evidence,
            "evidence_url": self.evidence_url,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


@dataclass(frozen=True)
class Readiness:
    done: int
    total: int
    open_items: tuple[str, ...]

    @property
    def ratio(self) -> float | None:
        """Items done ÷ items, not-applicable items left out of both; None with no items."""
        return self.done / self.total if self.total else None


def use_case_departments(settings: Settings) -> frozenset[str]:
    """Department codes (case-folded) with at least one workflow in pilot or production.
    Workflows for "all" departments are no use case developed for one team."""
    return frozenset(
        d.department.casefold()
        for d in load_registry(settings).definitions.values()
        if d.status in PUBLISHED and d.department != ALL_DEPARTMENTS
    )


def champion_count(session: Session, department_id: int, on: date | None = None) -> int:
    """Employed people holding the champion role for this department."""
    return (
        session.scalar(
            select(func.count(func.distinct(RoleGrant.person_id)))
            .join(Person, Person.id == RoleGrant.person_id)
            .where(
                RoleGrant.role == "champion",
                RoleGrant.department_id == department_id,
                employed_on(on or date.today()),
            )
        )
        or 0
    )


def _computed_status(
    session: Session, key: str, department: Department, use_cases: frozenset[str]
) -> str:
    if key == "champions":
        ok = champion_count(session, department.id) > 0
    elif key == "use_cases":
        ok = department.code.casefold() in use_cases
    else:
        ok = covered_areas(session, department.id) >= set(SUPPORT_AREAS)
    return "done" if ok else "open"


def checklist(
    session: Session,
    department: Department,
    *,
    use_cases: frozenset[str],
    language: str = "en",
) -> list[ChecklistItem]:
    """The defaults in their fixed order, then custom items in the order they were added."""
    rows = session.execute(
        select(ReadinessItem, Person.email)
        .outerjoin(Person, Person.id == ReadinessItem.owner_id)
        .where(ReadinessItem.department_id == department.id)
        .order_by(ReadinessItem.id)
    ).all()
    stored = {row.key: (row, email) for row, email in rows}
    items = []
    for spec in DEFAULT_ITEMS:
        row, email = stored.get(spec.key, (None, None))
        if spec.computed:
            status = _computed_status(session, spec.key, department, use_cases)
        else:
            status = row.status if row else "open"
        items.append(
            ChecklistItem(
                key=spec.key,
                title=spec.fr if language == "fr" else spec.en,
                status=status,
                computed=spec.computed,
                custom=False,
                owner_email=email,
                evidence=row.evidence if row else "",
                evidence_url=row.evidence_url if row else "",
                updated_at=row.updated_at if row else None,
            )
        )
    for row, email in rows:
        if row.key not in DEFAULT_KEYS:
            items.append(
                ChecklistItem(
                    key=row.key,
                    title=row.title,
                    status=row.status,
                    computed=False,
                    custom=True,
                    owner_email=email,
                    evidence=row.evidence,
                    evidence_url=row.evidence_url,
                    updated_at=row.updated_at,
                )
            )
    return items


def readiness(items: list[ChecklistItem]) -> Readiness:
    counted = [i for i in items if i.status != "not_applicable"]
    return Readiness(
        done=sum(1 for i in counted if i.status == "done"),
        total=len(counted),
        open_items=tuple(i.key for i in counted if i.status == "open"),
    )
