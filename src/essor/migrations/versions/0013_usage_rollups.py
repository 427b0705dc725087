"""Usage rollups: daily sums, active people per day (with their previous active day) and per
week, and the cursor of the last usage event applied.

Revision ID: 0013
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "usage_day",
        sa.Column("day", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.Integer(), primary_key=True),
        sa.Column("workflow_key", sa.String(100), primary_key=True),
        *(
            _count(name)
            for name in (
                "questions",
                "questions_abstained",
                "runs",
                "runs_abstained",
                "runs_estimated",
                "own_minutes",
                "helpful",
                "unhelpful",
                "tickets_avoided",
                "prompt_tokens",
                "completion_tokens",
            )
        ),
    )
    op.create_table(
        "usage_person_day",
        sa.Column("department_id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Integer(), primary_key=True),
        _count("week"),
        sa.Column("prev_day", sa.Integer(), nullable=True),
        _count("value_events"),
        _count("helped_events"),
    )
    op.create_index(
        "ix_usage_person_day_window",
        "usage_person_day",
        ["department_id", "day", "prev_day", "helped_events"],
    )
    op.create_index(
        "ix_usage_person_day_unhelped",
        "usage_person_day",
        ["department_id", "day", "person_id"],
        sqlite_where=sa.text("helped_events = 0"),
        postgresql_where=sa.text("helped_events = 0"),
    )
    op.create_table(
        "usage_week",
        sa.Column("week", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.Integer(), primary_key=True),
        _count("active"),
    )
    op.create_table(
        "usage_workflow_person_day",
        sa.Column("workflow_id", sa.String(100), primary_key=True),
        sa.Column("department_id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Integer(), primary_key=True),
        sa.Column("prev_day", sa.Integer(), nullable=True),
        _count("runs"),
    )
    op.create_index(
        "ix_usage_workflow_person_day_window",
        "usage_workflow_person_day",
        ["workflow_id", "department_id", "day", "prev_day"],
    )
    op.create_table(
        "usage_rollup_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        _count("last_event_id"),
        _count("events_applied"),
        _count("max_day"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("usage_rollup_state")
    op.drop_index("ix_usage_workflow_person_day_window", "usage_workflow_person_day")
    op.drop_table("usage_workflow_person_day")
    op.drop_table("usage_week")
    op.drop_index("ix_usage_person_day_unhelped", "usage_person_day")
    op.drop_index("ix_usage_person_day_window", "usage_person_day")
    op.drop_table("usage_person_day")
    op.drop_table("usage_day")
