"""The `regwatch` command.

Settings are built once here (environment ``REGWATCH_*``, then options) and
handed down. Every error a user can cause is printed as one readable line;
``--verbose`` adds debug logging and tracebacks.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from contextlib import ExitStack
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipeline import __version__
from pipeline.errors import ConfigError, RegwatchError
from pipeline.settings import Settings

app = typer.Typer(
    help="regwatch: watch tech and policy news for regulatory change.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
sources_app = typer.Typer(help="Check the sources file.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")
queue_app = typer.Typer(help="The workers' task queue.", no_args_is_help=True)
app.add_typer(queue_app, name="queue")
alerts_app = typer.Typer(help="Watch rules and alert delivery (alerts.yaml).", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)
logger = logging.getLogger("pipeline")


class _State:
    verbose = False
    settings: Settings | None = None


def _settings() -> Settings:
    if _State.settings is None:
        _State.settings = Settings()
    return _State.settings


def _setup_logging(verbose: bool) -> None:
    """Rich lines on a terminal; plain one-line records (never wrapped) when logs go to a file or pipe."""
    if err_console.is_terminal:
        handler: logging.Handler = RichHandler(console=err_console, show_path=verbose, rich_tracebacks=verbose,
                                               markup=False, log_time_format="%H:%M:%S")
        fmt = "%(message)s"
    else:
        handler = logging.StreamHandler(sys.stderr)
        fmt = "%(asctime)s %(levelname)s %(message)s"
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], format=fmt,
                        force=True)
    for noisy in ("httpx", "httpcore", "apscheduler", "trafilatura", "htmldate", "courlan", "charset_normalizer",
                  "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose and noisy != "httpcore" else logging.WARNING)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(Text(f"error: {message}", style="bold red"))
    return typer.Exit(code)


def _run_guarded(func):
    """Turn any error into one line (details with --verbose)."""
    try:
        return func()
    except typer.Exit:
        raise
    except ConfigError as exc:
        for problem in exc.problems or [exc.message]:
            err_console.print(Text(problem, style="red"))
        raise typer.Exit(2) from None
    except RegwatchError as exc:
        if _State.verbose:
            logger.exception("details")
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        raise _fail("interrupted", 130) from None
    except Exception as exc:
        if _State.verbose:
            logger.exception("details")
        raise _fail(f"{type(exc).__name__}: {exc} (run with --verbose for details)") from None


def _version(value: bool) -> None:
    if value:
        console.print(f"regwatch {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging and full tracebacks.")] = False,
    database_url: Annotated[str | None, typer.Option(
        help="Store URL (default sqlite:///data/regwatch.db; env REGWATCH_DATABASE_URL).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Runtime directory (env REGWATCH_DATA_DIR).")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version.")] = False,
) -> None:
    _State.verbose = verbose
    _setup_logging(verbose)
    overrides = {k: v for k, v in {"database_url": database_url, "data_dir": data_dir}.items() if v is not None}
    _State.settings = Settings(**overrides)


def _open_store():
    from pipeline.store import Store

    return Store.open(_settings().resolved_database_url)


def _load_sources(path: Path | None, only: list[str] | None = None):
    from pipeline.sources import load_sources

    sources_file = load_sources(path or _settings().sources_file)
    if only:
        return [sources_file.get(source_id) for source_id in only]
    return sources_file.sources


@sources_app.command("check")
def sources_check(
    file: Annotated[Path | None, typer.Argument(help="Sources file (default sources.yaml).")] = None,
) -> None:
    """Validate a sources file without running anything."""

    def go() -> None:
        sources = _load_sources(file)
        path = file or _settings().sources_file
        console.print(f"{path}: {len(sources)} sources, all valid")

    _run_guarded(go)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the store or apply pending schema migrations (Alembic)."""

    def go() -> None:
        from pipeline.store import upgrade_db

        url = _settings().resolved_database_url
        upgrade_db(url)
        console.print(f"database at head: {_redact(url)}")

    _run_guarded(go)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _crawl_parts(stack: ExitStack, selected, stop: threading.Event, *, shared_politeness: bool = False):
    """What a crawling process needs: the store (with the sources synced), the alert sender (None without
    alerts) and the crawler; closed with ``stack``."""
    store = _open_store()
    stack.callback(store.close)
    store.sync_sources(selected)
    sender = _alert_sender(store, stop)
    return store, sender, _build_crawler(store, stop, stack, shared_politeness=shared_politeness)


