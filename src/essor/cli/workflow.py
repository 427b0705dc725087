"""``essor workflow list|validate|run``: the workflow library from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from essor.analytics.asking import run_and_record
from essor.assistant.messages import mode_line
from essor.cli.common import console, err_console, fail, print_json, reader_for, ready_settings
from essor.db import read_session
from essor.workflows.loader import DefinitionError, load_file
from essor.workflows.registry import load_registry
from essor.workflows.runner import InputError, WorkflowResult
from essor.workflows.schema import LANGUAGES

app = typer.Typer(help="Prebuilt and organisation workflows.", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act as this person: their workflows, what they may read."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


def _report_broken(errors: list[DefinitionError]) -> None:
    # A broken organisation file is left out of the library; say so rather than hide it.
    for error in errors:
        for line in error.lines:
            err_console.print(f"[yellow]skipped:[/yellow] {escape(line)}", highlight=False)


@app.command("list")
def list_cmd(as_person: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The workflows this person (or the operator) may use."""
    settings = ready_settings()
    registry = load_registry(settings)
    with read_session(settings) as session:
        reader = reader_for(session, as_person)
        visible = registry.visible_to(session, reader)
    if as_json:
        print_json(
            {
                "workflows": [d.as_dict() for d in visible],
                "errors": [line for e in registry.errors for line in e.lines],
            }
        )
        return
    _report_broken(registry.errors)
    table = Table()
    # Ids are what `essor workflow run` takes: never wrapped, so they can be copied.
    table.add_column("id", no_wrap=True)
    for header in ("department", "status", "minutes saved", "title"):
        table.add_column(header)
    for d in visible:
        table.add_row(
            escape(d.id), escape(d.department), d.status, str(d.minutes_saved), escape(d.title.en)
        )
    console.print(table)


@app.command("validate")
def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help="Workflow definition files (YAML).")],
    as_json: JsonOpt = False,
) -> None:
    """Check definition files; print file:line: reason for each problem (exit 1 if any)."""
    results: list[dict[str, object]] = []
    for path in files:
        try:
            definition = load_file(path)
        except DefinitionError as exc:
            results.append({"file": str(path), "valid": False, "errors": exc.lines})
        else:
            results.append({"file": str(path), "valid": True, "id": definition.id, "errors": []})
    invalid = [r for r in results if not r["valid"]]
    if as_json:
        print_json({"files": results, "valid": not invalid})
    else:
        for r in results:
            if r["valid"]:
                console.print(f"ok: {escape(str(r['file']))} ({escape(str(r['id']))})")
            else:
                errors = r["errors"]
                assert isinstance(errors, list)
                for line in errors:
                    console.print(escape(str(line)), highlight=False, soft_wrap=True)
    if invalid:
        raise typer.Exit(1)


def _parse_inputs(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise fail(f"--input takes name=value, not {pair!r}")
        values[name.strip()] = value
    return values


@app.command("run")
def run_cmd(
    workflow_id: Annotated[str, typer.Argument(metavar="ID", help="The workflow's id.")],
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="An input as name=value (repeatable)."),
    ] = None,
    as_person: AsOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the result: fr or en.")] = "en",
    as_json: JsonOpt = False,
) -> None:
    """Run a workflow: each section quotes the sources with [n] markers."""
    if lang not in LANGUAGES:
        raise fail(f"--lang must be one of {', '.join(LANGUAGES)}")
    values = _parse_inputs(inputs or [])
    settings = ready_settings()
    registry = load_registry(settings)
    with read_session(settings) as session:
        reader = reader_for(session, as_person)
        # A workflow the person may not see is reported exactly like one that does not exist.
        visible = {d.id: d for d in registry.visible_to(session, reader)}
    definition = visible.get(workflow_id)
    if definition is None:
        raise fail(f"unknown workflow: {workflow_id!r}")
    try:
        result, event_id = run_and_record(
            settings, definition, values, reader=reader, language=lang
        )
    except InputError as exc:
        raise fail("; ".join(exc.problems)) from exc
    if as_json:
        print_json(result.as_dict() | {"event_id": event_id})
        return
    _print_result(result, definition.title.get(lang))


def _print_result(result: WorkflowResult, title: str) -> None:
    console.print(f"[bold]{escape(title)}[/bold]")
    for section in result.sections:
        console.print(f"\n[bold]{escape(section.title)}[/bold]")
        if section.message:
            console.print(escape(section.message), highlight=False)
        for i, s in enumerate(section.sentences, start=1):
            marks = "".join(f"[{n}]" for n in s.citations)
            if section.format == "quiz" and s.question:
                console.print(f"{i}. {escape(s.question)}", highlight=False)
                console.print(f"   {escape(s.text)} {escape(marks)}", highlight=False)
            elif section.format == "steps":
                console.print(f"{i}. {escape(s.text)} {escape(marks)}", highlight=False)
            else:
                console.print(f"- {escape(s.text)} {escape(marks)}", highlight=False)
    if result.abstained:
        return
    console.print(f"\n[dim]{escape(mode_line(result.mode, result.model, result.language))}[/dim]")
    console.print("\n[bold]Sources[/bold]")
    for src in result.sources:
        where = f" › {src.section}" if src.section else ""
        console.print(
            f"{escape(f'[{src.n}]')} [bold]{escape(src.title)}[/bold]{escape(where)}",
            highlight=False,
        )
        if src.url:
            console.print(f"    {escape(src.url)}", style="blue")
        console.print(f"    {escape(src.document_ref)} ({src.start}-{src.end})", style="dim")
