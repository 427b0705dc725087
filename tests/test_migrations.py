"""The migration history ends in one head: parallel branches are joined before release."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from essor.migrate import alembic_config


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"join the migration branches: heads {sorted(heads)}"
