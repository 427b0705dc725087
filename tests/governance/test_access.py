"""Who reads what: every person x every collection x search, answers, citations, documents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from essor.assistant.answer import ask
from essor.db import dispose_engines, read_session, write_session
from essor.governance.access import (
    NOBODY,
    SYSTEM,
    Reader,
    can_read_document,
    identity_for,
    readable_collection_ids,
)
from essor.governance.actions import (
    GovernanceError,
    NotAllowed,
    create_collection,
    grant_role,
    set_collection_access,
)
from essor.governance.models import AuditEvent
from essor.knowledge.actions import ingest_path
from essor.knowledge.index import reset_backends
from essor.knowledge.models import Collection, Document
from essor.knowledge.queries import get_document
from essor.knowledge.search import UnknownCollectionError, search
from essor.people.models import Department, Person
from essor.settings import Settings
from tests.conftest import make_settings

# Each collection holds one document with a word found nowhere else.
WORDS = {"everyone": "quokkaflux", "sales-only": "zebraquill", "private": "wombatrune"}


@dataclass
class World:
    settings: Settings


def _people(settings: Settings) -> None:
    with write_session(settings) as s:
        sales = Department(code="SALES", name="Sales")
        hr = Department(code="HR", name="Human resources")
        s.add_all([sales, hr])
        s.flush()
        s.add_all(
            [
                Person(email="sam@x.example", name="Sam", department_id=sales.id),
                Person(email="hana@x.example", name="Hana", department_id=hr.id),
                Person(email="boss@x.example", name="Boss", department_id=hr.id),
                Person(
                    email="gone@x.example",
                    name="Gone",
                    department_id=sales.id,
                    status="left",
                    end_date=date.today() - timedelta(days=3),
                ),
            ]
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("access")
    settings = make_settings(root)
    _people(settings)
    with write_session(settings) as s:
        create_collection(s, "everyone", actor=SYSTEM)
        create_collection(s, "sales-only", actor=SYSTEM, departments=["SALES"])
        create_collection(s, "private", actor=SYSTEM, people=["hana@x.example"])
        grant_role(s, "boss@x.example", "administrator", actor=SYSTEM)
    for name, word in WORDS.items():
        folder = root / name
        folder.mkdir()
        (folder / f"{name}.md").write_text(
            f"# {name} handbook\n\nThe {word} procedure applies to every request in {name}.\n",
            encoding="utf-8",
        )
        ingest_path(folder, name, settings=settings)
    yield World(settings)
    dispose_engines()
    reset_backends()


def _reader(settings: Settings, email: str | None) -> Reader:
    if email is None:
        return NOBODY
    with read_session(settings) as s:
        identity = identity_for(s, email)
    return Reader(identity) if identity else NOBODY


EXPECTED = {
    "sam@x.example": {"everyone", "sales-only"},
    "hana@x.example": {"everyone", "private"},
    "boss@x.example": {"everyone", "sales-only", "private"},
    "gone@x.example": set(),
    None: set(),
}


@pytest.mark.parametrize("email", list(EXPECTED))
@pytest.mark.parametrize("collection", list(WORDS))
def test_matrix(world: World, email: str | None, collection: str) -> None:
    allowed = collection in EXPECTED[email]
    reader = _reader(world.settings, email)
    word = WORDS[collection]
    with read_session(world.settings) as s:
        found = search(s, f"{word} procedure", reader=reader, settings=world.settings)
        assert any(p.collection == collection for p in found) == allowed
        assert all(p.collection in EXPECTED[email] for p in found)

        answer = ask(s, f"What is the {word} procedure?", reader=reader, settings=world.settings)
        cited = {src.collection for src in answer.sources}
        assert cited <= EXPECTED[email]
        assert (collection in cited) == allowed

        doc_id = s.execute(
            select(Document.id).where(Document.external_id == f"{collection}.md")
        ).scalar_one()
        assert can_read_document(s, reader, doc_id) == allowed
        readable = readable_collection_ids(s, reader)
        assert (get_document(s, doc_id, readable) is not None) == allowed

        if not allowed:
            # Naming a collection one may not read looks exactly like naming a missing one.
            with pytest.raises(UnknownCollectionError, match=collection):
                search(s, word, reader=reader, collections=[collection])


def test_revocation_applies_to_the_next_search(world: World) -> None:
    sam = _reader(world.settings, "sam@x.example")
    query = f"{WORDS['sales-only']} procedure"
    with read_session(world.settings) as s:
        hits = search(s, query, reader=sam, settings=world.settings)
        assert any(p.collection == "sales-only" for p in hits)
    with write_session(world.settings) as s:
        collection = s.execute(
            select(Collection).where(Collection.name == "sales-only")
        ).scalar_one()
        set_collection_access(s, collection, actor=SYSTEM, departments=["HR"])
    try:
        with read_session(world.settings) as s:
            hits = search(s, query, reader=sam, settings=world.settings)
            assert all(p.collection != "sales-only" for p in hits)
            answer = ask(s, f"What is the {WORDS['sales-only']} procedure?", reader=sam)
            assert all(src.collection != "sales-only" for src in answer.sources)
    finally:
        with write_session(world.settings) as s:
            collection = s.execute(
                select(Collection).where(Collection.name == "sales-only")
            ).scalar_one()
            set_collection_access(s, collection, actor=SYSTEM, departments=["SALES"])


def test_only_admins_and_content_owners_change_access(world: World) -> None:
    sam = _reader(world.settings, "sam@x.example")
    with pytest.raises(NotAllowed), write_session(world.settings) as s:
        collection = s.execute(select(Collection).where(Collection.name == "private")).scalar_one()
        set_collection_access(s, collection, actor=sam)
    with pytest.raises(NotAllowed), write_session(world.settings) as s:
        grant_role(s, "sam@x.example", "administrator", actor=sam)
    # The refused changes rolled back, but their refusals are in the audit log.
    with read_session(world.settings) as s:
        denied = (
            s.execute(
                select(AuditEvent.action).where(
                    AuditEvent.outcome == "denied", AuditEvent.actor_email == "sam@x.example"
                )
            )
            .scalars()
            .all()
        )
        granted = s.execute(
            select(AuditEvent.id).where(
                AuditEvent.action == "role.grant",
                AuditEvent.object_id == "sam@x.example",
                AuditEvent.outcome == "ok",
            )
        ).first()
    assert {"collection.access", "role.grant"} <= set(denied)
    assert granted is None


def test_bad_access_changes_are_refused(world: World) -> None:
    with write_session(world.settings) as s:
        with pytest.raises(GovernanceError, match="unknown department: NOPE"):
            create_collection(s, "x1", actor=SYSTEM, departments=["NOPE"])
        with pytest.raises(GovernanceError, match="departments or to listed people"):
            create_collection(s, "x2", actor=SYSTEM, departments=["HR"], people=["sam@x.example"])
        with pytest.raises(GovernanceError, match="already exists"):
            create_collection(s, "everyone", actor=SYSTEM)
        with pytest.raises(GovernanceError, match="needs a department"):
            grant_role(s, "sam@x.example", "champion", actor=SYSTEM)


def test_changes_are_audited_and_the_log_is_append_only(world: World) -> None:
    with read_session(world.settings) as s:
        actions = set(s.scalars(select(AuditEvent.action)).all())
    assert {"collection.create", "collection.access", "role.grant"} <= actions
    with pytest.raises(DatabaseError, match="append-only"), write_session(world.settings) as s:
        s.execute(text("UPDATE audit_event SET action = 'x'"))
    with pytest.raises(DatabaseError, match="append-only"), write_session(world.settings) as s:
        s.execute(text("DELETE FROM audit_event"))


def test_cli_acts_as_a_person(world: World, tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "ESSOR_DATA_DIR": str(world.settings.data_dir)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "essor.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    word = WORDS["private"]
    as_hana = json.loads(run("search", word, "--as", "hana@x.example", "--json").stdout)
    assert [r["collection"] for r in as_hana["results"]] == ["private"]
    as_sam = json.loads(run("search", word, "--as", "SAM@x.example", "--json").stdout)
    assert as_sam["results"] == []
    gone = run("ask", "anything", "--as", "gone@x.example")
    assert gone.returncode == 2 and "no employed person" in gone.stderr
    made = run("collection", "create", "ops-notes", "--departments", "HR")
    assert made.returncode == 0 and "departments" in made.stdout
    bad = run("collection", "create", "ops-notes")
    assert bad.returncode == 2 and "already exists" in bad.stderr


@pytest.mark.parametrize(
    ("status", "start", "end", "expected"),
    [
        ("active", None, None, True),
        ("left", None, None, False),
        ("left", None, 5, True),  # marked left while serving notice: access until the last day
        ("left", None, -1, False),
        ("active", 3, None, False),  # not started yet
        ("leave", -30, None, True),
    ],
)
def test_employment_rule(status: str, start: int | None, end: int | None, expected: bool) -> None:
    from essor.governance.access import is_employed

    today = date(2026, 6, 15)
    person = Person(
        email="p@x.example",
        name="P",
        status=status,
        start_date=today + timedelta(days=start) if start is not None else None,
        end_date=today + timedelta(days=end) if end is not None else None,
    )
    assert is_employed(person, today) is expected
