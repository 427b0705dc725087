"""Bring the database to the newest schema (run by every command that opens the database)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from essor.db import get_engine
from essor.settings import Settings, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision (tests/test_migrations.py checks it is the one head of the scripts). A
# database already there skips Alembic entirely: importing it and reading every script costs
# a few hundred milliseconds on each command otherwise.
SCHEMA_HEAD = "0017"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def is_current(settings: Settings) -> bool:
    try:
        with get_engine(settings).connect() as conn:
            versions = {
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            }
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return versions == {SCHEMA_HEAD}


def upgrade(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if is_current(settings):
        return
    from alembic import command

    cfg = alembic_config()
    with get_engine(settings).begin() as conn:
        cfg.attributes["connection"] = conn
        # "heads": branches added in parallel upgrade too; they are relinked before release.
        command.upgrade(cfg, "heads")
