"""Champions' feed, training tracks, resources and completions, tips and their dismissals.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(column: str, target: str, ondelete: str, *, nullable: bool) -> sa.Column[int]:
    return sa.Column(
        column, sa.Integer(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "champion_post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        _fk("parent_id", "champion_post.id", "CASCADE", nullable=True),
        _fk("author_id", "person.id", "SET NULL", nullable=True),
        sa.Column("author_name", sa.String(200), nullable=False),
        _fk("department_id", "department.id", "SET NULL", nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("workflow_id", sa.String(128), nullable=False),
        sa.Column("impact_value", sa.Float(), nullable=True),
        sa.Column("impact_unit", sa.String(60), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_champion_post_parent_id", "champion_post", ["parent_id"])
    op.create_index("ix_champion_post_author_id", "champion_post", ["author_id"])
    op.create_index("ix_champion_post_created_at", "champion_post", ["created_at"])
    op.create_table(
        "training_track",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("title_fr", sa.String(200), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_training_track_tier", "training_track", ["tier"])
    op.create_table(
        "training_resource",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("track_id", "training_track.id", "CASCADE", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("title_fr", sa.String(200), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("body_fr", sa.Text(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_training_resource_track_id", "training_resource", ["track_id"])
    op.create_table(
        "training_completion",
        sa.Column(
            "resource_id",
            sa.Integer(),
            sa.ForeignKey("training_resource.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_training_completion_person_id", "training_completion", ["person_id"])
    op.create_table(
        "tip",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("target", sa.String(160), nullable=False),
        sa.Column("tier", sa.String(16), nullable=True),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_fr", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("displays", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tip_target", "tip", ["target"])
    op.create_table(
        "tip_dismissal",
        sa.Column(
            "tip_id", sa.Integer(), sa.ForeignKey("tip.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tip_dismissal_person_id", "tip_dismissal", ["person_id"])


def downgrade() -> None:
    op.drop_table("tip_dismissal")
    op.drop_table("tip")
    op.drop_table("training_completion")
    op.drop_table("training_resource")
    op.drop_table("training_track")
    op.drop_table("champion_post")