def _build_crawler(store, stop: threading.Event, stack: ExitStack, *, shared_politeness: bool = False):
    """The crawler of one process; ``shared_politeness``: per-host spacing held across every worker through
    the store (pipeline.fetch.shared), for `regwatch worker`."""
    from pipeline.analyze import Analyzer
    from pipeline.crawl import Crawler
    from pipeline.fetch import Fetcher

    settings = _settings()
    limiter = None
    if shared_politeness:
        from pipeline.fetch.shared import SharedHostLimiter

        limiter = SharedHostLimiter(store.engine, settings.host_concurrency, settings.host_rate)
    fetcher = stack.enter_context(Fetcher(settings, stop=stop, limiter=limiter))  # stop also cuts host waits
    return Crawler(settings, store, fetcher, Analyzer(settings), stop=stop)


@app.command()
def crawl(
    once: Annotated[bool, typer.Option("--once", help="One pass over the sources, then exit.")] = False,
    sources: Annotated[Path | None, typer.Option("--sources", help="Sources file (default sources.yaml).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source id (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the pass summary as JSON.")] = False,
) -> None:
    """Crawl the sources: one pass with --once, else keep polling like `run`."""
    if not once:
        _run_guarded(lambda: _run(sources, source))
        return

    def go() -> int:
        selected = _load_sources(sources, source)
        stop = threading.Event()
        with ExitStack() as stack:
            store, sender, crawler = _crawl_parts(stack, selected, stop)
            crawler.resume(selected)  # items a killed or stopped pass left unfinished, first
            progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=err_console, transient=True, disable=as_json)
            with progress:
                task = progress.add_task("crawling", total=len(selected))
                reports = []
                for item in selected:
                    progress.update(task, description=f"crawling {item.id}")
                    try:
                        reports.append(crawler.crawl_source(item))
                    except KeyboardInterrupt:
                        stop.set()
                        break
                    progress.advance(task)
            alert_report = sender.send_due() if sender is not None else None
        if as_json:
            console.print_json(json.dumps([asdict(r) for r in reports]))
        else:
            _print_reports(reports)
            if alert_report is not None:
                _print_alert_report(alert_report)
        return 0 if all(r.ok for r in reports) else 1

    code = _run_guarded(go)
    raise typer.Exit(code)


def _print_reports(reports) -> None:
    table = Table(title="crawl summary", show_lines=False)
    for column, justify in (("source", "left"), ("seen", "right"), ("new", "right"), ("failed", "right"),
                            ("seconds", "right"), ("reason", "left")):
        table.add_column(column, justify=justify)
    for r in reports:
        reason = r.reason or ("not modified" if r.not_modified else "")
        if not r.reason and r.warnings:
            reason = f"{len(r.warnings)} warning(s); first: {r.warnings[0]}"
        table.add_row(r.source_id, str(r.seen), str(r.new), str(r.failed), f"{r.elapsed:.1f}",
                      Text(reason, style="red" if r.reason else "dim"))
    console.print(table)
    total_new = sum(r.new for r in reports)
    failed = sum(1 for r in reports if not r.ok)
    console.print(f"{len(reports)} sources, {sum(r.seen for r in reports)} items seen, {total_new} new, "
                  f"{failed} source(s) failed")


