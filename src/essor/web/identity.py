"""Who is asking: the reader every page and API call passes to search and answers.

``AuthMiddleware`` sets ``request.state.reader`` on every request; anything that did not go
through it reads as NOBODY, so a mistake fails closed (nothing readable) rather than open.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from essor.governance.access import NOBODY, Identity, Reader, readable_collection_ids
from essor.settings import Settings
from essor.web.authentication import Authentication


def reader_of(request: Request) -> Reader:
    reader = getattr(request.state, "reader", None)
    return reader if isinstance(reader, Reader) else NOBODY


def authentication_of(request: Request) -> Authentication:
    auth = getattr(request.state, "auth", None)
    return auth if isinstance(auth, Authentication) else Authentication()


def require_identity(request: Request) -> Identity:
    """The signed-in person; routes that act on "my" things call this rather than trusting
    that the middleware ran."""
    identity = reader_of(request).identity
    if identity is None:
        raise HTTPException(401, "not signed in")
    return identity


def readable_for(session: Session, request: Request) -> frozenset[int]:
    return readable_collection_ids(session, reader_of(request))


def settings_of(request: Request) -> Settings:
    """The settings the app was created with (tests run several apps side by side)."""
    settings: Settings = request.app.state.settings
    return settings
