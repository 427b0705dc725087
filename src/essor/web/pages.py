"""Server-rendered pages: ask, search, collections, documents. Handlers parse, call, render.

Asking and searching go through GET: they change no state, and a question becomes a link a
person can share or bookmark.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.templating import Jinja2Templates

from essor.analytics.asking import ask_and_record
from essor.analytics.events import MAX_MINUTES_SAVED
from essor.assistant.answer import Answer
from essor.assistant.messages import EXTRACTIVE_MODE, say
from essor.db import read_session
from essor.demo.seed import DEMO_QUESTIONS
from essor.governance.access import (
    Reader,
    can_import_people,
    can_manage_collections,
    can_manage_roles,
    can_read_audit,
    people_scope,
)
from essor.knowledge.queries import (
    DocumentInfo,
    collection_documents,
    get_collection,
    get_document,
    list_collections,
)
from essor.knowledge.search import MAX_QUERY_CHARS, Passage, UnknownCollectionError, search
from essor.web.audit_denied import audit_if_hidden
from essor.web.document_view import document_blocks, highlight_range
from essor.web.i18n import COOKIE, LANGUAGES, negotiate, supported, translate, translator
from essor.web.identity import authentication_of, reader_of, settings_of
from essor.web.identity import readable_for as _readable
from essor.web.proxy import is_https
from essor.web.tips import tips_for

router = APIRouter(include_in_schema=False)

SEARCH_LIMIT = 20
SNIPPET_CHARS = 360
COOKIE_MAX_AGE = 365 * 24 * 3600
MODE_MESSAGES = {"extractive": EXTRACTIVE_MODE}


def page_language(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("accept-language"),
    )


def language_links(request: Request, current: str) -> list[dict[str, str]]:
    """Links to this same page in each other language (the choice is then remembered)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [
        {
            "code": code,
            "name": translate(code, "lang.self"),
            "href": f"{request.url.path}?{urlencode([*params, ('lang', code)])}",
        }
        for code in LANGUAGES
        if code != current
    ]


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    lang = page_language(request)
    templates: Jinja2Templates = request.app.state.templates
    full = {
        "lang": lang,
        "t": translator(lang),
        "path": request.url.path,
        "language_links": language_links(request, lang),
        # The header shows who is signed in and a sign-out form, which needs the CSRF token.
        "me": reader_of(request).identity,
        "may_administer": may_administer(reader_of(request)),
        "csrf_token": authentication_of(request).csrf_token or "",
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    chosen = supported(request.query_params.get("lang"))
    if chosen:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_MAX_AGE,
            samesite="lax",
            httponly=True,
            secure=is_https(request, settings_of(request)),
        )
    return response


def may_administer(reader: Reader) -> bool:
    """Whether the header links to the administration pages (each page checks again)."""
    identity = reader.identity
    return identity is not None and (
        people_scope(identity) is not False
        or can_manage_collections(reader)
        or can_import_people(identity)
        or can_manage_roles(identity)
        or can_read_audit(identity)
    )


def error_page(request: Request, status_code: int, message: str | None) -> Response:
    lang = page_language(request)
    if status_code == 404 and not message:
        message = translate(lang, "error.not_found")
    return render(
        request, "error.html", {"status": status_code, "message": message}, status_code=status_code
    )


def passage_href(document_id: int, start: int, end: int) -> str:
    return f"/documents/{document_id}?{urlencode({'start': start, 'end': end})}#passage"


def section_label(section: str, title: str) -> str:
    """A section path for display, without the document title it usually starts with."""
    parts = [p for p in section.split(" > ") if p]
    if parts and parts[0] == title:
        parts = parts[1:]
    return " › ".join(parts)


def mode_message(mode: str, lang: str, *, model: str | None = None, fallback: bool = False) -> str:
    """Always say how an answer was made: extractive, or generated and by which model."""
    if mode == "generated":
        return translate(lang, "mode.generated", model=model or "?")
    if mode == "extractive" and fallback:
        return translate(lang, "mode.fallback")
    table = MODE_MESSAGES.get(mode)
    return say(table, lang) if table else translate(lang, "mode.other", mode=mode)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + " …"