def _run(sources: Path | None, only: list[str] | None = None) -> None:
    from pipeline.scheduler import Runner

    selected = _load_sources(sources, only)
    stop = threading.Event()
    with ExitStack() as stack:
        store, sender, crawler = _crawl_parts(stack, selected, stop)
        logger.info("store: %s", _redact(_settings().resolved_database_url))
        from pipeline.alerts import load_alerts

        digests = load_alerts(_settings().alerts_file).digests
        if digests:
            logger.info("digests: %s", ", ".join(f"{d.name} at {d.at} {d.timezone} ({d.days})" for d in digests))
        Runner(crawler, store, selected, stop, sender=sender, digests=digests, settings=_settings()).run_forever()


def _alert_sender(store, stop: threading.Event | None = None):
    """Load alerts.yaml; with rules or channels in it, queue matches with each stored article and return a
    Sender for the outbox (None without alerts)."""
    from pipeline.alerts import AlertQueue, load_alerts
    from pipeline.alerts.deliver import Sender

    settings = _settings()
    alerts = load_alerts(settings.alerts_file)
    if not alerts.rules and not alerts.channels:
        return None
    store.alert_queue = AlertQueue(alerts)
    logger.info("alerts: %d rules, %d channels from %s", len(alerts.rules), len(alerts.channels), alerts.path)
    return Sender(store, alerts, settings, stop=stop)


def _print_alert_report(report) -> None:
    line = f"alerts: {report.sent} sent, {report.failed} to retry, {report.dead} dead"
    console.print(Text(line, style="red" if report.dead else ""))
    for error in report.errors[:10]:
        err_console.print(Text(error, style="red"))


@alerts_app.command("check")
def alerts_check(
    file: Annotated[Path | None, typer.Argument(help="Alerts file (default alerts.yaml).")] = None,
) -> None:
    """Validate an alerts file without sending anything."""

    def go() -> None:
        from pipeline.alerts import load_alerts

        alerts = load_alerts(file or _settings().alerts_file, missing_ok=False)
        wanted = [(f"rules.{r.name}.search", r.search) for r in alerts.rules if r.search]
        wanted += [(f"digests.{d.name}.filter.search", d.filter.search) for d in alerts.digests if d.filter.search]
        if wanted:
            from pipeline.search.saved import list_saved

            store = _open_store()
            try:
                saved = {name for name, _ in list_saved(store)}
            finally:
                store.close()
            missing = [f"{alerts.path}: {where}: no saved search {name!r} in the store (`regwatch searches list`)"
                       for where, name in wanted if name not in saved]
            if missing:
                for line in missing[:-1]:
                    err_console.print(Text(f"error: {line}", style="bold red"))
                raise _fail(missing[-1])
        console.print(f"{alerts.path}: {len(alerts.channels)} channels, {len(alerts.rules)} rules, "
                      f"{len(alerts.digests)} digests, all valid")

    _run_guarded(go)


@alerts_app.command("send")
def alerts_send(
    wait: Annotated[float, typer.Option("--wait", help="Keep retrying failed deliveries up to SECONDS.")] = 0.0,
) -> None:
    """Deliver whatever is still queued in the outbox (due now)."""

    def go() -> int:
        from pipeline.alerts import load_alerts
        from pipeline.alerts.deliver import Sender

        settings = _settings()
        alerts = load_alerts(settings.alerts_file)
        if not alerts.channels:
            raise ConfigError(f"{alerts.path}: no channels defined (or no such file): nothing can be delivered")
        store = _open_store()
        try:
            sender = Sender(store, alerts, settings)
            report = sender.drain(wait) if wait > 0 else sender.send_due()
            counts = sender.store_counts()
        finally:
            store.close()
        _print_alert_report(report)
        console.print(f"outbox: {counts.get('queued', 0)} queued, {counts.get('sent', 0)} sent, "
                      f"{counts.get('dead', 0)} dead")
        return 1 if report.dead else 0

    raise typer.Exit(_run_guarded(go))


