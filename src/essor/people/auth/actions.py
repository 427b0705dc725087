"""Sign-in writes, each audited in the same transaction: accounts, sign-in and sign-out,
API tokens.

``sign_in_person`` starts a web session for someone already authenticated by any means
(password, a trusted proxy, later an OpenID Connect callback); ``sign_in`` is the password
path in front of it. No function here logs, stores or audits a password or a raw token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essor.db import write_session
from essor.governance.access import Identity, Reader, identity_of, is_employed
from essor.governance.actions import GovernanceError, grant_role
from essor.governance.audit import record
from essor.people.auth import sessions, throttle
from essor.people.auth.clock import now
from essor.people.auth.models import TOKEN_NAME_MAX, Account, ApiToken
from essor.people.auth.passwords import (
    burn_verification,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from essor.people.auth.standing import is_disabled, may_act
from essor.people.auth.tokens import TokenInfo, new_token, token_info
from essor.people.models import EMAIL_MAX, NAME_MAX, Person
from essor.people.queries import find_person
from essor.settings import Settings

MAX_ACTIVE_TOKENS = 50
# Deliberately loose: the directory import validates emails; this only keeps out typos
# such as a missing "@" when an operator creates the first administrator.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AuthError(Exception):
    pass


class SignInFailed(AuthError):
    """Wrong email or password, or an account that may not sign in: one error for all, so
    that an answer never tells whether an email has an account."""

    def __init__(self) -> None:
        super().__init__("wrong email or password")


class SignInThrottled(AuthError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} seconds")
        self.retry_after = retry_after


class AccountError(AuthError):
    """Bad input for an account or token change (unknown person, weak password...); ``code``
    names the problem for interfaces that show it in another language."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SignedIn:
    token: str  # the new session cookie's value
    csrf_token: str
    expires_at: datetime
    identity: Identity


# --- signing in and out ----------------------------------------------------------------


def sign_in_person(
    session: Session,
    person: Person,
    *,
    days: int,
    method: str,
    ip: str | None = None,
    user_agent: str | None = None,
    replaces: str | None = None,
) -> SignedIn:
    """A new session for ``person``, ending ``replaces`` (the cookie they came with, if any).

    A fresh token at every sign-in means a session id planted before sign-in (fixation) is
    worthless afterwards.
    """
    if not may_act(session, person):
        raise SignInFailed()
    at = now()
    if replaces:
        old = sessions.find_by_token(session, replaces)
        if old is not None:
            sessions.delete_session(session, old.id)
    sessions.delete_expired(session, at=at)
    new = sessions.create_session(
        session, person, at=at, days=days, method=method, ip=ip, user_agent=user_agent
    )
    identity = identity_of(session, person)
    record(
        session,
        identity,
        "auth.signin",
        object_type="person",
        object_id=person.email,
        detail={"method": method, "ip": ip or ""},
    )
    return SignedIn(new.token, new.csrf_token, new.expires_at, identity)


@dataclass(frozen=True)
class _Candidate:
    attempt_id: int
    person_id: int | None
    password_hash: str | None


def _failure_reason(session: Session, candidate: _Candidate, password_ok: bool) -> str:
    person = session.get(Person, candidate.person_id) if candidate.person_id else None
    if person is None:
        return "unknown_email"
    if candidate.password_hash is None:
        return "no_password"
    if not password_ok:
        return "bad_password"
    if not is_employed(person):
        return "left"
    return "disabled" if is_disabled(session, person.id) else "refused"


def sign_in(
    settings: Settings,
    email: str,
    password: str,
    *,
    ip: str,
    user_agent: str | None = None,
    replaces: str | None = None,
) -> SignedIn:
    """Password sign-in, throttled per email and per IP.

    Three short transactions instead of one: the Argon2 check (tens of milliseconds) runs
    between them, so it never holds SQLite's write lock.
    """
    email = email.strip().lower()[:EMAIL_MAX]
    limits = throttle.Limits(
        settings.signin_max_failures, timedelta(minutes=settings.signin_window_minutes)
    )
    at = now()
    candidate: _Candidate | None = None
    with write_session(settings) as session:
        wait = throttle.retry_after(session, email, ip, limits=limits, at=at)
        if wait:
            record(
                session,
                None,
                "auth.signin_throttled",
                object_type="person",
                object_id=email[:200],
                outcome="denied",
                detail={"ip": ip, "retry_after": wait},
            )
        else:
            throttle.prune(session, limits=limits, at=at)
            person = find_person(session, email)
            account = session.get(Account, person.id) if person else None
            candidate = _Candidate(
                attempt_id=throttle.begin_attempt(session, email, ip, at=at),
                person_id=person.id if person else None,
                password_hash=account.password_hash if account else None,
            )
    if candidate is None:
        raise SignInThrottled(wait)

    if candidate.password_hash is None:
        burn_verification(password)
        password_ok = False
    else:
        password_ok = verify_password(candidate.password_hash, password)

    with write_session(settings) as session:
        person = session.get(Person, candidate.person_id) if candidate.person_id else None
        if password_ok and person is not None and may_act(session, person):
            throttle.mark_success(session, candidate.attempt_id)
            if candidate.password_hash and needs_rehash(candidate.password_hash):
                _store_password(session, person, password)
            return sign_in_person(
                session,
                person,
                days=settings.session_days,
                method="password",
                ip=ip,
                user_agent=user_agent,
                replaces=replaces,
            )
        record(
            session,
            None,
            "auth.signin_failed",
            object_type="person",
            object_id=email[:200],
            outcome="failed",
            detail={"ip": ip, "reason": _failure_reason(session, candidate, password_ok)},
        )
    raise SignInFailed()


