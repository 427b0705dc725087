"""Pilot pages of a department: its cohort (enrolment, the sceptic flag, results by attitude),
its journal (entries by category, resolutions linked to problems) and its playbook (page,
Markdown and PDF downloads).

Access: the cohort page is the rollout managers' (the department's admin, programme leads,
administrators); the journal and playbook are readable by the journal's readers (see
``essor.rollout.journal``). Everything else is a thin layer over the domain functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from essor.db import read_session, write_session
from essor.governance.access import can_manage_rollout
from essor.governance.actions import NotAllowed
from essor.people.models import Department
from essor.people.queries import find_department
from essor.reports.pdf import PdfError
from essor.reports.playbook import build_playbook, label, render_markdown, render_pdf
from essor.rollout import cohorts, journal
from essor.rollout.pilot_models import ATTITUDES, CATEGORIES, ENTRY_BODY_MAX, ENTRY_TITLE_MAX
from essor.web import i18n_pilot
from essor.web.forms import form_fields
from essor.web.i18n import format_number, translate
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import page_language, render

router = APIRouter(include_in_schema=False)
i18n_pilot.merge()

MAX_FORM_BYTES = 256 * 1024  # room for 500 enrolment lines of long addresses


@dataclass(frozen=True)
class Notice:
    ok: bool
    message: str
    lines: tuple[str, ...] = ()


def _department(request: Request, code: str) -> Department:
    with read_session(settings_of(request)) as session:
        department = find_department(session, code)
    if department is None:
        raise HTTPException(404, translate(page_language(request), "error.not_found"))
    return department


def _percent(value: float | None, lang: str) -> str:
    if value is None:
        return ""
    return f"{format_number(value * 100, lang)}\u00a0%"


async def _form(request: Request) -> dict[str, str]:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, translate(page_language(request), "pilot.too_large"))
    return await form_fields(request)


def _nav(code: str) -> dict[str, str]:
    base = f"/cockpit/departments/{quote(code, safe='')}"
    return {
        "department": base,
        "cohort": f"{base}/cohort",
        "journal": f"{base}/journal",
        "playbook": f"{base}/playbook",
    }


# -- cohort --------------------------------------------------------------------------------
def _period(request: Request) -> tuple[date, date, bool]:
    """The period asked for in the query, or the last 28 days; False when it was invalid."""
    start_text = request.query_params.get("start", "")
    end_text = request.query_params.get("end", "")
    default_start, default_end = cohorts.default_period()
    if not start_text and not end_text:
        return default_start, default_end, True
    try:
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError:
        return default_start, default_end, False
    if end < start:
        return default_start, default_end, False
    return start, end, True


def _cohort_page(
    request: Request, department: Department, notice: Notice | None = None, status: int = 200
) -> Response:
    settings = settings_of(request)
    lang = page_language(request)
    start, end, valid = _period(request)
    with read_session(settings) as session:
        state = cohorts.cohort(session, department, settings)
        comparison = cohorts.cohort_comparison(
            session, department.id, period_start=start, period_end=end, settings=settings
        )
    rows = [
        {
            "key": g.attitude,
            "figures": g,
            "depth": _percent(g.depth, lang),
            "retention": _percent(g.retention, lang),
        }
        for g in (*comparison.groups, comparison.total)
    ]
    context: dict[str, Any] = {
        "department": department,
        "nav": _nav(department.code),
        "cohort": state,
        "attitudes": ATTITUDES,
        "share": _percent(state.sceptic_share, lang),
        "min_share": _percent(state.min_sceptic_share, lang),
        "comparison": comparison,
        "rows": rows,
        "period_valid": valid,
        "notice": notice,
        "max_lines": cohorts.MAX_BULK_LINES,
    }
    return render(request, "cohort.html", context, status_code=status)


def _require_manager(request: Request, department: Department) -> None:
    require_identity(request)
    if not can_manage_rollout(reader_of(request), department.id):
        raise HTTPException(403, translate(page_language(request), "pilot.forbidden.cohort"))


@router.get("/cockpit/departments/{code}/cohort")
def cohort_page(request: Request, code: str) -> Response:
    require_identity(request)
    department = _department(request, code)
    _require_manager(request, department)
    return _cohort_page(request, department)


@router.post("/cockpit/departments/{code}/cohort")
async def cohort_post(request: Request, code: str) -> Response:
    require_identity(request)
    fields = await _form(request)
    return await run_in_threadpool(_cohort_change, request, code, fields)


def _cohort_change(request: Request, code: str, fields: Mapping[str, str]) -> Response:
    department = _department(request, code)
    _require_manager(request, department)
    lang = page_language(request)
    reader = reader_of(request)
    action = fields.get("action", "")
    email = fields.get("email", "").strip()
    attitude = fields.get("attitude", "")
    try:
        with write_session(settings_of(request)) as session:
            if action == "enrol":
                cohorts.enrol(session, department.code, email, attitude, actor=reader)
                notice = Notice(True, translate(lang, "cohort.done.enrol", email=email))
            elif action == "enrol_many":
                result = cohorts.enrol_many(
                    session,
                    department.code,
                    fields.get("lines", ""),
                    actor=reader,
                    default_attitude=fields.get("default_attitude") or None,
                )
                notice = Notice(
                    not result.errors,
                    translate(lang, "cohort.done.bulk", n=len(result.enrolled)),
                    tuple(
                        translate(
                            lang, "cohort.error.line", line=e.line, text=e.text, reason=e.reason
                        )
                        for e in result.errors
                    ),
                )
            elif action == "attitude":
                cohorts.set_attitude(session, department.code, email, attitude, actor=reader)
                notice = Notice(True, translate(lang, "cohort.done.attitude", email=email))
            elif action == "remove":
                cohorts.remove(session, department.code, email, actor=reader)
                notice = Notice(True, translate(lang, "cohort.done.remove", email=email))
            else:
                raise cohorts.CohortError(translate(lang, "pilot.unknown_action"))
    except NotAllowed:
        raise HTTPException(403, translate(lang, "pilot.forbidden.cohort")) from None
    except cohorts.CohortError as exc:
        notice = Notice(False, translate(lang, "cohort.problem", reason=str(exc)))
        return _cohort_page(request, department, notice, status=422)
    # Lines that failed in a bulk enrolment are a partial success: the page says which.
    return _cohort_page(request, department, notice)


# -- journal -------------------------------------------------------------------------------
def _require_reader(request: Request, department: Department) -> bool:
    """403 unless the person reads the journal; returns whether they also write in it."""
    require_identity(request)
    reader = reader_of(request)
    with read_session(settings_of(request)) as session:
        may_read = journal.can_read_journal(session, reader, department.id)
        may_write = journal.can_write_journal(session, reader, department.id)
    if not may_read:
        raise HTTPException(403, translate(page_language(request), "pilot.forbidden"))
    return may_write


def _journal_page(
    request: Request,
    department: Department,
    *,
    may_write: bool,
    notice: Notice | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    settings = settings_of(request)
    reader = reader_of(request)
    with read_session(settings) as session:
        views = journal.entries(session, department.id)
    titles = {v.id: v.title for v in views}
    me = reader.identity
    may_moderate = can_manage_rollout(reader, department.id)
    context: dict[str, Any] = {
        "department": department,
        "nav": _nav(department.code),
        "categories": CATEGORIES,
        "by_category": {c: [v for v in views if v.category == c] for c in CATEGORIES},
        "titles": titles,
        "problems": [v for v in views if v.category == "problem"],
        "may_write": may_write,
        "mine": {
            v.id for v in views if me is not None and v.author_id == me.person_id and may_write
        },
        "deletable": {
            v.id
            for v in views
            if (me is not None and v.author_id == me.person_id and may_write) or may_moderate
        },
        "notice": notice,
        "values": dict(values or {}),
        "title_max": ENTRY_TITLE_MAX,
        "body_max": ENTRY_BODY_MAX,
    }
    return render(request, "journal.html", context, status_code=status)


@router.get("/cockpit/departments/{code}/journal")
def journal_page(request: Request, code: str) -> Response:
    require_identity(request)
    department = _department(request, code)
    may_write = _require_reader(request, department)
    return _journal_page(request, department, may_write=may_write)


@router.post("/cockpit/departments/{code}/journal")
async def journal_post(request: Request, code: str) -> Response:
    require_identity(request)
    fields = await _form(request)
    return await run_in_threadpool(_journal_change, request, code, fields)


def _entry_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def _journal_change(request: Request, code: str, fields: Mapping[str, str]) -> Response:
    department = _department(request, code)
    may_write = _require_reader(request, department)
    lang = page_language(request)
    reader = reader_of(request)
    action = fields.get("action", "")
    entry_id = _entry_id(fields.get("entry"))
    anchor = ""
    try:
        with write_session(settings_of(request)) as session:
            if action == "add":
                entry = journal.add_entry(
                    session,
                    department.code,
                    fields.get("category", ""),
                    fields.get("title", ""),
                    fields.get("body", ""),
                    actor=reader,
                    resolves=_entry_id(fields.get("resolves")),
                )
                anchor = f"#entry-{entry.id}"
            elif action == "edit" and entry_id is not None:
                journal.edit_entry(
                    session,
                    department.code,
                    entry_id,
                    actor=reader,
                    title=fields.get("title", ""),
                    body=fields.get("body", ""),
                )
                anchor = f"#entry-{entry_id}"
            elif action == "delete" and entry_id is not None:
                journal.delete_entry(session, department.code, entry_id, actor=reader)
            else:
                raise journal.JournalError(translate(lang, "pilot.unknown_action"))
    except NotAllowed:
        raise HTTPException(403, translate(lang, "pilot.forbidden")) from None
    except journal.EntryNotFound:
        raise HTTPException(404, translate(lang, "error.not_found")) from None
    except journal.JournalError as exc:
        notice = Notice(False, translate(lang, "journal.problem_msg", reason=str(exc)))
        return _journal_page(
            request, department, may_write=may_write, notice=notice, values=fields, status=422
        )
    # Post/redirect/get: reloading the page does not post the entry twice.
    return RedirectResponse(f"{_nav(department.code)['journal']}{anchor}", status_code=303)


# -- playbook ------------------------------------------------------------------------------
def _playbook(request: Request, code: str) -> tuple[Department, Any]:
    require_identity(request)
    department = _department(request, code)
    _require_reader(request, department)
    settings = settings_of(request)
    with read_session(settings) as session:
        department = session.scalars(select(Department).where(Department.id == department.id)).one()
        playbook = build_playbook(session, department, settings, language=page_language(request))
    return department, playbook


def _filename(code: str, extension: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in code)
    return f"playbook-{safe}.{extension}"


@router.get("/cockpit/departments/{code}/playbook")
def playbook_page(request: Request, code: str) -> Response:
    department, playbook = _playbook(request, code)
    context = {
        "department": department,
        "nav": _nav(department.code),
        "pb": playbook,
        "label": label,
    }
    return render(request, "playbook.html", context)


@router.get("/cockpit/departments/{code}/playbook.md")
def playbook_markdown(request: Request, code: str) -> Response:
    department, playbook = _playbook(request, code)
    return Response(
        render_markdown(playbook),
        media_type="text/markdown; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(department.code, "md")}"'
        },
    )


@router.get("/cockpit/departments/{code}/playbook.pdf")
def playbook_pdf(request: Request, code: str) -> Response:
    department, playbook = _playbook(request, code)
    try:
        pdf = render_pdf(playbook)
    except PdfError as exc:
        raise HTTPException(503, str(exc)) from None
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(department.code, "pdf")}"'
        },
    )
