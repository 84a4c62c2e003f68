"""The regwatch exception tree.

Every error names the stage it came from and, where there is one, the source
id and URL, so that a user can act on the one line it prints::

    RegwatchError
    ├── ConfigError            settings, sources.yaml (file:line: field: problem)
    ├── FetchError             stage "fetch": network, HTTP status, size cap, blocked address
    ├── ParseError             stage "parse": not a feed, malformed XML/JSON
    ├── ExtractError           stage "extract": empty or unreadable page
    ├── AnalyzeError           stage "analyze": NLP failure on one article
    ├── StoreError             stage "store": database problems
    ├── QueryError             stage "search": a malformed search query
    └── AlertError             stage "alert": one delivery of an alert failed

``str(error)`` is the one readable line: ``"<stage>: <message>"``.
"""

from __future__ import annotations


class RegwatchError(Exception):
    """Base of every error regwatch raises on purpose."""

    stage = "regwatch"

    def __init__(self, message: str, *, source_id: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source_id = source_id
        self.url = url

    def __str__(self) -> str:
        return f"{self.stage}: {self.message}"

    def describe(self) -> str:
        """The error with its source and URL, for logs."""
        where = " ".join(part for part in (
            f"[{self.source_id}]" if self.source_id else "",
            self.url or "",
        ) if part)
        return f"{where} {self}" if where else str(self)


class ConfigError(RegwatchError):
    stage = "config"

    def __init__(self, message: str, *, problems: list[str] | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.problems = problems or []


class FetchError(RegwatchError):
    stage = "fetch"

    def __init__(
        self, message: str, *, retry_after: float | None = None, status: int | None = None, **kwargs
    ) -> None:
        super().__init__(message, **kwargs)
        #: Seconds the server asked us to wait (``Retry-After`` on 429/503), when it said.
        self.retry_after = retry_after
        #: The HTTP status of an error answer (404, 429, 503 ...), None for network failures.
        self.status = status


class ParseError(RegwatchError):
    stage = "parse"


class ExtractError(RegwatchError):
    stage = "extract"


class AnalyzeError(RegwatchError):
    stage = "analyze"


class StoreError(RegwatchError):
    stage = "store"


class QueryError(RegwatchError):
    stage = "search"


class AlertError(RegwatchError):
    stage = "alert"
