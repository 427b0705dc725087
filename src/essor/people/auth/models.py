"""Tables for sign-in: accounts, web sessions, API tokens and sign-in attempts.

Tokens are stored as SHA-256 digests: they are long random values, so a fast digest is
enough (unlike passwords, which get Argon2id), and a lookup by digest is a unique-index read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow
from essor.people import models as _people  # noqa: F401  (the "person" table these refer to)

DIGEST_LEN = 64  # hex SHA-256
PASSWORD_HASH_MAX = 512
TOKEN_NAME_MAX = 100
PREFIX_LEN = 8
IP_MAX = 64
USER_AGENT_MAX = 300


class Account(Base):
    """A person's local sign-in; a person without one can still come in through SSO or a
    trusted proxy, unless an account row marks them disabled."""

    __tablename__ = "account"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    # None: no local password (disabled through the CLI before one was ever set, or SSO only).
    password_hash: Mapped[str | None] = mapped_column(String(PASSWORD_HASH_MAX), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class WebSession(Base):
    """A browser sign-in. The cookie holds a random token; only its digest is kept here."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(DIGEST_LEN), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(DIGEST_LEN))
    method: Mapped[str] = mapped_column(String(32), default="password")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ip: Mapped[str | None] = mapped_column(String(IP_MAX), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX), nullable=True)


class ApiToken(Base):
    """A named, revocable token acting as its owner (with the owner's current rights)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX))
    token_hash: Mapped[str] = mapped_column(String(DIGEST_LEN), unique=True)
    # Shown in lists so a person can tell their tokens apart; not enough to use one.
    prefix: Mapped[str] = mapped_column(String(PREFIX_LEN))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SigninAttempt(Base):
    """One password sign-in attempt, for throttling (counted per email and per IP)."""

    __tablename__ = "signin_attempt"
    __table_args__ = (
        Index("ix_signin_attempt_email_at", "email", "at"),
        Index("ix_signin_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(IP_MAX))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
