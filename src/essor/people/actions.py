"""Writes to the directory: the set-based upsert behind every people import.

The whole directory is read once into memory, the differences are computed in Python, and
only changed rows are written, with executemany statements in chunks. One ORM object per row
would make a 100,000-person import take minutes; this takes seconds, and a re-import of the
same file writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from essor.knowledge.models import utcnow
from essor.people.models import Department, Person

CHUNK = 5_000

# (phase, done, total): total is None while it is not known yet.
Progress = Callable[[str, int, int | None], None]

PERSON = cast(Table, Person.__table__)
DEPARTMENT = cast(Table, Department.__table__)

# Person field -> the CSV column that carries it. A field whose column is absent from a file
# is left as it is for people already in the directory (someone else may manage it).
FIELD_COLUMNS = {
    "name": "name",
    "department_id": "department",
    "job_title": "job_title",
    "manager_id": "manager_email",
    "status": "status",
    "start_date": "start_date",
    "end_date": "end_date",
    "attitude": "attitude",
    "training_tier": "training_tier",
}


@dataclass(frozen=True)
class RowIssue:
    """A rejected row or a warning; ``line`` is the line in the file (1 is the header)."""

    line: int
    email: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "email": self.email, "reason": self.reason}


@dataclass(frozen=True)
class PersonInput:
    """One validated row: email normalised, values checked, department given by its code."""

    line: int
    email: str
    name: str
    department: str | None = None
    job_title: str | None = None
    manager_email: str | None = None
    status: str = "active"
    start_date: date | None = None
    end_date: date | None = None
    attitude: str | None = None
    training_tier: str | None = None


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    left: int = 0
    departments_created: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "left": self.left,
            "departments_created": self.departments_created,
            "rejected": [r.as_dict() for r in self.rejected],
            "warnings": [w.as_dict() for w in self.warnings],
        }


def upsert_people(
    session: Session,
    people: Sequence[PersonInput],
    *,
    columns: Iterable[str],
    full_export_emails: set[str] | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Create or update ``people`` (unique emails) inside the session's transaction.

    ``columns`` are the CSV columns the rows came with: other fields keep their stored values.
    With ``full_export_emails``, everyone not in that set is marked as left (never deleted).
    """
    today = today or date.today()
    now = utcnow()
    conn = session.connection()
    summary = ImportSummary(rows=len(people))
    present = set(columns)
    managed = [f for f, column in FIELD_COLUMNS.items() if column in present]

    departments, summary.departments_created = _ensure_departments(
        conn, (p.department for p in people if p.department), now
    )
    existing = {row["email"]: row for row in _load_people(conn)}

    new_rows = [_new_row(p, departments, now) for p in people if p.email not in existing]
    writer = _ChunkWriter(conn, progress)
    writer.total = len(new_rows)
    writer.run(insert(PERSON), new_rows)
    summary.created = len(new_rows)

    ids = {email: id_ for email, id_ in conn.execute(select(PERSON.c.email, PERSON.c.id))}
    updates: list[dict[str, Any]] = []
    manager_links: list[dict[str, Any]] = []
    for p in people:
        manager_id = _manager_id(p, ids, summary) if "manager_id" in managed else None
        current = existing.get(p.email)
        if current is None:
            if manager_id is not None:
                manager_links.append({"_id": ids[p.email], "manager_id": manager_id})
            continue
        wanted = _values(p, departments, manager_id)
        if any(wanted[f] != current[f] for f in managed):
            updates.append(
                {"_id": current["id"], **{f: wanted[f] for f in managed}, "updated_at": now}
            )
    summary.updated = len(updates)
    summary.unchanged = len(people) - summary.created - summary.updated

    leavers: list[dict[str, Any]] = []
    if full_export_emails is not None:
        leavers = [
            {
                "_id": row["id"],
                "status": "left",
                "end_date": row["end_date"] or today,
                "updated_at": now,
            }
            for email, row in existing.items()
            if email not in full_export_emails and row["status"] != "left"
        ]
    summary.left = len(leavers)

    by_id = update(PERSON).where(PERSON.c.id == bindparam("_id"))
    writer.total += len(updates) + len(manager_links) + len(leavers)
    writer.run(by_id, updates)
    writer.run(by_id, manager_links)
    writer.run(by_id, leavers)
    return summary


def _ensure_departments(
    conn: Connection, codes: Iterable[str | None], now: datetime
) -> tuple[dict[str, int], int]:
    """Department ids by case-folded code, creating unknown codes (name = code)."""
    known = {
        code.casefold(): id_
        for id_, code in conn.execute(select(DEPARTMENT.c.id, DEPARTMENT.c.code))
    }
    missing: dict[str, str] = {}
    for code in codes:
        if code and code.casefold() not in known:
            missing.setdefault(code.casefold(), code)
    if not missing:
        return known, 0
    conn.execute(
        insert(DEPARTMENT),
        [{"code": code, "name": code, "created_at": now} for code in missing.values()],
    )
    rows = conn.execute(select(DEPARTMENT.c.id, DEPARTMENT.c.code))
    return {code.casefold(): id_ for id_, code in rows}, len(missing)


def _load_people(conn: Connection) -> list[dict[str, Any]]:
    keys = ["id", "email", *FIELD_COLUMNS]
    rows = conn.execute(select(*(PERSON.c[k] for k in keys)))
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _values(p: PersonInput, departments: dict[str, int], manager_id: int | None) -> dict[str, Any]:
    return {
        "name": p.name,
        "department_id": departments[p.department.casefold()] if p.department else None,
        "job_title": p.job_title,
        "manager_id": manager_id,
        "status": p.status,
        "start_date": p.start_date,
        "end_date": p.end_date,
        "attitude": p.attitude,
        "training_tier": p.training_tier,
    }


def _new_row(p: PersonInput, departments: dict[str, int], now: datetime) -> dict[str, Any]:
    # The manager may be a later row of the file: links are set once everyone has an id.
    row = _values(p, departments, None)
    return {"email": p.email, **row, "created_at": now, "updated_at": now}


def _manager_id(p: PersonInput, ids: dict[str, int], summary: ImportSummary) -> int | None:
    if not p.manager_email:
        return None
    if p.manager_email == p.email:
        summary.warnings.append(
            RowIssue(p.line, p.email, "manager_email is the person's own email (left empty)")
        )
        return None
    manager_id = ids.get(p.manager_email)
    if manager_id is None:
        summary.warnings.append(
            RowIssue(p.line, p.email, f"unknown manager_email {p.manager_email} (left empty)")
        )
    return manager_id


class _ChunkWriter:
    """Runs executemany statements in chunks, reporting progress after each chunk."""

    def __init__(self, conn: Connection, progress: Progress | None) -> None:
        self.conn = conn
        self.progress = progress
        self.done = 0
        self.total = 0

    def run(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            self.conn.execute(statement, chunk)
            self.done += len(chunk)
            if self.progress is not None:
                self.progress("Writing", self.done, self.total)
