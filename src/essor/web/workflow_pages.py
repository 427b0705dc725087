"""Workflow pages: the library, the run page (form, examples, tips), the result with its
citations and the feedback form. Running and recording share one transaction.

The run and feedback helpers here are also what the JSON API calls, so the page and the API
cannot disagree on visibility, recording or the feedback rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from essor.analytics.asking import run_and_record
from essor.analytics.events import (
    MAX_MINUTES_SAVED,
    Feedback,
    FeedbackError,
    record_feedback,
)
from essor.analytics.models import UsageEvent
from essor.db import read_session, write_session
from essor.governance.access import Reader
from essor.knowledge.models import Document
from essor.people.models import Department
from essor.settings import Settings
from essor.web import i18n_workflows
from essor.web.forms import form_fields
from essor.web.i18n import translate
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import mode_message, page_language, render, section_label, snippet
from essor.web.tips import tips_for
from essor.workflows.registry import load_registry
from essor.workflows.runner import InputError, WorkflowResult, scope_ids
from essor.workflows.schema import ALL_DEPARTMENTS, WorkflowDefinition

router = APIRouter(include_in_schema=False)
i18n_workflows.merge()

FIELD_PREFIX = "in_"  # form field names: never collide with csrf_token or lang
EXAMPLE_PREVIEW = 90
MAX_TITLES = 300  # document titles offered as suggestions for a "document" input
# Workflows whose feedback asks whether the case was closed without a ticket.
TICKET_DEPARTMENTS = frozenset({"cs"})
TICKET_WORKFLOWS = frozenset({"customer-service-reply"})


class NotFound(LookupError):
    """The workflow does not exist or the person may not see it: the same answer for both."""


class DuplicateFeedback(ValueError):
    pass


# -- helpers shared with the API -------------------------------------------------------------
def visible(session: Session, settings: Settings, reader: Reader) -> list[WorkflowDefinition]:
    return load_registry(settings).visible_to(session, reader)


def find_visible(
    session: Session, settings: Settings, reader: Reader, workflow_id: str
) -> WorkflowDefinition:
    for definition in visible(session, settings, reader):
        if definition.id == workflow_id:
            return definition
    raise NotFound(workflow_id)


def run_visible(
    settings: Settings,
    workflow_id: str,
    inputs: Mapping[str, str],
    *,
    reader: Reader,
    language: str,
) -> tuple[WorkflowDefinition, WorkflowResult, int | None]:
    """Run a workflow the reader may see and record its usage event.

    Raises NotFound or InputError (nothing is recorded then).
    """
    with read_session(settings) as session:
        definition = find_visible(session, settings, reader, workflow_id)
    result, event_id = run_and_record(
        settings, definition, dict(inputs), reader=reader, language=language
    )
    return definition, result, event_id


def give_feedback(settings: Settings, reader: Reader, feedback: Feedback) -> int:
    """Record feedback on one's own answer or run, once; returns the feedback event's id.

    Raises FeedbackError (not one's own, or out-of-range minutes) or DuplicateFeedback.
    """
    with write_session(settings) as session:
        identity = reader.identity
        if identity is not None:
            # One opinion per result: a second post (a double click, a resent form) would
            # count the same minutes twice in the cockpit.
            earlier = session.execute(
                select(UsageEvent.id).where(
                    UsageEvent.kind == "feedback",
                    UsageEvent.about_event_id == feedback.about_event_id,
                    UsageEvent.person_id == identity.person_id,
                )
            ).first()
            if earlier is not None:
                raise DuplicateFeedback(feedback.about_event_id)
        return record_feedback(session, reader, feedback).id


def asks_about_tickets(definition: WorkflowDefinition | None) -> bool:
    if definition is None:
        return False
    return (
        definition.id in TICKET_WORKFLOWS or definition.department.casefold() in TICKET_DEPARTMENTS
    )


# -- presentation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    label: str
    workflows: list[WorkflowDefinition]


def groups(
    definitions: list[WorkflowDefinition], lang: str, names: Mapping[str, str] | None = None
) -> list[Group]:
    """By department (named from the directory when it knows the code), everyone's first."""
    names = names or {}
    by_code: dict[str, list[WorkflowDefinition]] = {}
    for d in definitions:
        by_code.setdefault(d.department, []).append(d)
    codes = sorted(by_code, key=lambda c: (c != ALL_DEPARTMENTS, c.casefold()))
    return [
        Group(
            translate(lang, "wf.everyone")
            if code == ALL_DEPARTMENTS
            else names.get(code) or translate(lang, "wf.department", code=code),
            sorted(by_code[code], key=lambda d: d.title.get(lang).casefold()),
        )
        for code in codes
    ]


def plain_text(definition: WorkflowDefinition, result: WorkflowResult, lang: str) -> str:
    """The result as text to paste into an email: sections, cited sentences, sources."""
    lines = [definition.title.get(lang), ""]
    for section in result.sections:
        lines.append(section.title)
        if not section.sentences and section.message:
            lines.append(section.message)
        for i, s in enumerate(section.sentences, 1):
            cites = "".join(f"[{n}]" for n in s.citations)
            bullet = f"{i}." if section.format == "steps" else "-"
            if s.question:
                lines.append(f"{bullet} {s.question}")
                lines.append(f"   {s.text} {cites}")
            else:
                lines.append(f"{bullet} {s.text} {cites}")
        lines.append("")
    if result.sources:
        lines.append(translate(lang, "wf.sources"))
        for src in result.sources:
            label = section_label(src.section, src.title)
            lines.append(f"[{src.n}] {src.title}" + (f" — {label}" if label else ""))
    return "\n".join(lines).strip() + "\n"


def _document_titles(session: Session, definition: WorkflowDefinition, reader: Reader) -> list[str]:
    if not any(i.type == "document" for i in definition.inputs):
        return []
    ids = scope_ids(session, definition, reader)
    if not ids:
        return []
    rows = session.scalars(
        select(Document.title)
        .where(Document.collection_id.in_(ids), Document.current_version_id.is_not(None))
        .order_by(Document.title)
        .limit(MAX_TITLES)
    )
    return list(dict.fromkeys(rows))


def _example_values(definition: WorkflowDefinition, index: str | None, lang: str) -> dict[str, str]:
    if index is None or not index.isdigit():
        return {}
    n = int(index)
    if n >= len(definition.examples):
        return {}
    example = definition.examples[n]
    return dict(example.get(lang) or next(iter(example.values()), {}))


def example_previews(definition: WorkflowDefinition, lang: str) -> list[str]:
    """A short preview of each example (its first value), so the links say what they fill."""
    out = []
    for i in range(len(definition.examples)):
        values = [v for v in _example_values(definition, str(i), lang).values() if v]
        out.append(snippet(values[0], EXAMPLE_PREVIEW) if values else "")
    return out


def _form_page(
    request: Request,
    definition: WorkflowDefinition,
    values: Mapping[str, str],
    *,
    errors: list[str] | None = None,
) -> Response:
    settings = settings_of(request)
    with read_session(settings) as session:
        titles = _document_titles(session, definition, reader_of(request))
    context = {
        "wf": definition,
        "values": dict(values),
        "errors": errors or [],
        "titles": titles,
        "previews": example_previews(definition, page_language(request)),
        "prefix": FIELD_PREFIX,
        "tips": tips_for(request, f"workflow:{definition.id}"),
    }
    return render(request, "workflow.html", context, status_code=422 if errors else 200)


def _not_found(request: Request) -> HTTPException:
    return HTTPException(404, translate(page_language(request), "error.not_found"))


# -- routes ---------------------------------------------------------------------------------
@router.get("/workflows")
def library_page(request: Request) -> Response:
    require_identity(request)
    lang = page_language(request)
    with read_session(settings_of(request)) as session:
        definitions = visible(session, settings_of(request), reader_of(request))
        names = {
            code: name
            for code, name in session.execute(select(Department.code, Department.name)).all()
        }
    context = {"groups": groups(definitions, lang, names), "tips": tips_for(request, "workflows")}
    return render(request, "workflows.html", context)


@router.get("/workflows/{workflow_id}")
def workflow_page(request: Request, workflow_id: str, example: str | None = None) -> Response:
    require_identity(request)
    lang = page_language(request)
    with read_session(settings_of(request)) as session:
        try:
            definition = find_visible(
                session, settings_of(request), reader_of(request), workflow_id
            )
        except NotFound:
            raise _not_found(request) from None
    return _form_page(request, definition, _example_values(definition, example, lang))


@router.post("/workflows/{workflow_id}/run")
async def workflow_run(request: Request, workflow_id: str) -> Response:
    require_identity(request)
    form = await request.form()
    inputs = {
        key.removeprefix(FIELD_PREFIX): value
        for key, value in form.multi_items()
        if key.startswith(FIELD_PREFIX) and isinstance(value, str)
    }
    return await run_in_threadpool(_run_page, request, workflow_id, inputs)


def _run_page(request: Request, workflow_id: str, inputs: dict[str, str]) -> Response:
    lang = page_language(request)
    settings = settings_of(request)
    reader = reader_of(request)
    try:
        definition, result, event_id = run_visible(
            settings, workflow_id, inputs, reader=reader, language=lang
        )
    except NotFound:
        raise _not_found(request) from None
    except InputError as exc:
        with read_session(settings) as session:
            definition = find_visible(session, settings, reader, workflow_id)
        return _form_page(request, definition, inputs, errors=exc.problems)
    context = {
        "wf": definition,
        "result": result,
        "event_id": event_id,
        "mode_message": mode_message(
            result.mode, lang, model=result.model, fallback=result.fallback_reason is not None
        ),
        "plain_text": plain_text(definition, result, lang),
        "ask_ticket": asks_about_tickets(definition),
        "max_minutes": MAX_MINUTES_SAVED,
    }
    return render(request, "workflow_result.html", context)


@router.post("/feedback")
async def feedback_post(request: Request) -> Response:
    require_identity(request)
    fields = await form_fields(request)
    return await run_in_threadpool(_feedback_page, request, fields)


def _feedback_page(request: Request, fields: dict[str, str]) -> Response:
    lang = page_language(request)
    event_id = fields.get("event_id", "").strip()
    if not event_id.isdigit():
        raise HTTPException(404, translate(lang, "error.not_found"))
    minutes_text = fields.get("minutes_saved", "").strip()
    minutes: int | None = None
    if minutes_text:
        if not minutes_text.isdigit() or int(minutes_text) > MAX_MINUTES_SAVED:
            raise HTTPException(422, translate(lang, "wf.feedback.invalid", n=MAX_MINUTES_SAVED))
        minutes = int(minutes_text)
    helpful = {"yes": True, "no": False}.get(fields.get("helpful", ""))
    # Unchecked boxes are not sent: "asked" tells "not resolved" from "not asked".
    resolved = bool(fields.get("resolved_without_ticket")) if fields.get("ticket_asked") else None
    feedback = Feedback(int(event_id), helpful, minutes, resolved)
    try:
        give_feedback(settings_of(request), reader_of(request), feedback)
    except DuplicateFeedback:
        raise HTTPException(409, translate(lang, "wf.feedback.twice")) from None
    except FeedbackError:
        # Someone else's result and a missing one get the same answer.
        raise HTTPException(404, translate(lang, "error.not_found")) from None
    return render(request, "feedback_thanks.html", {})
