"""The live session's lifecycle without a browser: the frame callback the page gives
streamlit-webrtc, fed real frames of a sample. Resources are released when frames stop, the
measurement survives a change of frame size and a paused stream, the lock is never held
during the work, and temporary folders never outlive their process."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "effleurage_up.mp4"

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="the bundled sample videos are not there")


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    """The process's temporary folder, for these tests only."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def images():
    import cv2

    cap = cv2.VideoCapture(str(SAMPLE))
    out = []
    while len(out) < 60:
        ok, img = cap.read()
        if not ok:
            break
        out.append(img)
    cap.release()
    return out


def frames(images, start_pts=0, size=None, step=3000):
    import av
    import cv2

    out = []
    for i, img in enumerate(images):
        if size is not None:
            img = cv2.resize(img, size)
        vf = av.VideoFrame.from_ndarray(img, format="bgr24")
        vf.time_base, vf.pts = Fraction(1, 90_000), start_pts + i * step
        out.append(vf)
    return out


def session(record=True):
    from views.live import LiveSession
    from views.processing import sample_spine

    live = LiveSession()
    live.set_points(sample_spine(SAMPLE))
    live.begin("beginner", record=record)
    return live


def ours(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("massage-coach-"))


def decoded_frames(video: bytes) -> tuple[int, tuple[int, int], list[float]]:
    import io

    import av

    with av.open(io.BytesIO(video)) as c:
        times, size = [], None
        for f in c.decode(video=0):
            times.append(float(f.time))
            size = (f.width, f.height)
    return len(times), size, times


def test_a_change_of_frame_size_continues_the_same_measurement_and_recording(tmp, images):
    live = session()
    a, b, c = images[:20], images[20:40], images[40:60]
    for vf in frames(a) + frames(b, 20 * 3000, size=(320, 240)) + frames(c, 40 * 3000):
        live.callback(vf)
    assert live.snapshot()["frames"] == 59  # the panel shows the frame on screen, one behind (two-stage drawing)
    result = live.stop()
    assert result.frames == 60
    assert result.report.summary.duration_s == pytest.approx(60 * 3000 / 90_000, abs=0.05)
    assert any("scaled to the first size (640×480)" in n for n in result.notes)
    n, size, _ = decoded_frames(result.video)
    assert n == 60 and size == (640, 480)
    assert ours(tmp) == []


def test_frames_stopping_release_the_tracker_and_recording_and_a_resumed_stream_continues(tmp, images, monkeypatch):
    from coaching import live as live_work

    monkeypatch.setattr(live_work, "STALL_S", 0.5)
    live = session()
    for vf in frames(images[:30]):
        live.callback(vf)
    m = live.measurement
    assert m.session._detector is not None and len(ours(tmp)) == 1  # MediaPipe and the recording, in use
    deadline = time.monotonic() + 5
    while not m.suspended and time.monotonic() < deadline:  # the watchdog looks once a second
        time.sleep(0.1)
    assert m.suspended and m.session._detector is None and m.writer is None
    assert ours(tmp) == []  # the recording part is in memory now, its folder gone
    # The stream comes back, with a new clock (a new connection): the same measurement goes on.
    for vf in frames(images[30:], start_pts=10**9):
        live.callback(vf)
    assert live.measurement is m and live.snapshot()["frames"] == 59  # one behind (two-stage)
    result = live.stop()
    assert result.frames == 60
    assert any("new part" in n for n in result.notes)
    n, size, times = decoded_frames(result.video)  # both parts, joined in order
    assert n == 60 and size == (640, 480) and times == sorted(times)
    assert ours(tmp) == []


def test_track_ended_releases_at_once_and_the_page_still_gets_the_report(tmp, images):
    live = session()
    for vf in frames(images[:15]):
        live.callback(vf)
    live.ended()  # streamlit-webrtc's on_video_ended
    assert live.measurement.suspended and ours(tmp) == []
    result = live.stop()  # the page, when it runs next
    assert result is not None and result.frames == 15 and result.video


def test_a_new_spine_line_goes_on_in_the_same_session_and_the_report_says_where(tmp, images):
    from tracker.types import SpinePoints

    live = session(record=False)
    for vf in frames(images[:20]):
        live.callback(vf)
    live.set_points(SpinePoints((0.4, 0.2), (0.45, 0.85)))
    for vf in frames(images[20:40], 20 * 3000):
        live.callback(vf)
    assert live.take_finished() == []  # no part is cut off: one session
    assert live.snapshot()["spine_changes"]  # said on the page while it runs
    result = live.stop()
    assert result.frames == 40 and len(result.report.t) == 40  # the whole session, both lines
    changes = result.report.summary.spine.changes
    assert len(changes) == 2 and list(changes[1].line.head) == [0.4, 0.2] and changes[0].t < changes[1].t
    assert len(result.spine_changes) == 2 and any("spine line changed" in n for n in result.notes)


