"""Link counts for distinct people (active people and workflow people per period read a few
rows per day instead of one per person-day), filled from the existing person-day rows, and an
index that headcounts per department read alone.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "usage_person_link",
        _key("department_id"),
        _key("day"),
        _key("prev_day"),
        sa.Column("people", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "usage_workflow_link",
        sa.Column("workflow_id", sa.String(100), primary_key=True),
        _key("department_id"),
        _key("day"),
        _key("prev_day"),
        sa.Column("people", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO usage_person_link (department_id, day, prev_day, people) "
        "SELECT department_id, day, COALESCE(prev_day, -1), COUNT(*) FROM usage_person_day "
        "GROUP BY department_id, day, COALESCE(prev_day, -1)"
    )
    op.execute(
        "INSERT INTO usage_workflow_link (workflow_id, department_id, day, prev_day, people) "
        "SELECT workflow_id, department_id, day, COALESCE(prev_day, -1), COUNT(*) "
        "FROM usage_workflow_person_day "
        "GROUP BY workflow_id, department_id, day, COALESCE(prev_day, -1)"
    )
    op.create_index(
        "ix_person_employment", "person", ["department_id", "status", "start_date", "end_date"]
    )


def downgrade() -> None:
    op.drop_index("ix_person_employment", "person")
    op.drop_table("usage_workflow_link")
    op.drop_table("usage_person_link")
