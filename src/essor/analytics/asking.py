"""Answer a question, or run a workflow, and record its usage event in the same transaction."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy.orm import Session

from essor.analytics.events import QuestionAsked, WorkflowRun, record_question, record_workflow_run
from essor.assistant.answer import Answer, ask
from essor.governance.access import Reader
from essor.settings import Settings
from essor.workflows.runner import WorkflowResult, run_workflow
from essor.workflows.schema import WorkflowDefinition


def ask_and_record(
    session: Session,
    question: str,
    *,
    reader: Reader,
    settings: Settings,
    collections: Sequence[str] | None = None,
) -> tuple[Answer, int | None]:
    """The answer and its event id; ``session`` must be a write session.

    Questions asked by the operator (no person: the local CLI without ``--as``, evaluation)
    are not usage and are not recorded.
    """
    started = time.perf_counter()
    answer = ask(session, question, reader=reader, collections=collections, settings=settings)
    if reader.identity is None:
        return answer, None
    event = record_question(
        session,
        reader,
        QuestionAsked(
            mode=answer.mode,
            model=answer.model,
            latency_ms=round((time.perf_counter() - started) * 1000),
            citations=len(answer.sources),
            abstained=answer.abstained,
            language=answer.language,
            question=question,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
        ),
        settings,
    )
    return answer, event.id


def run_and_record(
    session: Session,
    definition: WorkflowDefinition,
    inputs: dict[str, str],
    *,
    reader: Reader,
    language: str,
    settings: Settings,
) -> tuple[WorkflowResult, int | None]:
    """Run a workflow and record the run, in one write session (operator runs are not usage)."""
    started = time.perf_counter()
    result = run_workflow(
        session, definition, inputs, reader=reader, language=language, settings=settings
    )
    if reader.identity is None:
        return result, None
    event = record_workflow_run(
        session,
        reader,
        WorkflowRun(
            workflow_id=definition.id,
            mode=result.mode,
            model=result.model,
            latency_ms=round((time.perf_counter() - started) * 1000),
            citations=result.citations,
            abstained=result.abstained,
            language=language,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
        ),
    )
    return result, event.id
