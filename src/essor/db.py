"""Engine and session factory: SQLite (default, WAL) or PostgreSQL from ``ESSOR_DATABASE_URL``.

SQLite writes start with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout
instead of failing mid-transaction on a lock upgrade; reads keep deferred transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session

from essor.settings import Settings, get_settings

BUSY_TIMEOUT_MS = 60_000


class Base(DeclarativeBase):
    pass


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


_ENGINES: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    engine = _ENGINES.get(url)
    if engine is not None:
        return engine
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _ENGINES[url] = engine
    return engine


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    return _engine_for(settings.effective_database_url)


def dispose_engines() -> None:
    """Close every pooled connection (tests and the CLI call this between databases)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


@contextmanager
def read_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session for reads; anything it writes is rolled back.

    Objects are detached before the rollback so their loaded values stay readable after the
    block (a rollback would expire them and any later attribute access would fail).
    """
    with Session(get_engine(settings), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.expunge_all()
            session.rollback()


@contextmanager
def write_session(settings: Settings | None = None) -> Iterator[Session]:
    """One write transaction: ``BEGIN IMMEDIATE`` on SQLite, committed on success."""
    engine = get_engine(settings).execution_options(sqlite_begin="IMMEDIATE")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            # A refusal still has to be recorded (the audit log keeps denied accesses): the
            # exception writes it in its own transaction, now that the refused one is gone.
            follow_up = getattr(exc, "after_rollback", None)
            if callable(follow_up):
                with Session(engine, expire_on_commit=False) as audit_session:
                    follow_up(audit_session)
                    audit_session.commit()
            raise
