"""Writes that change who may do what: collection visibility and role grants, each audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from essor.governance.access import Reader, can_manage_collections
from essor.governance.audit import record
from essor.governance.models import (
    DEPARTMENT_ROLES,
    ROLES,
    CollectionDepartment,
    CollectionPerson,
    RoleGrant,
)
from essor.knowledge.index.state import bump_generation
from essor.knowledge.models import Collection
from essor.people.models import Department, Person


class GovernanceError(ValueError):
    """Bad input for an access change (unknown department, conflicting options...)."""


class NotAllowed(PermissionError):
    """A refused change. Its audit row is written after the refused transaction has rolled
    back (``essor.db.write_session`` calls ``after_rollback``), so the refusal is kept."""

    def __init__(
        self,
        message: str,
        *,
        actor: Reader | None = None,
        action: str = "",
        object_type: str = "",
        object_id: str = "",
        detail: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self._audit = (actor, action, object_type, object_id, detail)

    def after_rollback(self, session: Session) -> None:
        actor, action, object_type, object_id, detail = self._audit
        if action:
            record(
                session,
                actor,
                action,
                object_type=object_type,
                object_id=object_id,
                outcome="denied",
                detail=detail,
            )


def _departments(session: Session, codes: Sequence[str]) -> list[Department]:
    wanted = sorted({c.strip() for c in codes if c.strip()})
    found = session.scalars(select(Department).where(Department.code.in_(wanted))).all()
    missing = sorted(set(wanted) - {d.code for d in found})
    if missing:
        raise GovernanceError(f"unknown department: {', '.join(missing)}")
    return list(found)


def _people(session: Session, emails: Sequence[str]) -> list[Person]:
    wanted = sorted({e.strip().lower() for e in emails if e.strip()})
    found = session.scalars(select(Person).where(Person.email.in_(wanted))).all()
    missing = sorted(set(wanted) - {p.email for p in found})
    if missing:
        raise GovernanceError(f"unknown person: {', '.join(missing)}")
    return list(found)


def visibility_from(departments: Sequence[str], people: Sequence[str]) -> str:
    if departments and people:
        raise GovernanceError("a collection is visible to listed departments or to listed people")
    if departments:
        return "departments"
    return "people" if people else "organisation"


def set_collection_access(
    session: Session,
    collection: Collection,
    *,
    actor: Reader,
    departments: Sequence[str] = (),
    people: Sequence[str] = (),
) -> None:
    """Replace who may read ``collection``; takes effect for the very next search."""
    if not can_manage_collections(actor):
        raise NotAllowed(
            "only administrators and content owners manage collections",
            actor=actor,
            action="collection.access",
            object_type="collection",
            object_id=collection.name,
        )
    visibility = visibility_from(departments, people)
    depts = _departments(session, departments)
    persons = _people(session, people)
    session.execute(
        delete(CollectionDepartment).where(CollectionDepartment.collection_id == collection.id)
    )
    session.execute(delete(CollectionPerson).where(CollectionPerson.collection_id == collection.id))
    session.add_all(
        CollectionDepartment(collection_id=collection.id, department_id=d.id) for d in depts
    )
    session.add_all(CollectionPerson(collection_id=collection.id, person_id=p.id) for p in persons)
    collection.visibility = visibility
    # Cached per-collection masks and answers must not outlive a revocation.
    bump_generation(session)
    record(
        session,
        actor,
        "collection.access",
        object_type="collection",
        object_id=collection.name,
        detail={
            "visibility": visibility,
            "departments": sorted(d.code for d in depts),
            "people": sorted(p.email for p in persons),
        },
    )


def create_collection(
    session: Session,
    name: str,
    *,
    actor: Reader,
    description: str = "",
    departments: Sequence[str] = (),
    people: Sequence[str] = (),
) -> Collection:
    name = name.strip()
    if not name:
        raise GovernanceError("a collection needs a name")
    if len(name) > 200:
        raise GovernanceError("a collection name has at most 200 characters")
    if session.execute(select(Collection.id).where(Collection.name == name)).first():
        raise GovernanceError(f"collection {name!r} already exists")
    visibility_from(departments, people)  # refuse conflicting options before writing
    collection = Collection(name=name, description=description)
    session.add(collection)
    session.flush()
    record(session, actor, "collection.create", object_type="collection", object_id=name)
    set_collection_access(session, collection, actor=actor, departments=departments, people=people)
    return collection


def grant_role(
    session: Session,
    email: str,
    role: str,
    *,
    actor: Reader,
    department: str | None = None,
) -> RoleGrant:
    if not (actor.system or (actor.identity is not None and actor.identity.is_admin)):
        raise NotAllowed(
            "only administrators grant roles",
            actor=actor,
            action="role.grant",
            object_type="person",
            object_id=email,
            detail={"role": role},
        )
    if role not in ROLES or role == "member":
        raise GovernanceError(f"unknown role {role!r}; one of {', '.join(ROLES[1:])}")
    (person,) = _people(session, [email])
    department_id = None
    if role in DEPARTMENT_ROLES:
        if not department:
            raise GovernanceError(f"the {role} role needs a department")
        department_id = _departments(session, [department])[0].id
    existing = session.execute(
        select(RoleGrant).where(
            RoleGrant.person_id == person.id,
            RoleGrant.role == role,
            RoleGrant.department_id.is_(None)
            if department_id is None
            else RoleGrant.department_id == department_id,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    grant = RoleGrant(person_id=person.id, role=role, department_id=department_id)
    session.add(grant)
    record(
        session,
        actor,
        "role.grant",
        object_type="person",
        object_id=person.email,
        detail={"role": role, "department": department},
    )
    return grant


def revoke_role(
    session: Session, email: str, role: str, *, actor: Reader, department: str | None = None
) -> bool:
    if not (actor.system or (actor.identity is not None and actor.identity.is_admin)):
        raise NotAllowed(
            "only administrators revoke roles",
            actor=actor,
            action="role.revoke",
            object_type="person",
            object_id=email,
            detail={"role": role},
        )
    (person,) = _people(session, [email])
    query = delete(RoleGrant).where(RoleGrant.person_id == person.id, RoleGrant.role == role)
    if department:
        query = query.where(RoleGrant.department_id == _departments(session, [department])[0].id)
    removed = session.execute(query).rowcount or 0  # type: ignore[attr-defined]
    record(
        session,
        actor,
        "role.revoke",
        object_type="person",
        object_id=person.email,
        detail={"role": role, "department": department, "removed": removed},
    )
    return removed > 0
