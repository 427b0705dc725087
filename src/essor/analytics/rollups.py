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

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from essor.analytics.models import UsageEvent
from essor.analytics.periods import week_of
from essor.analytics.rollup_models import (
    ALL_DEPARTMENTS,
    NO_DEPARTMENT,
    NO_PREVIOUS_DAY,
    QUESTIONS,
    UsageDay,
    UsagePersonDay,
    UsagePersonLink,
    UsageRollupState,
    UsageWeek,
    UsageWorkflowLink,
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
        kind = subject.kind
        day = event_day(subject.at)
        department = subject.department_id if subject.department_id is not None else NO_DEPARTMENT
        run = kind == "workflow_run"
        question = kind == "question"
        value = run or (question and subject.abstained is False)
        helpful = verdict.helpful
        key = (day, department, (subject.workflow_id or QUESTIONS) if run else QUESTIONS)
        row = self.days.get(key)
        if row is None:
            row = self.days[key] = [0] * len(DAY_FIELDS)
        # The order of DAY_FIELDS.
        if question:
            row[0 if value else 1] += sign
        if run:
            row[2] += sign
            if subject.abstained is True:
                row[3] += sign
            if verdict.minutes is None:
                row[4] += sign
        if value and verdict.minutes:
            row[5] += sign * verdict.minutes
        if helpful is True:
            row[6] += sign
        elif helpful is False:
            row[7] += sign
        if value and verdict.resolved is True:
            row[8] += sign
        row[9] += sign * (subject.prompt_tokens or 0)
        row[10] += sign * (subject.completion_tokens or 0)
        person = subject.person_id
        if person is None or not value:
            return
        helped = sign if helpful is not False else 0
        workflow = subject.workflow_id if run else None
        for dept in (ALL_DEPARTMENTS, department):
            pkey = (dept, person, day)
            counts = self.people.get(pkey)
            if counts is None:
                counts = self.people[pkey] = [0, 0]
            counts[0] += sign
            counts[1] += helped
            if workflow:
                wkey = (workflow, dept, person, day)
                self.workflows[wkey] = self.workflows.get(wkey, 0) + sign


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _state(session: Session) -> UsageRollupState:
    state = session.scalar(
        select(UsageRollupState).where(UsageRollupState.id == 1).with_for_update()
    )
    if state is None:
        state = UsageRollupState(
            id=1, last_event_id=0, events_applied=0, max_day=0, updated_at=utcnow()
        )
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
    latest_day = state.max_day
    connection = session.connection()
    rows = connection.execute(
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
        for row in connection.execute(select(*_COLUMNS).where(UsageEvent.id.in_(chunk))):
            if row.kind != "feedback":
                subjects[row.id] = row
        # Only the about_event_id index: a condition on kind or id would let the planner pick
        # an index matching millions of rows. Feedback beyond the cursor is this batch's own
        # (or a later batch's) and is left out here.
        for row in connection.execute(
            select(*_COLUMNS).where(UsageEvent.about_event_id.in_(chunk)).order_by(UsageEvent.id)
        ):
            if row.id <= cursor and row.kind == "feedback":
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
    _write(session, deltas, latest_day)
    days = [day for _d, _p, day in deltas.people]
    state.max_day = max([latest_day, *days])
    state.last_event_id = end
    state.events_applied += len(rows)
    state.updated_at = utcnow()
    session.flush()
    if on_batch is not None:
        on_batch(session, end)
    return len(rows)


def _sql(session: Session, statement: str) -> str:
    """Statements are written with ``?`` markers: the driver's own style replaces them."""
    style = session.connection().dialect.paramstyle
    return statement if style == "qmark" else statement.replace("?", "%s")


def _many(session: Session, statement: str, rows: list[tuple[Any, ...]]) -> None:
    # The driver's executemany with tuples: SQLAlchemy's per-row parameter processing would
    # cost more than the statements themselves at a hundred thousand rows.
    if rows:
        session.connection().exec_driver_sql(_sql(session, statement), rows)


_UPSERT_DAY = (
    "INSERT INTO usage_day (day, department_id, workflow_key, "
    + ", ".join(DAY_FIELDS)
    + ") VALUES (?, ?, ?, "
    + ", ".join("?" for _ in DAY_FIELDS)
    + ") ON CONFLICT (day, department_id, workflow_key) DO UPDATE SET "
    + ", ".join(f"{f} = usage_day.{f} + excluded.{f}" for f in DAY_FIELDS)
)
# A new active day links to the person's previous one under the same key as it is inserted
# (rows go in day order, so a second new day of the batch sees the first).
_UPSERT_PERSON = (
    "INSERT INTO usage_person_day "
    "(department_id, person_id, day, week, prev_day, value_events, helped_events) "
    "VALUES (?, ?, ?, ?, (SELECT MAX(o.day) FROM usage_person_day o "
    "WHERE o.department_id = ? AND o.person_id = ? AND o.day < ?), ?, ?) "
    "ON CONFLICT (department_id, person_id, day) DO UPDATE SET "
    "value_events = usage_person_day.value_events + excluded.value_events, "
    "helped_events = usage_person_day.helped_events + excluded.helped_events"
)
_UPSERT_WORKFLOW = (
    "INSERT INTO usage_workflow_person_day "
    "(workflow_id, department_id, person_id, day, prev_day, runs) "
    "VALUES (?, ?, ?, ?, (SELECT MAX(o.day) FROM usage_workflow_person_day o "
    "WHERE o.workflow_id = ? AND o.department_id = ? AND o.person_id = ? AND o.day < ?), ?) "
    "ON CONFLICT (workflow_id, department_id, person_id, day) DO UPDATE SET "
    "runs = usage_workflow_person_day.runs + excluded.runs"
)
# An event that arrived late (its day before the latest day already rolled up) may fall
# between two active days: the next one now follows it.
_RELINK_PERSON = (
    "UPDATE usage_person_day SET prev_day = ? "
    "WHERE department_id = ? AND person_id = ? AND day = (SELECT MIN(o.day) "
    "FROM usage_person_day o WHERE o.department_id = ? AND o.person_id = ? AND o.day > ?)"
)
_RELINK_WORKFLOW = (
    "UPDATE usage_workflow_person_day SET prev_day = ? "
    "WHERE workflow_id = ? AND department_id = ? AND person_id = ? AND day = (SELECT "
    "MIN(o.day) FROM usage_workflow_person_day o WHERE o.workflow_id = ? "
    "AND o.department_id = ? AND o.person_id = ? AND o.day > ?)"
)


def _write(session: Session, deltas: _Deltas, latest_day: int) -> None:
    """Add the deltas; ``latest_day`` is the latest active day rolled up before this batch."""
    _write_rows(session, deltas, latest_day)
    new_days = {day for (_d, _p, day), v in deltas.people.items() if v[0] > 0}
    if not new_days:
        return
    # A late day relinks its successor: that day's link counts change too.
    late = [key for key, v in deltas.people.items() if v[0] > 0 and key[2] < latest_day]
    _recount_person_links(session, new_days | _successors(session, _NEXT_PERSON_DAY, late))
    runs = [key for key, r in deltas.workflows.items() if r > 0]
    late_runs = [key for key in runs if key[3] < latest_day]
    run_days = {key[3] for key in runs} | _successors(session, _NEXT_WORKFLOW_DAY, late_runs)
    if run_days:
        _recount_workflow_links(session, run_days)
    # Only the weeks of new active days change: a late day relinks its successor, but the
    # successor's previous day stays before the successor's own week if it was there before.
    for week in sorted({week_of(day) for day in new_days}):
        _recount_week(session, week)


_NEXT_PERSON_DAY = (
    "SELECT MIN(day) FROM usage_person_day WHERE department_id = ? AND person_id = ? AND day > ?"
)
_NEXT_WORKFLOW_DAY = (
    "SELECT MIN(day) FROM usage_workflow_person_day WHERE workflow_id = ? AND department_id = ? "
    "AND person_id = ? AND day > ?"
)


def _successors(session: Session, statement: str, keys: list[tuple[Any, ...]]) -> set[int]:
    """The next active day after each key's (its last element), where there is one."""
    if not keys:
        return set()
    connection = session.connection()
    query = _sql(session, statement)
    found = (connection.exec_driver_sql(query, key).scalar() for key in keys)
    return {int(day) for day in found if day is not None}


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _recount_person_links(session: Session, days: set[int]) -> None:
    """``usage_person_link`` for these days, counted again from the person-day rows."""
    connection = session.connection()
    for chunk in _chunks(sorted(days), 500):
        departments = [ALL_DEPARTMENTS] + [
            int(d)
            for (d,) in connection.exec_driver_sql(
                _sql(session, _DAY_DEPARTMENTS.format(days=_marks(chunk))), tuple(chunk)
            )
        ]
        where = f"department_id IN ({_marks(departments)}) AND day IN ({_marks(chunk)})"
        params = (*departments, *chunk)
        connection.exec_driver_sql(
            _sql(session, f"DELETE FROM usage_person_link WHERE {where}"), params
        )
        connection.exec_driver_sql(
            _sql(
                session,
                "INSERT INTO usage_person_link (department_id, day, prev_day, people) "
                f"SELECT department_id, day, COALESCE(prev_day, {NO_PREVIOUS_DAY}), COUNT(*) "
                f"FROM usage_person_day WHERE {where} "
                f"GROUP BY department_id, day, COALESCE(prev_day, {NO_PREVIOUS_DAY})",
            ),
            params,
        )


def _recount_workflow_links(session: Session, days: set[int]) -> None:
    """``usage_workflow_link`` for these days, counted again from the workflow rows."""
    connection = session.connection()
    for chunk in _chunks(sorted(days), 500):
        pairs = connection.exec_driver_sql(
            _sql(session, _DAY_WORKFLOWS.format(days=_marks(chunk))), (*chunk, QUESTIONS)
        ).all()
        workflows = sorted({str(w) for w, _d in pairs})
        departments = sorted({ALL_DEPARTMENTS, *(int(d) for _w, d in pairs)})
        if not workflows:
            continue
        where = (
            f"workflow_id IN ({_marks(workflows)}) AND department_id IN ({_marks(departments)}) "
            f"AND day IN ({_marks(chunk)})"
        )
        params = (*workflows, *departments, *chunk)
        connection.exec_driver_sql(
            _sql(session, f"DELETE FROM usage_workflow_link WHERE {where}"), params
        )
        connection.exec_driver_sql(
            _sql(
                session,
                "INSERT INTO usage_workflow_link "
                "(workflow_id, department_id, day, prev_day, people) "
                "SELECT workflow_id, department_id, day, "
                f"COALESCE(prev_day, {NO_PREVIOUS_DAY}), COUNT(*) "
                f"FROM usage_workflow_person_day WHERE {where} GROUP BY workflow_id, "
                f"department_id, day, COALESCE(prev_day, {NO_PREVIOUS_DAY})",
            ),
            params,
        )


_DAY_DEPARTMENTS = "SELECT DISTINCT department_id FROM usage_day WHERE day IN ({days})"
_DAY_WORKFLOWS = (
    "SELECT DISTINCT workflow_key, department_id FROM usage_day "
    "WHERE day IN ({days}) AND workflow_key <> ?"
)
_WEEK_DEPARTMENTS = "SELECT DISTINCT department_id FROM usage_day WHERE day BETWEEN ? AND ?"
_WEEK_COUNT = (
    "SELECT department_id, SUM(people) FROM usage_person_link WHERE department_id IN ({ids}) "
    "AND day BETWEEN ? AND ? AND prev_day < ? GROUP BY department_id"
)


def _recount_week(session: Session, week: int) -> None:
    """Distinct active people of one ISO week, per department, from the link counts."""
    connection = session.connection()
    last = week + 6
    departments = [ALL_DEPARTMENTS] + [
        int(d)
        for (d,) in connection.exec_driver_sql(_sql(session, _WEEK_DEPARTMENTS), (week, last))
    ]
    counts = connection.exec_driver_sql(
        _sql(session, _WEEK_COUNT.format(ids=_marks(departments))), (*departments, week, last, week)
    ).fetchall()
    session.execute(delete(UsageWeek).where(UsageWeek.week == week))
    _many(
        session,
        "INSERT INTO usage_week (week, department_id, active) VALUES (?, ?, ?)",
        [(week, int(d), int(n)) for d, n in counts],
    )


def _write_rows(session: Session, deltas: _Deltas, latest_day: int) -> None:
    _many(
        session,
        _UPSERT_DAY,
        [(*k, *v) for k, v in sorted(deltas.days.items()) if any(v)],
    )
    people = sorted(((d, p, day), v) for (d, p, day), v in deltas.people.items() if v[0] or v[1])
    people.sort(key=lambda item: item[0][2])  # day order, see _UPSERT_PERSON
    _many(
        session,
        _UPSERT_PERSON,
        [(d, p, day, week_of(day), d, p, day, v[0], v[1]) for (d, p, day), v in people],
    )
    _many(
        session,
        _RELINK_PERSON,
        [(day, d, p, d, p, day) for (d, p, day), v in people if v[0] > 0 and day < latest_day],
    )
    workflows = sorted(
        ((k, r) for k, r in deltas.workflows.items() if r), key=lambda item: item[0][3]
    )
    _many(
        session,
        _UPSERT_WORKFLOW,
        [(w, d, p, day, w, d, p, day, r) for (w, d, p, day), r in workflows],
    )
    _many(
        session,
        _RELINK_WORKFLOW,
        [
            (day, w, d, p, w, d, p, day)
            for (w, d, p, day), r in workflows
            if r > 0 and day < latest_day
        ],
    )


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
    for table in (
        UsageDay,
        UsagePersonDay,
        UsagePersonLink,
        UsageWeek,
        UsageWorkflowPersonDay,
        UsageWorkflowLink,
        UsageRollupState,
    ):
        session.execute(delete(table))
