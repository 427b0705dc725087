"""Usage events: questions, workflow runs and feedback.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "department_id",
            sa.Integer(),
            sa.ForeignKey("department.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("workflow_id", sa.String(100), nullable=True),
        sa.Column("mode", sa.String(16), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("citations", sa.Integer(), nullable=True),
        sa.Column("abstained", sa.Boolean(), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("question_text", sa.Text(), nullable=True),
        sa.Column(
            "about_event_id",
            sa.Integer(),
            sa.ForeignKey("usage_event.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("minutes_saved", sa.Integer(), nullable=True),
        sa.Column("resolved_without_ticket", sa.Boolean(), nullable=True),
    )
    for column in ("at", "kind", "person_id", "department_id", "about_event_id"):
        op.create_index(f"ix_usage_event_{column}", "usage_event", [column])


def downgrade() -> None:
    op.drop_table("usage_event")
