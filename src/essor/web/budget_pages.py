"""The budget page: cost lines by budget (add, edit, delete), usage measured in the pilot
departments, the per-seat and usage-based projections side by side, and break-even.

Programme leads and administrators change cost lines; executive viewers and departments'
budget owners read. The projection's inputs (period, seat price, value of an hour, target
depth, amortisation) travel in the query string, so a projection is a link one can share.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from starlette.exceptions import HTTPException

from essor.analytics.rollups import catch_up
from essor.budget.access import can_manage_budget, can_see_budget
from essor.budget.actions import (
    BudgetError,
    LineInput,
    add_cost_line,
    delete_cost_line,
    update_cost_line,
)
from essor.budget.models import CATEGORIES, PERIODS
from essor.budget.queries import (
    DEFAULT_HOURLY_VALUE,
    DEFAULT_SEAT_PRICE,
    BudgetReport,
    CostLineView,
    budget_report,
    cost_line,
    default_period,
    support_hours_hint,
)
from essor.db import read_session, write_session
from essor.governance.actions import NotAllowed
from essor.people.models import Department
from essor.reports.charts import bar_chart
from essor.web import i18n_budget
from essor.web.audit_denied import audit_denied
from essor.web.i18n import translate
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import page_language, render

router = APIRouter(prefix="/budget", include_in_schema=False)
i18n_budget.merge()

FIELD_MAX = 400  # transport guard; the domain gives the precise limits and messages
NUMBER_MAX = 40


class InputError(ValueError):
    pass


def _number(raw: str | None, name: str) -> float | None:
    """A number as people type it: "1 500,50" or "1500.50"; empty is None."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise InputError(f"{name}: not a number ({raw[:NUMBER_MAX]})") from None


def _day(raw: str | None, name: str) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(f"{name}: not a date (YYYY-MM-DD)") from None


def _see(request: Request) -> None:
    require_identity(request)
    with read_session(settings_of(request)) as session:
        allowed = can_see_budget(session, reader_of(request))
    if not allowed:
        audit_denied(request, "budget.read", "budget", "")
        raise HTTPException(403, "the budget is for programme leads, executives and budget owners")


def _params(request: Request) -> dict[str, Any]:
    """The projection's inputs from the query string, checked; InputError says what is wrong."""
    q = request.query_params
    start, end = _day(q.get("from"), "from"), _day(q.get("to"), "to")
    if (start is None) != (end is None):
        raise InputError("give both the first and the last day, or neither")
    if start is None or end is None:
        start, end = default_period()
    if end < start:
        raise InputError("the period ends before it starts")
    seat = _number(q.get("seat_price"), "seat price")
    hourly = _number(q.get("hourly_value"), "value of an hour")
    target = _number(q.get("target_depth"), "target depth")
    months = _number(q.get("months"), "amortisation months")
    if seat is not None and not 0 <= seat <= 100_000:
        raise InputError("seat price: between 0 and 100,000")
    if hourly is not None and not 0 <= hourly <= 100_000:
        raise InputError("value of an hour: between 0 and 100,000")
    if target is not None and not 0 <= target <= 100:
        raise InputError("target depth: a percentage between 0 and 100")
    if months is not None and not (1 <= months <= 120 and months == int(months)):
        raise InputError("amortisation months: a whole number from 1 to 120")
    return {
        "start": start,
        "end": end,
        "seat_price": DEFAULT_SEAT_PRICE if seat is None else seat,
        "hourly_value": DEFAULT_HOURLY_VALUE if hourly is None else hourly,
        "target_depth": None if target is None else target / 100,
        "amortisation_months": 12 if months is None else int(months),
    }


def _chart(report: BudgetReport, lang: str) -> Markup | None:
    p = report.projection
    if p is None:
        return None

    def t(key: str) -> str:
        return translate(lang, key)

    bars: list[tuple[str, float | None]] = [
        (t("budget.col.pilot_seat"), p.pilot_per_seat.total),
        (t("budget.col.pilot_usage"), p.pilot_usage.total),
        (t("budget.col.full_seat"), p.per_seat.total),
        (t("budget.col.full_usage"), p.usage.total),
    ]
    # bar_chart escapes every label and value it draws.
    return Markup(bar_chart(bars, title=t("budget.chart.title") + f" ({report.currency})"))


def _departments(request: Request) -> list[str]:
    with read_session(settings_of(request)) as session:
        return list(session.scalars(select(Department.code).order_by(Department.code)))


