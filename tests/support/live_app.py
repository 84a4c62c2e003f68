"""The real regwatch app served by uvicorn on a free loopback port in a background thread, and the system
chromium driven by Playwright: for the browser tests and ``bench/screenshots.py``.

Playwright's own browser download does not work here (no internet), so the browser is always Debian's
``chromium`` launched by path; when it is missing this says how to install it instead of skipping.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
STARTUP_TIMEOUT = 20.0


class BrowserMissing(RuntimeError):
    """The system chromium (or the playwright package) is not installed."""


def chromium_path() -> str:
    """The system chromium's path; BrowserMissing with the command that installs it."""
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium") or ""):
        if candidate and Path(candidate).is_file():
            return candidate
    raise BrowserMissing(
        "the browser tests need Debian's chromium at /usr/bin/chromium: install it with "
        "`apt-get install -y chromium` (`make test` does so when it is missing); "
        "never `playwright install`, whose download does not work here"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_app(database_url: str, data_dir: Path) -> Iterator[str]:
    """``create_app`` over the store at ``database_url``, served by uvicorn; yields the base URL."""
    import uvicorn

    from pipeline.api import create_app
    from pipeline.settings import Settings
    from pipeline.store import Store

    with Store.open(database_url) as store:
        app = create_app(Settings(database_url=database_url, data_dir=data_dir), store=store)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               access_log=False, lifespan="on"))
        thread = threading.Thread(target=server.run, name="regwatch-web-test", daemon=True)
        thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port} within {STARTUP_TIMEOUT:.0f}s")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A headless system chromium under Playwright; BrowserMissing if either is not installed."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserMissing("the browser tests need the playwright package: `.venv/bin/pip install -e '.[dev]'`"
                             ) from exc
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()
