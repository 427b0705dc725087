"""The budget projection: measured usage in the pilot departments, scaled to everyone.

A pure function of its inputs (no database), so the page, the CLI and the executive report
show the same numbers, and a worked example checks it by hand (docs/budget.md).

Conventions, chosen to be simple to check:

- a month of usage is 30 days: usage measured over a period of D days is multiplied by 30 / D;
- a month of support is 52 / 12 weeks (hours per week × hourly rate × 52 / 12);
- a one-off amount is spread over ``amortisation_months`` (default 12) in monthly totals;
- the adoption assumed at full scale is the depth measured in the pilot departments (active
  people ÷ their headcount) unless a target depth is given;
- per-seat pricing (a vendor licence that includes hosting and the model) replaces the
  ``platform_hosting`` and ``llm_usage`` lines; support, training and other lines are paid
  under both models. Break-even compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DAYS_PER_MONTH = 30
WEEKS_PER_MONTH = 52 / 12
MILLION = 1_000_000
# Categories the per-seat licence replaces; every other category is paid under both models.
USAGE_ONLY = frozenset({"platform_hosting", "llm_usage"})


@dataclass(frozen=True)
class MeasuredUsage:
    """What the pilot departments did over ``start``..``end`` (both days included)."""

    start: date
    end: date
    departments: tuple[str, ...]
    headcount: int
    active_people: int
    value_events: int
    prompt_tokens: int
    completion_tokens: int
    minutes_saved: float

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def depth(self) -> float | None:
        return self.active_people / self.headcount if self.headcount else None

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "departments": list(self.departments),
            "headcount": self.headcount,
            "active_people": self.active_people,
            "depth": _round(self.depth, 4),
            "value_events": self.value_events,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "minutes_saved": _round(self.minutes_saved, 2),
        }


@dataclass(frozen=True)
class LineCost:
    """A cost line as the projection needs it (the table row, without the database)."""

    category: str
    label: str
    period: str  # monthly, one_off, usage (llm_usage) or weekly (support_hours)
    amount: float = 0.0
    price_input_per_million: float | None = None
    price_output_per_million: float | None = None
    hours_per_week: float | None = None
    hourly_rate: float | None = None
    budget: str = ""

    def monthly(self, amortisation_months: int) -> float:
        """Fixed cost per month: a token-priced line has none (its cost follows usage)."""
        if self.category == "llm_usage":
            return 0.0
        if self.category == "support_hours":
            return (self.hours_per_week or 0.0) * (self.hourly_rate or 0.0) * WEEKS_PER_MONTH
        if self.period == "one_off":
            return self.amount / amortisation_months
        return self.amount

    @property
    def one_off(self) -> float:
        return self.amount if self.period == "one_off" else 0.0


@dataclass(frozen=True)
class ProjectionInputs:
    measured: MeasuredUsage
    full_headcount: int  # everyone employed, all departments
    lines: tuple[LineCost, ...]
    seat_price: float  # per seat per month, every employed person a seat
    hourly_value: float  # what an hour of an employee's time costs the organisation
    target_depth: float | None = None  # None: the measured depth
    amortisation_months: int = 12
    currency: str = "EUR"


@dataclass(frozen=True)
class PerActive:
    """Per active person per month, from the pilot departments."""

    value_events: float
    prompt_tokens: float
    completion_tokens: float
    minutes_saved: float

    def as_dict(self) -> dict[str, object]:
        return {
            "value_events": _round(self.value_events, 2),
            "prompt_tokens": _round(self.prompt_tokens, 0),
            "completion_tokens": _round(self.completion_tokens, 0),
            "minutes_saved": _round(self.minutes_saved, 2),
        }


@dataclass(frozen=True)
class Scenario:
    """One pricing model at one scale, per month."""

    pricing: str  # per_seat or usage
    scale: str  # pilot or full
    active_people: float
    hours_saved: float
    components: dict[str, float]  # seats, hosting, tokens, shared
    total: float
    cost_per_active_person: float | None
    cost_per_hour_saved: float | None
    # Minutes saved per active person per month at which the time saved is worth the cost.
    break_even_minutes: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "pricing": self.pricing,
            "scale": self.scale,
            "active_people": _round(self.active_people, 2),
            "hours_saved": _round(self.hours_saved, 2),
            "components": {k: _round(v, 2) for k, v in self.components.items()},
            "total": _round(self.total, 2),
            "cost_per_active_person": _round(self.cost_per_active_person, 2),
            "cost_per_hour_saved": _round(self.cost_per_hour_saved, 2),
            "break_even_minutes": _round(self.break_even_minutes, 2),
        }


@dataclass(frozen=True)
class Projection:
    inputs: ProjectionInputs
    per_active: PerActive
    depth: float  # assumed at full scale
    depth_source: str  # measured or target
    price_input_per_million: float
    price_output_per_million: float
    token_cost_per_active_person: float  # per month
    hosting_monthly: float
    shared_monthly: float
    one_off_total: float
    pilot_per_seat: Scenario
    pilot_usage: Scenario
    per_seat: Scenario
    usage: Scenario
    # Active people at which usage-based pricing costs what per-seat pricing does; None when
    # tokens cost nothing (the two lines never cross as adoption grows).
    break_even_active_people: float | None
    notes: tuple[str, ...] = field(default=())

    @property
    def break_even_depth(self) -> float | None:
        people = self.break_even_active_people
        if people is None or not self.inputs.full_headcount:
            return None
        return people / self.inputs.full_headcount

    @property
    def break_even_verdict(self) -> str:
        """usage_cheaper (at any depth up to everyone), per_seat_cheaper (at any depth), or
        crosses (usage-based is cheaper below the break-even point, per-seat above it)."""
        people = self.break_even_active_people
        if people is None:
            return "usage_cheaper" if self.hosting_monthly <= self._seats() else "per_seat_cheaper"
        if people <= 0:
            return "per_seat_cheaper"
        if people >= self.inputs.full_headcount:
            return "usage_cheaper"
        return "crosses"

    def _seats(self) -> float:
        return self.inputs.seat_price * self.inputs.full_headcount

    def as_dict(self) -> dict[str, object]:
        i = self.inputs
        return {
            "currency": i.currency,
            "measured": i.measured.as_dict(),
            "per_active_person_per_month": self.per_active.as_dict(),
            "full_headcount": i.full_headcount,
            "depth": _round(self.depth, 4),
            "depth_source": self.depth_source,
            "seat_price": i.seat_price,
            "hourly_value": i.hourly_value,
            "amortisation_months": i.amortisation_months,
            "price_input_per_million": _round(self.price_input_per_million, 4),
            "price_output_per_million": _round(self.price_output_per_million, 4),
            "token_cost_per_active_person": _round(self.token_cost_per_active_person, 4),
            "hosting_monthly": _round(self.hosting_monthly, 2),
            "shared_monthly": _round(self.shared_monthly, 2),
            "one_off_total": _round(self.one_off_total, 2),
            "pilot": {
                "per_seat": self.pilot_per_seat.as_dict(),
                "usage": self.pilot_usage.as_dict(),
            },
            "full": {"per_seat": self.per_seat.as_dict(), "usage": self.usage.as_dict()},
            "break_even": {
                "active_people": _round(self.break_even_active_people, 2),
                "depth": _round(self.break_even_depth, 4),
                "verdict": self.break_even_verdict,
            },
            "notes": list(self.notes),
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _scenario(
    pricing: str,
    scale: str,
    *,
    active: float,
    minutes_per_active: float,
    components: dict[str, float],
    hourly_value: float,
) -> Scenario:
    total = sum(components.values())
    hours = active * minutes_per_active / 60
    per_active = total / active if active > 0 else None
    return Scenario(
        pricing=pricing,
        scale=scale,
        active_people=active,
        hours_saved=hours,
        components=components,
        total=total,
        cost_per_active_person=per_active,
        cost_per_hour_saved=total / hours if hours > 0 else None,
        break_even_minutes=(
            per_active * 60 / hourly_value if per_active is not None and hourly_value > 0 else None
        ),
    )


def project(inputs: ProjectionInputs) -> Projection:
    """Scale the pilot departments' usage to the full headcount and price it both ways."""
    m = inputs.measured
    if inputs.amortisation_months < 1:
        raise ValueError("amortisation_months must be at least 1")
    if inputs.target_depth is not None and not 0 <= inputs.target_depth <= 1:
        raise ValueError("the target depth must be between 0 and 1")
    notes: list[str] = []
    scale = DAYS_PER_MONTH / m.days
    if m.active_people > 0:
        per_active = PerActive(
            value_events=m.value_events / m.active_people * scale,
            prompt_tokens=m.prompt_tokens / m.active_people * scale,
            completion_tokens=m.completion_tokens / m.active_people * scale,
            minutes_saved=m.minutes_saved / m.active_people * scale,
        )
    else:
        per_active = PerActive(0.0, 0.0, 0.0, 0.0)
        notes.append("no_active_people")
    if inputs.target_depth is not None:
        depth, source = inputs.target_depth, "target"
    else:
        depth, source = (m.depth or 0.0), "measured"
        if m.depth is None:
            notes.append("no_pilot_headcount")
    price_in = sum(line.price_input_per_million or 0.0 for line in inputs.lines)
    price_out = sum(line.price_output_per_million or 0.0 for line in inputs.lines)
    token_cost = (
        per_active.prompt_tokens * price_in + per_active.completion_tokens * price_out
    ) / MILLION
    months = inputs.amortisation_months
    hosting = sum(ln.monthly(months) for ln in inputs.lines if ln.category in USAGE_ONLY)
    shared = sum(ln.monthly(months) for ln in inputs.lines if ln.category not in USAGE_ONLY)
    one_off = sum(line.one_off for line in inputs.lines)

    def both(scale_name: str, active: float, seats: int) -> tuple[Scenario, Scenario]:
        per_seat = _scenario(
            "per_seat",
            scale_name,
            active=active,
            minutes_per_active=per_active.minutes_saved,
            components={"seats": inputs.seat_price * seats, "shared": shared},
            hourly_value=inputs.hourly_value,
        )
        usage = _scenario(
            "usage",
            scale_name,
            active=active,
            minutes_per_active=per_active.minutes_saved,
            components={"hosting": hosting, "tokens": token_cost * active, "shared": shared},
            hourly_value=inputs.hourly_value,
        )
        return per_seat, usage

    pilot_per_seat, pilot_usage = both("pilot", float(m.active_people), m.headcount)
    full_per_seat, full_usage = both("full", depth * inputs.full_headcount, inputs.full_headcount)
    # hosting + token_cost × a = seat_price × headcount; the shared lines cancel out.
    seats = inputs.seat_price * inputs.full_headcount
    break_even = (seats - hosting) / token_cost if token_cost > 0 else None
    return Projection(
        inputs=inputs,
        per_active=per_active,
        depth=depth,
        depth_source=source,
        price_input_per_million=price_in,
        price_output_per_million=price_out,
        token_cost_per_active_person=token_cost,
        hosting_monthly=hosting,
        shared_monthly=shared,
        one_off_total=one_off,
        pilot_per_seat=pilot_per_seat,
        pilot_usage=pilot_usage,
        per_seat=full_per_seat,
        usage=full_usage,
        break_even_active_people=break_even,
        notes=tuple(notes),
    )
