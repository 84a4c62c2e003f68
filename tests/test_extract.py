"""extract_page on real GOV.UK pages of the corpus, metadata, and refusals."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest

from pipeline.errors import ExtractError
from pipeline.extract import decode_html, extract_page

ARTICLES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles"


def dev_articles_with_html() -> list[dict]:
    rows = [json.loads(line) for line in (ARTICLES / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    return [row for row in rows if row.get("html_file")]


def html_of(row: dict) -> bytes:
    return (ARTICLES / "html" / Path(row["html_file"]).name).read_bytes()


def word_coverage(gold: str, extracted: str) -> float:
    words = set(re.findall(r"\w+", gold.lower()))
    return len(words & set(re.findall(r"\w+", extracted.lower()))) / max(1, len(words))


ROWS = {row["id"]: row for row in dev_articles_with_html()}
SAMPLE = [
    "govuk-britains-choice-economic-security-with-the-eu-or-a-leap-into-the-dark",
    "govuk-arch-comprehensive-package-of-reform-for-police-stop-and-search-powers",
    "govuk-cma-cases-richemont-yoox-net-a-porter-merger-inquiry",
    "govuk-anagliflozin-dapagliflozin-empagliflozin-risk-of-diabetic-ketoacidosis",
    "govuk-ase-studies-vdec-is-supporting-a-gbs-vaccine-to-prevent-newborn-deaths",
    "govuk-capital-grant-finder-nectar-flower-mix-ab1",
]


@pytest.mark.parametrize("article_id", [pytest.param(i, id=i[6:40]) for i in SAMPLE if i in ROWS])
def test_real_pages_give_the_article_text(article_id):
    row = ROWS[article_id]
    page = extract_page(html_of(row), url=row["url"], source_id="govuk")
    assert word_coverage(row["text"], page.text) >= 0.7
    assert page.title and page.title.lower()[:20] in row["text"].lower()
    assert page.language == "en"


def test_corpus_pages_overlap_strongly_on_average():
    coverages = [
        word_coverage(row["text"], extract_page(html_of(row), url=row["url"]).text) for row in ROWS.values()
    ]
    assert len(coverages) >= 50
    assert statistics.fmean(coverages) >= 0.85
    assert sum(c >= 0.8 for c in coverages) / len(coverages) >= 0.8


def test_metadata_fields():
    html = """<!DOCTYPE html><html lang="de-DE"><head><meta charset="utf-8">
    <title>Neue Regeln für KI | Beispiel News</title>
    <link rel="canonical" href="/politik/ki-regeln-2025?utm_source=rss">
    <meta property="og:site_name" content="Beispiel News">
    <meta name="author" content="Erika Mustermann">
    <meta property="article:published_time" content="2025-02-03T09:00:00+01:00">
    </head><body><header><nav><a href="/">Start</a> <a href="/politik">Politik</a></nav></header>
    <article><h1>Neue Regeln für KI</h1>
    <p>Die Europäische Union hat am Montag neue Regeln für künstliche Intelligenz beschlossen. Anbieter von
    Hochrisiko-Systemen müssen ab August 2026 strenge Auflagen erfüllen, darunter Risikobewertungen.</p>
    <p>Verstöße können mit Geldbußen von bis zu 35 Millionen Euro oder sieben Prozent des weltweiten
    Jahresumsatzes geahndet werden. Die Kommission richtet dafür ein eigenes Büro ein.</p>
    <p>Kritiker bemängeln, dass die Regeln zu spät kommen; Unternehmen fordern klare Leitlinien für die
    Umsetzung, damit Rechtssicherheit entsteht und Investitionen nicht ins Ausland abwandern.</p>
    </article><footer>© Beispiel News · Impressum · Datenschutz</footer></body></html>"""
    page = extract_page(html.encode("utf-8"), url="https://news.example/politik/ki-regeln-2025")
    assert "Hochrisiko-Systemen" in page.text and "Impressum" not in page.text
    assert page.title == "Neue Regeln für KI"
    assert page.author == "Erika Mustermann"
    assert page.date == "2025-02-03"
    assert page.sitename == "Beispiel News"
    assert page.language == "de"
    assert page.canonical_url == "https://news.example/politik/ki-regeln-2025?utm_source=rss"


def test_declared_legacy_charset_is_used():
    html = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>"
            "<title>Новости</title></head><body><article>" + "<p>Правительство утвердило новые правила "
            "регулирования цифровых платформ и маркетплейсов в России.</p>" * 12 + "</article></body></html>")
    page = extract_page(html.encode("cp1251"), url="https://ru.example/news/1")
    assert "Правительство утвердило" in page.text
    legacy = "<p>caf\xe9 \x93quoted\x94</p>".encode("latin-1")
    assert decode_html(legacy, "iso-8859-1") == "<p>café “quoted”</p>"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"%PDF-1.7\n1 0 obj", "not HTML (application/pdf)"),
        (b"\x89PNG\r\n\x1a\n\0\0", "not HTML (image/png)"),
        (b"", "empty page"),
        (b"   \n", "empty page"),
        (b'{"articles": []}', "not HTML (JSON)"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "not HTML (a feed)"),
        (b"<html><head><title>x</title></head><body></body></html>", "empty text"),
        (b"<html><body><script>var t = 'not shown';</script><style>p {}</style></body></html>", "empty text"),
    ],
)
def test_refusals(body, reason):
    with pytest.raises(ExtractError) as caught:
        extract_page(body, url="https://x.example/a", source_id="s")
    assert caught.value.message == reason
    assert str(caught.value) == f"extract: {reason}"
    assert caught.value.source_id == "s" and caught.value.url == "https://x.example/a"
