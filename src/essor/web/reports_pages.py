"""The executive report: a page, a PDF and CSV tables of the figures behind it.

The report covers every department, so it is for those who see every department:
administrators, programme leads and executive viewers (a refusal is audited as denied). The
period is ``?from=&to=`` (default: the last 28 days) and the language ``?lang=`` (or the
visitor's usual one), the same for the page and its exports.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from essor.analytics.periods import Period
from essor.analytics.rollups import catch_up
from essor.db import read_session
from essor.reports import executive
from essor.reports.pdf import PdfError
from essor.rollout.queries import sees_every_department
from essor.web import i18n_dashboards
from essor.web.audit_denied import audit_denied
from essor.web.dashboards import PeriodError, checked_period, period_of
from essor.web.i18n import translate
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import page_language, render

router = APIRouter(prefix="/reports", include_in_schema=False)
i18n_dashboards.merge()


def _allowed(request: Request, object_id: str) -> None:
    require_identity(request)
    if not sees_every_department(reader_of(request)):
        audit_denied(request, "report.read", "executive_report", object_id)
        raise HTTPException(403, "the executive report is for programme leads and executives")


def _report(request: Request, period: Period) -> executive.ExecutiveReport:
    settings = settings_of(request)
    catch_up(settings)  # cheap when the rollups are current
    with read_session(settings) as session:
        return executive.gather(
            session,
            settings,
            period=period,
            reader=reader_of(request),
            language=page_language(request),
        )


def _export_period(request: Request) -> Period:
    """Exports refuse a bad period outright: a file of another period would mislead."""
    try:
        return period_of(request)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None


def _filename(period: Period, ext: str) -> str:
    return f"essor-executive-report-{period.start.isoformat()}-{period.end.isoformat()}.{ext}"


@router.get("/executive")
def executive_page(request: Request) -> Response:
    _allowed(request, "page")
    period, error = checked_period(request)
    report = _report(request, period)
    lang = page_language(request)
    context: dict[str, Any] = executive.context(report, settings_of(request), lang)
    context.update(
        period=period,
        error=error,
        query=f"from={period.start.isoformat()}&to={period.end.isoformat()}",
        tables=executive.TABLES,
    )
    return render(request, "report_executive.html", context, status_code=422 if error else 200)


@router.get("/executive.pdf")
def executive_pdf(request: Request) -> Response:
    _allowed(request, "pdf")
    period = _export_period(request)
    report = _report(request, period)
    try:
        pdf = executive.render_pdf(report, settings_of(request), page_language(request))
    except PdfError as exc:
        raise HTTPException(503, str(exc)) from None
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(period, "pdf")}"'},
    )


@router.get("/executive/{table}.csv")
def executive_csv(request: Request, table: str) -> Response:
    _allowed(request, f"{table[:40]}.csv")
    lang = page_language(request)
    if table not in executive.TABLES:
        raise HTTPException(
            404,
            translate(
                lang, "report.bad_table", name=table[:40], tables=", ".join(executive.TABLES)
            ),
        )
    period = _export_period(request)
    report = _report(request, period)
    body = executive.csv_table(report, table, lang)
    name = _filename(period, "csv").replace(".csv", f"-{table}.csv")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
