"""The pilot journal: who writes and who reads, categories and resolutions linked to their
problem, size limits, editing and deleting one's own entries, audit rows."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from essor.db import read_session, write_session
from essor.governance.access import SYSTEM, Reader, identity_for
from essor.governance.actions import NotAllowed, grant_role
from essor.governance.models import AuditEvent
from essor.people.models import Department
from essor.rollout.cohorts import enrol, remove
from essor.rollout.journal import (
    ENTRY_BODY_MAX,
    ENTRY_TITLE_MAX,
    EntryNotFound,
    JournalError,
    add_entry,
    can_read_journal,
    can_write_journal,
    delete_entry,
    edit_entry,
    entries,
)
from essor.rollout.pilot_models import JournalEntry
from essor.settings import Settings
from tests.rollout.test_cohorts import email, reader, setup_org


def _department_id(settings: Settings, code: str) -> int:
    with read_session(settings) as session:
        return session.scalars(select(Department.id).where(Department.code == code)).one()


def test_who_writes_and_who_reads(settings: Settings) -> None:
    setup_org(settings)
    with write_session(settings) as session:
        enrol(session, "PIL", email("p00"), "sceptic", actor=SYSTEM)
        grant_role(session, email("oth.person"), "executive_viewer", actor=SYSTEM)
    pil = _department_id(settings, "PIL")
    with read_session(settings) as session:
        rights = {
            who: (
                can_write_journal(session, reader(session, who), pil),
                can_read_journal(session, reader(session, who), pil),
            )
            for who in ("pil.admin", "pil.champion", "p00", "p01", "oth.admin", "oth.person")
        }
        assert not can_read_journal(session, Reader(identity=None), pil)
        assert can_write_journal(session, SYSTEM, pil)
    assert rights == {
        "pil.admin": (True, True),  # department admin
        "pil.champion": (True, True),  # champion of the department
        "p00": (True, True),  # cohort member
        "p01": (False, True),  # the department's people read what the pilot learned
        "oth.admin": (False, False),  # another department's admin
        "oth.person": (False, True),  # executive viewer
    }
    with pytest.raises(NotAllowed), write_session(settings) as session:
        add_entry(session, "PIL", "problem", "Hello", actor=reader(session, "p01"))
    with read_session(settings) as session:
        outcome = session.scalars(
            select(AuditEvent.outcome).where(AuditEvent.action == "journal.add")
        ).all()
    assert outcome == ["denied"]


def test_problems_resolutions_and_limits(settings: Settings) -> None:
    setup_org(settings)
    with write_session(settings) as session:
        champion = reader(session, "pil.champion")
        onboarding = add_entry(
            session, "PIL", "onboarding", "  Accounts ready  ", "Day one\r\nok", actor=champion
        )
        problem = add_entry(session, "PIL", "problem", "Slow answers", actor=champion)
        other = add_entry(session, "PIL", "problem", "No French guide", actor=champion)
        resolution = add_entry(
            session,
            "PIL",
            "resolution",
            "Moved to the new index",
            actor=reader(session, "pil.admin"),
            resolves=problem.id,
        )
        other_dept = add_entry(
            session, "OTH", "problem", "Theirs", actor=reader(session, "oth.admin")
        )
        ids = (onboarding.id, problem.id, other.id, resolution.id, other_dept.id)
        cases: list[tuple[str, str, str, int | None, str]] = [
            ("gossip", "t", "", None, "category"),
            ("problem", "  ", "", None, "needs a title"),
            ("problem", "x" * (ENTRY_TITLE_MAX + 1), "", None, "title is longer"),
            ("problem", "t", "x" * (ENTRY_BODY_MAX + 1), None, "text is longer"),
            ("resolution", "t", "", None, "names the problem"),
            ("resolution", "t", "", other_dept.id, "no problem"),
            ("resolution", "t", "", onboarding.id, "not a problem"),
            ("training", "t", "", problem.id, "only a resolution"),
        ]
        for category, title, body, resolves, message in cases:
            with pytest.raises(JournalError, match=message):
                add_entry(session, "PIL", category, title, body, actor=champion, resolves=resolves)
    pil = _department_id(settings, "PIL")
    with read_session(settings) as session:
        views = {v.id: v for v in entries(session, pil)}
    assert set(views) == set(ids[:4])
    assert views[ids[0]].title == "Accounts ready" and views[ids[0]].body == "Day one\nok"
    assert views[ids[1]].resolved and views[ids[1]].resolutions == (ids[3],)
    assert not views[ids[2]].resolved
    assert views[ids[3]].resolves_id == ids[1]
    assert views[ids[0]].author_name == "Pil Champion"
    json.dumps(views[ids[1]].as_dict())


def test_edit_and_delete_own_entries(settings: Settings) -> None:
    setup_org(settings)
    with write_session(settings) as session:
        enrol(session, "PIL", email("p00"), "neutral", actor=SYSTEM)
        member = reader(session, "p00")
        mine = add_entry(session, "PIL", "training", "Short videos help", actor=member)
        theirs = add_entry(
            session, "PIL", "problem", "Login loop", actor=reader(session, "pil.champion")
        )
        fix = add_entry(
            session, "PIL", "resolution", "Cleared cookies", actor=member, resolves=theirs.id
        )
        edit_entry(session, "PIL", mine.id, actor=member, title="Short videos", body="5 min")
        mine_id, theirs_id, fix_id = mine.id, theirs.id, fix.id
    with pytest.raises(NotAllowed), write_session(settings) as session:
        edit_entry(session, "PIL", theirs_id, actor=reader(session, "p00"), title="x", body="")
    with pytest.raises(NotAllowed), write_session(settings) as session:
        delete_entry(session, "PIL", theirs_id, actor=reader(session, "p00"))
    with pytest.raises(EntryNotFound), write_session(settings) as session:
        delete_entry(session, "OTH", mine_id, actor=reader(session, "oth.admin"))
    with write_session(settings) as session:
        with pytest.raises(JournalError, match="delete the resolution first"):
            delete_entry(session, "PIL", theirs_id, actor=reader(session, "pil.admin"))
        delete_entry(session, "PIL", fix_id, actor=reader(session, "p00"))  # own
        delete_entry(session, "PIL", theirs_id, actor=reader(session, "pil.admin"))  # moderation
    with read_session(settings) as session:
        rows = session.scalars(select(JournalEntry)).all()
        audit = session.execute(
            select(AuditEvent.action, AuditEvent.outcome)
            .where(AuditEvent.action.startswith("journal."))
            .order_by(AuditEvent.id)
        ).all()
    assert [(r.id, r.title, r.body) for r in rows] == [(mine_id, "Short videos", "5 min")]
    assert [tuple(a) for a in audit] == [
        ("journal.add", "ok"),
        ("journal.add", "ok"),
        ("journal.add", "ok"),
        ("journal.edit", "ok"),
        ("journal.edit", "denied"),
        ("journal.delete", "denied"),
        ("journal.delete", "ok"),
        ("journal.delete", "ok"),
    ]
    # Someone who left the cohort no longer writes, even their own entry.
    with read_session(settings) as session:
        identity = identity_for(session, email("p00"))
    assert identity is not None
    with write_session(settings) as session:
        remove(session, "PIL", email("p00"), actor=SYSTEM)
    with pytest.raises(NotAllowed), write_session(settings) as session:
        edit_entry(session, "PIL", mine_id, actor=Reader(identity), title="x", body="")
