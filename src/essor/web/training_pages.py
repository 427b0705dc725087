"""Training pages: ``/training`` (my track, the self-service library, mark done),
``/cockpit/training`` (coverage per department; tracks, resources and tiers for programme
leads and administrators) and ``/cockpit/tips`` (tips with their display and dismissal
counts). Handlers parse, call ``essor.training``, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from essor.db import read_session, write_session
from essor.governance.access import can_manage_rollout
from essor.governance.actions import NotAllowed
from essor.people.models import TRAINING_TIERS, Department
from essor.rollout.champions import can_read_feed
from essor.rollout.queries import can_see_rollout
from essor.training.actions import (
    TrainingError,
    can_manage_training,
    delete_resource,
    delete_track,
    mark_done,
    save_resource,
    save_track,
    set_tier,
)
from essor.training.models import RESOURCE_KINDS
from essor.training.queries import department_coverage, tier_of, tracks
from essor.training.tips import PAGE_TARGETS, save_tip, tip_stats
from essor.web import i18n_champions
from essor.web.audit_denied import audit_denied
from essor.web.forms import form_fields
from essor.web.i18n import translate
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import page_language, render
from essor.web.tips import local_path, tips_for

router = APIRouter(include_in_schema=False)
i18n_champions.merge()


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise TrainingError(f"not a whole number: {text[:20]}")
    return int(text)


def _visible_departments(request: Request) -> set[int]:
    reader = reader_of(request)
    with read_session(settings_of(request)) as session:
        ids = session.scalars(select(Department.id)).all()
    return {d for d in ids if can_see_rollout(reader, d)}


def _refuse(request: Request, action: str) -> HTTPException:
    audit_denied(request, action, "path", request.url.path)
    return HTTPException(403, "you do not have access to this page")


# -- everyone's training ----------------------------------------------------------------------
@router.get("/training")
def training_page(request: Request) -> Response:
    identity = require_identity(request)
    lang = page_language(request)
    with read_session(settings_of(request)) as session:
        tier = tier_of(session, identity.person_id)
        everything = tracks(session, language=lang, person_id=identity.person_id)
    reader = reader_of(request)
    context: dict[str, Any] = {
        "tier": tier,
        "mine": [t for t in everything if t.tier == tier and tier != "everyone"],
        "library": [t for t in everything if t.tier == "everyone"],
        "can_read_feed": can_read_feed(reader),
        "can_see_cockpit": can_manage_training(reader) or bool(_visible_departments(request)),
        "tips": tips_for(request, "training"),
    }
    return render(request, "training.html", context)


@router.post("/training/resources/{resource_id}/done")
async def training_done(request: Request, resource_id: int) -> Response:
    require_identity(request)
    fields = await form_fields(request)
    return await run_in_threadpool(_done, request, resource_id, fields)


def _done(request: Request, resource_id: int, fields: dict[str, str]) -> Response:
    try:
        with write_session(settings_of(request)) as session:
            mark_done(
                session, resource_id, actor=reader_of(request), done=fields.get("done") != "0"
            )
    except TrainingError as exc:
        raise HTTPException(404, str(exc)) from None
    back = local_path(fields.get("next"), "/training")
    return RedirectResponse(f"{back}#resource-{resource_id}", status_code=303)


# -- the training cockpit ---------------------------------------------------------------------
@router.get("/cockpit/training")
def training_cockpit(request: Request) -> Response:
    require_identity(request)
    return _cockpit(request)


def _cockpit(request: Request, *, error: str | None = None) -> Response:
    reader = reader_of(request)
    manager = can_manage_training(reader)
    visible = _visible_departments(request)
    if not manager and not visible:
        raise _refuse(request, "training.cockpit")
    settings = settings_of(request)
    lang = page_language(request)
    with read_session(settings) as session:
        rows = department_coverage(
            session, min_group=settings.privacy_min_group_size, department_ids=visible
        )
        all_tracks = tracks(session, language=lang) if manager else []
    context: dict[str, Any] = {
        "coverage": rows,
        "min_group": settings.privacy_min_group_size,
        "manager": manager,
        "tracks": all_tracks,
        "tiers": TRAINING_TIERS,
        "kinds": RESOURCE_KINDS,
        "error": error,
        # A department admin sets the tiers of their own department's people; an executive
        # viewer sees coverage but changes nothing.
        "can_set_tiers": manager or any(can_manage_rollout(reader, d) for d in visible),
    }
    return render(request, "training_cockpit.html", context, status_code=422 if error else 200)


def _managed(request: Request, fields: dict[str, str], change: Any) -> Response:
    """Run one change from a cockpit form: 403 when refused, the page with the reason
    (422) for bad input, back to the cockpit otherwise."""
    try:
        with write_session(settings_of(request)) as session:
            change(session, reader_of(request), fields)
    except NotAllowed:
        raise HTTPException(403, "you may not change training") from None
    except TrainingError as exc:
        reason = translate(page_language(request), "tr.error", reason=str(exc))
        if request.url.path.startswith("/cockpit/tips"):
            return _tips_page(request, error=reason)
        return _cockpit(request, error=reason)
    back = "/cockpit/tips" if request.url.path.startswith("/cockpit/tips") else "/cockpit/training"
    return RedirectResponse(back, status_code=303)


def _require_manager(request: Request) -> None:
    if not can_manage_training(reader_of(request)):
        raise _refuse(request, "training.manage")


async def _form_change(request: Request, change: Any, *, manager_only: bool = True) -> Response:
    """A cockpit form post: signed in, the form read, (for most forms) a training manager,
    then the change run off the event loop through _managed."""
    require_identity(request)
    fields = await form_fields(request)
    if manager_only:
        _require_manager(request)
    return await run_in_threadpool(_managed, request, fields, change)


@router.post("/cockpit/training/tracks")
async def track_save(request: Request) -> Response:
    def change(session: Any, actor: Any, f: dict[str, str]) -> None:
        save_track(
            session,
            actor=actor,
            tier=f.get("tier", ""),
            title_en=f.get("title_en", ""),
            title_fr=f.get("title_fr", ""),
            description_en=f.get("description_en", ""),
            description_fr=f.get("description_fr", ""),
            position=_int(f.get("position")),
            track_id=_int(f.get("track_id")),
        )

    return await _form_change(request, change)


@router.post("/cockpit/training/tracks/{track_id}/delete")
def track_delete(request: Request, track_id: int) -> Response:
    require_identity(request)
    _require_manager(request)
    return _managed(request, {}, lambda s, a, _f: delete_track(s, track_id, actor=a))


@router.post("/cockpit/training/resources")
async def resource_save(request: Request) -> Response:
    def change(session: Any, actor: Any, f: dict[str, str]) -> None:
        save_resource(
            session,
            actor=actor,
            kind=f.get("kind", ""),
            title_en=f.get("title_en", ""),
            title_fr=f.get("title_fr", ""),
            body_en=f.get("body_en", ""),
            body_fr=f.get("body_fr", ""),
            url=f.get("url", ""),
            position=_int(f.get("position")),
            track_id=_int(f.get("track_id")),
            resource_id=_int(f.get("resource_id")),
        )

    return await _form_change(request, change)


@router.post("/cockpit/training/resources/{resource_id}/delete")
def resource_delete(request: Request, resource_id: int) -> Response:
    require_identity(request)
    _require_manager(request)
    return _managed(request, {}, lambda s, a, _f: delete_resource(s, resource_id, actor=a))


@router.post("/cockpit/training/tier")
async def tier_save(request: Request) -> Response:
    def change(session: Any, actor: Any, f: dict[str, str]) -> None:
        set_tier(session, f.get("email", ""), f.get("tier") or None, actor=actor)

    return await _form_change(request, change, manager_only=False)


# -- tips -------------------------------------------------------------------------------------
@router.get("/cockpit/tips")
def tips_page(request: Request) -> Response:
    require_identity(request)
    _require_manager(request)
    return _tips_page(request)


def _tips_page(request: Request, *, error: str | None = None) -> Response:
    with read_session(settings_of(request)) as session:
        rows = tip_stats(session)
    context: dict[str, Any] = {
        "tips_list": rows,
        "tiers": TRAINING_TIERS,
        "targets": PAGE_TARGETS,
        "error": error,
    }
    return render(request, "tips_admin.html", context, status_code=422 if error else 200)


@router.post("/cockpit/tips")
async def tip_save(request: Request) -> Response:
    def change(session: Any, actor: Any, f: dict[str, str]) -> None:
        save_tip(
            session,
            actor=actor,
            target=f.get("target", ""),
            tier=f.get("tier") or None,
            text_en=f.get("text_en", ""),
            text_fr=f.get("text_fr", ""),
            active=bool(f.get("active")),
            tip_id=_int(f.get("tip_id")),
        )

    return await _form_change(request, change)
