"""``essor rollout ...``: the departments' stages, waves and readiness from the terminal."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from essor.cli.common import console, fail, print_json, ready_settings
from essor.db import read_session, write_session
from essor.governance.access import SYSTEM
from essor.people.queries import find_department
from essor.reports.pdf import PdfError
from essor.reports.playbook import build_playbook, render_markdown, render_pdf
from essor.rollout.actions import RolloutError, advance_stage, create_wave, set_wave
from essor.rollout.cohorts import CohortError, cohort, cohort_comparison, default_period, enrol_many
from essor.rollout.journal import entries
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


# -- pilot cohorts, journal and playbook ---------------------------------------------------
cohort_app = typer.Typer(help="A department's pilot cohort: who, with which attitude, results.")
app.add_typer(cohort_app, name="cohort")


@cohort_app.command("show")
def cohort_show(
    code: Annotated[str, typer.Argument(help="Department code.")],
    start: Annotated[str | None, typer.Option(help="Period's first day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Period's last day, YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Members by attitude, the sceptic flag and the results by attitude (default period:
    the last 28 days)."""
    settings = ready_settings()
    first, last = default_period(_day(end))
    first = _day(start) or first
    if last < first:
        raise fail("the period ends before it starts")
    with read_session(settings) as session:
        department = find_department(session, code)
        if department is None:
            raise fail(f"unknown department: {code}")
        state = cohort(session, department, settings)
        comparison = cohort_comparison(
            session, department.id, period_start=first, period_end=last, settings=settings
        )
    if as_json:
        print_json({"cohort": state.as_dict(), "comparison": comparison.as_dict()})
        return
    share = f"{state.sceptic_share:.0%}" if state.sceptic_share is not None else "-"
    flag = "  [red]FLAGGED: too few sceptics[/red]" if state.flagged else ""
    console.print(f"{department.code}: {state.size} members, sceptics {share}{flag}")
    table = Table("group", "members", "active", "depth", "4-week retention")
    for g in (*comparison.groups, comparison.total):
        depth = f"{g.depth:.0%}" if g.depth is not None else f"hidden ({g.reason})"
        retention = (
            f"{g.retention:.0%} ({g.retained}/{g.eligible})"
            if g.retention is not None
            else f"- ({g.retention_reason})"
        )
        active = str(g.active) if g.active is not None else "-"
        table.add_row(g.attitude, str(g.members), active, depth, retention)
    console.print(table)


@cohort_app.command("enrol")
def cohort_enrol(
    code: Annotated[str, typer.Argument(help="Department code.")],
    file: Annotated[
        typer.FileText,
        typer.Argument(help="One person a line: email[, attitude]; '-' reads standard input."),
    ],
    attitude: Annotated[
        str | None, typer.Option(help="Attitude for the lines that give none.")
    ] = None,
) -> None:
    """Enrol people in a department's pilot cohort; bad lines are listed, the others enrolled
    (exit code 1 when any line failed)."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            result = enrol_many(session, code, file.read(), actor=SYSTEM, default_attitude=attitude)
            department = find_department(session, code)
            assert department is not None  # enrol_many checked it
            state = cohort(session, department, settings)
    except CohortError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{len(result.enrolled)} enrolled in {code}")
    for e in result.errors:
        console.print(
            f"[red]line {e.line}[/red] ({escape(e.text)}): {escape(e.reason)}", highlight=False
        )
    if state.flagged:
        console.print(
            f"[red]flagged:[/red] {state.counts['sceptic']} sceptics of {state.size} members, "
            f"below {state.min_sceptic_share:.0%}"
        )
    if result.errors:
        raise typer.Exit(1)


@app.command("journal")
def journal_list(
    code: Annotated[str, typer.Argument(help="Department code.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """A department's pilot journal, oldest entry first."""
    settings = ready_settings()
    with read_session(settings) as session:
        department = find_department(session, code)
        if department is None:
            raise fail(f"unknown department: {code}")
        views = entries(session, department.id)
    if as_json:
        print_json({"department": department.code, "entries": [v.as_dict() for v in views]})
        return
    for v in views:
        state = (" (resolved)" if v.resolved else " (open)") if v.category == "problem" else ""
        console.print(
            f"#{v.id} {v.created_at:%Y-%m-%d} [bold]{v.category}[/bold]{state}: "
            # Journal text is people's words: brackets in it are not console markup.
            f"{escape(v.title)} — {escape(v.author_name or v.author_email)}",
            highlight=False,
        )


@app.command("playbook")
def playbook_export(
    code: Annotated[str, typer.Argument(help="Department code.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.md or .pdf).")],
    lang: Annotated[str, typer.Option(help="Language: en or fr.")] = "en",
) -> None:
    """Write a department's playbook as Markdown or PDF (chosen by the file's extension)."""
    if lang not in ("en", "fr"):
        raise fail("--lang must be en or fr")
    if output.suffix not in (".md", ".pdf"):
        raise fail("the output file must end in .md or .pdf")
    settings = ready_settings()
    with read_session(settings) as session:
        department = find_department(session, code)
        if department is None:
            raise fail(f"unknown department: {code}")
        playbook = build_playbook(session, department, settings, language=lang)
    try:
        if output.suffix == ".md":
            output.write_text(render_markdown(playbook), encoding="utf-8")
        else:
            output.write_bytes(render_pdf(playbook))
    except PdfError as exc:
        raise fail(str(exc)) from exc
    console.print(f"Playbook of {department.code} written to {output}")
