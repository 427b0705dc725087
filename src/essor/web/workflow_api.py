"""The workflow and feedback JSON API: list and describe the workflows a person may see, run
one (its usage event written with the run), and give feedback on a run or an answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from essor.analytics.events import MAX_MINUTES_SAVED, Feedback, FeedbackError
from essor.db import read_session
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import mode_message, page_language
from essor.web.workflow_pages import (
    DuplicateFeedback,
    NotFound,
    find_visible,
    give_feedback,
    run_visible,
    visible,
)
from essor.workflows.runner import InputError

router = APIRouter(prefix="/api", tags=["workflows"])

MAX_INPUT_CHARS = 10_000  # above any input's max_length; the runner checks each one exactly


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, Annotated[str, Field(max_length=MAX_INPUT_CHARS)]] = Field(
        default_factory=dict,
        description="input values by name; a choice is given by its value",
        max_length=50,
    )
    language: Literal["fr", "en"] | None = Field(
        None, description="the result's language; the request's language when null"
    )


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: int = Field(description="the event_id of one's own workflow run or answer")
    helpful: bool | None = None
    minutes_saved: int | None = Field(None, ge=0, le=MAX_MINUTES_SAVED)
    resolved_without_ticket: bool | None = None


@router.get("/workflows")
def api_workflows(request: Request) -> dict[str, Any]:
    """The workflows the person may run: their department's and the organisation's."""
    require_identity(request)
    settings = settings_of(request)
    with read_session(settings) as session:
        definitions = visible(session, settings, reader_of(request))
    return {"workflows": [d.as_dict() for d in definitions]}


@router.get("/workflows/{workflow_id}")
def api_workflow(request: Request, workflow_id: str) -> dict[str, Any]:
    require_identity(request)
    settings = settings_of(request)
    with read_session(settings) as session:
        try:
            return find_visible(session, settings, reader_of(request), workflow_id).as_dict()
        except NotFound:
            raise HTTPException(404, f"no workflow {workflow_id}") from None


@router.post("/workflows/{workflow_id}/run")
async def api_workflow_run(request: Request, workflow_id: str, body: RunRequest) -> dict[str, Any]:
    """Run a workflow; the answer says its ``mode`` and carries the ``event_id`` that
    ``POST /api/feedback`` takes."""
    require_identity(request)
    language = body.language or page_language(request)
    try:
        _, result, event_id = await run_in_threadpool(
            run_visible,
            settings_of(request),
            workflow_id,
            body.inputs,
            reader=reader_of(request),
            language=language,
        )
    except NotFound:
        raise HTTPException(404, f"no workflow {workflow_id}") from None
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return {
        **result.as_dict(),
        "citations": result.citations,
        "mode_message": mode_message(result.mode, language),
        "event_id": event_id,
    }


@router.post("/feedback", status_code=201)
async def api_feedback(request: Request, body: FeedbackRequest) -> dict[str, Any]:
    """Feedback on one's own workflow run or answer, once per result."""
    require_identity(request)
    feedback = Feedback(
        about_event_id=body.event_id,
        helpful=body.helpful,
        minutes_saved=body.minutes_saved,
        resolved_without_ticket=body.resolved_without_ticket,
    )
    try:
        event_id = await run_in_threadpool(
            give_feedback, settings_of(request), reader_of(request), feedback
        )
    except DuplicateFeedback:
        raise HTTPException(409, "feedback already given on this result") from None
    except FeedbackError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"id": event_id, "about_event_id": body.event_id}
