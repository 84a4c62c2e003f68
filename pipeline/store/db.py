"""Engine factory and schema upgrade.

Nothing here runs at import time: the CLI builds Settings, passes
``settings.resolved_database_url`` to ``make_engine`` or ``Store.open``.

SQLite connections are set up for one writer and many readers: WAL journal,
foreign keys on, a busy timeout, and transactions begun by us (not by the
sqlite3 module) so that reads are isolated too and writers can take the write
lock up front (``BEGIN IMMEDIATE``) instead of failing on a lock upgrade.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError

from pipeline.errors import StoreError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Page cache per connection, in KiB (SQLite's default is 2 MiB): search at 100,000 articles reads a few MiB of
#: full-text index and ranking rows per query, and keeping them cached between queries saves re-reading them
#: (bench/search.py: about 5-10% off the median). A ceiling, filled only as pages are read.
SQLITE_CACHE_KIB = 32_000
WRITE = "regwatch_write"
"""Execution option: a connection that will write (SQLite then begins with BEGIN IMMEDIATE)."""

FTS_TABLE_PREFIX = "article_fts"
FTS_COLUMNS = {("article", "search_vector")}
FTS_INDEXES = {"ix_article_search_vector"}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created first."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config built from the package files; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_db(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (head); a no-op on an up-to-date database."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    config = alembic_config()
    try:
        with engine.execution_options(**{WRITE: True}).connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
    except SQLAlchemyError as exc:
        raise StoreError(f"schema upgrade failed: {_one_line(exc)}") from exc
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


#: Tables created by the migrations for a library that declares them itself (APScheduler's job store).
LIBRARY_TABLES = {"apscheduler_jobs"}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter: leave out the full-text objects, which exist only in the migrations, and the tables
    that belong to a library."""
    if type_ == "table" and name and (name.startswith(FTS_TABLE_PREFIX) or name in LIBRARY_TABLES):
        return False
    if type_ == "index" and getattr(getattr(obj, "table", None), "name", None) in LIBRARY_TABLES:
        return False
    if type_ == "column":
        table = getattr(obj, "table", None)
        return table is None or (table.name, name) not in FTS_COLUMNS
    return not (type_ == "index" and name in FTS_INDEXES)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())
