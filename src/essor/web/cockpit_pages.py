"""The cockpit's pages (reads): the overview, one department, waves, support.

Each page checks ``can_see_rollout`` (or that the reader sees some department) and audits a
refusal as denied. The page functions take an error so a refused form can show its page
again with the reason next to the form (``cockpit_forms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.exceptions import HTTPException

from essor.budget.access import can_see_budget
from essor.db import read_session
from essor.governance.access import Reader, can_manage_rollout
from essor.people.models import Department
from essor.people.queries import find_department
from essor.rollout.evidence import CONTENT_TYPES, evidence_files
from essor.rollout.models import ITEM_STATUSES, STAGES, SUPPORT_AREAS
from essor.rollout.queries import (
    DepartmentOverview,
    can_see_rollout,
    computed_evidence,
    department_support,
    may_see_some_rollout,
    overview,
    sees_every_department,
    stage_history,
    wave_summaries,
)
from essor.rollout.readiness import DEFAULT_KEYS
from essor.rollout.support import gaps, loads
from essor.web import i18n_cockpit
from essor.web.audit_denied import audit_denied
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import page_language, render

router = APIRouter(include_in_schema=False)
i18n_cockpit.merge()

NO_WAVE = "-"


def cockpit_reader(request: Request) -> Reader:
    require_identity(request)
    return reader_of(request)


def refuse(request: Request, object_type: str, object_id: str) -> NoReturn:
    audit_denied(request, "rollout.read", object_type, object_id)
    raise HTTPException(403, "you may not see this part of the rollout")


def overview_reader(request: Request, page: str) -> Reader:
    """The reader of a page over several departments (overview, waves, support): 403 for
    someone who sees no department's rollout, audited against ``page``."""
    reader = cockpit_reader(request)
    if not may_see_some_rollout(reader):
        refuse(request, "path", page)
    return reader


def department_or_404(request: Request, code: str) -> Department:
    with read_session(settings_of(request)) as session:
        department = find_department(session, code)
    if department is None:
        raise HTTPException(404, f"unknown department: {code}")
    return department


def next_stage(stage: str) -> str | None:
    position = STAGES.index(stage)
    return STAGES[position + 1] if position + 1 < len(STAGES) else None


def percent(row: DepartmentOverview) -> int | None:
    ratio = row.readiness
    return None if ratio is None else round(ratio * 100)


@dataclass(frozen=True)
class NextTarget:
    stage: str
    day: date
    overdue: bool


def next_target(row: DepartmentOverview, today: date) -> NextTarget | None:
    stage = next_stage(row.stage)
    day = row.targets.get(stage) if stage else None
    if stage is None or day is None:
        return None
    return NextTarget(stage, day, overdue=day < today)


# -- overview ------------------------------------------------------------------------------
@router.get("/cockpit")
def cockpit_page(request: Request, wave: str = "") -> Response:
    reader = overview_reader(request, request.url.path)
    settings = settings_of(request)
    lang = page_language(request)
    with read_session(settings) as session:
        rows = overview(session, settings, reader=reader, language=lang)
        wave_list = wave_summaries(session)
    everything = sees_every_department(reader)
    if not everything:
        if not rows:
            refuse(request, "path", request.url.path)
        if len(rows) == 1:
            # A department admin's cockpit is their department's page.
            return RedirectResponse(
                f"/cockpit/departments/{quote(rows[0].code, safe='')}", status_code=303
            )
    wave_names = [w.name for w in wave_list]
    if wave == NO_WAVE:
        rows = [r for r in rows if r.wave is None]
    elif wave:
        rows = [r for r in rows if r.wave == wave]
    # Grouped by wave in the waves' own order (by start date), departments in no wave last.
    groups: list[tuple[str | None, list[DepartmentOverview]]] = []
    for name in [*wave_names, None]:
        members = [r for r in rows if r.wave == name]
        if members:
            groups.append((name, members))
    today = date.today()
    context: dict[str, Any] = {
        "groups": groups,
        "count": len(rows),
        "wave_names": wave_names,
        "wave": wave,
        "no_wave": NO_WAVE,
        "percent": percent,
        "next_target": lambda r: next_target(r, today),
        "stages": STAGES,
        "by_stage": {s: sum(1 for r in rows if r.stage == s) for s in STAGES},
        "everything": everything,
    }
    return render(request, "cockpit.html", context)


@router.get("/api/rollout")
def rollout_api(request: Request) -> Response:
    """The overview as JSON: the same departments the page shows this reader."""
    reader = overview_reader(request, request.url.path)
    settings = settings_of(request)
    with read_session(settings) as session:
        rows = overview(session, settings, reader=reader, language=page_language(request))
    return JSONResponse({"departments": [r.as_dict() for r in rows]})


