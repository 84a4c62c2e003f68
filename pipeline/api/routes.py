"""The JSON API: /api/search, /api/stories, /api/articles, /api/events, /api/stats, /api/sources, /api/searches.

Endpoints are plain ``def`` functions: FastAPI runs them in its thread pool, where the Store's blocking
SQLAlchemy calls belong. Every parameter is checked (``pipeline.api.filters``) and a bad one is a 400
``{"error": "..."}`` naming it; the README's "HTTP API" section documents each endpoint.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from pipeline.api import queries, stats
from pipeline.api.deps import get_store, require_admin, require_read
from pipeline.api.filters import EventFilter, build_filter, cursor_time
from pipeline.api.schemas import (
    ArticleDetail,
    ErrorBody,
    EventsResponse,
    SavedSearchesResponse,
    SavedSearchIn,
    SearchResponse,
    SourcesResponse,
    StatsResponse,
    StoriesResponse,
    StoryDetail,
)
from pipeline.errors import QueryError, RegwatchError
from pipeline.search import run_search
from pipeline.search.saved import delete, list_saved, save
from pipeline.store import Store

ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404)}
router = APIRouter(prefix="/api", dependencies=[Depends(require_read)], responses=ERRORS)
admin_router = APIRouter(prefix="/api", responses=ERRORS)

StoreDep = Annotated[Store, Depends(get_store)]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page.")]
RowId = Annotated[int, Path(ge=1, le=queries.MAX_ID)]


def event_filter(
    request: Request,
    jurisdiction: Annotated[str | None, Query(max_length=200, description="ISO code (CN, US-CA, EU; US also "
                                              "matches US-CA) or a country name.")] = None,
    type: Annotated[str | None, Query(max_length=200, description="Event type of the analysis taxonomy.")] = None,
    company: Annotated[str | None, Query(max_length=200, description="Company, as event actor (any case); "
                                         "for stories also a company the articles name.")] = None,
    source: Annotated[str | None, Query(max_length=200, description="Source id.")] = None,
    status: Annotated[str | None, Query(max_length=200, description="proposed, announced, in_effect or "
                                        "reversed.")] = None,
    since: Annotated[str | None, Query(max_length=200, description="Published on or after: 2025-06-01, "
                                       "2025-06, an ISO datetime, or 7d, 2w, 3m, 1y ago.")] = None,
    until: Annotated[str | None, Query(max_length=200, description="Published before the end of this date "
                                       "(same forms as since).")] = None,
) -> EventFilter:
    """The filters shared by events, stories, stats and the exports."""
    return build_filter(jurisdiction=jurisdiction, type=type, company=company, source=source, status=status,
                        since=since, until=until, now=cursor_time(request.query_params.get("cursor")))


Filters = Annotated[EventFilter, Depends(event_filter)]


@router.get("/search", response_model=SearchResponse, summary="Search stories (the query language of "
            "`regwatch search`)")
def api_search(
    store: StoreDep,
    q: Annotated[str, Query(max_length=1000, description='Words, "phrases", OR, -excluded, field:value '
                            "filters (company:, jurisdiction:, type:, source:, tag:, status:, since:, until:).")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> dict:
    return run_search(store, q, limit=limit, cursor=cursor).to_json()


@router.get("/stories", response_model=StoriesResponse, summary="Stories, newest first")
def api_stories(
    store: StoreDep,
    filters: Filters,
    events: Annotated[bool | None, Query(description="true: only stories with events; false: only those "
                                         "without.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict:
    page = queries.stories_page(store, filters, limit=limit, cursor=cursor, with_events=events)
    return {"stories": page.items, "next_cursor": page.next_cursor}


@router.get("/stories/{story_id}", response_model=StoryDetail, summary="One story: articles, sources, events")
def api_story(store: StoreDep, story_id: RowId) -> dict:
    story = queries.get_story(store, story_id)
    if story is None:
        raise HTTPException(404, f"no story {story_id}")
    return story


@router.get("/articles/{article_id}", response_model=ArticleDetail, summary="One article with its analysis")
def api_article(store: StoreDep, article_id: RowId) -> dict:
    article = queries.get_article(store, article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id}")
    return article


@router.get("/events", response_model=EventsResponse, summary="Policy-change events, newest article first")
def api_events(store: StoreDep, filters: Filters, limit: Limit = 50, cursor: Cursor = None) -> dict:
    page = queries.events_page(store, filters, limit=limit, cursor=cursor)
    return {"events": page.items, "next_cursor": page.next_cursor}


@router.get("/stats", response_model=StatsResponse, summary="Event counts by period x jurisdiction x type")
def api_stats(store: StoreDep, filters: Filters, by: Literal["day", "week"] = "day") -> dict:
    return {
        "by": by,
        "since": queries.iso(filters.since),
        "until": queries.iso(filters.until),
        "buckets": stats.stats(store, filters, by=by),
    }


@router.get("/sources", response_model=SourcesResponse, summary="Each source's health")
def api_sources(store: StoreDep) -> dict:
    return {"sources": queries.sources_health(store)}


@router.get("/searches", response_model=SavedSearchesResponse, summary="Saved searches")
def api_saved_searches(store: StoreDep) -> dict:
    return {"searches": [{"name": name, "query": query} for name, query in list_saved(store)]}


@admin_router.post("/searches", status_code=201, response_model=SavedSearchesResponse,
                   dependencies=[Depends(require_admin)], summary="Save a search (admin token)")
def api_save_search(store: StoreDep, body: SavedSearchIn) -> dict:
    try:
        save(store, body.name, body.query)
    except RegwatchError as exc:
        raise QueryError(exc.message) from exc
    return {"searches": [{"name": name, "query": query} for name, query in list_saved(store)]}


@admin_router.delete("/searches/{name}", status_code=204, dependencies=[Depends(require_admin)],
                     summary="Delete a saved search (admin token)")
def api_delete_search(store: StoreDep, name: Annotated[str, Path(max_length=100)]) -> Response:
    if name not in {saved for saved, _ in list_saved(store)}:
        raise HTTPException(404, f"no saved search named {name!r}")
    delete(store, name)
    return Response(status_code=204)
