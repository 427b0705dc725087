"""The cockpit's forms: each parses its fields, calls one ``rollout.actions`` function in one
write transaction and redirects back (303) to the page it came from.

The actions check ``can_manage_rollout`` and audit both changes and refusals, so a refused
form only turns ``NotAllowed`` into a 403 here. Bad input (``RolloutError``) shows the page
again with the reason next to the form, as a 422.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from essor.db import write_session
from essor.governance.actions import NotAllowed
from essor.rollout.actions import (
    ReasonRequired,
    RolloutError,
    add_item,
    advance_stage,
    assign_support,
    create_wave,
    remove_support,
    set_budget_owner,
    set_item,
    set_sponsor,
    set_targets,
    set_wave,
    update_wave,
)
from essor.rollout.models import TITLE_MAX, URL_MAX
from essor.web import cockpit_pages
from essor.web.i18n import translate
from essor.web.identity import settings_of
from essor.web.pages import page_language

router = APIRouter(include_in_schema=False)

EMAIL_MAX = 320
TEXT_MAX = 5000
REASON_MAX = 2000

Email = Annotated[str, Form(max_length=EMAIL_MAX)]


def _change(request: Request, change: Callable[[Session], object]) -> None:
    """Run one change in its own transaction; a refusal becomes a 403 (already audited)."""
    try:
        with write_session(settings_of(request)) as session:
            change(session)
    except NotAllowed:
        raise HTTPException(403, "you may not change this part of the rollout") from None


def _day(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RolloutError(f"{field}: not a date (YYYY-MM-DD): {value[:20]}") from None


def _hours(value: str) -> float:
    try:
        return float(value.strip().replace(",", "."))
    except ValueError:
        raise RolloutError("weekly hours must be a number") from None


def _back(code: str, saved: str, anchor: str) -> RedirectResponse:
    url = f"/cockpit/departments/{quote(code, safe='')}?saved={saved}#{anchor}"
    return RedirectResponse(url, status_code=303)


def _department_form(
    request: Request, code: str, form: str, anchor: str, change: Callable[[Session], object]
) -> Response:
    cockpit_pages.cockpit_reader(request)
    department = cockpit_pages.department_or_404(request, code)
    try:
        _change(request, change)
    except RolloutError as exc:
        return cockpit_pages.department_page(
            request, department.code, error=str(exc), error_form=form, status_code=422
        )
    return _back(department.code, form, anchor)


# -- one department ------------------------------------------------------------------------
@router.post("/cockpit/departments/{code}/stage")
def stage_move(
    request: Request,
    code: str,
    to: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=REASON_MAX)] = "",
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    department = cockpit_pages.department_or_404(request, code)
    settings = settings_of(request)
    try:
        _change(
            request,
            lambda s: advance_stage(
                s, department.code, actor=reader, reason=reason, to=to or None, settings=settings
            ),
        )
    except ReasonRequired as exc:
        message = translate(page_language(request), "cockpit.stage.reason_required")
        return cockpit_pages.department_page(
            request,
            department.code,
            error=message,
            error_form="stage",
            open_items=exc.open_items,
            status_code=422,
        )
    except RolloutError as exc:
        return cockpit_pages.department_page(
            request, department.code, error=str(exc), error_form="stage", status_code=422
        )
    return _back(department.code, "stage", "stage")


@router.post("/cockpit/departments/{code}/items/{key}")
def item_edit(
    request: Request,
    code: str,
    key: str,
    status: Annotated[str | None, Form(max_length=16)] = None,
    owner: Email = "",
    evidence: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    evidence_url: Annotated[str, Form(max_length=URL_MAX)] = "",
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    return _department_form(
        request,
        code,
        f"item-{key}",
        f"item-{key}",
        lambda s: set_item(
            s,
            code,
            key,
            actor=reader,
            status=status or None,
            owner=owner.strip() or None,
            evidence=evidence,
            evidence_url=evidence_url,
        ),
    )


@router.post("/cockpit/departments/{code}/items")
def item_add(
    request: Request,
    code: str,
    title: Annotated[str, Form(max_length=TITLE_MAX)],
    owner: Email = "",
    evidence: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    evidence_url: Annotated[str, Form(max_length=URL_MAX)] = "",
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    return _department_form(
        request,
        code,
        "add-item",
        "checklist",
        lambda s: add_item(
            s,
            code,
            title,
            actor=reader,
            owner=owner.strip() or None,
            evidence=evidence,
            evidence_url=evidence_url,
        ),
    )


@router.post("/cockpit/departments/{code}/people")
def people_set(
    request: Request, code: str, sponsor: Email = "", budget_owner: Email = ""
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)

    def change(s: Session) -> None:
        set_sponsor(s, code, sponsor.strip() or None, actor=reader)
        set_budget_owner(s, code, budget_owner.strip() or None, actor=reader)

    return _department_form(request, code, "people", "people", change)


@router.post("/cockpit/departments/{code}/targets")
def targets_set(
    request: Request,
    code: str,
    pilot: Annotated[str, Form(max_length=20)] = "",
    rolling_out: Annotated[str, Form(max_length=20)] = "",
    adopted: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    return _department_form(
        request,
        code,
        "targets",
        "targets",
        lambda s: set_targets(
            s,
            code,
            actor=reader,
            pilot=_day(pilot, "pilot"),
            rolling_out=_day(rolling_out, "rolling out"),
            adopted=_day(adopted, "adopted"),
        ),
    )


@router.post("/cockpit/departments/{code}/wave")
def department_wave(
    request: Request, code: str, wave: Annotated[str, Form(max_length=TITLE_MAX)] = ""
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    return _department_form(
        request,
        code,
        "wave",
        "people",
        lambda s: set_wave(s, code, wave.strip() or None, actor=reader),
    )


@router.post("/cockpit/departments/{code}/support")
def department_support(
    request: Request,
    code: str,
    area: Annotated[str, Form(max_length=16)],
    owner: Email = "",
    weekly_hours: Annotated[str, Form(max_length=10)] = "0",
    action: Annotated[str, Form(max_length=10)] = "assign",
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)

    def change(s: Session) -> None:
        if action == "remove":
            remove_support(s, area, actor=reader, department_code=code)
        else:
            assign_support(
                s,
                area,
                owner.strip(),
                actor=reader,
                weekly_hours=_hours(weekly_hours),
                department_code=code,
            )

    return _department_form(request, code, f"support-{area}", "support", change)


# -- waves ---------------------------------------------------------------------------------
def _waves_form(request: Request, change: Callable[[Session], object], saved: str) -> Response:
    cockpit_pages.cockpit_reader(request)
    try:
        _change(request, change)
    except RolloutError as exc:
        return cockpit_pages.waves_page(request, error=str(exc), status_code=422)
    return RedirectResponse(f"/cockpit/waves?saved={saved}", status_code=303)


@dataclass(frozen=True)
class _Wave:
    """A wave form as typed; the dates are read when the change runs, so a bad date is
    reported on the waves page like the domain's own errors."""

    name: str
    goals: str
    start: str
    end: str

    def start_day(self) -> date | None:
        return _day(self.start, "start")

    def end_day(self) -> date | None:
        return _day(self.end, "end")


