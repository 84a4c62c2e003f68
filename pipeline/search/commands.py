"""The commands of search: `regwatch search QUERY` and `regwatch searches list|save|delete`.

Their bodies live here so that ``pipeline/cli.py`` only registers them; they use the CLI's settings and
its one-line error handling (``pipeline.cli``, imported when a command runs).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.text import Text

searches_app = typer.Typer(help="Saved searches: named queries for alerts, digests and feeds.",
                           no_args_is_help=True)

FACETS_SHOWN = 5  # values per facet in the human output

QUERY_HELP = ('Words, "exact phrases", OR, -excluded, and filters: company:, jurisdiction:, type:, source:, '
              "tag:, status:, since:, until: (e.g. 'zoom jurisdiction:CN since:1y').")


def search(
    query: Annotated[str, typer.Argument(help=QUERY_HELP)],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Most stories shown.")] = 10,
    cursor: Annotated[str | None, typer.Option("--cursor", help="Show the page after this one (the cursor "
                                               "printed by the previous page, or its next_cursor).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON (the /api/search body).")] = False,
) -> None:
    """Search the stored stories: ranked hits with a highlighted snippet, and counts by facet."""
    from pipeline import cli

    def go() -> None:
        from pipeline.search import run_search

        store = cli._open_store()
        try:
            result = run_search(store, query, limit=limit, cursor=cursor)
        finally:
            store.close()
        if as_json:
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
            return
        _print_result(cli.console, result)

    cli._run_guarded(go)


def _print_result(console, result) -> None:
    if not result.hits:
        console.print("no matches")
        return
    for rank, hit in enumerate(result.hits, 1):
        head = Text(f"{rank}. ", style="bold")
        head.append(hit.title or "(untitled)", style="bold")
        console.print(head)
        meta = [hit.source_id, hit.published.date().isoformat() if hit.published else "undated"]
        if hit.source_count > 1:
            meta.append(f"{hit.source_count} sources: {', '.join(hit.sources)}")
        for label, values in (("companies", hit.companies), ("jurisdictions", hit.jurisdictions),
                              ("events", hit.event_types)):
            if values:
                meta.append(f"{label}: {', '.join(values)}")
        console.print(Text("   " + " | ".join(meta), style="dim"))
        console.print(Text("   " + hit.url, style="blue"))
        console.print(Text("   ").append(highlighted(hit.snippet, hit.highlights)))
    shown = f"{len(result.hits)} of {result.total} stories"
    console.print(Text(shown, style="bold"))
    for name, entries in result.facets.items():
        if entries:
            values = ", ".join(f"{e['label']} {e['count']}" for e in entries[:FACETS_SHOWN])
            console.print(Text(f"  {name.replace('_', ' ')}: ", style="dim").append(values))
    if result.next_cursor:
        console.print(Text(f"next page: --cursor {result.next_cursor}", style="dim"))


def highlighted(snippet: str, highlights: list[tuple[int, int]]) -> Text:
    """The snippet as rich Text with its highlights in bold (the text is never read as markup)."""
    text, last = Text(), 0
    for start, end in highlights:
        text.append(snippet[last:start])
        text.append(snippet[start:end], style="bold yellow")
        last = end
    text.append(snippet[last:])
    return text


@searches_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print [{name, query}] as JSON.")] = False,
) -> None:
    """List the saved searches."""
    from pipeline import cli

    def go() -> None:
        from pipeline.search.saved import list_saved

        store = cli._open_store()
        try:
            saved = list_saved(store)
        finally:
            store.close()
        if as_json:
            sys.stdout.write(json.dumps([{"name": n, "query": q} for n, q in saved], ensure_ascii=False) + "\n")
            return
        if not saved:
            cli.console.print("no saved searches")
        for name, text in saved:
            cli.console.print(Text(name, style="bold").append("  ").append(text, style=""))

    cli._run_guarded(go)


@searches_app.command("save")
def save_command(
    name: Annotated[str, typer.Argument(help="Name: lower-case letters, digits, - and _.")],
    query: Annotated[str, typer.Argument(help=QUERY_HELP)],
) -> None:
    """Save QUERY as NAME (replaces the query of an existing NAME); the query is checked first."""
    from pipeline import cli

    def go() -> None:
        from pipeline.search.saved import save

        store = cli._open_store()
        try:
            save(store, name, query)
        finally:
            store.close()
        cli.console.print(Text(f"saved {name}: ").append(" ".join(query.split())))

    cli._run_guarded(go)


@searches_app.command("delete")
def delete_command(name: Annotated[str, typer.Argument(help="The saved search to forget.")]) -> None:
    """Delete the saved search NAME (alert rules or digests naming it then fail their check)."""
    from pipeline import cli

    def go() -> None:
        from pipeline.search.saved import delete

        store = cli._open_store()
        try:
            delete(store, name)
        finally:
            store.close()
        cli.console.print(f"deleted {name}")

    cli._run_guarded(go)
