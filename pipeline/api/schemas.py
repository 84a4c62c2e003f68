"""Response bodies of the JSON API, as pydantic models, so that /openapi.json documents them.

Fields are only ever added (dashboards depend on them), the way the analysis contract evolves. The
event object is the analysis event (``shared/spec/analysis.md``) plus where it was found.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(BaseModel):
    error: str = Field(description="One readable line naming the parameter or the problem.")


class FacetValue(_Body):
    value: str
    label: str
    count: int = Field(description="Matching stories with this value.")


class SearchHit(_Body):
    story_id: int | None
    article_id: int
    title: str | None
    url: str
    published: str | None = Field(description="ISO 8601, UTC; null when the article gives no date.")
    sources: list[str] = Field(description="Every source that carried the story, this hit's first.")
    source_count: int
    snippet: str = Field(description="Plain text; never HTML.")
    highlights: list[list[int]] = Field(description="[start, end) character offsets of matches in snippet.")
    companies: list[str]
    jurisdictions: list[str]
    event_types: list[str]
    score: float


class SearchResponse(_Body):
    query: str
    total: int = Field(description="Matching stories.")
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]] = Field(
        description="Keys jurisdiction, event_type, company, source, month; biggest first.")
    next_cursor: str | None


class EventItem(_Body):
    id: int
    type: str
    actor: str | None
    actor_kind: str | None
    jurisdictions: list[str]
    effective_date: str | None = Field(description="ISO date, maybe partial (2025-08, 2025).")
    status: str | None
    confidence: float | None
    evidence: str | None
    story_id: int | None
    article_id: int
    published: str | None
    source: str
    title: str | None
    url: str


class EventsResponse(_Body):
    events: list[EventItem]
    next_cursor: str | None


class StoryItem(_Body):
    id: int
    title: str | None
    url: str | None = Field(description="The story's first article.")
    published: str | None = Field(description="Publication of the story's first article.")
    first_seen: str
    last_seen: str
    article_count: int
    sources: list[str]
    source_count: int
    companies: list[str]
    jurisdictions: list[str]
    event_types: list[str]


class StoriesResponse(_Body):
    stories: list[StoryItem]
    next_cursor: str | None


class StoryArticle(_Body):
    id: int
    source: str
    url: str
    title: str | None
    published: str | None
    fetched_at: str
    summary: str | None
    companies: list[str]
    jurisdictions: list[str]


class StoryDetail(StoryItem):
    urls: list[str]
    articles: list[StoryArticle]
    events: list[EventItem]


class CompanyMention(_Body):
    name: str | None
    mentions: int | None


class AuthorityMention(_Body):
    name: str | None
    jurisdiction: str | None


class JurisdictionMention(_Body):
    code: str | None
    name: str | None
    mentions: int | None


class DateMention(_Body):
    text: str | None
    date: str | None


class ArticleDetail(_Body):
    id: int
    story_id: int | None
    source: str
    url: str
    canonical_url: str
    title: str | None
    author: str | None
    published: str | None
    fetched_at: str
    language: str | None
    text: str
    text_origin: str
    extract_note: str | None
    relevant: bool | None
    relevance: float | None
    summary: str | None
    companies: list[CompanyMention]
    authorities: list[AuthorityMention]
    jurisdictions: list[JurisdictionMention]
    dates: list[DateMention]
    events: list[EventItem]
    story_sources: list[str]


class StatsBucket(_Body):
    period: str = Field(description="The day, or the Monday of the ISO week, YYYY-MM-DD (UTC).")
    jurisdiction: str | None
    type: str
    events: int
    stories: int = Field(description="Distinct stories among those events.")


class StatsResponse(_Body):
    by: str
    since: str | None
    until: str | None
    buckets: list[StatsBucket]


class SourceHealth(_Body):
    id: str
    name: str
    url: str | None
    kind: str | None
    jurisdiction: str | None
    tags: list[str]
    active: bool
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    last_attempt: str | None
    last_success: str | None
    consecutive_failures: int
    last_error: str | None
    next_poll: str | None
    articles: int


class SourcesResponse(_Body):
    sources: list[SourceHealth]


class SavedSearch(_Body):
    name: str
    query: str


class SavedSearchesResponse(_Body):
    searches: list[SavedSearch]


class SavedSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=2000)
