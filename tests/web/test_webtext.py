"""The pieces under the pages: highlighted segments, query edits for facet links, the chart's layout."""

from __future__ import annotations

from pipeline.api.chart import HEIGHT, MARGIN_BOTTOM, MAX_SERIES, OTHER, stacked_chart
from pipeline.api.web import _environment, http_url
from pipeline.api.webtext import (
    Segment,
    add_filter,
    entity_segments,
    marked_segments,
    month_filter,
    paragraphs,
    remove_token,
    split_tokens,
)


def test_marked_segments_cut_at_offsets_and_tolerate_bad_ones():
    text = "Zoom halts direct sales in China"
    segments = marked_segments(text, [[0, 4], [27, 32], [2, 3], [40, 50], [10, 10]])
    assert segments == [Segment("Zoom", "hit"), Segment(" halts direct sales in "), Segment("China", "hit")]
    assert "".join(s.text for s in segments) == text
    assert marked_segments("", [[0, 3]]) == []


def test_entity_segments_match_whole_words_longest_first_and_case_rules():
    text = "The Bank of China and china's US arm; us too. Apple sells apples; the bank of china agreed."
    names = {"Bank of China": "company", "China": "jurisdiction", "US": "jurisdiction", "Apple": "company"}
    marked = [(s.text, s.kind) for s in entity_segments(text, names) if s.kind]
    assert marked == [("Bank of China", "company"), ("US", "jurisdiction"), ("Apple", "company"),
                      ("bank of china", "company")]


def test_segments_are_escaped_when_rendered():
    env = _environment()
    template = env.from_string(
        "{% for seg in segs %}{% if seg.kind %}<mark>{{ seg.text }}</mark>"
        "{% else %}{{ seg.text }}{% endif %}{% endfor %}"
    )
    text = 'Acme <script>alert(1)</script> "<img src=x onerror=alert(2)>"'
    html = template.render(segs=entity_segments(text, {"Acme": "company", "script": "company"}))
    assert html.startswith("<mark>Acme</mark> &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;")
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_only_http_links_survive():
    assert http_url("https://example.org/a") == "https://example.org/a"
    assert http_url("javascript:alert(1)") == ""
    assert http_url(" JavaScript:alert(1)") == ""
    assert http_url("data:text/html,<script>") == ""


def test_query_edits_keep_quoted_values_whole():
    assert split_tokens('zoom "direct sales" company:"Bank of China" -op') == [
        "zoom", '"direct sales"', 'company:"Bank of China"', "-op"]
    assert split_tokens('broken "quote') == ["broken", '"quote']
    query = add_filter("zoom", "company", "Bank of China")
    assert query == 'zoom company:"Bank of China"'
    assert add_filter(query, "company", "Bank of China") == query
    assert add_filter(query, "jurisdiction", "CN") == 'zoom company:"Bank of China" jurisdiction:CN'
    assert remove_token(query, 'company:"Bank of China"') == "zoom"
    assert month_filter("zoom since:7d", "2025-06") == "zoom since:2025-06 until:2025-06"


def test_paragraphs_drop_blank_lines():
    assert paragraphs("One.\n\n  \nTwo.\nThree.") == ["One.", "Two.", "Three."]


def test_stacked_chart_scales_bars_and_folds_small_series():
    periods = ["2025-01", "2025-02", "2025-03"]
    counts = {"2025-01": {f"t{i}": 1 for i in range(10)}, "2025-03": {"t0": 5}}
    chart = stacked_chart("Events", periods, counts)
    assert chart.series[-1] == OTHER and len(chart.series) == MAX_SERIES + 1
    assert chart.total("2025-01") == 10 and chart.total("2025-02") == 0
    baseline = HEIGHT - MARGIN_BOTTOM
    january = [bar for bar in chart.bars if bar.label.startswith("2025-01")]
    assert abs(sum(bar.height for bar in january) - (baseline - min(bar.y for bar in january))) < 0.5
    tallest = max(sum(b.height for b in chart.bars if b.label.startswith(p)) for p in periods)
    assert tallest <= baseline - 12 + 0.5  # within the plot area
    assert chart.rows()[2] == ("2025-03", [5] + [0] * MAX_SERIES, 5)
    assert stacked_chart("Empty", [], {}).empty
