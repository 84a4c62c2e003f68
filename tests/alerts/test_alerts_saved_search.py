"""`search: NAME` in alert rules and digest filters: the saved query is looked up when they match."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.alerts import AlertQueue
from pipeline.alerts.config import parse_alerts
from pipeline.alerts.digest import build_digest
from pipeline.errors import ConfigError
from pipeline.search import saved
from pipeline.search.saved import SavedSearchError
from tests.alerts.conftest import make_crawler
from tests.alerts.test_alerts_outbox import body, publish

RULES = """channels:
  hook: {type: webhook, url: "http://127.0.0.1:9/hook"}
rules:
  - name: by-search
    search: zoom-cn
    channels: [hook]
  - name: by-search-and-query
    query: halts
    search: zoom-cn
    channels: [hook]
digests:
  - name: saved
    to: [team@example.org]
    filter: {search: zoom-cn}
"""


def alert_rules(store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT a.rule, r.title FROM alert a JOIN article r ON r.id = a.article_id "
                                 "ORDER BY a.id"))
        return [(rule, title) for rule, title in rows]


def test_rules_follow_the_saved_search_as_it_is_now(env):
    _, sources, store, site, _ = env
    alerts = parse_alerts(RULES, Path("alerts.yaml"))
    store.alert_queue = AlertQueue(alerts)
    saved.save(store, "zoom-cn", "company:zoom jurisdiction:China")
    publish(site, "news.example",
            ("cn", "Zoom halts direct sales in China", body(1)),
            ("us", "Zoom halts direct sales in the US", body(2, "EVENT sales_restriction US 2021-08-23 announced")))
    make_crawler(env).crawl_source(sources["news"])
    assert alert_rules(store) == [("by-search", "Zoom halts direct sales in China"),
                                  ("by-search-and-query", "Zoom halts direct sales in China")]

    saved.save(store, "zoom-cn", "company:zoom jurisdiction:US -halts")  # edited: the rules follow it
    publish(site, "wire.example", ("us2", "Zoom stops US sales", body(3, "EVENT market_exit US 2021-09-01 in_effect")),
            ("us3", "Zoom halts US sales", body(4, "EVENT market_exit US 2021-09-02 in_effect")))
    make_crawler(env).crawl_source(sources["wire"])
    assert alert_rules(store)[2:] == [("by-search", "Zoom stops US sales")]

    # A digest filter names the same saved search.
    digest = alerts.digests[0]
    content = build_digest(store, digest, datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(1))
    assert [story.title for story in content.stories] == ["Zoom stops US sales"]


def test_a_missing_saved_search_skips_the_rule_and_says_so(env, caplog):
    _, sources, store, site, _ = env
    store.alert_queue = AlertQueue(parse_alerts(RULES, Path("alerts.yaml")))
    publish(site, "news.example", ("cn", "Zoom halts direct sales in China", body(1)))
    with caplog.at_level(logging.ERROR):
        make_crawler(env).crawl_source(sources["news"])
    assert store.count_articles() == 1 and alert_rules(store) == []
    assert "no saved search named 'zoom-cn'" in caplog.text
    digest = parse_alerts(RULES, Path("alerts.yaml")).digests[0]
    with pytest.raises(SavedSearchError, match="no saved search named 'zoom-cn'"):
        build_digest(store, digest, datetime.now(UTC) - timedelta(days=1), datetime.now(UTC))


def test_a_bad_saved_search_name_is_a_config_error():
    bad = RULES.replace("search: zoom-cn\n    channels", "search: Zoom CN\n    channels", 1)
    with pytest.raises(ConfigError) as caught:
        parse_alerts(bad, Path("alerts.yaml"))
    assert any("rules.0.search" in p and "not a saved search name" in p for p in caught.value.problems)
