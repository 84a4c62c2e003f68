"""Screenshots of the web pages for the README, taken in headless system chromium.

Fills a fresh SQLite store from the test newsroom (tests/support/newsroom.py: real corpus texts on a
loopback site, the real crawler and analysis), serves the real app with uvicorn on loopback, and saves
PNGs of the overview, a search with facets, a story, the effective-dates calendar and the search on a
phone under docs/.

    .venv/bin/python bench/screenshots.py [--out docs] [--database-url URL]

With ``--database-url`` it photographs that store instead (read only; the story shot needs a hit for "Disney").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.live_app import launch_chromium, serve_app  # noqa: E402
from tests.support.newsroom import fill_store  # noqa: E402

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: (file name, path, viewport, height of the page photographed: at most this many pixels from the top)
SHOTS = (
    ("web-overview.png", "/", LAPTOP, 1500),
    ("web-search.png", "/search?q=children", LAPTOP, 900),
    ("web-story.png", None, LAPTOP, 2100),  # the first hit of a search for the two-source story
    ("web-calendar.png", "/calendar?from=2000-01-01", LAPTOP, 700),
    ("web-phone-search.png", "/search?q=FTC", PHONE, 844),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="folder of the PNG files (default docs/)")
    parser.add_argument("--database-url", help="an existing store to photograph instead of a fresh newsroom one")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="regwatch-shots-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'regwatch.db'}"
        if not args.database_url:
            started = time.perf_counter()
            fill_store(url, Path(tmp))
            print(f"store filled from the newsroom in {time.perf_counter() - started:.1f}s")
        with serve_app(url, Path(tmp)) as base, launch_chromium() as browser:
            for name, path, viewport, height in SHOTS:
                context = browser.new_context(base_url=base, viewport=viewport, device_scale_factor=1,
                                              is_mobile=viewport is PHONE, has_touch=viewport is PHONE)
                page = context.new_page()
                if path is None:
                    page.goto("/search?q=Disney")
                    page.locator("ol.hits > li h3 a").first.click()
                    page.wait_for_url("**/stories/*")
                else:
                    page.goto(path)
                target = args.out / name
                whole = page.evaluate("document.documentElement.scrollHeight")
                page.screenshot(path=str(target), full_page=True,
                                clip={"x": 0, "y": 0, "width": viewport["width"], "height": min(whole, height)})
                context.close()
                print(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: "
                      f"{target.stat().st_size // 1024} KiB ({path or 'a story page'})")


if __name__ == "__main__":
    main()
