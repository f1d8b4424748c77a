"""The live page for real: `streamlit run app.py`, Debian's chromium (through Playwright) with a
sample video as its fake webcam, START pressed inside the streamlit-webrtc iframe, and the page
must show what the coach recognises: the technique, and for the spine-drift clip the spine alert.

The spine line comes from the calibration file (MASSAGE_COACH_HOME in a temporary folder), as
a user's saved calibration would, so no clicking on a still is needed.

Skipped when chromium or the playwright package is missing.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
         "--use-fake-device-for-media-stream"]

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]


def write_y4m(video: Path, out: Path, start_s: float, end_s: float, size=(640, 480)) -> int:
    """Frames [start_s, end_s) of `video` as a Y4M file chromium can play as a webcam (it loops it)."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    cap.set(cv2.CAP_PROP_POS_FRAMES, int(round(start_s * fps)))
    n = 0
    w, h = size
    with out.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        while n < int(round((end_s - start_s) * fps)):
            ok, frame = cap.read()
            if not ok:
                break
            if frame.shape[1::-1] != (w, h):
                frame = cv2.resize(frame, (w, h))
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    cap.release()
    return n


def sample_spine(name: str) -> dict:
    for suffix, pick in ((".spine.json", lambda d: d), (".truth.json", lambda d: d["spine"])):
        p = SAMPLES / f"{name}{suffix}"
        if p.exists():
            return pick(json.loads(p.read_text()))
    pytest.skip(f"sample {name} has no spine calibration")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    """Until Streamlit's health check answers; its log in the error if it exits or never does."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("streamlit did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    for name in ("effleurage_up", "spine_drift"):
        if not (SAMPLES / f"{name}.mp4").exists():
            pytest.skip(f"sample video {name}.mp4 is missing")
    home = tmp_path_factory.mktemp("coach-home")
    port = free_port()
    env = dict(os.environ, MASSAGE_COACH_HOME=str(home), PYTHONUNBUFFERED="1")
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "localhost", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        wait_until_serving(url, proc, home / "server.log")
        yield url, home
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def save_calibration(home: Path, name: str) -> None:
    spine = sample_spine(name)
    (home / "calibration.json").write_text(json.dumps(
        {"version": 1, "head": spine["head"], "sacrum": spine["sacrum"], "source": "manual", "confidence": 1.0,
         "image_size": [640, 480], "saved_at": time.time()}))


def run_live(url: str, y4m: Path, expect: list[str], timeout_s: float = 60, stop_and_report: bool = False,
             shot: str | None = None, extra_flags: tuple = (), then=None):
    """Open the live page with `y4m` as the webcam, press START, wait for each text of `expect`.
    With MASSAGE_COACH_SCREENSHOTS=DIR set, saves DIR/app_live_<shot>.png (and ..._report.png)."""
    from playwright.sync_api import sync_playwright

    shots = os.environ.get("MASSAGE_COACH_SCREENSHOTS")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=FLAGS + list(extra_flags) + [f"--use-file-for-fake-video-capture={y4m}"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(f"{url}/live")
            page.get_by_text("Live practice").first.wait_for(timeout=30_000)
            # The streamlit-webrtc component lives in its own iframe (located in the DOM at each
            # action: Playwright's page.frames can miss an iframe that Streamlit re-mounts).
            webrtc = page.frame_locator('iframe[src*="streamlit_webrtc"]')
            if shots and shot:  # the page before the first START
                webrtc.get_by_role("button", name="START").wait_for(timeout=30_000)
                page.wait_for_timeout(1500)
                page.screenshot(path=str(Path(shots) / f"app_live_{shot}_before.png"))
            webrtc.get_by_role("button", name="START").click(timeout=30_000)
            for text in expect:
                page.get_by_text(text).first.wait_for(timeout=timeout_s * 1000)
            if shots and shot:
                page.set_viewport_size({"width": 1400, "height": 1800})  # the whole panel
                page.wait_for_timeout(1500)
                page.screenshot(path=str(Path(shots) / f"app_live_{shot}.png"))
            if then is not None:
                then(page)
            if stop_and_report:
                webrtc.get_by_role("button", name="STOP").click(timeout=10_000)
                page.get_by_text("Your last session").first.wait_for(timeout=30_000)
                page.get_by_text("Time per technique").first.wait_for(timeout=10_000)
                if shots and shot:
                    page.wait_for_timeout(2000)
                    page.set_viewport_size({"width": 1400, "height": 3000})
                    page.wait_for_timeout(1000)
                    page.screenshot(path=str(Path(shots) / f"app_live_{shot}_report.png"))
        finally:
            browser.close()


def test_live_page_recognises_effleurage(server, tmp_path):
    url, home = server
    save_calibration(home, "effleurage_up")
    y4m = tmp_path / "effleurage.y4m"
    assert write_y4m(SAMPLES / "effleurage_up.mp4", y4m, 0.0, 8.0) > 100
    run_live(url, y4m, ["Now: Effleurage"], stop_and_report=True, shot="effleurage")


def test_live_page_flags_hands_over_the_spine(server, tmp_path):
    url, home = server
    save_calibration(home, "spine_drift")
    truth = json.loads((SAMPLES / "spine_drift.truth.json").read_text())
    # The drift is scripted in the petrissage segment: play from a little before it to after it.
    t0 = 0.0
    start = None
    for seg in truth.get("script", []):
        for d0, dur in seg.get("drifts", []):
            start = (t0 + d0, t0 + d0 + dur)
        t0 += seg["duration"]
    a, b = (max(0.0, start[0] - 2.5), start[1] + 1.5) if start else (10.0, 16.0)
    y4m = tmp_path / "drift.y4m"
    assert write_y4m(SAMPLES / "spine_drift.mp4", y4m, a, b) > 60
    run_live(url, y4m, ["Hands off the spine"], shot="spine")


def _sound_state(page) -> dict:
    """The data attributes of the sound player (a components.html iframe)."""
    for frame in page.frames:
        try:
            el = frame.query_selector("#massage-coach-sound")
        except Exception:  # noqa: BLE001 - a frame detached while Streamlit re-rendered it
            continue
        if el is not None:
            return {k: el.get_attribute(k) for k in ("data-tones-played", "data-audio-state")}
    return {}


def test_spine_alert_is_heard_as_a_tone(server, tmp_path):
    url, home = server
    save_calibration(home, "spine_drift")
    y4m = tmp_path / "drift.y4m"
    assert write_y4m(SAMPLES / "spine_drift.mp4", y4m, 10.5, 16.0) > 60
    seen = {}

    def tone_played(page):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen.update(_sound_state(page))
            if int(seen.get("data-tones-played") or 0) >= 1:
                return
            page.wait_for_timeout(250)

    run_live(url, y4m, ["Hands off the spine"], extra_flags=("--autoplay-policy=no-user-gesture-required",),
             then=tone_played)
    assert int(seen.get("data-tones-played") or 0) >= 1, seen
    assert seen.get("data-audio-state") == "running"


def test_no_camera_is_said_in_plain_words(server):
    """With no camera at all (no fake device), the page says so before the browser's own error."""
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 1200})
            page.goto(f"{url}/live")
            page.get_by_text("Live practice").first.wait_for(timeout=30_000)
            note = page.frame_locator("iframe[srcdoc*='camera-note']").locator("#camera-note")
            note.wait_for(timeout=30_000)
            for _ in range(40):
                if note.get_attribute("data-state"):
                    break
                page.wait_for_timeout(250)
            assert note.get_attribute("data-state") == "problem"
            assert "No camera found" in note.inner_text()
        finally:
            browser.close()
