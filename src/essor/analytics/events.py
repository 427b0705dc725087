"""Typed usage events, written in the session the caller gives.

Feedback is written in its own action's transaction. Answers and runs write nothing, so their
event follows them in a short transaction of its own (see analytics/asking.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.analytics.models import UsageEvent
from essor.governance.access import Reader
from essor.settings import Settings

MAX_QUESTION_CHARS = 2_000
MAX_MINUTES_SAVED = 8 * 60


class FeedbackError(ValueError):
    pass


@dataclass(frozen=True)
class QuestionAsked:
    mode: str
    model: str | None
    latency_ms: int
    citations: int
    abstained: bool
    language: str
    question: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class WorkflowRun:
    workflow_id: str
    mode: str
    model: str | None
    latency_ms: int
    citations: int
    abstained: bool
    language: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class Feedback:
    about_event_id: int
    helpful: bool | None = None
    minutes_saved: int | None = None
    resolved_without_ticket: bool | None = None


def _who(reader: Reader) -> tuple[int | None, int | None]:
    identity = reader.identity
    return (identity.person_id, identity.department_id) if identity else (None, None)


def _usage(
    session: Session,
    reader: Reader,
    kind: str,
    event: QuestionAsked | WorkflowRun,
    **extra: object,
) -> UsageEvent:
    person_id, department_id = _who(reader)
    row = UsageEvent(
        kind=kind,
        person_id=person_id,
        department_id=department_id,
        mode=event.mode,
        model=event.model,
        latency_ms=event.latency_ms,
        prompt_tokens=event.prompt_tokens,
        completion_tokens=event.completion_tokens,
        citations=event.citations,
        abstained=event.abstained,
        language=event.language,
        **extra,
    )
    session.add(row)
    session.flush()
    return row


def record_question(
    session: Session, reader: Reader, event: QuestionAsked, settings: Settings
) -> UsageEvent:
    text = event.question[:MAX_QUESTION_CHARS] if settings.store_question_text else None
    return _usage(session, reader, "question", event, question_text=text)


def record_workflow_run(session: Session, reader: Reader, event: WorkflowRun) -> UsageEvent:
    return _usage(session, reader, "workflow_run", event, workflow_id=event.workflow_id)


def record_feedback(session: Session, reader: Reader, event: Feedback) -> UsageEvent:
    """Feedback on one's own answer or run; the minutes are the person's own estimate."""
    identity = reader.identity
    if identity is None:
        raise FeedbackError("feedback needs a signed-in person")
    about = session.execute(
        select(UsageEvent).where(UsageEvent.id == event.about_event_id)
    ).scalar_one_or_none()
    # Someone else's answer looks exactly like a missing one.
    if about is None or about.kind == "feedback" or about.person_id != identity.person_id:
        raise FeedbackError(f"no answer {event.about_event_id} of yours to give feedback on")
    minutes = event.minutes_saved
    if minutes is not None and not 0 <= minutes <= MAX_MINUTES_SAVED:
        raise FeedbackError(f"minutes saved must be between 0 and {MAX_MINUTES_SAVED}")
    row = UsageEvent(
        kind="feedback",
        person_id=identity.person_id,
        department_id=identity.department_id,
        workflow_id=about.workflow_id,
        about_event_id=about.id,
        helpful=event.helpful,
        minutes_saved=minutes,
        resolved_without_ticket=event.resolved_without_ticket,
    )
    session.add(row)
    session.flush()
    return row
