"""The Alembic migrations: run from the package files, idempotent, and in step with the models."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Boolean, Column, MetaData, inspect, text

from pipeline.store import Store, make_engine, upgrade_db
from pipeline.store.db import include_object
from pipeline.store.models import store_metadata

REPO = Path(__file__).resolve().parents[2]


def _head() -> str:
    from alembic.script import ScriptDirectory

    from pipeline.store.db import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


HEAD = _head()  # the newest revision shipped (0005 or later)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path) -> str:
    """A database with no schema at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nested' / 'dir' / 'regwatch.db'}"
    return request.getfixturevalue("pg_url")


def _version(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_upgrade_creates_schema_and_is_idempotent(empty_url):
    upgrade_db(empty_url)
    engine = make_engine(empty_url)
    try:
        assert _version(engine) == HEAD
        tables = set(inspect(engine).get_table_names())
        assert {"source", "article", "entity", "event", "alembic_version"} <= tables
        upgrade_db(engine)  # again, through an engine this time
        upgrade_db(empty_url)
        assert _version(engine) == HEAD
    finally:
        engine.dispose()


def test_full_text_objects_exist_per_backend(empty_url):
    upgrade_db(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                names = set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())
                assert {"article_fts", "article_fts_after_insert", "article_fts_after_delete"} <= names
            else:
                columns = {c["name"] for c in inspect(conn).get_columns("article")}
                assert "search_vector" in columns
                indexes = {i["name"] for i in inspect(conn).get_indexes("article")}
                assert "ix_article_search_vector" in indexes
    finally:
        engine.dispose()


def test_models_match_the_migrated_schema(empty_url):
    upgrade_db(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": include_object, "compare_type": True}
            )
            assert compare_metadata(context, store_metadata) == []
    finally:
        engine.dispose()


def test_the_schema_check_notices_a_model_change(tmp_path):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    upgrade_db(url)
    changed = MetaData()
    for table in store_metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["article"].append_column(Column("paywalled", Boolean()))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            diffs = compare_metadata(context, changed)
    finally:
        engine.dispose()
    assert [(d[0], d[2], d[3].name) for d in diffs] == [("add_column", "article", "paywalled")]


def test_migrations_do_not_import_the_project():
    for path in (REPO / "pipeline" / "store" / "migrations" / "versions").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in modules if m.startswith("pipeline")}, path.name


def test_store_open_upgrades_a_new_database(empty_url):
    with Store.open(empty_url) as store:
        assert store.count_articles() == 0
        assert store.source_states() == []


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert (tmp_path / "a" / "b" / "x.db").exists()
    finally:
        engine.dispose()


def test_alembic_command_line_works_with_the_shipped_ini(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "REGWATCH_DATABASE_URL": url}
    ini = REPO / "pipeline" / "store" / "alembic.ini"
    alembic = Path(sys.executable).with_name("alembic")
    done = subprocess.run(
        [str(alembic), "-c", str(ini), "upgrade", "head"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    engine = make_engine(url)
    try:
        assert _version(engine) == HEAD
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_everything(tmp_path):
    from alembic import command

    from pipeline.store.db import alembic_config

    url = f"sqlite:///{tmp_path / 'down.db'}"
    upgrade_db(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def _insert_source(conn) -> None:
    """Source ``src``, as the schema of 0001 to 0007 has it."""
    conn.execute(text("INSERT INTO source (id, name, url, kind, tags, active, created_at, consecutive_failures) "
                      "VALUES ('src', 'S', 'https://e.org/f', 'feed', '[]', true, CURRENT_TIMESTAMP, 0)"))


def test_upgrade_from_0001_gives_existing_articles_a_story_and_an_indexed_item(empty_url, make_article):
    upgrade_db(empty_url, "0001")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            _insert_source(conn)
            for n in (1, 2):
                conn.execute(text("INSERT INTO article (source_id, url, canonical_url, guid, title, fetched_at, "
                                  "text, text_origin) VALUES ('src', :u, :u, :g, 'T', CURRENT_TIMESTAMP, 'body', "
                                  "'page')"), {"u": f"https://e.org/{n}", "g": f"g{n}"})
    finally:
        engine.dispose()
    with Store.open(empty_url) as store:
        assert store.get_article(2)["story_id"] == 2
        assert store.get_story(1)["sources"] == ["src"]
        assert store.item_counts() == {"indexed": 2}
        new = store.add_article(make_article(3, source_id="src", text="a new body " * 30), None)
        assert store.get_article(new)["story_id"] == 3  # the story sequence continues after the backfill


def test_upgrade_from_0007_keeps_the_stored_work_and_adds_the_queue(empty_url, make_article):
    """A store of the release before the work queue (0007), with articles and an unfinished item, upgraded."""
    from pipeline.store.queue import TaskQueue, WorkerRegistry

    upgrade_db(empty_url, "0007")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            _insert_source(conn)
            conn.execute(text("INSERT INTO item (source_id, identity, state, attempts, discovered_at, updated_at) "
                              "VALUES ('src', 'https://e.org/9', 'fetched', 1, CURRENT_TIMESTAMP, "
                              "CURRENT_TIMESTAMP)"))
        assert "task" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    with Store.open(empty_url) as store:
        assert _version(store.engine) == HEAD
        article = store.add_article(make_article(1, source_id="src"), None)
        assert store.get_article(article)["source_id"] == "src"
        assert store.item_counts() == {"fetched": 1}  # the unfinished item waits to be resumed
        queue = TaskQueue(store.engine)
        assert queue.enqueue("item", "1") and not queue.enqueue("item", "1")
        WorkerRegistry(store.engine).register("h:1", "worker", "h", 1)