def _wave_form(
    name: Annotated[str, Form(max_length=TITLE_MAX)],
    goals: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    start: Annotated[str, Form(max_length=20)] = "",
    end: Annotated[str, Form(max_length=20)] = "",
) -> _Wave:
    return _Wave(name=name, goals=goals, start=start, end=end)


WaveForm = Annotated[_Wave, Depends(_wave_form)]


@router.post("/cockpit/waves")
def wave_create(request: Request, form: WaveForm) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    return _waves_form(
        request,
        lambda s: create_wave(
            s, form.name, actor=reader, goals=form.goals, start=form.start_day(), end=form.end_day()
        ),
        "created",
    )


@router.post("/cockpit/waves/assign")
def wave_assign(
    request: Request,
    department: Annotated[str, Form(max_length=64)],
    wave: Annotated[str, Form(max_length=TITLE_MAX)] = "",
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    cockpit_pages.department_or_404(request, department)
    return _waves_form(
        request,
        lambda s: set_wave(s, department, wave.strip() or None, actor=reader),
        "assigned",
    )


@router.post("/cockpit/waves/{wave_id}")
def wave_update(request: Request, wave_id: int, form: WaveForm) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    return _waves_form(
        request,
        lambda s: update_wave(
            s,
            wave_id,
            actor=reader,
            name=form.name,
            goals=form.goals,
            start=form.start_day(),
            end=form.end_day(),
        ),
        "updated",
    )


# -- organisation-wide support -------------------------------------------------------------
@router.post("/cockpit/support")
def support_assign(
    request: Request,
    area: Annotated[str, Form(max_length=16)],
    owner: Email,
    weekly_hours: Annotated[str, Form(max_length=10)] = "0",
    department: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    try:
        _change(
            request,
            lambda s: assign_support(
                s,
                area,
                owner.strip(),
                actor=reader,
                weekly_hours=_hours(weekly_hours),
                department_code=department.strip() or None,
            ),
        )
    except RolloutError as exc:
        return cockpit_pages.support_page(request, error=str(exc), status_code=422)
    return RedirectResponse("/cockpit/support?saved=support", status_code=303)
