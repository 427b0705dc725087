"""People import on a real migrated SQLite database: upsert, managers, rejections, full exports,
file formats, headcounts, and 100,000 rows."""

from __future__ import annotations

import csv
import random
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from essor.db import read_session
from essor.people.importer import COLUMNS, ImportInputError, import_people
from essor.people.models import Department, Person
from essor.people.queries import (
    count_people,
    find_person,
    headcount_by_department,
    list_people,
)
from essor.settings import Settings

TODAY = date(2025, 6, 30)


def write_csv(
    path: Path,
    rows: list[list[str]],
    header: list[str] | tuple[str, ...] = COLUMNS,
    *,
    delimiter: str = ",",
    bom: bool = False,
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def person(settings: Settings, email: str) -> Person:
    with read_session(settings) as session:
        found = find_person(session, email)
        assert found is not None, email
        session.expunge(found)  # keep its loaded values past the session's rollback
    return found


def manager_of(settings: Settings, email: str) -> str | None:
    with read_session(settings) as session:
        manager = aliased(Person)
        return session.scalar(
            select(manager.email)
            .join(Person, Person.manager_id == manager.id)
            .where(Person.email == email)
        )


def test_create_then_unchanged_then_update(settings: Settings, tmp_path: Path) -> None:
    rows = [
        ["Alice@Example.com ", "Alice Martin", "HR", "Head of HR", "", "active", "2019-03-01",
         "", "enthusiast", "power"],
        ["bob@example.com", "Bob Durand", "OPS", "Planner", "alice@example.com", "", "", "",
         "", ""],
    ]  # fmt: skip
    path = write_csv(tmp_path / "people.csv", rows)
    first = import_people(path, settings=settings)
    assert (first.created, first.updated, first.unchanged, first.left) == (2, 0, 0, 0)
    assert first.departments_created == 2 and first.rejected == [] and first.warnings == []

    alice = person(settings, "  ALICE@example.com")
    assert alice.email == "alice@example.com" and alice.name == "Alice Martin"
    assert alice.start_date == date(2019, 3, 1) and alice.end_date is None
    assert (alice.status, alice.attitude, alice.training_tier) == ("active", "enthusiast", "power")
    bob = person(settings, "bob@example.com")
    assert bob.status == "active" and bob.job_title == "Planner" and bob.attitude is None
    assert manager_of(settings, "bob@example.com") == "alice@example.com"

    again = import_people(path, settings=settings)
    assert (again.created, again.updated, again.unchanged, again.departments_created) == (
        0, 0, 2, 0,
    )  # fmt: skip
    assert person(settings, "bob@example.com").updated_at == bob.updated_at

    rows[1][3] = "Senior planner"
    rows[1][2] = "ops"  # department codes match without regard to case
    changed = import_people(write_csv(tmp_path / "people.csv", rows), settings=settings)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert changed.departments_created == 0
    updated = person(settings, "bob@example.com")
    assert updated.job_title == "Senior planner" and updated.updated_at > bob.updated_at
    assert updated.created_at == bob.created_at


def test_managers_resolved_across_the_file_and_the_directory(
    settings: Settings, tmp_path: Path
) -> None:
    header = ["email", "name", "manager_email"]
    import_people(write_csv(tmp_path / "a.csv", [["ceo@x.org", "Chief", ""]], header),
                  settings=settings)  # fmt: skip
    rows = [
        ["dev@x.org", "Dev", "lead@x.org"],  # manager on a later line
        ["lead@x.org", "Lead", "CEO@x.org"],  # manager already in the directory
        ["temp@x.org", "Temp", "ghost@x.org"],  # unknown manager: kept, with a warning
        ["self@x.org", "Self", "self@x.org"],
    ]
    summary = import_people(write_csv(tmp_path / "b.csv", rows, header), settings=settings)
    assert (summary.created, summary.unchanged, summary.rejected) == (4, 0, [])
    assert manager_of(settings, "dev@x.org") == "lead@x.org"
    assert manager_of(settings, "lead@x.org") == "ceo@x.org"
    assert manager_of(settings, "temp@x.org") is None
    assert manager_of(settings, "self@x.org") is None
    assert [(w.line, w.email) for w in summary.warnings] == [(4, "temp@x.org"), (5, "self@x.org")]
    assert "ghost@x.org" in summary.warnings[0].reason

    # The file without the manager column leaves managers alone.
    summary = import_people(
        write_csv(tmp_path / "c.csv", [["dev@x.org", "Dev"]], ["email", "name"]),
        settings=settings,
    )
    assert summary.unchanged == 1 and manager_of(settings, "dev@x.org") == "lead@x.org"


def test_every_rejection_reason_with_its_line(settings: Settings, tmp_path: Path) -> None:
    def row(email: str, name: str = "N", **values: str) -> list[str]:
        cells = dict.fromkeys(COLUMNS, "") | {"email": email, "name": name} | values
        return [cells[c] for c in COLUMNS]

    rows = [
        row("ok@x.org"),  # line 2
        row(""),  # 3
        row("not-an-email"),  # 4
        row("a@x.org", start_date="2024-02-30"),  # 5
        row("b@x.org", end_date="01/02/2024"),  # 6
        row("c@x.org", start_date="2024-05-01", end_date="2024-04-30"),  # 7
        row("d@x.org", status="retired"),  # 8
        row("e@x.org", attitude="grumpy"),  # 9
        row("f@x.org", training_tier="gold"),  # 10
        row("OK@x.org", name="Again"),  # 11
        row("g@x.org", name=""),  # 12
        row("h@x.org", name="x" * 201),  # 13
        row("i@x.org", status="retired", attitude="grumpy"),  # 14
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("j@x.org,Dupont, Jean,HR,,,,,,,power\n")  # 15: an unquoted comma shifts cells
    summary = import_people(path, settings=settings)
    assert summary.rows == 14 and summary.created == 1
    reasons = {r.line: (r.email, r.reason) for r in summary.rejected}
    assert reasons[3] == ("", "missing email")
    assert reasons[4] == ("not-an-email", "invalid email")
    assert reasons[5][0] == "a@x.org" and "invalid start_date '2024-02-30'" in reasons[5][1]
    assert "invalid end_date '01/02/2024' (expected YYYY-MM-DD)" in reasons[6][1]
    assert reasons[7][1] == "end_date 2024-04-30 is before start_date 2024-05-01"
    assert "unknown status 'retired'" in reasons[8][1]
    assert "unknown attitude 'grumpy'" in reasons[9][1]
    assert "unknown training_tier 'gold'" in reasons[10][1]
    assert reasons[11] == ("ok@x.org", "duplicate email (first on line 2)")
    assert reasons[12][1] == "missing name"
    assert reasons[13][1] == "name longer than 200 characters"
    assert "status" in reasons[14][1] and "attitude" in reasons[14][1]
    assert "11 cells for 10 columns" in reasons[15][1]
    assert sorted(reasons) == list(range(3, 16))
    with read_session(settings) as session:
        assert count_people(session) == 1
        kept = find_person(session, "ok@x.org")
        assert kept is not None and kept.name == "N"  # the first of the duplicates wins


def test_full_export_marks_missing_people_left_and_never_deletes(
    settings: Settings, tmp_path: Path
) -> None:
    header = ["email", "name", "end_date"]
    everyone = [
        ["stay@x.org", "Stay", ""],
        ["go@x.org", "Go", ""],
        ["notice@x.org", "Notice", "2025-09-30"],
        ["typo@x.org", "Typo", ""],
    ]
    import_people(write_csv(tmp_path / "all.csv", everyone, header), settings=settings)

    partial = write_csv(tmp_path / "partial.csv", [everyone[0]], header)
    plain = import_people(partial, settings=settings, full_export=False)
    assert plain.left == 0 and person(settings, "go@x.org").status == "active"

    # typo@ is in the file but its row is rejected: it must not be marked as left.
    rows = [everyone[0], ["typo@x.org", "Typo", "someday"]]
    full = import_people(
        write_csv(tmp_path / "full.csv", rows, header),
        settings=settings,
        full_export=True,
        today=TODAY,
    )
    assert (full.left, full.unchanged, len(full.rejected)) == (2, 1, 1)
    gone = person(settings, "go@x.org")
    assert (gone.status, gone.end_date) == ("left", TODAY)
    notice = person(settings, "notice@x.org")
    assert (notice.status, notice.end_date) == ("left", date(2025, 9, 30))
    assert person(settings, "typo@x.org").status == "active"
    with read_session(settings) as session:
        assert count_people(session) == 4

    again = import_people(
        tmp_path / "full.csv", settings=settings, full_export=True, today=TODAY + timedelta(1)
    )
    assert (again.left, again.updated, again.unchanged) == (0, 0, 1)
    assert person(settings, "go@x.org").end_date == TODAY

    with pytest.raises(ImportInputError, match="mark everyone as left"):
        import_people(write_csv(tmp_path / "empty.csv", [], header), settings=settings,
                      full_export=True)  # fmt: skip


def test_bom_semicolons_french_values_and_header_spelling(
    settings: Settings, tmp_path: Path
) -> None:
    header = ["E-mail", "Name", "Department", "Job Title", "Status", "Attitude", "Training_Tier"]
    rows = [
        ["eve@x.org", "Ève Lefèvre", "RH", "Juriste", "Actif", "Sceptique", "Tout le monde"],
        ["zoe@x.org", "Zoé", "RH", "", "en congé", "ENTHOUSIASTE", "occasionnel"],
        ["yan@x.org", "Yan", "RH", "", "PARTI", "neutre", "power user"],
    ]
    path = write_csv(tmp_path / "fr.csv", rows, header, delimiter=";", bom=True)
    summary = import_people(path, settings=settings)
    assert summary.created == 3 and summary.rejected == [] and summary.warnings == []
    eve = person(settings, "eve@x.org")
    assert (eve.name, eve.job_title, eve.status) == ("Ève Lefèvre", "Juriste", "active")
    assert (eve.attitude, eve.training_tier) == ("sceptic", "everyone")
    zoe = person(settings, "zoe@x.org")
    assert (zoe.status, zoe.attitude, zoe.training_tier) == ("leave", "enthusiast", "occasional")
    yan = person(settings, "yan@x.org")
    assert (yan.status, yan.attitude, yan.training_tier) == ("left", "neutral", "power")

    plain = write_csv(tmp_path / "plain.csv", rows, header, bom=True)
    assert import_people(plain, settings=settings).unchanged == 3


def test_columns_absent_from_the_file_keep_their_values(settings: Settings, tmp_path: Path) -> None:
    full = [["ann@x.org", "Ann", "HR", "Clerk", "", "leave", "2020-01-01", "", "sceptic", "power"]]
    import_people(write_csv(tmp_path / "full.csv", full), settings=settings)
    summary = import_people(
        write_csv(tmp_path / "names.csv", [["ann@x.org", "Ann B.", "note"]],
                  ["email", "name", "comment"]),
        settings=settings,
    )  # fmt: skip
    assert summary.updated == 1
    assert [w.reason for w in summary.warnings] == ["ignored column 'comment'"]
    ann = person(settings, "ann@x.org")
    assert (ann.name, ann.status, ann.attitude, ann.job_title) == ("Ann B.", "leave", "sceptic",
                                                                   "Clerk")  # fmt: skip

    # A present column with an empty cell does clear the value (status falls back to active).
    blank = [["ann@x.org", "Ann B.", "HR", "", "", "", "2020-01-01", "", "", ""]]
    assert import_people(write_csv(tmp_path / "blank.csv", blank), settings=settings).updated == 1
    ann = person(settings, "ann@x.org")
    assert (ann.status, ann.attitude, ann.job_title) == ("active", None, None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"name,department\nAnn,HR\n", "no email column"),
        (b"email;department\na@x.org;HR\n", "no name column"),
        (b"email,name,Name\n", "repeats the column"),
        (b"%PDF-1.4\x00\x01\x02", "not a CSV"),
        ("email,name\na@x.org,Andr\u00e9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_files_raise_a_clear_error(
    settings: Settings, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(ImportInputError, match=message):
        import_people(path, settings=settings)


def test_missing_and_oversized_files(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ImportInputError, match="no such file"):
        import_people(tmp_path / "nope.csv", settings=settings)
    path = write_csv(tmp_path / "big.csv", [["a@x.org", "A"]] * 100, ["email", "name"])
    small = settings.model_copy(update={"max_upload_bytes": 100})
    with pytest.raises(ImportInputError, match="ESSOR_MAX_UPLOAD_BYTES"):
        import_people(path, settings=small)


def test_headcount_on_a_date(settings: Settings, tmp_path: Path) -> None:
    header = ["email", "name", "department", "status", "start_date", "end_date"]
    rows = [
        ["a@x.org", "A", "HR", "active", "", ""],
        ["b@x.org", "B", "HR", "leave", "2020-01-01", ""],  # on leave: still employed
        ["c@x.org", "C", "HR", "active", "2025-07-01", ""],  # starts after the day
        ["d@x.org", "D", "HR", "active", "", "2025-06-29"],  # ended the day before
        ["e@x.org", "E", "OPS", "left", "", "2025-06-30"],  # serving notice: last day
        ["f@x.org", "F", "OPS", "left", "", ""],  # left, no date
        ["g@x.org", "G", "", "active", "", ""],  # no department
        ["h@x.org", "H", "EMPTY", "left", "", "2020-01-01"],
    ]
    import_people(write_csv(tmp_path / "hc.csv", rows, header), settings=settings)
    with read_session(settings) as session:
        assert headcount_by_department(session, TODAY) == {
            "EMPTY": 0, "HR": 2, "OPS": 1, None: 1,
        }  # fmt: skip
        later = headcount_by_department(session, date(2025, 7, 1))
        assert (later["HR"], later["OPS"]) == (3, 0)


def test_list_and_find(settings: Settings, tmp_path: Path) -> None:
    header = ["email", "name", "department", "manager_email"]
    rows = [
        ["b@x.org", "Bea", "HR", "a@x.org"],
        ["a@x.org", "Abe", "HR", ""],
        ["c@x.org", "Cid", "OPS", "a@x.org"],
    ]
    import_people(write_csv(tmp_path / "p.csv", rows, header), settings=settings)
    with read_session(settings) as session:
        assert [p.email for p in list_people(session)] == ["a@x.org", "b@x.org", "c@x.org"]
        hr = list_people(session, "hr", limit=1, offset=1)
        assert [(p.name, p.department, p.manager_email) for p in hr] == [("Bea", "HR", "a@x.org")]
        assert count_people(session, "HR") == 2 and count_people(session, "nope") == 0
        assert list_people(session, "nope") == []
        assert find_person(session, "nobody@x.org") is None


def _big_export(path: Path, n: int, seed: int = 7) -> list[list[str]]:
    """``n`` people in 200 departments; person i reports to person (i - 1) // 10, and the
    rows are shuffled so managers often come after their reports."""
    rng = random.Random(seed)
    rows = [
        [
            f"p{i}@big.example", f"Person {i}", f"D{i % 200:03d}", f"Title {i % 37}",
            f"p{(i - 1) // 10}@big.example" if i else "", "active",
            (date(2015, 1, 1) + timedelta(days=i % 3000)).isoformat(), "",
            ("enthusiast", "neutral", "sceptic", "")[i % 4],
            ("power", "occasional", "everyone")[i % 3],
        ]
        for i in range(n)
    ]  # fmt: skip
    rng.shuffle(rows)
    write_csv(path, rows)
    return rows


def test_import_100k_people(settings: Settings, tmp_path: Path) -> None:
    n = 100_000
    path = tmp_path / "big.csv"
    rows = _big_export(path, n)

    started = time.perf_counter()
    first = import_people(path, settings=settings)
    created_s = time.perf_counter() - started
    assert (first.created, first.updated, first.rejected, first.warnings) == (n, 0, [], [])
    assert first.departments_created == 200

    started = time.perf_counter()
    again = import_people(path, settings=settings)
    unchanged_s = time.perf_counter() - started
    assert (again.created, again.updated, again.unchanged) == (0, 0, n)

    for row in rows[:1000:10]:
        row[3] = "Promoted"
    write_csv(path, rows)
    started = time.perf_counter()
    changed = import_people(path, settings=settings)
    updated_s = time.perf_counter() - started
    assert (changed.created, changed.updated, changed.unchanged) == (0, 100, n - 100)
    print(f"\n100k people: create {created_s:.1f} s, re-import {unchanged_s:.1f} s, "
          f"100 changed {updated_s:.1f} s")  # fmt: skip

    with read_session(settings) as session:
        assert session.scalar(select(func.count()).select_from(Department)) == 200
        linked = select(func.count()).select_from(Person).where(Person.manager_id.is_not(None))
        assert session.scalar(linked) == n - 1
        assert headcount_by_department(session, TODAY)["D007"] == n // 200
        p = find_person(session, "p12345@big.example")
        assert p is not None
        assert (p.name, p.job_title, p.attitude, p.training_tier) == (
            "Person 12345", "Title 24", "neutral", "power",
        )  # fmt: skip
        assert p.start_date == date(2015, 1, 1) + timedelta(days=12345 % 3000)
    for i in (1, 10, 11, 54321, n - 1):
        assert manager_of(settings, f"p{i}@big.example") == f"p{(i - 1) // 10}@big.example"
