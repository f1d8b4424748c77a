"""The review and progress pages in a real browser (headless chromium through Playwright, the same
server fixture as the live tests): picking a moment moves the video there, the coverage map is
drawn from the real analysis, and a kept session shows on the Progress page."""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared browser fixture, whatever the import mode

from test_live_browser import CHROMIUM, FLAGS, server  # noqa: F401  (server is a fixture)

ROW_PX = 35  # Streamlit's dataframe row height (the header is one row)


def _seconds(when: str) -> int:
    m, s = when.split("-")[0].split(":")
    return int(m) * 60 + int(s)


def test_review_moments_jump_the_video_and_the_session_reaches_progress(server):  # noqa: F811 (the fixture)
    from playwright.sync_api import expect, sync_playwright

    url, home = server
    shots = os.environ.get("MASSAGE_COACH_SCREENSHOTS")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(url)
            page.get_by_text("Moments to see again").wait_for(timeout=300_000)  # the analysis runs first
            page.wait_for_timeout(1500)
            grid = page.locator('[data-testid="stDataFrame"]').nth(1)
            grid.scroll_into_view_if_needed()
            # The grid draws on a canvas; its accessible rows carry the text and the row index.
            rows = grid.locator('[role="row"]')
            rows.nth(3).wait_for(state="attached", timeout=20_000)
            video = page.locator("video").first
            before = video.evaluate("v => v.currentTime")
            target = None
            for i in range(rows.count()):
                cells = rows.nth(i).locator('[role="gridcell"]')
                if cells.count() < 3:
                    continue
                when, what = cells.nth(0).inner_text().strip(), cells.nth(1).inner_text().strip()
                # A cue away from where the video stands now, so that the jump shows.
                if what == "Cue" and rows.nth(i).get_attribute("aria-rowindex") != "1" \
                        and abs(_seconds(when) - before) >= 1:
                    target = (int(rows.nth(i).get_attribute("aria-rowindex")), when)
                    break
            assert target is not None, "no cue in the list of moments"
            index, when = target
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 15, box["y"] + ROW_PX * (index - 1) + ROW_PX / 2)
            page.wait_for_function("s => Math.abs(document.querySelector('video').currentTime - s) < 0.5",
                                   arg=_seconds(when), timeout=20_000)
            assert _seconds(when) != before
            # The coverage map: one chart per technique done, drawn.
            # After the click's rerun Streamlit may show the old section beside the new one for a
            # moment: wait until one is left (expect retries; count() does not wait).
            coverage = page.get_by_text("Where the hands worked")
            expect(coverage).to_have_count(1, timeout=30_000)
            coverage.scroll_into_view_if_needed()
            charts = page.locator('[data-testid="stVegaLiteChart"]')
            assert charts.count() >= 1 + 3  # the timeline and the three techniques of the mini session
            page.wait_for_function("() => document.querySelectorAll('[data-testid=stVegaLiteChart] canvas,"
                                   " [data-testid=stVegaLiteChart] svg').length >= 4", timeout=20_000)
            if shots:
                page.set_viewport_size({"width": 1400, "height": 4200})
                page.wait_for_timeout(1500)
                page.screenshot(path=str(Path(shots) / "app_review.png"))
            # Keep it, then see it on the Progress page.
            page.get_by_text("Keep this session in my history").click()
            page.wait_for_timeout(1500)
            assert (home / "history.json").exists()
            page.goto(f"{url}/progress")
            page.get_by_text("Minutes per technique").wait_for(timeout=30_000)
            page.locator('[data-testid="stVegaLiteChart"]').nth(1).wait_for(timeout=30_000)
            assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 2
            # The section comes after the charts; under load it arrives later than they do.
            expect(page.get_by_text("Delete a session")).to_have_count(1, timeout=30_000)
        finally:
            browser.close()
