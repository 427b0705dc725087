"""Join the branches written in parallel: champions and training, cohorts and journal, usage
rollups, budget, and readiness evidence files. Nothing changes in the schema.

Revision ID: 0016
Revises: 0011, 0012, 0013, 0014, 0015
"""

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | tuple[str, ...] | None = ("0011", "0012", "0013", "0014", "0015")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
