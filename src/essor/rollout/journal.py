"""The pilot journal: what a department learns during its pilot, by category, from which its
playbook is generated.

Who writes: the people in the pilot — the department's cohort members, its champions and its
department admin — plus programme leads and administrators. Who reads: those, the department's
own people (so the rest of the team sees what the pilot learned) and executive viewers. An
author edits or deletes their own entry; the department's rollout managers (department admin,
programme leads, administrators) may also delete any entry of the department, to moderate it.
Every change is audited; a refusal raises ``NotAllowed`` and is audited too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.governance.access import Reader, can_manage_rollout
from essor.governance.actions import NotAllowed
from essor.governance.audit import record
from essor.knowledge.models import utcnow
from essor.people.models import Department
from essor.people.queries import known_department
from essor.rollout.cohorts import is_cohort_member
from essor.rollout.pilot_models import CATEGORIES, ENTRY_BODY_MAX, ENTRY_TITLE_MAX, JournalEntry

__all__ = [
    "CATEGORIES",
    "ENTRY_BODY_MAX",
    "ENTRY_TITLE_MAX",
    "EntryNotFound",
    "EntryView",
    "JournalError",
    "add_entry",
    "can_read_journal",
    "can_write_journal",
    "delete_entry",
    "edit_entry",
    "entries",
]


class JournalError(ValueError):
    """Bad input for a journal entry (empty title, text too long, unknown problem...)."""


class EntryNotFound(LookupError):
    """No such entry in this department (or one the reader may not see: the same answer)."""


# -- access --------------------------------------------------------------------------------
def can_write_journal(session: Session, reader: Reader, department_id: int) -> bool:
    if can_manage_rollout(reader, department_id):
        return True
    identity = reader.identity
    if identity is None:
        return False
    if identity.has_role("champion", department_id):
        return True
    return is_cohort_member(session, identity.person_id, department_id)


def can_read_journal(session: Session, reader: Reader, department_id: int) -> bool:
    identity = reader.identity
    if identity is not None and (
        identity.department_id == department_id or identity.has_role("executive_viewer")
    ):
        return True
    return can_write_journal(session, reader, department_id)


# -- reads ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class EntryView:
    id: int
    category: str
    title: str
    body: str
    author_name: str
    author_email: str
    author_id: int | None
    created_at: datetime
    updated_at: datetime
    resolves_id: int | None = None
    # For a problem: the ids of the resolutions that name it, oldest first.
    resolutions: tuple[int, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.category == "problem" and bool(self.resolutions)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "category": self.category,
            "title": self.title,
            "body": self.body,
            "author": {"name": self.author_name, "email": self.author_email},
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "resolves": self.resolves_id,
            "resolutions": list(self.resolutions),
            "resolved": self.resolved,
        }


def entries(session: Session, department_id: int) -> list[EntryView]:
    """Every entry of the department, oldest first, problems knowing their resolutions."""
    rows = list(
        session.scalars(
            select(JournalEntry)
            .where(JournalEntry.department_id == department_id)
            .order_by(JournalEntry.created_at, JournalEntry.id)
        )
    )
    resolutions: dict[int, list[int]] = {}
    for row in rows:
        if row.category == "resolution" and row.resolves_id is not None:
            resolutions.setdefault(row.resolves_id, []).append(row.id)
    return [
        EntryView(
            id=row.id,
            category=row.category,
            title=row.title,
            body=row.body,
            author_name=row.author_name,
            author_email=row.author_email,
            author_id=row.author_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            resolves_id=row.resolves_id,
            resolutions=tuple(resolutions.get(row.id, ())),
        )
        for row in rows
    ]


# -- writes --------------------------------------------------------------------------------
def _department(session: Session, code: str) -> Department:
    return known_department(session, code, JournalError)


def _text(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip().replace("\r\n", "\n")
    if not title:
        raise JournalError("an entry needs a title")
    if len(title) > ENTRY_TITLE_MAX:
        raise JournalError(f"the title is longer than {ENTRY_TITLE_MAX} characters")
    if len(body) > ENTRY_BODY_MAX:
        raise JournalError(f"the text is longer than {ENTRY_BODY_MAX} characters")
    return title, body


def _entry(session: Session, department: Department, entry_id: int) -> JournalEntry:
    entry = session.get(JournalEntry, entry_id)
    if entry is None or entry.department_id != department.id:
        raise EntryNotFound(entry_id)
    return entry


def _audit(
    session: Session, actor: Reader, action: str, entry: JournalEntry, department: Department
) -> None:
    record(
        session,
        actor,
        action,
        object_type="journal_entry",
        object_id=entry.id,
        detail={
            "department": department.code,
            "category": entry.category,
            "title": entry.title,
            "resolves": entry.resolves_id,
        },
    )


def add_entry(
    session: Session,
    department_code: str,
    category: str,
    title: str,
    body: str = "",
    *,
    actor: Reader,
    resolves: int | None = None,
) -> JournalEntry:
    """Write an entry. A resolution must name an open or resolved problem of the same
    department (``resolves``); no other category may name one."""
    department = _department(session, department_code)
    if not can_write_journal(session, actor, department.id):
        raise NotAllowed(
            "you may not write in this department's pilot journal",
            actor=actor,
            action="journal.add",
            object_type="journal",
            object_id=department.code,
        )
    category = category.strip()
    if category not in CATEGORIES:
        raise JournalError(f"category must be one of {', '.join(CATEGORIES)}")
    title, body = _text(title, body)
    if category == "resolution":
        if resolves is None:
            raise JournalError("a resolution names the problem it resolves")
        try:
            problem = _entry(session, department, resolves)
        except EntryNotFound:
            raise JournalError(f"no problem {resolves} in {department.code}'s journal") from None
        if problem.category != "problem":
            raise JournalError(f"entry {resolves} is not a problem")
    elif resolves is not None:
        raise JournalError("only a resolution names a problem")
    identity = actor.identity
    entry = JournalEntry(
        department_id=department.id,
        category=category,
        title=title,
        body=body,
        author_id=identity.person_id if identity else None,
        author_name=identity.name if identity else "",
        author_email=identity.email if identity else "system",
        resolves_id=resolves,
    )
    session.add(entry)
    session.flush()
    _audit(session, actor, "journal.add", entry, department)
    return entry


def _own(actor: Reader, entry: JournalEntry) -> bool:
    identity = actor.identity
    if identity is None:
        return actor.system
    return entry.author_id is not None and entry.author_id == identity.person_id


def edit_entry(
    session: Session,
    department_code: str,
    entry_id: int,
    *,
    actor: Reader,
    title: str,
    body: str,
) -> JournalEntry:
    """Change the title and text of one's own entry (nobody rewrites someone else's words)."""
    department = _department(session, department_code)
    entry = _entry(session, department, entry_id)
    if not _own(actor, entry) or not can_write_journal(session, actor, department.id):
        raise NotAllowed(
            "you may only edit your own journal entries",
            actor=actor,
            action="journal.edit",
            object_type="journal_entry",
            object_id=str(entry_id),
        )
    entry.title, entry.body = _text(title, body)
    entry.updated_at = utcnow()
    _audit(session, actor, "journal.edit", entry, department)
    return entry


def delete_entry(session: Session, department_code: str, entry_id: int, *, actor: Reader) -> None:
    """Delete one's own entry, or (department admin, programme lead, administrator) any entry
    of the department. A problem that has a resolution is kept: delete the resolution first,
    so the playbook never shows a resolution of nothing."""
    department = _department(session, department_code)
    entry = _entry(session, department, entry_id)
    own = _own(actor, entry) and can_write_journal(session, actor, department.id)
    if not (own or can_manage_rollout(actor, department.id)):
        raise NotAllowed(
            "you may only delete your own journal entries",
            actor=actor,
            action="journal.delete",
            object_type="journal_entry",
            object_id=str(entry_id),
        )
    has_resolution = session.scalar(
        select(JournalEntry.id).where(JournalEntry.resolves_id == entry.id).limit(1)
    )
    if has_resolution is not None:
        raise JournalError("this problem has a resolution: delete the resolution first")
    _audit(session, actor, "journal.delete", entry, department)
    session.delete(entry)
