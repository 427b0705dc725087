"""``essor metrics`` and ``essor rollup``: the adoption metrics from the terminal.

The numbers are those of the dashboards: the same ``organisation_metrics`` over the same
rollups, which are caught up first.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from essor.analytics.metrics import OrgMetrics, UnknownDepartment, organisation_metrics
from essor.analytics.periods import Period, period_from
from essor.analytics.rollups import RollupReport, catch_up, rebuild
from essor.cli.common import console, fail, print_json, progress_bar, ready_settings
from essor.db import read_session
from essor.settings import Settings


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise fail(f"{option} must be a date like 2026-01-31, not {value!r}") from None


def _caught_up(settings: Settings, quiet: bool) -> RollupReport:
    with progress_bar(transient=True) as bar:
        task = bar.add_task("Rolling up usage events", total=None, item="")

        def on_progress(events: int, cursor: int) -> None:
            bar.update(task, completed=events, item=f"event {cursor}")

        return catch_up(settings, progress=None if quiet else on_progress)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: int | None) -> str:
    return "withheld" if value is None else str(value)


def _print(m: OrgMetrics) -> None:
    scope = m.department or "organisation"
    console.print(
        f"[bold]{scope}[/bold] · {m.period.start} to {m.period.end} ({m.period.days} days)"
    )
    if m.reason:
        console.print(f"figures withheld: {m.reason} (groups under {m.min_group_size} people)")
    impact = m.impact
    summary = Table("metric", "value")
    summary.add_row("headcount", str(m.headcount))
    summary.add_row("active people", _num(m.active))
    summary.add_row("depth", _pct(m.depth))
    breadth = f"{_pct(m.breadth)} ({m.breadth_departments}/{m.departments_in_scope})"
    summary.add_row("breadth", breadth)
    workflows = ", ".join(m.diversity_workflows or ()) or "-"
    summary.add_row("diversity", f"{_num(m.diversity)} ({workflows})")
    if impact is not None:
        summary.add_row("hours saved", f"{impact.hours_saved:.1f}")
        summary.add_row("tickets avoided", str(impact.tickets_avoided))
        summary.add_row("employees helped", str(impact.employees_helped))
    s = m.sustainability
    trend = s.status if s.relative_slope is None else f"{s.status} ({s.relative_slope:+.1%}/week)"
    summary.add_row("sustainability", f"{trend}, {s.weeks_of_data} weeks of data")
    console.print(summary)
    departments = Table("department", "headcount", "active", "depth", "diversity", "trend")
    for d in m.departments:
        departments.add_row(
            d.code,
            str(d.headcount),
            _num(d.active) if not d.reason else d.reason,
            _pct(d.depth),
            "-" if d.diversity is None else str(d.diversity),
            d.sustainability.status,
        )
    console.print(departments)
    table = Table("workflow", "status", "runs", "people", "unhelpful", "hours saved")
    for w in m.workflows:
        table.add_row(
            w.workflow_id,
            w.status or "-",
            _num(w.runs),
            _num(w.people),
            _pct(w.unhelpful_share),
            "-" if w.minutes_saved is None else f"{w.minutes_saved / 60:.1f}",
        )
    console.print(table)


def metrics(
    department: Annotated[
        str | None, typer.Option("--department", help="One department's metrics (its code).")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day (YYYY-MM-DD); default 27 days before --to."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day (YYYY-MM-DD); default today.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Adoption metrics for a period (default: the last 28 days): breadth, depth, diversity,
    impact, sustainability, per department and per workflow."""
    try:
        period: Period = period_from(_day(start, "--from"), _day(end, "--to"))
    except ValueError as exc:
        raise fail(str(exc)) from None
    settings = ready_settings()
    _caught_up(settings, quiet=as_json)
    with read_session(settings) as session:
        try:
            result = organisation_metrics(session, settings, period=period, department=department)
        except UnknownDepartment as exc:
            raise fail(str(exc)) from None
    if as_json:
        print_json(result.as_dict())
    else:
        _print(result)


def rollup(
    full: Annotated[
        bool, typer.Option("--rebuild", help="Forget the rollups and apply every event again.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Bring the usage rollups up to date with the events (resumes where it stopped)."""
    settings = ready_settings()
    report = rebuild(settings) if full else _caught_up(settings, quiet=as_json)
    if as_json:
        print_json(report.as_dict())
    else:
        console.print(
            f"{report.events} events applied in {report.batches} batches "
            f"({report.seconds:.1f} s); cursor at event {report.last_event_id}"
        )
