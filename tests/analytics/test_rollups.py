"""Rollups: incremental, resumable, equal to a full recomputation; their migration."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.analytics.metrics import active_people, helped_people, workflow_people
from essor.analytics.models import UsageEvent
from essor.analytics.periods import Period
from essor.analytics.rollup_models import (
    ALL_DEPARTMENTS,
    NO_DEPARTMENT,
    UsageDay,
    UsagePersonDay,
)
from essor.analytics.rollups import DAY_FIELDS, catch_up, pending, rebuild
from essor.db import get_engine, read_session
from essor.models import Base
from essor.settings import Settings
from tests.analytics.usage_factory import Org, reference_rollups, stored_rollups

ROLLUP_TABLES = {
    "usage_day",
    "usage_week",
    "ix_usage_person_day_unhelped",
    "usage_person_day",
    "usage_workflow_person_day",
    "usage_person_link",
    "usage_workflow_link",
    "ix_person_employment",
    "usage_rollup_state",
}


def test_migration_matches_the_models(settings: Settings) -> None:
    with get_engine(settings).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if ROLLUP_TABLES & set(str(d).replace('"', "'").split("'"))]
    assert mine == []


# -- random event streams --------------------------------------------------------------------
def _random_stream(org: Org, rng: random.Random, n: int, start: date, ids: list[int]) -> None:
    """``n`` random events written in a few transactions: questions (some abstained), runs
    (known, unknown and no workflow), people without a department and events without a person,
    events dated days back (late arrivals), and feedback, often repeated, on any earlier event
    including ones already rolled up."""
    people = list(org.people)
    workflows = ["ask", "hr-policy-answer", "sales-proposal", "training-course", "gone-workflow"]
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        day = start + timedelta(days=rng.randint(0, 40))
        person = rng.choice(people) if rng.random() < 0.95 else None
        roll = rng.random()
        if roll < 0.3 and ids:
            about = rng.choice(ids)
            rows.append(
                {
                    "about": about,
                    "day": day,
                    "kind": "feedback",
                    "helpful": rng.choice([True, False, None]),
                    "minutes_saved": rng.choice([None, None, 0, 5, 30]),
                    "resolved_without_ticket": rng.choice([None, True, False]),
                }
            )
            continue
        kind = "question" if roll < 0.65 else "workflow_run"
        row: dict[str, Any] = {
            "person": person,
            "day": day,
            "kind": kind,
            "abstained": rng.choice([False, False, False, True, None]),
            "prompt_tokens": rng.choice([None, rng.randint(1, 900)]),
            "completion_tokens": rng.randint(0, 300),
        }
        if kind == "workflow_run":
            row["workflow_id"] = rng.choice([*workflows, None])
        if person is not None and rng.random() < 0.05:
            row["department"] = None  # someone between departments
        rows.append(row)
        if len(rows) >= 50:
            ids.extend(_write(org, rows))
            rows = []
    ids.extend(_write(org, rows))


def _write(org: Org, rows: list[dict[str, Any]]) -> list[int]:
    out = []
    for r in rows:
        if r["kind"] == "feedback":
            about = r.pop("about")
            kw = {k: v for k, v in r.items() if k not in ("kind", "day")}
            out.append(org.feedback(about, r["day"], **kw))
        else:
            out.extend(org.events([r]))
    return out


def _org(settings: Settings) -> Org:
    org = Org(settings)
    org.department("A", 4)
    org.department("B", 3)
    org.person(None)
    return org


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_rollups_equal_the_reference_and_a_rebuild(
    settings: Settings, seed: int
) -> None:
    rng = random.Random(seed)
    org = _org(settings)
    ids: list[int] = []
    start = date(2026, 3, 2)
    for _ in range(6):
        _random_stream(org, rng, rng.randint(20, 80), start, ids)
        catch_up(settings, batch_size=rng.randint(1, 40))
    expected = reference_rollups(settings)
    assert stored_rollups(settings) == expected
    assert expected["usage_person_day"] and expected["usage_workflow_person_day"]
    # Late arrivals were among them, so chains were relinked.
    rebuilt = rebuild(settings, batch_size=17)
    assert rebuilt.events == len(ids)
    assert stored_rollups(settings) == expected


@pytest.mark.parametrize("seed", [4, 5])
def test_distinct_people_from_chains_equal_a_count_over_raw_events(
    settings: Settings, seed: int
) -> None:
    rng = random.Random(seed)
    org = _org(settings)
    ids: list[int] = []
    start = date(2026, 3, 2)
    for _ in range(3):
        _random_stream(org, rng, 80, start, ids)
        catch_up(settings, batch_size=25)
    with read_session(settings) as session:
        events = session.scalars(select(UsageEvent)).all()
        unhelpful = {
            e.about_event_id: e.helpful
            for e in sorted(events, key=lambda e: e.id)
            if e.kind == "feedback" and e.helpful is not None
        }
        departments = [ALL_DEPARTMENTS, *org.departments.values(), NO_DEPARTMENT]
        for _ in range(15):
            a = start + timedelta(days=rng.randint(0, 40))
            period = Period(a, a + timedelta(days=rng.randint(0, 20)))
            active = active_people(session, period, departments)
            helped = helped_people(session, period, departments, active)
            people = workflow_people(session, period, ["ask", "gone-workflow"], departments)
            for d in departments:
                mine = [
                    e
                    for e in events
                    if e.kind != "feedback"
                    and e.person_id is not None
                    and (e.kind == "workflow_run" or e.abstained is False)
                    and period.start <= e.at.date() <= period.end
                    and (d == ALL_DEPARTMENTS or (e.department_id or NO_DEPARTMENT) == d)
                ]
                assert active[d] == len({e.person_id for e in mine}), (period, d)
                assert helped[d] == len(
                    {e.person_id for e in mine if unhelpful.get(e.id) is not False}
                ), (period, d)
                for wf in ("ask", "gone-workflow"):
                    ran = {e.person_id for e in mine if e.workflow_id == wf}
                    assert people.get((wf, d), 0) == len(ran), (period, d, wf)


# -- crashes ---------------------------------------------------------------------------------
class BatchFailed(RuntimeError):
    pass


def test_a_batch_that_fails_is_rolled_back_and_the_next_catch_up_resumes(
    settings: Settings,
) -> None:
    rng = random.Random(7)
    org = _org(settings)
    ids: list[int] = []
    _random_stream(org, rng, 150, date(2026, 3, 2), ids)
    batches: list[int] = []

    def third_fails(session: Session, last_id: int) -> None:
        batches.append(last_id)
        if len(batches) == 3:
            raise BatchFailed("disk full")

    with pytest.raises(BatchFailed):
        catch_up(settings, batch_size=20, on_batch=third_fails)
    with read_session(settings) as session:
        cursor, newest = pending(session)
    assert cursor == batches[1] and newest == max(ids)
    report = catch_up(settings, batch_size=20)
    assert report.events == newest - cursor
    assert stored_rollups(settings) == reference_rollups(settings)


KILLED_CATCH_UP = """
import sys, time
from pathlib import Path
from essor.analytics.rollups import catch_up
from essor.settings import Settings

