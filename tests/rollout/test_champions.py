"""The champions network: roster and coverage computed from role grants and the rollout,
training status on the roster, and the feed's rules (who posts, reads, deletes, hides)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from essor.cli.champions import app as cli_app
from essor.db import dispose_engines, read_session, write_session
from essor.governance.access import NOBODY, SYSTEM, Reader, identity_for
from essor.governance.actions import NotAllowed, grant_role, revoke_role
from essor.governance.models import AuditEvent
from essor.people.models import Department, Person
from essor.rollout.actions import advance_stage, create_wave, set_wave
from essor.rollout.champions import (
    NEAR_ROLLOUT_DAYS,
    ChampionPost,
    ChampionsError,
    Coverage,
    can_read_feed,
    coverage,
    create_post,
    delete_post,
    feed,
    flagged_departments,
    near_rollout,
    roster,
    set_hidden,
    stories,
)
from essor.settings import Settings, get_settings, reset_settings_cache
from essor.training.actions import mark_done, save_resource, save_track

TODAY = date.today()


@pytest.fixture
def org(settings: Settings) -> Settings:
    """PIL (pilot), SOON (planned, wave in 30 days), LATER (planned, wave in 90 days)."""
    with write_session(settings) as s:
        departments = {c: Department(code=c, name=c.title()) for c in ("PIL", "SOON", "LATER")}
        s.add_all(departments.values())
        s.flush()
        s.add_all(
            [
                Person(email="pia@x.example", name="Pia", department_id=departments["PIL"].id),
                Person(email="paul@x.example", name="Paul", department_id=departments["PIL"].id),
                Person(email="sam@x.example", name="Sam", department_id=departments["SOON"].id),
                Person(email="lou@x.example", name="Lou", department_id=departments["LATER"].id),
                Person(email="lead@x.example", name="Lead", department_id=departments["PIL"].id),
                Person(email="da@x.example", name="Dana", department_id=departments["SOON"].id),
                Person(
                    email="gone@x.example",
                    name="Gone",
                    department_id=departments["PIL"].id,
                    status="left",
                    end_date=TODAY - timedelta(days=3),
                ),
            ]
        )
    with write_session(settings) as s:
        grant_role(s, "lead@x.example", "programme_lead", actor=SYSTEM)
        grant_role(s, "da@x.example", "department_admin", actor=SYSTEM, department="SOON")
        create_wave(s, "Soon", actor=SYSTEM, start=TODAY + timedelta(days=30))
        create_wave(s, "Later", actor=SYSTEM, start=TODAY + timedelta(days=90))
        set_wave(s, "SOON", "Soon", actor=SYSTEM)
        set_wave(s, "LATER", "Later", actor=SYSTEM)
        advance_stage(s, "PIL", actor=SYSTEM, reason="pilot agreed", settings=settings)
    return settings


def reader(settings: Settings, email: str) -> Reader:
    with read_session(settings) as s:
        return Reader(identity=identity_for(s, email))


def grant(settings: Settings, email: str, department: str) -> None:
    with write_session(settings) as s:
        grant_role(s, email, "champion", actor=SYSTEM, department=department)


def covered(settings: Settings) -> dict[str, Coverage]:
    with read_session(settings) as s:
        return {c.code: c for c in coverage(s)}


# -- roster and coverage ----------------------------------------------------------------------
def test_roster_follows_the_champion_role(org: Settings) -> None:
    with read_session(org) as s:
        assert roster(s) == []
    grant(org, "pia@x.example", "PIL")
    grant(org, "sam@x.example", "PIL")  # a champion for another department than their own
    grant(org, "gone@x.example", "PIL")  # left: not on the roster
    with read_session(org) as s:
        champions = roster(s)
    assert [(c.email, c.department) for c in champions] == [
        ("pia@x.example", "PIL"),
        ("sam@x.example", "PIL"),
    ]
    assert champions[0].since.date() == TODAY
    with write_session(org) as s:
        revoke_role(s, "pia@x.example", "champion", actor=SYSTEM, department="PIL")
    with read_session(org) as s:
        assert [c.email for c in roster(s)] == ["sam@x.example"]
        assert [c.email for c in roster(s, department_ids=set())] == []


def test_coverage_flags_departments_in_or_near_the_rollout_without_a_champion(
    org: Settings,
) -> None:
    before = covered(org)
    assert (before["PIL"].near, before["PIL"].flagged) == ("pilot", True)
    assert (before["SOON"].near, before["SOON"].flagged) == ("wave_soon", True)
    assert (before["LATER"].near, before["LATER"].flagged) == ("", False)
    grant(org, "paul@x.example", "PIL")
    grant(org, "gone@x.example", "SOON")  # someone who left does not cover a department
    after = covered(org)
    assert (after["PIL"].champions, after["PIL"].flagged) == (1, False)
    assert (after["SOON"].champions, after["SOON"].flagged) == (0, True)
    with read_session(org) as s:
        assert flagged_departments(s) == ["SOON"]
        # Ninety days from now the later wave is within the window too.
        assert flagged_departments(s, on=TODAY + timedelta(days=40)) == ["LATER", "SOON"]


def test_the_near_rollout_window_edges() -> None:
    start = TODAY + timedelta(days=NEAR_ROLLOUT_DAYS)
    assert near_rollout("planned", start, TODAY) == "wave_soon"
    assert near_rollout("planned", start + timedelta(days=1), TODAY) == ""
    assert near_rollout("planned", TODAY - timedelta(days=5), TODAY) == "wave_soon"  # started
    assert near_rollout("planned", None, TODAY) == ""
    assert near_rollout("rolling_out", None, TODAY) == "rolling_out"
    assert near_rollout("adopted", None, TODAY) == ""


def test_roster_shows_progress_on_the_power_track(org: Settings) -> None:
    grant(org, "pia@x.example", "PIL")
    with write_session(org) as s:
        track = save_track(s, actor=SYSTEM, tier="power", title_en="Power")
        ids = [
            save_resource(s, actor=SYSTEM, track_id=track.id, kind="guide", title_en=f"R{i}").id
            for i in range(4)
        ]
        # Quick-start resources are not part of a champion's training status.
        quick = save_track(s, actor=SYSTEM, tier="occasional", title_en="Quick")
        q = save_resource(s, actor=SYSTEM, track_id=quick.id, kind="guide", title_en="Q")
    pia = reader(org, "pia@x.example")
    with write_session(org) as s:
        for resource_id in [*ids[:3], q.id]:
            mark_done(s, resource_id, actor=pia)
    with read_session(org) as s:
        (champion,) = roster(s)
    assert (champion.done, champion.total, champion.completion) == (3, 4, 0.75)
    assert not champion.trained
    with write_session(org) as s:
        mark_done(s, ids[3], actor=pia)
    with read_session(org) as s:
        assert roster(s)[0].trained


# -- the feed ---------------------------------------------------------------------------------
def test_who_may_read_and_post(org: Settings) -> None:
    grant(org, "pia@x.example", "PIL")
    member, dept_admin = reader(org, "lou@x.example"), reader(org, "da@x.example")
    champion, lead = reader(org, "pia@x.example"), reader(org, "lead@x.example")
    assert not can_read_feed(member) and not can_read_feed(NOBODY)
    assert can_read_feed(dept_admin) and can_read_feed(champion) and can_read_feed(lead)
    with pytest.raises(NotAllowed), write_session(org) as s:
        create_post(s, actor=member, kind="question", body="May I?")
    with pytest.raises(NotAllowed), write_session(org) as s:
        create_post(s, actor=dept_admin, kind="question", body="May I?")
    with pytest.raises(NotAllowed), read_session(org) as s:
        feed(s, reader=member)
    with write_session(org) as s:
        create_post(s, actor=champion, kind="question", title="Tone", body="Formal?")
        create_post(s, actor=lead, kind="story", title="Win", body="It worked.")
    with read_session(org) as s:
        assert [p.title for p in feed(s, reader=dept_admin)] == ["Win", "Tone"]
        # Stories are for every signed-in person; nobody signed in reads nothing.
        assert [p.title for p in stories(s, reader=member)] == ["Win"]
        with pytest.raises(NotAllowed):
            stories(s, reader=NOBODY)
        denied = s.scalars(
            select(AuditEvent.actor_email).where(
                AuditEvent.action == "champions.post", AuditEvent.outcome == "denied"
            )
        ).all()
        posted = s.scalars(
            select(AuditEvent.actor_email).where(
                AuditEvent.action == "champions.post", AuditEvent.outcome == "ok"
            )
        ).all()
    assert sorted(denied) == ["da@x.example", "lou@x.example"]
    assert sorted(posted) == ["lead@x.example", "pia@x.example"]


def test_answers_hang_under_their_question(org: Settings) -> None:
    grant(org, "pia@x.example", "PIL")
    grant(org, "sam@x.example", "SOON")
    pia, sam = reader(org, "pia@x.example"), reader(org, "sam@x.example")
    with write_session(org) as s:
        question = create_post(s, actor=pia, kind="question", title="Q", body="How?")
        create_post(s, actor=sam, kind="answer", parent_id=question.id, body="Like this.")
        story = create_post(s, actor=sam, kind="story", title="S", body="Done.")
        qid, sid = question.id, story.id
    with pytest.raises(ChampionsError, match="replies to a question"), write_session(org) as s:
        create_post(s, actor=sam, kind="answer", parent_id=sid, body="An answer to a story")
    with read_session(org) as s:
        posts = {p.id: p for p in feed(s, reader=pia)}
    assert [a.body for a in posts[qid].answers] == ["Like this."]
    assert posts[qid].department == "PIL" and posts[sid].department == "SOON"
    assert posts[qid].mine and not posts[sid].mine


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "question", "body": "  "}, "needs its text"),
        ({"kind": "question", "body": "x" * 4001}, "at most 4,000"),
        ({"kind": "question", "body": "b", "title": "t" * 201}, "at most 200"),
        ({"kind": "story", "body": "b"}, "needs a title"),
        (
            {"kind": "story", "title": "t", "body": "b", "impact_value": 0.0, "impact_unit": "m"},
            "above 0",
        ),
        (
            {
                "kind": "story",
                "title": "t",
                "body": "b",
                "impact_value": float("nan"),
                "impact_unit": "m",
            },
            "above 0",
        ),
        (
            {"kind": "story", "title": "t", "body": "b", "impact_value": 2e6, "impact_unit": "m"},
            "at most",
        ),
        ({"kind": "story", "title": "t", "body": "b", "impact_value": 5.0}, "needs its unit"),
        ({"kind": "story", "title": "t", "body": "b", "impact_unit": "minutes"}, "needs a figure"),
        ({"kind": "story", "title": "t", "body": "b", "workflow_id": "ghost"}, "unknown workflow"),
        ({"kind": "question", "body": "b", "workflow_id": "known"}, "only a success story"),
        ({"kind": "poll", "body": "b"}, "unknown kind"),
    ],
)
def test_bad_posts_are_refused(org: Settings, fields: dict[str, object], message: str) -> None:
    grant(org, "pia@x.example", "PIL")
    with pytest.raises(ChampionsError, match=message), write_session(org) as s:
        create_post(
            s,
            actor=reader(org, "pia@x.example"),
            known_workflows={"known"},
            **fields,  # type: ignore[arg-type]
        )


def test_a_story_names_a_workflow_and_its_impact(org: Settings) -> None:
    grant(org, "pia@x.example", "PIL")
    with write_session(org) as s:
        create_post(
            s,
            actor=reader(org, "pia@x.example"),
            kind="story",
            title="Faster replies",
            body="Half the time.",
            workflow_id="customer-service-reply",
            impact_value=45,
            impact_unit=" minutes saved per week ",
            known_workflows={"customer-service-reply"},
        )
    with read_session(org) as s:
        (story,) = stories(s, reader=reader(org, "lou@x.example"))
    assert (story.workflow_id, story.impact_value, story.impact_unit) == (
        "customer-service-reply",
        45,
        "minutes saved per week",
    )


def test_authors_delete_their_own_and_leads_hide_any(org: Settings) -> None:
    grant(org, "pia@x.example", "PIL")
    grant(org, "sam@x.example", "SOON")
    pia, sam = reader(org, "pia@x.example"), reader(org, "sam@x.example")
    lead = reader(org, "lead@x.example")
    with write_session(org) as s:
        question = create_post(s, actor=pia, kind="question", title="Q", body="?")
        create_post(s, actor=sam, kind="answer", parent_id=question.id, body="!")
        story = create_post(s, actor=sam, kind="story", title="S", body="ok")
        qid, sid = question.id, story.id
    with pytest.raises(NotAllowed), write_session(org) as s:
        delete_post(s, sid, actor=pia)
    with pytest.raises(ChampionsError, match="has answers"), write_session(org) as s:
        delete_post(s, qid, actor=pia)
    with pytest.raises(NotAllowed), write_session(org) as s:
        set_hidden(s, qid, True, actor=sam)
    with write_session(org) as s:
        set_hidden(s, qid, True, actor=lead)
        delete_post(s, sid, actor=sam)
    with read_session(org) as s:
        assert s.get(ChampionPost, sid) is None
        assert feed(s, reader=pia) == []  # the hidden question and its answer are gone
        assert [p.id for p in feed(s, reader=lead)] == [qid]  # a moderator still sees it
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action.startswith("champions."))
        ).all()
    assert {"champions.delete", "champions.hide"} <= set(actions)


# -- essor champions --------------------------------------------------------------------------
def test_cli_roster_coverage_and_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSOR_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("COLUMNS", "200")
    reset_settings_cache()
    try:
        runner = CliRunner()
        assert runner.invoke(cli_app, ["coverage"]).exit_code == 0  # migrates the database
        settings = get_settings()
        with write_session(settings) as s:
            dept = Department(code="PIL", name="Pilot")
            s.add(dept)
            s.flush()
            s.add(Person(email="pia@x.example", name="Pia", department_id=dept.id))
        with write_session(settings) as s:
            advance_stage(s, "PIL", actor=SYSTEM, reason="pilot agreed", settings=settings)
        flagged = json.loads(runner.invoke(cli_app, ["coverage", "--json"]).stdout)
        assert flagged["departments"][0]["flagged"] is True
        assert "NO CHAMPION" in runner.invoke(cli_app, ["coverage"]).stdout
        grant(settings, "pia@x.example", "PIL")
        covered_now = json.loads(runner.invoke(cli_app, ["coverage", "--json"]).stdout)
        assert covered_now["departments"][0] == {
            "code": "PIL",
            "stage": "pilot",
            "wave": None,
            "wave_start": None,
            "champions": 1,
            "near_rollout": "pilot",
            "flagged": False,
        }
        roster_json = json.loads(runner.invoke(cli_app, ["roster", "--json"]).stdout)
        assert [c["email"] for c in roster_json["champions"]] == ["pia@x.example"]
        assert "pia@x.example" in runner.invoke(cli_app, ["roster"]).stdout
        training = json.loads(runner.invoke(cli_app, ["training", "--json"]).stdout)
        assert training["departments"][0]["champions"] == 1
        assert runner.invoke(cli_app, ["training"]).exit_code == 0
    finally:
        dispose_engines()
        reset_settings_cache()
