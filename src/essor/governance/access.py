"""Who may read what. Every protected read goes through here; nothing else decides access.

A ``Reader`` is either a person (an ``Identity``) or the operator of this installation (the
local CLI without ``--as``, evaluation runs), who already holds the database file. Anything
else, including no identity at all, reads nothing: access fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from essor.governance.models import (
    DEPARTMENT_ROLES,
    CollectionDepartment,
    CollectionPerson,
    RoleGrant,
)
from essor.knowledge.models import Collection, Document
from essor.people.models import Person
from essor.people.queries import find_person


@dataclass(frozen=True)
class Identity:
    person_id: int
    email: str
    name: str
    department_id: int | None
    # (role, department_id or None); every identity is a member.
    roles: frozenset[tuple[str, int | None]] = field(default_factory=frozenset)

    def has_role(self, role: str, department_id: int | None = None) -> bool:
        if (role, None) in self.roles:
            return True
        return department_id is not None and (role, department_id) in self.roles

    @property
    def is_admin(self) -> bool:
        return ("administrator", None) in self.roles


@dataclass(frozen=True)
class Reader:
    identity: Identity | None
    system: bool = False


SYSTEM = Reader(identity=None, system=True)
NOBODY = Reader(identity=None)


def actor_email(actor: Reader) -> str:
    """Who made a change, as stored beside it: the person's email, or "system"."""
    return actor.identity.email if actor.identity else "system"


class AccessDenied(Exception):
    pass


def is_employed(person: Person, today: date | None = None) -> bool:
    """The same rule as headcounts (people.queries.employed_on): access starts on the first
    day and ends after the last one; someone marked left while serving notice keeps access
    until their end date."""
    today = today or date.today()
    if person.start_date is not None and person.start_date > today:
        return False
    if person.end_date is not None and person.end_date < today:
        return False
    return person.status != "left" or person.end_date is not None


def identity_for(session: Session, email: str) -> Identity | None:
    """The identity of an employed person with this email, or None."""
    person = find_person(session, email)
    if person is None or not is_employed(person):
        return None
    return identity_of(session, person)


def identity_of(session: Session, person: Person) -> Identity:
    grants = session.execute(
        select(RoleGrant.role, RoleGrant.department_id).where(RoleGrant.person_id == person.id)
    ).all()
    roles: set[tuple[str, int | None]] = {("member", None)}
    for role, department_id in grants:
        roles.add((role, department_id if role in DEPARTMENT_ROLES else None))
    return Identity(
        person_id=person.id,
        email=person.email,
        name=person.name,
        department_id=person.department_id,
        roles=frozenset(roles),
    )


_ALL_COLLECTIONS = select(Collection.id)


def readable_collection_ids(session: Session, reader: Reader) -> frozenset[int]:
    """Ids of the collections ``reader`` may read; empty when there is no one to check."""
    if reader.system:
        return frozenset(session.scalars(_ALL_COLLECTIONS).all())
    identity = reader.identity
    if identity is None:
        return frozenset()
    if identity.is_admin:
        return frozenset(session.scalars(_ALL_COLLECTIONS).all())
    queries = [
        select(Collection.id).where(Collection.visibility == "organisation"),
        select(CollectionPerson.collection_id)
        .join(Collection, Collection.id == CollectionPerson.collection_id)
        .where(Collection.visibility == "people", CollectionPerson.person_id == identity.person_id),
    ]
    if identity.department_id is not None:
        queries.append(
            select(CollectionDepartment.collection_id)
            .join(Collection, Collection.id == CollectionDepartment.collection_id)
            .where(
                Collection.visibility == "departments",
                CollectionDepartment.department_id == identity.department_id,
            )
        )
    return frozenset(session.scalars(union(*queries)).all())


def can_read_collection(session: Session, reader: Reader, collection_id: int) -> bool:
    return collection_id in readable_collection_ids(session, reader)


def can_read_document(session: Session, reader: Reader, document_id: int) -> bool:
    collection_id = session.execute(
        select(Document.collection_id).where(Document.id == document_id)
    ).scalar_one_or_none()
    return collection_id is not None and can_read_collection(session, reader, collection_id)


def can_manage_collections(reader: Reader) -> bool:
    """Create collections, set their visibility, upload to them."""
    if reader.system:
        return True
    identity = reader.identity
    return identity is not None and (identity.is_admin or identity.has_role("content_owner"))


# -- administration ------------------------------------------------------------------------
def can_import_people(identity: Identity | None) -> bool:
    return identity is not None and identity.is_admin


def people_scope(identity: Identity | None) -> int | bool | None:
    """Which people an identity may list: True (everyone), a department id, or False."""
    if identity is None:
        return False
    if identity.is_admin or identity.has_role("programme_lead"):
        return True
    if identity.department_id is not None and identity.has_role(
        "department_admin", identity.department_id
    ):
        return identity.department_id
    return False


def can_manage_roles(identity: Identity | None) -> bool:
    return identity is not None and identity.is_admin


def can_read_audit(identity: Identity | None) -> bool:
    return identity is not None and identity.is_admin


def can_manage_rollout(reader: Reader, department_id: int | None) -> bool:
    """Change a department's rollout (stage, wave, checklist, support owners): administrators
    and programme leads everywhere, a department admin only in their own department.
    ``department_id`` None means organisation-wide settings (waves, shared support owners),
    which only administrators and programme leads change."""
    if reader.system:
        return True
    identity = reader.identity
    if identity is None:
        return False
    if identity.is_admin or identity.has_role("programme_lead"):
        return True
    return department_id is not None and identity.has_role("department_admin", department_id)
