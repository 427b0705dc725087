"""Evidence files of the readiness checklist: attach, list, open for download, remove.

Uploading or removing a file takes the same right as editing the item (``can_manage_rollout``
for the department); downloading one takes the right to see the department's cockpit page
(``can_see_rollout``). Every change and every refusal is audited; a refusal raises
``NotAllowed``, whose denied audit row ``essor.db.write_session`` writes after the rollback;
a caller that opens a file in a ``read_session`` records a refusal itself with the exception's
``after_rollback`` in a write session (as the download route does).

The bytes are streamed to a temporary file next to their final place, checked (size, not
empty, an allowed extension, magic bytes that agree with it) and only then renamed to a
random name the server chose; the row that points at them is added in the caller's
transaction. A rolled-back upload unlinks its file, and a removal unlinks the file only once
the transaction that deleted its row has committed, so no row ever points at a missing or
half-written file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from essor.governance.access import Reader, actor_email, can_manage_rollout
from essor.governance.actions import NotAllowed
from essor.governance.audit import record
from essor.people.models import Department
from essor.people.queries import known_department
from essor.rollout.actions import RolloutError
from essor.rollout.evidence_models import FILENAME_MAX, EvidenceFile
from essor.rollout.models import ReadinessItem
from essor.rollout.queries import can_see_rollout
from essor.rollout.readiness import DEFAULT_KEYS
from essor.settings import Settings

__all__ = [
    "CONTENT_TYPES",
    "MAX_FILES_PER_ITEM",
    "EvidenceDownload",
    "EvidenceError",
    "EvidenceFile",
    "EvidenceFileView",
    "EvidenceNotFound",
    "EvidenceTooLarge",
    "attach_evidence_file",
    "clean_filename",
    "evidence_dir",
    "evidence_files",
    "open_evidence_file",
    "remove_evidence_file",
]

# The only files accepted, by extension; the stored content type comes from here, never from
# what the client claimed.
CONTENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
}
_ZIP = (b"PK\x03\x04",)
# What the first bytes of a file of each binary type must be. Text types have no signature.
MAGIC: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "docx": _ZIP,
    "xlsx": _ZIP,
    "pptx": _ZIP,
    "odt": _ZIP,
    "ods": _ZIP,
}
MAX_FILES_PER_ITEM = 20
CHUNK = 1024 * 1024
_STORED_NAME = re.compile(r"[0-9a-f]{32}")


class EvidenceError(RolloutError):
    """An evidence file refused for its content or name (empty, wrong type, too many...)."""


class EvidenceTooLarge(EvidenceError):
    """Over ``settings.evidence_max_bytes``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the file is over the {_size_text(limit)} limit for evidence files")


class EvidenceNotFound(LookupError):
    """No such evidence file (or its bytes are gone from disk)."""


@dataclass(frozen=True)
class EvidenceFileView:
    id: int
    department_id: int
    key: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, row: EvidenceFile) -> EvidenceFileView:
        return cls(
            id=row.id,
            department_id=row.department_id,
            key=row.item_key,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            uploaded_by=row.uploaded_by,
            uploaded_at=row.uploaded_at,
        )


@dataclass(frozen=True)
class EvidenceDownload:
    file: EvidenceFileView
    path: Path


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{max(1, round(size / 1024))} KB"


def evidence_dir(settings: Settings) -> Path:
    return settings.data_dir / "evidence"


