"""The one HTTP client of regwatch.

A ``Fetcher`` wraps one ``httpx.Client``. Tests hand it an ``httpx.MockTransport``
(the seam for the network); the crawl builds it once from ``Settings``.

It follows redirects itself so that every hop passes the private-address guard,
reads bodies as a stream and stops at ``max_response_bytes`` *after*
decompression (a gzip bomb costs one chunk, not the whole expansion), and turns
every failure into a ``FetchError`` whose message is one readable line.

Every hop takes a slot of the process-wide ``HostLimiter`` first (per-host
concurrency and spacing, ``Retry-After`` deferrals), a whole request is bounded
by ``total_timeout`` (a body trickling in a byte at a time cannot hold a job),
and with ``check_robots=True`` a hop whose URL robots.txt disallows is refused.
"""

from __future__ import annotations

import logging
import mimetypes
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import httpx

from pipeline.errors import FetchError
from pipeline.fetch.politeness import HostDeferred, HostLimiter, Interrupted, host_key
from pipeline.fetch.robots import RobotsCache, RobotsRules
from pipeline.settings import Settings
from pipeline.urls import Resolver, private_address_of

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Statuses whose Retry-After header is read (and pushes the host's next request out).
RETRY_AFTER_STATUSES = frozenset({429, 503})
#: Encodings this module decodes itself with a bounded output; others are left to httpx.
_ZLIB_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_CHUNK = 64 * 1024


@dataclass
class FetchResult:
    url: str  # final URL after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    content_type: str | None  # media type without parameters, lower case
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float = 0.0  # seconds, all hops included

    @property
    def charset(self) -> str | None:
        """The charset parameter of the Content-Type header, if any."""
        value = self.headers.get("content-type") or ""
        for param in value.split(";")[1:]:
            name, _, val = param.partition("=")
            if name.strip().lower() == "charset" and val.strip():
                return val.strip().strip("\"'").lower()
        return None


class Fetcher:
    """GET over http(s) and file:// with timeouts, a size cap, redirects and a private-address guard."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.BaseTransport | None = None,
        *,
        resolver: Resolver | None = None,
        limiter: HostLimiter | None = None,
        robots: RobotsCache | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self._resolver = resolver
        #: Per-host politeness; pass one limiter to every Fetcher of the process to share it.
        self.limiter = limiter or HostLimiter(settings.host_concurrency, settings.host_rate)
        self.robots = robots or RobotsCache()
        #: Set it (the crawl's stop flag) to cut waits for a host slot short.
        self.stop = stop
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        source_id: str | None = None,
        allow_private: bool | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        check_robots: bool = False,
        rate: float | None = None,
        concurrency: int | None = None,
    ) -> FetchResult:
        """Fetch ``url``; raise ``FetchError`` for anything but a readable 2xx/3xx answer or a 304.

        ``rate`` (requests/s) and ``concurrency`` override the settings' per-host limits for this
        call (a source's own). ``check_robots``: refuse URLs robots.txt disallows for ``regwatch``
        (article pages; feeds are the site's invitation and are not checked).
        """
        if allow_private is None:
            allow_private = self.settings.allow_private
        started = time.monotonic()
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            if not allow_private:
                raise FetchError(
                    "blocked local file URL (set allow_private: true to allow)", source_id=source_id, url=url
                )
            return self._read_file(url, source_id=source_id, started=started)
        if scheme not in ("http", "https"):
            raise FetchError(f"unsupported URL scheme {scheme or '(none)'!r}", source_id=source_id, url=url)

        headers: dict[str, str] = {}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        seen: set[str] = set()
        current = url
        deadline: float | None = None
        while True:
            if not allow_private:
                self._guard(current, source_id=source_id)
            hop_rate = rate
            if check_robots:
                hop_rate = self._check_robots(current, source_id=source_id, allow_private=allow_private,
                                              rate=rate, concurrency=concurrency)
            seen.add(current)
            if deadline is not None and time.monotonic() > deadline:
                raise FetchError(self._total_timeout_message(), source_id=source_id, url=url)
            host = host_key(current)
            self._acquire(host, rate=hop_rate, concurrency=concurrency, source_id=source_id, url=current)
            try:
                if deadline is None:
                    deadline = time.monotonic() + self.settings.total_timeout
                location, result = self._request(
                    current, headers, source_id=source_id, started=started, deadline=deadline
                )
            except FetchError as exc:
                if exc.retry_after is not None:
                    self.limiter.defer(host, exc.retry_after)
                raise
            finally:
                self.limiter.release(host)
            if result is not None:
                if result.not_modified:
                    result.etag = result.etag or etag
                    result.last_modified = result.last_modified or last_modified
                logger.debug(
                    "[%s] %s: HTTP %s, %d bytes in %.2fs",
                    source_id, url, result.status, len(result.body), result.elapsed,
                )
                return result
            assert location is not None
            target = urljoin(current, location)
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                raise FetchError(f"redirect to unsupported URL {target}", source_id=source_id, url=url)
            if target in seen:
                raise FetchError(f"redirect loop at {target}", source_id=source_id, url=url)
            if len(seen) > self.settings.max_redirects:
                raise FetchError(
                    f"more than {self.settings.max_redirects} redirects", source_id=source_id, url=url
                )
            logger.debug("[%s] %s: redirected to %s", source_id, current, target)
            current = target

    # -- politeness --------------------------------------------------------------------------------

    def _acquire(
        self, host: str, *, rate: float | None, concurrency: int | None, source_id: str | None, url: str
    ) -> None:
        try:
            self.limiter.acquire(host, rate=rate, concurrency=concurrency, stop=self.stop)
        except HostDeferred as exc:
            raise FetchError(
                f"{urlsplit(url).hostname} asked regwatch to wait (retry after {exc.remaining:.0f}s)",
                retry_after=exc.remaining, source_id=source_id, url=url,
            ) from None
        except Interrupted:
            raise FetchError("interrupted", source_id=source_id, url=url) from None

    def robots_rules(
        self, url: str, *, source_id: str | None = None, allow_private: bool | None = None,
        rate: float | None = None, concurrency: int | None = None,
    ) -> RobotsRules:
        """The robots.txt rules of ``url``'s site (fetched through the limiter, cached per origin)."""

        def fetch(robots: str) -> bytes:
            return self.get(robots, source_id=source_id, allow_private=allow_private, accept="text/plain",
                            rate=rate, concurrency=concurrency).body

        return self.robots.rules(url, fetch)

    def _check_robots(
        self, url: str, *, source_id: str | None, allow_private: bool, rate: float | None,
        concurrency: int | None,
    ) -> float | None:
        """Raise when robots.txt disallows ``url``; else the rate to use (lowered by a Crawl-delay)."""
        if urlsplit(url).path == "/robots.txt":
            return rate
        rules = self.robots_rules(url, source_id=source_id, allow_private=allow_private, rate=rate,
                                  concurrency=concurrency)
        if not rules.allows(url):
            reason = "disallowed by robots.txt"
            if rules.unreachable:
                reason += f" (robots.txt unreachable: {rules.unreachable})"
            raise FetchError(reason, source_id=source_id, url=url)
        delay = rules.crawl_delay
        if delay:
            return min(rate or self.limiter.rate, 1.0 / delay)
        return rate

    def _total_timeout_message(self) -> str:
        return f"timeout: response not complete after {self.settings.total_timeout:g}s"

    # -- one hop -----------------------------------------------------------------------------------

    def _request(
        self, url: str, headers: dict[str, str], *, source_id: str | None, started: float, deadline: float
    ) -> tuple[str | None, FetchResult | None]:
        """One request: (Location, None) for a redirect, else (None, result)."""
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(
                            f"HTTP {status} redirect without Location", source_id=source_id, url=url
                        )
                    return location, None
                if status == 304:
                    return None, self._result(url, response, b"", started, not_modified=True)
                if status >= 400:
                    reason = f"HTTP {status} {response.reason_phrase or _reason(status)}".rstrip()
                    retry_after = None
                    if status in RETRY_AFTER_STATUSES:
                        retry_after = parse_retry_after(response.headers.get("retry-after"))
                        if retry_after is not None:
                            reason += f" (retry after {retry_after:.0f}s)"
                    raise FetchError(reason, retry_after=retry_after, status=status, source_id=source_id, url=url)
                body = self._read_body(response, source_id=source_id, url=url, deadline=deadline)
                return None, self._result(url, response, body, started)
        except FetchError:
            raise
        except httpx.TimeoutException as exc:
            raise FetchError(self._timeout_message(exc), source_id=source_id, url=url) from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"bad {_encoding_name(exc)} body", source_id=source_id, url=url) from exc
        except httpx.TransportError as exc:
            raise FetchError(_transport_message(exc, url), source_id=source_id, url=url) from exc
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}", source_id=source_id, url=url) from exc

    def _result(
        self, url: str, response: httpx.Response, body: bytes, started: float, *, not_modified: bool = False
    ) -> FetchResult:
        content_type = response.headers.get("content-type")
        return FetchResult(
            url=url,
            status=response.status_code,
            headers=response.headers,
            body=body,
            content_type=content_type.split(";", 1)[0].strip().lower() if content_type else None,
            not_modified=not_modified,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            elapsed=time.monotonic() - started,
        )

    def _read_body(self, response: httpx.Response, *, source_id: str | None, url: str, deadline: float) -> bytes:
        cap = self.settings.max_response_bytes
        encoding = response.headers.get("content-encoding", "").strip().lower()
        declared = response.headers.get("content-length", "")
        if not encoding and declared.isdigit() and int(declared) > cap:
            raise FetchError(f"response over {_size(cap)} cap", source_id=source_id, url=url)
        # Chunks as they arrive (no re-chunking inside httpx), so the deadline is checked after every read.
        if encoding in _ZLIB_WBITS and not response.is_stream_consumed:
            chunks = _bounded_inflate(response.iter_raw(), _ZLIB_WBITS[encoding], cap)
        else:  # other encodings, and responses httpx has already read (built from bytes)
            chunks = response.iter_bytes()
        body = bytearray()
        try:
            for chunk in chunks:
                body += chunk
                if len(body) > cap:
                    raise FetchError(f"response over {_size(cap)} cap", source_id=source_id, url=url)
                if time.monotonic() > deadline:
                    raise FetchError(self._total_timeout_message(), source_id=source_id, url=url)
        except zlib.error as exc:
            name = "gzip" if "gzip" in encoding else encoding
            raise FetchError(f"bad {name} body", source_id=source_id, url=url) from exc
        return bytes(body)

    def _timeout_message(self, exc: httpx.TimeoutException) -> str:
        if isinstance(exc, httpx.ConnectTimeout):
            return f"connect timeout after {self.settings.connect_timeout:g}s"
        if isinstance(exc, httpx.PoolTimeout):
            return f"connection pool timeout after {self.settings.connect_timeout:g}s"
        return f"timeout after {self.settings.read_timeout:g}s"

    def _guard(self, url: str, *, source_id: str | None) -> None:
        host = urlsplit(url).hostname
        if not host:
            raise FetchError("URL has no host", source_id=source_id, url=url)
        try:
            address = private_address_of(host, self._resolver)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"name not resolved: {host}", source_id=source_id, url=url) from exc
        if address is not None:
            raise FetchError(
                f"blocked private address {address} (set allow_private: true to allow)",
                source_id=source_id,
                url=url,
            )

    # -- file:// -----------------------------------------------------------------------------------

    def _read_file(self, url: str, *, source_id: str | None, started: float) -> FetchResult:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchError(f"file URL on another host ({parts.netloc})", source_id=source_id, url=url)
        path = Path(url2pathname(unquote(parts.path)))
        cap = self.settings.max_response_bytes
        content_type, encoding = mimetypes.guess_type(path.name)
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise FetchError(f"not a file: {path}", source_id=source_id, url=url)
            if encoding in ("gzip", "deflate"):
                with path.open("rb") as handle:
                    raw = iter(lambda: handle.read(_CHUNK), b"")
                    body = b"".join(_capped(_bounded_inflate(raw, _file_wbits(encoding), cap), cap))
            else:
                if size > cap:
                    raise _OverCap
                body = path.read_bytes()
        except _OverCap as exc:
            raise FetchError(f"response over {_size(cap)} cap", source_id=source_id, url=url) from exc
        except FileNotFoundError as exc:
            raise FetchError(f"file not found: {path}", source_id=source_id, url=url) from exc
        except zlib.error as exc:
            raise FetchError(f"bad {encoding} body", source_id=source_id, url=url) from exc
        except OSError as exc:
            reason = f"cannot read {path}: {exc.strerror or exc}"
            raise FetchError(reason, source_id=source_id, url=url) from exc
        headers = httpx.Headers({"content-length": str(len(body))})
        if content_type:
            headers["content-type"] = content_type
        return FetchResult(
            url=url,
            status=200,
            headers=headers,
            body=body,
            content_type=content_type,
            elapsed=time.monotonic() - started,
        )