settings = Settings(data_dir=Path(sys.argv[1]), _env_file=None)
catch_up(settings, batch_size=5, on_batch=lambda session, last: time.sleep(0.05))
"""


def test_a_killed_catch_up_never_double_counts(settings: Settings) -> None:
    rng = random.Random(8)
    org = _org(settings)
    ids: list[int] = []
    _random_stream(org, rng, 300, date(2026, 3, 2), ids)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_CATCH_UP, str(settings.data_dir)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")},
    )
    deadline = time.monotonic() + 60
    cursor = 0
    while time.monotonic() < deadline:
        with read_session(settings) as session:
            cursor, newest = pending(session)
        if cursor >= 50:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with read_session(settings) as session:
        cursor, newest = pending(session)
    assert 0 < cursor < newest, "the catch-up was killed half way"
    catch_up(settings, batch_size=30)
    assert stored_rollups(settings) == reference_rollups(settings)


# -- feedback after the rollup ------------------------------------------------------------
def test_feedback_after_its_event_was_rolled_up_changes_its_day(settings: Settings) -> None:
    org = Org(settings)
    [p] = org.department("A", 1)
    monday = date(2026, 3, 2)
    run = org.run(p, monday, "hr-policy-answer")  # estimate: 6 minutes
    question = org.question(p, monday)
    catch_up(settings)
    key = (monday.toordinal(), org.departments["A"])

    def day_row(workflow: str) -> dict[str, int]:
        with read_session(settings) as session:
            row = session.get(UsageDay, (*key, workflow))
            assert row is not None
            return {f: getattr(row, f) for f in DAY_FIELDS}

    def helped() -> int:
        with read_session(settings) as session:
            row = session.get(UsagePersonDay, (org.departments["A"], p, monday.toordinal()))
            assert row is not None
            return row.helped_events

    assert day_row("hr-policy-answer")["runs_estimated"] == 1
    assert helped() == 2
    # Three days later: not helpful, but 20 minutes saved and no ticket needed.
    org.feedback(run, monday + timedelta(days=3), helpful=False, minutes_saved=20)
    catch_up(settings)
    row = day_row("hr-policy-answer")
    assert (row["runs"], row["runs_estimated"], row["own_minutes"], row["unhelpful"]) == (
        1,
        0,
        20,
        1,
    )
    assert helped() == 1
    # A second word on it: helpful after all; minutes unchanged (not given again).
    org.feedback(run, monday + timedelta(days=4), helpful=True)
    org.feedback(question, monday + timedelta(days=4), resolved_without_ticket=True)
    catch_up(settings, batch_size=1)
    row = day_row("hr-policy-answer")
    assert (row["own_minutes"], row["helpful"], row["unhelpful"]) == (20, 1, 0)
    assert day_row("")["tickets_avoided"] == 1
    assert helped() == 2
    assert stored_rollups(settings) == reference_rollups(settings)


def test_a_current_catch_up_does_nothing(settings: Settings) -> None:
    org = Org(settings)
    [p] = org.department("A", 1)
    org.question(p, date(2026, 3, 2))
    assert catch_up(settings).events == 1
    again = catch_up(settings)
    assert (again.events, again.batches) == (0, 0)


def test_the_link_counts_migration_fills_them_from_existing_rollups(settings: Settings) -> None:
    """A database rolled up before migration 0017 gets its link counts from its person-day
    rows, the same as rolling up from scratch."""
    from alembic import command

    from essor.migrate import alembic_config, upgrade

    rng = random.Random(7)
    org = _org(settings)
    ids: list[int] = []
    _random_stream(org, rng, 120, date(2026, 3, 2), ids)
    catch_up(settings, batch_size=30)
    expected = reference_rollups(settings)
    assert expected["usage_person_link"] and expected["usage_workflow_link"]
    cfg = alembic_config()
    with get_engine(settings).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0016")
    upgrade(settings)
    assert stored_rollups(settings) == expected