def clean_filename(raw: str | None) -> str:
    """The name to show and to offer on download: the last path component only (either
    slash), no control or format characters, no leading dots, at most ``FILENAME_MAX``
    characters with the extension kept. Empty when nothing usable is left."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in name)
    name = " ".join(name.split()).lstrip(". ").rstrip(" ")
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: FILENAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:FILENAME_MAX]
    return name


def _extension(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return ext.casefold() if dot else ""


def _department(session: Session, code: str) -> Department:
    return known_department(session, code, RolloutError)


def _item_exists(session: Session, department: Department, key: str) -> bool:
    if key in DEFAULT_KEYS:
        return True
    found = session.scalar(
        select(ReadinessItem.id).where(
            ReadinessItem.department_id == department.id, ReadinessItem.key == key
        )
    )
    return found is not None


def _stored_path(settings: Settings, stored_name: str) -> Path:
    # The stored name is always ours, but a row edited by hand must still not reach outside.
    if not _STORED_NAME.fullmatch(stored_name):
        raise EvidenceNotFound(f"evidence file has a malformed stored name: {stored_name!r}")
    return evidence_dir(settings) / stored_name


def _receive(stream: BinaryIO, folder: Path, ext: str, limit: int) -> tuple[Path, int, str]:
    """Stream into a temporary file in ``folder``, checking the size as it grows and the
    first bytes against the extension; the temporary file is gone on any refusal."""
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".upload-{secrets.token_hex(8)}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with temp.open("xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise EvidenceTooLarge(limit)
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise EvidenceError("the file is empty")
        signatures = MAGIC.get(ext)
        if signatures and not head.startswith(signatures):
            raise EvidenceError(f"the file's content is not that of a .{ext} file")
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, size, digest.hexdigest()


def attach_evidence_file(
    session: Session,
    settings: Settings,
    code: str,
    key: str,
    *,
    filename: str | None,
    stream: BinaryIO,
    actor: Reader,
) -> EvidenceFile:
    """Store ``stream`` as an evidence file of item ``key`` of department ``code``."""
    department = _department(session, code)
    object_id = f"{department.code}/{key}"
    if not can_manage_rollout(actor, department.id):
        raise NotAllowed(
            "you may not change this department's rollout",
            actor=actor,
            action="rollout.evidence.attach",
            object_type="department",
            object_id=object_id,
            detail={"filename": clean_filename(filename)},
        )
    if not _item_exists(session, department, key):
        raise EvidenceError(f"unknown checklist item: {key}")
    name = clean_filename(filename)
    if not name:
        raise EvidenceError("the file needs a name")
    ext = _extension(name)
    if ext not in CONTENT_TYPES:
        allowed = ", ".join(f".{e}" for e in CONTENT_TYPES)
        raise EvidenceError(f"{name}: files of this type are not accepted (only {allowed})")
    count = session.scalar(
        select(func.count(EvidenceFile.id)).where(
            EvidenceFile.department_id == department.id, EvidenceFile.item_key == key
        )
    )
    if (count or 0) >= MAX_FILES_PER_ITEM:
        raise EvidenceError(f"an item holds at most {MAX_FILES_PER_ITEM} files")

    folder = evidence_dir(settings)
    temp, size, sha256 = _receive(stream, folder, ext, settings.evidence_max_bytes)
    stored_name = secrets.token_hex(16)
    final = folder / stored_name
    os.replace(temp, final)
    _unlink_unless_committed(session, final)
    row = EvidenceFile(
        department_id=department.id,
        item_key=key,
        filename=name,
        content_type=CONTENT_TYPES[ext],
        size=size,
        sha256=sha256,
        stored_name=stored_name,
        uploaded_by=actor_email(actor),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "rollout.evidence.attach",
        object_type="department",
        object_id=object_id,
        detail={"file": row.id, "filename": name, "size": size, "sha256": sha256},
    )
    return row


def _evidence_file(session: Session, file_id: int) -> EvidenceFile:
    row = session.get(EvidenceFile, file_id)
    if row is None:
        raise EvidenceNotFound(f"no evidence file {file_id}")
    return row


def remove_evidence_file(
    session: Session, settings: Settings, file_id: int, *, actor: Reader
) -> EvidenceFileView:
    """Delete an evidence file's row now and its bytes once the transaction commits."""
    row = _evidence_file(session, file_id)
    department = session.get(Department, row.department_id)
    code = department.code if department else str(row.department_id)
    object_id = f"{code}/{row.item_key}"
    if not can_manage_rollout(actor, row.department_id):
        raise NotAllowed(
            "you may not change this department's rollout",
            actor=actor,
            action="rollout.evidence.remove",
            object_type="department",
            object_id=object_id,
            detail={"file": file_id},
        )
    view = EvidenceFileView.of(row)
    path = _stored_path(settings, row.stored_name)
    session.delete(row)
    session.flush()
    record(
        session,
        actor,
        "rollout.evidence.remove",
        object_type="department",
        object_id=object_id,
        detail={"file": file_id, "filename": view.filename, "sha256": view.sha256},
    )
    event.listen(session, "after_commit", lambda _s: path.unlink(missing_ok=True), once=True)
    return view


def _unlink_unless_committed(session: Session, path: Path) -> None:
    """Delete ``path`` if the session rolls back before it commits (the row never existed)."""
    state = {"committed": False}

    def committed(_session: Session) -> None:
        state["committed"] = True

    def rolled_back(_session: Session, _transaction: SessionTransaction) -> None:
        if not state["committed"]:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_soft_rollback", rolled_back, once=True)


def evidence_files(session: Session, department_id: int) -> dict[str, list[EvidenceFileView]]:
    """The department's evidence files by item key, oldest first within an item."""
    rows = session.scalars(
        select(EvidenceFile)
        .where(EvidenceFile.department_id == department_id)
        .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
    )
    out: dict[str, list[EvidenceFileView]] = {}
    for row in rows:
        out.setdefault(row.item_key, []).append(EvidenceFileView.of(row))
    return out


def open_evidence_file(
    session: Session, settings: Settings, file_id: int, *, reader: Reader
) -> EvidenceDownload:
    """The file and where its bytes are, for whoever may see the department's cockpit page."""
    row = _evidence_file(session, file_id)
    if not can_see_rollout(reader, row.department_id):
        raise NotAllowed(
            "you may not see this department's rollout",
            actor=reader,
            action="rollout.evidence.read",
            object_type="evidence_file",
            object_id=str(file_id),
            detail={"department_id": row.department_id, "item": row.item_key},
        )
    path = _stored_path(settings, row.stored_name)
    if not path.is_file():
        raise EvidenceNotFound(f"evidence file {file_id} is missing from disk")
    return EvidenceDownload(EvidenceFileView.of(row), path)
