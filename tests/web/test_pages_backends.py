"""Every page renders on both backends from the same newsroom crawl, with the same stories (no browser)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.api import create_app
from pipeline.settings import Settings
from pipeline.store import Store
from tests.support.newsroom import SCRIPT_PAYLOAD


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request, tmp_path_factory) -> Iterator[TestClient]:
    url = request.getfixturevalue("filled_sqlite_url" if request.param == "sqlite" else "filled_pg_url")
    with Store.open(url) as store:
        app = create_app(Settings(database_url=url, data_dir=Path(tmp_path_factory.mktemp("pages"))), store=store)
        with TestClient(app) as test_client:
            yield test_client


def story_links(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/stories/(\d+)', html)


def hit_titles(html: str) -> list[str]:
    """The hits' titles, in order (story ids depend on the crawl's order, titles do not)."""
    return re.findall(r'<h3><a href="/stories/\d+[^"]*">([^<]*)</a>', html)


def test_pages_render_with_the_same_content_on_both_backends(client):
    overview = client.get("/")
    assert overview.status_code == 200 and overview.headers["content-type"].startswith("text/html")
    assert overview.text.count('<svg class="chart-svg"') == 2
    search = client.get("/search", params={"q": "FTC"})
    assert search.status_code == 200
    ids = story_links(search.text)
    assert len(ids) >= 3
    story = client.get(f"/stories/{ids[0]}")
    assert story.status_code == 200 and 'class="event"' in story.text and 'class="ent ent-' in story.text
    calendar = client.get("/calendar", params={"from": "2000-01-01"})
    assert calendar.status_code == 200 and 'datetime="2007-06-01"' in calendar.text
    sources = client.get("/sources")
    assert sources.status_code == 200 and sources.text.count('<tr class="status-') == 3
    hostile = client.get("/search", params={"q": "Sendit"})
    assert SCRIPT_PAYLOAD not in hostile.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text


def test_same_result_stories_on_sqlite_and_postgres(filled_sqlite_url, filled_pg_url, tmp_path):
    pages = []
    for url in (filled_sqlite_url, filled_pg_url):
        with Store.open(url) as store, TestClient(create_app(Settings(database_url=url, data_dir=tmp_path),
                                                             store=store)) as test_client:
            pages.append([sorted(hit_titles(test_client.get("/search", params={"q": q}).text))
                          for q in ("FTC", "children type:investigation", "settlement -Disney")])
    assert pages[0] == pages[1]
    assert all(pages[0])
