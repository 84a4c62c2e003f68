"""parse_feed over the 41 real corpus feeds, plus the rejections and edge cases."""

from __future__ import annotations

import gzip
import json
import unicodedata
from datetime import UTC
from pathlib import Path

import pytest

from pipeline.errors import ParseError
from pipeline.fetch.feeds import parse_feed
from pipeline.records import ParsedFeed

FEEDS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feeds"

#: Item counts of the corpus README table.
README_COUNTS = {
    "miniflux_encoding_ISO-8859-1.xml": 40,
    "miniflux_encoding_WINDOWS-1251.xml": 50,
    "miniflux_koi8r.xml": 2,
    "miniflux_large_atom.xml": 25,
    "miniflux_no_encoding_ISO-8859-1.xml": 10,
    "miniflux_rdf_UTF8.xml": 60,
    "miniflux_small_atom.xml": 20,
    "miniflux_urdu_UTF8.xml": 26,
    "netnewswire_489.rss": 10,
    "netnewswire_DaringFireball.atom": 48,
    "netnewswire_DaringFireball.json": 48,
    "netnewswire_aktuality.rss": 30,
    "netnewswire_bio.rdf": 30,
    "netnewswire_kc0011.rss": 20,
    "netnewswire_livemint.xml": 25,
    "netnewswire_macworld.rss": 30,
    "netnewswire_medscape.rss": 20,
    "netnewswire_qemu.atom": 10,
    "netnewswire_scriptingNews.rss": 50,
    "nodefeedparser_compressed.xml": 10,
    "nodefeedparser_iconv.xml": 10,
    "nodefeedparser_illegally-nested.xml": 20,
    "nodefeedparser_intertwingly.atom": 20,
    "nodefeedparser_invalid-characters-gzipped.xml": 25,
    "nodefeedparser_rss2sample.xml": 4,
    "nodefeedparser_saxerror.xml": None,
    "nodefeedparser_tpm.atom": 20,
    "nodefeedparser_wapowellness.xml": 29,
    "rssparser_content-encoded.rss": 7,
    "rssparser_craigslist.rss": 25,
    "rssparser_encoding-gb2312.xml": 1,
    "rssparser_encoding.rss": 40,
    "rssparser_feedburner.atom": 25,
    "rssparser_guardian.rss": 55,
    "rssparser_heise.atom": 15,
    "rssparser_heraldsun.rss": 2,
    "rssparser_latin2.rss": 1,
    "rssparser_nhs-feed.rss": 2,
    "rssparser_reddit-atom.rss": 24,
    "rssparser_rss-1.rss": 69,
    "rssparser_uolNoticias.rss": 15,
}

#: Where we differ from the README on purpose: (items, the warning we expect to see).
DIFFERENCES = {
    # The README counts every <item> element; 10 of them are empty `<item />` nested in the others.
    "nodefeedparser_illegally-nested.xml": (10, "dropped 10 empty item(s)"),
    # One <item> has an empty title, link and description: nothing to store.
    "miniflux_no_encoding_ISO-8859-1.xml": (9, "dropped 1 empty item(s)"),
    # Strict XML parsers abort on the bad "&"; feedparser's lenient parser recovers all three items.
    "nodefeedparser_saxerror.xml": (3, "malformed XML: not well-formed (invalid token) at line 15"),
}


def corpus_files() -> list[str]:
    return sorted(path.name for path in FEEDS.iterdir() if path.is_file())


def parse_corpus(name: str, url: str | None = None) -> ParsedFeed:
    url = url or f"https://feeds.example.org/{name}"
    return parse_feed((FEEDS / name).read_bytes(), url=url, source_id=name)


def test_the_corpus_has_the_41_documented_feeds():
    assert corpus_files() == sorted(README_COUNTS)


