"""``essor simulate``: a labelled, simulated organisation and its usage history."""

from __future__ import annotations

from typing import Annotated

import typer

from essor.analytics.simulate import simulate_organisation
from essor.cli.common import console, fail, print_json, progress_bar, ready_settings


def simulate(
    people: Annotated[int, typer.Option("--people", min=1, help="People in the organisation.")],
    days: Annotated[int, typer.Option("--days", min=1, help="Days of usage history.")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same organisation.")] = 1,
    intensity: Annotated[
        float,
        typer.Option("--intensity", min=0.1, help="Scales the events of an active day."),
    ] = 1.0,
    activity: Annotated[
        float,
        typer.Option("--activity", min=0.1, help="Scales each person's chance of an active day."),
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fill the database with a simulated organisation (departments SIM-…, people
    @example.invalid) and its usage events (mode "simulated") up to today."""
    settings = ready_settings()
    with progress_bar(transient=True) as bar:
        task = bar.add_task("Simulating usage", total=days, item="")

        def on_progress(day: int, events: int) -> None:
            bar.update(task, completed=day, item=f"{events:,} events")

        try:
            summary = simulate_organisation(
                settings,
                people=people,
                days=days,
                seed=seed,
                intensity=intensity,
                activity=activity,
                progress=on_progress,
            )
        except ValueError as exc:
            raise fail(str(exc)) from None
    if as_json:
        print_json(summary.as_dict())
        return
    u = summary.usage
    console.print(
        f"Simulated {summary.departments} departments, {summary.people} people employed today, "
        f"{u.events:,} events ({u.questions:,} questions, {u.runs:,} runs, {u.feedback:,} "
        f"feedback) from {u.first_day} to {u.last_day} in {u.seconds:.0f} s. "
        "Run `essor rollup` or `essor metrics` next."
    )
