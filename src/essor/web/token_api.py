"""``/api/me`` and API token management: list, create, revoke (one's own tokens only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from essor.db import read_session, write_session
from essor.people.auth.actions import AccountError, create_token, revoke_token
from essor.people.auth.models import TOKEN_NAME_MAX
from essor.people.auth.tokens import list_tokens
from essor.web.authentication import TOKEN
from essor.web.identity import authentication_of, require_identity, settings_of

router = APIRouter(prefix="/api", tags=["account"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=TOKEN_NAME_MAX, description="what the token is for")


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    """Who the request acts as. With a session cookie, also the CSRF token that
    state-changing calls must send as ``X-CSRF-Token``."""
    identity = require_identity(request)
    auth = authentication_of(request)
    body: dict[str, Any] = {
        "email": identity.email,
        "name": identity.name,
        "roles": sorted({role for role, _ in identity.roles}),
        "auth": auth.method,
    }
    if auth.needs_csrf and auth.csrf_token:
        body["csrf_token"] = auth.csrf_token
    return body


@router.get("/tokens")
def tokens(request: Request) -> dict[str, Any]:
    identity = require_identity(request)
    with read_session(settings_of(request)) as session:
        return {"tokens": [t.as_dict() for t in list_tokens(session, identity.person_id)]}


@router.post("/tokens", status_code=201)
def tokens_create(request: Request, body: TokenRequest) -> dict[str, Any]:
    """Create a token; ``token`` is in this answer only and is never shown again."""
    identity = require_identity(request)
    if authentication_of(request).method == TOKEN:
        # A leaked token must not be able to mint a successor that outlives its revocation.
        raise HTTPException(403, "tokens are created from a signed-in session, not with a token")
    try:
        with write_session(settings_of(request)) as session:
            raw, info = create_token(session, identity, body.name)
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    return {**info.as_dict(), "token": raw}


@router.delete("/tokens/{token_id}", status_code=204)
def tokens_revoke(request: Request, token_id: int) -> Response:
    identity = require_identity(request)
    with write_session(settings_of(request)) as session:
        revoked = revoke_token(session, identity, token_id)
    if not revoked:
        raise HTTPException(404, f"no token with id {token_id}")
    return Response(status_code=204)
