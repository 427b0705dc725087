"""The cookies Essor sets: the session, and the short-lived sign-in form token.

Built by hand (values are URL-safe random strings) so the same function serves route
responses and the authentication middleware, and so a test can check the flags directly.
"""

from __future__ import annotations

import re

SESSION_COOKIE = "essor_session"
# Double-submit token of the sign-in form (there is no session yet to hold one).
SIGNIN_COOKIE = "essor_signin"
SIGNIN_PATH = "/signin"

_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_\-]*$")


def cookie_header(
    name: str,
    value: str,
    *,
    secure: bool,
    max_age: int | None = None,
    path: str = "/",
) -> str:
    """A ``Set-Cookie`` value: always HttpOnly (no script reads these) and SameSite=Lax (not
    sent on cross-site POSTs); Secure whenever the request came over HTTPS."""
    if not _SAFE_VALUE.match(value):
        raise ValueError("cookie values here are URL-safe tokens")
    parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(token: str, *, max_age: int, secure: bool) -> str:
    return cookie_header(SESSION_COOKIE, token, secure=secure, max_age=max_age)


def clear_session_cookie(*, secure: bool) -> str:
    return cookie_header(SESSION_COOKIE, "", secure=secure, max_age=0)


def signin_cookie(token: str, *, secure: bool) -> str:
    return cookie_header(SIGNIN_COOKIE, token, secure=secure, path=SIGNIN_PATH)


def clear_signin_cookie(*, secure: bool) -> str:
    return cookie_header(SIGNIN_COOKIE, "", secure=secure, max_age=0, path=SIGNIN_PATH)
