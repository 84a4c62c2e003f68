"""Loopback receivers for alert tests: an HTTP endpoint that records POSTs and can fail on purpose, and an
SMTP server (aiosmtpd) that keeps every message it is given."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.server import LoopbackHTTP


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


class HookReceiver(LoopbackHTTP):
    """POST endpoint on 127.0.0.1. ``plan`` lists the answers to give, in order ("ok", a status code, or
    "timeout": wait ``hang`` seconds then answer 200); after it runs out, every answer is "ok".
    Only requests answered "ok" count as delivered (``delivered``)."""

    def __init__(self, plan: list[str | int] | None = None, hang: float = 2.0) -> None:
        self.plan = list(plan or [])
        self.hang = hang
        self.requests: list[Received] = []
        self.delivered: list[Received] = []
        self.on_delivered: Callable[[Received], None] | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(self.path, dict(self.headers), self.rfile.read(length), time.monotonic())
                with receiver._lock:
                    receiver.requests.append(got)
                    answer = receiver.plan.pop(0) if receiver.plan else "ok"
                if answer == "timeout":
                    time.sleep(receiver.hang)
                    answer = 200
                    got = None  # the client gave up: not delivered
                status = 200 if answer == "ok" else int(answer)
                if got is not None and status == 200:
                    with receiver._lock:
                        receiver.delivered.append(got)
                    if receiver.on_delivered:
                        receiver.on_delivered(got)
                body = b"ok" if status == 200 else b"failed on purpose"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)

    @property
    def url(self) -> str:
        return f"{self.base}/hook"


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1; ``messages`` holds (envelope, raw bytes) pairs.

    ``tls``: None (plain SMTP), ``"starttls"`` (STARTTLS required before mail) or ``"ssl"`` (implicit TLS),
    with ``cert``/``key`` PEM files."""

    def __init__(self, *, password: str | None = None, tls: str | None = None, cert: Path | None = None,
                 key: Path | None = None) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages: list[tuple[object, bytes]] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
                receiver.messages.append((envelope, envelope.original_content or envelope.content))
                return "250 OK"

        with socket.socket() as probe:  # aiosmtpd needs a fixed port: take a free one
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        options: dict = {}
        if password is not None:  # AUTH offered over plain SMTP (loopback only), accepting this one password

            def authenticator(server, session, envelope, mechanism, data):
                secret = getattr(data, "password", b"")
                return AuthResult(success=secret == password.encode(), handled=False)

            # aiosmtpd cannot tell implicit TLS from plain text, so only STARTTLS can insist on it for AUTH
            options = {"authenticator": authenticator, "auth_require_tls": tls == "starttls"}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert), str(key))
            if tls == "starttls":
                options |= {"tls_context": context, "require_starttls": True}
            else:
                options["ssl_context"] = context
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
