"""``essor ingest``, ``essor search``, ``essor ask`` and ``essor collections``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from essor.analytics.asking import ask_and_record
from essor.assistant.messages import mode_line
from essor.cli.common import (
    console,
    fail,
    print_json,
    progress_bar,
    reader_for,
    ready_settings,
)
from essor.db import read_session
from essor.governance.access import SYSTEM, readable_collection_ids
from essor.knowledge.actions import IngestInputError, IngestSummary, ingest_path
from essor.knowledge.index import get_backend
from essor.knowledge.queries import collection_stats
from essor.knowledge.search import UnknownCollectionError, search

AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act as this person: only what they may read is used."),
]
CollectionOpt = Annotated[
    list[str] | None,
    typer.Option("--collection", "-c", help="Restrict to this collection (repeatable)."),
]


def ingest(
    path: Annotated[Path, typer.Argument(help="A file, a folder (recursive) or a JSONL export.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Target collection.")],
    prune: Annotated[
        bool, typer.Option(help="Remove documents whose files (or JSONL records) are gone.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest documents; unchanged ones are skipped, changed ones replaced atomically."""
    settings = ready_settings()
    with progress_bar() as bar:
        task = bar.add_task("Ingesting", total=None, item="")

        def on_total(n: int) -> None:
            bar.update(task, total=n)

        def on_progress(advance: int, item: str) -> None:
            bar.update(task, advance=advance, item=item[-60:])

        def on_embed_total(n: int) -> None:
            bar.update(task, description="Embedding", total=n, completed=0, item="")

        try:
            summary = ingest_path(
                path,
                collection,
                prune=prune,
                settings=settings,
                progress=on_progress,
                total=on_total,
                embed_progress=on_progress,
                embed_total=on_embed_total,
            )
        except (IngestInputError, ValueError) as exc:
            raise fail(str(exc)) from exc
        bar.update(task, description="Indexing", item="")
        with read_session(settings) as session:
            get_backend(settings).refresh(session)
    if as_json:
        print_json(summary.as_dict())
    else:
        _print_summary(summary)
    if summary.errors:
        raise typer.Exit(1)


def _print_summary(summary: IngestSummary) -> None:
    data = summary.as_dict()
    counts = data["counts"]
    assert isinstance(counts, dict)
    console.print(
        f"[bold]{escape(summary.collection)}[/bold]: "
        + ", ".join(f"{n} {status}" for status, n in counts.items())
        + f"; {data['chunks']} chunks written"
        + (f", {summary.embedded} embedded for dense search" if summary.embedded else "")
    )
    if summary.errors:
        table = Table("file", "error", title="Problems", title_justify="left")
        for o in summary.errors:
            table.add_row(escape(o.source), escape(o.reason or ""))
        console.print(table)


def search_cmd(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    collection: CollectionOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many passages.")] = 10,
    as_person: AsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Ranked passages for a query, with document, section, link, offsets and score."""
    settings = ready_settings()
    with read_session(settings) as session:
        reader = reader_for(session, as_person)
        try:
            results = search(session, query, reader=reader, collections=collection, limit=limit)
        except UnknownCollectionError as exc:
            raise fail(str(exc)) from exc
    if as_json:
        print_json({"query": query, "results": [p.as_dict() for p in results]})
        return
    if not results:
        console.print("No passage matches.")
        return
    for rank, p in enumerate(results, 1):
        where = f" › {p.section}" if p.section else ""
        console.print(
            f"[bold]{rank}. {escape(p.title)}[/bold]{escape(where)}  "
            f"[dim]{escape(p.collection)} · {escape(p.document_ref)} · "
            f"{p.start}-{p.end} · score {p.score:.3f}[/dim]"
        )
        if p.url:
            console.print(f"   {escape(p.url)}", style="blue")
        console.print("   " + escape(_snippet(p.text)))


def _snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def ask_cmd(
    question: Annotated[str, typer.Argument(help="The question, in French or English.")],
    collection: CollectionOpt = None,
    as_person: AsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """A grounded answer quoting the sources with [n] markers, or an honest abstention."""
    settings = ready_settings()
    if not question.strip():
        raise fail("the question is empty")
    with read_session(settings) as session:
        reader = reader_for(session, as_person)
    try:
        answer, event_id = ask_and_record(settings, question, reader=reader, collections=collection)
    except UnknownCollectionError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print_json(answer.as_dict() | {"event_id": event_id})
        return
    console.print(escape(answer.text), highlight=False)
    if answer.abstained:
        return
    console.print(f"\n[dim]{escape(mode_line(answer.mode, answer.model, answer.language))}[/dim]")
    if answer.fallback_reason:
        console.print(f"[dim]{escape(answer.fallback_reason)}[/dim]")
    console.print("\n[bold]Sources[/bold]")
    for s in answer.sources:
        where = f" › {s.section}" if s.section else ""
        console.print(f"[{s.n}] [bold]{escape(s.title)}[/bold]{escape(where)}", highlight=False)
        if s.url:
            console.print(f"    {escape(s.url)}", style="blue")
        console.print(f"    {escape(s.document_ref)} ({s.start}-{s.end})", style="dim")
        console.print("    “" + escape(" ".join(s.quote.split())) + "”", highlight=False)


def collections_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The collections, with their document and chunk counts."""
    settings = ready_settings()
    with read_session(settings) as session:
        stats = collection_stats(session, readable_collection_ids(session, SYSTEM))
    if as_json:
        print_json({"collections": stats})
        return
    table = Table("collection", "documents", "chunks")
    for s in stats:
        table.add_row(escape(str(s["name"])), str(s["documents"]), str(s["chunks"]))
    console.print(table)
