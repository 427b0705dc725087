"""The index version: a random per-database instance id and a generation counter.

The generation changes with every committed index change; caches are keyed by both.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from essor.knowledge.models import IndexState, new_instance

# Built once: every search asks.
_VERSION = select(IndexState.instance, IndexState.generation).where(IndexState.id == 1)


def index_version(session: Session) -> tuple[str, int]:
    row = session.execute(_VERSION).first()
    if row is None:
        return ("empty", 0)
    return (str(row[0]), int(row[1]))


def current_generation(session: Session) -> int:
    return index_version(session)[1]


def bump_generation(session: Session) -> None:
    """Call inside the transaction that changes chunks, so readers see both or neither."""
    result = session.execute(
        update(IndexState).where(IndexState.id == 1).values(generation=IndexState.generation + 1)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.add(IndexState(id=1, generation=1, instance=new_instance()))