@pytest.mark.parametrize("name", corpus_files())
def test_every_corpus_feed_parses_or_is_rejected_in_one_line(name):
    try:
        feed = parse_corpus(name)
    except ParseError as error:  # none of the 41 is rejected today; if one is, say why in one line
        assert "\n" not in str(error) and str(error).startswith("parse: ")
        pytest.fail(f"{name} rejected: {error}")
    expected, warning = DIFFERENCES.get(name, (README_COUNTS[name], None))
    assert len(feed.items) == expected
    if warning:
        assert feed.warning and warning in feed.warning
    if feed.warning:
        assert "\n" not in feed.warning
    for item in feed.items:
        assert item.title or item.summary or item.content, item
        assert item.guid
        assert item.url is None or item.url.startswith(("http://", "https://"))
        if item.published is not None:
            assert item.published.tzinfo is not None and item.published.utcoffset().total_seconds() == 0
        for text in (item.title, item.summary, item.content):
            if text:
                assert "\ufffd" not in text, f"undecodable byte in {name}: {text[:80]!r}"
                controls = [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t"]
                assert not controls, text[:80]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("netnewswire_kc0011.rss", "建国35周年纪念"),
        ("rssparser_encoding-gb2312.xml", "重组盛大游戏"),
        ("miniflux_encoding_WINDOWS-1251.xml", "Цитата"),
        ("nodefeedparser_iconv.xml", "В Бузулуке главные стройплощадки"),
        ("nodefeedparser_compressed.xml", "В Бузулуке главные стройплощадки"),
        ("miniflux_koi8r.xml", "Первая новость"),
        ("rssparser_encoding.rss", "Mãe de utente é a nova presidente da Raríssimas"),
        ("rssparser_latin2.rss", "ZAŻÓŁĆ GĘSLĄ JAŹŃ"),
        ("rssparser_uolNoticias.rss", "Ibope: Bolsonaro perde de Haddad"),
        ("miniflux_encoding_ISO-8859-1.xml", "Red Dead Redemption 2"),
        ("miniflux_urdu_UTF8.xml", "امریکی عسکری امداد"),
    ],
)
def test_legacy_encodings_decode_to_the_right_text(name, fragment):
    titles = [item.title or "" for item in parse_corpus(name).items]
    assert any(fragment in title for title in titles), titles[:3]


def test_chinese_titles_are_cjk():
    title = parse_corpus("netnewswire_kc0011.rss").items[0].title
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in title) >= 5


def test_undeclared_latin1_has_accents():
    feed = parse_corpus("miniflux_no_encoding_ISO-8859-1.xml")
    assert any("é" in (item.title or "") + (item.summary or "") for item in feed.items)
    assert feed.warning and feed.warning.startswith("encoding:")


def test_non_rfc_dates():
    kc = parse_corpus("netnewswire_kc0011.rss").items[0]
    assert kc.published.isoformat() == "2020-01-10T14:33:00+00:00"  # "2020/1/10 14:33:00", no zone: UTC
    uol = parse_corpus("rssparser_uolNoticias.rss").items[0]
    assert uol.published.isoformat() == "2018-09-24T22:42:40+00:00"  # "Seg, 24 Set 2018 19:42:40 -0300"
    gb = parse_corpus("rssparser_encoding-gb2312.xml").items[0]
    assert gb.published is not None and gb.published.tzinfo == UTC


def test_json_feed_matches_its_atom_twin():
    as_json = parse_corpus("netnewswire_DaringFireball.json", "https://daringfireball.net/feeds/json")
    as_atom = parse_corpus("netnewswire_DaringFireball.atom", "https://daringfireball.net/feeds/main")
    assert as_json.format == "json1" and as_atom.format == "atom10"
    assert len(as_json.items) == len(as_atom.items) == 48
    assert [item.url for item in as_json.items] == [item.url for item in as_atom.items]
    assert [item.title for item in as_json.items] == [item.title for item in as_atom.items]
    assert [item.published for item in as_json.items] == [item.published for item in as_atom.items]
    assert as_json.items[0].author == "John Gruber" and as_json.items[0].content


def test_relative_links_resolve_against_the_feed_url():
    feed = parse_corpus("netnewswire_qemu.atom", "https://www.qemu.org/feed.xml")
    assert feed.items[0].url == "https://www.qemu.org/2025/08/26/qemu-10-1-0/"
    assert feed.items[0].guid == "https://www.qemu.org/2025/08/26/qemu-10-1-0"
    assert all(item.url.startswith("https://www.qemu.org/") for item in feed.items)
    assert feed.link == "https://www.qemu.org/"


def test_root_relative_links_and_xml_base():
    feed = parse_corpus("nodefeedparser_intertwingly.atom", "http://intertwingly.net/blog/index.atom")
    assert feed.items[0].url == "http://intertwingly.net/blog/2012/07/16/Inhibiting-Suspend"
    based = (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example/news/">'
             b"<title>t</title><entry><id>e1</id><title>One</title>"
             b"<link href='2025/one.html'/></entry></feed>")
    assert parse_feed(based, url="https://fetched.example/feed").items[0].url == (
        "https://base.example/news/2025/one.html"
    )


def test_items_without_titles_keep_their_text():
    feed = parse_corpus("netnewswire_scriptingNews.rss")
    untitled = [item for item in feed.items if item.title is None]
    assert len(untitled) == 39
    assert all(item.summary for item in untitled)
    sample = parse_corpus("nodefeedparser_rss2sample.xml")
    assert sum(item.title is None for item in sample.items) == 1


