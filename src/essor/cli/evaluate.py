"""``essor eval retrieval``: metrics of a question set over a corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from essor.cli.common import console, fail, print_json, progress_bar
from essor.evaluation.retrieval import EvalInputError, evaluate, settings_for, write_run
from essor.settings import get_settings

app = typer.Typer(
    help="Evaluate retrieval quality on labelled question sets.", no_args_is_help=True
)


@app.command("retrieval")
def retrieval(
    corpus: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="corpus.jsonl")],
    questions: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="questions JSONL")],
    db: Annotated[
        Path | None,
        typer.Option(help="SQLite file to ingest into, reused when already ingested."),
    ] = None,
    run: Annotated[
        Path | None, typer.Option(help="Write the rankings as TSV (question_id, level, ...).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Ingest CORPUS (once), run every question, print doc- and passage-level metrics."""
    settings = settings_for(db, get_settings())
    with progress_bar(transient=as_json) as bar:
        ingest_task = bar.add_task("Ingesting corpus", total=None, item="")
        embed_task = bar.add_task("Embedding", total=None, item="", visible=False)
        question_task = bar.add_task("Questions", total=None, item="", visible=False)
        try:
            result = evaluate(
                corpus,
                questions,
                settings,
                ingest_total=lambda n: bar.update(ingest_task, total=n),
                ingest_progress=lambda a, item: bar.update(ingest_task, advance=a),
                embed_total=lambda n: bar.update(embed_task, total=n, visible=True),
                embed_progress=lambda a, item: bar.update(embed_task, advance=a),
                progress=lambda a, item: bar.update(
                    question_task, advance=a, item=item, visible=True
                ),
            )
        except EvalInputError as exc:
            raise fail(str(exc)) from exc
    if run is not None:
        write_run(run, result.runs)
    if as_json:
        print_json(result.metrics)
        return
    for level, values in result.metrics.items():
        console.print(f"[bold]{level}[/bold]: " + ", ".join(f"{k}={v}" for k, v in values.items()))
