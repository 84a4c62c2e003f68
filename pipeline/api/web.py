"""Server-rendered web pages: overview, search with facets, a story, upcoming effective dates, source health.

Jinja2 templates with autoescaping on for every page; article text reaches them only as plain strings or
``webtext.Segment``s, never as markup. No page has inline script or style (the app's CSP forbids both);
the one style sheet is ``static/style.css``. The store is the app's (``app.state.store``); search goes
through ``pipeline.search.run_search``, the same function as the API and the CLI.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipeline.analyze.schema import EventType, Status
from pipeline.api import pages_data
from pipeline.api.chart import stacked_chart
from pipeline.api.webtext import (
    FACET_FIELDS,
    add_filter,
    entity_segments,
    filter_token,
    is_filter,
    marked_segments,
    month_filter,
    paragraphs,
    remove_token,
    split_tokens,
)
from pipeline.errors import QueryError, RegwatchError
from pipeline.store.repo import Store
from pipeline.store.types import utc_now

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
EVENT_TYPES: tuple[str, ...] = get_args(EventType)  # the analysis taxonomy, for the filter form
EVENT_STATUSES: tuple[str, ...] = get_args(Status)
FORM_FILTERS = ("company", "jurisdiction", "type", "source", "tag", "status", "since", "until")
FACET_TITLES = {"jurisdiction": "Jurisdiction", "event_type": "Event type", "company": "Company",
                "source": "Source", "month": "Month"}


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = lambda value: str(value or "").replace("_", " ")
    env.filters["day"] = _day
    env.filters["when"] = _when
    env.filters["http_url"] = http_url
    env.filters["month_name"] = _month_name
    env.globals["search_url"] = search_url
    env.globals["filter_source"] = lambda source_id: filter_token("source", source_id)
    return env


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def search_url(query: str, cursor: str | None = None, limit: int = PAGE_SIZE) -> str:
    """The search page's URL for ``query`` (and a page cursor, and a page size other than the default)."""
    params: dict[str, str | int] = {"q": query}
    if limit != PAGE_SIZE:
        params["limit"] = limit
    if cursor:
        params["cursor"] = cursor
    return "/search?" + urlencode(params)


def http_url(value: Any) -> str:
    """``value`` if it is an http(s) URL, else "": article URLs come from feeds and must not become a
    ``javascript:`` or ``data:`` link."""
    url = str(value or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


def _day(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value or "")[:10]


def _month_name(value: str) -> str:
    """``2025-06`` -> ``June 2025``."""
    try:
        return date.fromisoformat(f"{value}-01").strftime("%B %Y")
    except ValueError:
        return value


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value or "—")


def _store(request: Request) -> Store:
    return request.app.state.store


@cache
def _templates() -> Jinja2Templates:
    return Jinja2Templates(env=_environment())


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return _templates().TemplateResponse(request, name, context, status_code=status_code)


def access_page(request: Request, status_code: int, message: str) -> Response:
    """The page a browser gets instead of a JSON 401/403 when the server asks for a token."""
    return _page(request, "access.html", {"nav": "", "q": "", "message": message}, status_code)


def is_page(path: str) -> bool:
    """A web page's path (answered in HTML), not the API's, a feed's or a static file's."""
    return not path.startswith(("/api/", "/feeds/", "/static/", "/openapi.json", "/calendar.ics"))


# -- overview ------------------------------------------------------------------------------------------------


@router.get("/", name="web_overview")
def overview_page(request: Request) -> Response:
    """The search box, totals, the events chart (by type and by jurisdiction), newest stories, next dates."""
    store = _store(request)
    data = pages_data.overview(store)
    by_type = stacked_chart(f"Events per {data.granularity} by type", data.periods, data.by_type)
    by_place = stacked_chart(f"Events per {data.granularity} by jurisdiction", data.periods, data.by_jurisdiction)
    upcoming = [item for items in pages_data.upcoming_by_month(store).values() for item in items][:5]
    return _page(request, "overview.html", {
        "nav": "overview", "data": data, "charts": [("by-type", by_type), ("by-jurisdiction", by_place)],
        "upcoming": upcoming, "q": "",
    })


# -- search --------------------------------------------------------------------------------------------------


