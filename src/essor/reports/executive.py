"""The executive report for a period: adoption (breadth, depth, diversity, impact,
sustainability), readiness, milestones reached, success stories and the budget, gathered once
and rendered as a page, a PDF and CSV tables, in English or French.

Adoption figures come from ``organisation_metrics`` (the rollups); call
``essor.analytics.rollups.catch_up(settings)`` before gathering. Access is the caller's to
check: the report covers every department, so only readers who see every department get it.

The same ``Formatter`` writes every figure on the dashboards, in the report and in its CSV
tables, so a hidden figure reads the same everywhere ("hidden (group under 5 people)") and is
never a 0.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.analytics.dashboards import Alert, alerts
from essor.analytics.metrics import (
    NO_HEADCOUNT,
    DepartmentMetrics,
    OrgMetrics,
    organisation_metrics,
)
from essor.analytics.periods import Period
from essor.budget.queries import budget_report
from essor.governance.access import Reader
from essor.people.models import Department
from essor.reports.charts import Series, bar_chart, line_chart
from essor.reports.pdf import html_to_pdf
from essor.rollout.champions import ChampionPost
from essor.rollout.models import StageChange
from essor.rollout.queries import DepartmentOverview, overview
from essor.settings import Settings
from essor.web.i18n import format_date, format_number, translate
from essor.web.i18n_dashboards import merge

merge()

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
TABLES = ("departments", "workflows", "weekly", "milestones")
STORY_EXCERPT = 400
MAX_STORIES = 20
MAX_CHART_DEPARTMENTS = 8  # the charts' palette has 8 colours
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# -- formatting ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Formatter:
    """Figures as people read them, in one language; None is shown as hidden with the
    privacy reason, never as 0."""

    lang: str
    min_group_size: int

    def t(self, key: str, **values: object) -> str:
        return translate(self.lang, key, **values)

    def hidden(self, reason: str | None) -> str:
        if reason == NO_HEADCOUNT:
            return self.t("dash.no_headcount")
        return self.t("dash.hidden", n=self.min_group_size)

    def num(self, value: float | None, reason: str | None = None, decimals: int = 0) -> str:
        if value is None:
            return self.hidden(reason) if reason else "—"
        return format_number(value, self.lang, decimals)

    def pct(self, value: float | None, reason: str | None = None, decimals: int = 1) -> str:
        if value is None:
            return self.hidden(reason) if reason else "—"
        return f"{format_number(value * 100, self.lang, decimals)} %"

    def hours(self, minutes: int | None, reason: str | None = None) -> str:
        return self.num(None if minutes is None else minutes / 60, reason, 1)

    def slope(self, relative: float | None) -> str:
        if relative is None:
            return "—"
        sign = "+" if relative >= 0 else "−"
        return f"{sign}{format_number(abs(relative) * 100, self.lang, 1)} %"

    def day(self, value: date | datetime) -> str:
        return format_date(value, self.lang)

    def trend(self, status: str) -> str:
        return self.t(f"dash.trend.{status}")

    def alert(self, a: Alert, settings: Settings) -> str:
        if a.kind == "department_declining":
            return self.t(
                "dash.alert.department_declining",
                name=a.name,
                code=a.subject,
                slope=self.slope(a.relative_slope),
            )
        unhelpful = a.kind == "workflow_unhelpful"
        return self.t(
            f"dash.alert.{a.kind}",
            name=a.name,
            share=self.pct(a.share, decimals=0),
            n=a.count,
            threshold=self.pct(
                settings.alert_unhelpful_share if unhelpful else settings.alert_abstention_share,
                decimals=0,
            ),
            min=settings.alert_min_feedback if unhelpful else settings.alert_min_runs,
        )


# -- charts (every label is escaped by charts.py, so the SVG may be marked safe) ------------
def depth_chart(m: OrgMetrics, fmt: Formatter, threshold: float) -> Markup:
    bars = [(f"{d.code} · {d.name}", d.depth) for d in m.departments]
    # Safe to mark: charts.py escapes every label and value it draws.
    return Markup(
        bar_chart(bars, title=fmt.t("dash.depth_chart"), percent=True, threshold=threshold)
    )


def charted_departments(m: OrgMetrics) -> list[DepartmentMetrics]:
    """The departments the weekly chart draws: those with figures, at most the
    MAX_CHART_DEPARTMENTS largest (more lines than colours cannot be told apart; the table
    beside the chart lists every department)."""
    shown = [d for d in m.departments if d.sustainability.weeks]
    largest = sorted(shown, key=lambda d: (-d.headcount, d.code))[:MAX_CHART_DEPARTMENTS]
    return sorted(largest, key=lambda d: d.code)


def weekly_chart(m: OrgMetrics, fmt: Formatter, *, by_department: bool) -> Markup | None:
    if by_department:
        rows = charted_departments(m)
        series = [Series(d.code, [w.active for w in d.sustainability.weeks]) for d in rows]
        weeks = rows[0].sustainability.weeks if rows else ()
        title = fmt.t("dash.weekly.departments_chart")
    else:
        weeks = m.sustainability.weeks
        series = [Series(fmt.t("dash.weekly.org"), [w.active for w in weeks])]
        title = fmt.t("dash.weekly.org_chart")
    if not weeks or not series:
        return None
    labels = [w.monday.strftime("%d/%m") for w in weeks]
    # Room for the legend's rows (three names a row) under the plot.
    height = 200 + 16 * ((len(series) + 2) // 3)
    # Safe to mark: charts.py escapes every label and value it draws.
    return Markup(line_chart(series, labels, title=title, height=height))


def chart_note(m: OrgMetrics, fmt: Formatter) -> str | None:
    """Says so when the departments' weekly chart leaves departments out."""
    with_figures = sum(1 for d in m.departments if d.sustainability.weeks)
    if with_figures <= MAX_CHART_DEPARTMENTS:
        return None
    return fmt.t("dash.weekly.largest", n=MAX_CHART_DEPARTMENTS, total=with_figures)


