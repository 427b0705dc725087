"""chunk embeddings for dense retrieval

Revision ID: 0003
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keyed by a hash of the embedded text, not by chunk id: a re-ingested document whose
    # text did not change gets new chunk rows but finds its vectors already there.
    op.create_table(
        "chunk_embedding",
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("text_hash"),
    )


def downgrade() -> None:
    op.drop_table("chunk_embedding")
