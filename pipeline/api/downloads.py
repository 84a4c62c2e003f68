"""Routes that serve files rather than JSON: exports (CSV, JSON Lines), Atom feeds and the iCalendar.

They are read routes like the API (a token, when tokens exist); feed readers and calendar apps that
cannot send headers pass ``?token=``, which is never echoed into a feed's links.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from pipeline.alerts.calendar import calendar_text, upcoming
from pipeline.api.deps import get_store, require_read
from pipeline.api.exports import MEDIA_TYPES, chunks, export_lines
from pipeline.api.feeds import ATOM_MEDIA_TYPE, FEED_LIMIT, atom_feed
from pipeline.api.routes import ERRORS, Filters
from pipeline.errors import RegwatchError
from pipeline.search import run_search
from pipeline.search.saved import get as get_saved
from pipeline.store import Store

router = APIRouter(dependencies=[Depends(require_read)], responses=ERRORS)
StoreDep = Annotated[Store, Depends(get_store)]


def _export_route(kind: str, fmt: str) -> None:
    def export(store: StoreDep, filters: Filters) -> StreamingResponse:
        return StreamingResponse(
            chunks(export_lines(store, kind, fmt, filters)), media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="regwatch-{kind}.{fmt}"'},
        )

    export.__name__ = f"export_{kind}_{fmt}"
    router.add_api_route(
        f"/api/export/{kind}.{fmt}", export, methods=["GET"], response_class=StreamingResponse,
        summary=f"All {kind} matching the filters, as {'CSV' if fmt == 'csv' else 'JSON Lines'} (streamed)",
        responses={200: {"content": {MEDIA_TYPES[fmt].split(";")[0]: {}}}},
    )


for _kind in ("events", "stories"):
    for _fmt in ("csv", "jsonl"):
        _export_route(_kind, _fmt)


def _feed_response(request: Request, store: Store, query: str, title: str) -> Response:
    result = run_search(store, query, limit=FEED_LIMIT, facets=False).to_json()
    feed_url = str(request.url.remove_query_params("token"))
    base = str(request.base_url).rstrip("/")
    body = atom_feed(result, title=title, feed_url=feed_url, page_url=f"{base}/search?{urlencode({'q': query})}",
                     story_url=f"{base}/stories/{{id}}")
    return Response(body, media_type=ATOM_MEDIA_TYPE)


@router.get("/feeds/search.atom", response_class=Response, summary="Atom feed of a search query",
            responses={200: {"content": {"application/atom+xml": {}}}})
def search_feed(request: Request, store: StoreDep,
                q: Annotated[str, Query(max_length=1000, description="A query, as for /api/search.")]) -> Response:
    return _feed_response(request, store, q, f"regwatch: {q}")


@router.get("/feeds/saved/{name}.atom", response_class=Response, summary="Atom feed of a saved search",
            responses={200: {"content": {"application/atom+xml": {}}}})
def saved_feed(request: Request, store: StoreDep, name: Annotated[str, Path(max_length=100)]) -> Response:
    try:
        query = get_saved(store, name)
    except RegwatchError:
        raise HTTPException(404, f"no saved search named {name!r}") from None
    return _feed_response(request, store, query, f"regwatch: {name}")


@router.get("/calendar.ics", response_class=Response, summary="Upcoming effective dates (iCalendar)",
            responses={200: {"content": {"text/calendar": {}}}})
def calendar_ics(store: StoreDep) -> Response:
    return Response(calendar_text(upcoming(store)).encode("utf-8"), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="regwatch.ics"'})
