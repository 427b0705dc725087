"""The retention purge: usage events older than ``event_retention_days`` are deleted, and
question text older than ``question_text_retention_days`` is blanked.

Only raw ``usage_event`` rows are touched. The analytics rollups are kept separately and hold
aggregate counts only (never question text), so dashboards keep their history after a purge.
Feedback about a purged answer goes with it, even when the feedback itself is more recent: on
its own it would say nothing. An event is deleted only once the rollups have applied it and
every feedback about it, so a purge never takes anything out of the dashboards; question text
is blanked regardless. Run it daily (``essor purge``; docs/privacy.md has a timer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, not_, select, update
from sqlalchemy.orm import Session, aliased

from essor.analytics.models import UsageEvent
from essor.analytics.rollup_models import UsageRollupState
from essor.governance.access import SYSTEM, Reader
from essor.governance.audit import record
from essor.settings import Settings


@dataclass(frozen=True)
class PurgeResult:
    events_before: datetime  # events older than this are deleted
    text_before: datetime  # question text older than this is blanked
    events_deleted: int  # old events, their feedback included
    feedback_deleted: int  # of which: newer feedback about an old answer or run
    texts_blanked: int
    events_waiting: int  # old events kept until the rollups have applied them
    dry_run: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "events_before": self.events_before.isoformat(),
            "text_before": self.text_before.isoformat(),
            "events_deleted": self.events_deleted,
            "feedback_deleted": self.feedback_deleted,
            "texts_blanked": self.texts_blanked,
            "events_waiting": self.events_waiting,
            "dry_run": self.dry_run,
        }


def _deletable(event: Any, before: datetime, cursor: int) -> ColumnElement[bool]:
    """Old, already counted by the rollups, and with no feedback they have yet to count."""
    later = aliased(UsageEvent)
    return and_(
        event.at < before,
        event.id <= cursor,
        ~exists().where(later.about_event_id == event.id, later.id > cursor),
    )


def purge(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    dry_run: bool = False,
    actor: Reader = SYSTEM,
) -> PurgeResult:
    """Delete and blank what the retention settings say, in the caller's write session, with
    an audit row of the counts. ``dry_run`` counts the same rows and changes nothing.

    An event the rollups have not applied yet is kept until they have (it would otherwise be
    missing from the dashboards for good): run ``rollups.catch_up`` first, as ``essor purge``
    does. Such events are counted in ``events_waiting``.
    """
    events_before = now - timedelta(days=settings.event_retention_days)
    text_before = now - timedelta(days=settings.question_text_retention_days)
    cursor = session.scalar(select(UsageRollupState.last_event_id).where(UsageRollupState.id == 1))
    cursor = int(cursor or 0)
    old = _deletable(UsageEvent, events_before, cursor)
    about = aliased(UsageEvent)
    orphaned = and_(
        UsageEvent.at >= events_before,
        UsageEvent.about_event_id.in_(
            select(about.id).where(_deletable(about, events_before, cursor))
        ),
    )
    # Text is blanked on every event that stays, even one kept for the rollups' sake.
    blank = and_(UsageEvent.at < text_before, UsageEvent.question_text.isnot(None), not_(old))
    count = func.count(UsageEvent.id)
    old_count = session.scalar(select(count).where(old)) or 0
    feedback_count = session.scalar(select(count).where(orphaned)) or 0
    blank_count = session.scalar(select(count).where(blank)) or 0
    all_old = session.scalar(select(count).where(UsageEvent.at < events_before)) or 0
    result = PurgeResult(
        events_before=events_before,
        text_before=text_before,
        events_deleted=old_count + feedback_count,
        feedback_deleted=feedback_count,
        texts_blanked=blank_count,
        events_waiting=all_old - old_count,
        dry_run=dry_run,
    )
    if dry_run:
        return result
    # Explicitly, feedback first: the same counts whether or not the database cascades.
    plain = {"synchronize_session": False}
    session.execute(delete(UsageEvent).where(orphaned), execution_options=plain)
    session.execute(delete(UsageEvent).where(old), execution_options=plain)
    session.execute(
        update(UsageEvent).where(blank).values(question_text=None), execution_options=plain
    )
    record(
        session,
        actor,
        "analytics.purge",
        object_type="usage_event",
        detail=result.as_dict(),
    )
    return result
