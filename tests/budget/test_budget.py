"""Cost lines (validation, who may change them, audit), measured pilot usage on a hand-built
event history, the budget report and its privacy threshold, and the migration."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from essor.analytics.models import UsageEvent
from essor.analytics.rollups import catch_up
from essor.budget.access import can_see_budget
from essor.budget.actions import (
    BudgetError,
    LineInput,
    add_cost_line,
    delete_cost_line,
    update_cost_line,
)
from essor.budget.demo import seed_budget
from essor.budget.measure import measure_pilot_usage
from essor.budget.models import Budget, CostLine
from essor.budget.queries import budget_report, cost_lines
from essor.db import get_engine, read_session, write_session
from essor.governance.access import SYSTEM, Reader, identity_for
from essor.governance.actions import NotAllowed, grant_role
from essor.governance.models import AuditEvent
from essor.models import Base
from essor.people.models import Department, Person
from essor.rollout.models import DepartmentRollout
from essor.settings import Settings

HOSTING = LineInput("IT run budget", "platform_hosting", "Servers", amount=1500)


def test_migration_matches_the_models(settings: Settings) -> None:
    with get_engine(settings).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if {"budget", "cost_line"} & set(str(d).split("'"))]
    assert mine == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (LineInput("IT", "platform_hosting", "Servers", amount=-1), "at least 0"),
        (LineInput("IT", "platform_hosting", "Servers", amount=float("nan")), "at least 0"),
        (LineInput("IT", "platform_hosting", "Servers", amount=2e9), "at most"),
        (LineInput("IT", "platform_hosting", "Servers"), "amount is required"),
        (LineInput("IT", "marketing", "Ads", amount=1), "category must be one of"),
        (LineInput("IT", "training", "x" * 201, amount=1), "label must have 1 to 200"),
        (LineInput("IT", "training", "   ", amount=1), "label must have"),
        (LineInput("x" * 201, "training", "Course", amount=1), "budget must have"),
        (LineInput("IT", "training", "Course", period="yearly", amount=1), "period must be"),
        (LineInput("IT", "llm_usage", "Model", price_input_per_million=2), "output tokens is"),
        (LineInput("IT", "support_hours", "Desk", hours_per_week=10), "hourly rate is"),
        (
            LineInput("IT", "training", "Course", amount=1, department="NOPE"),
            "unknown department",
        ),
    ],
)
def test_bad_cost_lines_are_refused(settings: Settings, line: LineInput, message: str) -> None:
    with pytest.raises(BudgetError, match=message), write_session(settings) as s:
        add_cost_line(s, line, actor=SYSTEM)
    with read_session(settings) as s:
        assert s.scalars(select(CostLine)).all() == []
        assert s.scalars(select(Budget)).all() == []


def _person(settings: Settings, email: str, department: str | None = None) -> Reader:
    with write_session(settings) as s:
        dept = None
        if department:
            dept = s.scalar(select(Department).where(Department.code == department))
            if dept is None:
                dept = Department(code=department, name=department)
                s.add(dept)
                s.flush()
        s.add(
            Person(email=email, name=email.split("@")[0], department_id=dept.id if dept else None)
        )
    with read_session(settings) as s:
        identity = identity_for(s, email)
    assert identity is not None
    return Reader(identity)


def test_lines_are_added_changed_deleted_and_audited(settings: Settings) -> None:
    lead = _person(settings, "lead@x.example", "HR")
    with write_session(settings) as s:
        grant_role(s, "lead@x.example", "programme_lead", actor=SYSTEM)
    with read_session(settings) as s:
        identity = identity_for(s, "lead@x.example")
    assert identity is not None
    lead = Reader(identity)
    with write_session(settings) as s:
        hosting = add_cost_line(s, HOSTING, actor=lead).id
        model = add_cost_line(
            s,
            LineInput(
                "it run budget",  # the same budget, whatever the case
                "llm_usage",
                "Model API",
                period="monthly",  # ignored: a token-priced line's period is "usage"
                amount=99,  # ignored too
                price_input_per_million=2.5,
                price_output_per_million=10,
            ),
            actor=lead,
        ).id
    with read_session(settings) as s:
        lines = cost_lines(s)
    assert [(ln.budget, ln.label, ln.period, ln.amount) for ln in lines] == [
        ("IT run budget", "Servers", "monthly", 1500),
        ("IT run budget", "Model API", "usage", 0),
    ]
    # Moving the hosting line to a department's budget; its owner is that department's.
    with write_session(settings) as s:
        hr = s.scalar(select(Department).where(Department.code == "HR"))
        assert hr is not None
        s.add(
            DepartmentRollout(
                department_id=hr.id, stage="pilot", budget_owner_id=identity.person_id
            )
        )
    with write_session(settings) as s:
        update_cost_line(
            s,
            hosting,
            LineInput("HR budget", "platform_hosting", "Servers", amount=1200, department="hr"),
            actor=lead,
        )
    with read_session(settings) as s:
        moved = next(ln for ln in cost_lines(s) if ln.id == hosting)
        assert (moved.budget, moved.amount, moved.department, moved.owner) == (
            "HR budget",
            1200,
            "HR",
            "lead@x.example",
        )
    with write_session(settings) as s:
        delete_cost_line(s, model, actor=lead)
    with read_session(settings) as s:
        # The IT budget lost its last line and is gone.
        assert [b.name for b in s.scalars(select(Budget))] == ["HR budget"]
        actions = [
            (a.action, a.outcome, a.actor_email)
            for a in s.scalars(select(AuditEvent).where(AuditEvent.action.like("budget.%")))
        ]
    assert actions == [
        ("budget.line.add", "ok", "lead@x.example"),
        ("budget.line.add", "ok", "lead@x.example"),
        ("budget.line.update", "ok", "lead@x.example"),
        ("budget.line.delete", "ok", "lead@x.example"),
    ]


def test_members_and_viewers_may_not_change_lines(settings: Settings) -> None:
    member = _person(settings, "member@x.example", "HR")
    viewer_reader = _person(settings, "viewer@x.example", "HR")
    with write_session(settings) as s:
        grant_role(s, "viewer@x.example", "executive_viewer", actor=SYSTEM)
        line_id = add_cost_line(s, HOSTING, actor=SYSTEM).id
    with read_session(settings) as s:
        viewer_identity = identity_for(s, "viewer@x.example")
    assert viewer_identity is not None
    viewer = Reader(viewer_identity)
    for who in (member, viewer):
        with pytest.raises(NotAllowed), write_session(settings) as s:
            add_cost_line(s, HOSTING, actor=who)
        with pytest.raises(NotAllowed), write_session(settings) as s:
            delete_cost_line(s, line_id, actor=who)
    with read_session(settings) as s:
        assert len(s.scalars(select(CostLine)).all()) == 1
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert {(a.action, a.actor_email) for a in denied} == {
            ("budget.line.add", "member@x.example"),
            ("budget.line.delete", "member@x.example"),
            ("budget.line.add", "viewer@x.example"),
            ("budget.line.delete", "viewer@x.example"),
        }
        assert can_see_budget(s, viewer) and not can_see_budget(s, member)
        assert not can_see_budget(s, viewer_reader)  # the reader from before the grant


def _at(day: int, month: int = 10, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _history(settings: Settings) -> None:
    """PIL (pilot, 5 people) and ROL (rolling out, 2) are pilot departments; PLN is planned.

    In October: p1 asks (3 min by feedback), abstains once, runs wf-a (feedback 5 then 7 min);
    p2 runs wf-a (estimate 12) and asks late on the 28th; p3 only abstains; p4 runs a workflow
    gone from the registry and asks outside the period; p5 (planned department) asks.
    """
    with write_session(settings) as s:
        depts = {}
        for code, stage in (("PIL", "pilot"), ("ROL", "rolling_out"), ("PLN", "planned")):
            d = Department(code=code, name=code)
            s.add(d)
            s.flush()
            s.add(DepartmentRollout(department_id=d.id, stage=stage))
            depts[code] = d.id
        people = {}
        for name, code in (
            ("p1", "PIL"),
            ("p2", "PIL"),
            ("p3", "PIL"),
            ("i1", "PIL"),
            ("i2", "PIL"),
            ("p4", "ROL"),
            ("i3", "ROL"),
            ("p5", "PLN"),
        ):
            person = Person(email=f"{name}@x.example", name=name, department_id=depts[code])
            s.add(person)
            s.flush()
            people[name] = (person.id, depts[code])

        def event(who: str, kind: str, at: datetime, **extra: object) -> UsageEvent:
            pid, did = people[who]
            row = UsageEvent(kind=kind, person_id=pid, department_id=did, at=at, **extra)
            s.add(row)
            s.flush()
            return row

        q1 = event(
            "p1", "question", _at(2), abstained=False, prompt_tokens=100, completion_tokens=20
        )
        event("p1", "question", _at(3), abstained=True, prompt_tokens=50, completion_tokens=0)
        r1 = event(
            "p1",
            "workflow_run",
            _at(5),
            workflow_id="wf-a",
            prompt_tokens=300,
            completion_tokens=80,
        )
        event("p1", "feedback", _at(6), about_event_id=q1.id, minutes_saved=3)
        event("p1", "feedback", _at(6), about_event_id=r1.id, minutes_saved=5)
        event("p1", "feedback", _at(7), about_event_id=r1.id, minutes_saved=7, helpful=True)
        event(
            "p2",
            "workflow_run",
            _at(10),
            workflow_id="wf-a",
            prompt_tokens=200,
            completion_tokens=50,
        )
        event(
            "p2",
            "question",
            _at(28, hour=23),
            abstained=False,
            prompt_tokens=10,
            completion_tokens=5,
        )
        event("p3", "question", _at(4), abstained=True, prompt_tokens=40)
        event(
            "p4",
            "workflow_run",
            _at(15),
            workflow_id="wf-gone",
            prompt_tokens=60,
            completion_tokens=10,
        )
        event("p4", "question", _at(30, month=9), abstained=False, prompt_tokens=1000)
        event("p4", "question", _at(29), abstained=False, prompt_tokens=1000)
        event("p5", "question", _at(12), abstained=False, prompt_tokens=1000)


def test_measured_pilot_usage_by_hand(settings: Settings) -> None:
    _history(settings)
    catch_up(settings)  # the measure reads the rollups
    with read_session(settings) as s:
        m = measure_pilot_usage(
            s, start=date(2026, 10, 1), end=date(2026, 10, 28), workflow_minutes={"wf-a": 12}
        )
    assert m.departments == ("PIL", "ROL")
    assert m.headcount == 7
    assert m.active_people == 3  # p1, p2, p4 (p3 only abstained)
    assert m.value_events == 5  # p1: question, run; p2: run, question; p4: run
    assert m.prompt_tokens == 100 + 50 + 300 + 200 + 10 + 40 + 60
    assert m.completion_tokens == 20 + 80 + 50 + 5 + 10
    assert m.minutes_saved == 3 + 7 + 12  # p1's own figures, p2's run estimate
    assert m.days == 28


def test_budget_report_withholds_small_groups(settings: Settings) -> None:
    _history(settings)
    catch_up(settings)
    with write_session(settings) as s:
        add_cost_line(s, HOSTING, actor=SYSTEM)
    start, end = date(2026, 10, 1), date(2026, 10, 28)
    with read_session(settings) as s:
        withheld = budget_report(s, settings, start=start, end=end)  # minimum 5, 3 active people
        small = settings.model_copy(update={"privacy_min_group_size": 3})
        shown = budget_report(s, small, start=start, end=end, seat_price=10)
    assert withheld.withheld and withheld.projection is None
    assert withheld.as_dict()["measured"] is None
    assert [g.name for g in withheld.groups] == ["IT run budget"]
    assert shown.projection is not None
    assert shown.projection.inputs.full_headcount == 8
    assert shown.projection.per_seat.components["seats"] == 80
    assert shown.as_dict()["currency"] == "EUR"


def test_demo_lines_are_seeded_once(settings: Settings) -> None:
    with write_session(settings) as s:
        s.add(Department(code="HR", name="HR"))
    with write_session(settings) as s:
        assert seed_budget(s) == 5
    with write_session(settings) as s:
        assert seed_budget(s) == 0  # never on top of existing lines
    with read_session(settings) as s:
        lines = cost_lines(s)
    assert len(lines) == 5
    support = next(ln for ln in lines if ln.category == "support_hours")
    assert support.hours_per_week == 10  # no support model: the default
    assert next(ln for ln in lines if ln.category == "training").department == "HR"
