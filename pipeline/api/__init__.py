"""The HTTP side of regwatch: JSON API, exports, Atom feeds, the iCalendar and the web pages, in one FastAPI app.

``create_app(settings)`` builds the app and opens one Store for it (or uses the one given, which the
caller then closes); nothing is created at import time. ``regwatch serve`` runs it with uvicorn.

    pipeline/api/
      __init__.py   create_app
      deps.py       the Store dependency; read and admin token checks
      security.py   security headers (CSP), JSON error bodies
      tokens.py     API tokens, stored hashed
      filters.py    filter and cursor parsing shared by the API and `regwatch export`
      queries.py    events, stories, articles, stats, sources (keyset pages)
      schemas.py    response models (the OpenAPI document)
      routes.py     /api/...
      downloads.py  /api/export/..., /feeds/..., /calendar.ics
      exports.py    CSV and JSON Lines writers
      feeds.py      Atom documents (feedgen)
      commands.py   `regwatch serve`, `regwatch export`, `regwatch tokens`
      web.py, templates/, static/   the web pages
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.settings import Settings

if TYPE_CHECKING:  # imported when an app is built, so that `regwatch` commands start without FastAPI
    from fastapi import FastAPI

    from pipeline.store import Store

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
DESCRIPTION = (
    "Search, stories, policy-change events, statistics and source health of a regwatch store, with exports "
    "for dashboards. When API tokens exist, send one as `Authorization: Bearer TOKEN` (read routes also take "
    "`?token=TOKEN`); changing saved searches needs an admin token. Errors are `{\"error\": \"...\"}`."
)


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The app, with one Store in ``app.state.store``: ``store`` if given (left open), else one it opens and closes."""
    from fastapi import Depends, FastAPI
    from fastapi.staticfiles import StaticFiles

    from pipeline.api import downloads, routes
    from pipeline.api.deps import require_read
    from pipeline.api.security import RejectNulMiddleware, SecurityHeadersMiddleware, install_error_handlers
    from pipeline.api.web import router as web_router
    from pipeline.store import Store

    owned = store is None
    opened = store if store is not None else Store.open(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                opened.close()

    app = FastAPI(title="regwatch", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    app.state.store = opened
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RejectNulMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # added last: outermost, so it also marks the NUL refusals
    app.include_router(routes.router)
    app.include_router(routes.admin_router)
    app.include_router(downloads.router)
    app.include_router(web_router, dependencies=[Depends(require_read)], include_in_schema=False)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


__all__ = ["create_app"]
