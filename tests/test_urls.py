"""canonicalize_url and the private-address test."""

from __future__ import annotations

import pytest

from pipeline.urls import canonicalize_url, is_private_host


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a/../b/./c?utm_source=x&b=2&a=1&fbclid=3#frag", "http://example.com/b/c?a=1&b=2"),
        ("https://EXAMPLE.com", "https://example.com/"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("https://example.com/p?gclid=1&mc_cid=2&mc_eid=3&utm_medium=rss&utm_campaign=c&q=%C3%A9",
         "https://example.com/p?q=%C3%A9"),
        ("https://example.com/p?z=1&a=2&m=3", "https://example.com/p?a=2&m=3&z=1"),
        ("https://www.example.com/a b", "https://www.example.com/a%20b"),
        ("http://127.0.0.1:8080/x?b=1&a=2#f", "http://127.0.0.1:8080/x?a=2&b=1"),
        ("http://[::1]:8000/a", "http://[::1]:8000/a"),
        ("file:///tmp/saved%20page.html#top", "file:///tmp/saved%20page.html"),
        ("  https://example.com/x  ", "https://example.com/x"),
    ],
)
def test_canonicalize_url(url, expected):
    assert canonicalize_url(url) == expected


def test_relative_urls_resolve_against_the_base():
    assert canonicalize_url("../x?utm_source=feed", "https://example.com/a/b/c") == "https://example.com/a/x"
    assert canonicalize_url("/2025/08/26/qemu/", "https://www.qemu.org/feed.xml") == (
        "https://www.qemu.org/2025/08/26/qemu/"
    )
    assert canonicalize_url("page.html", "file:///srv/replay/feed.xml") == "file:///srv/replay/page.html"


def test_canonical_form_is_stable():
    url = "https://Example.com/a/./b?utm_source=x&k=v#f"
    assert canonicalize_url(canonicalize_url(url)) == canonicalize_url(url)


@pytest.mark.parametrize(
    ("host", "private"),
    [
        ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.0.1", True),
        ("169.254.169.254", True), ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True),
        ("fd00:ec2::254", True), ("100.64.0.1", True), ("0.0.0.0", True), ("224.0.0.1", True),
        ("8.8.8.8", False), ("93.184.216.34", False), ("2001:4860:4860::8888", False), ("localhost", True),
    ],
)
def test_is_private_host(host, private):
    assert is_private_host(host) is private


def test_is_private_host_uses_the_resolver():
    assert is_private_host("intranet.example", resolve=lambda host: ["10.0.0.7"]) is True
    assert is_private_host("news.example", resolve=lambda host: ["93.184.216.34", "8.8.8.8"]) is False
    assert is_private_host("mixed.example", resolve=lambda host: ["93.184.216.34", "127.0.0.1"]) is True

    def fails(host: str) -> list[str]:
        raise OSError("no such name")

    assert is_private_host("nowhere.invalid", resolve=fails) is False
