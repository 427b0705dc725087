"""Bring the database to the newest schema (run by every command that opens the database)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from essor.db import get_engine
from essor.settings import Settings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config()
    with get_engine(settings).begin() as conn:
        cfg.attributes["connection"] = conn
        # "heads": branches added in parallel upgrade too; they are relinked before release.
        command.upgrade(cfg, "heads")
