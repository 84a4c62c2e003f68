"""Fetching: the HTTP client (``http``), per-host politeness (``politeness``, ``robots``, ``backoff``),
feed parsing (``feeds``) and what a source lists whatever its kind (``discover``)."""

from pipeline.fetch.feeds import parse_feed
from pipeline.fetch.http import Fetcher, FetchResult
from pipeline.fetch.politeness import HostLimiter

__all__ = ["FetchResult", "Fetcher", "HostLimiter", "parse_feed"]
