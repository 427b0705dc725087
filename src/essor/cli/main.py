"""Entry point of the ``essor`` command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from essor import __version__
from essor.cli import (
    admin,
    budget,
    champions,
    embed,
    evaluate,
    governance,
    knowledge,
    metrics,
    people,
    purge,
    rollout,
    serve,
    simulate,
    workflow,
)
from essor.settings import reset_settings_cache

app = typer.Typer(
    help="Essor: grounded answers over your organisation's documents, and a rollout cockpit.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"essor {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where Essor keeps its data (overrides ESSOR_DATA_DIR).", show_default=False
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    if data_dir is not None:
        os.environ["ESSOR_DATA_DIR"] = str(data_dir)
    reset_settings_cache()


app.command("ingest")(knowledge.ingest)
app.command("search")(knowledge.search_cmd)
app.command("ask")(knowledge.ask_cmd)
app.command("collections")(knowledge.collections_cmd)
app.command("embed")(embed.embed)
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)
app.command("budget")(budget.budget_cmd)
app.command("purge")(purge.purge_cmd)
app.command("metrics")(metrics.metrics)
app.command("rollup")(metrics.rollup)
app.command("simulate")(simulate.simulate)
app.add_typer(evaluate.app, name="eval")
app.add_typer(governance.collection_app, name="collection")
app.add_typer(governance.role_app, name="role")
app.add_typer(people.app, name="people")
app.add_typer(admin.app, name="admin")
app.add_typer(workflow.app, name="workflow")
app.add_typer(rollout.app, name="rollout")
app.add_typer(champions.app, name="champions")
