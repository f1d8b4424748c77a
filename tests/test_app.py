"""The Streamlit app through streamlit.testing.v1.AppTest (no browser), and the pieces behind it:
the review page runs the real analysis on a bundled sample, bad uploads get a plain error, the
guide page lists the doctor-first conditions, the calibration file and the overlay."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from coaching import calibration
from feedback import guide

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"


@pytest.fixture(autouse=True)
def coach_home(tmp_path, monkeypatch):
    """Every test gets its own (empty) calibration folder: nothing touches the user's."""
    monkeypatch.setenv(calibration.ENV_HOME, str(tmp_path / "home"))
    return tmp_path / "home"


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [e.value for e in at.error] + \
            [w.value for w in at.warning] + [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


# -- the review page (the default) -----------------------------------------------------------

def test_review_page_analyses_the_default_sample_and_shows_time_against_the_guide():
    from views.processing import DEFAULT_SAMPLE

    if not (SAMPLES / f"{DEFAULT_SAMPLE}.mp4").exists():
        pytest.skip("the bundled sample videos are not there")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # The only red box is the coaching about the sample's spine drift, not a failure.
    assert [e.value.split(" ")[:4] for e in at.error] == [["Hands", "were", "over", "the"]]
    assert at.title[0].value == "Review a session"
    # Time per technique against the guide: one row per technique, the guide's range beside it.
    tables = [df.value for df in at.dataframe]
    against = next(t for t in tables if "Guide" in t.columns)
    assert list(against["Technique"]) == [n.capitalize() for n in guide.TARGETS]
    for name, target in guide.TARGETS.items():
        row = against[against["Technique"] == name.capitalize()].iloc[0]
        assert row["Guide"] == f"{target.min_s / 60:g}–{target.max_s / 60:g} min"
    # The strokes table has the measured strokes, and the sample's spine drift is reported.
    strokes = next(t for t in tables if "Stroke" in t.columns)
    assert len(strokes) >= 1 and set(strokes["Stroke"]) <= {"effleurage", "petrissage", "tapotement"}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["On spine"] == "1"  # short enough not to be cut at 1024 px
    assert "Hands were over the spine" in texts(at)
    # A rerun (any widget change) is instant: the analysis of a sample is cached.
    import time

    t0 = time.monotonic()
    at.run()
    assert time.monotonic() - t0 < 10
    assert len(at.error) == 1 and not at.exception


def _upload_script():
    import streamlit as st

    from views.review import load_upload

    name = st.session_state.get("name")
    data = st.session_state.get("data")
    path = load_upload(name, data)
    st.session_state["result_path"] = None if path is None else str(path)
    if path is not None:
        path.unlink()


def run_upload(name: str, data: bytes):
    at = AppTest.from_function(_upload_script, default_timeout=30)
    at.session_state["name"] = name
    at.session_state["data"] = data
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_zero_byte_upload_is_a_plain_error():
    at = run_upload("session.mp4", b"")
    assert len(at.error) == 1 and "empty (0 bytes)" in at.error[0].value
    assert at.session_state["result_path"] is None


def test_text_file_upload_is_a_plain_error():
    at = run_upload("notes.mp4", b"these are my massage notes, not a video\n" * 50)
    assert len(at.error) == 1
    assert "not a video that can be read" in at.error[0].value
    assert "MP4, MOV, AVI or WebM" in at.error[0].value


def test_truncated_video_upload_is_a_plain_error():
    src = SAMPLES / "tapotement.mp4"
    if not src.exists():
        pytest.skip("the bundled sample videos are not there")
    data = src.read_bytes()
    at = run_upload("cut.mp4", data[: len(data) // 3])
    if at.error:  # the index is at the end of these files: a cut file cannot be opened at all
        assert "cut short" in at.error[0].value
    else:  # some containers open; then the review page reports the missing part
        assert at.session_state["result_path"]


def test_a_real_video_upload_passes_and_leaves_no_file():
    src = SAMPLES / "tapotement.mp4"
    if not src.exists():
        pytest.skip("the bundled sample videos are not there")
    at = run_upload("tap.mp4", src.read_bytes())
    assert not at.error
    assert at.session_state["result_path"] and not Path(at.session_state["result_path"]).exists()


def test_unexpected_errors_at_the_page_edge_are_plain_messages():
    def script():
        from views.widgets import guard

        def broken():
            raise RuntimeError("boom in the analysis")

        def no_spine():
            from feedback.spine import SpineError

            raise SpineError("MediaPipe Pose found no person lying face down")

        guard(broken)()
        guard(no_spine)()

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert len(at.error) == 2
    assert "Something went wrong" in at.error[0].value and "boom" not in at.error[0].value
    assert "No usable spine line" in at.error[1].value and "by hand" in at.error[1].value


# -- the guide page --------------------------------------------------------------------------

def _guide_script():
    from views.guide_page import page

    page()


def test_guide_page_lists_the_doctor_first_conditions_and_ticks_through():
    from views.guide_page import checklist_items
    from views.widgets import GUIDE_DONE_KEY

    at = AppTest.from_function(_guide_script).run()
    assert not at.exception
    shown = texts(at)
    for condition in guide.SEE_A_DOCTOR_FIRST:
        assert condition in shown
    for rule in guide.SAFETY_RULES:
        assert any(cb.label == rule for cb in at.checkbox)
    assert len(at.checkbox) == len(checklist_items())
    assert not at.session_state[GUIDE_DONE_KEY] if GUIDE_DONE_KEY in at.session_state else True
    for cb in at.checkbox:
        cb.check()
    at.run()
    assert at.session_state[GUIDE_DONE_KEY] is True
    assert any("ready to practise" in s.value for s in at.success)


# -- the live page (the stream itself is tested in a real browser: test_live_browser.py) ------

def _live_script():
    from views import live, nav

    nav.register(nav.pages())  # as app.py does: the page links to the others
    live.page()


@pytest.fixture(autouse=False)
def no_webrtc(monkeypatch):
    """AppTest cannot run custom components: a stand-in for the webrtc component, not playing
    (AppTest runs the script in this process, so the patched module is the one it uses)."""
    from types import SimpleNamespace

    monkeypatch.setattr("views.live.streamer",
                        lambda **kwargs: SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False)))


def test_live_page_without_calibration_asks_for_the_spine_and_points_to_the_guide(no_webrtc):
    at = AppTest.from_function(_live_script, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    shown = texts(at)
    assert "Before your first session" in shown
    assert "Set the spine line" in shown
    assert "Not running" in shown
    assert any(b.label == "Find the spine automatically" for b in at.button)
    # No camera picture yet: asking for the automatic spine says what to do.
    next(b for b in at.button if b.label == "Find the spine automatically").click()
    at.run()
    assert any("press START" in w.value for w in at.warning)


def test_live_page_with_a_saved_calibration_uses_it(coach_home, no_webrtc):
    calibration.save((0.8, 0.5), (0.2, 0.45), "manual", 1.0, (640, 480))
    at = AppTest.from_function(_live_script, default_timeout=30).run()
    assert not at.exception
    assert "Saved spine line (set by hand" in texts(at)
    assert "Set the spine line (below)" not in texts(at)
    assert any(b.label == "Forget the saved line" for b in at.button)


# -- calibration file ------------------------------------------------------------------------

def test_calibration_round_trip_in_the_configured_folder(coach_home):
    assert calibration.load() is None
    assert calibration.calibration_path() == coach_home / "calibration.json"
    saved = calibration.save((0.75, 0.5), (0.25, 0.4), "pose", 0.8, (640, 480))
    loaded = calibration.load()
    assert loaded.points() == saved.points() and loaded.source == "pose" and loaded.image_size == (640, 480)
    assert [p.name for p in coach_home.iterdir()] == ["calibration.json"]  # no temporary file left
    assert json.loads((coach_home / "calibration.json").read_text())["head"] == [0.75, 0.5]
    assert calibration.clear() and calibration.load() is None and not calibration.clear()


def test_default_calibration_folder_is_the_users_config_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(calibration.ENV_HOME)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert calibration.calibration_path() == tmp_path / "cfg" / "massage-coach" / "calibration.json"


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"head": [0.5], "sacrum": [0.2, 0.3]}',
                                     '{"head": [2, 0.5], "sacrum": [0.2, 0.3]}'])
