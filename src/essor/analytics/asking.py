"""Answer a question, or run a workflow, and record its usage event.

The answer or run itself writes nothing, so it is computed in a read session and its event
is written right after in a short write transaction: a slow language model must never hold
the database's write lock (SQLite has one for everyone). An event is written only once the
answer exists, so the cockpit never counts an answer that was not given.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from essor.analytics.events import QuestionAsked, WorkflowRun, record_question, record_workflow_run
from essor.assistant.answer import Answer, ask
from essor.db import read_session, write_session
from essor.governance.access import Reader
from essor.settings import Settings
from essor.workflows.runner import WorkflowResult, run_workflow
from essor.workflows.schema import WorkflowDefinition


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def ask_and_record(
    settings: Settings,
    question: str,
    *,
    reader: Reader,
    collections: Sequence[str] | None = None,
) -> tuple[Answer, int | None]:
    """The answer and its event id.

    Questions asked by the operator (no person: the local CLI without ``--as``, evaluation)
    are not usage and are not recorded.
    """
    started = time.perf_counter()
    with read_session(settings) as session:
        answer = ask(session, question, reader=reader, collections=collections, settings=settings)
    if reader.identity is None:
        return answer, None
    event = QuestionAsked(
        mode=answer.mode,
        model=answer.model,
        latency_ms=_elapsed_ms(started),
        citations=len(answer.sources),
        abstained=answer.abstained,
        language=answer.language,
        question=question,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
    )
    with write_session(settings) as session:
        return answer, record_question(session, reader, event, settings).id


def run_and_record(
    settings: Settings,
    definition: WorkflowDefinition,
    inputs: dict[str, str],
    *,
    reader: Reader,
    language: str,
) -> tuple[WorkflowResult, int | None]:
    """Run a workflow and record the run (operator runs are not usage)."""
    started = time.perf_counter()
    with read_session(settings) as session:
        result = run_workflow(
            session, definition, inputs, reader=reader, language=language, settings=settings
        )
    if reader.identity is None:
        return result, None
    event = WorkflowRun(
        workflow_id=definition.id,
        mode=result.mode,
        model=result.model,
        latency_ms=_elapsed_ms(started),
        citations=result.citations,
        abstained=result.abstained,
        language=language,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
    )
    with write_session(settings) as session:
        return result, record_workflow_run(session, reader, event).id
