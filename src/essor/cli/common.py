"""Helpers shared by the CLI commands: settings, database readiness, output."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.orm import Session

from essor.governance.access import SYSTEM, Reader, identity_for
from essor.migrate import upgrade
from essor.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def ready_settings() -> Settings:
    """Settings with the database migrated to the newest schema."""
    settings = get_settings()
    upgrade(settings)
    return settings


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def progress_bar(transient: bool = False) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[item]}", style="dim"),
        console=err_console,
        transient=transient,
    )


def reader_for(session: Session, email: str | None) -> Reader:
    """The operator (no ``--as``) or the named person, who must be in the directory."""
    if email is None:
        return SYSTEM
    identity = identity_for(session, email)
    if identity is None:
        raise fail(f"no employed person with the email {email.strip().lower()!r}")
    return Reader(identity=identity)