def test_summaries_and_content_are_plain_text_with_paragraphs():
    item = parse_corpus("netnewswire_qemu.atom").items[0]
    assert "<p>" not in item.content and "\n\n" in item.content
    assert item.content.startswith("We’d like to announce the availability of the QEMU 10.1.0 release.")
    guardian = parse_corpus("rssparser_guardian.rss").items[0]
    assert guardian.tags and "<" not in (guardian.summary or "")


def test_gzip_bytes_are_decompressed():
    raw = (FEEDS / "rssparser_nhs-feed.rss").read_bytes()
    feed = parse_feed(gzip.compress(raw), url="https://www.england.nhs.uk/feed/")
    assert len(feed.items) == 2 and "measles" in feed.items[0].title
    with pytest.raises(ParseError, match="bad gzip body"):
        parse_feed(b"\x1f\x8b\x08\x00garbage", url="https://x.example/")


def test_html_page_is_not_a_feed():
    page = b"<!DOCTYPE html>\n<html><head><title>News</title></head><body><p>Hello</p></body></html>"
    with pytest.raises(ParseError) as caught:
        parse_feed(page, url="https://x.example/news", content_type="text/html; charset=utf-8")
    assert str(caught.value) == "parse: not a feed (text/html)"
    with pytest.raises(ParseError, match=r"not a feed \(text/html\)"):
        parse_feed(b"\n  <html lang='en'><body>x</body></html>", url="https://x.example/")


def test_a_feed_served_as_text_html_is_still_read():
    raw = (FEEDS / "rssparser_nhs-feed.rss").read_bytes()
    assert len(parse_feed(raw, url="https://x.example/", content_type="text/html").items) == 2


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png", "binary body (image/png)"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, None, "binary body (image/png)"),
        (b"%PDF-1.7\n...", "application/octet-stream", "binary body (application/pdf)"),
        (b"\0\1\2\3binary", "application/octet-stream", "binary body (application/octet-stream)"),
        (b"", None, "empty body"),
        (b"  \n\t ", "application/rss+xml", "empty body"),
    ],
)
def test_rejections_name_the_reason(body, content_type, reason):
    with pytest.raises(ParseError) as caught:
        parse_feed(body, url="https://x.example/feed", content_type=content_type, source_id="s")
    assert caught.value.message == reason
    assert caught.value.source_id == "s" and caught.value.url == "https://x.example/feed"


def test_malformed_xml_without_items_is_rejected_with_the_line():
    broken = b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n<title>x &amp y</title>\n<<<'
    with pytest.raises(ParseError) as caught:
        parse_feed(broken, url="https://x.example/")
    assert caught.value.message.startswith("malformed XML: ") and " at line " in caught.value.message
    assert "\n" not in caught.value.message


def test_valid_feed_without_items_is_empty_not_an_error():
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    feed = parse_feed(empty, url="https://x.example/")
    assert feed.items == [] and feed.title == "Quiet" and feed.warning is None


def test_json_feed_1_1_and_validation():
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Regulator news",
        "home_page_url": "https://reg.example/",
        "authors": [{"name": "Press office"}],
        "items": [
            {"id": 1, "url": "/news/1?utm_source=x", "title": "Rule adopted",
             "content_html": "<p>One</p><p>Two</p>", "date_published": "2025-03-01T10:00:00+01:00",
             "tags": ["AI", "EU"]},
            {"id": "2", "content_text": "Untitled note", "summary": "Short"},
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), url="https://reg.example/feed.json",
                      content_type="application/feed+json")
    assert feed.format == "json11" and feed.title == "Regulator news" and len(feed.items) == 2
    first, second = feed.items
    assert first.guid == "1" and first.url == "https://reg.example/news/1?utm_source=x"
    assert first.content == "One\n\nTwo" and first.tags == ["AI", "EU"] and first.author == "Press office"
    assert first.published.isoformat() == "2025-03-01T09:00:00+00:00"
    assert second.title is None and second.content == "Untitled note" and second.summary == "Short"

    with pytest.raises(ParseError, match=r"^parse: invalid JSON Feed: 'items' is missing or not a list$"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": 3}', url="https://x.example/")
    with pytest.raises(ParseError, match="invalid JSON Feed: Expecting"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", ', url="https://x.example/",
                   content_type="application/feed+json")
    with pytest.raises(ParseError, match=r"invalid JSON Feed: version is 'https://example.com/v2'"):
        parse_feed(b'{"version": "https://example.com/v2", "items": []}', url="https://x.example/",
                   content_type="application/feed+json")
    with pytest.raises(ParseError, match=r"not a feed \(application/json"):
        parse_feed(b'{"status": "ok"}', url="https://x.example/api", content_type="application/json")
