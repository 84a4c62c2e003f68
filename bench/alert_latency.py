"""Time from a matching item appearing in a feed to its signed webhook arriving, on loopback.

Each round publishes one new article (a new story) in a loopback feed, then does what `regwatch run` does
when the source is due: one poll of the source (feed, page, extraction, spaCy analysis, store + outbox in
one transaction), after which the alert job is woken and delivers. The figure is from the moment the item
is in the feed to the moment the webhook receiver has the request. In `regwatch run` the wait for the
source's next poll (its `interval`) comes on top; the alert job itself runs right after a poll that stored
new articles, and every 30 s otherwise.

    .venv/bin/python bench/alert_latency.py [--rounds N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.alerts import AlertQueue  # noqa: E402
from pipeline.alerts.config import parse_alerts  # noqa: E402
from pipeline.alerts.deliver import Sender  # noqa: E402
from pipeline.analyze import Analyzer  # noqa: E402
from pipeline.crawl import Crawler  # noqa: E402
from pipeline.fetch import Fetcher  # noqa: E402
from pipeline.records import ArticleInput  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.sources import parse_sources  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.support.receivers import HookReceiver  # noqa: E402
from tests.support.server import LoopbackServer, Route  # noqa: E402

COMPANIES = ["Zoom Video Communications", "Acme Video Communications", "Globex Corporation", "Initech Inc.",
             "Umbrella Networks Inc.", "Hooli Corporation", "Soylent Data Inc.", "Massive Dynamic Corporation"]
FILLER = ["customers", "partners", "teams", "plans", "offices", "staff", "contracts", "users", "meetings", "software",
          "accounts", "engineers", "products", "features", "projects", "clients", "videos", "calls", "devices",
          "tools", "reports", "groups", "orders"]


def article(round_: int) -> tuple[str, str]:
    """A new story each round (its own filler, so no two rounds are near-duplicates)."""
    rng = random.Random(round_)
    company = COMPANIES[round_ % len(COMPANIES)]
    lead = (f"{company} will stop selling its services directly to customers in mainland China from 23 August 2021, "
            f"the company said on Friday. {company} will move to a partner-only model in China, under which local "
            "partners sell and operate the service. The decision follows a review of the regulatory environment "
            "in China, the company said in a statement.")
    filler = " ".join("Its " + " and ".join(rng.sample(FILLER, 4)) + " stay as before." for _ in range(8))
    return f"{company} halts direct sales in mainland China ({round_})", f"{lead} {filler}"


def html(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{s}.</p>" for s in text.split(". "))
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraphs}</article>"
            "</body></html>").encode()


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid></item>" for t, u in items)
    return f'<rss version="2.0"><channel><title>Bench</title><link>http://x/</link>{entries}</channel></rss>'.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of a temporary SQLite file")
    args = parser.parse_args()
    os.environ["REGWATCH_BENCH_SECRET"] = "bench-secret"
    with tempfile.TemporaryDirectory() as tmp, LoopbackServer() as site, HookReceiver() as hook:
        url = args.postgres or f"sqlite:///{tmp}/regwatch.db"
        settings = Settings(data_dir=Path(tmp), database_url=url, host_rate=1000)
        (source,) = parse_sources(f"sources:\n  - {{id: bench, name: Bench, url: '{site.url('/feed.xml')}', "
                                  "allow_private: true}\n", Path("sources.yaml")).sources
        alerts = parse_alerts(f"""channels:
  hook: {{type: webhook, url: "{hook.url}", secret_env: REGWATCH_BENCH_SECRET}}
rules:
  - name: china-market-access
    match: {{jurisdictions: [CN], event_types: [sales_restriction, market_exit, service_restriction]}}
    channels: [hook]
""", Path("alerts.yaml"))
        store = Store.open(url)
        store.sync_sources([source])
        store.alert_queue = AlertQueue(alerts)
        sender = Sender(store, alerts, settings)
        analyzer = Analyzer(settings)
        warm_title, warm_text = article(-1)  # load the model before timing, as a running `run` has long done
        analyzer.analyze_many([ArticleInput(id="warm-up", text=warm_text, title=warm_title)])
        items: list[tuple[str, str]] = []
        site.add("/feed.xml", Route(body=rss(items), content_type="application/rss+xml"))
        latencies, polls = [], []
        with Fetcher(settings) as fetcher:
            crawler = Crawler(settings, store, fetcher, analyzer)
            crawler.crawl_source(source)  # the empty feed once: the first timed poll is a normal one
            for round_ in range(args.rounds):
                title, text = article(round_)
                site.add(f"/story/{round_}", Route(body=html(title, text)))
                items.insert(0, (title, site.url(f"/story/{round_}")))
                before = len(hook.delivered)
                site.add("/feed.xml", Route(body=rss(items), content_type="application/rss+xml"))
                started = time.monotonic()  # the item is in the feed
                report = crawler.crawl_source(source)
                polled = time.monotonic()
                sender.send_due()
                if len(hook.delivered) != before + 1 or report.new != 1:
                    raise SystemExit(f"round {round_}: expected one new article and one webhook, got "
                                     f"{report.new} and {len(hook.delivered) - before}")
                latencies.append(hook.delivered[-1].at - started)
                polls.append(polled - started)
        store.close()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"alert latency on loopback ({backend}, {args.rounds - 1} rounds, real spaCy analysis, signed webhook)")
    cold, latencies, polls = latencies[0], latencies[1:], polls[1:]
    print(f"  item in feed -> webhook received: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"min {min(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"(first round, cold: {cold * 1000:.0f} ms, not counted)")
    print(f"  of which the poll (feed, page, extraction, analysis, store + outbox): median "
          f"{statistics.median(polls) * 1000:.0f} ms; delivery: median "
          f"{statistics.median([a - b for a, b in zip(latencies, polls, strict=True)]) * 1000:.0f} ms")
    print("  (in `regwatch run`, add the wait for the source's next poll: up to its interval)")


if __name__ == "__main__":
    main()
