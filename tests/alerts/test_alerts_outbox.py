"""The outbox on SQLite and PostgreSQL, through real crawls: matches are queued with the analysis, once per
rule and story; copies, edits and restarts never re-alert; a fact change queues exactly one update."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.alerts import AlertQueue
from pipeline.alerts.config import parse_alerts
from pipeline.store import Store
from tests.alerts.conftest import alerts_text, make_crawler
from tests.test_crawl_stories import page, rss, story_text

MARK = "EVENT sales_restriction CN 2021-08-23 announced"


def rows(store: Store, sql: str) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql)).mappings()]


def alerts(store: Store) -> list[dict]:
    return rows(store, "SELECT id, rule, story_id, article_id, kind, dedup_key FROM alert ORDER BY id")


def body(seed: int, mark: str = MARK) -> str:
    return f"{story_text(seed)} {mark}. Officials confirmed the decision on Monday"


def near_copy(text_: str) -> str:
    return text_.replace(". ", ". Officials said ", 2).replace("regulator", "watchdog", 1)


def publish(site, host: str, *entries: tuple[str, str, str]) -> None:
    """entries: (path, title, body); the feed of ``host`` lists them all."""
    for path, title, text_ in entries:
        site.pages[f"{host}/{path}"] = page(title, text_)
    site.feeds[f"{host}/feed.xml"] = rss(*[(title, f"https://{host}/{path}", path) for path, title, _ in entries])


def test_a_match_is_queued_with_the_article_and_explains_itself(env):
    _, sources, store, site, _ = env
    publish(site, "news.example", ("zoom", "Zoom halts direct sales in China", body(1)),
            ("other", "Unrelated telecom story", story_text(99)))
    report = make_crawler(env).crawl_source(sources["news"])
    assert report.new == 2
    (alert,) = alerts(store)
    assert alert["kind"] == "new" and alert["rule"] == "china-market-access"
    assert alert["dedup_key"] == f"new:china-market-access:{alert['story_id']}"
    article = store.get_article(alert["article_id"])
    assert article["story_id"] == alert["story_id"] and article["title"] == "Zoom halts direct sales in China"
    (payload,) = [r["payload"] for r in rows(store, "SELECT payload FROM alert")]
    if isinstance(payload, str):
        import json

        payload = json.loads(payload)
    assert payload["matched"] == {"event_types": ["sales_restriction"], "jurisdictions": ["CN"]}
    assert payload["event"]["effective_date"] == "2021-08-23"
    assert payload["evidence"].startswith("Zoom sales restriction in CN")
    assert payload["sources"] == ["news"] and payload["url"] == "https://news.example/zoom"
    assert payload["changes"] is None
    deliveries = rows(store, "SELECT channel, state, attempts FROM alert_delivery")
    assert deliveries == [{"channel": "hook", "state": "queued", "attempts": 0}]


def test_the_outbox_row_is_in_the_analysis_transaction(env):
    _, sources, store, site, _ = env
    publish(site, "news.example", ("zoom", "Zoom halts direct sales in China", body(1)))

    class Broken(AlertQueue):
        def on_article(self, *args, **kwargs):
            super().on_article(*args, **kwargs)
            raise RuntimeError("power cut after queueing")

    store.alert_queue = Broken(store.alert_queue.alerts)
    with pytest.raises(RuntimeError):
        make_crawler(env).crawl_source(sources["news"])
    assert store.count_articles() == 0 and alerts(store) == []  # neither the article nor its alert
    assert rows(store, "SELECT state FROM item") == [{"state": "analyzed"}]
    store.alert_queue = AlertQueue(parse_alerts(alerts_text(), Path("alerts.yaml")))
    make_crawler(env).crawl_source(sources["news"])  # the next pass finishes it: article and alert together
    assert store.count_articles() == 1 and len(alerts(store)) == 1


def test_copies_edits_and_restarts_never_re_alert(env, db_url):
    settings, sources, store, site, _ = env
    original = body(2)
    publish(site, "news.example", ("zoom", "Zoom halts direct sales in China", original))
    make_crawler(env).crawl_source(sources["news"])
    assert len(alerts(store)) == 1

    # an edited title and a new guid for the same URL; the same text at another URL of the wire
    site.feeds["news.example/feed.xml"] = rss(("Zoom halts sales in China (updated)",
                                               "https://news.example/zoom?utm_source=x", "new-guid"))
    publish(site, "wire.example", ("exact", "Zoom halts direct sales in China", original),
            ("copy", "Zoom to stop selling directly in China", near_copy(original)))
    make_crawler(env).crawl_source(sources["news"])
    report = make_crawler(env).crawl_source(sources["wire"])
    assert (report.new, report.linked) == (1, 1)  # the near copy is an article of the same story
    articles = rows(store, "SELECT id, story_id FROM article ORDER BY id")
    assert len(articles) == 2 and articles[0]["story_id"] == articles[1]["story_id"]
    assert len(alerts(store)) == 1  # same facts: nothing new to say

    # a restart: a new process, a new queue, the same feeds
    store.close()
    reopened = Store.open(db_url)
    reopened.alert_queue = AlertQueue(parse_alerts(alerts_text(), Path("alerts.yaml")))
    try:
        restarted = (settings, sources, reopened, site, env[4])
        make_crawler(restarted).crawl_source(sources["news"])
        make_crawler(restarted).crawl_source(sources["wire"])
        assert len(alerts(reopened)) == 1
        assert rows(reopened, "SELECT COUNT(*) AS n FROM alert_delivery") == [{"n": 1}]
    finally:
        reopened.close()
        env[2].engine.dispose()


def test_a_fact_change_queues_exactly_one_update(env):
    _, sources, store, site, _ = env
    original = body(3)
    publish(site, "news.example", ("zoom", "Zoom halts direct sales in China", original))
    make_crawler(env).crawl_source(sources["news"])
    changed = near_copy(original).replace("2021-08-23 announced", "2021-09-01 in_effect")
    publish(site, "wire.example", ("later", "Zoom's China sales halt now in effect", changed))
    make_crawler(env).crawl_source(sources["wire"])
    first, update = alerts(store)
    assert (first["kind"], update["kind"]) == ("new", "updated")
    assert update["story_id"] == first["story_id"]
    assert update["dedup_key"].startswith(f"updated:china-market-access:{first['story_id']}:")
    (payload,) = [r["payload"] for r in rows(store, f"SELECT payload FROM alert WHERE id = {update['id']}")]
    if isinstance(payload, str):
        import json

        payload = json.loads(payload)
    assert payload["changes"] == {"effective_dates": ["2021-09-01"], "status": [
        {"event_type": "sales_restriction", "from": "announced", "to": "in_effect"}]}
    assert payload["sources"] == ["news", "wire"]

    # the same changed facts again (another copy), and the stale original once more: no more alerts
    site.pages["wire.example/again"] = page("Zoom China halt in effect", near_copy(changed).replace("chip", "cpu"))
    site.feeds["wire.example/feed.xml"] = rss(("Zoom's China sales halt now in effect", "https://wire.example/later",
                                               "later"), ("Zoom China halt in effect", "https://wire.example/again",
                                                          "again"))
    make_crawler(env).crawl_source(sources["wire"])
    assert [a["kind"] for a in alerts(store)] == ["new", "updated"]


def test_articles_of_other_stories_alert_separately(env):
    _, sources, store, site, _ = env
    publish(site, "news.example", ("a", "Zoom halts direct sales in China", body(4)),
            ("b", "Another company leaves China", body(5, "EVENT market_exit CN 2022-01-01 announced")),
            ("c", "A ban in Japan", body(6, "EVENT sales_restriction JP 2022-01-01 announced")))
    make_crawler(env).crawl_source(sources["news"])
    assert [a["kind"] for a in alerts(store)] == ["new", "new"]
    assert len({a["story_id"] for a in alerts(store)}) == 2
