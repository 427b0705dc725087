"""Pilot cohorts: enrolment (one, many with per-line errors), attitude changes, removal, the
sceptic-share flag, who may change a cohort, and the comparison by attitude on a small
hand-computed usage history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from essor.analytics.models import UsageEvent
from essor.cli.rollout import app
from essor.db import dispose_engines, get_engine, read_session, write_session
from essor.governance.access import SYSTEM, Reader, identity_for
from essor.governance.actions import NotAllowed, grant_role
from essor.governance.models import AuditEvent
from essor.models import Base
from essor.people.models import Department, Person
from essor.rollout.cohorts import (
    CohortError,
    cohort,
    cohort_comparison,
    default_period,
    enrol,
    enrol_many,
    remove,
    set_attitude,
)
from essor.rollout.journal import add_entry
from essor.settings import Settings, get_settings, reset_settings_cache

DOMAIN = "pilot.example"


def email(name: str) -> str:
    return f"{name}@{DOMAIN}"


def add_department(session: Session, code: str) -> Department:
    department = Department(code=code, name=f"Department {code}")
    session.add(department)
    session.flush()
    return department


def add_people(
    session: Session,
    department: Department,
    names: list[str],
    *,
    status: str = "active",
    end: date | None = None,
) -> list[Person]:
    people = [
        Person(
            email=email(n),
            name=n.replace(".", " ").title(),
            department_id=department.id,
            status=status,
            end_date=end,
        )
        for n in names
    ]
    session.add_all(people)
    session.flush()
    return people


def reader(session: Session, name: str) -> Reader:
    identity = identity_for(session, email(name))
    assert identity is not None, name
    return Reader(identity)


def setup_org(settings: Settings) -> None:
    """PIL (the pilot) with its admin and 21 people; OTH another department with its admin."""
    with write_session(settings) as session:
        pil = add_department(session, "PIL")
        oth = add_department(session, "OTH")
        add_people(session, pil, ["pil.admin", "pil.champion", "pil.bystander"])
        add_people(session, pil, [f"p{i:02d}" for i in range(21)])
        add_people(session, pil, ["gone"], status="left", end=date(2025, 1, 31))
        add_people(session, oth, ["oth.admin", "oth.person"])
        grant_role(session, email("pil.admin"), "department_admin", actor=SYSTEM, department="PIL")
        grant_role(session, email("pil.champion"), "champion", actor=SYSTEM, department="PIL")
        grant_role(session, email("oth.admin"), "department_admin", actor=SYSTEM, department="OTH")


def audit_actions(settings: Settings, prefix: str) -> list[tuple[str, str, str]]:
    with read_session(settings) as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.outcome, AuditEvent.detail)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)
        ).all()
    return [(a, o, d) for a, o, d in rows]


def test_flag_at_19_percent_sceptics_but_not_at_20(settings: Settings) -> None:
    setup_org(settings)
    with write_session(settings) as session:
        admin = reader(session, "pil.admin")
        for i in range(21):
            attitude = "sceptic" if i < 4 else ("enthusiast" if i % 2 else "neutral")
            enrol(session, "PIL", email(f"p{i:02d}"), attitude, actor=admin)
        pil = session.scalars(select(Department).where(Department.code == "PIL")).one()
        state = cohort(session, pil, settings)
        assert state.size == 21 and state.counts["sceptic"] == 4
        assert state.sceptic_share == pytest.approx(4 / 21)  # 19 %
        assert state.flagged
        remove(session, "PIL", email("p20"), actor=admin)  # a neutral
        state = cohort(session, pil, settings)
        assert state.size == 20 and state.counts["sceptic"] == 4  # exactly 20 %
        assert not state.flagged
        set_attitude(session, "PIL", email("p00"), "enthusiast", actor=admin)
        state = cohort(session, pil, settings)
        assert state.counts["sceptic"] == 3 and state.flagged
        assert state.as_dict()["flagged"] is True
        json.dumps(state.as_dict())
    actions = [a for a, _, _ in audit_actions(settings, "cohort.")]
    assert actions.count("cohort.enrol") == 21
    assert actions[-2:] == ["cohort.remove", "cohort.attitude"]
    detail = json.loads(audit_actions(settings, "cohort.attitude")[0][2])
    assert detail == {"person": email("p00"), "from": "sceptic", "to": "enthusiast"}


def test_the_flag_follows_the_setting(settings: Settings) -> None:
    setup_org(settings)
    strict = settings.model_copy(update={"pilot_min_sceptic_share": 0.5})
    with write_session(settings) as session:
        admin = reader(session, "pil.admin")
        enrol(session, "PIL", email("p00"), "sceptic", actor=admin)
        enrol(session, "PIL", email("p01"), "neutral", actor=admin)
        enrol(session, "PIL", email("p02"), "neutral", actor=admin)
        pil = session.scalars(select(Department).where(Department.code == "PIL")).one()
        assert not cohort(session, pil, settings).flagged  # 1/3 ≥ 20 %
        assert cohort(session, pil, strict).flagged  # 1/3 < 50 %


def test_enrol_many_reports_each_bad_line(settings: Settings) -> None:
    setup_org(settings)
    lines = "\n".join(
        [
            f"{email('p00')}, sceptic",
            "",
            "# a comment",
            f"{email('P01').upper()}; enthusiast",
            "nobody@pilot.example, neutral",
            f"{email('oth.person')}, neutral",
            f"{email('p02')}, grumpy",
            f"{email('p00')}, neutral",
            f"{email('gone')}, neutral",
            f"{email('p03')}",
            f"{email('p04')}\tneutral",
            f"{email('p05')}, neutral, extra",
        ]
    )
    with write_session(settings) as session:
        result = enrol_many(session, "PIL", lines, actor=reader(session, "pil.admin"))
    assert result.enrolled == (email("p00"), email("p01"), email("p04"))
    assert [(e.line, e.reason) for e in result.errors] == [
        (5, "unknown person: nobody@pilot.example"),
        (6, f"{email('oth.person')} is not in department PIL"),
        (7, "attitude must be one of enthusiast, neutral, sceptic, not 'grumpy'"),
        (8, f"{email('p00')} is already in the cohort"),
        (9, f"{email('gone')} is not employed"),
        (10, "no attitude given (enthusiast, neutral or sceptic)"),
        (12, "expected an email and an attitude, nothing more"),
    ]
    with write_session(settings) as session:
        result = enrol_many(
            session,
            "PIL",
            [email("p03"), email("p05")],
            actor=reader(session, "pil.admin"),
            default_attitude="neutral",
        )
    assert result.enrolled == (email("p03"), email("p05")) and result.errors == ()


def test_who_may_change_a_cohort(settings: Settings) -> None:
    setup_org(settings)
    for who in ("oth.admin", "pil.champion", "p00"):
        with pytest.raises(NotAllowed), write_session(settings) as session:
            enrol(session, "PIL", email("p01"), "neutral", actor=reader(session, who))
    denied = audit_actions(settings, "cohort.enrol")
    assert [o for _, o, _ in denied] == ["denied"] * 3
    with write_session(settings) as session:
        grant_role(session, email("oth.person"), "programme_lead", actor=SYSTEM)
        enrol(session, "PIL", email("p01"), "neutral", actor=reader(session, "oth.person"))
        with pytest.raises(CohortError, match="future"):
            enrol(
                session, "PIL", email("p02"), "neutral", actor=SYSTEM, enrolled_on=date(2999, 1, 1)
            )
        with pytest.raises(CohortError, match="not in the cohort"):
            remove(session, "PIL", email("p02"), actor=SYSTEM)


# -- comparison -------------------------------------------------------------------------------
PERIOD = (date(2026, 3, 4), date(2026, 3, 31))  # 28 days


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


def event(
    session: Session,
    person: str,
    day: str,
    *,
    kind: str = "question",
    abstained: bool = False,
    department: str = "CMP",
) -> None:
    person_id = session.scalar(select(Person.id).where(Person.email == email(person)))
    department_id = session.scalar(select(Department.id).where(Department.code == department))
    session.add(
        UsageEvent(
            kind=kind,
            person_id=person_id,
            department_id=department_id,
            at=at(day),
            abstained=None if kind == "feedback" else abstained,
        )
    )


def setup_history(settings: Settings) -> int:
    """Three enthusiasts employed on the period's end (a fourth left), three neutrals, two
    sceptics, and their value events (see each comparison test for the hand computation)."""
    with write_session(settings) as session:
        cmp = add_department(session, "CMP")
        add_department(session, "ELSE")
        add_people(session, cmp, ["e1", "e2", "e3", "n1", "n2", "n3", "s1", "s2"])
        add_people(session, cmp, ["e4"], status="left", end=date(2026, 3, 15))
        enrolled = {name: date(2026, 1, 1) for name in ("e1", "e2", "e3", "e4", "n1", "n2")}
        enrolled |= {"n3": date(2026, 1, 20), "s1": date(2026, 1, 1), "s2": date(2026, 1, 1)}
        attitude = {"e": "enthusiast", "n": "neutral", "s": "sceptic"}
        for name, since in enrolled.items():
            # The person has left by now, so they are enrolled back when they worked there.
            person = session.scalars(select(Person).where(Person.email == email(name))).one()
            end, person.end_date, status = person.end_date, None, person.status
            person.status = "active"
            enrol(session, "CMP", email(name), attitude[name[0]], actor=SYSTEM, enrolled_on=since)
            person.end_date, person.status = end, status
        # e1: first 1 Feb, again 23 Feb (day 22: retained), active in P on 10 March.
        for day in ("2026-02-01", "2026-02-23", "2026-03-10"):
            event(session, "e1", day)
        # e2: first 10 Feb, day 10 only: not retained; in P only an abstained question and
        # feedback, which are no value events: not active.
        event(session, "e2", "2026-02-10", kind="workflow_run")
        event(session, "e2", "2026-02-20")
        event(session, "e2", "2026-03-12", abstained=True)
        event(session, "e2", "2026-03-13", kind="feedback")
        # e3: first 20 March: active, but their fourth week is not over by 31 March.
        event(session, "e3", "2026-03-20")
        # e4 left on 15 March: not a member on the period's end, whatever they did.
        event(session, "e4", "2026-02-01")
        event(session, "e4", "2026-02-25")
        event(session, "e4", "2026-03-10")
        # n1: first 5 Jan, day 25: retained; active on 5 March.
        for day in ("2026-01-05", "2026-01-30", "2026-03-05"):
            event(session, "n1", day)
        # n2: first 10 Jan, day 7 and day 28 (just outside the window): not retained; an event
        # in P made while in another department does not make them active.
        for day in ("2026-01-10", "2026-01-17", "2026-02-07"):
            event(session, "n2", day)
        event(session, "n2", "2026-03-15", department="ELSE")
        # n3: an event before enrolment (15 Jan) is ignored; first 1 Feb, day 21 (the window's
        # first day): retained; active on the period's last day.
        event(session, "n3", "2026-01-15")
        event(session, "n3", "2026-02-01", kind="workflow_run")
        event(session, "n3", "2026-02-22", kind="workflow_run")
        event(session, "n3", "2026-03-31")
        # s1: first 2 Feb, day 23: retained; active 20 March. s2: nothing.
        for day in ("2026-02-02", "2026-02-25", "2026-03-20"):
            event(session, "s1", day)
        return cmp.id


def test_comparison_by_attitude_hand_computed(settings: Settings) -> None:
    small = settings.model_copy(update={"privacy_min_group_size": 3})
    department_id = setup_history(settings)
    with read_session(settings) as session:
        result = cohort_comparison(
            session, department_id, period_start=PERIOD[0], period_end=PERIOD[1], settings=small
        )
    enthusiasts = result.group("enthusiast")
    assert (enthusiasts.members, enthusiasts.active) == (3, 2)  # e1, e3 of e1, e2, e3
    assert enthusiasts.depth == pytest.approx(2 / 3)
    # Eligible: e1 and e2 only, fewer than 3: withheld.
    assert enthusiasts.retention is None and enthusiasts.eligible is None
    assert enthusiasts.retention_reason == "too_few_eligible"
    neutrals = result.group("neutral")
    assert (neutrals.members, neutrals.active, neutrals.eligible, neutrals.retained) == (3, 2, 3, 2)
    assert neutrals.depth == pytest.approx(2 / 3)
    assert neutrals.retention == pytest.approx(2 / 3)
    sceptics = result.group("sceptic")
    assert sceptics.members == 2 and sceptics.reason == "too_small"
    assert (sceptics.active, sceptics.depth, sceptics.retention) == (None, None, None)
    everyone = result.total
    assert (everyone.members, everyone.active, everyone.eligible, everyone.retained) == (8, 5, 6, 4)
    assert everyone.depth == pytest.approx(5 / 8)
    assert everyone.retention == pytest.approx(4 / 6)
    data = json.loads(json.dumps(result.as_dict()))
    assert data["period"] == {"start": "2026-03-04", "end": "2026-03-31"}
    assert data["groups"][2]["depth"] is None and data["groups"][2]["reason"] == "too_small"
    assert data["min_group_size"] == 3


def test_comparison_hides_groups_below_the_default_threshold(settings: Settings) -> None:
    department_id = setup_history(settings)
    assert settings.privacy_min_group_size == 5
    with read_session(settings) as session:
        result = cohort_comparison(
            session, department_id, period_start=PERIOD[0], period_end=PERIOD[1], settings=settings
        )
    assert all(g.depth is None and g.reason == "too_small" for g in result.groups)
    assert result.total.depth == pytest.approx(5 / 8)
    assert result.total.retention == pytest.approx(4 / 6)


def test_comparison_for_a_period_without_events(settings: Settings) -> None:
    small = settings.model_copy(update={"privacy_min_group_size": 3})
    department_id = setup_history(settings)
    with read_session(settings) as session:
        result = cohort_comparison(
            session,
            department_id,
            period_start=date(2025, 12, 4),
            period_end=date(2025, 12, 31),
            settings=small,
        )
    neutrals = result.group("neutral")
    # Enrolled in 2026: nothing of theirs counts yet, and e4 was still employed then.
    assert (neutrals.members, neutrals.active, neutrals.depth) == (3, 0, 0.0)
    assert neutrals.retention is None and neutrals.retention_reason == "no_usage"
    assert result.group("enthusiast").members == 4


def test_default_period_is_the_last_28_days() -> None:
    assert default_period(date(2026, 3, 31)) == PERIOD


def test_migration_matches_the_pilot_models(settings: Settings) -> None:
    tables = {"cohort_member", "journal_entry"}
    assert set(Base.metadata.tables) >= tables
    with get_engine(settings).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if tables & set(str(d).split("'"))]
    assert mine == []


# -- CLI --------------------------------------------------------------------------------------
@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CliRunner, Settings]]:
    monkeypatch.setenv("ESSOR_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("COLUMNS", "200")
    reset_settings_cache()
    settings = get_settings()
    runner = CliRunner()
    runner.invoke(app, ["status"])  # migrates the database
    setup_org(settings)
    yield runner, settings
    dispose_engines()
    reset_settings_cache()


def test_cli_cohort_journal_and_playbook(cli: tuple[CliRunner, Settings], tmp_path: Path) -> None:
    runner, settings = cli
    lines = tmp_path / "cohort.txt"
    lines.write_text(
        f"{email('p00')}, enthusiast\n{email('p01')}\nnobody@pilot.example, sceptic\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["cohort", "enrol", "PIL", str(lines), "--attitude", "neutral"])
    assert result.exit_code == 1, result.output
    assert "2 enrolled in PIL" in result.output
    assert "line 3" in result.output and "unknown person: nobody@pilot.example" in result.output
    assert "flagged:" in result.output and "0 sceptics of 2 members" in result.output
    shown = runner.invoke(app, ["cohort", "show", "PIL", "--json", "--end", "2026-03-31"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["cohort"]["flagged"] is True and data["cohort"]["size"] == 2
    assert data["comparison"]["period"] == {"start": "2026-03-04", "end": "2026-03-31"}
    assert data["comparison"]["total"]["reason"] == "too_small"
    table = runner.invoke(app, ["cohort", "show", "PIL"])
    assert "FLAGGED" in table.output and "hidden (too_small)" in table.output
    assert runner.invoke(app, ["cohort", "show", "NOPE"]).exit_code == 2

    with write_session(settings) as session:
        add_entry(session, "PIL", "problem", "Slow [answers]", actor=reader(session, "p00"))
    listed = runner.invoke(app, ["journal", "PIL"])
    assert "problem (open): Slow [answers]" in listed.output
    as_json = json.loads(runner.invoke(app, ["journal", "PIL", "--json"]).output)
    assert as_json["entries"][0]["title"] == "Slow [answers]"
    out_md, out_pdf = tmp_path / "pb.md", tmp_path / "pb.pdf"
    assert runner.invoke(app, ["playbook", "PIL", "-o", str(out_md), "--lang", "fr"]).exit_code == 0
    assert "## Problèmes ouverts" in out_md.read_text(encoding="utf-8")
    assert runner.invoke(app, ["playbook", "PIL", "-o", str(out_pdf)]).exit_code == 0
    assert out_pdf.read_bytes().startswith(b"%PDF")
    assert runner.invoke(app, ["playbook", "PIL", "-o", str(tmp_path / "pb.txt")]).exit_code == 2
