"""``essor embed``: compute the dense vectors that ``ESSOR_DENSE=true`` searches with.

A step of its own, not part of ingest: embedding costs far more than parsing and indexing
(tens of sentences per second on two cores), and only new or changed text needs it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from essor.cli.common import console, err_console, fail, print_json, progress_bar, ready_settings
from essor.knowledge.embeddings import DenseUnavailableError, embed_pending
from essor.knowledge.embeddings.enabled import dense_enabled


def embed(
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Embed every chunk whose text has no vector yet; unchanged text is never re-embedded."""
    settings = ready_settings()
    if not dense_enabled(settings):
        err_console.print(
            "[yellow]note:[/yellow] ESSOR_DENSE is off: search ignores these vectors until it is on"
        )
    with progress_bar(transient=as_json) as bar:
        task = bar.add_task("Embedding", total=None, item="")
        try:
            summary = embed_pending(
                settings,
                lambda advance, item: bar.update(task, advance=advance, item=item[:40]),
                total=lambda n: bar.update(task, total=n),
            )
        except DenseUnavailableError as exc:
            raise fail(str(exc)) from exc
    data = {
        "embedded": summary.embedded,
        "reused": summary.reused,
        "skipped_other_languages": summary.skipped,
        "seconds": round(summary.seconds, 2),
        "sentences_per_second": round(summary.per_second, 1),
    }
    if as_json:
        print_json(data)
        return
    console.print(
        f"{summary.embedded} embedded, {summary.reused} reused"
        + (f", {summary.skipped} chunks in other languages skipped" if summary.skipped else "")
        + (f"; {summary.per_second:.1f} sentences/s" if summary.embedded else "")
    )
