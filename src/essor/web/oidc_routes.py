"""Single sign-on pages: ``GET /signin/oidc`` sends the browser to the OpenID provider, and
``GET /signin/oidc/callback`` brings it back signed in (or to the sign-in page with a reason).

Both answer without an identity (``auth_middleware.PUBLIC_PATHS``), and exist only when
``ESSOR_OIDC_ISSUER`` is set (``app.create_app``). The state, nonce and PKCE verifier travel in
a signed cookie scoped to ``/signin/oidc`` that lives ten minutes and is cleared by the
callback, whatever its outcome. The callback changes state through GET because the OpenID
flow returns that way; the state it checks is what keeps other sites from using it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from essor.people.auth import oidc
from essor.settings import Settings
from essor.web import cookies
from essor.web.auth_routes import MAX_NEXT, NO_STORE, safe_next, signin_page
from essor.web.identity import settings_of
from essor.web.proxy import client_ip, is_https

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

START_PATH = "/signin/oidc"
CALLBACK_PATH = "/signin/oidc/callback"
PENDING_COOKIE = "essor_oidc"
MAX_PARAM = 4096  # codes and states are far shorter; anything longer is not from a provider
# Browsers drop a cookie over 4 KiB; a very long (or very escaped) next is not worth losing
# the sign-in over.
MAX_PENDING_COOKIE = 3800

# The reason of a refusal -> the message shown and the status of the page.
_PAGES = {
    **{reason: ("signin.oidc_not_found", 403) for reason in oidc.PERSON_REASONS},
    **{reason: ("signin.oidc_unverified", 403) for reason in oidc.EMAIL_REASONS},
    "provider_unreachable": ("signin.oidc_failed", 502),
    "misconfigured": ("signin.oidc_failed", 502),
}


def _enabled(request: Request) -> Settings:
    settings = settings_of(request)
    if not oidc.enabled(settings):
        raise HTTPException(404)  # the router is not even included then; a safety net
    return settings


def redirect_uri(request: Request, settings: Settings) -> str:
    """The callback URL registered at the provider: the setting, else this site's own."""
    if settings.oidc_redirect_url:
        return settings.oidc_redirect_url
    scheme = "https" if is_https(request, settings) else request.url.scheme
    return str(request.base_url.replace(scheme=scheme)).rstrip("/") + CALLBACK_PATH


def _pending_cookie(value: str, *, secure: bool) -> str:
    return cookies.cookie_header(
        PENDING_COOKIE, value, secure=secure, max_age=oidc.PENDING_MAX_AGE, path=START_PATH
    )


def _clear_pending_cookie(*, secure: bool) -> str:
    return cookies.cookie_header(PENDING_COOKIE, "", secure=secure, max_age=0, path=START_PATH)


def _refused(request: Request, reason: str, next_path: str, *, secure: bool) -> Response:
    error_key, status = _PAGES.get(reason, ("signin.oidc_failed", 400))
    response = signin_page(request, error_key=error_key, status_code=status, next_path=next_path)
    response.headers.append("set-cookie", _clear_pending_cookie(secure=secure))
    return response


@router.get(START_PATH)
def oidc_start(request: Request, next: str = "/") -> Response:
    settings = _enabled(request)
    secure = is_https(request, settings)
    next_path = safe_next(next[:MAX_NEXT])
    try:
        url, pending = oidc.start(
            settings, redirect_uri=redirect_uri(request, settings), next_path=next_path
        )
    except oidc.OidcError as exc:
        # Not audited: nobody has said who they are yet; the operator's log has the cause.
        log.error("OpenID Connect sign-in cannot start (%s): %s", exc.reason, exc)
        return _refused(request, exc.reason, next_path, secure=secure)
    sealed = oidc.seal(settings, pending)
    if len(sealed) > MAX_PENDING_COOKIE:
        sealed = oidc.seal(settings, replace(pending, next_path="/"))
    response = RedirectResponse(url, status_code=303, headers=NO_STORE)
    response.headers.append("set-cookie", _pending_cookie(sealed, secure=secure))
    return response


@router.get(CALLBACK_PATH)
def oidc_callback(request: Request, state: str = "", code: str = "", error: str = "") -> Response:
    settings = _enabled(request)
    secure = is_https(request, settings)
    pending = oidc.unseal(settings, request.cookies.get(PENDING_COOKIE))
    next_path = pending.next_path if pending else "/"
    try:
        signed = oidc.complete(
            settings,
            pending,
            state=state[:MAX_PARAM],
            code=code[:MAX_PARAM],
            error=error[:MAX_PARAM],
            ip=client_ip(request, settings),
            user_agent=request.headers.get("user-agent"),
            replaces=request.cookies.get(cookies.SESSION_COOKIE),
        )
    except oidc.OidcError as exc:
        return _refused(request, exc.reason, next_path, secure=secure)
    # The same cookies as a password sign-in (auth_routes.signin_submit), and the pending
    # cookie goes: a state is used once.
    response = RedirectResponse(safe_next(next_path), status_code=303, headers=NO_STORE)
    response.headers.append(
        "set-cookie",
        cookies.session_cookie(signed.token, max_age=settings.session_days * 86400, secure=secure),
    )
    response.headers.append("set-cookie", cookies.clear_signin_cookie(secure=secure))
    response.headers.append("set-cookie", _clear_pending_cookie(secure=secure))
    return response