def _digests(name: str | None):
    from pipeline.alerts import load_alerts

    alerts = load_alerts(_settings().alerts_file)
    if not alerts.digests:
        raise ConfigError(f"{alerts.path}: no digests defined (or no such file)")
    if name is None:
        return alerts.digests
    chosen = [d for d in alerts.digests if d.name == name]
    if not chosen:
        known = ", ".join(d.name for d in alerts.digests)
        raise ConfigError(f"{alerts.path}: no digest named {name!r} ({known})")
    return chosen


@app.command()
def digest(
    preview: Annotated[Path | None, typer.Option("--preview", help="Write the digest as HTML to FILE (sends "
                                                 "nothing, records nothing).")] = None,
    send: Annotated[bool, typer.Option("--send", help="Send the digest of the latest scheduled slot, once.")] = False,
    subscription: Annotated[str | None, typer.Option("--subscription", help="Only this digest (default: all; "
                                                     "--preview: the first).")] = None,
    force_empty: Annotated[bool, typer.Option("--force-empty", help="Send even an empty digest.")] = False,
) -> None:
    """Preview or send the daily digests of alerts.yaml (`regwatch run` sends them on schedule)."""
    if (preview is None) == (not send):
        raise _fail("give exactly one of --preview FILE and --send", 2)

    def go() -> int:
        from pipeline.alerts import digest as digests

        chosen = _digests(subscription)
        store = _open_store()
        try:
            if preview is not None:
                content = digests.preview(store, chosen[0])
                preview.write_text(digests.digest_html(content), encoding="utf-8")
                console.print(f"{preview}: digest {chosen[0].name}, {len(content.stories)} stories, "
                              f"{len(content.upcoming)} coming into effect")
                return 0
            for entry in chosen:
                outcome = digests.send_digest(store, entry, _settings(), force_empty=force_empty)
                console.print(f"digest {entry.name}: " + {"sent": f"sent, {outcome.stories} stories",
                                                          "empty": "nothing new, not sent (--force-empty sends it)",
                                                          "already": "already sent for this slot"}[outcome.state])
        finally:
            store.close()
        return 0

    raise typer.Exit(_run_guarded(go))


@app.command()
def calendar(
    ics: Annotated[Path, typer.Option("--ics", help="Write the upcoming effective dates to this .ics file.")],
) -> None:
    """Export upcoming effective dates as iCalendar events (one per event, with evidence and link)."""

    def go() -> int:
        from pipeline.alerts.calendar import calendar_text, upcoming

        store = _open_store()
        try:
            items = upcoming(store)
        finally:
            store.close()
        ics.write_bytes(calendar_text(items).encode("utf-8"))
        console.print(f"{ics}: {len(items)} events")
        return 0

    raise typer.Exit(_run_guarded(go))


@alerts_app.command("status")
def alerts_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Deliveries listed, newest first.")] = 20,
) -> None:
    """The outbox: deliveries queued, sent and dead (with their last error)."""

    def go() -> None:
        from pipeline.alerts.deliver import delivery_counts, delivery_rows

        store = _open_store()
        try:
            counts = delivery_counts(store)
            rows = delivery_rows(store, limit=limit)
        finally:
            store.close()
        for row in rows:
            for key, value in row.items():
                if isinstance(value, datetime):
                    row[key] = value.isoformat()
        if as_json:
            sys.stdout.write(json.dumps({"counts": counts, "deliveries": rows}, indent=2) + "\n")
            return
        console.print(f"outbox: {counts.get('queued', 0)} queued, {counts.get('sent', 0)} sent, "
                      f"{counts.get('dead', 0)} dead")
        table = Table(title="alert deliveries")
        for column in ("rule", "kind", "story", "channel", "state", "attempts", "next attempt / sent", "title",
                       "last error"):
            table.add_column(column)
        for row in rows:
            when = row["sent_at"] if row["state"] == "sent" else (row["next_attempt"] if row["state"] == "queued"
                                                                   else "")
            table.add_row(row["rule"], row["kind"], str(row["story_id"]), row["channel"],
                          Text(row["state"], style="red" if row["state"] == "dead" else ""), str(row["attempts"]),
                          when or "", row["title"] or "", Text(row["last_error"] or "", style="red"))
        console.print(table)

    _run_guarded(go)