def too_long(lang: str) -> str:
    return translate(lang, "error.too_long", n=f"{MAX_QUERY_CHARS:,}".replace(",", "\u202f"))


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@router.get("/")
def ask_page(request: Request, q: str | None = None) -> Response:
    lang = page_language(request)
    question = (q or "").strip()
    answer: Answer | None = None
    event_id: int | None = None
    error: str | None = None
    if len(question) > MAX_QUERY_CHARS:
        error = too_long(lang)
    elif question:
        settings = settings_of(request)
        # Recording the usage event is a log of this read (like an access log): it changes
        # nothing a person sees, so asking stays a shareable GET link.
        answer, event_id = ask_and_record(settings, question, reader=reader_of(request))
    context = {
        "question": question,
        "answer": answer,
        "event_id": event_id,
        "max_minutes": MAX_MINUTES_SAVED,
        "error": error,
        "mode_message": (
            mode_message(
                answer.mode,
                lang,
                model=answer.model,
                fallback=answer.fallback_reason is not None,
            )
            if answer
            else ""
        ),
        "suggestions": DEMO_QUESTIONS.get(lang, []),
        "tips": tips_for(request, "ask"),
    }
    return render(request, "ask.html", context, status_code=422 if error else 200)


@router.get("/search")
def search_page(request: Request, q: str | None = None, collection: str | None = None) -> Response:
    lang = page_language(request)
    query = (q or "").strip()
    chosen = (collection or "").strip() or None
    settings = settings_of(request)
    results: list[Passage] | None = None
    error: str | None = None
    with read_session(settings) as session:
        collections = list_collections(session, _readable(session, request))
        if len(query) > MAX_QUERY_CHARS:
            error = too_long(lang)
        elif query:
            try:
                results = search(
                    session,
                    query,
                    reader=reader_of(request),
                    collections=[chosen] if chosen else None,
                    limit=SEARCH_LIMIT,
                    settings=settings,
                )
            except UnknownCollectionError:
                raise HTTPException(
                    404, translate(lang, "error.unknown_collection", name=chosen)
                ) from None
    context = {
        "query": query,
        "chosen": chosen,
        "collections": collections,
        "results": results,
        "snippet": snippet,
        "error": error,
        "tips": tips_for(request, "search"),
    }
    return render(request, "search.html", context, status_code=422 if error else 200)


@router.get("/collections")
def collections_page(request: Request) -> Response:
    with read_session(settings_of(request)) as session:
        collections = list_collections(session, _readable(session, request))
    return render(request, "collections.html", {"collections": collections})


@router.get("/collections/{name}")
def collection_page(request: Request, name: str) -> Response:
    lang = page_language(request)
    with read_session(settings_of(request)) as session:
        collection = get_collection(session, name, _readable(session, request))
        if collection is None:
            raise HTTPException(404, translate(lang, "error.unknown_collection", name=name))
        documents = collection_documents(session, name)
    return render(request, "collection.html", {"collection": collection, "documents": documents})


@router.get("/documents/{document_id}")
def document_page(
    request: Request, document_id: int, start: str | None = None, end: str | None = None
) -> Response:
    lang = page_language(request)
    with read_session(settings_of(request)) as session:
        doc = get_document(session, document_id, _readable(session, request))
    if doc is None:
        audit_if_hidden(request, document_id)
        raise HTTPException(404, translate(lang, "error.no_document", id=document_id))
    mark = highlight_range(_int_or_none(start), _int_or_none(end), len(doc.text))
    blocks = document_blocks(doc, mark)
    contents = [(b.anchor, b.headings[-1].text) for b in blocks if b.headings]
    context = {"doc": doc, "blocks": blocks, "contents": contents, "marked": mark is not None}
    return render(request, "document.html", context)


def download_response(doc: DocumentInfo) -> Response:
    """The document's current text as a file; the caller already checked access."""
    stem = re.sub(r"[^\w.\-]+", "_", doc.external_id.rsplit("/", 1)[-1]).strip("._") or "document"
    name = stem if stem.endswith(".txt") else f"{stem}.txt"
    return Response(
        content=doc.text,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/documents/{document_id}/download")
def document_download(request: Request, document_id: int) -> Response:
    lang = page_language(request)
    with read_session(settings_of(request)) as session:
        doc = get_document(session, document_id, _readable(session, request))
    if doc is None:
        audit_if_hidden(request, document_id)
        raise HTTPException(404, translate(lang, "error.no_document", id=document_id))
    return download_response(doc)
