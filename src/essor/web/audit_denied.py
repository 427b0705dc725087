"""Write a "denied" line to the audit log when a signed-in person is refused something."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select

from essor.db import read_session, write_session
from essor.governance.audit import record
from essor.knowledge.models import Document
from essor.web.identity import reader_of, settings_of


def audit_denied(request: Request, action: str, object_type: str, object_id: str | int) -> None:
    reader = reader_of(request)
    with write_session(settings_of(request)) as session:
        record(
            session,
            reader,
            action,
            object_type=object_type,
            object_id=object_id,
            outcome="denied",
            detail={"path": request.url.path},
        )


def audit_if_hidden(request: Request, document_id: int) -> None:
    """A document that exists but is not readable by the caller: a denied access.

    The caller still answers 404, so the person learns nothing about the document.
    """
    with read_session(settings_of(request)) as session:
        exists = session.execute(select(Document.id).where(Document.id == document_id)).first()
    if exists is not None:
        audit_denied(request, "document.read", "document", document_id)