@app.command()
def run(
    sources: Annotated[Path | None, typer.Option("--sources", help="Sources file (default sources.yaml).")] = None,
) -> None:
    """Watch every source on its interval until SIGINT/SIGTERM (the main job)."""
    _run_guarded(lambda: _run(sources))


@app.command()
def worker(
    sources: Annotated[Path | None, typer.Option("--sources", help="Sources file (default sources.yaml).")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1,
                                             help="Worker processes to run (analysis is CPU-bound: one per core)."
                                             )] = 1,
) -> None:
    """Take tasks from the store's queue (polls, items, alerts, digests) until SIGINT/SIGTERM."""
    _run_guarded(lambda: _worker(sources, concurrency))


@app.command()
def scheduler(
    sources: Annotated[Path | None, typer.Option("--sources", help="Sources file (default sources.yaml).")] = None,
) -> None:
    """Queue due work for the workers; one of several schedulers leads (the others stand by)."""
    _run_guarded(lambda: _scheduler(sources))


def _worker(sources: Path | None, concurrency: int) -> None:
    selected = _load_sources(sources)  # checked here, before any process starts
    if concurrency == 1:
        _worker_process(_settings().model_dump(), sources, _State.verbose)
        return
    import multiprocessing
    import signal

    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker_process, args=(_settings().model_dump(), sources, _State.verbose),
                                 name=f"regwatch-worker-{n}") for n in range(concurrency)]
    for process in processes:
        process.start()
    logger.info("%d worker processes for %d sources", concurrency, len(selected))

    def forward(signum: int, _frame: object) -> None:
        for process in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _worker_process(settings_values: dict, sources: Path | None, verbose: bool) -> None:
    """One worker (in this process, or in a spawned one: then with the parent's settings and logging)."""
    from pipeline.alerts import load_alerts
    from pipeline.alerts.digest import send_digest
    from pipeline.worker import Worker

    if _State.settings is None:
        _State.settings = Settings(**settings_values)
        _setup_logging(verbose)
    selected = _load_sources(sources)
    stop = threading.Event()
    with ExitStack() as stack:
        store, sender, crawler = _crawl_parts(stack, selected, stop, shared_politeness=True)
        digests = load_alerts(_settings().alerts_file).digests
        Worker(_settings(), store, crawler, selected, stop=stop, sender=sender, digests=digests,
               send_digest=send_digest).run_forever()


def _scheduler(sources: Path | None) -> None:
    from pipeline.alerts import load_alerts
    from pipeline.leader import SchedulerRole

    selected = _load_sources(sources)
    alerts = load_alerts(_settings().alerts_file)
    with ExitStack() as stack:
        store = _open_store()
        stack.callback(store.close)
        logger.info("store: %s", _redact(_settings().resolved_database_url))
        SchedulerRole(_settings(), store, selected, digests=alerts.digests,
                      alerts=bool(alerts.rules or alerts.channels)).run_forever()


@app.command()
def analyze(
    input: Annotated[str, typer.Option("--input", "-i", help="JSON Lines file, or - for stdin.")] = "-",
    output: Annotated[str, typer.Option("--output", "-o", help="Output file, or - for stdout.")] = "-",
    processes: Annotated[int, typer.Option("--processes", "-p", min=1, max=64,
                                           help="Worker processes, each with its own model.")] = 1,
) -> None:
    """Analyse articles (JSON Lines in, JSON Lines out, as ../shared/spec/analysis.md says)."""

    def go() -> int:
        from pipeline.analyze import Analyzer, run_jsonl

        analyzer = Analyzer(_settings(), processes=processes)
        with ExitStack() as stack:
            stack.callback(analyzer.close)
            if input == "-":
                lines = sys.stdin
            else:
                try:
                    lines = stack.enter_context(open(input, encoding="utf-8"))
                except OSError as exc:
                    raise _fail(f"{input}: cannot read: {exc.strerror}", 2) from None
            out = sys.stdout if output == "-" else stack.enter_context(open(output, "w", encoding="utf-8"))
            analysed, failed = run_jsonl(lines, out, analyzer, default_published=datetime.now(UTC).date())
        logger.info("%d analysed, %d failed", analysed, failed)
        return 0 if failed == 0 else 1

    raise typer.Exit(_run_guarded(go))


