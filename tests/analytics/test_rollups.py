"""Rollups: incremental, resumable, equal to a full recomputation; their migration."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from essor.db import get_engine
from essor.models import Base
from essor.settings import Settings

ROLLUP_TABLES = {
    "usage_day",
    "usage_person_day",
    "usage_workflow_person_day",
    "usage_rollup_state",
}


def test_migration_matches_the_models(settings: Settings) -> None:
    with get_engine(settings).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if ROLLUP_TABLES & set(str(d).replace('"', "'").split("'"))]
    assert mine == []
