"""The simulated organisation: labelled, deterministic, shaped by department and attitude."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from essor.analytics.metrics import organisation_metrics
from essor.analytics.models import UsageEvent
from essor.analytics.periods import default_period
from essor.analytics.rollups import catch_up
from essor.analytics.simulate import (
    CODE_PREFIX,
    EMAIL_DOMAIN,
    MODE,
    seed_demo_usage,
    simulate_organisation,
    simulate_usage,
)
from essor.db import read_session, write_session
from essor.demo.people import seed_people
from essor.demo.rollout import seed_rollout
from essor.people.models import Department, Person
from essor.settings import Settings
from tests.analytics.usage_factory import Org, reference_rollups, stored_rollups
from tests.conftest import make_settings

END = date(2026, 3, 29)


def _events(settings: Settings) -> list[tuple[object, ...]]:
    with read_session(settings) as session:
        return [
            tuple(r)
            for r in session.execute(
                select(
                    UsageEvent.id,
                    UsageEvent.at,
                    UsageEvent.kind,
                    UsageEvent.person_id,
                    UsageEvent.workflow_id,
                    UsageEvent.about_event_id,
                    UsageEvent.helpful,
                    UsageEvent.minutes_saved,
                ).order_by(UsageEvent.id)
            )
        ]


def test_everything_simulated_is_labelled_and_the_seed_repeats_it(
    settings: Settings, tmp_path: Path
) -> None:
    summary = simulate_organisation(settings, people=150, days=50, seed=4, end=END)
    with read_session(settings) as session:
        departments = session.execute(select(Department.code, Department.name)).all()
        emails = session.scalars(select(Person.email)).all()
        modes = session.execute(
            select(UsageEvent.mode, UsageEvent.model, func.count()).group_by(
                UsageEvent.mode, UsageEvent.model
            )
        ).all()
        kinds = Counter(session.scalars(select(UsageEvent.kind)).all())
        first, last = session.execute(
            select(func.min(UsageEvent.at), func.max(UsageEvent.at))
        ).one()
    assert summary.departments == len(departments) >= 3
    assert all(c.startswith(CODE_PREFIX) and n.endswith("(simulated)") for c, n in departments)
    assert len(emails) == 150 and all(e.endswith(f"@{EMAIL_DOMAIN}") for e in emails)
    assert modes == [(MODE, MODE, summary.usage.events)]
    assert (kinds["question"], kinds["workflow_run"], kinds["feedback"]) == (
        summary.usage.questions,
        summary.usage.runs,
        summary.usage.feedback,
    )
    assert summary.usage.events > 500 and summary.usage.feedback > 0
    assert first.date() >= END - timedelta(days=49) and last.date() <= END
    again = make_settings(tmp_path / "again")
    simulate_organisation(again, people=150, days=50, seed=4, end=END)
    assert _events(again) == _events(settings)
    other = make_settings(tmp_path / "other")
    simulate_organisation(other, people=150, days=50, seed=5, end=END)
    assert _events(other) != _events(settings)


def test_feedback_is_about_its_own_persons_answer_and_employment_is_respected(
    settings: Settings,
) -> None:
    simulate_organisation(settings, people=200, days=60, seed=6, end=END)
    with read_session(settings) as session:
        events = {e.id: e for e in session.scalars(select(UsageEvent))}
        people = {p.id: p for p in session.scalars(select(Person))}
    assert any(p.status == "left" for p in people.values())
    assert any(p.start_date and p.start_date > END - timedelta(days=60) for p in people.values())
    for e in events.values():
        p = people[e.person_id or 0]
        assert e.department_id == p.department_id
        assert p.start_date is None or e.at.date() >= p.start_date
        assert p.end_date is None or e.at.date() <= p.end_date
        if e.kind == "feedback":
            about = events[e.about_event_id or 0]
            assert about.kind in ("question", "workflow_run") and about.person_id == e.person_id
            assert about.id < e.id and about.at <= e.at
    catch_up(settings)
    assert stored_rollups(settings) == reference_rollups(settings)


def test_adoption_differs_by_attitude_and_by_department(settings: Settings) -> None:
    simulate_organisation(settings, people=900, days=90, seed=7, end=END)
    period = default_period(END)
    with read_session(settings) as session:
        attitude = dict(session.execute(select(Person.id, Person.attitude)).all())
        active = set(
            session.scalars(
                select(UsageEvent.person_id).where(
                    UsageEvent.kind != "feedback", UsageEvent.at >= period.start
                )
            )
        )
    share = {}
    for a in ("enthusiast", "neutral", "sceptic"):
        group = [p for p, x in attitude.items() if x == a]
        share[a] = len([p for p in group if p in active]) / len(group)
    assert share["enthusiast"] > share["neutral"] > share["sceptic"]
    catch_up(settings)
    with read_session(settings) as session:
        m = organisation_metrics(session, settings, period=period)
    depths = [d.depth for d in m.departments if d.depth is not None]
    assert max(depths) - min(depths) > 0.1
    assert {d.sustainability.status for d in m.departments} - {"too_early"}


def test_simulated_usage_for_an_existing_directory(settings: Settings) -> None:
    org = Org(settings)
    hr = org.department("HR", 8)
    cs = org.department("CS", 8)
    with write_session(settings) as session:
        everyone_from_day_one = {"HR": (0.0, 1.0), "CS": (0.0, 1.0)}
        summary = simulate_usage(
            session, settings, days=40, seed=3, end=END, launches=everyone_from_day_one
        )
    assert summary.people == 16 and summary.events > 0
    with read_session(settings) as session:
        people = set(session.scalars(select(UsageEvent.person_id)))
        workflows = set(session.scalars(select(UsageEvent.workflow_id)))
        assert session.scalar(select(func.count(Person.id))) == 16
    assert people <= set(hr) | set(cs)
    # Each department runs its own prebuilt workflows besides "ask".
    assert {"customer-service-reply", "hr-policy-answer"} <= workflows


def test_the_demo_gets_months_of_usage_that_follow_its_rollout(settings: Settings) -> None:
    with write_session(settings) as session:
        seed_people(session)
    with write_session(settings) as session:
        seed_rollout(session, settings)
    with write_session(settings) as session:
        summary = seed_demo_usage(session, settings, end=END)
    assert summary is not None and summary.days >= 90 and summary.events > 1000
    with write_session(settings) as session:
        assert seed_demo_usage(session, settings, end=END) is None  # only once
    catch_up(settings)
    with read_session(settings) as session:
        m = organisation_metrics(session, settings, period=default_period(END))
    depth = {d.code: d.depth or 0.0 for d in m.departments}
    # IT has adopted, CS is rolling out, HR is in pilot, FIN has not started.
    assert depth["IT"] > depth["HR"] > depth["FIN"]
    assert depth["CS"] > depth["FIN"]


def test_in_a_pilot_department_only_the_cohort_uses_it_with_its_attitudes(
    settings: Settings,
) -> None:
    from essor.demo.pilot import seed_pilot
    from essor.rollout.cohorts import cohort_comparison
    from essor.rollout.pilot_models import CohortMember

    today = date.today()
    with write_session(settings) as session:
        seed_people(session)
    with write_session(settings) as session:
        seed_rollout(session, settings)
    with write_session(settings) as session:
        assert seed_pilot(session, settings)
    with write_session(settings) as session:
        assert seed_demo_usage(session, settings, end=today) is not None
    with read_session(settings) as session:
        hr = session.scalar(select(Department).where(Department.code == "HR"))
        assert hr is not None
        members = dict(
            session.execute(
                select(CohortMember.person_id, CohortMember.enrolled_on).where(
                    CohortMember.department_id == hr.id
                )
            ).all()
        )
        users = session.execute(
            select(UsageEvent.person_id, func.min(UsageEvent.at))
            .where(UsageEvent.department_id == hr.id, UsageEvent.kind != "feedback")
            .group_by(UsageEvent.person_id)
        ).all()
        assert users, "the HR pilot cohort has usage"
        for person_id, first_at in users:
            assert person_id in members  # nobody outside the cohort
            assert first_at.date() >= members[person_id]  # nothing before enrolment
        period = default_period(today)
        result = cohort_comparison(
            session, hr.id, period_start=period.start, period_end=period.end, settings=settings
        )
    enthusiasts, sceptics = result.group("enthusiast"), result.group("sceptic")
    assert enthusiasts.depth is not None and sceptics.depth is not None
    assert enthusiasts.depth > sceptics.depth
