"""A real loopback HTTP server for integration tests.

Serves files from a directory unchanged (byte for byte, with a content type
from the extension) plus routes registered in code: fixed bodies, HTTP errors
and slow responses. Binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import mimetypes
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    headers: dict[str, str] | None = None


class QuietHTTPServer(ThreadingHTTPServer):
    """A loopback server that does not print a traceback when a client hangs up mid-answer
    (the crawler does that on purpose: size caps, timeouts, stop requests)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class LoopbackHTTP:
    """A handler class served on 127.0.0.1 (a free port) by a background thread; a context manager."""

    def _listen(self, handler: type[BaseHTTPRequestHandler], poll_interval: float = 0.5) -> None:
        self.httpd = QuietHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": poll_interval},
                                       daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class LoopbackServer(LoopbackHTTP):
    def __init__(self) -> None:
        self.mounts: dict[str, Path] = {}
        self.routes: dict[str, Route | Callable[[], Route]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with server._lock:
                    server.requests.append((self.path, dict(self.headers)))
                route = server.resolve(self.path.split("?", 1)[0])
                if callable(route):
                    route = route()
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                for name, value in (route.headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)

    def url(self, path: str) -> str:
        return self.base + path

    def mount(self, prefix: str, directory: Path) -> None:
        self.mounts[prefix.rstrip("/") + "/"] = directory

    def add(self, path: str, route: Route | Callable[[], Route]) -> None:
        self.routes[path] = route

    def resolve(self, path: str) -> Route | Callable[[], Route]:
        if path in self.routes:
            return self.routes[path]
        for prefix, directory in self.mounts.items():
            if path.startswith(prefix):
                name = path[len(prefix):]
                file = (directory / name).resolve()
                if file.is_file() and directory.resolve() in file.parents:
                    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    if file.suffix in (".xml", ".rss", ".atom", ".rdf"):
                        content_type = "application/xml"
                    elif file.suffix == ".json":
                        content_type = "application/json"
                    elif file.suffix == ".html":
                        content_type = "text/html; charset=utf-8"
                    return Route(body=file.read_bytes(), content_type=content_type)
        return Route(status=404, body=b"not found", content_type="text/plain")