# -- the report ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Milestone:
    code: str
    name: str
    from_stage: str
    to_stage: str
    at: datetime


@dataclass(frozen=True)
class Story:
    title: str
    excerpt: str
    department: str | None
    created_at: datetime
    impact_value: float | None
    impact_unit: str


@dataclass(frozen=True)
class BudgetSummary:
    currency: str
    monthly: float
    one_off: float
    per_seat: float | None  # None: the projection is withheld (too few pilot people)
    usage: float | None
    cost_per_hour_saved: float | None
    break_even_people: float | None
    break_even_depth: float | None
    # "crosses", "usage_cheaper" or "per_seat_cheaper" (budget.projection); None when withheld.
    break_even_verdict: str | None
    min_group_size: int

    @property
    def withheld(self) -> bool:
        return self.per_seat is None


@dataclass(frozen=True)
class ExecutiveReport:
    period: Period
    metrics: OrgMetrics
    alerts: tuple[Alert, ...]
    readiness: tuple[DepartmentOverview, ...]
    milestones: tuple[Milestone, ...]
    stories: tuple[Story, ...]
    budget: BudgetSummary
    generated_on: date


def _bounds(period: Period) -> tuple[datetime, datetime]:
    start = datetime.combine(period.start, time.min, tzinfo=UTC)
    return start, datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=UTC)


def milestones(session: Session, period: Period) -> list[Milestone]:
    """Stage changes made in the period, oldest first."""
    start, end = _bounds(period)
    rows = session.execute(
        select(StageChange, Department.code, Department.name)
        .join(Department, Department.id == StageChange.department_id)
        .where(StageChange.at >= start, StageChange.at < end)
        .order_by(StageChange.at, StageChange.id)
    )
    return [Milestone(code, name, c.from_stage, c.to_stage, c.at) for c, code, name in rows]


def period_stories(session: Session, period: Period) -> list[Story]:
    """Success stories published in the period and not hidden by a moderator, newest first."""
    start, end = _bounds(period)
    codes = dict(session.execute(select(Department.id, Department.code)).all())
    rows = session.scalars(
        select(ChampionPost)
        .where(
            ChampionPost.kind == "story",
            ChampionPost.hidden.is_(False),
            ChampionPost.created_at >= start,
            ChampionPost.created_at < end,
        )
        .order_by(ChampionPost.created_at.desc(), ChampionPost.id.desc())
        .limit(MAX_STORIES)
    )
    out = []
    for p in rows:
        body = p.body if len(p.body) <= STORY_EXCERPT else p.body[: STORY_EXCERPT - 1] + "…"
        department = codes.get(p.department_id) if p.department_id else None
        out.append(Story(p.title, body, department, p.created_at, p.impact_value, p.impact_unit))
    return out


def budget_summary(session: Session, settings: Settings, period: Period) -> BudgetSummary:
    report = budget_report(session, settings, start=period.start, end=period.end)
    p = report.projection
    return BudgetSummary(
        currency=report.currency,
        monthly=sum(g.monthly for g in report.groups),
        one_off=sum(g.one_off for g in report.groups),
        per_seat=p.per_seat.total if p else None,
        usage=p.usage.total if p else None,
        cost_per_hour_saved=p.usage.cost_per_hour_saved if p else None,
        break_even_people=p.break_even_active_people if p else None,
        break_even_depth=p.break_even_depth if p else None,
        break_even_verdict=p.break_even_verdict if p else None,
        min_group_size=report.min_group_size,
    )


def gather(
    session: Session,
    settings: Settings,
    *,
    period: Period,
    reader: Reader,
    language: str = "en",
    today: date | None = None,
) -> ExecutiveReport:
    metrics = organisation_metrics(session, settings, period=period, with_cohorts=False)
    return ExecutiveReport(
        period=period,
        metrics=metrics,
        alerts=tuple(alerts(metrics, settings)),
        readiness=tuple(
            overview(session, settings, reader=reader, on=period.end, language=language)
        ),
        milestones=tuple(milestones(session, period)),
        stories=tuple(period_stories(session, period)),
        budget=budget_summary(session, settings, period),
        generated_on=today or date.today(),
    )


