"""The audit log: written in the same transaction as the action it records; never edited."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.governance.access import Identity, Reader
from essor.governance.models import AuditEvent

MAX_DETAIL = 4000


def record(
    session: Session,
    actor: Reader | Identity | None,
    action: str,
    *,
    object_type: str = "",
    object_id: str | int = "",
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent:
    identity = actor.identity if isinstance(actor, Reader) else actor
    email = identity.email if identity else ("system" if isinstance(actor, Reader) else "")
    text = json.dumps(dict(detail or {}), ensure_ascii=False, default=str, sort_keys=True)
    event = AuditEvent(
        actor_id=identity.person_id if identity else None,
        actor_email=email,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        outcome=outcome,
        detail=text[:MAX_DETAIL],
    )
    session.add(event)
    return event


def recent(session: Session, limit: int = 200, offset: int = 0) -> Sequence[AuditEvent]:
    return (
        session.execute(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
        )
        .scalars()
        .all()
    )