# -- one department ------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryRow:
    from_stage: str
    to_stage: str
    at: datetime
    actor: str
    reason: str
    open_items: tuple[str, ...]


def department_page(
    request: Request,
    code: str,
    *,
    error: str | None = None,
    error_form: str | None = None,
    open_items: tuple[str, ...] = (),
    status_code: int = 200,
) -> Response:
    """The department's page; also re-rendered by a refused form with its error next to it."""
    reader = cockpit_reader(request)
    department = department_or_404(request, code)
    if not can_see_rollout(reader, department.id):
        refuse(request, "department", department.code)
    settings = settings_of(request)
    lang = page_language(request)
    with read_session(settings) as session:
        rows = overview(session, settings, reader=reader, language=lang, code=department.code)
        if not rows:  # the department vanished between the two reads
            raise HTTPException(404, f"unknown department: {code}")
        history = [
            HistoryRow(
                m.from_stage,
                m.to_stage,
                datetime.fromisoformat(m.at),
                m.actor,
                m.reason,
                m.open_items,
            )
            for m in stage_history(session, department.id)
        ]
        evidence = computed_evidence(session, settings, department, language=lang)
        support = department_support(session, department.code)
        wave_names = [w.name for w in wave_summaries(session)]
        files = evidence_files(session, department.id)
        may_see_budget = can_see_budget(session, reader)
    row = rows[0]
    titles = {item.key: item.title for item in row.items}
    context: dict[str, Any] = {
        "row": row,
        "pct": percent(row),
        "next": next_stage(row.stage),
        "history": list(reversed(history)),
        "evidence": evidence,
        "support": support,
        "wave_names": wave_names,
        "titles": titles,
        "may_manage": can_manage_rollout(reader, department.id),
        "statuses": ITEM_STATUSES,
        "areas": SUPPORT_AREAS,
        "stages": STAGES,
        "error": error,
        "error_form": error_form,
        "open_items": open_items,
        "open_now": [i.key for i in row.items if i.status == "open"],
        "saved": request.query_params.get("saved", ""),
        "default_keys": DEFAULT_KEYS,
        "files": files,
        "may_see_budget": may_see_budget,
        "file_types": list(CONTENT_TYPES),
        "file_max_mb": max(1, round(settings.evidence_max_bytes / (1024 * 1024))),
    }
    return render(request, "cockpit_department.html", context, status_code=status_code)


@router.get("/cockpit/departments/{code}")
def department_view(request: Request, code: str) -> Response:
    return department_page(request, code)


# -- waves ---------------------------------------------------------------------------------
def waves_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    reader = overview_reader(request, "/cockpit/waves")
    settings = settings_of(request)
    with read_session(settings) as session:
        rows = overview(session, settings, reader=reader, language=page_language(request))
        wave_list = wave_summaries(session)
        department_ids = {c: i for c, i in session.execute(select(Department.code, Department.id))}
    visible = {r.code for r in rows}
    context: dict[str, Any] = {
        "waves": [(w, [c for c in w.departments if c in visible]) for w in wave_list],
        "unassigned": [r.code for r in rows if r.wave is None],
        "assignable": [r for r in rows if can_manage_rollout(reader, department_ids[r.code])],
        "may_manage": can_manage_rollout(reader, None),
        "error": error,
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, "cockpit_waves.html", context, status_code=status_code)


@router.get("/cockpit/waves")
def waves_view(request: Request) -> Response:
    return waves_page(request)


# -- support -------------------------------------------------------------------------------
def support_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    reader = overview_reader(request, "/cockpit/support")
    settings = settings_of(request)
    with read_session(settings) as session:
        rows = overview(session, settings, reader=reader, language=page_language(request))
        visible = {r.code for r in rows}
        all_gaps = [g for g in gaps(session) if g.department in visible]
        all_loads = [x for x in loads(session) if x.department is None or x.department in visible]
    areas = [
        {
            "area": area,
            "gaps": [g.department for g in all_gaps if g.area == area],
            "loads": [x for x in all_loads if x.area == area],
        }
        for area in SUPPORT_AREAS
    ]
    context: dict[str, Any] = {
        "areas": areas,
        "gap_count": len(all_gaps),
        "departments": sorted(visible),
        "may_manage": can_manage_rollout(reader, None),
        "error": error,
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, "cockpit_support.html", context, status_code=status_code)


@router.get("/cockpit/support")
def support_view(request: Request) -> Response:
    return support_page(request)
