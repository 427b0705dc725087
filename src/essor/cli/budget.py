"""``essor budget``: cost lines by budget and the projection to full headcount, as the
``/budget`` page shows them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from essor.analytics.rollups import catch_up
from essor.budget.projection import Scenario
from essor.budget.queries import (
    DEFAULT_HOURLY_VALUE,
    DEFAULT_SEAT_PRICE,
    budget_report,
    default_period,
)
from essor.cli.common import console, fail, print_json, ready_settings
from essor.db import read_session


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{name}: not a date (YYYY-MM-DD): {value}") from exc


def _money(value: float | None, currency: str) -> str:
    return "-" if value is None else f"{value:,.2f} {currency}"


def budget_cmd(
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    seat_price: Annotated[
        float, typer.Option(min=0, help="Per-seat price per person per month.")
    ] = DEFAULT_SEAT_PRICE,
    hourly_value: Annotated[
        float, typer.Option(min=0, help="What an hour of an employee's time costs.")
    ] = DEFAULT_HOURLY_VALUE,
    target_depth: Annotated[
        float | None,
        typer.Option(min=0, max=1, help="Adoption at full scale (0-1); default: measured."),
    ] = None,
    amortisation_months: Annotated[
        int, typer.Option(min=1, max=120, help="Months one-off costs are spread over.")
    ] = 12,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Cost lines by budget, usage measured in the pilot departments (default: the last 28
    days) and its projection to everyone, per seat and usage-based, with break-even."""
    first, last = _day(start, "--from"), _day(end, "--to")
    if (first is None) != (last is None):
        raise fail("give both --from and --to, or neither")
    if first is None or last is None:
        first, last = default_period()
    if last < first:
        raise fail("--to is before --from")
    settings = ready_settings()
    catch_up(settings)  # the measured usage reads the rollups
    with read_session(settings) as session:
        report = budget_report(
            session,
            settings,
            start=first,
            end=last,
            seat_price=seat_price,
            hourly_value=hourly_value,
            target_depth=target_depth,
            amortisation_months=amortisation_months,
        )
    if as_json:
        print_json(report.as_dict())
        return
    cur = report.currency
    lines = Table("budget", "owner", "category", "label", "cost", "per month")
    for group in report.groups:
        for line in group.lines:
            if line.category == "llm_usage":
                cost = (
                    f"{line.price_input_per_million} in / {line.price_output_per_million} out "
                    "per million tokens"
                )
            elif line.category == "support_hours":
                cost = f"{line.hours_per_week} h/week × {line.hourly_rate}"
            else:
                cost = f"{line.amount:,.2f} ({line.period})"
            monthly = line.cost().monthly(amortisation_months)
            lines.add_row(
                group.name, group.owner or "-", line.category, line.label, cost, f"{monthly:,.2f}"
            )
    console.print(lines)
    console.print(f"Pilot departments: {', '.join(report.measured.departments) or 'none'}")
    projection = report.projection
    if projection is None:
        console.print(
            f"Measured usage withheld: fewer than {report.min_group_size} people "
            "(privacy minimum) in the pilot departments' headcount or among their active people."
        )
        return
    m = projection.inputs.measured
    console.print(
        f"{m.start} to {m.end}: {m.active_people} active of {m.headcount} "
        f"({(m.depth or 0):.1%}), {m.value_events} value events, {m.prompt_tokens} tokens in, "
        f"{m.completion_tokens} tokens out, {m.minutes_saved:,.0f} minutes saved"
    )
    table = Table("per month", "pilot, per seat", "pilot, usage", "full, per seat", "full, usage")
    scenarios: list[Scenario] = [
        projection.pilot_per_seat,
        projection.pilot_usage,
        projection.per_seat,
        projection.usage,
    ]
    table.add_row("active people", *(f"{s.active_people:,.0f}" for s in scenarios))
    table.add_row("hours saved", *(f"{s.hours_saved:,.0f}" for s in scenarios))
    table.add_row("total", *(_money(s.total, cur) for s in scenarios))
    table.add_row("per active person", *(_money(s.cost_per_active_person, cur) for s in scenarios))
    table.add_row("per hour saved", *(_money(s.cost_per_hour_saved, cur) for s in scenarios))
    table.add_row(
        "break-even minutes",
        *(
            "-" if s.break_even_minutes is None else f"{s.break_even_minutes:,.1f}"
            for s in scenarios
        ),
    )
    console.print(table)
    console.print(
        f"Depth at full scale: {projection.depth:.1%} ({projection.depth_source}) of "
        f"{projection.inputs.full_headcount} people"
    )
    people = projection.break_even_active_people
    verdict = {
        "usage_cheaper": "usage-based pricing costs less at any adoption up to everyone",
        "per_seat_cheaper": "per-seat pricing costs less at any adoption",
        "crosses": "usage-based pricing costs less below the break-even point",
    }[projection.break_even_verdict]
    where = "" if people is None else f" (break-even at {people:,.0f} active people)"
    console.print(f"Break-even: {verdict}{where}")
