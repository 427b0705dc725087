"""Import an HR export (CSV) into the people directory.

The whole file is read and checked before the write transaction starts, so the write lock is
held only for the set-based diff and the bulk writes (``essor.people.actions``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from essor.db import write_session
from essor.people.actions import (
    ImportSummary,
    PersonInput,
    Progress,
    RowIssue,
    upsert_people,
)
from essor.people.models import CODE_MAX, EMAIL_MAX, NAME_MAX
from essor.settings import Settings, get_settings

COLUMNS = (
    "email",
    "name",
    "department",
    "job_title",
    "manager_email",
    "status",
    "start_date",
    "end_date",
    "attitude",
    "training_tier",
)
REQUIRED = ("email", "name")
# Other spellings of column names seen in HR exports, after folding ("E-mail" -> "e_mail").
HEADER_ALIASES = {"e_mail": "email", "mail": "email", "courriel": "email"}
READ_REPORT_EVERY = 5_000

EMAIL_RE = re.compile(r"[^@\s,;<>()\"']+@[^@\s,;<>()\"']+\.[^@\s,;<>()\"'.]+")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Accepted spellings, after folding (lower case, no accents, "-" and "_" as spaces).
STATUS_WORDS = {
    "active": "active",
    "actif": "active",
    "active employee": "active",
    "employed": "active",
    "en poste": "active",
    "leave": "leave",
    "on leave": "leave",
    "conge": "leave",
    "en conge": "leave",
    "left": "left",
    "parti": "left",
    "partie": "left",
    "sorti": "left",
    "sortie": "left",
    "departed": "left",
}
ATTITUDE_WORDS = {
    "enthusiast": "enthusiast",
    "enthusiastic": "enthusiast",
    "enthousiaste": "enthusiast",
    "neutral": "neutral",
    "neutre": "neutral",
    "sceptic": "sceptic",
    "skeptic": "sceptic",
    "sceptical": "sceptic",
    "skeptical": "sceptic",
    "sceptique": "sceptic",
}
TIER_WORDS = {
    "power": "power",
    "power user": "power",
    "power users": "power",
    "avance": "power",
    "occasional": "occasional",
    "occasional user": "occasional",
    "occasional users": "occasional",
    "occasionnel": "occasional",
    "occasionnelle": "occasional",
    "everyone": "everyone",
    "all": "everyone",
    "tous": "everyone",
    "tout le monde": "everyone",
}


class ImportInputError(Exception):
    """The file cannot be imported at all (missing, too large, not a CSV, bad header)."""


@dataclass
class ParsedFile:
    columns: frozenset[str]
    people: list[PersonInput] = field(default_factory=list)
    # Every well-formed email in the file, rejected rows included: a full export must not
    # mark someone as left because their row had a typo in a date.
    emails: set[str] = field(default_factory=set)
    rows: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)


def import_people(
    path: Path,
    *,
    settings: Settings | None = None,
    full_export: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportSummary:
    """Upsert the people of a CSV file by email; see ``docs/people.md`` for the format."""
    settings = settings or get_settings()
    parsed = parse_people_csv(read_text(Path(path), settings.max_upload_bytes), progress)
    if full_export and parsed.rows == 0:
        raise ImportInputError("the file has no rows: a full export would mark everyone as left")
    with write_session(settings) as session:
        summary = upsert_people(
            session,
            parsed.people,
            columns=parsed.columns,
            full_export_emails=parsed.emails if full_export else None,
            today=today,
            progress=progress,
        )
    summary.rows = parsed.rows
    summary.rejected = parsed.rejected
    summary.warnings = parsed.warnings + summary.warnings
    return summary


def read_text(path: Path, max_bytes: int) -> str:
    if not path.is_file():
        raise ImportInputError(f"{path}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise ImportInputError(
            f"{path}: {size} bytes is over the limit of {max_bytes} (ESSOR_MAX_UPLOAD_BYTES)"
        )
    data = path.read_bytes()
    if b"\0" in data:
        raise ImportInputError(f"{path}: not a CSV file (binary content)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportInputError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the export as 'CSV UTF-8'"
        ) from exc


def parse_people_csv(text: str, progress: Progress | None = None) -> ParsedFile:
    """Validate every row; rejected rows carry their line number and reason."""
    if not text.strip():
        raise ImportInputError("the file is empty")
    first_line = next(line for line in io.StringIO(text) if line.strip())
    # Spreadsheets in French locales export with ";"; pick what the header uses most.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    records = _records(text, delimiter)
    header = next(cells for _, cells in records if any(c.strip() for c in cells))
    columns, warnings = _header(header)
    parsed = ParsedFile(columns=frozenset(c for c in columns if c), warnings=warnings)
    # Position of every known column, -1 when the file lacks it (its cells read as empty).
    positions = [(name, columns.index(name) if name in columns else -1) for name in COLUMNS]
    first_line_of: dict[str, int] = {}
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        parsed.rows += 1
        width = len(cells)
        raw = {n: cells[i].strip() if 0 <= i < width else "" for n, i in positions}
        row = _row_or_issue(line, raw, first_line_of)
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            # Usually an unquoted delimiter inside a value: every later cell would be shifted.
            row = RowIssue(
                line,
                raw["email"].lower(),
                f"{len(cells)} cells for {len(columns)} columns "
                "(quote values that contain the delimiter)",
            )
        if isinstance(row, RowIssue):
            parsed.rejected.append(row)
        else:
            parsed.people.append(row)
        if EMAIL_RE.fullmatch(email := raw["email"].lower()):
            parsed.emails.add(email)
        if progress is not None and parsed.rows % READ_REPORT_EVERY == 0:
            progress("Reading", parsed.rows, None)
    if progress is not None:
        progress("Reading", parsed.rows, None)
    return parsed


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each one starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportInputError(f"line {reader.line_num}: not valid CSV ({exc})") from exc


@lru_cache(maxsize=4096)  # columns like status repeat a handful of values 100,000 times
def _fold(value: str) -> str:
    plain = unicodedata.normalize("NFKD", value.strip().casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace("_", " ").split())


def _header(cells: list[str]) -> tuple[list[str], list[RowIssue]]:
    """Known column names by position ("" for ignored ones), and warnings about the rest."""
    names = [_fold(c).replace(" ", "_") for c in cells]
    names = [HEADER_ALIASES.get(n, n) for n in names]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        found = ", ".join(c for c in cells if c.strip()) or "nothing"
        raise ImportInputError(
            f"the header has no {' or '.join(missing)} column (found: {found[:200]})"
        )
    doubled = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    if doubled:
        raise ImportInputError(f"the header repeats the column(s) {', '.join(doubled)}")
    warnings = [
        RowIssue(1, "", f"ignored column {c!r}")
        for c, n in zip(cells, names, strict=True)
        if n not in COLUMNS and n
    ]
    return [n if n in COLUMNS else "" for n in names], warnings


def _row_or_issue(
    line: int, raw: dict[str, str], first_line_of: dict[str, int]
) -> PersonInput | RowIssue:
    email = raw["email"].lower()
    if not email:
        return RowIssue(line, "", "missing email")
    if len(email) > EMAIL_MAX or not EMAIL_RE.fullmatch(email):
        return RowIssue(line, raw["email"], "invalid email")
    if email in first_line_of:
        return RowIssue(line, email, f"duplicate email (first on line {first_line_of[email]})")
    first_line_of[email] = line

    reasons: list[str] = []
    if not raw["name"]:
        reasons.append("missing name")
    for name, limit in (("name", NAME_MAX), ("job_title", NAME_MAX), ("department", CODE_MAX)):
        if len(raw[name]) > limit:
            reasons.append(f"{name} longer than {limit} characters")
    status = _choice(raw, "status", STATUS_WORDS, reasons) or "active"
    attitude = _choice(raw, "attitude", ATTITUDE_WORDS, reasons)
    tier = _choice(raw, "training_tier", TIER_WORDS, reasons)
    start = _date(raw, "start_date", reasons)
    end = _date(raw, "end_date", reasons)
    if start and end and end < start:
        reasons.append(f"end_date {end} is before start_date {start}")
    if reasons:
        return RowIssue(line, email, "; ".join(reasons))
    return PersonInput(
        line=line,
        email=email,
        name=raw["name"],
        department=raw["department"] or None,
        job_title=raw["job_title"] or None,
        # Checked against the directory later: an unknown manager is a warning, not a rejection.
        manager_email=raw["manager_email"].lower() or None,
        status=status,
        start_date=start,
        end_date=end,
        attitude=attitude,
        training_tier=tier,
    )


def _choice(
    raw: dict[str, str], column: str, words: dict[str, str], reasons: list[str]
) -> str | None:
    if not raw[column]:
        return None
    value = words.get(_fold(raw[column]))
    if value is None:
        allowed = ", ".join(dict.fromkeys(words.values()))
        reasons.append(f"unknown {column} {raw[column]!r} (expected {allowed})")
    return value


def _date(raw: dict[str, str], column: str, reasons: list[str]) -> date | None:
    if not raw[column]:
        return None
    try:
        if DATE_RE.fullmatch(raw[column]):
            return date.fromisoformat(raw[column])
    except ValueError:
        pass
    reasons.append(f"invalid {column} {raw[column]!r} (expected YYYY-MM-DD)")
    return None
