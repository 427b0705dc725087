"""``essor people import`` and ``essor people list``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from essor.cli.common import console, fail, print_json, progress_bar, ready_settings
from essor.db import read_session
from essor.people.actions import ImportSummary, RowIssue
from essor.people.importer import ImportInputError, import_people
from essor.people.queries import count_people, find_department, list_people

app = typer.Typer(help="The people directory: import HR exports, list people.")

# Past this many rejections or warnings the human output stops listing them (--json has all).
SHOWN_ISSUES = 50


@app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="The CSV export (see docs/people.md).")],
    full_export: Annotated[
        bool,
        typer.Option(
            "--full-export",
            help="The file lists everyone: mark people missing from it as left (never deleted).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Create or update people by email from a CSV export; re-importing changes nothing."""
    settings = ready_settings()
    with progress_bar() as bar:
        task = bar.add_task("Reading", total=None, item="")

        def on_progress(phase: str, done: int, total: int | None) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        try:
            summary = import_people(
                path, settings=settings, full_export=full_export, progress=on_progress
            )
        except ImportInputError as exc:
            raise fail(str(exc)) from exc
    if as_json:
        print_json(summary.as_dict())
    else:
        _print_summary(path, summary)
    if summary.rejected:
        raise typer.Exit(1)


def _print_summary(path: Path, s: ImportSummary) -> None:
    console.print(
        f"[bold]{escape(path.name)}[/bold]: {s.rows} rows; {s.created} created, "
        f"{s.updated} updated, {s.unchanged} unchanged, {s.left} marked left, "
        f"{len(s.rejected)} rejected; {s.departments_created} departments created",
        highlight=False,
    )
    _print_issues("Rejected rows", s.rejected)
    _print_issues("Warnings", s.warnings)


def _print_issues(title: str, issues: list[RowIssue]) -> None:
    if not issues:
        return
    table = Table("line", "email", "reason", title=title, title_justify="left")
    for issue in issues[:SHOWN_ISSUES]:
        table.add_row(str(issue.line), escape(issue.email), escape(issue.reason))
    console.print(table)
    if len(issues) > SHOWN_ISSUES:
        console.print(f"… and {len(issues) - SHOWN_ISSUES} more (--json lists them all)")


@app.command("list")
def list_cmd(
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="Only this department (its code).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="How many people.")] = 100,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many people first.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """People in the directory, by name, with department, manager and status."""
    settings = ready_settings()
    with read_session(settings) as session:
        if department is not None and find_department(session, department) is None:
            raise fail(f"no department with code {department!r}")
        people = list_people(session, department, limit=limit, offset=offset)
        total = count_people(session, department)
    if as_json:
        print_json({"total": total, "people": [p.as_dict() for p in people]})
        return
    table = Table("email", "name", "department", "job title", "manager", "status")
    for p in people:
        table.add_row(
            *(escape(v or "") for v in (p.email, p.name, p.department, p.job_title)),
            escape(p.manager_email or ""),
            p.status,
        )
    console.print(table)
    console.print(f"{len(people)} of {total} people", highlight=False)
