"""The web pages in headless chromium over the real app and the newsroom store filled by the real crawl."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.support.newsroom import IMG_PAYLOAD, SCRIPT_PAYLOAD


def heading_levels(page) -> list[int]:
    return page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "els => els.map(e => Number(e.tagName[1]))")


def assert_accessible_basics(page) -> None:
    """Landmarks, one h1, no skipped heading level, every form control labelled, table headers scoped."""
    for selector in ("header", "nav[aria-label]", "main#main", "footer", "a.skip-link[href='#main']"):
        assert page.locator(selector).count() >= 1, selector
    levels = heading_levels(page)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), f"heading levels skip: {levels}"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
              .map(e => e.name || e.id)"""
    )
    assert unlabelled == []
    assert page.locator("th:not([scope])").count() == 0


def result_titles(page) -> list[str]:
    return page.locator("ol.hits > li h3").all_inner_texts()


def test_overview_has_the_search_box_and_the_events_charts(page):
    response = page.goto("/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.get_by_label("Search stories").is_visible()
    charts = page.locator("figure.chart svg[role=img]")
    assert charts.count() == 2
    assert charts.first.locator("rect").count() >= 3
    assert page.locator("figure.chart").first.locator(".legend li").count() >= 2
    bar_labels = charts.first.locator("rect title").evaluate_all("els => els.map(e => e.textContent)")
    assert all(re.match(r"^\d{4}(-\d{2})?: .+, \d+ events$", label) for label in bar_labels), bar_labels
    assert page.locator("figure.chart table th[scope=col]").count() >= 3
    assert_accessible_basics(page)
    page.get_by_label("Search stories").fill("settlement")
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_url(re.compile(r"/search\?q=settlement"))
    assert len(result_titles(page)) >= 1


def test_search_highlights_and_a_facet_link_narrows_the_results(page):
    response = page.goto("/search?q=children")
    assert response.status == 200
    titles = result_titles(page)
    assert titles
    marks = page.locator("ol.hits p.snippet mark").all_inner_texts()
    assert marks and all("child" in mark.lower() for mark in marks)
    total = int(page.locator("#results-title").inner_text().split()[0])
    facet = page.locator("ul.facet[aria-labelledby=facet-event_type] li").first
    label = facet.locator("a").inner_text()
    count = int(facet.locator(".count").inner_text())
    assert count <= total
    facet.locator("a").click()
    page.wait_for_url(re.compile(r"type%3A"))
    query = parse_qs(urlsplit(page.url).query)["q"][0]
    assert query.startswith("children type:")
    assert int(page.locator("#results-title").inner_text().split()[0]) == count
    assert len(result_titles(page)) == min(count, 20)
    chip = page.locator(".chips a")
    assert chip.count() == 1 and chip.first.inner_text().startswith("type:")
    assert page.locator("ul.facet[aria-labelledby=facet-event_type] .active").first.inner_text() == label
    chip.first.click()
    page.wait_for_load_state()
    assert parse_qs(urlsplit(page.url).query)["q"] == ["children"]
    assert_accessible_basics(page)


def test_a_month_facet_restricts_the_query_to_that_month(page):
    page.goto("/search?q=FTC")
    entry = page.locator("ul.facet[aria-labelledby=facet-month] li").first
    count = int(entry.locator(".count").inner_text())
    entry.locator("a").click()
    page.wait_for_url(re.compile(r"since%3A\d{4}-\d{2}"))
    query = parse_qs(urlsplit(page.url).query)["q"][0]
    month = re.search(r"since:(\d{4}-\d{2})", query).group(1)
    assert query == f"FTC since:{month} until:{month}"
    assert int(page.locator("#results-title").inner_text().split()[0]) == count
    dates = page.locator("ol.hits time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates and all(d.startswith(month) for d in dates)


def test_next_page_links_walk_through_every_result_once(page):
    page.goto("/search?q=FTC")
    everything = result_titles(page)
    assert len(everything) >= 5
    page.goto("/search?q=FTC&limit=2")
    assert page.locator("a", has_text="First page").count() == 0
    seen = []
    while True:
        titles = result_titles(page)
        assert 1 <= len(titles) <= 2
        seen += titles
        following = page.locator("nav.pager a[rel=next]")
        if following.count() == 0:
            break
        following.click()
        page.wait_for_url(re.compile(r"cursor="))
        assert page.locator("nav.pager a", has_text="First page").count() == 1
    assert seen == everything


def test_the_filter_form_adds_its_fields_to_the_query(page):
    page.goto("/search?q=FTC")
    page.get_by_role("textbox", name="Jurisdiction code or name").fill("US")
    page.get_by_role("combobox", name="Event type").select_option("fine_or_penalty")
    page.get_by_role("button", name="Add filters").click()
    page.wait_for_url(re.compile(r"/search\?q="))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["FTC jurisdiction:US type:fine_or_penalty"]
    assert page.get_by_label("Search stories").input_value() == "FTC jurisdiction:US type:fine_or_penalty"
    assert len(result_titles(page)) >= 1


def test_a_bad_query_gets_a_400_with_its_reason_and_the_page_still_works(page):
    response = page.goto('/search?q=%22unclosed+phrase')
    assert response.status == 400
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert "quote" in alert.inner_text().lower()
    assert page.get_by_label("Search stories").get_attribute("aria-invalid") == "true"
    assert page.locator("ol.hits").count() == 0
    page.get_by_label("Search stories").fill("settlement")
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_url(re.compile(r"q=settlement$"))
    assert page.get_by_role("alert").count() == 0
    assert len(result_titles(page)) >= 1


def test_a_story_shows_its_articles_events_and_marked_entities(page):
    page.goto("/search?q=Disney")
    first = page.locator("ol.hits > li h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/stories/\d+\?article=\d+"))
    assert page.locator("tr.current th").inner_text() == title  # the hit's article is the one shown
    assert title in page.locator("#text-title").inner_text()
    assert page.locator("#sources-title + .table-scroll tbody tr").count() == 2  # the FTC release and the wire copy
    sources = page.locator("#sources-title + .table-scroll tbody td:nth-child(2)").all_inner_texts()
    assert any("(regulators)" in s for s in sources) and any("(wire)" in s for s in sources)
    events = page.locator("li.event")
    assert events.count() >= 1
    facts = events.first.locator("dl.facts dt").all_inner_texts()
    assert facts == ["Type", "Actor", "Jurisdictions", "Effective date", "Status", "Confidence"]
    assert events.first.locator("blockquote.evidence").inner_text().strip()
    marked = page.locator(".article-text mark.ent")
    assert marked.count() >= 3
    kinds = set(page.locator(".article-text mark.ent").evaluate_all("els => els.map(e => e.title)"))
    assert {"company", "authority"} <= kinds
    assert "Disney" in page.locator(".article-text mark.ent-company").all_inner_texts()
    assert_accessible_basics(page)
    other = page.locator("#sources-title + .table-scroll tbody th a")
    other.first.click()
    page.wait_for_url(re.compile(r"\?article=\d+"))
    assert page.locator("tr.current").count() == 1


def test_hostile_title_and_body_render_as_text_and_run_nothing(page, page_events):
    marker = "window.__regwatch_injected"
    for path in ("/search?q=Sendit", None):
        if path:
            response = page.goto(path)
        else:
            page.locator("ol.hits > li h3 a").first.click()
            page.wait_for_url(re.compile(r"/stories/\d+"))
            response = page.reload()
        assert response.status == 200
        html = response.text()
        assert SCRIPT_PAYLOAD not in html and IMG_PAYLOAD not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        title = page.locator("h1" if not path else "ol.hits > li h3").first.inner_text()
        assert SCRIPT_PAYLOAD in title and IMG_PAYLOAD in title
        assert page.locator("script").count() == 0
        assert page.locator("img[src=x], img[onerror], [onerror]").count() == 0
        assert page.evaluate(f"typeof {marker}") == "undefined"
        page.wait_for_timeout(300)  # an onerror handler would fire after the failed image load
        assert page_events.problems() == []
    body = page.locator(".article-text").inner_text()
    assert SCRIPT_PAYLOAD in body and IMG_PAYLOAD in body
    assert page.title().startswith("App maker accused <script>")


def test_calendar_lists_effective_dates_and_checks_its_date(page):
    response = page.goto("/calendar")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Upcoming effective dates"
    page.get_by_label("Show dates from").fill("2000-01-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"from=2000-01-01"))
    rows = page.locator("table.calendar tbody tr")
    assert rows.count() >= 1
    dates = rows.locator("th time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates == sorted(dates) and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert rows.first.locator("a[href^='/stories/']").count() == 1
    assert_accessible_basics(page)
    assert page.goto("/calendar?from=not-a-date").status == 400
    assert "not a date" in page.get_by_role("alert").inner_text()


def test_sources_page_is_a_health_table(page):
    response = page.goto("/sources")
    assert response.status == 200
    rows = page.locator("table.sources tbody tr")
    assert rows.count() == 3
    names = rows.locator("th").all_inner_texts()
    assert any("Wire news desk" in n for n in names) and any("GOV.UK announcements" in n for n in names)
    assert set(rows.locator("td .status").all_inner_texts()) == {"ok"}
    headers = page.locator("table.sources thead th").all_inner_texts()
    assert headers[:3] == ["Source", "Status", "Last attempt"]
    assert_accessible_basics(page)
    rows.first.locator("a").click()
    page.wait_for_url(re.compile(r"q=source%3A"))
    assert len(result_titles(page)) >= 1


def test_a_phone_sees_the_search_box_and_results_without_sideways_scrolling(phone_page):
    page = phone_page
    page.goto("/search?q=FTC")
    box = page.get_by_label("Search stories")
    assert box.is_visible()
    bounds = box.bounding_box()
    assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390
    first = page.locator("ol.hits > li").first
    first.scroll_into_view_if_needed()
    assert first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/")
    assert page.get_by_label("Search stories").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_skip_link_is_the_first_stop_and_moves_to_main(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator("a.skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_missing_story_is_a_404_page(page):
    response = page.goto("/stories/999999")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
