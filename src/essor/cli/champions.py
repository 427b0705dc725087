"""``essor champions ...``: the champions roster, rollout coverage and training coverage."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from essor.cli.common import console, print_json, ready_settings
from essor.db import read_session
from essor.rollout.champions import NEAR_ROLLOUT_DAYS, coverage, roster
from essor.training.queries import department_coverage

app = typer.Typer(help="The champions network and training coverage.")

JSON = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("roster")
def roster_command(as_json: JSON = False) -> None:
    """Champions by department, since when, and their power-track progress."""
    with read_session(ready_settings()) as session:
        champions = roster(session)
    if as_json:
        print_json({"champions": [c.as_dict() for c in champions]})
        return
    table = Table("department", "name", "email", "since", "power track")
    for c in champions:
        progress = f"{c.done}/{c.total}" if c.total else "-"
        table.add_row(c.department, escape(c.name), c.email, c.since.date().isoformat(), progress)
    console.print(table)


@app.command("coverage")
def coverage_command(as_json: JSON = False) -> None:
    """Departments in or near the rollout (pilot, rolling out, or planned in a wave starting
    within 60 days) and whether they have a champion."""
    with read_session(ready_settings()) as session:
        rows = coverage(session)
    if as_json:
        print_json(
            {"near_rollout_days": NEAR_ROLLOUT_DAYS, "departments": [r.as_dict() for r in rows]}
        )
        return
    table = Table("department", "stage", "wave", "champions", "flag")
    for r in rows:
        flag = "NO CHAMPION" if r.flagged else ("ok" if r.near else "not near")
        table.add_row(r.code, r.stage, escape(r.wave or "-"), str(r.champions), flag)
    console.print(table)


@app.command("training")
def training_command(as_json: JSON = False) -> None:
    """Training coverage per department: people who completed their tier's track, and
    champions who completed the power track."""
    settings = ready_settings()
    with read_session(settings) as session:
        rows = department_coverage(session, min_group=settings.privacy_min_group_size)
    if as_json:
        print_json({"departments": [r.as_dict() for r in rows]})
        return
    table = Table("department", "people trained", "champions trained")
    for r in rows:
        if r.suppressed:
            people = f"< {r.min_group} people"
        elif r.ratio is None:
            people = "-"
        else:
            people = f"{r.trained}/{r.expected} ({r.ratio:.0%})"
        champions = (
            f"{r.champions_trained}/{r.champions} ({r.champion_ratio:.0%})"
            if r.champion_ratio is not None
            else "-"
        )
        table.add_row(r.code, people, champions)
    console.print(table)
