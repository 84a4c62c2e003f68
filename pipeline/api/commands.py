"""The commands of the HTTP side: `regwatch serve`, `regwatch export`, `regwatch tokens create|list|revoke`.

Their bodies live here so that ``pipeline/cli.py`` only registers them. They use the CLI's settings and
its one-line error handling (``pipeline.cli``, imported when a command runs, as cli imports this module).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

log = logging.getLogger(__name__)

tokens_app = typer.Typer(help="API tokens of `regwatch serve` (stored hashed).", no_args_is_help=True)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1); any other name or address is public."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def public_bind_problem(host: str, has_tokens: bool) -> str | None:
    """Why ``serve`` must not listen on ``host``, or None when it may."""
    if is_loopback(host) or has_tokens:
        return None
    return (f"refusing to listen on {host}: it is not a loopback address and no API token is configured, so "
            "anyone who can reach it could read the store; create one with `regwatch tokens create NAME` "
            "(or serve on 127.0.0.1)")


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; any non-loopback address needs an "
                                      "API token (regwatch tokens create).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API, feeds, exports and web pages (uvicorn)."""
    from pipeline import cli

    def go() -> int:
        import uvicorn

        from pipeline.api import create_app
        from pipeline.api.tokens import tokens_configured

        settings = cli._settings()
        store = cli._open_store()
        try:
            problem = public_bind_problem(host, tokens_configured(store))
            if problem:
                raise cli._fail(problem, 2)
            app = create_app(settings, store=store)
            log.info("serving %s on http://%s:%d", cli._redact(settings.resolved_database_url), host, port)
            uvicorn.run(app, host=host, port=port, log_level="debug" if cli._State.verbose else "info",
                        server_header=False, log_config=None)
        finally:
            store.close()
        return 0

    raise typer.Exit(cli._run_guarded(go))


def export(
    kind: Annotated[str, typer.Argument(help="events or stories.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or jsonl.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE (default stdout).")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="ISO code or country name (US matches US-CA).")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Event type.")] = None,
    company: Annotated[str | None, typer.Option(help="Company (event actor; for stories also a named one).")]
    = None,
    source: Annotated[str | None, typer.Option(help="Source id.")] = None,
    status: Annotated[str | None, typer.Option(help="proposed, announced, in_effect or reversed.")] = None,
    since: Annotated[str | None, typer.Option(help="Published from: 2025-06-01, 2025-06, or 7d, 3m ago.")] = None,
    until: Annotated[str | None, typer.Option(help="Published until the end of this date.")] = None,
) -> None:
    """Export events or stories as CSV or JSON Lines (the rows of /api/export/...), for dashboards."""
    from pipeline import cli

    def go() -> int:
        from pipeline.api.exports import FORMATS, KINDS, export_lines
        from pipeline.api.filters import build_filter

        if kind not in KINDS:
            raise cli._fail(f"kind: must be events or stories, not {kind!r}", 2)
        if fmt not in FORMATS:
            raise cli._fail(f"--format: must be csv or jsonl, not {fmt!r}", 2)
        filters = build_filter(jurisdiction=jurisdiction, type=type_, company=company, source=source,
                               status=status, since=since, until=until)
        store = cli._open_store()
        try:
            count = _write_lines(export_lines(store, kind, fmt, filters), output, header=fmt == "csv")
        finally:
            store.close()
        cli.err_console.print(f"{output or 'stdout'}: {count} {kind}")
        return 0

    raise typer.Exit(cli._run_guarded(go))


def _write_lines(lines, output: Path | None, *, header: bool) -> int:
    """Write ``lines`` to ``output`` (replaced whole, only once complete) or stdout; the number of rows."""
    count = -1 if header else 0
    if output is None:
        try:
            for line in lines:
                sys.stdout.write(line)
                count += 1
            sys.stdout.flush()
        except BrokenPipeError:  # `regwatch export ... | head`: the reader has had enough, as with any Unix tool
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return max(count, 0)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            for line in lines:
                out.write(line)
                count += 1
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return max(count, 0)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="A name to recognise the token by (lower-case).")],
    admin: Annotated[bool, typer.Option("--admin", help="May also change saved searches.")] = False,
) -> None:
    """Create an API token and print it, once: only its hash is stored."""
    from pipeline import cli

    def go() -> None:
        from pipeline.api.tokens import create_token

        store = cli._open_store()
        try:
            token = create_token(store, name, admin=admin)
        finally:
            store.close()
        sys.stdout.write(token + "\n")
        cli.err_console.print(f"token {name} ({'admin' if admin else 'read-only'}) created; it is shown only "
                              "this once: send it as `Authorization: Bearer TOKEN`")

    cli._run_guarded(go)


@tokens_app.command("list")
def tokens_list(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """The tokens: name, kind, first characters, creation time (never the token)."""
    from pipeline import cli

    def go() -> None:
        from rich.table import Table

        from pipeline.api.tokens import list_tokens

        store = cli._open_store()
        try:
            tokens = list_tokens(store)
        finally:
            store.close()
        rows = [{"name": t.name, "admin": t.admin, "prefix": t.prefix, "created_at": t.created_at.isoformat()}
                for t in tokens]
        if as_json:
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        if not rows:
            cli.console.print("no tokens: the API is open, and `regwatch serve` listens on loopback only")
            return
        table = Table(title="API tokens")
        for column in ("name", "kind", "starts with", "created"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["name"], "admin" if row["admin"] else "read-only", row["prefix"] + "…",
                          row["created_at"])
        cli.console.print(table)

    cli._run_guarded(go)


@tokens_app.command("revoke")
def tokens_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Delete a token: requests that send it are refused from now on."""
    from pipeline import cli

    def go() -> None:
        from pipeline.api.tokens import revoke_token

        store = cli._open_store()
        try:
            revoke_token(store, name)
        finally:
            store.close()
        cli.console.print(f"token {name} revoked")

    cli._run_guarded(go)
