"""Fixtures of the alert tests: a store on SQLite or PostgreSQL, an analyzer that reads its events from
markers in the text, and an alerts file with a webhook channel on a loopback receiver."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from pipeline.alerts import AlertQueue
from pipeline.alerts.config import parse_alerts
from pipeline.crawl import Crawler
from pipeline.fetch import Fetcher
from pipeline.settings import Settings
from pipeline.sources import parse_sources
from pipeline.store import Store
from tests.test_crawl_stories import Site

# "EVENT sales_restriction CN 2021-08-23 announced" anywhere in an article's text.
_MARKER = re.compile(r"EVENT (\w+) ([A-Z]{2}) (\d{4}-\d{2}-\d{2}) (\w+)")

SOURCES = """sources:
  - {id: news, name: News, url: 'https://news.example/feed.xml', interval: 30m, tags: [tech]}
  - {id: wire, name: Wire, url: 'https://wire.example/feed.xml', interval: 30m, tags: [wire]}
"""


def marker_analysis(text: str, title: str | None = None) -> dict:
    events = [
        {"type": kind, "actor": "Zoom", "actor_kind": "company", "jurisdictions": [code], "effective_date": date,
         "status": status, "confidence": 0.9,
         "evidence": f"Zoom {kind.replace('_', ' ')} in {code} from {date} <b>&</b>."}
        for kind, code, date, status in _MARKER.findall(text)
    ]
    codes = sorted({e["jurisdictions"][0] for e in events})
    return {"relevant": bool(events), "relevance": 0.9 if events else 0.1, "summary": (title or text)[:80],
            "companies": [{"name": "Zoom", "mentions": 3}] if events else [], "authorities": [],
            "jurisdictions": [{"code": c, "name": c, "mentions": 1} for c in codes], "dates": [], "events": events}


class MarkerAnalyzer:
    def analyze(self, article):
        return {"id": article.id, **marker_analysis(article.text, article.title)}

    def analyze_many(self, articles):
        return [self.analyze(a) for a in articles]


def alerts_text(hook_url: str = "http://127.0.0.1:9/hook", extra: str = "") -> str:
    return f"""channels:
  hook: {{type: webhook, url: "{hook_url}", secret_env: REGWATCH_TEST_HOOK_SECRET}}
rules:
  - name: china-market-access
    match: {{jurisdictions: [CN], event_types: [sales_restriction, market_exit, service_restriction]}}
    channels: [hook]
{extra}"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, pg_database_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'regwatch.db'}"
        return
    with pg_database_factory() as url:
        yield url


@pytest.fixture
def env(db_url, tmp_path, monkeypatch):
    """(settings, sources, store, site, fetcher); the store queues the rules of ``alerts_text()``."""
    monkeypatch.setenv("REGWATCH_TEST_HOOK_SECRET", "s3cret")
    settings = Settings(data_dir=tmp_path, database_url=db_url, alert_retry_base=0.05, alert_retry_max=0.2,
                        alert_max_attempts=4, alert_timeout=0.5)
    sources = {s.id: s for s in parse_sources(SOURCES, Path("s.yaml")).sources}
    store = Store.open(db_url)
    store.sync_sources(sources.values())
    store.alert_queue = AlertQueue(parse_alerts(alerts_text(), Path("alerts.yaml")))
    site = Site()
    fetcher = Fetcher(settings, transport=httpx.MockTransport(site.handler), resolver=lambda host: ["93.184.216.34"])
    yield settings, sources, store, site, fetcher
    fetcher.close()
    store.close()


def make_crawler(env) -> Crawler:
    settings, _, store, _, fetcher = env
    return Crawler(settings, store, fetcher, MarkerAnalyzer())
