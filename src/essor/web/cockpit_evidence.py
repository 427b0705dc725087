"""Evidence files of the readiness checklist over HTTP: upload through the item's form,
download, remove.

The routes stay thin: ``rollout.evidence`` checks who may do what and audits changes and
refusals. Downloads are sent as attachments under the stored content type with
``nosniff`` and a sandboxing content security policy, so an uploaded file can never run as
a page of this site.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from essor.db import read_session, write_session
from essor.governance.access import Reader
from essor.governance.actions import NotAllowed
from essor.people.models import Department
from essor.rollout.actions import RolloutError
from essor.rollout.evidence import (
    EvidenceNotFound,
    EvidenceTooLarge,
    attach_evidence_file,
    open_evidence_file,
    remove_evidence_file,
)
from essor.web import cockpit_pages
from essor.web.i18n import translate
from essor.web.identity import settings_of
from essor.web.pages import page_language

router = APIRouter(include_in_schema=False)

# Room for the CSRF token, the multipart framing and the part headers around the file.
FORM_SLACK = 64 * 1024
FIELD = "file"


def _back(code: str, key: str) -> RedirectResponse:
    url = f"/cockpit/departments/{quote(code, safe='')}?saved=file-{quote(key, safe='')}"
    return RedirectResponse(f"{url}#item-{quote(key, safe='')}", status_code=303)


def _refused(request: Request, code: str, key: str, message: str, status: int) -> Response:
    return cockpit_pages.department_page(
        request, code, error=message, error_form=f"file-{key}", status_code=status
    )


def _too_large_message(request: Request) -> str:
    limit = settings_of(request).evidence_max_bytes
    mb = max(1, round(limit / (1024 * 1024)))
    return translate(page_language(request), "cockpit.files.too_large", mb=mb)


def _attach(request: Request, reader: Reader, code: str, key: str, upload: UploadFile) -> Response:
    department = cockpit_pages.department_or_404(request, code)
    settings = settings_of(request)
    try:
        with write_session(settings) as session:
            attach_evidence_file(
                session,
                settings,
                department.code,
                key,
                filename=upload.filename,
                stream=upload.file,
                actor=reader,
            )
    except NotAllowed:
        raise HTTPException(403, "you may not change this part of the rollout") from None
    except EvidenceTooLarge:
        return _refused(request, department.code, key, _too_large_message(request), 413)
    except RolloutError as exc:
        return _refused(request, department.code, key, str(exc), 422)
    return _back(department.code, key)


async def _drain(request: Request, cap: int) -> None:
    """Read and drop the body so the refusal reaches the browser rather than a reset
    connection; past ``cap`` bytes stop reading (the connection then closes)."""
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > cap:
            break


@router.post("/cockpit/departments/{code}/items/{key}/files")
async def evidence_upload(request: Request, code: str, key: str) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    settings = settings_of(request)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.evidence_max_bytes + FORM_SLACK:
        # Refused from its declared length, before anything is written to disk.
        await _drain(request, settings.max_upload_bytes + FORM_SLACK)
        message = _too_large_message(request)
        return await run_in_threadpool(_refused, request, code, key, message, 413)
    form = await request.form(max_files=1, max_fields=4)
    try:
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile) or not upload.filename:
            message = translate(page_language(request), "cockpit.files.missing")
            return await run_in_threadpool(_refused, request, code, key, message, 422)
        return await run_in_threadpool(_attach, request, reader, code, key, upload)
    finally:
        await form.close()


def _content_disposition(filename: str) -> str:
    # The ASCII name is for old clients; filename* carries the real one, percent-encoded, so
    # no quote or line break in a name can end the header early.
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/cockpit/files/{file_id}")
def evidence_download(request: Request, file_id: int) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    settings = settings_of(request)
    try:
        with read_session(settings) as session:
            found = open_evidence_file(session, settings, file_id, reader=reader)
    except NotAllowed as refusal:
        with write_session(settings) as session:
            refusal.after_rollback(session)  # the denied access goes to the audit log
        raise HTTPException(403, "you may not see this part of the rollout") from None
    except EvidenceNotFound:
        raise HTTPException(404, f"no evidence file {file_id}") from None
    return FileResponse(
        found.path,
        media_type=found.file.content_type,
        headers={
            "Content-Disposition": _content_disposition(found.file.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/cockpit/files/{file_id}/delete")
def evidence_remove(request: Request, file_id: int) -> Response:
    reader = cockpit_pages.cockpit_reader(request)
    settings = settings_of(request)
    try:
        with write_session(settings) as session:
            removed = remove_evidence_file(session, settings, file_id, actor=reader)
            department = session.get(Department, removed.department_id)
            code = department.code if department else ""
    except NotAllowed:
        raise HTTPException(403, "you may not change this part of the rollout") from None
    except EvidenceNotFound:
        raise HTTPException(404, f"no evidence file {file_id}") from None
    return _back(code, removed.key)
