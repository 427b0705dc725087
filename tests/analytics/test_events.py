"""Usage events: typed, in the action's transaction, none lost under concurrent writers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from essor.analytics.events import (
    Feedback,
    FeedbackError,
    QuestionAsked,
    WorkflowRun,
    record_feedback,
    record_question,
    record_workflow_run,
)
from essor.analytics.models import UsageEvent
from essor.db import read_session, write_session
from essor.governance.access import SYSTEM, Reader, identity_for
from essor.people.models import Department, Person
from essor.settings import Settings


def _people(settings: Settings) -> tuple[Reader, Reader]:
    with write_session(settings) as s:
        dept = Department(code="OPS", name="Operations")
        s.add(dept)
        s.flush()
        s.add_all(
            [
                Person(email="ann@x.example", name="Ann", department_id=dept.id),
                Person(email="bob@x.example", name="Bob", department_id=dept.id),
            ]
        )
    with read_session(settings) as s:
        ann, bob = identity_for(s, "ann@x.example"), identity_for(s, "bob@x.example")
    assert ann and bob
    return Reader(ann), Reader(bob)


def _question(text: str = "How do I reset my VPN token?") -> QuestionAsked:
    return QuestionAsked(
        mode="extractive",
        model=None,
        latency_ms=12,
        citations=2,
        abstained=False,
        language="en",
        question=text,
    )


def test_question_text_is_kept_only_when_allowed(settings: Settings) -> None:
    ann, _ = _people(settings)
    keep = settings.model_copy(update={"store_question_text": True})
    with write_session(settings) as s:
        hidden = record_question(s, ann, _question(), settings).id
        kept = record_question(s, ann, _question(), keep).id
    with read_session(settings) as s:
        assert s.get(UsageEvent, hidden).question_text is None  # type: ignore[union-attr]
        row = s.get(UsageEvent, kept)
        assert row is not None and row.question_text == "How do I reset my VPN token?"
        assert row.department_id is not None and row.person_id is not None


def test_feedback_only_on_ones_own_answers(settings: Settings) -> None:
    ann, bob = _people(settings)
    with write_session(settings) as s:
        asked = record_question(s, ann, _question(), settings).id
        run = record_workflow_run(
            s,
            ann,
            WorkflowRun("hr-policy", "extractive", None, 30, 3, False, "fr"),
        ).id
    with write_session(settings) as s:
        fb = record_feedback(
            s, ann, Feedback(asked, helpful=True, minutes_saved=10, resolved_without_ticket=True)
        )
        assert fb.kind == "feedback" and fb.about_event_id == asked
        assert record_feedback(s, ann, Feedback(run, helpful=False)).workflow_id == "hr-policy"
    for reader, event, message in [
        (bob, Feedback(asked, helpful=True), "of yours"),
        (SYSTEM, Feedback(asked, helpful=True), "signed-in"),
        (ann, Feedback(999_999), "of yours"),
        (ann, Feedback(asked, minutes_saved=10_000), "between"),
    ]:
        with pytest.raises(FeedbackError, match=message), write_session(settings) as s:
            record_feedback(s, reader, event)


def test_an_event_rolls_back_with_its_action(settings: Settings) -> None:
    ann, _ = _people(settings)
    with pytest.raises(RuntimeError), write_session(settings) as s:
        record_question(s, ann, _question(), settings)
        raise RuntimeError("the answer failed after the event was written")
    with read_session(settings) as s:
        assert s.execute(select(func.count()).select_from(UsageEvent)).scalar_one() == 0


def test_no_event_lost_with_eight_concurrent_writers(settings: Settings) -> None:
    ann, bob = _people(settings)
    writers, per_writer = 8, 60
    errors: list[BaseException] = []

    def work(i: int) -> None:
        reader = ann if i % 2 else bob
        try:
            for _ in range(per_writer):
                with write_session(settings) as s:
                    record_question(s, reader, _question(), settings)
        except BaseException as exc:  # counted below: the test fails on any
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_session(settings) as s:
        total = s.execute(select(func.count()).select_from(UsageEvent)).scalar_one()
    assert total == writers * per_writer


def test_cli_ask_as_a_person_records_one_event(tmp_path: object) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    data = Path(str(tmp_path)) / "data"
    docs = Path(str(tmp_path)) / "docs"
    docs.mkdir()
    (docs / "vpn.md").write_text("# VPN\n\nReset your VPN token in the IT portal, then sign in.\n")
    env = {**os.environ, "ESSOR_DATA_DIR": str(data)}

    def essor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "essor.cli", *args], env=env, capture_output=True, text=True
        )

    assert essor("ingest", str(docs), "-c", "it").returncode == 0
    settings = Settings(data_dir=data, _env_file=None)  # type: ignore[call-arg]
    _people(settings)
    as_ann = json.loads(
        essor("ask", "How do I reset my VPN token?", "--as", "ann@x.example", "--json").stdout
    )
    operator = json.loads(essor("ask", "How do I reset my VPN token?", "--json").stdout)
    assert as_ann["event_id"] is not None and operator["event_id"] is None
    with read_session(settings) as s:
        rows = s.scalars(select(UsageEvent)).all()
    assert len(rows) == 1 and rows[0].citations == len(as_ann["sources"]) > 0
    assert rows[0].question_text is None  # not kept by default


def test_a_workflow_run_records_one_event(settings: Settings, tmp_path: object) -> None:
    from pathlib import Path

    from essor.analytics.asking import run_and_record
    from essor.knowledge.actions import ingest_path
    from essor.workflows.registry import load_registry

    folder = Path(str(tmp_path)) / "ops"
    folder.mkdir()
    (folder / "vpn.md").write_text(
        "# VPN access\n\n## Reset\n\n1. Open the IT portal.\n2. Choose Reset VPN token.\n"
        "3. Sign in again with the new token within ten minutes.\n"
    )
    ingest_path(folder, "operations", settings=settings)
    ann, _ = _people(settings)  # department OPS
    ask_workflow = load_registry(settings).definitions["ask"]
    result, event_id = run_and_record(
        settings,
        ask_workflow,
        {"question": "How do I reset my VPN token?"},
        reader=ann,
        language="en",
    )
    _, operator_event = run_and_record(
        settings,
        ask_workflow,
        {"question": "How do I reset my VPN token?"},
        reader=SYSTEM,
        language="en",
    )
    assert result.citations > 0 and event_id is not None and operator_event is None
    with read_session(settings) as s:
        row = s.get(UsageEvent, event_id)
        total = s.execute(select(func.count()).select_from(UsageEvent)).scalar_one()
    assert row is not None and row.kind == "workflow_run" and row.workflow_id == "ask"
    assert row.citations == result.citations and total == 1
