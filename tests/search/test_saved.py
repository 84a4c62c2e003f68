"""Saved searches: the store module, migration 0005 on both backends, and `regwatch searches`."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import QueryError
from pipeline.search import saved
from pipeline.search.saved import SavedSearchError
from pipeline.store import Store, make_engine, upgrade_db
from pipeline.store.db import alembic_config


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path, pg_database_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'regwatch.db'}"
        return
    with pg_database_factory() as pg:
        yield pg


def test_save_get_list_delete(url):
    with Store.open(url) as store:
        assert saved.list_saved(store) == []
        saved.save(store, "china-sales", "zoom  jurisdiction:CN since:1y")
        saved.save(store, "bans", 'type:ban -"op ed"')
        assert saved.get(store, "china-sales") == "zoom jurisdiction:CN since:1y"
        saved.save(store, "china-sales", "zoom OR tiktok jurisdiction:China")  # replaces
        assert saved.list_saved(store) == [("bans", 'type:ban -"op ed"'),
                                           ("china-sales", "zoom OR tiktok jurisdiction:China")]
        saved.delete(store, "bans")
        assert [name for name, _ in saved.list_saved(store)] == ["china-sales"]
        with pytest.raises(SavedSearchError, match=r"no saved search named 'bans' \(saved: china-sales;"):
            saved.get(store, "bans")
        with pytest.raises(SavedSearchError, match="no saved search named 'bans'"):
            saved.delete(store, "bans")


def test_a_query_and_a_name_are_checked_before_saving(url):
    with Store.open(url) as store:
        with pytest.raises(QueryError, match='unknown field "compny:"'):
            saved.save(store, "x", "compny:Zoom")
        with pytest.raises(QueryError, match="unbalanced quote"):
            saved.save(store, "x", '"zoom')
        for name in ("", "Has Caps", "-dash-first", "a" * 65, "sp ace"):
            with pytest.raises(SavedSearchError, match="saved search name"):
                saved.save(store, name, "zoom")
        assert saved.list_saved(store) == []


def test_migration_0005_adds_and_removes_the_table(url):
    upgrade_db(url, "0004")
    engine = make_engine(url)
    try:
        assert "saved_search" not in inspect(engine).get_table_names()
        upgrade_db(engine, "0005")
        inspector = inspect(engine)
        assert "saved_search" in inspector.get_table_names()
        assert {c["name"] for c in inspector.get_columns("saved_search")} == {
            "id", "name", "query", "created_at", "updated_at"}
        assert "ix_article_search" in {i["name"] for i in inspector.get_indexes("article")}
        assert "ix_entity_article_id_kind" in {i["name"] for i in inspector.get_indexes("entity")}
        assert "ix_event_article_id_type" in {i["name"] for i in inspector.get_indexes("event")}
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO saved_search (name, query, created_at, updated_at) "
                              "VALUES ('a', 'zoom', '2026-01-01', '2026-01-01')"))
        with pytest.raises(Exception, match="(?i)unique"), engine.begin() as conn:
            conn.execute(text("INSERT INTO saved_search (name, query, created_at, updated_at) "
                              "VALUES ('a', 'tiktok', '2026-01-01', '2026-01-01')"))
        with engine.connect() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0004")
            conn.commit()
        assert "saved_search" not in inspect(engine).get_table_names()
        assert "ix_article_search" not in {i["name"] for i in inspect(engine).get_indexes("article")}
    finally:
        engine.dispose()


def test_cli_saves_lists_and_deletes(tmp_path):
    base = ["--database-url", f"sqlite:///{tmp_path / 'regwatch.db'}", "--data-dir", str(tmp_path)]
    runner = CliRunner()
    done = runner.invoke(app, [*base, "searches", "save", "china", "zoom jurisdiction:CN"])
    assert done.exit_code == 0, done.output
    assert "saved china: zoom jurisdiction:CN" in done.output
    done = runner.invoke(app, [*base, "searches", "list", "--json"])
    assert json.loads(done.output) == [{"name": "china", "query": "zoom jurisdiction:CN"}]
    done = runner.invoke(app, [*base, "searches", "save", "bad", "compny:x"])
    assert done.exit_code != 0 and 'unknown field "compny:"' in done.output
    assert "Traceback" not in done.output
    done = runner.invoke(app, [*base, "searches", "delete", "china"])
    assert done.exit_code == 0 and "deleted china" in done.output
    done = runner.invoke(app, [*base, "searches", "delete", "china"])
    assert done.exit_code != 0 and "no saved search named 'china'" in done.output
    done = runner.invoke(app, [*base, "searches", "list"])
    assert "no saved searches" in done.output


@pytest.mark.postgres
def test_migration_0005_splits_compound_words_on_postgres_as_fts5_does(pg_database_factory):
    with pg_database_factory() as url:
        upgrade_db(url, "0004")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO source (id, name, url, kind, tags, active, created_at, "
                                  "consecutive_failures) VALUES ('s', 'S', 'https://s.example', 'feed', '[]', true, "
                                  "now(), 0)"))
                conn.execute(text("INSERT INTO article (source_id, url, canonical_url, title, fetched_at, text, "
                                  "text_origin) VALUES ('s', 'https://s.example/1', 'https://s.example/1', "
                                  "'Cabinet named', now(), 'The prime minister-designate named a cabinet.', 'page')"))
            phrase = "SELECT COUNT(*) FROM article WHERE search_vector @@ phraseto_tsquery('english', 'prime minister')"
            with engine.connect() as conn:
                assert conn.execute(text(phrase)).scalar() == 0  # PostgreSQL's parser: one compound token
            upgrade_db(engine)
            with engine.connect() as conn:
                assert conn.execute(text(phrase)).scalar() == 1  # as in SQLite FTS5
        finally:
            engine.dispose()
