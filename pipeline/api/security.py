"""Security headers on every response, and JSON error bodies for every error.

Article-derived text is untrusted, so every response carries a strict Content-Security-Policy (scripts
and styles only from this origin, no inline script, no plugins, no framing), ``nosniff`` and no
referrer. The middleware is plain ASGI (not ``BaseHTTPMiddleware``) so streamed exports stay streamed.

Errors: every 4xx answer is ``{"error": "one line"}``; a request's bad parameter is a 400 naming it
(FastAPI's own 422 for validation is turned into that too); an unexpected failure is a 500 with a
generic line, logged with its traceback here, never sent to the client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.errors import QueryError, RegwatchError, StoreError

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
TOKEN_COOKIE = "regwatch_token"
_STATUS_WORDS = {400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found",
                 405: "method not allowed", 422: "unprocessable input"}


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response; sets the token cookie that ``require_read`` asked for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                cookie = scope.get("state", {}).get("set_token_cookie")
                if cookie:
                    secure = "; Secure" if scope.get("scheme") == "https" else ""
                    headers.append((b"set-cookie", f"{TOKEN_COOKIE}={cookie}; Path=/; HttpOnly; "
                                                   f"SameSite=Strict{secure}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RejectNulMiddleware:
    """A 400 for a NUL character anywhere in the path or query: no column can hold one (PostgreSQL refuses it),
    and no real query needs one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope.get("path", "")
                                        or b"%00" in scope.get("query_string", b"")
                                        or b"\x00" in scope.get("query_string", b"")):
            response = error_response(400, "the request contains a NUL character")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("query", "path", "body", "header", "cookie"):
            location = location[1:]  # where it came from; the name of the parameter follows
        name = ".".join(location) or "request body"
        parts.append(f"{name}: {error.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, _validation_message(exc))

    @app.exception_handler(QueryError)
    async def _bad_query(_request: Request, exc: QueryError) -> JSONResponse:
        return error_response(400, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail: Any = exc.detail
        message = detail if isinstance(detail, str) and detail else _STATUS_WORDS.get(exc.status_code, "error")
        from pipeline.api.web import access_page, is_page  # the pages import this module's neighbours

        if exc.status_code in (401, 403) and is_page(request.url.path):
            response = access_page(request, exc.status_code, message)
            for name, value in (getattr(exc, "headers", None) or {}).items():
                response.headers[name] = value
            return response
        return error_response(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(StoreError)
    async def _store(_request: Request, exc: StoreError) -> JSONResponse:
        log.error("%s", exc)
        return error_response(503, "the store is unavailable; try again later")

    @app.exception_handler(RegwatchError)
    async def _regwatch(_request: Request, exc: RegwatchError) -> JSONResponse:
        return error_response(400, exc.message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        # Answered by Starlette's outermost middleware, outside SecurityHeadersMiddleware: add the headers here.
        headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
        return error_response(500, "internal error (logged on the server)", headers)
