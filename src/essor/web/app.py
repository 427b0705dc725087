"""The FastAPI application: server-rendered pages, the JSON API under ``/api/``, static files.

``create_app`` takes its settings explicitly so tests and the CLI can point one process at any
data directory; routes read them from ``app.state`` instead of the cached global settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.exceptions import HTTPException
from starlette.templating import Jinja2Templates

from essor.migrate import upgrade
from essor.people.auth.oidc import enabled as oidc_enabled
from essor.settings import Settings, get_settings
from essor.web import (
    admin,
    admin_api,
    api,
    auth_routes,
    budget_pages,
    champions_pages,
    cockpit,
    dashboards,
    oidc_routes,
    pages,
    pilot_pages,
    privacy_page,
    reports_pages,
    token_api,
    workflow_admin,
    workflow_api,
    workflow_pages,
)
from essor.web.auth_middleware import AuthMiddleware
from essor.web.i18n import format_date, format_number
from essor.web.security import SecurityHeadersMiddleware, safe_link

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Every template, whatever its name, escapes by default: document and answer text is
        # untrusted, and nothing in the templates marks it safe.
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        safe_link=safe_link,
        passage_href=pages.passage_href,
        section_label=pages.section_label,
        format_number=format_number,
        format_date=format_date,
    )
    return Jinja2Templates(env=env)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        upgrade(settings)
        yield

    app = FastAPI(
        title="Essor",
        version="0.1.0",
        lifespan=lifespan,
        # The interactive docs load scripts from a CDN, which the content security policy
        # forbids; the OpenAPI description itself stays available.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.templates = make_templates()
    # The last middleware added runs first: security headers wrap every answer, including
    # the redirects and 401s of authentication. There is no default reader: a request the
    # middleware did not authenticate reads nothing.
    app.add_middleware(AuthMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(token_api.router)
    app.include_router(auth_routes.router)
    if oidc_enabled(settings):  # no single sign-on routes at all when it is off
        app.include_router(oidc_routes.router)
    app.include_router(workflow_api.router)
    app.include_router(workflow_admin.router)
    app.include_router(admin.router)
    app.include_router(admin_api.router)
    app.include_router(workflow_pages.router)
    app.include_router(cockpit.router)
    app.include_router(pilot_pages.router)
    app.include_router(champions_pages.router)
    app.include_router(budget_pages.router)
    app.include_router(privacy_page.router)
    app.include_router(dashboards.router)
    app.include_router(reports_pages.router)
    app.include_router(pages.router)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _wants_json(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    return pages.error_page(request, exc.status_code, str(exc.detail))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_describe(e) for e in exc.errors()]
    detail = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    if _wants_json(request):
        # The raw pydantic errors echo the input back; a 2,000-character question is not
        # worth repeating, so only field and message are returned.
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)
    if any(e["where"] == "path" for e in errors):
        return pages.error_page(request, 404, None)
    return pages.error_page(request, 422, detail)


def _describe(error: Any) -> dict[str, str]:
    loc = [str(part) for part in error.get("loc", ())]
    where = loc[0] if loc else ""
    field = ".".join(loc[1:]) if where in ("body", "query", "path", "header", "cookie") else ""
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return {"field": field, "message": message, "where": where}
