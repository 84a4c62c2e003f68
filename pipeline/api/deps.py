"""FastAPI dependencies: the app's one Store, and the token checks of read and admin routes.

While no token exists (``regwatch tokens create``), the API is open: ``regwatch serve`` then only
listens on a loopback address. Once one exists, every API route, feed and page needs one:

- read routes take it as ``Authorization: Bearer TOKEN``, as ``?token=TOKEN`` (for feed readers and
  calendar apps that cannot send headers), or from the ``regwatch_token`` cookie that a page opened
  with ``?token=`` sets (HttpOnly, SameSite=Strict), so the links of the web pages keep working;
- admin routes (changing saved searches) take an admin token, in the ``Authorization`` header only:
  never from a URL, which ends up in logs, nor from a cookie, which a browser sends on its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from pipeline.api.security import TOKEN_COOKIE
from pipeline.api.tokens import TokenInfo, tokens_configured, verify_token
from pipeline.store import Store

# Declared so that /openapi.json documents both ways of sending a token; the checks below read the request.
bearer_scheme = HTTPBearer(auto_error=False, scheme_name="token", description="An API token (regwatch tokens create).")
query_scheme = APIKeyQuery(name="token", auto_error=False, scheme_name="token_query",
                           description="The same token as a query parameter, for feed readers (read routes only).")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="regwatch"'}
_PAGE_PREFIXES = ("/api/", "/feeds/", "/openapi.json", "/calendar.ics", "/static/")


def get_store(request: Request) -> Store:
    """The Store the app opened (or was given) at creation, kept in ``app.state.store``."""
    return request.app.state.store


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _authenticate(request: Request, *, header_only: bool) -> TokenInfo | None:
    """None when no token is configured (open API); else the caller's token, or a 401."""
    store = get_store(request)
    if not tokens_configured(store):
        return None
    token, via_query = _bearer(request), False
    if token is None and not header_only:
        token = request.query_params.get("token")
        via_query = token is not None
        if token is None:
            token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        where = "the Authorization header" if header_only else "the Authorization header or ?token="
        raise HTTPException(401, f"an API token is required: send it as Bearer TOKEN in {where}",
                            headers=_CHALLENGE)
    info = verify_token(store, token)
    if info is None:
        raise HTTPException(401, "this API token is not valid (revoked, or mistyped)", headers=_CHALLENGE)
    if via_query and request.method == "GET" and not request.url.path.startswith(_PAGE_PREFIXES):
        request.state.set_token_cookie = token  # a web page: its links keep working without ?token=
    return info


def require_read(
    request: Request,
    _header: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
    _query: Annotated[str | None, Depends(query_scheme)] = None,
) -> TokenInfo | None:
    """Any valid token (read-only or admin), once tokens exist."""
    return _authenticate(request, header_only=False)


def require_admin(
    request: Request, _header: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> TokenInfo | None:
    """An admin token in the Authorization header, once tokens exist."""
    info = _authenticate(request, header_only=True)
    if info is not None and not info.admin:
        raise HTTPException(403, f"token {info.name!r} is read-only; this needs an admin token "
                                 "(regwatch tokens create NAME --admin)")
    return info
