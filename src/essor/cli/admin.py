"""``essor admin ...``: bootstrap administrators and switch accounts off and on.

Passwords are read with hidden input (asked twice) or as one line of standard input
(``--password-stdin``, for scripts); never from an argument, which would end up in shell
history and in the process list.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from essor.cli.common import console, fail, ready_settings
from essor.db import write_session
from essor.governance.access import SYSTEM
from essor.people.auth.actions import AccountError, create_admin, disable_account, enable_account
from essor.people.auth.passwords import MIN_LENGTH, WeakPassword, check_strength

app = typer.Typer(help="Create administrators; disable and enable accounts.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    password: str = typer.prompt(
        f"Password (at least {MIN_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
    )
    return password


@app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The administrator's email.")],
    name: Annotated[
        str | None, typer.Option(help="Their name, when they are not in the directory yet.")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password as one line of standard input."),
    ] = False,
) -> None:
    """Make EMAIL an administrator with a password (adding them to the directory if needed)."""
    settings = ready_settings()
    password = _read_password(password_stdin)
    try:
        check_strength(password)
        with write_session(settings) as session:
            person = create_admin(session, email, password=password, actor=SYSTEM, name=name)
            address = person.email
    except (WeakPassword, AccountError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"[bold]{address}[/bold] is an administrator and can sign in.")


@app.command("disable")
def disable(email: Annotated[str, typer.Argument(help="Whose account.")]) -> None:
    """Stop EMAIL from signing in: their sessions end now, their API tokens stop working."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            ended = disable_account(session, email, actor=SYSTEM)
    except AccountError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{email.strip().lower()} is disabled ({ended} session(s) ended).")


@app.command("enable")
def enable(email: Annotated[str, typer.Argument(help="Whose account.")]) -> None:
    """Let EMAIL sign in again (their API tokens work again unless revoked)."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            enable_account(session, email, actor=SYSTEM)
    except AccountError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{email.strip().lower()} is enabled.")