@app.command("eval")
def eval_(
    gold: Annotated[list[Path], typer.Argument(help="Gold JSON Lines files (bench/gold/*.jsonl).")],
    split: Annotated[str, typer.Option("--split", help="tune, test or all.")] = "all",
    baselines: Annotated[bool, typer.Option("--baselines", help="Also score plain NER and keywords.")] = False,
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Corpus directory (default ../shared/corpus).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    errors: Annotated[bool, typer.Option("--errors", help="List each tune item's misses.")] = False,
    meantime: Annotated[bool, typer.Option("--meantime", help="Also score date normalisation on MEANTIME.")]
    = False,
    by_corpus: Annotated[bool, typer.Option("--by-corpus", help="Also score articles and briefs apart.")] = False,
) -> None:
    """Score the analysis against gold files (../shared/spec/analysis.md, "How quality is scored")."""
    if split not in ("tune", "test", "all"):
        raise _fail(f"--split: must be tune, test or all (got {split!r})", 2)
    if errors and split == "test":
        raise _fail("--errors lists items case by case: not for the test split (use --split tune)", 2)

    def go() -> None:
        from pipeline.evaluate.gold import default_corpus_dir
        from pipeline.evaluate.runner import evaluate

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=err_console, transient=True, disable=as_json)
        tasks: dict[str, int] = {}

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"analysing ({name})", total=total)
            progress.update(tasks[name], completed=done)

        with progress:
            report = evaluate(gold, split=split, baselines=baselines, corpus_dir=corpus, settings=_settings(),
                              progress=advance)
        meantime_result = None
        if meantime:
            from pipeline.evaluate.meantime import evaluate_meantime

            meantime_result = evaluate_meantime(corpus or default_corpus_dir())
        tune_errors = [e for e in report.scores["regwatch"].item_errors if e.split == "tune"] if errors else []
        if as_json:
            payload = report.as_dict()
            if by_corpus:
                payload["by_corpus"] = {
                    corpus: {"items": next(iter(scores.values())).items,
                             "systems": {name: s.as_dict() for name, s in scores.items()}}
                    for corpus, scores in report.by_corpus().items()
                }
            if meantime_result is not None:
                payload["meantime"] = meantime_result.as_dict()
            if errors:
                payload["errors"] = [e.as_dict() for e in tune_errors]
            sys.stdout.write(json.dumps(payload, indent=2) + "\n")
            return
        _print_eval(report, meantime_result)
        if by_corpus:
            _print_by_corpus(report)
        if errors:
            _print_item_errors(tune_errors, report.split_counts.get("test", 0))

    _run_guarded(go)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print_eval(report, meantime_result) -> None:
    from pipeline.evaluate.score import MEASURE_LABELS, MEASURES

    counts = report.split_counts
    console.print(f"split {report.split}: {counts['total']} items (tune {counts.get('tune', 0)}, "
                  f"test {counts.get('test', 0)})")
    table = Table(title="quality against the gold labels")
    table.add_column("measure")
    for name in report.scores:
        table.add_column(name, justify="right")
    for measure in MEASURES:
        for part in ("precision", "recall", "f1"):
            label = f"{MEASURE_LABELS[measure]} {dict(precision='P', recall='R', f1='F1')[part]}"
            table.add_row(label, *(_fmt(getattr(s.counts[measure], part)) for s in report.scores.values()))
        table.add_section()
    table.add_row(MEASURE_LABELS["effective_date"],
                  *(f"{_fmt(s.effective_date_accuracy)} ({s.dates_found}/{s.dated_events})"
                    for s in report.scores.values()))
    if meantime_result is not None:
        table.add_row("MEANTIME DATE accuracy", _fmt(meantime_result.regwatch_accuracy),
                      *("" for _ in list(report.scores)[1:]))
    console.print(table)
    if meantime_result is not None:
        skipped = ", ".join(f"{reason} {n}" for reason, n in meantime_result.skipped.most_common())
        console.print(f"MEANTIME: {meantime_result.cases} DATE expressions in {meantime_result.documents} documents; "
                      f"regwatch {_fmt(meantime_result.regwatch_accuracy)} "
                      f"({meantime_result.regwatch_correct}/{meantime_result.cases}), dateparser alone "
                      f"{_fmt(meantime_result.dateparser_accuracy)} "
                      f"({meantime_result.dateparser_correct}/{meantime_result.cases}); skipped: {skipped}")


