"""Champions network pages: ``/champions`` (feed, post form, roster and coverage) and
``/stories`` (success stories for every signed-in person). Handlers parse, call the domain
(``essor.rollout.champions``), render.

This router also carries the training pages and the tip routes (``training_pages`` and
``tips``), so the application includes one router for all of them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from essor.db import read_session, write_session
from essor.governance.actions import NotAllowed
from essor.rollout.champions import (
    BODY_MAX,
    NEAR_ROLLOUT_DAYS,
    ChampionsError,
    PostView,
    can_moderate,
    can_post,
    can_read_feed,
    coverage,
    create_post,
    delete_post,
    feed,
    roster,
    roster_scope,
    set_hidden,
    stories,
)
from essor.web import i18n_champions, tips, training_pages
from essor.web.audit_denied import audit_denied
from essor.web.forms import form_fields
from essor.web.i18n import translate
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import page_language, render
from essor.workflows.registry import load_registry

router = APIRouter(include_in_schema=False)
router.include_router(training_pages.router)
router.include_router(tips.router)
i18n_champions.merge()


def _workflow_names(request: Request) -> dict[str, str]:
    lang = page_language(request)
    registry = load_registry(settings_of(request))
    return {wid: d.title.get(lang) for wid, d in sorted(registry.definitions.items())}


def _visible_workflows(request: Request) -> set[str]:
    with read_session(settings_of(request)) as session:
        return {
            d.id
            for d in load_registry(settings_of(request)).visible_to(session, reader_of(request))
        }


def _forbidden(request: Request, action: str) -> HTTPException:
    audit_denied(request, action, "path", request.url.path)
    return HTTPException(403, translate(page_language(request), "ch.forbidden"))


# -- the feed ---------------------------------------------------------------------------------
@router.get("/champions")
def champions_page(request: Request) -> Response:
    require_identity(request)
    if not can_read_feed(reader_of(request)):
        raise _forbidden(request, "champions.read")
    return _champions(request)


def _champions(
    request: Request, *, error: str | None = None, values: dict[str, str] | None = None
) -> Response:
    reader = reader_of(request)
    scope = roster_scope(reader)
    with read_session(settings_of(request)) as session:
        posts = feed(session, reader=reader)
        champions = roster(session, department_ids=scope)
        covered = coverage(session, department_ids=scope)
    context: dict[str, Any] = {
        "posts": posts,
        "roster": champions,
        "coverage": covered,
        "flagged": [c for c in covered if c.flagged],
        "near_days": NEAR_ROLLOUT_DAYS,
        "can_post": can_post(reader),
        "can_moderate": can_moderate(reader),
        "workflows": _workflow_names(request),
        "visible_workflows": _visible_workflows(request),
        "body_max": BODY_MAX,
        "error": error,
        "values": values or {},
        "tips": tips.tips_for(request, "champions"),
    }
    return render(request, "champions.html", context, status_code=422 if error else 200)


@router.post("/champions/posts")
async def post_to_feed(request: Request) -> Response:
    require_identity(request)
    fields = await form_fields(request)
    return await run_in_threadpool(_post, request, fields)


def _number(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ChampionsError("the impact figure must be a number") from None


def _post(request: Request, fields: dict[str, str]) -> Response:
    reader = reader_of(request)
    if not can_post(reader):
        raise _forbidden(request, "champions.post")
    parent = fields.get("parent_id", "").strip()
    try:
        if parent and not parent.isdigit():
            raise ChampionsError("an answer replies to a question of the feed")
        with write_session(settings_of(request)) as session:
            create_post(
                session,
                actor=reader,
                kind=fields.get("kind", ""),
                title=fields.get("title", ""),
                body=fields.get("body", ""),
                parent_id=int(parent) if parent else None,
                workflow_id=fields.get("workflow_id", ""),
                impact_value=_number(fields.get("impact_value", "")),
                impact_unit=fields.get("impact_unit", ""),
                known_workflows=set(load_registry(settings_of(request)).definitions),
            )
    except ChampionsError as exc:
        reason = translate(page_language(request), "ch.error", reason=str(exc))
        return _champions(request, error=reason, values=fields)
    return RedirectResponse("/champions", status_code=303)


@router.post("/champions/posts/{post_id}/delete")
def delete_from_feed(request: Request, post_id: int) -> Response:
    require_identity(request)
    try:
        with write_session(settings_of(request)) as session:
            delete_post(session, post_id, actor=reader_of(request))
    except NotAllowed:
        raise HTTPException(403, translate(page_language(request), "ch.forbidden")) from None
    except ChampionsError as exc:
        if "unknown post" in str(exc):
            raise HTTPException(404, str(exc)) from None
        reason = translate(page_language(request), "ch.error", reason=str(exc))
        return _champions(request, error=reason)
    return RedirectResponse("/champions", status_code=303)


@router.post("/champions/posts/{post_id}/visibility")
async def hide_or_show(request: Request, post_id: int) -> Response:
    require_identity(request)
    fields = await form_fields(request)
    return await run_in_threadpool(_hide_or_show, request, post_id, fields.get("hidden") == "1")


def _hide_or_show(request: Request, post_id: int, hidden: bool) -> Response:
    try:
        with write_session(settings_of(request)) as session:
            set_hidden(session, post_id, hidden, actor=reader_of(request))
    except NotAllowed:
        raise HTTPException(403, translate(page_language(request), "ch.forbidden")) from None
    except ChampionsError as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse("/champions", status_code=303)


# -- stories ----------------------------------------------------------------------------------
@router.get("/stories")
def stories_page(request: Request) -> Response:
    require_identity(request)
    with read_session(settings_of(request)) as session:
        found: list[PostView] = stories(session, reader=reader_of(request))
    context = {
        "stories": found,
        "workflows": _workflow_names(request),
        "visible_workflows": _visible_workflows(request),
        "tips": tips.tips_for(request, "stories"),
    }
    return render(request, "stories.html", context)
