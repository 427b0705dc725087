"""Workflow administration: list every definition (drafts and broken files included), upload,
edit and publish the organisation's own files. Prebuilt workflows are read-only here.

Every file is validated by the loader before it is written, and written whole (a temporary
file renamed into place), so the library never reads a half-written or invalid upload.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from essor.db import write_session
from essor.governance.access import can_manage_collections
from essor.governance.audit import record
from essor.settings import Settings
from essor.web import i18n_workflows
from essor.web.audit_denied import audit_denied
from essor.web.identity import reader_of, require_identity, settings_of
from essor.web.pages import render
from essor.workflows.loader import MAX_FILE_BYTES, DefinitionError, Problem, load_text
from essor.workflows.registry import Registry, load_registry, organisation_dir
from essor.workflows.schema import STATUSES, WorkflowDefinition

router = APIRouter(prefix="/admin/workflows", include_in_schema=False)
i18n_workflows.merge()

_SAFE_NAME = re.compile(r"[^\w.\-]+")
# A top-level (unindented) status key; block scalars are indented, so they cannot match.
_STATUS_LINE = re.compile(r"^status:[ \t]*[^\n#]*", re.MULTILINE)


def _allowed(request: Request) -> None:
    require_identity(request)
    if not can_manage_collections(reader_of(request)):
        audit_denied(request, "admin.page", "path", request.url.path)
        raise HTTPException(403, "you do not manage workflows")


def is_organisation(definition: WorkflowDefinition, settings: Settings) -> bool:
    return Path(definition.source).parent == organisation_dir(settings)


def _organisation_file(registry: Registry, settings: Settings, workflow_id: str) -> Path:
    definition = registry.get(workflow_id)
    if definition is None or not is_organisation(definition, settings):
        raise HTTPException(404, f"no organisation workflow {workflow_id}")
    return Path(definition.source)


def _display_name(raw: str | None) -> str:
    name = _SAFE_NAME.sub("_", Path(raw or "").name).strip("._")
    return name[:100] or "upload.yaml"


def validate(
    text: str, source: str, settings: Settings, *, replacing: Path | None = None
) -> WorkflowDefinition:
    """The definition in ``text``, or DefinitionError; also refuses an id already taken by a
    prebuilt workflow or by another organisation file than the one being replaced."""
    definition = load_text(text, source=source)
    taken = load_registry(settings).get(definition.id)
    target = organisation_dir(settings) / f"{definition.id}.yaml"
    if taken is not None and Path(taken.source) not in {target, replacing}:
        where = "a prebuilt workflow" if not is_organisation(taken, settings) else taken.source
        raise DefinitionError(
            source, [Problem(1, f"id {definition.id!r} is already used by {where}")]
        )
    return definition


def write_definition(settings: Settings, workflow_id: str, text: str) -> Path:
    folder = organisation_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{workflow_id}.yaml"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _audit(request: Request, action: str, workflow_id: str, **detail: str) -> None:
    with write_session(settings_of(request)) as session:
        record(
            session,
            reader_of(request),
            action,
            object_type="workflow",
            object_id=workflow_id,
            detail=detail,
        )


def _listing(
    request: Request, *, problems: list[str] | None = None, status_code: int = 200
) -> Response:
    settings = settings_of(request)
    registry = load_registry(settings)
    rows = [(d, is_organisation(d, settings)) for d in registry.all()]
    context = {
        "rows": rows,
        "broken": [line for error in registry.errors for line in error.lines],
        "problems": problems or [],
        "statuses": STATUSES,
        "max_kb": MAX_FILE_BYTES // 1024,
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, "admin_workflows.html", context, status_code=status_code)


@router.get("")
def workflows_admin(request: Request) -> Response:
    _allowed(request)
    return _listing(request)


@router.post("/upload")
def workflows_upload(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    _allowed(request)
    settings = settings_of(request)
    name = _display_name(file.filename)
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise HTTPException(413, f"{name}: over the {MAX_FILE_BYTES // 1024} KB limit")
    try:
        text = data.decode("utf-8")
        definition = validate(text, name, settings)
    except UnicodeDecodeError:
        return _listing(request, problems=[f"{name}:1: not UTF-8 text"], status_code=422)
    except DefinitionError as exc:
        return _listing(request, problems=exc.lines, status_code=422)
    path = write_definition(settings, definition.id, text)
    _audit(request, "workflow.upload", definition.id, file=name, path=str(path))
    return RedirectResponse(f"/admin/workflows?saved={definition.id}", status_code=303)


@router.get("/{workflow_id}/edit")
def workflow_edit_page(request: Request, workflow_id: str) -> Response:
    _allowed(request)
    settings = settings_of(request)
    path = _organisation_file(load_registry(settings), settings, workflow_id)
    text = path.read_text(encoding="utf-8")
    return render(
        request, "admin_workflow_edit.html", {"wf_id": workflow_id, "text": text, "problems": []}
    )


@router.post("/{workflow_id}/edit")
def workflow_edit(
    request: Request,
    workflow_id: str,
    text: Annotated[str, Form(max_length=MAX_FILE_BYTES)],
) -> Response:
    _allowed(request)
    settings = settings_of(request)
    path = _organisation_file(load_registry(settings), settings, workflow_id)
    text = text.replace("\r\n", "\n")  # browsers send textarea lines with CRLF
    try:
        definition = validate(text, path.name, settings, replacing=path)
        if definition.id != workflow_id:
            raise DefinitionError(
                path.name,
                [Problem(1, "the id cannot change here: upload the file as a new workflow")],
            )
    except DefinitionError as exc:
        context = {"wf_id": workflow_id, "text": text, "problems": exc.lines}
        return render(request, "admin_workflow_edit.html", context, status_code=422)
    write_definition(settings, workflow_id, text)
    if path.name != f"{workflow_id}.yaml":
        path.unlink(missing_ok=True)  # saved under its canonical name; the old one would clash
    _audit(request, "workflow.edit", workflow_id, version=str(definition.version))
    return RedirectResponse(f"/admin/workflows?saved={workflow_id}", status_code=303)


@router.post("/{workflow_id}/status")
def workflow_status(
    request: Request, workflow_id: str, status: Annotated[str, Form(max_length=20)]
) -> Response:
    _allowed(request)
    settings = settings_of(request)
    path = _organisation_file(load_registry(settings), settings, workflow_id)
    if status not in STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(STATUSES)}")
    text = path.read_text(encoding="utf-8")
    # Rewriting the one line keeps the author's comments and layout, which a YAML dump loses.
    changed, count = _STATUS_LINE.subn(f"status: {status}", text, count=1)
    try:
        before = load_text(text, source=path.name).status
        if count != 1 or load_text(changed, source=path.name).status != status:
            raise DefinitionError(path.name, [Problem(1, "no top-level status line to change")])
    except DefinitionError as exc:
        raise HTTPException(422, str(exc)) from None
    write_definition(settings, workflow_id, changed)
    if path.name != f"{workflow_id}.yaml":
        path.unlink(missing_ok=True)
    _audit(request, "workflow.status", workflow_id, before=before, after=status)
    return RedirectResponse(f"/admin/workflows?saved={workflow_id}", status_code=303)
