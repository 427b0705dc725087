"""The adoption dashboards: the organisation, one department, one workflow.

Who sees what:

- administrators, programme leads and executive viewers: every dashboard;
- a department admin: their own department's dashboard, and a workflow's dashboard narrowed to
  that department (``?department=CODE``); ``/dashboards`` sends them to their department;
- anyone else: 403, written to the audit log as denied.

Figures come from ``organisation_metrics`` over the rollups (caught up first, cheap when
current), never from the raw events. Groups under the privacy minimum show "hidden"; there is
no per-person figure anywhere.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NoReturn
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from starlette.exceptions import HTTPException

from essor.analytics.dashboards import DEPARTMENT_DECLINING, alerts, chart_week_count
from essor.analytics.metrics import (
    OrgMetrics,
    UnknownDepartment,
    organisation_metrics,
    workflow_weeks,
)
from essor.analytics.periods import Period, default_period
from essor.analytics.rollup_models import ALL_DEPARTMENTS
from essor.analytics.rollups import catch_up
from essor.db import read_session
from essor.governance.access import Reader
from essor.people.models import Department

# A module import: essor.reports.executive imports essor.web.i18n, whose package imports us.
from essor.reports import executive
from essor.reports.charts import Series, line_chart
from essor.rollout.champions import roster
from essor.rollout.queries import overview, sees_every_department
from essor.web import i18n_dashboards
from essor.web.audit_denied import audit_denied
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import page_language, render
from essor.workflows.registry import load_registry

router = APIRouter(include_in_schema=False)
i18n_dashboards.merge()

MAX_PERIOD_DAYS = 3 * 366
DATE_CHARS = 10


class PeriodError(ValueError):
    pass


def _day(raw: str | None, name: str) -> date | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        if len(text) > DATE_CHARS:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{name}: not a date (YYYY-MM-DD)") from None


def period_of(request: Request) -> Period:
    """The period of ``?from=&to=`` (default: the last 28 days; one end alone keeps 28 days)."""
    q = request.query_params
    start, end = _day(q.get("from"), "from"), _day(q.get("to"), "to")
    if start is None and end is None:
        return default_period()
    if start is None:
        assert end is not None
        start = end - timedelta(days=27)
    if end is None:
        end = start + timedelta(days=27)
    if end < start:
        raise PeriodError("the period ends before it starts")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise PeriodError(f"a period is at most {MAX_PERIOD_DAYS} days")
    return Period(start, end)


def checked_period(request: Request) -> tuple[Period, str | None]:
    """The requested period, or the default one and the reason it could not be used."""
    try:
        return period_of(request), None
    except PeriodError as exc:
        return default_period(), str(exc)


def admin_departments(reader: Reader) -> set[int]:
    identity = reader.identity
    if identity is None:
        return set()
    return {d for r, d in identity.roles if r == "department_admin" and d is not None}


def may_see_dashboards(reader: Reader) -> bool:
    """Whether the header links to the dashboards (each page checks again)."""
    return sees_every_department(reader) or bool(admin_departments(reader))


def refuse(request: Request, object_type: str, object_id: str) -> NoReturn:
    audit_denied(request, "dashboard.read", object_type, object_id)
    raise HTTPException(403, "you may not see this dashboard")


def dashboard_reader(request: Request, object_type: str, object_id: str) -> Reader:
    """The signed-in reader, refused at once when no dashboard is theirs to see (so a member
    learns nothing, not even which departments exist)."""
    require_identity(request)
    reader = reader_of(request)
    if not may_see_dashboards(reader):
        refuse(request, object_type, object_id)
    return reader


def _department(request: Request, code: str) -> Department:
    with read_session(settings_of(request)) as session:
        department = session.scalar(select(Department).where(Department.code == code.strip()[:64]))
    if department is None:
        raise HTTPException(404, f"unknown department: {code[:64]}")
    return department


def _query(period: Period, lang: str | None = None) -> str:
    params = [("from", period.start.isoformat()), ("to", period.end.isoformat())]
    if lang:
        params.append(("lang", lang))
    return urlencode(params)


def _metrics(request: Request, period: Period, department: str | None = None) -> OrgMetrics:
    settings = settings_of(request)
    catch_up(settings)  # cheap when the rollups are current
    with read_session(settings) as session:
        return organisation_metrics(session, settings, period=period, department=department)


def _common(
    request: Request, m: OrgMetrics, period: Period, error: str | None
) -> dict[str, object]:
    settings = settings_of(request)
    fmt = executive.Formatter(page_language(request), m.min_group_size)
    return {
        "m": m,
        "fmt": fmt,
        "period": period,
        "error": error,
        "query": _query(period),
        "settings": settings,
        "alert_texts": [fmt.alert(a, settings) for a in alerts(m, settings)],
    }


@router.get("/dashboards")
def organisation_dashboard(request: Request) -> Response:
    reader = dashboard_reader(request, "dashboard", "organisation")
    if not sees_every_department(reader):
        own = sorted(admin_departments(reader))
        with read_session(settings_of(request)) as session:
            code = session.scalar(select(Department.code).where(Department.id == own[0]))
        if code is None:
            refuse(request, "dashboard", "organisation")
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/dashboards/departments/{quote(code)}{query}", status_code=303)
    period, error = checked_period(request)
    m = _metrics(request, period)
    context = _common(request, m, period, error)
    fmt = context["fmt"]
    assert isinstance(fmt, executive.Formatter)
    context.update(
        depth_chart=executive.depth_chart(m, fmt, settings_of(request).breadth_threshold),
        org_chart=executive.weekly_chart(m, fmt, by_department=False),
        departments_chart=executive.weekly_chart(m, fmt, by_department=True),
        chart_note=executive.chart_note(m, fmt),
    )
    return render(request, "dashboard.html", context, status_code=422 if error else 200)


@router.get("/dashboards/departments/{code}")
def department_dashboard(request: Request, code: str) -> Response:
    reader = dashboard_reader(request, "department", code[:64])
    department = _department(request, code)
    if not (sees_every_department(reader) or department.id in admin_departments(reader)):
        refuse(request, "department", department.code)
    period, error = checked_period(request)
    settings = settings_of(request)
    try:
        m = _metrics(request, period, department.code)
    except UnknownDepartment:
        raise HTTPException(404, f"unknown department: {code[:64]}") from None
    lang = page_language(request)
    with read_session(settings) as session:
        rows = overview(
            session, settings, reader=reader, on=period.end, language=lang, code=department.code
        )
        champions = roster(session, on=period.end, department_ids={department.id})
    context = _common(request, m, period, error)
    fmt = context["fmt"]
    assert isinstance(fmt, executive.Formatter)
    trend = m.sustainability.weeks
    chart = None
    if trend:
        # Safe to mark: charts.py escapes every label and value it draws.
        chart = Markup(
            line_chart(
                [Series(department.code, [w.active for w in trend])],
                [w.monday.strftime("%d/%m") for w in trend],
                title=fmt.t("dash.dept.trend_chart", code=department.code),
            )
        )
    context.update(
        department=department,
        rollout=rows[0] if rows else None,
        champions=champions,
        trend_chart=chart,
        sees_all=sees_every_department(reader),
    )
    return render(request, "dashboard_department.html", context, status_code=422 if error else 200)


@router.get("/dashboards/workflows/{workflow_id}")
def workflow_dashboard(request: Request, workflow_id: str) -> Response:
    reader = dashboard_reader(request, "workflow", workflow_id[:100])
    settings = settings_of(request)
    wanted = request.query_params.get("department") or None
    department = _department(request, wanted) if wanted else None
    if not sees_every_department(reader) and (
        department is None or department.id not in admin_departments(reader)
    ):
        refuse(request, "workflow", workflow_id[:100])
    period, error = checked_period(request)
    m = _metrics(request, period, department.code if department else None)
    stats = m.workflow(workflow_id)
    if stats is None:
        raise HTTPException(404, f"no workflow {workflow_id[:100]}")
    definition = load_registry(settings).get(workflow_id)
    context = _common(request, m, period, error)
    fmt = context["fmt"]
    assert isinstance(fmt, executive.Formatter)
    lang = page_language(request)
    name = (definition.title.fr if lang == "fr" else definition.title.en) if definition else None
    chart, weeks = None, []
    if stats.reason is None:
        with read_session(settings) as session:
            weeks = workflow_weeks(
                session,
                settings,
                workflow_id,
                end=period.end,
                weeks=chart_week_count(period),
                department_id=department.id if department else ALL_DEPARTMENTS,
            )
        # A week run by fewer people than the privacy minimum is a gap, never a zero.
        # Safe to mark: charts.py escapes every label and value it draws.
        chart = Markup(
            line_chart(
                [Series(name or workflow_id, [week.runs for week in weeks])],
                [week.monday.strftime("%d/%m") for week in weeks],
                title=fmt.t("dash.wf.weekly_chart"),
            )
        )
    context.update(
        w=stats,
        name=name or workflow_id,
        department=department,
        chart=chart,
        weeks=weeks,
        alert_texts=[
            fmt.alert(a, settings)
            for a in alerts(m, settings)
            if a.kind != DEPARTMENT_DECLINING and a.subject == workflow_id
        ],
    )
    return render(request, "dashboard_workflow.html", context, status_code=422 if error else 200)
