"""SQLite concurrency: writers queue on BEGIN IMMEDIATE instead of losing writes."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, text

from essor.db import get_engine, write_session
from essor.knowledge.actions import get_or_create_collection
from essor.knowledge.models import Collection
from essor.settings import Settings


def test_sqlite_pragmas(settings: Settings) -> None:
    with get_engine(settings).connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert int(conn.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 30_000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_eight_concurrent_writers_lose_nothing(settings: Settings) -> None:
    writers, per_writer = 8, 40
    errors: list[BaseException] = []

    def work(w: int) -> None:
        try:
            for i in range(per_writer):
                with write_session(settings) as session:
                    # Read-then-write inside one transaction: the pattern that fails with
                    # deferred transactions ("database is locked" on the lock upgrade).
                    count = session.execute(select(func.count()).select_from(Collection)).scalar()
                    get_or_create_collection(session, f"w{w}-{i}", description=str(count))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with write_session(settings) as session:
        total = session.execute(select(func.count()).select_from(Collection)).scalar()
    assert total == writers * per_writer
