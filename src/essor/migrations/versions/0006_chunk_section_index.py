"""Index chunk.section_id, and join the embeddings and auth branches.

Without the index, every section deleted with an old document version made SQLite scan the
whole chunk table to enforce the foreign key: re-ingesting changed documents slowed to
tens of milliseconds each.

Revision ID: 0006
Revises: 0003, 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | tuple[str, ...] | None = ("0003", "0005")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_chunk_section_id", "chunk", ["section_id"])


def downgrade() -> None:
    op.drop_index("ix_chunk_section_id", table_name="chunk")
