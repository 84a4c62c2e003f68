"""Fetching: the HTTP client (``http``) and feed parsing (``feeds``)."""

from pipeline.fetch.feeds import parse_feed
from pipeline.fetch.http import Fetcher, FetchResult

__all__ = ["FetchResult", "Fetcher", "parse_feed"]