def _print_by_corpus(report) -> None:
    from pipeline.evaluate.score import MEASURE_LABELS, MEASURES

    labels = {**MEASURE_LABELS, "event_types": "type", "events": "event"}  # short headers for a narrow terminal
    table = Table(title="F1 by corpus", caption="type: event type; event: (type, jurisdiction); dates: effective "
                  "dates right / gold events with one")
    table.add_column("corpus", no_wrap=True)
    table.add_column("system", no_wrap=True)
    for measure in MEASURES:
        table.add_column(labels[measure], justify="right")
    table.add_column("dates", justify="right", no_wrap=True)
    for corpus, scores in report.by_corpus().items():
        for k, (name, s) in enumerate(scores.items()):
            table.add_row(f"{corpus} ({s.items})" if k == 0 else "", name, *(_fmt(s.counts[m].f1) for m in MEASURES),
                          f"{s.dates_found}/{s.dated_events}")
        table.add_section()
    console.print(table)


def _print_item_errors(item_errors, test_items: int) -> None:
    from pipeline.evaluate.score import MEASURE_LABELS

    for item in item_errors:
        console.print(Text(f"{item.id}  ({item.where})", style="bold"))
        for measure, (false_pos, false_neg) in item.errors.items():
            line = Text(f"  {MEASURE_LABELS[measure]}:")
            if false_pos:
                line.append(f" +{', +'.join(false_pos)}", style="yellow")
            if false_neg:
                line.append(f" -{', -'.join(false_neg)}", style="red")
            console.print(line)
    note = f"{len(item_errors)} tune item(s) with errors (+ false positive, - false negative)"
    if test_items:
        note += f"; the {test_items} test item(s) are not listed"
    console.print(note)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    queue: Annotated[bool, typer.Option("--queue", help="With --json: the workers' queue instead of the sources.")
                     ] = False,
) -> None:
    """Health of every source (last success, failures, last error, next poll) and of the workers' queue (tasks by
    state, workers seen in the last minute, the leading scheduler, throughput, dead tasks)."""

    def go() -> None:
        from pipeline.store.queue import queue_report

        store = _open_store()
        try:
            states = store.source_states()
            report = queue_report(store.engine)
        finally:
            store.close()
        rows = [_state_json(s) for s in states]
        if as_json:
            sys.stdout.write(json.dumps(report if queue else rows, indent=2) + "\n")
            return
        table = Table(title="sources")
        for column in ("id", "last success", "failures", "last error", "next poll", "articles"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["id"], row["last_success"] or "never", str(row["consecutive_failures"]),
                          Text(row["last_error"] or "", style="red"), row["next_poll"] or "", str(row["articles"]))
        console.print(table)
        _print_queue(report)

    _run_guarded(go)


