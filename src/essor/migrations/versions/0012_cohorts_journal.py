"""Pilot cohorts (people enrolled with their attitude) and the pilot journal.

Revision ID: 0012
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(column: str, target: str, ondelete: str, *, nullable: bool) -> sa.Column[int]:
    return sa.Column(
        column, sa.Integer(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "cohort_member",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("department_id", "department.id", "CASCADE", nullable=False),
        _fk("person_id", "person.id", "CASCADE", nullable=False),
        sa.Column("attitude", sa.String(16), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("enrolled_by", sa.String(320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("department_id", "person_id"),
    )
    op.create_index("ix_cohort_member_department_id", "cohort_member", ["department_id"])
    op.create_index("ix_cohort_member_person_id", "cohort_member", ["person_id"])
    op.create_table(
        "journal_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("department_id", "department.id", "CASCADE", nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _fk("author_id", "person.id", "SET NULL", nullable=True),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("author_email", sa.String(320), nullable=False),
        _fk("resolves_id", "journal_entry.id", "SET NULL", nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_journal_entry_department_id", "journal_entry", ["department_id"])
    op.create_index("ix_journal_entry_author_id", "journal_entry", ["author_id"])
    op.create_index("ix_journal_entry_resolves_id", "journal_entry", ["resolves_id"])


def downgrade() -> None:
    op.drop_table("journal_entry")
    op.drop_table("cohort_member")