def _page(
    request: Request,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    settings = settings_of(request)
    try:
        params = _params(request)
    except InputError as exc:
        params = _params_defaults()
        error, status_code = str(exc), 422
    catch_up(settings)  # the measured usage reads the rollups; cheap when they are current
    with read_session(settings) as session:
        report = budget_report(session, settings, **params)
    lang = page_language(request)
    context = {
        "report": report,
        "projection": report.projection,
        "params": params,
        "target_percent": (
            "" if params["target_depth"] is None else f"{params['target_depth'] * 100:g}"
        ),
        "chart": _chart(report, lang),
        "may_manage": can_manage_budget(reader_of(request)),
        "categories": CATEGORIES,
        "periods": PERIODS,
        "departments": _departments(request),
        "budget_names": [g.name for g in report.groups],
        "support_hint": report.support_hours_hint,
        "error": error,
        "form": form or {},
        "saved": request.query_params.get("saved", ""),
        "query": urlencode(
            [(k, v) for k, v in request.query_params.multi_items() if k not in ("saved", "lang")]
        ),
    }
    return render(request, "budget.html", context, status_code=status_code)


def _params_defaults() -> dict[str, Any]:
    start, end = default_period()
    return {
        "start": start,
        "end": end,
        "seat_price": DEFAULT_SEAT_PRICE,
        "hourly_value": DEFAULT_HOURLY_VALUE,
        "target_depth": None,
        "amortisation_months": 12,
    }


@router.get("")
def budget_page(request: Request) -> Response:
    _see(request)
    return _page(request)


Text = Annotated[str, Form(max_length=FIELD_MAX)]
Number = Annotated[str, Form(max_length=NUMBER_MAX)]


def _line(
    budget: str,
    department: str,
    category: str,
    label: str,
    period: str,
    amount: str,
    price_input: str,
    price_output: str,
    hours_per_week: str,
    hourly_rate: str,
) -> LineInput:
    return LineInput(
        budget=budget,
        category=category,
        label=label,
        period=period or "monthly",
        amount=_number(amount, "amount"),
        price_input_per_million=_number(price_input, "price per million input tokens"),
        price_output_per_million=_number(price_output, "price per million output tokens"),
        hours_per_week=_number(hours_per_week, "hours per week"),
        hourly_rate=_number(hourly_rate, "hourly rate"),
        department=department or None,
    )


def _line_form(
    budget: Text,
    category: Text,
    label: Text,
    department: Text = "",
    period: Text = "monthly",
    amount: Number = "",
    price_input: Number = "",
    price_output: Number = "",
    hours_per_week: Number = "",
    hourly_rate: Number = "",
) -> dict[str, str]:
    """The cost line form as typed, shared by add and edit (re-shown as is on an error)."""
    return {
        "budget": budget,
        "department": department,
        "category": category,
        "label": label,
        "period": period,
        "amount": amount,
        "price_input": price_input,
        "price_output": price_output,
        "hours_per_week": hours_per_week,
        "hourly_rate": hourly_rate,
    }


LineForm = Annotated[dict[str, str], Depends(_line_form)]


@router.post("/lines")
def line_add(request: Request, form: LineForm) -> Response:
    require_identity(request)
    try:
        line = _line(**form)
        with write_session(settings_of(request)) as session:
            add_cost_line(session, line, actor=reader_of(request))
    except NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except (InputError, BudgetError) as exc:
        return _page(request, error=str(exc), form=form, status_code=422)
    return RedirectResponse("/budget?saved=1#lines", status_code=303)


def _existing(request: Request, line_id: int) -> CostLineView:
    with read_session(settings_of(request)) as session:
        line = cost_line(session, line_id)
    if line is None:
        raise HTTPException(404, f"no cost line {line_id}")
    return line


def _form_of(line: CostLineView) -> dict[str, str]:
    def text(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    return {
        "budget": line.budget,
        "department": line.department or "",
        "category": line.category,
        "label": line.label,
        "period": line.period,
        "amount": text(line.amount) if line.category not in ("llm_usage", "support_hours") else "",
        "price_input": text(line.price_input_per_million),
        "price_output": text(line.price_output_per_million),
        "hours_per_week": text(line.hours_per_week),
        "hourly_rate": text(line.hourly_rate),
    }


def _edit_page(
    request: Request,
    line_id: int,
    form: dict[str, str],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with read_session(settings_of(request)) as session:
        hint = support_hours_hint(session)
    context = {
        "line_id": line_id,
        "form": form,
        "error": error,
        "categories": CATEGORIES,
        "periods": PERIODS,
        "departments": _departments(request),
        "budget_names": [],
        "support_hint": hint,
    }
    return render(request, "budget_line_edit.html", context, status_code=status_code)


@router.get("/lines/{line_id}/edit")
def line_edit_page(request: Request, line_id: int) -> Response:
    require_identity(request)
    if not can_manage_budget(reader_of(request)):
        audit_denied(request, "budget.line.update", "cost_line", line_id)
        raise HTTPException(403, "you may not change the budget")
    return _edit_page(request, line_id, _form_of(_existing(request, line_id)))


@router.post("/lines/{line_id}")
def line_edit(request: Request, line_id: int, form: LineForm) -> Response:
    require_identity(request)
    try:
        line = _line(**form)
        with write_session(settings_of(request)) as session:
            update_cost_line(session, line_id, line, actor=reader_of(request))
    except NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except LookupError:
        raise HTTPException(404, f"no cost line {line_id}") from None
    except (InputError, BudgetError) as exc:
        return _edit_page(request, line_id, form, error=str(exc), status_code=422)
    return RedirectResponse("/budget?saved=1#lines", status_code=303)


@router.post("/lines/{line_id}/delete")
def line_delete(request: Request, line_id: int) -> Response:
    require_identity(request)
    try:
        with write_session(settings_of(request)) as session:
            delete_cost_line(session, line_id, actor=reader_of(request))
    except NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except LookupError:
        raise HTTPException(404, f"no cost line {line_id}") from None
    return RedirectResponse("/budget?saved=1#lines", status_code=303)
