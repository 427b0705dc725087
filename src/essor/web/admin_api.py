"""JSON twins of the administration pages: people import, collections, uploads.

Bearer tokens work here (``/api/*``), acting with their owner's current rights.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from essor.db import write_session
from essor.governance.access import can_import_people, can_manage_collections
from essor.governance.actions import (
    GovernanceError,
    NotAllowed,
    create_collection,
    set_collection_access,
)
from essor.knowledge.models import Collection
from essor.people.importer import ImportInputError, import_people
from essor.web.admin import save_upload, upload_and_ingest
from essor.web.audit_denied import audit_denied
from essor.web.identity import reader_of, require_identity, settings_of

router = APIRouter(prefix="/api", tags=["administration"])


class AccessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departments: list[str] = Field(default_factory=list, max_length=500)
    people: list[str] = Field(default_factory=list, max_length=5000)


class CollectionRequest(AccessRequest):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


def _forbidden(request: Request) -> HTTPException:
    audit_denied(request, "admin.api", "path", request.url.path)
    return HTTPException(403, "you do not have the right to do this")


@router.post("/people/import")
def api_people_import(
    request: Request,
    file: Annotated[UploadFile, File()],
    full_export: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Upsert the people directory from an HR CSV export (administrators)."""
    if not can_import_people(require_identity(request)):
        raise _forbidden(request)
    settings = settings_of(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.csv"
        save_upload(file, path, settings)
        try:
            summary = import_people(path, settings=settings, full_export=full_export)
        except ImportInputError as exc:
            raise HTTPException(422, str(exc)) from None
    return summary.as_dict()


@router.post("/collections", status_code=201)
def api_collection_create(request: Request, body: CollectionRequest) -> dict[str, Any]:
    reader = reader_of(request)
    if not can_manage_collections(reader):
        raise _forbidden(request)
    try:
        with write_session(settings_of(request)) as session:
            collection = create_collection(
                session,
                body.name,
                actor=reader,
                description=body.description,
                departments=body.departments,
                people=body.people,
            )
            visibility = collection.visibility
    except GovernanceError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"name": body.name.strip(), "visibility": visibility}


@router.put("/collections/{name}/access")
def api_collection_access(request: Request, name: str, body: AccessRequest) -> dict[str, Any]:
    reader = reader_of(request)
    if not can_manage_collections(reader):
        raise _forbidden(request)
    try:
        with write_session(settings_of(request)) as session:
            collection = session.execute(
                select(Collection).where(Collection.name == name)
            ).scalar_one_or_none()
            if collection is None:
                raise HTTPException(404, f"unknown collection: {name}")
            set_collection_access(
                session,
                collection,
                actor=reader,
                departments=body.departments,
                people=body.people,
            )
            visibility = collection.visibility
    except GovernanceError as exc:
        raise HTTPException(422, str(exc)) from None
    except NotAllowed:
        raise _forbidden(request) from None
    return {"name": name, "visibility": visibility}


@router.post("/collections/{name}/documents")
def api_collection_upload(
    request: Request, name: str, files: Annotated[list[UploadFile], File()]
) -> dict[str, Any]:
    """Upload files into a collection and ingest them; returns the ingest summary."""
    if not can_manage_collections(reader_of(request)):
        raise _forbidden(request)
    me = require_identity(request)
    summary, saved = upload_and_ingest(settings_of(request), name, files, actor=me.email)
    return summary.as_dict() | {"files": saved}
