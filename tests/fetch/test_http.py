"""The HTTP client: httpx.MockTransport for behaviour, one real loopback server for timeouts and refusals."""

from __future__ import annotations

import gzip
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from pipeline.errors import FetchError
from pipeline.fetch import Fetcher, FetchResult
from pipeline.settings import Settings

PUBLIC = "http://93.184.216.34"  # an IP literal: the guard needs no DNS lookup in tests


def make_fetcher(handler: Callable[[httpx.Request], httpx.Response], **overrides) -> Fetcher:
    settings = Settings(**{"host_rate": 1000.0, **overrides})  # politeness has its own tests
    return Fetcher(settings, transport=httpx.MockTransport(handler))


def ok(body: bytes = b"hello", content_type: str = "text/plain; charset=utf-8", **headers: str):
    def handler(request: httpx.Request) -> httpx.Response:
        # An iterator keeps the body a stream, as a real transport gives it (bytes are read eagerly).
        return httpx.Response(200, content=iter([body]), headers={"content-type": content_type, **headers})

    return handler


def test_get_returns_body_headers_and_content_type():
    with make_fetcher(ok(b"<rss/>", "application/rss+xml; charset=ISO-8859-1", etag='"v1"')) as fetcher:
        result = fetcher.get(f"{PUBLIC}/feed")
    assert isinstance(result, FetchResult)
    assert (result.status, result.body, result.content_type) == (200, b"<rss/>", "application/rss+xml")
    assert result.charset == "iso-8859-1"
    assert result.etag == '"v1"'
    assert result.url == f"{PUBLIC}/feed"
    assert not result.not_modified and result.elapsed >= 0


def test_user_agent_and_accept_are_sent():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"x")

    with make_fetcher(handler, user_agent="regwatch-test/1.0") as fetcher:
        fetcher.get(f"{PUBLIC}/", accept="application/rss+xml")
    assert seen[0].headers["user-agent"] == "regwatch-test/1.0"
    assert seen[0].headers["accept"] == "application/rss+xml"


@pytest.mark.parametrize(
    ("status", "message"),
    [(503, "HTTP 503 Service Unavailable"), (404, "HTTP 404 Not Found"), (410, "HTTP 410 Gone"),
     (500, "HTTP 500 Internal Server Error")],
)
def test_http_error_statuses(status, message):
    fetcher = make_fetcher(lambda request: httpx.Response(status, content=b"error page"))
    with pytest.raises(FetchError) as caught:
        fetcher.get(f"{PUBLIC}/x", source_id="src")
    assert caught.value.message == message
    assert str(caught.value) == f"fetch: {message}"
    assert caught.value.source_id == "src" and caught.value.url == f"{PUBLIC}/x"


def test_redirects_are_followed_to_the_final_url():
    def handler(request: httpx.Request) -> httpx.Response:
        hops = {"/a": "/b", "/b": f"{PUBLIC}/c", "/c": "d"}
        if request.url.path in hops:
            status = 301 if request.url.path == "/a" else 302
            return httpx.Response(status, headers={"location": hops[request.url.path]})
        return httpx.Response(200, content=request.url.path.encode())

    result = make_fetcher(handler).get(f"{PUBLIC}/a")
    assert result.url == f"{PUBLIC}/d" and result.body == b"/d"


def test_redirect_loop_is_reported():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "/b" if request.url.path == "/a" else "/a"})

    with pytest.raises(FetchError, match="redirect loop"):
        make_fetcher(handler).get(f"{PUBLIC}/a")


def test_redirect_chain_is_capped_at_max_redirects():
    def chain(request: httpx.Request) -> httpx.Response:
        step = int(request.url.path.strip("/") or 0)
        return httpx.Response(302, headers={"location": f"/{step + 1}"}) if step < 20 else httpx.Response(200)

    with pytest.raises(FetchError) as caught:
        make_fetcher(chain).get(f"{PUBLIC}/0")
    assert caught.value.message == "more than 5 redirects"

    def five(request: httpx.Request) -> httpx.Response:
        step = int(request.url.path.strip("/"))
        return httpx.Response(302, headers={"location": f"/{step + 1}"}) if step < 5 else httpx.Response(200)

    assert make_fetcher(five).get(f"{PUBLIC}/0").url == f"{PUBLIC}/5"


