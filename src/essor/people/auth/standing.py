"""Whether a person may act at all right now: employed, and their account not disabled.

Checked at every request, for sessions and tokens alike, so that a departure or a disabling
takes effect on the very next request rather than when a session expires.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.governance.access import is_employed
from essor.people.auth.models import Account
from essor.people.models import Person


def is_disabled(session: Session, person_id: int) -> bool:
    disabled = session.execute(
        select(Account.disabled).where(Account.person_id == person_id)
    ).scalar_one_or_none()
    return bool(disabled)


def may_act(session: Session, person: Person) -> bool:
    return is_employed(person) and not is_disabled(session, person.id)
