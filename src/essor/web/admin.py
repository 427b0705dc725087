"""Administration pages: people, departments, collections (upload, access, ingest errors),
roles and the audit log. Each route checks its permission through governance.access."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essor.db import read_session, write_session
from essor.governance.access import (
    Identity,
    can_import_people,
    can_manage_collections,
    can_manage_roles,
    can_read_audit,
    people_scope,
)
from essor.governance.actions import (
    GovernanceError,
    NotAllowed,
    create_collection,
    grant_role,
    revoke_role,
    set_collection_access,
)
from essor.governance.audit import recent
from essor.governance.models import ROLES, CollectionDepartment, CollectionPerson, RoleGrant
from essor.knowledge.actions import IngestSummary, ingest_path
from essor.knowledge.models import Collection
from essor.knowledge.queries import ingest_runs, list_collections
from essor.people.auth.actions import AuthError, disable_account, enable_account
from essor.people.auth.models import Account
from essor.people.importer import ImportInputError, import_people
from essor.people.models import Department, Person
from essor.settings import Settings
from essor.web.audit_denied import audit_denied
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import render

router = APIRouter(prefix="/admin")
PAGE = 100
_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


def _allowed(check: bool, request: Request) -> None:
    if not check:
        audit_denied(request, "admin.page", "path", request.url.path)
        raise HTTPException(403, "you do not have access to this page")


def _identity(request: Request) -> Identity:
    return require_identity(request)


@router.get("")
def admin_index(request: Request) -> Response:
    me = _identity(request)
    links = {
        "people": people_scope(me) is not False,
        "departments": can_import_people(me),
        "collections": can_manage_collections(reader_of(request)),
        "workflows": can_manage_collections(reader_of(request)),
        "users": can_manage_roles(me),
        "roles": can_manage_roles(me),
        "audit": can_read_audit(me),
    }
    _allowed(any(links.values()), request)
    return render(request, "admin_index.html", {"links": links})


# -- people and departments -----------------------------------------------------------------
@router.get("/people")
def people_page(request: Request, department: str | None = None, page: int = 0) -> Response:
    me = _identity(request)
    scope = people_scope(me)
    _allowed(scope is not False, request)
    with read_session(settings_of(request)) as session:
        query = select(Person, Department.code).outerjoin(
            Department, Department.id == Person.department_id
        )
        if scope is not True:
            query = query.where(Person.department_id == scope)
        elif department:
            query = query.where(Department.code == department)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(
            query.order_by(Person.name).limit(PAGE).offset(max(page, 0) * PAGE)
        ).all()
        departments = session.scalars(select(Department).order_by(Department.code)).all()
    return render(
        request,
        "admin_people.html",
        {
            "rows": rows,
            "total": total,
            "page": max(page, 0),
            "pages": (total + PAGE - 1) // PAGE,
            "departments": departments,
            "department": department,
            "can_import": can_import_people(me),
            "summary": None,
        },
    )


@router.post("/people/import")
def people_import(
    request: Request,
    file: Annotated[UploadFile, File()],
    full_export: Annotated[bool, Form()] = False,
) -> Response:
    me = _identity(request)
    _allowed(can_import_people(me), request)
    settings = settings_of(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.csv"
        save_upload(file, path, settings)
        try:
            summary = import_people(path, settings=settings, full_export=full_export)
            error = None
        except ImportInputError as exc:
            summary, error = None, str(exc)
    return render(
        request,
        "admin_import.html",
        {"summary": summary, "error": error},
        status_code=422 if error else 200,
    )


@router.get("/departments")
def departments_page(request: Request) -> Response:
    _allowed(can_import_people(_identity(request)), request)
    with read_session(settings_of(request)) as session:
        rows = session.execute(
            select(Department, func.count(Person.id))
            .outerjoin(Person, Person.department_id == Department.id)
            .group_by(Department.id)
            .order_by(Department.code)
        ).all()
    return render(request, "admin_departments.html", {"rows": rows})


# -- collections ----------------------------------------------------------------------------
@router.get("/collections")
def collections_page(request: Request) -> Response:
    _allowed(can_manage_collections(reader_of(request)), request)
    with read_session(settings_of(request)) as session:
        collections = list_collections(session, frozenset(session.scalars(select(Collection.id))))
        visibility = dict(session.execute(select(Collection.name, Collection.visibility)).all())
        departments = session.scalars(select(Department).order_by(Department.code)).all()
    return render(
        request,
        "admin_collections.html",
        {"collections": collections, "visibility": visibility, "departments": departments},
    )


def _emails(text: str) -> list[str]:
    return [e for e in re.split(r"[\s,;]+", text) if e]


@router.post("/collections")
def collections_create(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=2000)] = "",
    visibility: Annotated[str, Form()] = "organisation",
    departments: Annotated[list[str] | None, Form()] = None,
    people: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    reader = reader_of(request)
    _allowed(can_manage_collections(reader), request)
    chosen_departments = (departments or []) if visibility == "departments" else []
    chosen_people = _emails(people) if visibility == "people" else []
    try:
        with write_session(settings_of(request)) as session:
            create_collection(
                session,
                name,
                actor=reader,
                description=description,
                departments=chosen_departments,
                people=chosen_people,
            )
    except GovernanceError as exc:
        raise HTTPException(422, str(exc)) from None
    return RedirectResponse(f"/admin/collections/{name.strip()}", status_code=303)


@router.get("/collections/{name}")
def collection_admin_page(request: Request, name: str) -> Response:
    _allowed(can_manage_collections(reader_of(request)), request)
    with read_session(settings_of(request)) as session:
        collection = _collection(session, name)
        chosen_departments = set(
            session.scalars(
                select(Department.code)
                .join(CollectionDepartment, CollectionDepartment.department_id == Department.id)
                .where(CollectionDepartment.collection_id == collection.id)
            )
        )
        chosen_people = session.scalars(
            select(Person.email)
            .join(CollectionPerson, CollectionPerson.person_id == Person.id)
            .where(CollectionPerson.collection_id == collection.id)
        ).all()
        departments = session.scalars(select(Department).order_by(Department.code)).all()
        runs = ingest_runs(session, name)
        context = {
            "collection": collection,
            "departments": departments,
            "chosen_departments": chosen_departments,
            "chosen_people": "\n".join(chosen_people),
            "runs": runs,
            "max_mb": settings_of(request).max_upload_bytes // (1024 * 1024),
        }
    return render(request, "admin_collection.html", context)


def _collection(session: Session, name: str) -> Collection:
    found = session.execute(select(Collection).where(Collection.name == name)).scalar_one_or_none()
    if found is None:
        raise HTTPException(404, f"unknown collection: {name}")
    return found


@router.post("/collections/{name}/access")
def collection_access(
    request: Request,
    name: str,
    visibility: Annotated[str, Form()] = "organisation",
    departments: Annotated[list[str] | None, Form()] = None,
    people: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    reader = reader_of(request)
    _allowed(can_manage_collections(reader), request)
    try:
        with write_session(settings_of(request)) as session:
            set_collection_access(
                session,
                _collection(session, name),
                actor=reader,
                departments=(departments or []) if visibility == "departments" else [],
                people=_emails(people) if visibility == "people" else [],
            )
    except GovernanceError as exc:
        raise HTTPException(422, str(exc)) from None
    except NotAllowed:
        raise HTTPException(403, "you do not manage collections") from None
    return RedirectResponse(f"/admin/collections/{name}", status_code=303)


def _clean_filename(raw: str | None) -> str:
    # Only the last path component, and only word characters, dots, dashes and spaces: an
    # upload can never write outside its collection's folder.
    name = _SAFE_NAME.sub("_", Path(raw or "").name).strip(" .")
    return name[:150] or "upload"


def save_upload(upload: UploadFile, dest: Path, settings: Settings) -> None:
    """Stream an upload to ``dest``, refusing it (413) past the size limit."""
    written = 0
    with dest.open("wb") as fh:
        while chunk := upload.file.read(1024 * 1024):
            written += len(chunk)
            if written > settings.max_upload_bytes:
                fh.close()
                dest.unlink(missing_ok=True)
                limit = settings.max_upload_bytes // (1024 * 1024)
                raise HTTPException(413, f"{upload.filename}: over the {limit} MB limit")
            fh.write(chunk)


@router.post("/collections/{name}/upload")
def collection_upload(
    request: Request, name: str, files: Annotated[list[UploadFile], File()]
) -> Response:
    reader = reader_of(request)
    me = _identity(request)
    _allowed(can_manage_collections(reader), request)
    settings = settings_of(request)
    summary, saved = upload_and_ingest(settings, name, files, actor=me.email)
    if "application/json" in request.headers.get("accept", ""):
        return Response(
            content=_json(summary.as_dict() | {"files": saved}), media_type="application/json"
        )
    return RedirectResponse(f"/admin/collections/{name}#runs", status_code=303)


def upload_and_ingest(
    settings: Settings, name: str, files: list[UploadFile], *, actor: str
) -> tuple[IngestSummary, list[str]]:
    """Store uploads in the collection's folder and ingest it; the caller checked access.

    Files stay in that folder: uploading a file with the same name again replaces that
    document's version, and unchanged files are skipped by their hash.
    """
    with read_session(settings) as session:
        collection_id = _collection(session, name).id
    folder = settings.data_dir / "uploads" / str(collection_id)
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for upload in files:
        target = folder / _clean_filename(upload.filename)
        save_upload(upload, target, settings)
        saved.append(target.name)
    return ingest_path(folder, name, settings=settings, actor=actor), saved


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


# -- roles and audit -----------------------------------------------------------------------
@router.get("/roles")
def roles_page(request: Request) -> Response:
    _allowed(can_manage_roles(_identity(request)), request)
    with read_session(settings_of(request)) as session:
        grants = session.execute(
            select(Person.email, Person.name, RoleGrant.role, Department.code)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .outerjoin(Department, Department.id == RoleGrant.department_id)
            .order_by(RoleGrant.role, Person.name)
        ).all()
        departments = session.scalars(select(Department).order_by(Department.code)).all()
    return render(
        request,
        "admin_roles.html",
        {"grants": grants, "roles": ROLES[1:], "departments": departments},
    )


@router.post("/roles")
def roles_change(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[str, Form(max_length=32)],
    action: Annotated[str, Form()] = "grant",
    department: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    reader = reader_of(request)
    _allowed(can_manage_roles(reader.identity), request)
    try:
        with write_session(settings_of(request)) as session:
            if action == "revoke":
                revoke_role(session, email, role, actor=reader, department=department or None)
            else:
                grant_role(session, email, role, actor=reader, department=department or None)
    except GovernanceError as exc:
        raise HTTPException(422, str(exc)) from None
    return RedirectResponse("/admin/roles", status_code=303)


@router.get("/users")
def users_page(request: Request) -> Response:
    _allowed(can_manage_roles(_identity(request)), request)
    with read_session(settings_of(request)) as session:
        rows = session.execute(
            select(Person.email, Person.name, Department.code, Person.status, Account.disabled)
            .join(Account, Account.person_id == Person.id)
            .outerjoin(Department, Department.id == Person.department_id)
            .order_by(Person.name)
        ).all()
    return render(request, "admin_users.html", {"rows": rows})


@router.post("/users/{email}/{change}")
def users_change(request: Request, email: str, change: str) -> Response:
    reader = reader_of(request)
    _allowed(can_manage_roles(reader.identity), request)
    if change not in ("disable", "enable"):
        raise HTTPException(404, "unknown change")
    if reader.identity is not None and email.lower() == reader.identity.email:
        raise HTTPException(422, "you cannot disable your own sign-in")
    try:
        with write_session(settings_of(request)) as session:
            if change == "disable":
                disable_account(session, email, actor=reader)
            else:
                enable_account(session, email, actor=reader)
    except AuthError as exc:
        raise HTTPException(422, str(exc)) from None
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit_page(request: Request, page: int = 0) -> Response:
    _allowed(can_read_audit(_identity(request)), request)
    with read_session(settings_of(request)) as session:
        events = recent(session, limit=PAGE, offset=max(page, 0) * PAGE)
    return render(request, "admin_audit.html", {"events": events, "page": max(page, 0)})


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/audit.csv")
def audit_export(request: Request) -> Response:
    _allowed(can_read_audit(_identity(request)), request)
    settings = settings_of(request)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["id", "at", "actor", "action", "object_type", "object_id", "outcome", "detail"]
        )
        offset = 0
        while True:
            with read_session(settings) as session:
                batch = recent(session, limit=1000, offset=offset)
                for e in batch:
                    writer.writerow(
                        [
                            _cell(v)
                            for v in (
                                e.id,
                                e.at.isoformat(),
                                e.actor_email,
                                e.action,
                                e.object_type,
                                e.object_id,
                                e.outcome,
                                e.detail,
                            )
                        ]
                    )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(batch) < 1000:
                return
            offset += 1000

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="essor-audit.csv"'},
    )
