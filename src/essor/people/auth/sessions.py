"""Server-side web sessions: the cookie carries a random token, the table its SHA-256 digest.

A stolen database therefore yields no usable cookie, and ending a session is deleting a row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from essor.governance.access import Identity, identity_of
from essor.people.auth.clock import as_utc
from essor.people.auth.models import IP_MAX, USER_AGENT_MAX, WebSession
from essor.people.auth.standing import may_act
from essor.people.models import Person

TOKEN_BYTES = 32
# last_seen_at is informative only; writing it on every request would turn every page view
# into a write transaction.
TOUCH_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie value; exists only in this object and the response
    session_id: int
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ActiveSession:
    session_id: int
    identity: Identity
    csrf_token: str
    expires_at: datetime
    needs_touch: bool


@dataclass(frozen=True)
class SessionCheck:
    active: ActiveSession | None = None
    # A session that exists but may no longer be used (expired, person left or disabled):
    # the caller deletes it.
    dead_id: int | None = None


def create_session(
    session: Session,
    person: Person,
    *,
    at: datetime,
    days: int,
    method: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> NewSession:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = WebSession(
        token_hash=digest(token),
        person_id=person.id,
        csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
        method=method,
        created_at=at,
        last_seen_at=at,
        expires_at=at + timedelta(days=days),
        ip=ip[:IP_MAX] if ip else None,
        user_agent=user_agent[:USER_AGENT_MAX] if user_agent else None,
    )
    session.add(row)
    session.flush()
    return NewSession(token, row.id, row.csrf_token, row.expires_at)


def check_session(session: Session, token: str, *, at: datetime) -> SessionCheck:
    """The signed-in identity behind a cookie token, re-checked against the directory now."""
    row = session.execute(
        select(WebSession).where(WebSession.token_hash == digest(token))
    ).scalar_one_or_none()
    if row is None:
        return SessionCheck()
    person = session.get(Person, row.person_id)
    if person is None or as_utc(row.expires_at) <= at or not may_act(session, person):
        return SessionCheck(dead_id=row.id)
    return SessionCheck(
        active=ActiveSession(
            session_id=row.id,
            identity=identity_of(session, person),
            csrf_token=row.csrf_token,
            expires_at=as_utc(row.expires_at),
            needs_touch=at - as_utc(row.last_seen_at) >= TOUCH_EVERY,
        )
    )


def touch(session: Session, session_id: int, *, at: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=at))


def delete_session(session: Session, session_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.id == session_id))


def find_by_token(session: Session, token: str) -> WebSession | None:
    return session.execute(
        select(WebSession).where(WebSession.token_hash == digest(token))
    ).scalar_one_or_none()


def delete_for_person(session: Session, person_id: int) -> int:
    result = session.execute(delete(WebSession).where(WebSession.person_id == person_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_expired(session: Session, *, at: datetime) -> int:
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= at))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