class _OverCap(Exception):
    pass


def _capped(chunks: Iterator[bytes], cap: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > cap:
            raise _OverCap
        yield chunk


def _file_wbits(encoding: str) -> int:
    return _ZLIB_WBITS["gzip"] if encoding == "gzip" else zlib.MAX_WBITS


def _bounded_inflate(raw: Iterator[bytes], wbits: int, cap: int) -> Iterator[bytes]:
    """Inflate a zlib/gzip stream, never producing more than ``cap + 1`` bytes in all.

    Concatenated gzip members are followed, trailing junk after a complete member is
    ignored, "deflate" without its zlib header is accepted (as browsers do); a
    truncated or corrupt stream raises ``zlib.error``.
    """
    decoder = zlib.decompressobj(wbits)
    produced = 0
    first: bool | None = True  # True: nothing read yet; None: at the start of a further member
    for data in raw:
        while data:
            try:
                out = decoder.decompress(data, cap + 1 - produced)
            except zlib.error:
                if first and wbits == zlib.MAX_WBITS:
                    wbits = -zlib.MAX_WBITS
                    decoder = zlib.decompressobj(wbits)
                    first = False
                    continue
                if first is None:
                    return  # junk after a complete member
                raise
            first = False
            produced += len(out)
            if out:
                yield out
            if produced > cap:
                return
            if decoder.eof:
                data = decoder.unused_data
                if data:
                    decoder = zlib.decompressobj(wbits)
                    first = None  # a further member: tolerate junk instead
            else:
                data = decoder.unconsumed_tail
    if not decoder.eof and first is False:
        raise zlib.error("truncated stream")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date; None when unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KB"
    return f"{count} bytes"


def _encoding_name(exc: Exception) -> str:
    text = str(exc).lower()
    for name in ("gzip", "deflate", "brotli", "zstd"):
        if name in text:
            return name
    return "compressed"


def _transport_message(exc: httpx.TransportError, url: str) -> str:
    text = str(exc)
    lowered = text.lower()
    cause = exc.__context__
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__context__
    if isinstance(cause, socket.gaierror) or any(
        marker in lowered for marker in ("name or service not known", "nodename nor servname",
                                         "temporary failure in name resolution", "no address associated",
                                         "getaddrinfo failed")
    ):
        return f"name not resolved: {httpx.URL(url).host}"
    if "connection refused" in lowered or isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if "connection reset" in lowered or isinstance(cause, ConnectionResetError):
        return "connection reset"
    if "network is unreachable" in lowered:
        return "network unreachable"
    if "certificate" in lowered or "ssl" in lowered:
        return f"TLS error: {text.splitlines()[0] if text else type(exc).__name__}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"protocol error: {text.splitlines()[0] if text else 'server closed the connection'}"
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"connection error: {first}"
