"""Who may see and change the budget.

Seeing: administrators, programme leads, executive viewers, and any department's budget owner
(``DepartmentRollout.budget_owner_id``). Changing cost lines: administrators and programme
leads only; executive viewers and budget owners read.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.governance.access import Reader
from essor.rollout.models import DepartmentRollout


def can_manage_budget(reader: Reader) -> bool:
    if reader.system:
        return True
    identity = reader.identity
    return identity is not None and (identity.is_admin or identity.has_role("programme_lead"))


def is_budget_owner(session: Session, person_id: int) -> bool:
    return (
        session.scalar(
            select(DepartmentRollout.id).where(DepartmentRollout.budget_owner_id == person_id)
        )
        is not None
    )


def can_see_budget(session: Session, reader: Reader) -> bool:
    if can_manage_budget(reader):
        return True
    identity = reader.identity
    if identity is None:
        return False
    return identity.has_role("executive_viewer") or is_budget_owner(session, identity.person_id)
