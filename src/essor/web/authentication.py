"""Who a request comes from: a session cookie, an API token (``/api/`` only), or a trusted
reverse proxy's header. Every request re-checks the person against the directory, so leaving
the organisation or being disabled takes effect on the next request.

This runs in a worker thread (it reads the database); the middleware in ``auth_middleware``
decides what to do with the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import Scope

from essor.db import read_session, write_session
from essor.governance.access import Identity
from essor.people.auth import sessions, tokens
from essor.people.auth.actions import SignInFailed, sign_in_person
from essor.people.auth.clock import now
from essor.people.queries import find_person
from essor.settings import Settings
from essor.web import cookies
from essor.web.proxy import client_ip, is_https, trusted_email

SESSION = "session"
TOKEN = "token"
TRUSTED_HEADER = "trusted_header"


def route_path(scope: Scope) -> str:
    """The path the router matches: without the ``root_path`` a proxy may mount Essor under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


@dataclass(frozen=True)
class Authentication:
    identity: Identity | None = None
    method: str = ""  # SESSION, TOKEN, TRUSTED_HEADER, or "" when nobody
    # The token state-changing requests must carry; set for cookie-borne credentials, which
    # a browser sends by itself (a session, or a proxy that signs every request).
    csrf_token: str | None = None
    # Set-Cookie values the response must carry (a new session, or clearing a dead one).
    set_cookies: tuple[str, ...] = ()

    @property
    def needs_csrf(self) -> bool:
        return self.method != TOKEN


@dataclass(frozen=True)
class Credentials:
    """What a request presents, read from it once."""

    session_token: str | None
    bearer: str | None
    trusted_email: str | None
    ip: str
    user_agent: str | None
    secure: bool

    @classmethod
    def of(cls, conn: HTTPConnection, settings: Settings) -> Credentials:
        bearer = None
        if route_path(conn.scope).startswith("/api/"):
            scheme, _, value = conn.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                bearer = value.strip()
        return cls(
            session_token=conn.cookies.get(cookies.SESSION_COOKIE) or None,
            bearer=bearer,
            trusted_email=trusted_email(conn, settings),
            ip=client_ip(conn, settings),
            user_agent=conn.headers.get("user-agent"),
            secure=is_https(conn, settings),
        )


def _by_token(settings: Settings, raw: str) -> Authentication:
    at = now()
    with read_session(settings) as session:
        use = tokens.check_token(session, raw, at=at)
    if use is None:
        return Authentication()
    if use.needs_touch:
        with write_session(settings) as session:
            tokens.touch(session, use.token_id, at=at)
    return Authentication(identity=use.identity, method=TOKEN)


def _by_trusted_header(
    settings: Settings, creds: Credentials, email: str, current: sessions.ActiveSession | None
) -> Authentication:
    if current is not None and current.identity.email == email:
        return Authentication(current.identity, TRUSTED_HEADER, current.csrf_token)
    # The proxy vouches for someone without a session here (or for someone else than the
    # cookie's owner, e.g. a shared computer): start their own session.
    with write_session(settings) as session:
        person = find_person(session, email)
        if person is None:
            signed = None
        else:
            try:
                signed = sign_in_person(
                    session,
                    person,
                    days=settings.session_days,
                    method=TRUSTED_HEADER,
                    ip=creds.ip,
                    user_agent=creds.user_agent,
                    replaces=creds.session_token,
                )
            except SignInFailed:
                signed = None
    if signed is None:
        clear = (cookies.clear_session_cookie(secure=creds.secure),) if creds.session_token else ()
        return Authentication(set_cookies=clear)
    cookie = cookies.session_cookie(
        signed.token, max_age=settings.session_days * 86400, secure=creds.secure
    )
    return Authentication(signed.identity, TRUSTED_HEADER, signed.csrf_token, (cookie,))


def authenticate(settings: Settings, creds: Credentials) -> Authentication:
    if creds.bearer is not None:
        # An explicit token is what the client means: it is not topped up by a cookie.
        return _by_token(settings, creds.bearer)
    at = now()
    current: sessions.ActiveSession | None = None
    if creds.session_token:
        with read_session(settings) as session:
            check = sessions.check_session(session, creds.session_token, at=at)
        current = check.active
        if check.dead_id is not None or (current and current.needs_touch):
            with write_session(settings) as session:
                if check.dead_id is not None:
                    sessions.delete_session(session, check.dead_id)
                elif current is not None:
                    sessions.touch(session, current.session_id, at=at)
    if creds.trusted_email:
        return _by_trusted_header(settings, creds, creds.trusted_email, current)
    if current is None:
        # A cookie that no longer opens anything is removed from the browser.
        clear = (cookies.clear_session_cookie(secure=creds.secure),) if creds.session_token else ()
        return Authentication(set_cookies=clear)
    return Authentication(current.identity, SESSION, current.csrf_token)