def test_body_over_the_cap_is_refused_without_reading_it_all():
    served = {"bytes": 0}

    def stream() -> Iterator[bytes]:
        for _ in range(1000):
            served["bytes"] += 64 * 1024
            yield b"x" * (64 * 1024)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=stream())

    with pytest.raises(FetchError) as caught:
        make_fetcher(handler, max_response_bytes=1024 * 1024).get(f"{PUBLIC}/big")
    assert caught.value.message == "response over 1 MB cap"
    assert served["bytes"] < 2 * 1024 * 1024


def test_declared_content_length_over_the_cap_fails_early():
    handler = ok(b"x" * 5000, **{"content-length": "5000"})
    with pytest.raises(FetchError, match="response over 4 KB cap"):
        make_fetcher(handler, max_response_bytes=4096).get(f"{PUBLIC}/big")


def test_gzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MB in ~64 KB
    assert len(bomb) < 100_000
    handler = ok(bomb, "text/html", **{"content-encoding": "gzip"})
    with pytest.raises(FetchError, match=r"^fetch: response over 10 MB cap$") as caught:
        make_fetcher(handler).get(f"{PUBLIC}/bomb")
    assert str(caught.value) == "fetch: response over 10 MB cap"


def test_gzip_and_deflate_bodies_are_decoded():
    text = "Привет, мир ".encode() * 1000
    for encoding, data in (("gzip", gzip.compress(text)), ("deflate", zlib.compress(text)),
                           ("deflate", zlib.compress(text)[2:-4])):  # raw deflate, as some servers send
        result = make_fetcher(ok(data, **{"content-encoding": encoding})).get(f"{PUBLIC}/z")
        assert result.body == text


def test_bad_gzip_body_is_reported():
    with pytest.raises(FetchError) as caught:
        make_fetcher(ok(b"this is not gzip at all", **{"content-encoding": "gzip"})).get(f"{PUBLIC}/z")
    assert caught.value.message == "bad gzip body"
    truncated = gzip.compress(os.urandom(50_000))[:1000]
    with pytest.raises(FetchError, match="bad gzip body"):
        make_fetcher(ok(truncated, **{"content-encoding": "gzip"})).get(f"{PUBLIC}/z")


