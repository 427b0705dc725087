"""Every adoption metric on small cases computed by hand (docs/metrics.md has the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from essor.analytics.metrics import (
    DECLINING,
    GROWING,
    NO_HEADCOUNT,
    STABLE,
    TOO_EARLY,
    TOO_SMALL,
    WITHHELD,
    OrgMetrics,
    UnknownDepartment,
    organisation_metrics,
    sustainability,
    weekly_active_people,
    workflow_weeks,
)
from essor.analytics.periods import Period, complete_weeks, default_period, period_from
from essor.analytics.rollups import catch_up
from essor.db import read_session, write_session
from essor.rollout.pilot_models import CohortMember
from essor.settings import Settings
from tests.analytics.usage_factory import Org

# Monday 2 March to Sunday 29 March 2026: four whole ISO weeks.
P = Period(date(2026, 3, 2), date(2026, 3, 29))


def d(day: int, month: int = 3) -> date:
    return date(2026, month, day)


@dataclass
class Small:
    org: Org
    hr: list[int]
    ops: list[int]
    tiny: list[int]
    left: int
    alone: int


@pytest.fixture
def small(settings: Settings) -> Small:
    """HR: 6 employed and one who left on 15 March; OPS: 5; TINY: 2; EMPTY: nobody employed
    yet on 29 March; one person without a department. Headcount on 29 March: 6 + 5 + 2 + 1."""
    org = Org(settings)
    hr = org.department("HR", 6)
    left = org.person("HR", status="left", end=d(15))
    ops = org.department("OPS", 5)
    tiny = org.department("TINY", 2)
    org.department("EMPTY")
    org.person("EMPTY", start=d(10, 4))
    alone = org.person(None)
    org.run(hr[0], d(3), "hr-policy-answer")  # 6 minutes (the workflow's estimate)
    r = org.run(hr[1], d(4), "hr-policy-answer")
    org.feedback(r, d(5), helpful=True, minutes_saved=15)  # replaced by their own 15
    q = org.question(hr[2], d(5))
    org.feedback(q, d(6), resolved_without_ticket=True)  # a ticket avoided, no minutes
    org.question(hr[3], d(6), abstained=True)  # not a value event: not active
    org.run(left, d(10), "hr-policy-answer")  # 6 minutes; active, not in the headcount
    q = org.question(ops[0], d(10))
    org.feedback(q, d(10), helpful=False)  # active but not helped
    org.run(ops[1], d(11), "sales-proposal", abstained=True)  # still a run: 25 minutes
    org.question(tiny[0], d(12))
    org.question(alone, d(12))
    org.run(hr[4], d(20, 2), "hr-policy-answer")  # before the period
    org.run(hr[5], d(30), "hr-policy-answer")  # after it
    catch_up(settings)
    return Small(org, hr, ops, tiny, left, alone)


def metrics(settings: Settings, period: Period = P, department: str | None = None) -> OrgMetrics:
    with read_session(settings) as session:
        return organisation_metrics(session, settings, period=period, department=department)


def test_breadth_depth_and_impact_by_hand(settings: Settings, small: Small) -> None:
    half = settings.model_copy(update={"breadth_threshold": 0.5})
    m = metrics(half)
    assert m.headcount == 14
    # h1, h2, h3, the one who left, o1, o2, t1 and the person without a department.
    assert m.active == 8
    assert m.depth == pytest.approx(8 / 14)
    by_code = {x.code: x for x in m.departments}
    assert by_code["HR"].headcount == 6 and by_code["HR"].active == 4
    assert by_code["HR"].depth == pytest.approx(4 / 6)
    assert by_code["OPS"].active == 2 and by_code["OPS"].depth == pytest.approx(0.4)
    # In scope: HR and OPS. TINY (2 people) is under the minimum group size, so it stays out
    # even though its depth (1/2) would reach 50 %; EMPTY has no headcount. Reaching 50 %: HR.
    assert (m.departments_in_scope, m.breadth_departments) == (2, 1)
    assert m.breadth == pytest.approx(1 / 2)
    assert by_code["HR"].counts_for_breadth is True
    assert by_code["OPS"].counts_for_breadth is False
    assert m.impact is not None
    assert m.impact.minutes_saved == 6 + 15 + 6 + 25
    assert m.impact.tickets_avoided == 1
    assert m.impact.employees_helped == 7
    hr = by_code["HR"].impact
    assert hr is not None and (hr.minutes_saved, hr.tickets_avoided, hr.employees_helped) == (
        27,
        1,
        4,
    )
    ops = by_code["OPS"].impact
    assert ops is not None and (ops.minutes_saved, ops.employees_helped) == (25, 1)
    assert m.questions is not None
    assert (m.questions.answered, m.questions.abstained, m.questions.unhelpful) == (4, 1, 1)
    assert m.diversity == 0 and m.diversity_workflows == ()


def test_default_breadth_threshold_counts_every_department_in_scope(
    settings: Settings, small: Small
) -> None:
    m = metrics(settings)
    assert settings.breadth_threshold == 0.10
    assert m.breadth == 1.0 and m.breadth_departments == 2
    # Lowering the minimum group size to 2 is refused (never below 3), so TINY never counts.
    assert m.departments_in_scope == 2


def test_small_and_empty_departments_show_no_figures(settings: Settings, small: Small) -> None:
    m = metrics(settings)
    by_code = {x.code: x for x in m.departments}
    tiny, empty = by_code["TINY"], by_code["EMPTY"]
    assert (tiny.headcount, tiny.reason, tiny.active, tiny.depth, tiny.impact) == (
        2,
        TOO_SMALL,
        None,
        None,
        None,
    )
    assert tiny.sustainability.status == WITHHELD and tiny.sustainability.weeks == ()
    assert (empty.headcount, empty.reason, empty.active, empty.depth) == (
        0,
        NO_HEADCOUNT,
        None,
        None,
    )
    # Workflows: hr-policy-answer ran by 3 people, sales-proposal by 1: both under 5.
    hr_policy = m.workflow("hr-policy-answer")
    assert hr_policy is not None
    assert (hr_policy.runs, hr_policy.people, hr_policy.reason) == (None, None, TOO_SMALL)
    ask = m.workflow("ask")
    assert ask is not None and (ask.runs, ask.people, ask.reason) == (0, 0, None)
    tiny_scope = metrics(settings, department="tiny")
    assert tiny_scope.department == "TINY" and tiny_scope.reason == TOO_SMALL
    assert (tiny_scope.active, tiny_scope.depth, tiny_scope.impact) == (None, None, None)
    assert metrics(settings, department="EMPTY").reason == NO_HEADCOUNT
    with pytest.raises(UnknownDepartment):
        metrics(settings, department="NOPE")


def test_a_lower_privacy_threshold_shows_groups_of_that_size(
    settings: Settings, small: Small
) -> None:
    three = settings.model_copy(update={"privacy_min_group_size": 3})
    m = metrics(three)
    hr_policy = m.workflow("hr-policy-answer")
    assert hr_policy is not None
    assert (hr_policy.runs, hr_policy.people, hr_policy.minutes_saved) == (3, 3, 27)
    assert (hr_policy.helpful, hr_policy.unhelpful, hr_policy.unhelpful_share) == (1, 0, 0.0)
    sales = m.workflow("sales-proposal")
    assert sales is not None and sales.reason == TOO_SMALL  # one person
    by_code = {x.code: x for x in m.departments}
    assert by_code["TINY"].reason == TOO_SMALL  # 2 people
    # The threshold is never below 3, whatever the settings say.
    assert Settings.model_fields["privacy_min_group_size"].metadata[0].ge == 3


def test_one_department(settings: Settings, small: Small) -> None:
    m = metrics(settings, department="HR")
    assert (m.department, m.headcount, m.active) == ("HR", 6, 4)
    assert m.depth == pytest.approx(4 / 6)
    assert (m.departments_in_scope, m.breadth_departments, m.breadth) == (1, 1, 1.0)
    assert m.impact is not None
    assert (m.impact.minutes_saved, m.impact.tickets_avoided, m.impact.employees_helped) == (
        27,
        1,
        4,
    )
    assert [x.code for x in m.departments] == ["HR"]
    assert m.questions is not None and m.questions.answered == 1
    assert m.cohorts is None  # no pilot cohort in this department


def test_a_period_without_events(settings: Settings, small: Small) -> None:
    quiet = Period(date(2025, 1, 1), date(2025, 1, 28))
    m = metrics(settings, quiet)
    # On 28 January 2025 the one who left in 2026 is still employed; EMPTY's person is not.
    assert m.headcount == 15
    assert (m.active, m.depth, m.breadth, m.breadth_departments) == (0, 0.0, 0.0, 0)
    assert m.impact is not None and (
        m.impact.minutes_saved,
        m.impact.tickets_avoided,
        m.impact.employees_helped,
    ) == (0, 0, 0)
    assert m.diversity == 0
    assert m.sustainability.status == TOO_EARLY and m.sustainability.weeks_of_data == 0


def _ran(org: Org, people: list[int], workflow: str, runs: int, day: date) -> None:
    for i in range(runs):
        org.run(people[i % len(people)], day + timedelta(days=i % 5), workflow)


def test_diversity_counts_production_workflows_with_enough_runs_and_people(
    settings: Settings,
) -> None:
    org = Org(settings)
    hr = org.department("HR", 6)
    ops = org.department("OPS", 6)
    _ran(org, hr[:3], "ask", 10, d(2))  # 10 runs by 3 people: counts
    _ran(org, hr[:3], "hr-policy-answer", 9, d(2))  # 9 runs: does not
    _ran(org, ops[:2], "sales-proposal", 10, d(2))  # 2 people: does not
    _ran(org, ops[:3], "training-course", 10, d(2))  # a pilot workflow: does not
    _ran(org, hr[3:5] + ops[3:4], "operations-procedure", 10, d(9))  # 3 people over 2 depts
    catch_up(settings)
    m = metrics(settings)
    assert m.diversity_workflows == ("ask", "operations-procedure")
    by_code = {x.code: x for x in m.departments}
    assert by_code["HR"].diversity_workflows == ("ask",)  # operations-procedure: 2 in HR
    assert by_code["OPS"].diversity_workflows == ()
    loose = settings.model_copy(update={"diversity_min_runs": 9, "diversity_min_people": 2})
    assert metrics(loose).diversity_workflows == (
        "ask",
        "hr-policy-answer",
        "operations-procedure",
        "sales-proposal",
    )
    training = m.workflow("training-course")
    assert training is not None and training.status == "pilot"
    assert training.counts_for_diversity is False


# -- sustainability ------------------------------------------------------------------------
WEEKS = complete_weeks(P.end)


def trend(values: list[int], first: date | None) -> tuple[str, int, float | None]:
    s = sustainability(list(zip(WEEKS, values, strict=True)), first)
    return s.status, s.weeks_of_data, s.relative_slope


def test_complete_weeks_end_on_the_last_sunday() -> None:
    assert WEEKS[-1] == d(23) and WEEKS[0] == d(2, 2) and len(WEEKS) == 8
    # A Wednesday: the week in progress is not complete.
    assert complete_weeks(d(25))[-1] == d(16)


def test_growing_stable_and_declining_at_exactly_two_percent() -> None:
    first = WEEKS[3]
    # Five weeks of data, slope exactly ±1 person a week over a mean of 50: ±2 %.
    assert trend([0, 0, 0, 48, 49, 50, 51, 52], first) == (GROWING, 5, 0.02)
    assert trend([0, 0, 0, 52, 51, 50, 49, 48], first) == (DECLINING, 5, -0.02)
    status, weeks, relative = trend([0, 0, 0, 49, 49, 50, 51, 51], first)
    assert (status, weeks) == (STABLE, 5) and relative == pytest.approx(0.012)
    # All eight weeks: slope 1 over a mean of 5.5.
    status, weeks, relative = trend([2, 3, 4, 5, 6, 7, 8, 9], WEEKS[0])
    assert (status, weeks) == (GROWING, 8) and relative == pytest.approx(1 / 5.5)


def test_too_early_under_four_weeks_of_data() -> None:
    # First value event on the Monday of the sixth week: three weeks of data.
    assert trend([0, 0, 0, 0, 0, 5, 6, 7], WEEKS[5])[:2] == (TOO_EARLY, 3)
    # On the Sunday closing the fifth week: that week counts, four weeks of data.
    status, weeks, _ = trend([0, 0, 0, 0, 1, 5, 6, 7], WEEKS[4] + timedelta(days=6))
    assert (status, weeks) == (GROWING, 4)
    assert trend([0] * 8, None)[:2] == (TOO_EARLY, 0)


def test_weekly_active_people_and_trend_from_the_rollups(settings: Settings) -> None:
    org = Org(settings)
    people = org.department("GROW", 10)
    shrinking = org.department("SHRINK", 10)
    for week, monday in enumerate(WEEKS):
        for p in people[: week + 2]:  # 2, 3, ... 9 people; each twice in the week
            org.question(p, monday)
            org.question(p, monday + timedelta(days=6))
        for p in shrinking[: 9 - week]:
            org.run(p, monday + timedelta(days=2), "ask")
    catch_up(settings)
    m = metrics(settings)
    by_code = {x.code: x for x in m.departments}
    grow, shrink = by_code["GROW"].sustainability, by_code["SHRINK"].sustainability
    assert [w.active for w in grow.weeks] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert (grow.status, grow.weeks_of_data) == (GROWING, 8)
    assert [w.active for w in shrink.weeks] == [9, 8, 7, 6, 5, 4, 3, 2]
    assert shrink.status == DECLINING
    # The organisation: 11 people every week, flat.
    assert [w.active for w in m.sustainability.weeks] == [11] * 8
    assert m.sustainability.status == STABLE and m.sustainability.slope == 0.0
    with read_session(settings) as session:
        ids = [org.departments["GROW"]]
        series = weekly_active_people(session, P.end, ids, weeks=3)
    assert series[ids[0]] == [(WEEKS[5], 7), (WEEKS[6], 8), (WEEKS[7], 9)]


def test_periods() -> None:
    assert default_period(d(29)) == P
    assert period_from(None, d(29)) == P
    assert period_from(d(1), None, today=d(29)).days == 29
    with pytest.raises(ValueError):
        Period(d(2), d(1))


def test_a_workflow_week_by_week(settings: Settings) -> None:
    org = Org(settings)
    hr = org.department("HR", 6)
    monday = WEEKS[6]
    for p in hr[:5]:
        org.run(p, monday + timedelta(days=1), "hr-policy-answer")
    again = org.run(hr[0], monday + timedelta(days=6), "hr-policy-answer", abstained=True)
    org.feedback(again, monday + timedelta(days=6), helpful=False, minutes_saved=10)
    for p in hr[:2]:
        org.run(p, WEEKS[7], "hr-policy-answer")
    catch_up(settings)
    with read_session(settings) as session:
        weeks = workflow_weeks(session, settings, "hr-policy-answer", end=P.end)
        hr_only = workflow_weeks(
            session,
            settings,
            "hr-policy-answer",
            end=P.end,
            weeks=2,
            department_id=org.departments["HR"],
        )
    assert [w.monday for w in weeks] == WEEKS
    assert all((w.runs, w.people) == (0, 0) for w in weeks[:6])
    seventh = weeks[6]
    # Six runs by five people; five at the 6-minute estimate, one with its own 10 minutes.
    assert (seventh.runs, seventh.people, seventh.abstained, seventh.unhelpful) == (6, 5, 1, 1)
    assert seventh.minutes_saved == 5 * 6 + 10
    assert (weeks[7].runs, weeks[7].people, weeks[7].reason) == (None, None, TOO_SMALL)
    assert [w.as_dict() for w in hr_only] == [w.as_dict() for w in weeks[6:]]


def test_a_department_with_a_pilot_cohort_includes_its_comparison(settings: Settings) -> None:
    org = Org(settings)
    hr = org.department("HR", 6)
    with write_session(settings) as session:
        session.add_all(
            CohortMember(
                department_id=org.departments["HR"],
                person_id=p,
                attitude="neutral",
                enrolled_on=d(1, 1),
            )
            for p in hr
        )
    for p in hr[:3]:
        org.question(p, d(10))
    catch_up(settings)
    m = metrics(settings, department="HR")
    assert m.cohorts is not None
    total = m.cohorts["total"]
    assert isinstance(total, dict) and (total["members"], total["active"]) == (6, 3)
    assert m.active == 3  # the same people, counted by the rollups
    assert metrics(settings).cohorts is None  # only a department's metrics carry it
