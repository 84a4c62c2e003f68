"""A fault-injecting loopback HTTP server: what a hostile or broken site does, on demand.

Routes map a path to a ``Reply`` or to a function of the ``Hit`` (the request as the server saw
it) returning one. Builders below give the usual faults: error statuses with ``Retry-After``,
conditional answers (304 on a matching ``ETag`` / ``Last-Modified``), redirects and redirect loops,
a server that never answers, a body trickling in a byte at a time, a gzip bomb.

Every request is recorded with its arrival time, and the server tracks how many requests were in
flight at once, so tests can assert the count and spacing of requests per host. Several servers
stand for several hosts (one host:port each). Binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import functools
import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

from tests.support.server import LoopbackHTTP


@dataclass
class Hit:
    path: str  # with the query
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line: a server that does not answer
    hold: float = 0.0  # seconds after the status line and headers, before the body
    drip: float | None = None  # seconds between single bytes of the body
    content_length: int | None = None  # declared length; default len(body)


Responder = Reply | Callable[[Hit], Reply]


class FaultServer(LoopbackHTTP):
    def __init__(self) -> None:
        self.routes: dict[str, Responder] = {}
        self.hits: list[Hit] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                hit = Hit(self.path, dict(self.headers), time.monotonic())
                with server._lock:
                    server.hits.append(hit)
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    responder = server.routes.get(self.path.split("?", 1)[0], NOT_FOUND)
                    reply = responder(hit) if callable(responder) else responder
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    self.close_connection = True
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                length = reply.content_length if reply.content_length is not None else len(reply.body)
                self.send_header("Content-Length", str(length))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.flush()
                if reply.hold:
                    time.sleep(reply.hold)
                if reply.drip is None:
                    self.wfile.write(reply.body)
                    return
                for index in range(len(reply.body)):
                    self.wfile.write(reply.body[index:index + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip)

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler, poll_interval=0.05)

    @property
    def host(self) -> str:
        """The limiter's key for this server: ``127.0.0.1:PORT``."""
        host, port = self.httpd.server_address[:2]
        return f"{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, responder: Responder) -> str:
        """Serve ``responder`` at ``path``; returns the full URL."""
        self.routes[path] = responder
        return self.url(path)

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path.split("?", 1)[0] == path]

    def gaps(self) -> list[float]:
        """Seconds between consecutive request arrivals at this server (this host)."""
        with self._lock:
            times = sorted(hit.at for hit in self.hits)
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.peak_in_flight = 0



NOT_FOUND = Reply(status=404, body=b"not found", content_type="text/plain")


# -- faults ----------------------------------------------------------------------------------------


def ok(body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str) -> Reply:
    return Reply(body=body, content_type=content_type, headers=dict(headers))


def status(code: int, *, retry_after: str | int | None = None, body: bytes = b"error") -> Reply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply(status=code, body=body, content_type="text/plain", headers=headers)


def conditional(
    body: bytes, content_type: str, *, etag: str | None = '"v1"', last_modified: float | None = 1_700_000_000
) -> Callable[[Hit], Reply]:
    """200 with validators, or 304 when the request carries a matching If-None-Match / If-Modified-Since."""
    stamp = formatdate(last_modified, usegmt=True) if last_modified is not None else None

    def respond(hit: Hit) -> Reply:
        headers = {}
        if etag:
            headers["ETag"] = etag
        if stamp:
            headers["Last-Modified"] = stamp
        if_none_match = hit.header("If-None-Match")
        since = hit.header("If-Modified-Since")
        if (etag and if_none_match == etag) or (not if_none_match and stamp and since == stamp):
            return Reply(status=304, body=b"", content_type=None, headers=headers)
        return Reply(body=body, content_type=content_type, headers=headers)

    return respond


def redirect(location: str, code: int = 302) -> Reply:
    return Reply(status=code, body=b"", content_type=None, headers={"Location": location})


def hang(seconds: float) -> Reply:
    """Accept the request and say nothing for ``seconds``."""
    return Reply(body=b"late", delay=seconds)


def drip(body: bytes, every: float, content_type: str = "application/rss+xml") -> Reply:
    """Headers at once, then the body one byte every ``every`` seconds: each read is quick, the whole is not."""
    return Reply(body=body, content_type=content_type, drip=every)


def gzip_bomb(size: int = 64 * 1024 * 1024, content_type: str = "application/rss+xml") -> Reply:
    """``size`` bytes of zeros gzipped into a small body, served with Content-Encoding: gzip."""
    return Reply(body=_zeros_gzipped(size), content_type=content_type, headers={"Content-Encoding": "gzip"})


@functools.lru_cache(maxsize=4)
def _zeros_gzipped(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


def sequence(*replies: Reply) -> Callable[[Hit], Reply]:
    """One reply per request in order; the last one repeats."""
    lock = threading.Lock()
    state = {"next": 0}

    def respond(hit: Hit) -> Reply:
        with lock:
            index = min(state["next"], len(replies) - 1)
            state["next"] += 1
        return replies[index]

    return respond


def slow(reply: Reply, seconds: float) -> Reply:
    """``reply`` after holding the request ``seconds`` (to observe concurrency)."""
    return Reply(status=reply.status, body=reply.body, content_type=reply.content_type,
                 headers=dict(reply.headers), delay=seconds)
