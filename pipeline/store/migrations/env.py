"""Alembic environment for the regwatch store.

Run programmatically by ``pipeline.store.db.upgrade_db`` (which hands over its
connection in ``config.attributes["connection"]``), or from the command line::

    alembic -c pipeline/store/alembic.ini upgrade head

where the URL comes from ``-x url=...``, then ``REGWATCH_DATABASE_URL``, then the
Settings default. Logging is left to the application: no fileConfig here.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import text

from pipeline.store.db import WRITE, include_object, make_engine
from pipeline.store.models import store_metadata

MIGRATION_LOCK_ID = 0x72677763  # PostgreSQL advisory lock: one upgrade at a time

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    if os.environ.get("REGWATCH_DATABASE_URL"):
        return os.environ["REGWATCH_DATABASE_URL"]
    from pipeline.settings import Settings

    return Settings().resolved_database_url


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=store_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=store_metadata,
        include_object=include_object,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.execution_options(**{WRITE: True}).connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