def sign_out(session: Session, token: str) -> bool:
    """End the session behind a cookie token; False when there was none."""
    row = sessions.find_by_token(session, token)
    if row is None:
        return False
    person = session.get(Person, row.person_id)
    sessions.delete_session(session, row.id)
    record(
        session,
        identity_of(session, person) if person else None,
        "auth.signout",
        object_type="person",
        object_id=person.email if person else "",
    )
    return True


# --- accounts --------------------------------------------------------------------------


def _account(session: Session, person: Person) -> Account:
    account = session.get(Account, person.id)
    if account is None:
        account = Account(person_id=person.id, disabled=False, created_at=now())
        session.add(account)
    return account


def _store_password(session: Session, person: Person, password: str) -> None:
    account = _account(session, person)
    account.password_hash = hash_password(password)
    account.password_changed_at = now()


def set_password(session: Session, person: Person, password: str, *, actor: Reader) -> None:
    """Set a person's password; their open sessions end, so a reset locks out whoever had one."""
    check_strength(password)
    _store_password(session, person, password)
    ended = sessions.delete_for_person(session, person.id)
    record(
        session,
        actor,
        "auth.password_set",
        object_type="person",
        object_id=person.email,
        detail={"sessions_ended": ended},
    )


def create_admin(
    session: Session, email: str, *, password: str, actor: Reader, name: str | None = None
) -> Person:
    """Make ``email`` an administrator with a password, adding them to the directory if needed
    (without a department). Used to bootstrap an installation."""
    email = email.strip().lower()
    if len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email):
        raise AccountError(f"not an email address: {email!r}")
    check_strength(password)
    person = find_person(session, email)
    created = person is None
    if person is None:
        person = Person(email=email, name=(name or email.split("@", 1)[0])[:NAME_MAX])
        session.add(person)
        session.flush()
    elif not is_employed(person):
        raise AccountError(f"{email} has left the organisation")
    if is_disabled(session, person.id):
        raise AccountError(f"the account of {email} is disabled; enable it first")
    try:
        grant_role(session, email, "administrator", actor=actor)
    except GovernanceError as exc:
        raise AccountError(str(exc)) from exc
    set_password(session, person, password, actor=actor)
    record(
        session,
        actor,
        "admin.create",
        object_type="person",
        object_id=email,
        detail={"person_created": created},
    )
    return person


def _require_person(session: Session, email: str) -> Person:
    person = find_person(session, email)
    if person is None:
        raise AccountError(f"no person with the email {email.strip().lower()!r}")
    return person


def disable_account(session: Session, email: str, *, actor: Reader) -> int:
    """Stop a person from signing in; their sessions end now and their tokens stop working.
    Returns the number of sessions ended."""
    person = _require_person(session, email)
    _account(session, person).disabled = True
    ended = sessions.delete_for_person(session, person.id)
    record(
        session,
        actor,
        "account.disable",
        object_type="person",
        object_id=person.email,
        detail={"sessions_ended": ended},
    )
    return ended


def enable_account(session: Session, email: str, *, actor: Reader) -> None:
    person = _require_person(session, email)
    _account(session, person).disabled = False
    record(session, actor, "account.enable", object_type="person", object_id=person.email)


# --- API tokens ------------------------------------------------------------------------


def create_token(session: Session, identity: Identity, name: str) -> tuple[str, TokenInfo]:
    """A new token for ``identity``; the returned secret is shown once and never stored."""
    name = " ".join(name.split())
    if not name:
        raise AccountError("a token needs a name", "name_missing")
    if len(name) > TOKEN_NAME_MAX:
        raise AccountError(f"a token name has at most {TOKEN_NAME_MAX} characters", "name_too_long")
    active = session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.person_id == identity.person_id, ApiToken.revoked_at.is_(None)
        )
    )
    if (active or 0) >= MAX_ACTIVE_TOKENS:
        raise AccountError(
            f"at most {MAX_ACTIVE_TOKENS} active tokens; revoke one first", "too_many"
        )
    raw, prefix = new_token()
    row = ApiToken(
        person_id=identity.person_id,
        name=name,
        token_hash=sessions.digest(raw),
        prefix=prefix,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    record(
        session,
        identity,
        "token.create",
        object_type="api_token",
        object_id=row.id,
        detail={"name": name, "prefix": prefix},
    )
    return raw, token_info(row)


def revoke_token(session: Session, identity: Identity, token_id: int) -> bool:
    """Revoke one of ``identity``'s own tokens; False (and a denied audit line) otherwise."""
    row = session.get(ApiToken, token_id)
    if row is None or row.person_id != identity.person_id:
        record(
            session,
            identity,
            "token.revoke",
            object_type="api_token",
            object_id=token_id,
            outcome="denied",
        )
        return False
    if row.revoked_at is None:
        row.revoked_at = now()
        record(
            session,
            identity,
            "token.revoke",
            object_type="api_token",
            object_id=row.id,
            detail={"name": row.name, "prefix": row.prefix},
        )
    return True