def test_conditional_get_sends_validators_and_reads_304():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, content=b"new", headers={"etag": '"v2"'})

    fetcher = make_fetcher(handler)
    result = fetcher.get(f"{PUBLIC}/feed", etag='"v1"', last_modified="Wed, 21 Oct 2015 07:28:00 GMT")
    assert result.not_modified and result.status == 304 and result.body == b""
    assert result.etag == '"v1"'
    assert seen[0].headers["if-modified-since"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    fresh = fetcher.get(f"{PUBLIC}/feed", etag='"old"')
    assert not fresh.not_modified and fresh.body == b"new" and fresh.etag == '"v2"'


@pytest.mark.parametrize(
    ("url", "address"),
    [("http://127.0.0.1:8080/x", "127.0.0.1"), ("http://10.0.0.5/", "10.0.0.5"),
     ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"), ("http://[::1]/", "::1"),
     ("http://192.168.1.1/", "192.168.1.1"), ("http://0.0.0.0/", "0.0.0.0"),
     ("http://224.0.0.1/", "224.0.0.1"),
     ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1")],
)
def test_private_addresses_are_blocked(url, address):
    calls: list[httpx.Request] = []
    fetcher = make_fetcher(lambda request: calls.append(request) or httpx.Response(200))
    with pytest.raises(FetchError) as caught:
        fetcher.get(url, source_id="s")
    assert caught.value.message == f"blocked private address {address} (set allow_private: true to allow)"
    assert calls == []


def test_private_address_allowed_per_call_or_by_settings():
    assert make_fetcher(ok()).get("http://127.0.0.1:9/x", allow_private=True).body == b"hello"
    assert make_fetcher(ok(), allow_private=True).get("http://127.0.0.1:9/x").body == b"hello"
    with pytest.raises(FetchError, match="blocked private address"):
        make_fetcher(ok(), allow_private=True).get("http://127.0.0.1:9/x", allow_private=False)


def test_redirect_to_a_private_address_is_blocked():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if request.url.host == "93.184.216.34":
            return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
        return httpx.Response(200, content=b"secret")

    with pytest.raises(FetchError, match=r"blocked private address 169\.254\.169\.254"):
        make_fetcher(handler).get(f"{PUBLIC}/r")
    assert calls == [f"{PUBLIC}/r"]


def test_host_names_are_resolved_before_connecting():
    resolved = {"intranet.example": ["10.1.2.3"], "news.example": ["93.184.216.34"]}
    fetcher = Fetcher(Settings(), transport=httpx.MockTransport(ok()), resolver=lambda host: resolved[host])
    with pytest.raises(FetchError, match=r"blocked private address 10\.1\.2\.3"):
        fetcher.get("http://intranet.example/")
    assert fetcher.get("http://news.example/").body == b"hello"

    def unresolvable(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    fetcher = Fetcher(Settings(), transport=httpx.MockTransport(ok()), resolver=unresolvable)
    with pytest.raises(FetchError, match="name not resolved: nowhere.invalid"):
        fetcher.get("http://nowhere.invalid/")


def test_localhost_is_blocked_through_resolution():
    with pytest.raises(FetchError, match="blocked private address"):
        make_fetcher(ok()).get("http://localhost:8000/")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/feed.xml", "javascript:alert(1)", "gopher://x/", "example.com/x"]
)
def test_unsupported_schemes(url):
    with pytest.raises(FetchError, match="unsupported URL scheme"):
        make_fetcher(ok()).get(url)


def test_redirect_to_another_scheme_is_refused():
    handler = lambda request: httpx.Response(302, headers={"location": "file:///etc/passwd"})  # noqa: E731
    with pytest.raises(FetchError, match="redirect to unsupported URL"):
        make_fetcher(handler).get(f"{PUBLIC}/r")


def test_file_urls(tmp_path):
    feed = tmp_path / "saved feed.xml"
    feed.write_bytes(b"<rss version='2.0'/>")
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(b"<html>hi</html>"))
    fetcher = make_fetcher(ok())
    result = fetcher.get(feed.as_uri(), allow_private=True)
    assert (result.status, result.body) == (200, b"<rss version='2.0'/>")
    assert result.content_type == "application/xml"
    gz = fetcher.get(page.as_uri(), allow_private=True)
    assert gz.body == b"<html>hi</html>" and gz.content_type == "text/html"
    with pytest.raises(FetchError, match="file not found"):
        fetcher.get((tmp_path / "missing.xml").as_uri(), allow_private=True)
    with pytest.raises(FetchError, match="blocked local file URL"):
        fetcher.get(feed.as_uri())  # a file:// link found inside a feed must not read local files
    with pytest.raises(FetchError, match="response over"):
        make_fetcher(ok(), max_response_bytes=5).get(feed.as_uri(), allow_private=True)


# -- a real loopback server ------------------------------------------------------------------------


class _SlowHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/slow":
            time.sleep(1.5)
        body = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_loopback_fetch_timeout_and_connection_refused(loopback):
    with Fetcher(Settings(read_timeout=0.3, connect_timeout=1.0)) as fetcher:
        result = fetcher.get(f"{loopback}/fast", allow_private=True)
        assert result.status == 200 and result.content_type == "application/rss+xml"
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetcher.get(f"{loopback}/slow", allow_private=True)
        assert caught.value.message == "timeout after 0.3s"
        assert time.monotonic() - started < 1.4
        with pytest.raises(FetchError, match="blocked private address 127.0.0.1"):
            fetcher.get(f"{loopback}/fast")

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Fetcher(Settings()) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get(f"http://127.0.0.1:{port}/", allow_private=True)
    assert caught.value.message == "connection refused"
