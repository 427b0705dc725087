"""The migration history ends in one head: parallel branches are joined before release."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from essor.db import dispose_engines, get_engine
from essor.migrate import SCHEMA_HEAD, alembic_config, is_current, upgrade
from essor.settings import Settings


def test_one_head_and_it_is_the_schema_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"join the migration branches: heads {sorted(heads)}"
    assert heads == [SCHEMA_HEAD], "set migrate.SCHEMA_HEAD to the new head"


def test_upgrade_skips_only_a_current_database(tmp_path: Path) -> None:
    fresh = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    try:
        assert not is_current(fresh)  # a new database: no alembic_version table
        upgrade(fresh)
        assert is_current(fresh)
        with get_engine(fresh).begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
        assert not is_current(fresh)  # any other recorded revision: Alembic runs again
    finally:
        dispose_engines()