def test_a_broken_calibration_file_is_an_error_naming_it(coach_home, content):
    coach_home.mkdir(parents=True, exist_ok=True)
    (coach_home / "calibration.json").write_text(content)
    with pytest.raises(calibration.CalibrationError, match="calibration.json"):
        calibration.load()


def test_calibration_refuses_points_it_cannot_use(coach_home):
    with pytest.raises(calibration.CalibrationError):
        calibration.save((0.5, 0.5), (0.51, 0.5))
    with pytest.raises(calibration.CalibrationError):
        calibration.save((1.5, 0.5), (0.2, 0.5))
    assert not (coach_home / "calibration.json").exists()


# -- overlay -----------------------------------------------------------------------------------

def test_overlay_draws_the_spine_band_red_while_over_the_spine():
    from feedback.analyzer import FrameResult
    from feedback.coach import Cue
    from drawing.overlay import draw_overlay
    from feedback.spine import SpineLine

    spine = SpineLine((0.8, 0.5), (0.2, 0.5), 640, 480)

    counts = {"effleurage_up": 3, "effleurage_down": 1, "returns": 2}
    calm = np.full((480, 640, 3), 90, np.uint8)
    draw_overlay(calm, FrameResult(1.0, "effleurage", False, counts=counts), spine)
    alert = np.full((480, 640, 3), 90, np.uint8)
    draw_overlay(alert, FrameResult(1.0, "effleurage", True, counts=counts), spine,
                 Cue("Hands off the spine", "alert", "spine"))
    b, g, r = (alert[240, 400].astype(int))
    assert r > g + 60 and r > b + 60          # red band on the spine
    b, g, r = (calm[250, 400].astype(int))
    assert g > r                              # green when clear
    assert (alert[-10:, :, 2].astype(int) > alert[-10:, :, 1].astype(int) + 60).mean() > 0.8  # red cue bar
    assert not np.array_equal(calm[:60, :200], np.full((60, 200, 3), 90, np.uint8))  # technique label


