"""Sign-in throttling: too many failures for one email, or from one IP, in a sliding window.

Counting per email stops guessing one person's password from many addresses; counting per IP
stops trying one common password on many people. A successful sign-in forgives only the
earlier failures of the same email from the same IP (the person who mistyped), never other
addresses' failures.

An attempt is written as a failure *before* the password is checked and turned into a
success afterwards, so that parallel requests cannot all pass the check before any failure
is recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.orm import Session, aliased

from essor.people.auth.clock import as_utc
from essor.people.auth.models import IP_MAX, SigninAttempt

# Attempts are kept a day for the audit of patterns; the window itself is minutes.
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    max_failures: int
    window: timedelta


def _counted_failures(
    session: Session, where: ColumnElement[bool], *, since: datetime, limit: int
) -> list[datetime]:
    later = aliased(SigninAttempt)
    forgiven = exists().where(
        later.email == SigninAttempt.email,
        later.ip == SigninAttempt.ip,
        later.success.is_(True),
        later.id > SigninAttempt.id,
    )
    times = session.scalars(
        select(SigninAttempt.at)
        .where(where, SigninAttempt.success.is_(False), SigninAttempt.at > since, ~forgiven)
        .order_by(SigninAttempt.at.desc())
        .limit(limit)
    ).all()
    return [as_utc(t) for t in times]


def retry_after(session: Session, email: str, ip: str, *, limits: Limits, at: datetime) -> int:
    """Seconds to wait before trying again; 0 when an attempt is allowed now."""
    since = at - limits.window
    wait = 0.0
    for where in (SigninAttempt.email == email, SigninAttempt.ip == ip[:IP_MAX]):
        failures = _counted_failures(session, where, since=since, limit=limits.max_failures)
        if len(failures) >= limits.max_failures:
            # Allowed again once the oldest of the last max_failures failures leaves the window.
            wait = max(wait, (failures[-1] + limits.window - at).total_seconds())
    return max(1, math.ceil(wait)) if wait > 0 else 0


def begin_attempt(session: Session, email: str, ip: str, *, at: datetime) -> int:
    """Record an attempt as failed until ``mark_success``; returns its id."""
    attempt = SigninAttempt(email=email, ip=ip[:IP_MAX], at=at, success=False)
    session.add(attempt)
    session.flush()
    return attempt.id


def mark_success(session: Session, attempt_id: int) -> None:
    session.execute(
        update(SigninAttempt).where(SigninAttempt.id == attempt_id).values(success=True)
    )


def prune(session: Session, *, limits: Limits, at: datetime) -> None:
    keep = max(KEEP, limits.window)
    session.execute(delete(SigninAttempt).where(SigninAttempt.at < at - keep))
