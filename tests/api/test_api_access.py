"""Access: tokens (hashed, read-only and admin), the security headers, and `serve` refusing a public bind."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from pipeline.api.security import CONTENT_SECURITY_POLICY
from pipeline.cli import app as cli_app
from tests.api.test_api_read import assert_error

READ_PATHS = ["/api/events", "/api/stories", "/api/stats", "/api/sources", "/api/searches",
              "/api/export/events.csv", "/feeds/search.atom?q=FTC", "/calendar.ics"]


def cli(url: str, tmp_path, *args: str):
    result = CliRunner().invoke(cli_app, ["--database-url", url, "--data-dir", str(tmp_path), *args])
    return result


def create(url: str, tmp_path, name: str, *flags: str) -> str:
    result = cli(url, tmp_path, "tokens", "create", name, *flags)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("rw_") and len(token) > 40
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_security_headers_on_every_kind_of_response(client):
    for path in ["/api/events", "/api/nothing", "/api/events?limit=0", "/openapi.json", "/calendar.ics",
                 "/api/export/events.jsonl"]:
        response = client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"


def test_without_tokens_the_api_is_open(writable_client):
    for path in READ_PATHS:
        assert writable_client.get(path).status_code == 200, path


def test_tokens_are_stored_hashed_and_listed_without_the_token(writable_url, tmp_path):
    read = create(writable_url, tmp_path, "dashboard")
    admin = create(writable_url, tmp_path, "ops", "--admin")
    from pipeline.store import Store

    with Store.open(writable_url) as store, store.engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(text("SELECT * FROM api_token ORDER BY name")).mappings()]
    assert [row["name"] for row in rows] == ["dashboard", "ops"]
    assert [bool(row["admin"]) for row in rows] == [False, True]
    for row, token in zip(rows, (read, admin), strict=True):
        assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
        assert all(token not in str(value) for value in row.values())
    listed = cli(writable_url, tmp_path, "tokens", "list")
    assert listed.exit_code == 0 and "dashboard" in listed.stdout and "admin" in listed.stdout
    assert read not in listed.stdout and admin not in listed.stdout
    again = cli(writable_url, tmp_path, "tokens", "create", "ops")
    assert again.exit_code != 0 and "exists already" in again.output
    bad = cli(writable_url, tmp_path, "tokens", "create", "Bad Name")
    assert bad.exit_code != 0 and "token name" in bad.output


def test_once_a_token_exists_every_read_route_needs_one(writable_client, writable_url, tmp_path):
    token = create(writable_url, tmp_path, "dashboard")
    for path in READ_PATHS:
        response = writable_client.get(path)
        assert_error(response, 401, "token")
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert_error(writable_client.get(path, headers=bearer("rw_" + "x" * 43)), 401, "not valid")
        assert writable_client.get(path, headers=bearer(token)).status_code == 200, path
    feed = writable_client.get(f"/feeds/search.atom?q=FTC&token={token}")
    assert feed.status_code == 200 and token not in feed.text  # the token never goes into the feed's links
    assert writable_client.get(f"/calendar.ics?token={token}").status_code == 200
    assert writable_client.get("/openapi.json").status_code == 200  # the schema is not data


def test_a_page_without_a_token_explains_how_to_give_one(writable_client, writable_url, tmp_path):
    token = create(writable_url, tmp_path, "reader")
    for path in ("/", "/search?q=FTC", "/sources", "/calendar"):
        page = writable_client.get(path)
        assert page.status_code == 401, path
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["www-authenticate"].startswith("Bearer")
        assert "?token=" in page.text and "<h1>Access needed</h1>" in page.text
        assert "content-security-policy" in page.headers
    assert writable_client.get(f"/sources?token={token}").status_code == 200


def test_a_revoked_token_is_refused(writable_client, writable_url, tmp_path):
    token = create(writable_url, tmp_path, "temp")
    create(writable_url, tmp_path, "other")
    assert writable_client.get("/api/sources", headers=bearer(token)).status_code == 200
    result = cli(writable_url, tmp_path, "tokens", "revoke", "temp")
    assert result.exit_code == 0, result.output
    assert_error(writable_client.get("/api/sources", headers=bearer(token)), 401)
    missing = cli(writable_url, tmp_path, "tokens", "revoke", "temp")
    assert missing.exit_code == 1 and "no token named 'temp'" in missing.output


def test_saved_searches_change_only_with_an_admin_token_in_the_header(writable_client, writable_url, tmp_path):
    read = create(writable_url, tmp_path, "dashboard")
    admin = create(writable_url, tmp_path, "ops", "--admin")
    body = {"name": "ftc-fines", "query": "FTC type:fine_or_penalty"}
    assert_error(writable_client.post("/api/searches", json=body), 401)
    assert_error(writable_client.post("/api/searches", json=body, headers=bearer(read)), 403, "admin")
    assert_error(writable_client.post(f"/api/searches?token={admin}", json=body), 401)  # header only
    created = writable_client.post("/api/searches", json=body, headers=bearer(admin))
    assert created.status_code == 201, created.text
    assert {"name": "ftc-fines", "query": body["query"]} in created.json()["searches"]
    listed = writable_client.get("/api/searches", headers=bearer(read)).json()["searches"]
    assert {"name": "ftc-fines", "query": body["query"]} in listed
    assert_error(writable_client.post("/api/searches", json={"name": "bad", "query": '"open'},
                                      headers=bearer(admin)), 400, "quote")
    assert_error(writable_client.post("/api/searches", json={"name": "x"}, headers=bearer(admin)), 400, "query")
    assert_error(writable_client.delete("/api/searches/ftc-fines", headers=bearer(read)), 403)
    assert writable_client.delete("/api/searches/ftc-fines", headers=bearer(admin)).status_code == 204
    assert_error(writable_client.delete("/api/searches/ftc-fines", headers=bearer(admin)), 404, "ftc-fines")


def test_a_page_opened_with_a_token_sets_a_strict_cookie_for_its_links(writable_client, writable_url, tmp_path):
    token = create(writable_url, tmp_path, "browser")
    response = writable_client.get(f"/?token={token}")
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"regwatch_token={token}") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert writable_client.get("/api/sources").status_code == 200  # the client sends the cookie back now
    api = writable_client.get(f"/api/sources?token={token}")
    assert "set-cookie" not in api.headers  # API calls never get one
    writable_client.cookies.clear()
    assert_error(writable_client.get("/api/sources"), 401)


# -- serve -------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_serve(url: str, tmp_path, host: str, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--database-url", url, "--data-dir", str(tmp_path), "serve",
         "--host", host, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_serve_refuses_a_public_address_without_a_token(writable_url, tmp_path, host):
    process = run_serve(writable_url, tmp_path, host, free_port())
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert f"refusing to listen on {host}" in lines[0] and "regwatch tokens create" in lines[0]


def wait_for(url: str, headers: dict[str, str], process: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {process.stderr.read()}")
        try:
            return httpx.get(url, headers=headers, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("serve did not answer within 60 s")


def test_serve_answers_on_loopback_and_on_a_public_bind_once_a_token_exists(writable_url, tmp_path):
    port = free_port()
    process = run_serve(writable_url, tmp_path, "127.0.0.1", port)
    try:
        response = wait_for(f"http://127.0.0.1:{port}/api/sources", {}, process)
        assert response.status_code == 200 and len(response.json()["sources"]) == 3
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "server" not in response.headers
    finally:
        process.terminate()
        process.wait(timeout=30)
    token = create(writable_url, tmp_path, "remote")
    port = free_port()
    process = run_serve(writable_url, tmp_path, "0.0.0.0", port)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/api/sources", {}, process).status_code == 401
        assert wait_for(f"http://127.0.0.1:{port}/api/sources", bearer(token), process).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_store_failure_is_a_503_without_details(writable_client, writable_url, caplog):
    from pipeline.store import Store

    with Store.open(writable_url) as store, store.engine.begin() as conn:
        conn.execute(text("DROP TABLE event"))
    response = writable_client.get("/api/events")
    assert_error(response, 503, "store")
    assert "event" not in response.json()["error"] and "sqlite" not in response.text.lower()
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert any("no such table" in record.getMessage() for record in caplog.records)


@pytest.mark.postgres
def test_tokens_on_postgres(pg_database_factory, tmp_path):
    from pipeline.api.tokens import create_token, list_tokens, revoke_token, tokens_configured, verify_token
    from pipeline.store import Store
    from tests.api.conftest import make_client

    with pg_database_factory() as url:
        with Store.open(url) as store:
            assert not tokens_configured(store)
            token = create_token(store, "grafana")
            assert tokens_configured(store) and verify_token(store, token).name == "grafana"
            assert verify_token(store, token + "x") is None
            assert [(t.name, t.admin) for t in list_tokens(store)] == [("grafana", False)]
        client_gen = make_client(url, tmp_path)
        client = next(client_gen)
        try:
            assert_error(client.get("/api/sources"), 401)
            assert client.get("/api/sources", headers=bearer(token)).json() == {"sources": []}
        finally:
            client_gen.close()
        with Store.open(url) as store:
            revoke_token(store, "grafana")
            assert not tokens_configured(store)