def test_the_session_lock_is_free_while_a_frame_is_analysed(tmp, images, monkeypatch):
    from views.live import Measurement

    live = session(record=False)
    inside, release = threading.Event(), threading.Event()
    real = Measurement.process

    def slow(self, img, t_abs):
        inside.set()
        release.wait(10)
        return real(self, img, t_abs)

    monkeypatch.setattr(Measurement, "process", slow)
    worker = threading.Thread(target=live.callback, args=(frames(images[:1])[0],))
    worker.start()
    try:
        assert inside.wait(10)
        page = threading.Thread(target=lambda: (live.snapshot(), live.still(), live.take_finished()))
        page.start()
        page.join(2)
        assert not page.is_alive()  # the page's reads never wait for MediaPipe
    finally:
        release.set()
        worker.join(10)
    assert not worker.is_alive() and live.stop().frames == 1


def test_stale_folders_of_dead_processes_are_swept_and_others_kept(tmp):
    from tracker import filestore

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    for name in (f"massage-coach-{dead}-live-abc123", f"massage-coach-{os.getpid()}-live-def456",
                 f"massage-coach-{os.getppid()}-upload-x1", "massage-coach-notours", "other-1-live-x"):
        (tmp / name).mkdir()
        (tmp / name / "f.mp4").write_bytes(b"x")
    removed = filestore.sweep_stale_folders(tmp)
    assert [Path(p).name for p in removed] == [f"massage-coach-{dead}-live-abc123"]
    assert sorted(p.name for p in tmp.iterdir()) == sorted(
        [f"massage-coach-{os.getpid()}-live-def456", f"massage-coach-{os.getppid()}-upload-x1",
         "massage-coach-notours", "other-1-live-x"])


def test_private_folders_are_0700_and_removed_at_exit(tmp):
    code = ("import tempfile, sys; tempfile.tempdir = sys.argv[1]\n"
            "from tracker.filestore import private_folder\n"
            "p = private_folder('live'); (p / 'x.mp4').write_bytes(b'x'); print(oct(p.stat().st_mode & 0o777))")
    p = subprocess.run([sys.executable, "-c", code, str(tmp)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "0o700", p.stderr
    assert ours(tmp) == []


def test_an_upload_leaves_nothing(tmp):
    from views.processing import remove_upload, write_upload

    path = write_upload("../../etc/session.MP4", b"data")
    assert path.parent.parent == tmp and path.suffix == ".mp4" and path.read_bytes() == b"data"
    remove_upload(path)
    assert ours(tmp) == []


def test_the_panel_shows_the_moment_of_the_last_frame_drawn_also_under_load(tmp, images, monkeypatch):
    """The panel beside the video and the overlay on it are of one FrameUpdate: while frames come
    from a worker thread (a third of them dropped, as a loaded stream drops them), every time the
    page reads the panel it shows the moment, technique and spine state of a frame that was
    drawn, never older than the last frame handed back to the browser; at the end, exactly the
    last one."""
    import random

    import coaching.live as live_module

    drawn: list[tuple] = []  # (t, label, over_spine) of each frame drawn, in order
    real_draw = live_module.draw_overlay

    def draw(img, result, spine, cue):
        drawn.append((result.t, result.label, result.over_spine))
        return real_draw(img, result, spine, cue)

    monkeypatch.setattr(live_module, "draw_overlay", draw)
    live = session(record=False)
    rng = random.Random(4)
    stream = [vf for vf in frames(images) if rng.random() >= 1 / 3]
    # Frames are drawn in the stream's order, so drawn[k] is the stream's frame k. The two-stage
    # page returns frame n-1 from the callback of frame n (and may already be drawing frame n).
    lag = 1 if live_module.Measurement.two_stage else 0
    handed_back = []  # how many callbacks had returned, after each one
    done = threading.Event()

    def worker():
        for vf in stream:
            live.callback(vf)
            handed_back.append(len(handed_back) + 1)
        done.set()

    seen = []
    thread = threading.Thread(target=worker)
    thread.start()
    while not done.is_set():
        returned = handed_back[-1] if handed_back else 0
        snap = live.snapshot()
        seen.append((returned - lag, snap["t"], snap["label"], snap["over_spine"]))  # frames handed back
        time.sleep(0.002)
    thread.join(30)
    panels = [s for s in seen if s[1] is not None]
    assert len(panels) > 5
    for before, t, label, over in panels:
        k = next(i for i, d in enumerate(drawn) if d[0] == t)  # the panel's moment was drawn
        assert drawn[k] == (t, label, over)
        assert k + 1 >= before  # and is not older than the last frame handed back before the read
    snap = live.snapshot()
    # At the end, the last frame handed back (two-stage: the stream's last may still be in the drawing)
    assert (snap["t"], snap["label"], snap["over_spine"]) == drawn[len(stream) - 1 - lag]
    assert snap["frames"] == len(stream) - lag <= len(drawn) <= len(stream)
    live.stop()
