"""The retention purge on a hand-built event history: old events go (with the feedback about
them), recent ones stay, question text is blanked after its own retention, a dry run changes
nothing, and every real run leaves an audit row with its counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from essor.analytics.models import UsageEvent
from essor.analytics.purge import purge
from essor.analytics.rollup_models import UsageDay, UsagePersonDay, UsageWorkflowPersonDay
from essor.analytics.rollups import catch_up
from essor.cli.main import app
from essor.db import dispose_engines, read_session, write_session
from essor.governance.models import AuditEvent
from essor.settings import Settings, reset_settings_cache

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # events before 2 Oct 12:00, text before 25 Oct


def _at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _history(settings: Settings) -> dict[str, int]:
    ids: dict[str, int] = {}
    with write_session(settings) as s:

        def add(name: str, kind: str, at: datetime, **extra: object) -> None:
            row = UsageEvent(kind=kind, at=at, **extra)
            s.add(row)
            s.flush()
            ids[name] = row.id

        add("e1", "question", _at(9, 1), question_text="old question")
        add("e2", "question", _at(10, 1), question_text="old too")
        add("f2", "feedback", _at(10, 5), about_event_id=ids["e2"], minutes_saved=4)
        add("e3", "question", _at(10, 10), question_text="middle-aged question")
        add("f3", "feedback", _at(10, 11), about_event_id=ids["e3"], helpful=True)
        add("e4", "question", _at(10, 30), question_text="recent question")
        add("e5", "workflow_run", _at(9, 15), workflow_id="hr-policy")
        add("f5", "feedback", _at(9, 16), about_event_id=ids["e5"], minutes_saved=9)
        add("e6", "question", _at(10, 20))
        # Exactly at the cut-off: kept (only what is older goes).
        add("e7", "question", NOW - timedelta(days=30), question_text="on the edge")
    return ids


@pytest.fixture
def short(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"event_retention_days": 30, "question_text_retention_days": 7}
    )


def _state(settings: Settings) -> dict[int, str | None]:
    with read_session(settings) as s:
        return {e.id: e.question_text for e in s.scalars(select(UsageEvent))}


def _purges(settings: Settings) -> list[dict[str, object]]:
    with read_session(settings) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "analytics.purge"))
        return [json.loads(a.detail) for a in rows]


def _rollups(settings: Settings) -> tuple[list[tuple[object, ...]], ...]:
    with read_session(settings) as s:
        return tuple(
            [
                tuple(row)
                for row in s.execute(
                    select(*table.__table__.columns).order_by(*table.__table__.primary_key)
                )
            ]
            for table in (UsageDay, UsagePersonDay, UsageWorkflowPersonDay)
        )


def _late(settings: Settings, ids: dict[str, int]) -> None:
    """Events the rollups have not applied yet: an old run, and recent feedback on e1."""
    with write_session(settings) as s:
        e8 = UsageEvent(kind="workflow_run", at=_at(9, 2), workflow_id="hr-policy")
        f9 = UsageEvent(kind="feedback", at=_at(10, 31), about_event_id=ids["e1"], helpful=True)
        s.add_all([e8, f9])
        s.flush()
        ids["e8"], ids["f9"] = e8.id, f9.id


def test_purge_by_hand(short: Settings) -> None:
    ids = _history(short)
    catch_up(short)
    rolled = _rollups(short)
    assert rolled[0] != []  # the history is in the rollups
    _late(short, ids)
    before = _state(short)
    with read_session(short) as s:
        dry = purge(s, short, now=NOW, dry_run=True)
    # Deleted: e2 (with f2, newer feedback about it), e5 and f5. Kept for the rollups: e1
    # (f9 about it is not rolled up yet) and e8. Blanked: e3, e7 and the waiting e1.
    counts = (dry.events_deleted, dry.feedback_deleted, dry.texts_blanked, dry.events_waiting)
    assert counts == (4, 1, 3, 2)
    assert _state(short) == before and _purges(short) == []

    with write_session(short) as s:
        done = purge(s, short, now=NOW)
    assert (done.events_deleted, done.feedback_deleted, done.texts_blanked) == (4, 1, 3)
    assert done.events_before == _at(10, 2) and done.text_before == _at(10, 25)
    assert _state(short) == {
        ids["e1"]: None,  # waits for the rollups, its text already blanked
        ids["e3"]: None,  # kept, its text blanked after 7 days
        ids["f3"]: None,
        ids["e4"]: "recent question",
        ids["e6"]: None,
        ids["e7"]: None,
        ids["e8"]: None,
        ids["f9"]: None,
    }
    assert _rollups(short) == rolled  # the purge never touches the rollups
    [audit] = _purges(short)
    assert audit["events_deleted"] == 4 and audit["texts_blanked"] == 3
    assert audit["events_waiting"] == 2 and audit["dry_run"] is False

    catch_up(short)
    with write_session(short) as s:
        then = purge(s, short, now=NOW)
    assert (then.events_deleted, then.feedback_deleted, then.events_waiting) == (3, 1, 0)
    after = _state(short)
    assert sorted(after) == sorted(ids[k] for k in ("e3", "f3", "e4", "e6", "e7"))
    with write_session(short) as s:
        again = purge(s, short, now=NOW)
    assert (again.events_deleted, again.texts_blanked, again.events_waiting) == (0, 0, 0)
    assert _state(short) == after


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ESSOR_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("ESSOR_EVENT_RETENTION_DAYS", "30")
    reset_settings_cache()
    yield CliRunner()
    dispose_engines()
    reset_settings_cache()


def test_essor_purge(runner: CliRunner, tmp_path: Path) -> None:
    first = runner.invoke(app, ["purge", "--json"])  # migrates an empty database
    assert first.exit_code == 0, first.output
    settings = Settings(data_dir=tmp_path / "cli-data", _env_file=None)
    old = datetime.now(UTC) - timedelta(days=31)
    with write_session(settings) as s:
        s.add_all([UsageEvent(kind="question", at=old), UsageEvent(kind="question")])
    dry = runner.invoke(app, ["purge", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    # A dry run changes nothing, not even the rollups: the old event waits for them.
    assert json.loads(dry.stdout)["events_waiting"] == 1
    assert json.loads(dry.stdout)["events_deleted"] == 0
    assert len(_state(settings)) == 2
    real = runner.invoke(app, ["purge"])
    assert real.exit_code == 0, real.output
    assert "deleted 1 usage events" in real.stdout
    assert len(_state(settings)) == 1
