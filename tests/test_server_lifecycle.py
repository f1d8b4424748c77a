"""The real server (`streamlit run app.py` on a loopback port) and a real browser:

- only loopback names are accepted as the Host (DNS rebinding), and other sites may not frame
  the pages;
- a live session with recording on leaves nothing behind when the tab is closed without STOP
  (no extra thread, no temporary folder within 10 s), nor when the server is stopped (SIGTERM);
- folders left by a killed server are swept at the next start.

Skipped when chromium or the playwright package is missing.
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_live_browser import CHROMIUM, FLAGS, free_port, wait_until_serving
from views.compat import host_name

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")]


def test_host_name_parsing():
    def scope(h):
        return {"headers": [(b"host", h.encode())]}

    assert host_name(scope("localhost:8501")) == "localhost"
    assert host_name(scope("127.0.0.1")) == "127.0.0.1"
    assert host_name(scope("[::1]:8501")) == "::1"
    assert host_name(scope("Evil.Example:8501")) == "evil.example"
    assert host_name(scope("localhost.evil.example:8501")) == "localhost.evil.example"
    assert host_name({"headers": []}) is None


class Server:
    def __init__(self, home: Path, tmp: Path, launcher: bool = False):
        """`streamlit run app.py`, or with `launcher` the `massage-coach` command's way."""
        self.home, self.tmp, self.port = home, tmp, free_port()
        self.url = f"http://localhost:{self.port}"
        env = dict(os.environ, MASSAGE_COACH_HOME=str(home), PYTHONUNBUFFERED="1", TMPDIR=str(tmp))
        self.log_path = home / "server.log"
        self._log = self.log_path.open("wb")
        start = [sys.executable, "-m", "views.launch"] if launcher else [sys.executable, "-m", "streamlit", "run", "app.py"]
        self.proc = subprocess.Popen(
            [*start, "--server.port", str(self.port),
             "--server.address", "localhost", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        wait_until_serving(self.url, self.proc, self.log_path)

    def threads(self) -> list[str]:
        names = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                names.append((task / "comm").read_text().strip())
            except OSError:
                pass
        return names

    def stop(self, sig=signal.SIGTERM, timeout=20) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self._log.close()

    def ours(self) -> list[Path]:
        return sorted(p for p in self.tmp.iterdir() if p.name.startswith("massage-coach-"))


def request(port: int, host: str, path: str = "/") -> http.client.HTTPResponse:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest("GET", path, skip_host=True)
    c.putheader("Host", host)
    c.endheaders()
    r = c.getresponse()
    r.read()
    c.close()
    return r


def websocket_status(port: int, host: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        return s.recv(200).decode("latin-1").split("\r\n")[0]


def open_page(url: str, path: str = "/live", y4m: Path | None = None, start: bool = False, wait_for: str = ""):
    """A browser on the page; returns (playwright, browser, page) for the caller to close."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    args = FLAGS + ([f"--use-file-for-fake-video-capture={y4m}"] if y4m else [])
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url + path)
    page.get_by_text("Live practice" if path == "/live" else "Massage").first.wait_for(timeout=60_000)
    if start:
        page.frame_locator('iframe[src*="streamlit_webrtc"]').get_by_role("button", name="START").click(
            timeout=30_000)
    if wait_for:
        page.get_by_text(wait_for).first.wait_for(timeout=90_000)
    return pw, browser, page


@pytest.fixture
def dirs(tmp_path):
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    return home, tmp


def test_only_loopback_hosts_and_no_framing_by_other_sites(dirs):
    pytest.importorskip("playwright.sync_api")
    server = Server(*dirs)
    try:
        pw, browser, page = open_page(server.url)  # the first session runs app.py, which guards the server
        try:
            for bad in ("evil.example", f"evil.example:{server.port}", "localhost.evil.example", "192.168.1.20"):
                assert request(server.port, bad).status == 403, bad
                assert request(server.port, bad, "/_stcore/health").status == 403, bad
                assert " 403 " in websocket_status(server.port, bad) + " ", bad
            for good in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", f"[::1]:{server.port}"):
                r = request(server.port, good)
                assert r.status == 200, good
                assert r.getheader("X-Frame-Options") == "SAMEORIGIN"
                assert "frame-ancestors 'self'" in r.getheader("Content-Security-Policy")
            assert " 101 " in websocket_status(server.port, f"localhost:{server.port}")
            # The page itself still works in the browser (components are same-origin iframes).
            page.frame_locator('iframe[src*="streamlit_webrtc"]').get_by_role("button", name="START") \
                .wait_for(timeout=30_000)
        finally:
            browser.close()
            pw.stop()
    finally:
        server.stop()


def _wait(cond, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.25)
    return cond()


def _live_with_recording(server: Server, y4m: Path):
    from playwright.sync_api import expect

    pw, browser, page = open_page(server.url, y4m=y4m)
    page.get_by_text("Record the annotated video").first.click()
    # Under load a click can land before the widget takes it: wait until the switch is on.
    expect(page.get_by_role("switch", name="Record the annotated video")).to_be_checked(timeout=30_000)
    return pw, browser, page


@pytest.fixture
def effleurage_y4m(tmp_path):
    from tests.test_live_browser import SAMPLES, write_y4m

    if not (SAMPLES / "effleurage_up.mp4").exists():
        pytest.skip("sample video missing")
    y4m = tmp_path / "effleurage.y4m"
    assert write_y4m(SAMPLES / "effleurage_up.mp4", y4m, 0.0, 6.0) > 60
    return y4m


def test_closing_the_tab_without_stop_then_stopping_the_server_leaves_nothing(dirs, effleurage_y4m):
    from collections import Counter

    from tests.test_live_browser import save_calibration

    pytest.importorskip("playwright.sync_api")
    home, tmp = dirs
    save_calibration(home, "effleurage_up")
    server = Server(home, tmp)
    try:
        # A first START and STOP: the threads Streamlit and WebRTC keep for any later session
        # (pools, the event loop) exist from then on, and are not this session's.
        pw, browser, page = _live_with_recording(server, effleurage_y4m)
        webrtc = page.frame_locator('iframe[src*="streamlit_webrtc"]')
        webrtc.get_by_role("button", name="START").click(timeout=30_000)
        page.get_by_text("recording").first.wait_for(timeout=90_000)
        webrtc.get_by_role("button", name="STOP").click(timeout=10_000)
        page.get_by_text("Your last session").first.wait_for(timeout=60_000)
        assert _wait(lambda: not server.ours(), 10)
        page.wait_for_timeout(3000)
        try:
            before = Counter(server.threads())
            webrtc.get_by_role("button", name="START").click(timeout=30_000)
            page.get_by_text("Analysing").first.wait_for(timeout=90_000)  # "Analysing N frames per second · recording"
            during = Counter(server.threads())
            assert server.ours(), "the recording should be in a private temporary folder"
            assert sum(during.values()) > sum(before.values())
            page.close()  # the tab, without STOP; the browser stays
            t0 = time.monotonic()
            gone = _wait(lambda: not server.ours() and not (Counter(server.threads()) - before), 10)
            print(f"released {time.monotonic() - t0:.1f} s after the tab closed; threads before "
                  f"{sum(before.values())}, during {sum(during.values())}, after {len(server.threads())}")
            assert gone, (server.ours(), dict(Counter(server.threads()) - before))
        finally:
            browser.close()
            pw.stop()
    finally:
        code = server.stop(signal.SIGTERM)
    assert code in (0, -signal.SIGTERM), code
    assert not server.ours()


def test_sigterm_during_a_recording_and_sigkill_then_restart_leave_nothing(dirs, effleurage_y4m):
    from tests.test_live_browser import save_calibration

    pytest.importorskip("playwright.sync_api")
    home, tmp = dirs
    save_calibration(home, "effleurage_up")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        server = Server(home, tmp)
        pw, browser, page = _live_with_recording(server, effleurage_y4m)
        try:
            page.frame_locator('iframe[src*="streamlit_webrtc"]').get_by_role("button", name="START").click(
                timeout=30_000)
            page.get_by_text("recording").first.wait_for(timeout=90_000)
            assert server.ours()
            server.stop(sig)
        finally:
            browser.close()
            pw.stop()
        if sig == signal.SIGTERM:
            assert not server.ours(), "a clean shutdown removes the recording"
    left = server.ours()
    assert left, "SIGKILL leaves the folder (nothing can run at a kill)"
    server = Server(home, tmp)  # the next start sweeps it, when its first page runs app.py
    try:
        pw, browser, page = open_page(server.url)
        browser.close()
        pw.stop()
        assert _wait(lambda: not server.ours(), 10), server.ours()
    finally:
        server.stop()


def test_the_command_guards_the_server_before_any_page_runs(tmp_path):
    """Started as `massage-coach`, the Host check and the Starlette fix hold from the very first
    request, before any browser has loaded a page (so before app.py has run)."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    server = Server(home, tmp, launcher=True)
    try:
        assert request(server.port, "evil.example:80").status == 403
        ok = request(server.port, f"localhost:{server.port}", "/favicon.png")
        assert ok.status == 200
        assert ok.getheader("X-Frame-Options") == "SAMEORIGIN"
    finally:
        server.stop()
    assert "Traceback" not in server.log_path.read_text()
