"""``essor collection ...`` and ``essor role ...``: who may read and do what."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from essor.cli.common import console, fail, ready_settings
from essor.db import write_session
from essor.governance.access import SYSTEM
from essor.governance.actions import (
    GovernanceError,
    create_collection,
    grant_role,
    revoke_role,
    set_collection_access,
)
from essor.governance.models import ROLES
from essor.knowledge.models import Collection

collection_app = typer.Typer(help="Create collections and set who may read them.")
role_app = typer.Typer(help="Grant and revoke roles.")

DepartmentsOpt = Annotated[
    str | None,
    typer.Option(help="Comma-separated department codes that may read the collection."),
]
PeopleOpt = Annotated[
    str | None, typer.Option(help="Comma-separated emails of the people who may read it.")
]


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@collection_app.command("create")
def create(
    name: str,
    departments: DepartmentsOpt = None,
    people: PeopleOpt = None,
    description: Annotated[str, typer.Option(help="What the collection holds.")] = "",
) -> None:
    """Create a collection: visible to everyone, or only to listed departments or people."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            collection = create_collection(
                session,
                name,
                actor=SYSTEM,
                description=description,
                departments=_split(departments),
                people=_split(people),
            )
            visibility = collection.visibility
    except GovernanceError as exc:
        raise fail(str(exc)) from exc
    console.print(f"Collection [bold]{name}[/bold] created, visible to: {visibility}")


@collection_app.command("access")
def access(name: str, departments: DepartmentsOpt = None, people: PeopleOpt = None) -> None:
    """Replace who may read a collection (no option: the whole organisation)."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            collection = session.execute(
                select(Collection).where(Collection.name == name)
            ).scalar_one_or_none()
            if collection is None:
                raise GovernanceError(f"unknown collection: {name}")
            set_collection_access(
                session,
                collection,
                actor=SYSTEM,
                departments=_split(departments),
                people=_split(people),
            )
            visibility = collection.visibility
    except GovernanceError as exc:
        raise fail(str(exc)) from exc
    console.print(f"Collection [bold]{name}[/bold] is now visible to: {visibility}")


RoleArg = Annotated[str, typer.Argument(help=f"One of: {', '.join(ROLES[1:])}.")]
DepartmentOpt = Annotated[
    str | None, typer.Option(help="Department code (champion, department_admin).")
]


@role_app.command("grant")
def grant(email: str, role: RoleArg, department: DepartmentOpt = None) -> None:
    """Grant a role to a person of the directory."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            grant_role(session, email, role, actor=SYSTEM, department=department)
    except GovernanceError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{email}: {role}" + (f" ({department})" if department else ""))


@role_app.command("revoke")
def revoke(email: str, role: RoleArg, department: DepartmentOpt = None) -> None:
    """Revoke a role."""
    settings = ready_settings()
    try:
        with write_session(settings) as session:
            removed = revoke_role(session, email, role, actor=SYSTEM, department=department)
    except GovernanceError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{email}: {role} revoked" if removed else f"{email} did not have {role}")
