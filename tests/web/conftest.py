"""Browser fixtures: the real app on the newsroom store (uvicorn, loopback) and headless system chromium.

Nothing here skips: a missing chromium or playwright fails the tests with the command that installs it.
Every page opened through ``page`` records dialogs, console errors and page errors, and the test fails
afterwards if any happened, so a script smuggled in by article text cannot go unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.live_app import BrowserMissing, launch_chromium, serve_app


@pytest.fixture(scope="session")
def base_url(filled_sqlite_url, tmp_path_factory) -> Iterator[str]:
    with serve_app(filled_sqlite_url, tmp_path_factory.mktemp("web")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        with launch_chromium() as launched:
            yield launched
    except BrowserMissing as exc:
        pytest.fail(str(exc), pytrace=False)


class PageEvents:
    """What a page did that it should not: dialogs (alert/confirm/prompt), console errors (a CSP violation
    is one), uncaught errors, and failed loads of anything but the page itself (a style sheet, an icon).

    A page's own 4xx is what some tests ask for (a bad query is a 400): its status is checked there, and
    chromium's console line about it ("Failed to load resource") is left out here.
    """

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed_loads: list[str] = []

    def problems(self) -> list[str]:
        return ([f"dialog: {d}" for d in self.dialogs] + [f"console error: {c}" for c in self.console_errors]
                + [f"page error: {e}" for e in self.page_errors] + [f"failed load: {f}" for f in self.failed_loads])


def _watch(page: Any) -> PageEvents:
    events = PageEvents()

    def on_dialog(dialog: Any) -> None:
        events.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            events.console_errors.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            events.failed_loads.append(f"{response.status} {response.url}")

    def on_request_failed(request: Any) -> None:
        # net::ERR_ABORTED is the browser cancelling a load itself (the test navigated on while the icon was still
        # coming): no fault of the page. A server's error status is a response, checked by on_response.
        if request.failure != "net::ERR_ABORTED":
            events.failed_loads.append(f"{request.failure} {request.url}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: events.page_errors.append(str(error)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    return events


_EVENTS: dict[int, PageEvents] = {}


def _open(browser: Any, base_url: str, **options: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    events = _EVENTS[id(page)] = _watch(page)
    try:
        yield page
    finally:
        context.close()
        _EVENTS.pop(id(page), None)
    assert not events.problems(), f"the page misbehaved: {events.problems()}"


@pytest.fixture
def page_events(page) -> PageEvents:
    """What ``page`` recorded so far (dialogs, console and page errors, failed loads), to check mid-test."""
    return _EVENTS[id(page)]


@pytest.fixture
def page(browser, base_url) -> Iterator[Any]:
    """A laptop-sized page; the test fails if it raised a dialog, a console error or a page error."""
    yield from _open(browser, base_url, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone_page(browser, base_url) -> Iterator[Any]:
    """A phone-sized page (390 x 844, touch, mobile), watched like ``page``."""
    yield from _open(browser, base_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                     device_scale_factor=2)
