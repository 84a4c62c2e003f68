"""Fixtures of the API tests: the app on the newsroom stores filled by the real crawl (SQLite and PostgreSQL).

The filled stores are shared by the whole session and only read; a test that writes (tokens, saved
searches) gets its own copy of the SQLite store (``writable_url``) or a fresh PostgreSQL database filled
the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from pipeline.api import create_app
from pipeline.settings import Settings
from pipeline.store import Store


def make_client(url: str, data_dir: Path) -> Iterator[TestClient]:
    with Store.open(url) as store:
        app = create_app(Settings(database_url=url, data_dir=data_dir), store=store)
        with TestClient(app) as client:
            yield client


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request, tmp_path_factory) -> Iterator[TestClient]:
    """A TestClient on the shared filled store of each backend (read it only)."""
    url = request.getfixturevalue("filled_sqlite_url" if request.param == "sqlite" else "filled_pg_url")
    yield from make_client(url, tmp_path_factory.mktemp("api"))


@pytest.fixture
def sqlite_client(filled_sqlite_url, tmp_path) -> Iterator[TestClient]:
    yield from make_client(filled_sqlite_url, tmp_path)


@pytest.fixture
def pg_client(filled_pg_url, tmp_path) -> Iterator[TestClient]:
    yield from make_client(filled_pg_url, tmp_path)


@pytest.fixture
def writable_url(filled_sqlite_url, tmp_path) -> str:
    """A private copy of the filled SQLite store (sqlite3's backup API, so the WAL is included)."""
    source = make_url(filled_sqlite_url).database
    target = tmp_path / "copy" / "regwatch.db"
    target.parent.mkdir()
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@pytest.fixture
def writable_client(writable_url, tmp_path) -> Iterator[TestClient]:
    yield from make_client(writable_url, tmp_path)
