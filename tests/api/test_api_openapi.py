"""/openapi.json is a valid OpenAPI document, lists every endpoint, and real answers match its schemas."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

ENDPOINTS = {
    "/api/search": "get", "/api/stories": "get", "/api/stories/{story_id}": "get",
    "/api/articles/{article_id}": "get", "/api/events": "get", "/api/stats": "get", "/api/sources": "get",
    "/api/searches": "get", "/api/searches/{name}": "delete", "/api/export/events.csv": "get",
    "/api/export/events.jsonl": "get", "/api/export/stories.csv": "get", "/api/export/stories.jsonl": "get",
    "/feeds/search.atom": "get", "/feeds/saved/{name}.atom": "get", "/calendar.ics": "get",
}


@pytest.fixture(scope="module")
def spec(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["info"]["title"] == "regwatch"
    for path, method in ENDPOINTS.items():
        assert method in spec["paths"].get(path, {}), path
    assert "post" in spec["paths"]["/api/searches"]
    assert not [path for path in spec["paths"] if not path.startswith(("/api/", "/feeds/", "/calendar"))]


def response_schema(spec: dict, path: str, status: str = "200") -> OAS31Validator:
    method = "get"
    content = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
    return OAS31Validator({**content["schema"], "components": spec["components"]})


def first_ids(client) -> tuple[int, int]:
    event = client.get("/api/events", params={"limit": 1}).json()["events"][0]
    return event["story_id"], event["article_id"]


def test_answers_match_their_documented_schemas(client, spec):
    story_id, article_id = first_ids(client)
    for path, url in [
        ("/api/search", "/api/search?q=FTC&limit=3"),
        ("/api/stories", "/api/stories?limit=3"),
        ("/api/stories/{story_id}", f"/api/stories/{story_id}"),
        ("/api/articles/{article_id}", f"/api/articles/{article_id}"),
        ("/api/events", "/api/events?limit=3"),
        ("/api/stats", "/api/stats?by=week"),
        ("/api/sources", "/api/sources"),
        ("/api/searches", "/api/searches"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        response_schema(spec, path).validate(response.json())
    error = client.get("/api/events?type=nope")
    response_schema(spec, "/api/events", "400").validate(error.json())


def test_event_objects_document_the_analysis_fields(spec):
    event = spec["components"]["schemas"]["EventItem"]
    assert {"type", "actor", "actor_kind", "jurisdictions", "effective_date", "status", "confidence", "evidence",
            "story_id", "article_id", "published"} <= set(event["required"])
    parameters = {p["name"] for p in spec["paths"]["/api/events"]["get"]["parameters"]}
    assert parameters == {"jurisdiction", "type", "company", "source", "status", "since", "until", "limit",
                          "cursor"}


ODD_VALUES = ["", " ", "'", '"', "\\", "%", "_", "\x00", "-1", "0", "9" * 30, "1e999", "null", "true", "Ä中𝄞",
              "<script>alert(1)</script>", "' OR 1=1 --", "x" * 5000, "2025-02-30", "..", "/", "?&="]


def test_odd_values_in_every_parameter_never_cause_a_500(client, spec):
    """A cheap fuzz over the documented GET parameters: every answer is a success or a JSON 4xx."""
    story_id, article_id = first_ids(client)
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        base = {p["name"]: {"story_id": story_id, "article_id": article_id, "name": "x", "q": "FTC"}.get(p["name"])
                for p in parameters if p["in"] == "path" or p["name"] == "q"}
        for parameter in parameters:
            for value in ODD_VALUES:
                values = {**base, parameter["name"]: value}
                url = path
                for name in [p["name"] for p in parameters if p["in"] == "path"]:
                    url = url.replace("{" + name + "}", quote(str(values.pop(name)), safe=""))
                response = client.get(url, params={k: v for k, v in values.items() if v is not None})
                assert response.status_code in (200, 400, 404), (path, parameter["name"], value, response.text)
                if response.status_code != 200:
                    assert list(response.json()) == ["error"], (path, parameter["name"], value)
