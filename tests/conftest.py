"""Shared test fixtures: corpus paths and fresh PostgreSQL databases."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

# The PostgreSQL server the suite uses (trust auth on this machine and in CI); override with
# REGWATCH_TEST_PG_ADMIN_URL. The tests never skip when it is missing: they fail.
PG_ADMIN_URL = os.environ.get("REGWATCH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# The suite's loopback servers are our own: the default politeness of 1 request/s per host would only
# slow it down (and `regwatch run` subprocesses inherit this). Politeness tests pass their own limits.
os.environ.setdefault("REGWATCH_HOST_RATE", "1000")


@contextlib.contextmanager
def fresh_pg_database() -> Iterator[str]:
    """Create a uniquely named database, yield its SQLAlchemy URL, drop it afterwards."""
    import psycopg

    name = f"regwatch_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database_factory():
    """A factory of fresh PostgreSQL databases: ``with pg_database_factory() as url: ...``."""
    return fresh_pg_database


@pytest.fixture(scope="session")
def filled_sqlite_url(tmp_path_factory) -> str:
    """A SQLite store filled once per session by the real crawler and analysis from tests/support/newsroom.py.

    Shared by every test of the session: read it, never write to it (copy the file first if you must).
    """
    from tests.support.newsroom import fill_store

    data_dir = tmp_path_factory.mktemp("newsroom-sqlite")
    url = f"sqlite:///{data_dir / 'regwatch.db'}"
    fill_store(url, data_dir)
    return url


@pytest.fixture(scope="session")
def filled_pg_url(pg_database_factory, tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL database filled like ``filled_sqlite_url`` (same newsroom, same crawl); read it only."""
    from tests.support.newsroom import fill_store

    with pg_database_factory() as url:
        fill_store(url, tmp_path_factory.mktemp("newsroom-pg"))
        yield url