def _print_queue(report: dict) -> None:
    tasks, recent = report["tasks"], report["last_5_minutes"]
    if not any(tasks.values()) and not report["workers"]:
        console.print("queue: empty, no worker seen (`regwatch run` works without one)")
        return
    console.print(f"queue: {tasks['queued']} queued, {tasks['running']} running, {tasks['done']} done, "
                  + (f"[red]{tasks['dead']} dead[/red]" if tasks["dead"] else "0 dead"))
    leader = report["leader"]
    console.print("leader: " + (f"{leader['id']} (seen {leader['seconds_since_seen']:.0f}s ago)" if leader
                                else "none"))
    console.print(f"last 5 minutes: {recent['tasks_done']} tasks done ({recent['tasks_done'] / 5:.1f}/min), "
                  f"{recent['items_done']} items ({recent['items_done'] / 300:.2f}/s)")
    table = Table(title="workers seen in the last minute")
    for column in ("id", "role", "host", "pid", "task in hand", "done", "seen"):
        table.add_column(column)
    for worker in report["workers"]:
        role = worker["role"] + (" (leader)" if worker["leading"] else "")
        table.add_row(worker["id"], role, worker["host"], str(worker["pid"]), worker["task"] or "",
                      str(worker["done"]), f"{worker['seconds_since_seen']:.0f}s ago")
    console.print(table)
    if report["dead"]:
        dead = Table(title="dead tasks (`regwatch queue retry` queues them again)")
        for column in ("id", "task", "attempts", "last error"):
            dead.add_column(column)
        for task in report["dead"]:
            dead.add_row(str(task["id"]), task["task"], str(task["attempts"]), Text(task["last_error"] or "",
                                                                                     style="red"))
        console.print(dead)


@queue_app.command("retry")
def queue_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead task ids (default: every dead task).")] = None,
) -> None:
    """Queue dead tasks again, with fresh attempts."""

    def go() -> None:
        from pipeline.store.queue import TaskQueue

        store = _open_store()
        try:
            requeued = TaskQueue(store.engine).requeue_dead(ids or None)
        finally:
            store.close()
        console.print(f"{requeued} dead tasks queued again")

    _run_guarded(go)


@app.command()
def reprocess(
    since: Annotated[datetime | None, typer.Option("--since", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
                                                   help="Only articles fetched on or after DATE.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source id.")] = None,
) -> None:
    """Extract (from the archived raw pages) and analyse stored articles again, in place."""

    def go() -> int:
        from pipeline.analyze import Analyzer
        from pipeline.reprocess import reprocess as run_reprocess

        store = _open_store()
        analyzer = Analyzer(_settings())
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=err_console, transient=True)
        task = progress.add_task("reprocessing", total=None)
        try:
            with progress:
                report = run_reprocess(
                    store, analyzer, since=since.replace(tzinfo=UTC) if since else None, source_id=source,
                    on_start=lambda total: progress.update(task, total=total),
                    on_article=lambda _id: progress.advance(task),
                )
        finally:
            getattr(analyzer, "close", lambda: None)()
            store.close()
        console.print(f"{report.articles} articles reprocessed: {report.extracted} extracted again from their "
                      f"archived page, {report.analysed_only} analysed again only, {report.failed} failed")
        for problem in report.problems[:10]:
            err_console.print(Text(problem, style="red"))
        return 0 if report.failed == 0 else 1

    raise typer.Exit(_run_guarded(go))


def _state_json(state) -> dict:
    data = asdict(state)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
    return data


# Search and saved searches: bodies in pipeline/search/commands.py.
from pipeline.search import commands as _search_commands  # noqa: E402

app.command("search")(_search_commands.search)
app.add_typer(_search_commands.searches_app, name="searches")

# The HTTP side (serve, export, tokens): bodies in pipeline/api/commands.py.
from pipeline.api import commands as _api_commands  # noqa: E402

app.command("serve")(_api_commands.serve)
app.command("export")(_api_commands.export)
app.add_typer(_api_commands.tokens_app, name="tokens")


if __name__ == "__main__":  # pragma: no cover
    # `python -m pipeline.cli`: run the app of the importable module, whose state (settings, --verbose) is the
    # one that command modules registered above (pipeline.api.commands) read through `from pipeline import cli`.
    from pipeline.cli import app as _imported_app

    _imported_app()
