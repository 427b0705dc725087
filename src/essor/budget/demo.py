"""Example cost lines for the demo organisation, so its budget page shows a projection.

Seeded once, only into an empty budget: lines people add or change later are left alone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.budget.actions import LineInput, add_cost_line
from essor.budget.models import CostLine
from essor.budget.queries import support_hours_hint
from essor.governance.access import SYSTEM
from essor.people.queries import find_department


def demo_lines(support_hours: float, departments: set[str]) -> list[LineInput]:
    hr = "HR" if "HR" in departments else None
    return [
        LineInput("IT run budget", "platform_hosting", "Essor server and backups", amount=450),
        LineInput(
            "IT run budget",
            "llm_usage",
            "Language model API",
            price_input_per_million=2.5,
            price_output_per_million=10,
        ),
        LineInput(
            "Digital workplace budget",
            "support_hours",
            "Technical, adoption, content and governance support",
            hours_per_week=support_hours or 10,
            hourly_rate=55,
        ),
        LineInput(
            "HR training budget",
            "training",
            "Champions' training days",
            period="one_off",
            amount=4800,
            department=hr,
        ),
        LineInput("HR training budget", "training", "Quick-start guides upkeep", amount=300),
    ]


def seed_budget(session: Session) -> int:
    """Add the example lines when there is no cost line yet; the number added."""
    if session.scalar(select(CostLine.id).limit(1)) is not None:
        return 0
    present = {code for code in ("HR",) if find_department(session, code) is not None}
    lines = demo_lines(support_hours_hint(session), present)
    for line in lines:
        add_cost_line(session, line, actor=SYSTEM)
    return len(lines)
