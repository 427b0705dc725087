"""Rollout: waves, department stages and their history, readiness items, support owners.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(column: str, target: str, ondelete: str, *, nullable: bool) -> sa.Column[int]:
    return sa.Column(
        column, sa.Integer(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "rollout_wave",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "department_rollout",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("department_id", "department.id", "CASCADE", nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        _fk("wave_id", "rollout_wave.id", "SET NULL", nullable=True),
        _fk("sponsor_id", "person.id", "SET NULL", nullable=True),
        _fk("budget_owner_id", "person.id", "SET NULL", nullable=True),
        sa.Column("target_pilot", sa.Date(), nullable=True),
        sa.Column("target_rollout", sa.Date(), nullable=True),
        sa.Column("target_adopted", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("department_id"),
    )
    op.create_index("ix_department_rollout_wave_id", "department_rollout", ["wave_id"])
    op.create_table(
        "stage_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("department_id", "department.id", "CASCADE", nullable=False),
        sa.Column("from_stage", sa.String(16), nullable=False),
        sa.Column("to_stage", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_email", sa.String(320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("open_items", sa.Text(), nullable=False),
    )
    op.create_index("ix_stage_change_department_id", "stage_change", ["department_id"])
    op.create_table(
        "readiness_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("department_id", "department.id", "CASCADE", nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _fk("owner_id", "person.id", "SET NULL", nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.String(2000), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("department_id", "key"),
    )
    op.create_index("ix_readiness_item_department_id", "readiness_item", ["department_id"])
    op.create_table(
        "support_assignment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area", sa.String(16), nullable=False),
        _fk("department_id", "department.id", "CASCADE", nullable=True),
        _fk("owner_id", "person.id", "CASCADE", nullable=False),
        sa.Column("weekly_hours", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_support_assignment_department_id", "support_assignment", ["department_id"])
    op.create_index("ix_support_assignment_owner_id", "support_assignment", ["owner_id"])


def downgrade() -> None:
    op.drop_table("support_assignment")
    op.drop_table("readiness_item")
    op.drop_table("stage_change")
    op.drop_table("department_rollout")
    op.drop_table("rollout_wave")
