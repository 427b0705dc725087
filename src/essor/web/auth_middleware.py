"""Authentication and CSRF for every request, as one ASGI middleware.

Routes are protected by default: only the paths in ``PUBLIC_PATHS`` (and static files) are
served without an identity, so a route added later cannot be forgotten. Without an identity,
pages redirect to the sign-in form and the API answers 401. A state-changing request whose
credentials a browser sends on its own (session cookie, trusted proxy header) must carry the
session's CSRF token; API-token calls need none (a browser never adds that header itself).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from essor.governance.access import NOBODY, Reader
from essor.settings import Settings
from essor.web import csrf
from essor.web.auth_routes import signin_page
from essor.web.authentication import Authentication, Credentials, authenticate, route_path
from essor.web.cookies import SIGNIN_COOKIE, SIGNIN_PATH
from essor.web.i18n import translate
from essor.web.pages import error_page, page_language

# The OpenID Connect start and callback run before anyone is signed in (they exist only
# when ESSOR_OIDC_ISSUER is set).
PUBLIC_PATHS = frozenset(
    {
        SIGNIN_PATH,
        "/healthz",
        "/api/openapi.json",
        "/signin/oidc",
        "/signin/oidc/callback",
    }
)
PUBLIC_PREFIXES = ("/static/",)
# Form fields are small; an upload may be as large as ingest accepts, plus the form around it.
FORM_SLACK = 1024 * 1024


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def signin_location(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{SIGNIN_PATH}?next={quote(target, safe='')}"


def _unauthenticated(request: Request) -> Response:
    if is_api(route_path(request.scope)):
        return JSONResponse(
            {"detail": "not signed in: sign in, or send an API token as 'Authorization: Bearer'"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="essor"'},
        )
    return RedirectResponse(signin_location(request), status_code=303)


def _csrf_refused(request: Request) -> Response:
    path = route_path(request.scope)
    if is_api(path):
        return JSONResponse(
            {"detail": "missing or wrong CSRF token (send the X-CSRF-Token header)"},
            status_code=403,
        )
    if path == SIGNIN_PATH:
        return signin_page(request, error_key="signin.expired", status_code=403)
    return error_page(request, 403, translate(page_language(request), "error.csrf"))


def _with_cookies(send: Send, set_cookies: tuple[str, ...]) -> Send:
    if not set_cookies:
        return send

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = [(b"set-cookie", c.encode("latin-1")) for c in set_cookies]
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # No WebSocket route exists; one added later must authenticate here first.
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # lifespan
            return
        request = Request(scope)
        settings: Settings = request.app.state.settings
        state = scope.setdefault("state", {})
        state["reader"] = NOBODY
        path = route_path(scope)
        unsafe = request.method in csrf.UNSAFE_METHODS
        limit = settings.max_upload_bytes + FORM_SLACK

        if is_public(path):
            if unsafe and path == SIGNIN_PATH:
                # Login CSRF: the sign-in form is double-submitted against its own cookie.
                given, receive = await csrf.request_token(scope, receive, limit=limit)
                if not csrf.tokens_match(given, request.cookies.get(SIGNIN_COOKIE)):
                    await _csrf_refused(request)(scope, receive, send)
                    return
            await self.app(scope, receive, send)
            return

        auth: Authentication = await run_in_threadpool(
            authenticate, settings, Credentials.of(request, settings)
        )
        send = _with_cookies(send, auth.set_cookies)
        if auth.identity is None:
            await _unauthenticated(request)(scope, receive, send)
            return
        state["reader"] = Reader(identity=auth.identity)
        state["auth"] = auth
        if unsafe and auth.needs_csrf:
            given, receive = await csrf.request_token(scope, receive, limit=limit)
            if not csrf.tokens_match(given, auth.csrf_token):
                await _csrf_refused(request)(scope, receive, send)
                return
        await self.app(scope, receive, send)