# -- rendering -----------------------------------------------------------------------------
def context(report: ExecutiveReport, settings: Settings, lang: str) -> dict[str, object]:
    """What the report's templates need (the page adds the site's own context)."""
    fmt = Formatter(lang, report.metrics.min_group_size)
    return {
        "r": report,
        "m": report.metrics,
        "fmt": fmt,
        "settings": settings,
        "alert_texts": [fmt.alert(a, settings) for a in report.alerts],
        "depth_chart": depth_chart(report.metrics, fmt, settings.breadth_threshold),
        "org_chart": weekly_chart(report.metrics, fmt, by_department=False),
        "departments_chart": weekly_chart(report.metrics, fmt, by_department=True),
        "chart_note": chart_note(report.metrics, fmt),
    }


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_ENV = _environment()


def render_document(report: ExecutiveReport, settings: Settings, lang: str) -> str:
    """A self-contained HTML document (inline CSS and SVG) for the PDF."""
    values = context(report, settings, lang)
    fmt = values["fmt"]
    assert isinstance(fmt, Formatter)
    template = _ENV.get_template("report_executive_document.html")
    return template.render(lang=lang, t=fmt.t, **values)


def render_pdf(report: ExecutiveReport, settings: Settings, lang: str) -> bytes:
    return html_to_pdf(render_document(report, settings, lang))


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading quote; numbers we
    computed are written as numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _rows(report: ExecutiveReport, table: str, fmt: Formatter) -> list[list[object]]:
    t, m = fmt.t, report.metrics

    def raw(value: float | None, reason: str | None, digits: int = 4) -> object:
        if value is None:
            return fmt.hidden(reason) if reason else ""
        return round(value, digits)

    if table == "departments":
        out: list[list[object]] = [
            [
                t("dash.col.code"),
                t("dash.col.department"),
                t("dash.col.headcount"),
                t("dash.col.active"),
                t("dash.col.depth"),
                t("dash.col.diversity"),
                t("dash.col.hours_saved"),
                t("dash.col.tickets"),
                t("dash.col.helped"),
                t("dash.col.trend"),
                t("dash.col.slope"),
            ]
        ]
        for d in m.departments:
            i = d.impact
            out.append(
                [
                    d.code,
                    d.name,
                    d.headcount,
                    raw(d.active, d.reason),
                    raw(d.depth, d.reason),
                    raw(d.diversity, d.reason),
                    raw(i.hours_saved if i else None, d.reason, 2),
                    raw(i.tickets_avoided if i else None, d.reason),
                    raw(i.employees_helped if i else None, d.reason),
                    fmt.trend(d.sustainability.status),
                    raw(d.sustainability.relative_slope, None),
                ]
            )
        return out
    if table == "workflows":
        out = [
            [
                t("dash.col.workflow"),
                t("dash.col.status"),
                t("dash.col.runs"),
                t("dash.col.people"),
                t("dash.col.helpful"),
                t("dash.col.unhelpful"),
                t("dash.col.abstentions"),
                t("dash.col.minutes_saved"),
                t("dash.col.tickets"),
            ]
        ]
        for w in m.workflows:
            out.append(
                [
                    w.title or w.workflow_id,
                    w.status or "",
                    raw(w.runs, w.reason),
                    raw(w.people, w.reason),
                    raw(w.helpful, w.reason),
                    raw(w.unhelpful, w.reason),
                    raw(w.abstained, w.reason),
                    raw(w.minutes_saved, w.reason),
                    raw(w.tickets_avoided, w.reason),
                ]
            )
        return out
    if table == "weekly":
        weeks = m.sustainability.weeks
        header: list[object] = [t("dash.col.week"), t("dash.weekly.org")]
        shown = [d for d in m.departments if d.sustainability.weeks]
        header += [d.code for d in shown]
        out = [header]
        for k, week in enumerate(weeks):
            counts = [d.sustainability.weeks[k].active for d in shown]
            out.append([week.monday.isoformat(), week.active, *counts])
        return out
    if table == "milestones":
        out = [
            [
                t("dash.col.code"),
                t("dash.col.department"),
                t("report.col.from"),
                t("report.col.to"),
                t("report.col.date"),
            ]
        ]
        for s in report.milestones:
            out.append(
                [
                    s.code,
                    s.name,
                    t(f"dash.stage.{s.from_stage}"),
                    t(f"dash.stage.{s.to_stage}"),
                    s.at.date().isoformat(),
                ]
            )
        return out
    raise KeyError(table)


def csv_table(report: ExecutiveReport, table: str, lang: str) -> str:
    """One of TABLES as CSV (KeyError for another name), headers in ``lang``."""
    fmt = Formatter(lang, report.metrics.min_group_size)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in _rows(report, table, fmt):
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def table_names() -> Sequence[str]:
    return TABLES
