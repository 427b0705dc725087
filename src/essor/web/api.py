"""The JSON API under ``/api/`` and the health check. Errors are ``{"detail": str}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import text
from starlette.exceptions import HTTPException

from essor.analytics.asking import ask_and_record
from essor.db import read_session
from essor.knowledge.queries import (
    collection_documents,
    get_collection,
    get_document,
    list_collections,
)
from essor.knowledge.search import MAX_QUERY_CHARS, UnknownCollectionError, search
from essor.web.audit_denied import audit_if_hidden
from essor.web.identity import readable_for as _readable
from essor.web.identity import reader_of, settings_of
from essor.web.pages import download_response

router = APIRouter()

MAX_SEARCH_LIMIT = 100


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_QUERY_CHARS, description="the question, in fr or en")
    collections: list[str] | None = Field(
        None, description="collections to search; all of them when null"
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value


def _unknown_collection(exc: UnknownCollectionError) -> HTTPException:
    return HTTPException(404, str(exc))


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    try:
        with read_session(settings_of(request)) as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # the health check reports the failure instead of raising it
        return JSONResponse({"status": "error", "detail": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.post("/api/ask")
def api_ask(request: Request, body: AskRequest) -> dict[str, Any]:
    settings = settings_of(request)
    try:
        answer, event_id = ask_and_record(
            settings, body.question, reader=reader_of(request), collections=body.collections
        )
    except UnknownCollectionError as exc:
        raise _unknown_collection(exc) from None
    # event_id: what feedback on this answer refers to (POST /api/feedback).
    return answer.as_dict() | {"event_id": event_id}


@router.get("/api/search")
def api_search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    collection: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT)] = 10,
) -> dict[str, Any]:
    if not q.strip():
        raise HTTPException(422, "q: must not be empty")
    names = [c for c in (collection or []) if c.strip()] or None
    settings = settings_of(request)
    with read_session(settings) as session:
        try:
            passages = search(
                session,
                q,
                reader=reader_of(request),
                collections=names,
                limit=limit,
                settings=settings,
            )
        except UnknownCollectionError as exc:
            raise _unknown_collection(exc) from None
    return {"query": q, "results": [p.as_dict() for p in passages]}


@router.get("/api/collections")
def api_collections(request: Request) -> dict[str, Any]:
    with read_session(settings_of(request)) as session:
        return {
            "collections": [
                c.as_dict() for c in list_collections(session, _readable(session, request))
            ]
        }


@router.get("/api/collections/{name}")
def api_collection(request: Request, name: str) -> dict[str, Any]:
    with read_session(settings_of(request)) as session:
        info = get_collection(session, name, _readable(session, request))
        if info is None:
            raise HTTPException(404, f"unknown collection: {name}")
        documents = collection_documents(session, name)
    return {
        **info.as_dict(),
        "items": [
            {
                "id": d.id,
                "external_id": d.external_id,
                "title": d.title,
                "language": d.language,
                "format": d.format,
                "updated_at": d.updated_at.isoformat(),
            }
            for d in documents
        ],
    }


@router.get("/api/documents/{document_id}")
def api_document(request: Request, document_id: int) -> dict[str, Any]:
    with read_session(settings_of(request)) as session:
        doc = get_document(session, document_id, _readable(session, request))
    if doc is None:
        audit_if_hidden(request, document_id)
        raise HTTPException(404, f"no document with id {document_id}")
    return doc.as_dict()


@router.get("/api/documents/{document_id}/download")
def api_document_download(request: Request, document_id: int) -> Response:
    with read_session(settings_of(request)) as session:
        doc = get_document(session, document_id, _readable(session, request))
    if doc is None:
        audit_if_hidden(request, document_id)
        raise HTTPException(404, f"no document with id {document_id}")
    return download_response(doc)
