"""The projection on the worked example of docs/budget.md, every number computed by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from essor.budget.projection import LineCost, MeasuredUsage, ProjectionInputs, project

# 20 of the 40 people of the pilot departments were active in September (30 days).
MEASURED = MeasuredUsage(
    start=date(2026, 9, 1),
    end=date(2026, 9, 30),
    departments=("CS", "HR"),
    headcount=40,
    active_people=20,
    value_events=600,
    prompt_tokens=2_400_000,
    completion_tokens=600_000,
    minutes_saved=3_000,
)
LINES = (
    LineCost("platform_hosting", "Servers", "monthly", amount=1_500, budget="IT run budget"),
    LineCost(
        "llm_usage",
        "Model API",
        "usage",
        price_input_per_million=2.50,
        price_output_per_million=10.00,
        budget="IT run budget",
    ),
    LineCost(
        "support_hours",
        "Support desk",
        "weekly",
        hours_per_week=12,
        hourly_rate=50,
        budget="HR department budget",
    ),
    LineCost("training", "Workshops", "one_off", amount=6_000, budget="HR department budget"),
)
EXAMPLE = ProjectionInputs(
    measured=MEASURED, full_headcount=1_000, lines=LINES, seat_price=10, hourly_value=40
)


def test_worked_example() -> None:
    p = project(EXAMPLE)
    # Per active person per month (30 days measured: no rescaling).
    assert p.per_active.value_events == 30
    assert p.per_active.prompt_tokens == 120_000
    assert p.per_active.completion_tokens == 30_000
    assert p.per_active.minutes_saved == 150
    # Depth 20 / 40 = 50 % of 1,000 people: 500 active people.
    assert (p.depth, p.depth_source) == (0.5, "measured")
    # 120,000 × 2.50 / 1e6 + 30,000 × 10 / 1e6 = 0.30 + 0.30
    assert p.token_cost_per_active_person == pytest.approx(0.60)
    assert p.hosting_monthly == 1_500
    # Support 12 h × 50 × 52 / 12 = 2,600; workshops 6,000 / 12 months = 500.
    assert p.shared_monthly == pytest.approx(3_100)
    assert p.one_off_total == 6_000

    full_seat, full_usage = p.per_seat, p.usage
    assert full_seat.active_people == 500
    assert full_seat.hours_saved == pytest.approx(1_250)  # 500 × 150 / 60
    assert full_seat.components == pytest.approx({"seats": 10_000, "shared": 3_100})
    assert full_seat.total == pytest.approx(13_100)
    assert full_seat.cost_per_active_person == pytest.approx(26.20)
    assert full_seat.cost_per_hour_saved == pytest.approx(10.48)
    assert full_seat.break_even_minutes == pytest.approx(39.30)  # 26.20 × 60 / 40

    assert full_usage.components == pytest.approx(
        {"hosting": 1_500, "tokens": 300, "shared": 3_100}
    )
    assert full_usage.total == pytest.approx(4_900)
    assert full_usage.cost_per_active_person == pytest.approx(9.80)
    assert full_usage.cost_per_hour_saved == pytest.approx(3.92)
    assert full_usage.break_even_minutes == pytest.approx(14.70)

    # At pilot scale: 40 seats, 20 active people, 50 hours saved.
    assert p.pilot_per_seat.total == pytest.approx(3_500)
    assert p.pilot_per_seat.cost_per_active_person == pytest.approx(175)
    assert p.pilot_per_seat.cost_per_hour_saved == pytest.approx(70)
    assert p.pilot_usage.total == pytest.approx(4_612)  # 1,500 + 20 × 0.60 + 3,100
    assert p.pilot_usage.cost_per_hour_saved == pytest.approx(92.24)

    # Break-even: 1,500 + 0.60 a = 10,000 -> a = 14,166.67, far beyond 1,000 people.
    assert p.break_even_active_people == pytest.approx(14_166.6667)
    assert p.break_even_depth == pytest.approx(14.1666667)
    assert p.break_even_verdict == "usage_cheaper"

    data = p.as_dict()
    assert data["full"]["usage"]["total"] == 4_900.0  # type: ignore[index]
    assert data["break_even"]["verdict"] == "usage_cheaper"  # type: ignore[index]


def test_break_even_inside_the_headcount() -> None:
    # Seats at 2: 1,500 + 0.60 a = 2,000 -> a = 833.33 people, depth 83.3 %.
    cheap_seats = replace(EXAMPLE, seat_price=2)
    p = project(cheap_seats)
    assert p.break_even_active_people == pytest.approx(833.3333)
    assert p.break_even_verdict == "crosses"
    below = project(replace(cheap_seats, target_depth=0.8))  # 800 active people
    assert below.depth_source == "target"
    assert below.usage.total == pytest.approx(5_080)  # 1,500 + 480 + 3,100
    assert below.per_seat.total == pytest.approx(5_100)  # 2,000 + 3,100
    at = project(replace(cheap_seats, target_depth=p.break_even_depth))
    assert at.usage.total == pytest.approx(at.per_seat.total)


def test_break_even_when_one_model_always_wins() -> None:
    # Seats cost 1,000 in all, hosting alone 1,500: per-seat is cheaper at any adoption.
    assert project(replace(EXAMPLE, seat_price=1)).break_even_verdict == "per_seat_cheaper"
    # Without a token price the lines never cross: hosting 1,500 < seats 10,000.
    no_tokens = replace(EXAMPLE, lines=tuple(ln for ln in LINES if ln.category != "llm_usage"))
    p = project(no_tokens)
    assert p.break_even_active_people is None and p.break_even_depth is None
    assert p.break_even_verdict == "usage_cheaper"


def test_usage_is_scaled_to_a_30_day_month() -> None:
    # The same people over 15 days with half the usage: the same monthly figures.
    half = replace(
        MEASURED,
        end=date(2026, 9, 15),
        value_events=300,
        prompt_tokens=1_200_000,
        completion_tokens=300_000,
        minutes_saved=1_500,
    )
    p = project(replace(EXAMPLE, measured=half))
    assert p.per_active.value_events == pytest.approx(30)
    assert p.per_active.minutes_saved == pytest.approx(150)
    assert p.usage.total == pytest.approx(4_900)


def test_no_active_people_and_bad_inputs() -> None:
    idle = replace(MEASURED, active_people=0, value_events=0, minutes_saved=0)
    p = project(replace(EXAMPLE, measured=idle))
    assert "no_active_people" in p.notes
    assert p.depth == 0 and p.usage.active_people == 0
    assert p.usage.cost_per_active_person is None and p.usage.cost_per_hour_saved is None
    with pytest.raises(ValueError, match="target depth"):
        project(replace(EXAMPLE, target_depth=1.5))
    with pytest.raises(ValueError, match="amortisation"):
        project(replace(EXAMPLE, amortisation_months=0))
