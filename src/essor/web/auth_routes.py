"""Sign-in, sign-out and the API tokens page.

Sign-in is the one form that works without a session: its CSRF token is double-submitted
against a cookie set with the form (checked by ``AuthMiddleware``), so another site cannot
sign a browser into an account of its choosing either.
"""

from __future__ import annotations

import math
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from essor.db import read_session, write_session
from essor.people.auth.actions import (
    AccountError,
    SignInFailed,
    SignInThrottled,
    create_token,
    revoke_token,
    sign_in,
    sign_out,
)
from essor.people.auth.tokens import list_tokens
from essor.web import cookies
from essor.web.i18n import translate
from essor.web.identity import require_identity, settings_of
from essor.web.pages import page_language, render
from essor.web.proxy import client_ip, is_https

router = APIRouter(include_in_schema=False)

SIGNOUT_PATH = "/signout"
MAX_NEXT = 2000
NO_STORE = {"Cache-Control": "no-store"}


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a path on this site, else "/" (no open redirect).

    Refused: other sites ("https://x", "//x", "/\\x", which browsers read as "//x"), control
    characters and spaces (browsers drop tabs and newlines, turning "/\\t/x" into "//x").
    """
    if not value or len(value) > MAX_NEXT or not value.startswith("/"):
        return "/"
    if value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in (cookies.SIGNIN_PATH, SIGNOUT_PATH):
        return "/"
    return value


def signin_page(
    request: Request,
    *,
    error_key: str | None = None,
    status_code: int = 200,
    email: str = "",
    next_path: str | None = None,
    retry_after: int | None = None,
) -> Response:
    """The sign-in form; a refused form (403) gets a fresh double-submit token."""
    lang = page_language(request)
    settings = settings_of(request)
    token = request.cookies.get(cookies.SIGNIN_COOKIE)
    renew = not token or status_code == 403
    if renew:
        token = secrets.token_urlsafe(32)
    error = None
    if error_key == "signin.throttled" and retry_after:
        error = translate(lang, error_key, minutes=max(1, math.ceil(retry_after / 60)))
    elif error_key:
        error = translate(lang, error_key)
    context = {
        "signin_token": token,
        "email": email,
        "next": safe_next(next_path if next_path is not None else request.query_params.get("next")),
        "error": error,
    }
    response = render(request, "signin.html", context, status_code=status_code)
    response.headers.update(NO_STORE)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    if renew and token:
        secure = is_https(request, settings)
        response.headers.append("set-cookie", cookies.signin_cookie(token, secure=secure))
    return response


@router.get(cookies.SIGNIN_PATH)
def signin_form(request: Request) -> Response:
    return signin_page(request)


@router.post(cookies.SIGNIN_PATH)
def signin_submit(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = settings_of(request)
    email = email.strip()[:320]
    try:
        signed = sign_in(
            settings,
            email,
            password,
            ip=client_ip(request, settings),
            user_agent=request.headers.get("user-agent"),
            replaces=request.cookies.get(cookies.SESSION_COOKIE),
        )
    except SignInThrottled as exc:
        return signin_page(
            request,
            error_key="signin.throttled",
            status_code=429,
            email=email,
            next_path=next,
            retry_after=exc.retry_after,
        )
    except SignInFailed:
        return signin_page(
            request, error_key="signin.failed", status_code=401, email=email, next_path=next
        )
    secure = is_https(request, settings)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.headers.append(
        "set-cookie",
        cookies.session_cookie(signed.token, max_age=settings.session_days * 86400, secure=secure),
    )
    response.headers.append("set-cookie", cookies.clear_signin_cookie(secure=secure))
    return response


@router.post(SIGNOUT_PATH)
def signout(request: Request) -> Response:
    settings = settings_of(request)
    token = request.cookies.get(cookies.SESSION_COOKIE)
    if token:
        with write_session(settings) as session:
            sign_out(session, token)
    response = RedirectResponse(cookies.SIGNIN_PATH, status_code=303)
    response.headers.append(
        "set-cookie", cookies.clear_session_cookie(secure=is_https(request, settings))
    )
    return response


# --- API tokens page -------------------------------------------------------------------


def _tokens_page(
    request: Request,
    *,
    new_token: str | None = None,
    error: str | None = None,
    name: str = "",
    status_code: int = 200,
) -> Response:
    identity = require_identity(request)
    with read_session(settings_of(request)) as session:
        tokens = list_tokens(session, identity.person_id)
    context = {"tokens": tokens, "new_token": new_token, "error": error, "name": name}
    response = render(request, "tokens.html", context, status_code=status_code)
    response.headers.update(NO_STORE)  # the page may hold a secret shown once
    return response


@router.get("/tokens")
def tokens_page(request: Request) -> Response:
    return _tokens_page(request)


@router.post("/tokens")
def tokens_create(request: Request, name: Annotated[str, Form()] = "") -> Response:
    identity = require_identity(request)
    try:
        with write_session(settings_of(request)) as session:
            raw, _info = create_token(session, identity, name)
    except AccountError as exc:
        lang = page_language(request)
        message = translate(lang, f"tokens.error.{exc.code}") if exc.code else str(exc)
        return _tokens_page(request, error=message, name=name[:200], status_code=422)
    return _tokens_page(request, new_token=raw)


@router.post("/tokens/{token_id}/revoke")
def tokens_revoke(request: Request, token_id: int) -> Response:
    identity = require_identity(request)
    with write_session(settings_of(request)) as session:
        revoked = revoke_token(session, identity, token_id)
    if not revoked:
        raise HTTPException(404, translate(page_language(request), "error.no_token"))
    return RedirectResponse("/tokens", status_code=303)
