"""Readiness evidence files: attach, list, open, remove; the size limit, empty files, unknown
extensions, content that contradicts its extension, a path-traversal name; who may upload,
download and remove (refusals audited as denied); the bytes on disk follow the rows; the
migration matches the model."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.db import get_engine, read_session, write_session
from essor.governance.access import SYSTEM, Reader, identity_for
from essor.governance.actions import NotAllowed, grant_role
from essor.governance.models import AuditEvent
from essor.models import Base
from essor.people.models import Department, Person
from essor.reports.playbook import build_playbook, render_markdown, render_pdf
from essor.rollout.actions import add_item
from essor.rollout.evidence import (
    EvidenceError,
    EvidenceFile,
    EvidenceNotFound,
    EvidenceTooLarge,
    attach_evidence_file,
    clean_filename,
    evidence_dir,
    evidence_files,
    open_evidence_file,
    remove_evidence_file,
)
from essor.settings import Settings

DOMAIN = "evidence.example"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
ZIP = b"PK\x03\x04" + b"\x00" * 26


def email(name: str) -> str:
    return f"{name}@{DOMAIN}"


def reader(session: Session, name: str) -> Reader:
    identity = identity_for(session, email(name))
    assert identity is not None, name
    return Reader(identity)


def setup_org(settings: Settings) -> None:
    """EVA with its department admin and a member; EVB with its admin; a programme lead and
    an executive viewer outside both."""
    with write_session(settings) as session:
        eva = Department(code="EVA", name="Department EVA")
        evb = Department(code="EVB", name="Department EVB")
        session.add_all([eva, evb])
        session.flush()
        for name, dept in [
            ("eva.admin", eva),
            ("eva.member", eva),
            ("evb.admin", evb),
            ("lead", None),
            ("viewer", None),
        ]:
            session.add(
                Person(
                    email=email(name),
                    name=name,
                    department_id=dept.id if dept else None,
                    status="active",
                )
            )
        session.flush()
        grant_role(session, email("eva.admin"), "department_admin", actor=SYSTEM, department="EVA")
        grant_role(session, email("evb.admin"), "department_admin", actor=SYSTEM, department="EVB")
        grant_role(session, email("lead"), "programme_lead", actor=SYSTEM)
        grant_role(session, email("viewer"), "executive_viewer", actor=SYSTEM)


def attach(
    settings: Settings,
    who: str,
    data: bytes,
    filename: str,
    *,
    code: str = "EVA",
    key: str = "budget_model",
) -> int:
    with write_session(settings) as session:
        row = attach_evidence_file(
            session,
            settings,
            code,
            key,
            filename=filename,
            stream=io.BytesIO(data),
            actor=reader(session, who),
        )
        return row.id


def stored_files(settings: Settings) -> list[Path]:
    folder = evidence_dir(settings)
    return sorted(folder.iterdir()) if folder.exists() else []


def audit_rows(settings: Settings, action: str) -> list[tuple[str, str, str]]:
    with read_session(settings) as session:
        rows = session.execute(
            select(AuditEvent.actor_email, AuditEvent.outcome, AuditEvent.object_id)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
    return [(a, o, i) for a, o, i in rows]


def test_attach_list_open_and_remove(settings: Settings) -> None:
    setup_org(settings)
    first = attach(settings, "eva.admin", PDF, "Budget model 2026.pdf")
    second = attach(settings, "lead", b"month,seats\n2026-01,40\n", "seats.csv")
    third = attach(settings, "eva.admin", PNG, "sponsor.png", key="executive_sponsorship")

    with read_session(settings) as session:
        department_id = session.scalar(select(Department.id).where(Department.code == "EVA"))
        assert department_id is not None
        listed = evidence_files(session, department_id)
    assert sorted(listed) == ["budget_model", "executive_sponsorship"]
    budget = listed["budget_model"]
    assert [f.id for f in budget] == [first, second]  # oldest first
    pdf = budget[0]
    assert pdf.filename == "Budget model 2026.pdf"
    assert pdf.content_type == "application/pdf"
    assert pdf.size == len(PDF)
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert pdf.uploaded_by == email("eva.admin")
    assert budget[1].content_type == "text/csv" and budget[1].uploaded_by == email("lead")
    assert listed["executive_sponsorship"][0].id == third

    # On disk: three files under random 32-hex names, none named after the upload.
    on_disk = stored_files(settings)
    assert len(on_disk) == 3
    assert all(len(p.name) == 32 and int(p.name, 16) >= 0 for p in on_disk)
    with read_session(settings) as session:
        found = open_evidence_file(session, settings, first, reader=reader(session, "viewer"))
    assert found.path.read_bytes() == PDF
    assert found.path.parent == evidence_dir(settings)

    with write_session(settings) as session:
        removed = remove_evidence_file(session, settings, first, actor=reader(session, "eva.admin"))
        assert removed.filename == "Budget model 2026.pdf"
        # Still on disk until the transaction commits.
        assert found.path.exists()
    assert not found.path.exists()
    assert len(stored_files(settings)) == 2
    with read_session(settings) as session:
        assert session.get(EvidenceFile, first) is None
        with pytest.raises(EvidenceNotFound):
            open_evidence_file(session, settings, first, reader=SYSTEM)

    assert [o for _, o, _ in audit_rows(settings, "rollout.evidence.attach")] == ["ok"] * 3
    assert audit_rows(settings, "rollout.evidence.remove") == [
        (email("eva.admin"), "ok", "EVA/budget_model")
    ]


def test_a_remove_that_rolls_back_keeps_the_file(settings: Settings) -> None:
    setup_org(settings)
    file_id = attach(settings, "eva.admin", PDF, "budget.pdf")
    path = stored_files(settings)[0]
    with pytest.raises(RuntimeError), write_session(settings) as session:
        remove_evidence_file(session, settings, file_id, actor=reader(session, "eva.admin"))
        raise RuntimeError("the transaction fails after the delete")
    assert path.read_bytes() == PDF
    with read_session(settings) as session:
        assert session.get(EvidenceFile, file_id) is not None


def test_an_attach_that_rolls_back_leaves_no_file(settings: Settings) -> None:
    setup_org(settings)
    with pytest.raises(RuntimeError), write_session(settings) as session:
        attach_evidence_file(
            session,
            settings,
            "EVA",
            "budget_model",
            filename="budget.pdf",
            stream=io.BytesIO(PDF),
            actor=reader(session, "eva.admin"),
        )
        assert len(stored_files(settings)) == 1
        raise RuntimeError("the transaction fails after the upload")
    assert stored_files(settings) == []
    with read_session(settings) as session:
        assert session.scalars(select(EvidenceFile)).all() == []


def test_size_limit_empty_files_and_types(settings: Settings) -> None:
    setup_org(settings)
    small = settings.model_copy(update={"evidence_max_bytes": 100})
    exactly = b"x" * 100
    assert attach(small, "eva.admin", exactly, "hundred.txt") > 0
    with pytest.raises(EvidenceTooLarge, match="limit"):
        attach(small, "eva.admin", exactly + b"x", "hundred-and-one.txt")
    with pytest.raises(EvidenceError, match="empty"):
        attach(settings, "eva.admin", b"", "nothing.pdf")
    for name in ("payload.exe", "page.html", "script.svg", "no-extension", "archive.zip"):
        with pytest.raises(EvidenceError, match="not accepted"):
            attach(settings, "eva.admin", b"hello", name)
    # Magic bytes that contradict the extension.
    for data, name in [
        (b"<html><script>alert(1)</script>", "fake.pdf"),
        (PDF, "fake.png"),
        (PNG, "fake.jpg"),
        (PDF, "fake.docx"),
        (b"plain text", "fake.xlsx"),
        (PNG, "fake.odt"),
    ]:
        with pytest.raises(EvidenceError, match="content is not that of"):
            attach(settings, "eva.admin", data, name)
    # The right signatures pass, whatever the case of the extension.
    attach(settings, "eva.admin", b"\xff\xd8\xff\xe0" + b"\x00" * 10, "photo.JPEG")
    attach(settings, "eva.admin", ZIP, "plan.docx")
    attach(settings, "eva.admin", ZIP, "sheet.ods")
    with pytest.raises(EvidenceError, match="unknown checklist item"):
        attach(settings, "eva.admin", PDF, "x.pdf", key="no-such-item")
    # Only the accepted files are on disk: no temporary file is left behind by a refusal.
    assert len(stored_files(settings)) == 4
    assert not any(p.name.startswith(".") for p in stored_files(settings))


def test_custom_item_takes_files(settings: Settings) -> None:
    setup_org(settings)
    with write_session(settings) as session:
        key = add_item(session, "EVA", "Data protection review", actor=SYSTEM).key
    attach(settings, "eva.admin", PDF, "dpia.pdf", key=key)
    with read_session(settings) as session:
        department = session.scalar(select(Department).where(Department.code == "EVA"))
        assert department is not None
        assert [f.filename for f in evidence_files(session, department.id)[key]] == ["dpia.pdf"]


def test_path_traversal_name_is_stored_safely(settings: Settings) -> None:
    setup_org(settings)
    file_id = attach(settings, "eva.admin", PDF, "../../etc/passwd.pdf")
    with read_session(settings) as session:
        row = session.get(EvidenceFile, file_id)
        assert row is not None
        assert row.filename == "passwd.pdf"
        assert "/" not in row.stored_name and ".." not in row.stored_name
    [path] = stored_files(settings)
    assert path.parent == evidence_dir(settings) and path.read_bytes() == PDF
    assert not (settings.data_dir.parent / "etc").exists()


def test_clean_filename() -> None:
    assert clean_filename("..\\..\\windows\\win.ini.txt") == "win.ini.txt"
    assert clean_filename("/abs/path/report.pdf") == "report.pdf"
    assert clean_filename("..") == ""
    assert clean_filename(".hidden.md") == "hidden.md"
    assert clean_filename("bad\r\nname\x00.pdf") == "bad name .pdf"
    assert clean_filename("Évaluation\u202e.pdf") == "Évaluation .pdf"
    long = "a" * 300 + ".xlsx"
    assert clean_filename(long) == "a" * 195 + ".xlsx" and len(clean_filename(long)) == 200


def test_permissions_and_denied_audit(settings: Settings) -> None:
    setup_org(settings)
    # Another department's admin, a member, an executive viewer: none may upload.
    for who in ("evb.admin", "eva.member", "viewer"):
        with pytest.raises(NotAllowed):
            attach(settings, who, PDF, "budget.pdf")
    assert stored_files(settings) == []
    denied = audit_rows(settings, "rollout.evidence.attach")
    assert denied == [
        (email("evb.admin"), "denied", "EVA/budget_model"),
        (email("eva.member"), "denied", "EVA/budget_model"),
        (email("viewer"), "denied", "EVA/budget_model"),
    ]

    file_id = attach(settings, "eva.admin", PDF, "budget.pdf")
    # Downloads: the department's admin, the programme lead and the executive viewer read it.
    for who in ("eva.admin", "lead", "viewer"):
        with read_session(settings) as session:
            open_evidence_file(session, settings, file_id, reader=reader(session, who))
    # Another department's admin and a member of the department do not; refusals audited.
    for who in ("evb.admin", "eva.member"):
        with pytest.raises(NotAllowed), write_session(settings) as session:
            open_evidence_file(session, settings, file_id, reader=reader(session, who))
    assert audit_rows(settings, "rollout.evidence.read") == [
        (email("evb.admin"), "denied", str(file_id)),
        (email("eva.member"), "denied", str(file_id)),
    ]
    # Removal takes the right to edit the item.
    for who in ("evb.admin", "viewer"):
        with pytest.raises(NotAllowed), write_session(settings) as session:
            remove_evidence_file(session, settings, file_id, actor=reader(session, who))
    assert [o for _, o, _ in audit_rows(settings, "rollout.evidence.remove")] == ["denied"] * 2
    assert len(stored_files(settings)) == 1
    with pytest.raises(EvidenceNotFound), write_session(settings) as session:
        remove_evidence_file(session, settings, file_id + 1000, actor=SYSTEM)


def test_playbook_names_the_files(settings: Settings) -> None:
    setup_org(settings)
    attach(settings, "eva.admin", PDF, "budget_v2.pdf")
    attach(settings, "eva.admin", b"a,b\n", "seats.csv")
    with read_session(settings) as session:
        department = session.scalar(select(Department).where(Department.code == "EVA"))
        assert department is not None
        playbook = build_playbook(session, department, settings)
    assert playbook.evidence_files == {"budget_model": ("budget_v2.pdf", "seats.csv")}
    budget_line = next(
        line for line in render_markdown(playbook).splitlines() if "A budget model" in line
    )
    assert "Files: budget\\_v2.pdf, seats.csv" in budget_line
    pdf = PdfReader(io.BytesIO(render_pdf(playbook)))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Files: budget_v2.pdf, seats.csv" in text


def test_migration_matches_the_evidence_model(settings: Settings) -> None:
    tables = {"readiness_evidence_file"}
    assert set(Base.metadata.tables) >= tables
    with get_engine(settings).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if tables & set(str(d).split("'"))]
    assert mine == []
