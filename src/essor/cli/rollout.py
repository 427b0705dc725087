"""``essor rollout ...``: the departments' stages, waves and readiness from the terminal."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from essor.cli.common import console, fail, print_json, ready_settings
from essor.db import read_session, write_session
from essor.governance.access import SYSTEM
from essor.rollout.actions import RolloutError, advance_stage, create_wave, set_wave
from essor.rollout.queries import overview

app = typer.Typer(help="The rollout: departments' stages, waves and readiness.")
wave_app = typer.Typer(help="Create waves and put departments in them.")
app.add_typer(wave_app, name="wave")


@app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every department's stage, wave and readiness (items done / items)."""
    settings = ready_settings()
    with read_session(settings) as session:
        rows = overview(session, settings, reader=SYSTEM)
    if as_json:
        print_json({"departments": [r.as_dict() for r in rows]})
        return
    table = Table("department", "stage", "wave", "headcount", "readiness", "champions", "gaps")
    for r in rows:
        ratio = f" ({r.readiness:.0%})" if r.readiness is not None else ""
        table.add_row(
            r.code,
            r.stage,
            r.wave or "-",
            str(r.headcount),
            f"{r.done}/{r.total}{ratio}",
            str(r.champions),
            ", ".join(r.support_gaps) or "-",
        )
    console.print(table)


@app.command("advance")
def advance(
    code: Annotated[str, typer.Argument(help="Department code.")],
    reason: Annotated[
        str | None, typer.Option(help="Why, required while checklist items are open.")
    ] = None,
) -> None:
    """Move a department to its next stage."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            change = advance_stage(session, code, actor=SYSTEM, reason=reason, settings=settings)
            moved = (change.from_stage, change.to_stage)
    except RolloutError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{code}: {moved[0]} → [bold]{moved[1]}[/bold]")


@wave_app.command("create")
def wave_create(
    name: str,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    goals: Annotated[str, typer.Option(help="What the wave should achieve.")] = "",
) -> None:
    """Create a wave of departments rolled out together."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            create_wave(session, name, actor=SYSTEM, goals=goals, start=_day(start), end=_day(end))
    except RolloutError as exc:
        raise fail(str(exc)) from exc
    console.print(f"Wave [bold]{name}[/bold] created")


@wave_app.command("assign")
def wave_assign(code: str, wave: str) -> None:
    """Put a department in a wave."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            set_wave(session, code, wave, actor=SYSTEM)
    except RolloutError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{code} is in wave [bold]{wave}[/bold]")


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"not a date (YYYY-MM-DD): {value}") from exc
