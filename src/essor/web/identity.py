"""Who is asking: the reader every page and API call passes to search and answers."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from essor.governance.access import NOBODY, Reader, readable_collection_ids


def reader_of(request: Request) -> Reader:
    """The reader set for this request (by sign-in), else the app's default reader.

    Until sign-in is wired into the web app, ``create_app`` sets the default to the local
    operator, which is what the foundation release serves on 127.0.0.1.
    """
    reader = getattr(request.state, "reader", None)
    if isinstance(reader, Reader):
        return reader
    default = getattr(request.app.state, "default_reader", NOBODY)
    return default if isinstance(default, Reader) else NOBODY


def readable_for(session: Session, request: Request) -> frozenset[int]:
    return readable_collection_ids(session, reader_of(request))