@router.get("/search", name="web_search")
def search_page(
    request: Request,
    q: str = "",
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    company: str = "",
    jurisdiction: str = "",
    type: str = "",
    source: str = "",
    tag: str = "",
    status: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    """Results of ``q``; the filter form's fields are folded into ``q`` and redirected to, so every result
    page is one shareable ``/search?q=...`` URL."""
    limit = min(max(limit, 1), MAX_PAGE_SIZE)
    form = {"company": company, "jurisdiction": jurisdiction, "type": type, "source": source, "tag": tag,
            "status": status, "since": since, "until": until}
    if any(value.strip() for value in form.values()):
        query = q
        for field in FORM_FILTERS:
            if form[field].strip():
                query = add_filter(query, field, form[field].strip())
        return RedirectResponse(search_url(query.strip(), limit=limit), status_code=303)
    context: dict[str, Any] = {
        "nav": "search", "q": q, "error": None, "result": None, "hits": [], "facets": [], "filters": [],
        "event_types": EVENT_TYPES, "statuses": EVENT_STATUSES, "cursor": cursor, "limit": limit,
    }
    if not q.strip():
        return _page(request, "search.html", context)
    from pipeline.search import run_search

    context["filters"] = [
        {"token": token, "remove_url": search_url(remove_token(q, token), limit=limit)}
        for token in split_tokens(q) if is_filter(token)
    ]
    try:
        result = run_search(_store(request), q, limit=limit, cursor=cursor or None)
    except QueryError as exc:
        context["error"] = exc.message
        return _page(request, "search.html", context, status_code=400)
    except RegwatchError as exc:
        log.error("search page: %s", exc)
        context["error"] = f"search is unavailable: {exc.message}"
        return _page(request, "search.html", context, status_code=503)
    body = result.to_json()
    context["result"] = body
    context["hits"] = [
        {**hit, "segments": marked_segments(hit.get("snippet") or "", hit.get("highlights") or [])}
        for hit in body["hits"]
    ]
    context["facets"] = _facet_lists(q, body.get("facets") or {}, limit)
    context["next_url"] = search_url(q, body["next_cursor"], limit) if body.get("next_cursor") else None
    context["first_url"] = search_url(q, limit=limit)
    context["feed_url"] = "/feeds/search.atom?" + urlencode({"q": q})
    return _page(request, "search.html", context)


def _facet_lists(query: str, facets: dict[str, list[dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """Each facet with a link per value that narrows ``query`` to it (already chosen values marked)."""
    chosen = {token.casefold() for token in split_tokens(query)}
    lists = []
    for key, title in FACET_TITLES.items():
        entries = []
        for entry in facets.get(key, []):
            value = str(entry.get("value", ""))
            if not value:
                continue
            if key == "month":
                url = search_url(month_filter(query, value), limit=limit)
                active = f"since:{value}".casefold() in chosen and f"until:{value}".casefold() in chosen
            else:
                field = FACET_FIELDS[key]
                url = search_url(add_filter(query, field, value), limit=limit)
                active = filter_token(field, value).casefold() in chosen
            entries.append({"label": entry.get("label") or value, "value": value, "count": entry.get("count", 0),
                            "url": url, "active": active})
        if entries:
            lists.append({"key": key, "title": title, "entries": entries})
    return lists


# -- a story -------------------------------------------------------------------------------------------------


@router.get("/stories/{story_id}", name="web_story")
def story_page(request: Request, story_id: int, article: int | None = None) -> Response:
    """A story: its articles and sources, one article's text with its entities marked, and the events."""
    view = pages_data.story_view(_store(request), story_id, article)
    if view is None:
        return _page(request, "not_found.html", {"nav": "", "what": f"story {story_id}", "q": ""}, 404)
    names = pages_data.entity_names(view.article)
    text = [entity_segments(paragraph, names) for paragraph in paragraphs(view.article.get("text") or "")]
    kinds = sorted(set(names.values()))
    return _page(request, "story.html", {
        "nav": "", "story": view, "article": view.article, "text": text, "kinds": kinds, "q": "",
        "analysis": view.article.get("analysis") or {},
        "sources_by_article": {a["id"]: a["source_name"] for a in view.articles},
    })


# -- calendar and sources ------------------------------------------------------------------------------------


@router.get("/calendar", name="web_calendar")
def calendar_page(request: Request, start: str = Query("", alias="from")) -> Response:
    """Effective dates (full dates) from today on, or from the day given as ``?from=YYYY-MM-DD``, by month."""
    today = utc_now().date()
    context: dict[str, Any] = {"nav": "calendar", "q": "", "start": today, "today": today, "error": None}
    status = 200
    if start.strip():
        try:
            context["start"] = date.fromisoformat(start.strip())
        except ValueError:
            context["error"] = f"from: {start.strip()!r} is not a date (YYYY-MM-DD); showing dates from today"
            status = 400
    context["months"] = pages_data.upcoming_by_month(_store(request), context["start"])
    return _page(request, "calendar.html", context, status)


@router.get("/sources", name="web_sources")
def sources_page(request: Request) -> Response:
    """Every source's health: status, last attempt and success, failures in a row, last error, articles."""
    health = pages_data.source_health(_store(request))
    counts = {status: sum(1 for s in health if s.status == status) for status in ("ok", "failing", "never polled")}
    return _page(request, "sources.html", {"nav": "sources", "sources": health, "counts": counts, "q": ""})
