"""Rollups kept up to date from the usage events: incremental, resumable, never double-counting.

The cursor (``usage_rollup_state.last_event_id``) is the last event applied. A catch-up reads the
events after it in id order, in batches; each batch and the cursor's advance are written in one
transaction, so a crash loses at most the batch in flight and the next catch-up starts again
right after the last committed one. Two catch-ups at once queue on the write lock (SQLite) or on
the state row (``FOR UPDATE``, PostgreSQL), and the second reads the cursor the first left.

Feedback changes what its event is worth (helpful or not, the person's own minutes, resolved
without a ticket), possibly long after the event was rolled up. So a batch works on *subjects*:
the questions and runs it contains plus those its feedback rows are about. For each subject its
contribution is computed twice, from the feedback already applied (ids up to the cursor) and from
the feedback applied once this batch is in (ids up to the batch's last id), and the difference is
added to the rows of the subject's own day, department, person and workflow. A new event has no
earlier contribution. Several feedback rows on one event combine field by field: the latest row
that gives a field wins.

The rules (also in docs/metrics.md): a *value event* is a question that was answered (not
abstained) or a workflow run. Minutes saved are the person's own figure when given, otherwise,
for runs, the workflow's estimate (applied when metrics are read, from the registry); an answered
question without a figure saves nothing. A ticket is avoided by a value event marked resolved
without a ticket. A value event *helped* unless its feedback says it was not helpful.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from essor.analytics.models import UsageEvent
from essor.analytics.periods import week_of
from essor.analytics.rollup_models import (
    ALL_DEPARTMENTS,
    NO_DEPARTMENT,
    QUESTIONS,
    UsageDay,
    UsagePersonDay,
    UsageRollupState,
    UsageWorkflowPersonDay,
)
from essor.db import read_session, write_session
from essor.knowledge.models import utcnow
from essor.settings import Settings

BATCH_SIZE = 50_000
# Bound parameters per IN list (SQLite allows 32,766 per statement; PostgreSQL far more).
IN_CHUNK = 5_000

DAY_FIELDS = (
    "questions",
    "questions_abstained",
    "runs",
    "runs_abstained",
    "runs_estimated",
    "own_minutes",
    "helpful",
    "unhelpful",
    "tickets_avoided",
    "prompt_tokens",
    "completion_tokens",
)

Vector = list[int]
BatchHook = Callable[[Session, int], None]
Progress = Callable[[int, int], None]

_COLUMNS = (
    UsageEvent.id,
    UsageEvent.at,
    UsageEvent.kind,
    UsageEvent.person_id,
    UsageEvent.department_id,
    UsageEvent.workflow_id,
    UsageEvent.abstained,
    UsageEvent.prompt_tokens,
    UsageEvent.completion_tokens,
    UsageEvent.about_event_id,
    UsageEvent.helpful,
    UsageEvent.minutes_saved,
    UsageEvent.resolved_without_ticket,
)


@dataclass(frozen=True)
class RollupReport:
    batches: int
    events: int
    last_event_id: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "batches": self.batches,
            "events": self.events,
            "last_event_id": self.last_event_id,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Verdict:
    """What the feedback on one event says, field by field (None: not said)."""

    helpful: bool | None = None
    minutes: int | None = None
    resolved: bool | None = None

    def add(self, row: Any) -> None:
        if row.helpful is not None:
            self.helpful = row.helpful
        if row.minutes_saved is not None:
            self.minutes = row.minutes_saved
        if row.resolved_without_ticket is not None:
            self.resolved = row.resolved_without_ticket


def is_value_event(kind: str, abstained: bool | None) -> bool:
    return kind == "workflow_run" or (kind == "question" and abstained is False)


def event_day(at: datetime) -> int:
    return at.date().toordinal()


class _Deltas:
    def __init__(self) -> None:
        self.days: dict[tuple[int, int, str], Vector] = {}
        self.people: dict[tuple[int, int, int], Vector] = {}  # (dept, person, day) -> [v, h]
        self.workflows: dict[tuple[str, int, int, int], int] = {}  # (wf, dept, person, day)

    def add(self, subject: Any, verdict: _Verdict, sign: int) -> None:
        day = event_day(subject.at)
        department = subject.department_id if subject.department_id is not None else NO_DEPARTMENT
        run = subject.kind == "workflow_run"
        value = is_value_event(subject.kind, subject.abstained)
        own = verdict.minutes is not None
        vector = [
            int(subject.kind == "question" and value),
            int(subject.kind == "question" and not value),
            int(run),
            int(run and subject.abstained is True),
            int(run and not own),
            (verdict.minutes or 0) if value else 0,
            int(verdict.helpful is True),
            int(verdict.helpful is False),
            int(value and verdict.resolved is True),
            subject.prompt_tokens or 0,
            subject.completion_tokens or 0,
        ]
        key = (day, department, (subject.workflow_id or QUESTIONS) if run else QUESTIONS)
        row = self.days.setdefault(key, [0] * len(DAY_FIELDS))
        for i, v in enumerate(vector):
            row[i] += sign * v
        if subject.person_id is None or not value:
            return
        helped = int(verdict.helpful is not False)
        for dept in (ALL_DEPARTMENTS, department):
            people = self.people.setdefault((dept, subject.person_id, day), [0, 0])
            people[0] += sign
            people[1] += sign * helped
            if run and subject.workflow_id:
                wkey = (subject.workflow_id, dept, subject.person_id, day)
                self.workflows[wkey] = self.workflows.get(wkey, 0) + sign


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _state(session: Session) -> UsageRollupState:
    state = session.scalar(
        select(UsageRollupState).where(UsageRollupState.id == 1).with_for_update()
    )
    if state is None:
        state = UsageRollupState(id=1, last_event_id=0, events_applied=0, updated_at=utcnow())
        session.add(state)
        session.flush()
    return state


def apply_batch(
    session: Session, limit: int = BATCH_SIZE, on_batch: BatchHook | None = None
) -> int:
    """Apply up to ``limit`` events after the cursor and advance it, in the caller's
    transaction; the number of events applied (0: the rollups are current)."""
    state = _state(session)
    cursor = state.last_event_id
    rows = session.execute(
        select(*_COLUMNS).where(UsageEvent.id > cursor).order_by(UsageEvent.id).limit(limit)
    ).all()
    if not rows:
        return 0
    end = rows[-1].id
    subjects: dict[int, Any] = {}
    new_feedback: dict[int, list[Any]] = {}
    for row in rows:
        if row.kind == "feedback":
            if row.about_event_id is not None:
                new_feedback.setdefault(row.about_event_id, []).append(row)
        else:
            subjects[row.id] = row
    old_ids = sorted(i for i in new_feedback if i not in subjects)
    old_feedback: dict[int, list[Any]] = {}
    for chunk in _chunks(old_ids):
        for row in session.execute(select(*_COLUMNS).where(UsageEvent.id.in_(chunk))):
            if row.kind != "feedback":
                subjects[row.id] = row
        for row in session.execute(
            select(*_COLUMNS)
            .where(
                UsageEvent.about_event_id.in_(chunk),
                UsageEvent.kind == "feedback",
                UsageEvent.id <= cursor,
            )
            .order_by(UsageEvent.id)
        ):
            old_feedback.setdefault(row.about_event_id, []).append(row)
    deltas = _Deltas()
    for subject_id, subject in subjects.items():
        before = _Verdict()
        for row in old_feedback.get(subject_id, ()):
            before.add(row)
        if subject_id <= cursor:
            deltas.add(subject, before, -1)
        after = before
        for row in new_feedback.get(subject_id, ()):
            after.add(row)
        deltas.add(subject, after, +1)
    _write(session, deltas)
    state.last_event_id = end
    state.events_applied += len(rows)
    state.updated_at = utcnow()
    session.flush()
    if on_batch is not None:
        on_batch(session, end)
    return len(rows)


_UPSERT_DAY = text(
    "INSERT INTO usage_day (day, department_id, workflow_key, "
    + ", ".join(DAY_FIELDS)
    + ") VALUES (:day, :department_id, :workflow_key, "
    + ", ".join(f":{f}" for f in DAY_FIELDS)
    + ") ON CONFLICT (day, department_id, workflow_key) DO UPDATE SET "
    + ", ".join(f"{f} = usage_day.{f} + excluded.{f}" for f in DAY_FIELDS)
)
_UPSERT_PERSON = text(
    "INSERT INTO usage_person_day "
    "(department_id, person_id, day, week, prev_day, value_events, helped_events) "
    "VALUES (:d, :p, :day, :week, NULL, :v, :h) "
    "ON CONFLICT (department_id, person_id, day) DO UPDATE SET "
    "value_events = usage_person_day.value_events + excluded.value_events, "
    "helped_events = usage_person_day.helped_events + excluded.helped_events"
)
_UPSERT_WORKFLOW = text(
    "INSERT INTO usage_workflow_person_day "
    "(workflow_id, department_id, person_id, day, prev_day, runs) "
    "VALUES (:w, :d, :p, :day, NULL, :r) "
    "ON CONFLICT (workflow_id, department_id, person_id, day) DO UPDATE SET "
    "runs = usage_workflow_person_day.runs + excluded.runs"
)
# A new active day links to the previous one, and the next one (an event that arrived late)
# links to it instead of to the one before.
_LINK_PERSON = (
    text(
        "UPDATE usage_person_day SET prev_day = (SELECT MAX(o.day) FROM usage_person_day o "
        "WHERE o.department_id = :d AND o.person_id = :p AND o.day < :day) "
        "WHERE department_id = :d AND person_id = :p AND day = :day"
    ),
    text(
        "UPDATE usage_person_day SET prev_day = :day "
        "WHERE department_id = :d AND person_id = :p AND day = (SELECT MIN(o.day) "
        "FROM usage_person_day o WHERE o.department_id = :d AND o.person_id = :p "
        "AND o.day > :day)"
    ),
)
_LINK_WORKFLOW = (
    text(
        "UPDATE usage_workflow_person_day SET prev_day = (SELECT MAX(o.day) "
        "FROM usage_workflow_person_day o WHERE o.workflow_id = :w AND o.department_id = :d "
        "AND o.person_id = :p AND o.day < :day) "
        "WHERE workflow_id = :w AND department_id = :d AND person_id = :p AND day = :day"
    ),
    text(
        "UPDATE usage_workflow_person_day SET prev_day = :day "
        "WHERE workflow_id = :w AND department_id = :d AND person_id = :p AND day = (SELECT "
        "MIN(o.day) FROM usage_workflow_person_day o WHERE o.workflow_id = :w "
        "AND o.department_id = :d AND o.person_id = :p AND o.day > :day)"
    ),
)


def _existing_people(
    session: Session, keys: Iterable[tuple[int, int, int]]
) -> set[tuple[int, int, int]]:
    by_day: dict[int, set[int]] = {}
    for dept, _person, day in keys:
        by_day.setdefault(day, set()).add(dept)
    found: set[tuple[int, int, int]] = set()
    for day, depts in by_day.items():
        rows = session.execute(
            select(UsagePersonDay.department_id, UsagePersonDay.person_id).where(
                UsagePersonDay.department_id.in_(sorted(depts)), UsagePersonDay.day == day
            )
        )
        found.update((d, p, day) for d, p in rows)
    return found


def _existing_workflows(
    session: Session, keys: Iterable[tuple[str, int, int, int]]
) -> set[tuple[str, int, int, int]]:
    by_day: dict[int, tuple[set[str], set[int]]] = {}
    for wf, dept, _person, day in keys:
        wfs, depts = by_day.setdefault(day, (set(), set()))
        wfs.add(wf)
        depts.add(dept)
    found: set[tuple[str, int, int, int]] = set()
    for day, (wfs, depts) in by_day.items():
        t = UsageWorkflowPersonDay
        rows = session.execute(
            select(t.workflow_id, t.department_id, t.person_id).where(
                t.workflow_id.in_(sorted(wfs)), t.department_id.in_(sorted(depts)), t.day == day
            )
        )
        found.update((w, d, p, day) for w, d, p in rows)
    return found


def _write(session: Session, deltas: _Deltas) -> None:
    day_rows = [
        {
            "day": k[0],
            "department_id": k[1],
            "workflow_key": k[2],
            **dict(zip(DAY_FIELDS, v, strict=True)),
        }
        for k, v in deltas.days.items()
        if any(v)
    ]
    if day_rows:
        session.execute(_UPSERT_DAY, day_rows)
    people = {k: v for k, v in deltas.people.items() if v[0] or v[1]}
    if people:
        fresh = [k for k, v in people.items() if v[0] > 0]
        existing = _existing_people(session, fresh)
        session.execute(
            _UPSERT_PERSON,
            [
                {"d": d, "p": p, "day": day, "week": week_of(day), "v": v[0], "h": v[1]}
                for (d, p, day), v in people.items()
            ],
        )
        links = [{"d": d, "p": p, "day": day} for d, p, day in fresh if (d, p, day) not in existing]
        if links:
            for statement in _LINK_PERSON:
                session.execute(statement, links)
    workflows = {k: v for k, v in deltas.workflows.items() if v}
    if workflows:
        existing_wf = _existing_workflows(session, workflows)
        session.execute(
            _UPSERT_WORKFLOW,
            [
                {"w": w, "d": d, "p": p, "day": day, "r": r}
                for (w, d, p, day), r in workflows.items()
            ],
        )
        wf_links = [
            {"w": w, "d": d, "p": p, "day": day}
            for (w, d, p, day) in workflows
            if (w, d, p, day) not in existing_wf
        ]
        if wf_links:
            for statement in _LINK_WORKFLOW:
                session.execute(statement, wf_links)


def pending(session: Session) -> tuple[int, int]:
    """(the cursor, the newest event id): the rollups are current when they are equal."""
    cursor = session.scalar(select(UsageRollupState.last_event_id).where(UsageRollupState.id == 1))
    newest = session.scalar(select(func.max(UsageEvent.id)))
    return cursor or 0, newest or 0


def catch_up(
    settings: Settings,
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: BatchHook | None = None,
    progress: Progress | None = None,
) -> RollupReport:
    """Apply every event after the cursor, one transaction per batch; cheap when current."""
    started = time.perf_counter()
    with read_session(settings) as session:
        cursor, newest = pending(session)
    batches = events = 0
    while cursor < newest:
        with write_session(settings) as session:
            n = apply_batch(session, batch_size, on_batch)
            cursor = _state(session).last_event_id
        if n == 0:
            break
        batches += 1
        events += n
        if progress is not None:
            progress(events, cursor)
    return RollupReport(batches, events, cursor, time.perf_counter() - started)


def rebuild(
    settings: Settings, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> RollupReport:
    """Forget the rollups and apply every event again (after changing these rules)."""
    with write_session(settings) as session:
        clear(session)
    return catch_up(settings, batch_size=batch_size, progress=progress)


def clear(session: Session) -> None:
    for table in (UsageDay, UsagePersonDay, UsageWorkflowPersonDay, UsageRollupState):
        session.execute(delete(table))
