"""The index generation: one integer that changes with every committed index change."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from essor.knowledge.models import IndexState


def current_generation(session: Session) -> int:
    value = session.execute(select(IndexState.generation).where(IndexState.id == 1)).scalar()
    return int(value or 0)


def bump_generation(session: Session) -> None:
    """Call inside the transaction that changes chunks, so readers see both or neither."""
    result = session.execute(
        update(IndexState).where(IndexState.id == 1).values(generation=IndexState.generation + 1)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.add(IndexState(id=1, generation=1))
