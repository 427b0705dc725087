"""API tokens: ``essor_<prefix>_<secret>``, stored as a SHA-256 digest of the whole string.

The prefix lets a person recognise a token in a list (and a secret scanner recognise a leaked
one); the token grants nothing of its own: each request acts as its owner with the owner's
current roles, and a disabled or departed owner's tokens stop working at once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from essor.governance.access import Identity, identity_of
from essor.people.auth.clock import as_utc
from essor.people.auth.models import ApiToken
from essor.people.auth.sessions import TOUCH_EVERY, digest
from essor.people.auth.standing import may_act
from essor.people.models import Person

SCHEME = "essor"
SECRET_BYTES = 32
# Hex prefix: it never contains the "_" that separates the parts.
_FORMAT = re.compile(r"^essor_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")


def new_token() -> tuple[str, str]:
    """A fresh (token, prefix)."""
    prefix = secrets.token_hex(4)
    return f"{SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}", prefix


def looks_like_token(raw: str) -> bool:
    return _FORMAT.match(raw) is not None


@dataclass(frozen=True)
class TokenUse:
    token_id: int
    identity: Identity
    needs_touch: bool


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "active": self.active,
        }


def check_token(session: Session, raw: str, *, at: datetime) -> TokenUse | None:
    """The owner's current identity for a valid, unrevoked token whose owner may act."""
    if not looks_like_token(raw):
        return None
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == digest(raw))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    owner = session.get(Person, row.person_id)
    if owner is None or not may_act(session, owner):
        return None
    last = as_utc(row.last_used_at) if row.last_used_at else None
    return TokenUse(
        token_id=row.id,
        identity=identity_of(session, owner),
        needs_touch=last is None or at - last >= TOUCH_EVERY,
    )


def touch(session: Session, token_id: int, *, at: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=as_utc(row.created_at),
        last_used_at=as_utc(row.last_used_at) if row.last_used_at else None,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


def list_tokens(session: Session, person_id: int) -> list[TokenInfo]:
    """A person's tokens, newest first, revoked ones included; never the secret."""
    rows = session.scalars(
        select(ApiToken).where(ApiToken.person_id == person_id).order_by(ApiToken.id.desc())
    ).all()
    return [_info(r) for r in rows]


def token_info(row: ApiToken) -> TokenInfo:
    return _info(row)