def test_overlay_stage_draws_every_frame_in_order_off_the_calling_thread():
    import threading

    from feedback.analyzer import FrameResult
    from coaching.video import OverlayStage
    from feedback.spine import SpineLine

    spine = SpineLine((0.8, 0.5), (0.2, 0.5), 640, 480)
    got, threads = [], set()

    def sink(frame, t):
        got.append((t, frame.copy()))
        threads.add(threading.current_thread().name)

    with OverlayStage(spine, sink, depth=2) as stage:
        for i in range(12):
            stage.put(np.full((480, 640, 3), 90, np.uint8), FrameResult(i / 30, "effleurage", i % 2 == 1))
    assert [t for t, _ in got] == [i / 30 for i in range(12)] and stage.drawn == 12
    assert threads == {"overlay"}
    assert all(not np.array_equal(f, np.full_like(f, 90)) for _, f in got)  # drawn on
    b, g, r = got[1][1][240, 400].astype(int)
    assert r > g + 60  # frame 1 was over the spine: its own result was drawn, not a neighbour's


def test_overlay_stage_raises_what_the_sink_raised_and_never_hangs():
    from feedback.analyzer import FrameResult
    from coaching.video import OverlayStage
    from feedback.spine import SpineLine

    spine = SpineLine((0.8, 0.5), (0.2, 0.5), 640, 480)

    def sink(frame, t):
        raise OSError("disk full")

    stage = OverlayStage(spine, sink, depth=1)
    with pytest.raises(OSError, match="disk full"):
        for i in range(50):  # more frames than the queue holds: put() must not block for ever
            stage.put(np.zeros((48, 64, 3), np.uint8), FrameResult(i / 30, "idle", False))
        stage.close()
    stage.abandon()  # stopping twice is harmless


# -- the live session behind the page (the webrtc callback, without a browser) -------------------

def _video_frames(name: str, n: int):
    import av
    import cv2

    cap = cv2.VideoCapture(str(SAMPLES / f"{name}.mp4"))
    out = []
    pts = 123_456_789
    for i in range(n):
        ok, img = cap.read()
        if not ok:
            break
        vf = av.VideoFrame.from_ndarray(img, format="bgr24")
        # A webcam stream's clock: 90 kHz, starting anywhere, with frames dropped now and then.
        from fractions import Fraction

        vf.time_base = Fraction(1, 90_000)
        pts += 6000 if i % 7 == 0 else 3000
        vf.pts = pts
        out.append(vf)
    cap.release()
    return out


def test_live_session_analyses_frames_and_keeps_the_report_when_the_stream_stops():
    if not (SAMPLES / "effleurage_up.mp4").exists():
        pytest.skip("the bundled sample videos are not there")
    from views.live import LiveSession
    from views.processing import sample_spine

    live = LiveSession()
    frames = _video_frames("effleurage_up", 90)
    # No spine yet: frames come back with a message, nothing is analysed.
    live.begin("beginner", record=False)
    out = live.callback(frames[0])
    assert out.to_ndarray(format="bgr24").shape == (480, 640, 3)
    assert live.snapshot()["frames"] == 0 and live.stop() is None
    # With the spine: analysed, with time from the frames' own clock.
    live.set_points(sample_spine(SAMPLES / "effleurage_up.mp4"))
    live.begin("beginner", record=True)
    for vf in frames:
        live.callback(vf)
    snap = live.snapshot()
    assert snap["frames"] == len(frames) - 1 and snap["error"] is None and snap["recording"]  # the panel: the frame on screen, one behind
    result = live.stop()
    assert result is not None and result.frames == len(frames)
    assert result.report.summary.duration_s == pytest.approx(
        (frames[-1].pts - frames[0].pts) / 90_000 + 1 / 30, abs=0.05)
    assert result.report.summary.hands_seen_fraction > 0.5
    assert result.video and result.video[4:8] == b"ftyp"
    assert not live.accepting and live.session is None and live.video_path is None


def test_a_video_with_no_hands_says_so():
    import cv2

    from coaching.recording import analyse_path
    from tracker.types import SpinePoints

    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"no-hands-{os.getpid()}.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (320, 240))
    for i in range(30):
        w.write(np.full((240, 320, 3), 120 + i, np.uint8))
    w.release()
    try:
        result = analyse_path(path, points=SpinePoints((0.8, 0.5), (0.2, 0.5)))
    finally:
        path.unlink(missing_ok=True)
    assert result.frames == 30 and result.report.summary.hands_seen_fraction == 0

    def script():
        import streamlit as st

        from views.widgets import show_report

        show_report(st.session_state["report"], "t")

    at = AppTest.from_function(script)
    at.session_state["report"] = result.report
    at.run()
    assert not at.exception
    assert any("No hands were found" in w.value for w in at.warning)
