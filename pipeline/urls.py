"""URL canonicalisation and the private-address test shared by the fetcher.

``canonicalize_url`` gives the key under which an article is deduplicated: the
same page reached through a feed with ``utm_*`` tags, through a redirect with a
fragment, or through a relative link must map to one string. It is a key, not
a rewrite of what gets fetched: the crawl fetches the URL the feed gave.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import courlan

#: Query parameters that only track the click; dropped from canonical URLs.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
    "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp", "hsctatracking",
    "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "s_cid", "ncid",
    "ref_src", "ref_url", "cmpid", "wt.mc_id", "at_medium", "at_campaign", "ocid", "spm", "si",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "itm_", "ga_")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_DOT_SEGMENTS = re.compile(r"(^|/)\.\.?(?=/|$)")

Resolver = Callable[[str], Iterable[str]]


def canonicalize_url(url: str, base: str | None = None) -> str:
    """The dedup key of ``url``: absolute, lower-case scheme and host, no default port,
    dot segments removed, no fragment, no tracking parameters, remaining query sorted.

    http(s) URLs also go through ``courlan.normalize_url`` (percent-encoding of the
    path and query, punycode hosts); ``file://`` URLs and explicit ports such as
    ``127.0.0.1:8000`` are kept as they are, so saved material replays offline.
    """
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        path = _remove_dot_segments(parts.path) if scheme == "file" else parts.path
        return urlunsplit((scheme, parts.netloc.lower(), path, parts.query, ""))

    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if parts.username:  # userinfo kept: it selects what the server returns
        auth = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{auth}@{netloc}"
    path = _remove_dot_segments(parts.path) or "/"
    query = _clean_query(parts.query)
    normalized = courlan.normalize_url(urlunsplit((scheme, netloc, path, query, "")), strict=False)
    # courlan keeps fragments and drops a few parameters we want kept or not; redo both.
    parts = urlsplit(normalized)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", _clean_query(parts.query), ""))


def _remove_dot_segments(path: str) -> str:
    if not _DOT_SEGMENTS.search(path):
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    if not query:
        return ""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)]
    return urlencode(sorted(pairs))


def blocked_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a fetch to ``address`` is refused, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return blocked_reason(embedded)
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"  # includes the cloud metadata address 169.254.169.254
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified or address.is_reserved:
        return "reserved"
    if address.is_private or not address.is_global:
        return "private"
    return None


def system_resolver(host: str) -> list[str]:
    """Every address ``host`` resolves to (raises ``socket.gaierror`` when it does not)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def private_address_of(host: str, resolve: Resolver | None = None) -> str | None:
    """The first non-public address ``host`` is or resolves to, else None.

    Raises ``socket.gaierror`` when the name does not resolve.
    """
    host = host.strip("[]").rstrip(".")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return str(literal) if blocked_reason(literal) else None
    for text in (resolve or system_resolver)(host):
        address = ipaddress.ip_address(text)
        if blocked_reason(address):
            return str(address)
    return None


def is_private_host(host: str, resolve: Resolver | None = None) -> bool:
    """True when ``host`` is, or resolves to, a loopback/private/link-local/reserved/multicast address.

    A name that does not resolve is not called private: fetching it fails anyway.
    """
    try:
        return private_address_of(host, resolve) is not None
    except (OSError, UnicodeError):
        return False
