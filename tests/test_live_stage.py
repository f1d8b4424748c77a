"""The live page's two-stage pipeline (coaching/live_stage.py): frame n-1 drawn in a thread of
its own while frame n is tracked. The frames it returns are the one-thread path's, one frame
later, each drawn with its own update and shown with its own panel; its thread ends whenever
the measurement's resources are released."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from coaching.live_stage import DrawStage
from tests import test_live_lifecycle as lifecycle
from tests.test_live_lifecycle import SAMPLE, decoded_frames, frames, session

tmp, images = lifecycle.tmp, lifecycle.images  # its fixtures

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="the bundled sample videos are not there")


def stage_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "live-overlay" and t.is_alive()]


def ended(stage: DrawStage, timeout: float = 5.0) -> bool:
    """The stage's thread has ended (within `timeout`)."""
    end = time.monotonic() + timeout
    while stage.alive and time.monotonic() < end:
        time.sleep(0.02)
    return not stage.alive


def test_the_stage_returns_the_frame_handed_before_drawn_with_its_payload_and_its_thread_ends():
    before = len(stage_threads())
    stage = DrawStage()
    seen = []

    def drawer(k):
        def draw(img):
            seen.append(threading.current_thread().name)
            img[:] = k
        return draw

    assert stage.exchange(np.zeros((2, 2), np.uint8), drawer(1), "one") is None
    img, payload = stage.exchange(np.zeros((2, 2), np.uint8), drawer(2), "two")
    assert payload == "one" and (img == 1).all()
    img, payload = stage.close()
    assert payload == "two" and (img == 2).all()
    assert seen == ["live-overlay", "live-overlay"]
    assert len(stage_threads()) == before and not stage.alive
    with pytest.raises(RuntimeError):
        stage.exchange(np.zeros((2, 2), np.uint8), drawer(3))


def test_a_failing_drawing_gives_the_frame_undrawn_and_the_stage_goes_on():
    stage = DrawStage()

    def bad(img):
        raise ValueError("boom")

    stage.exchange(np.zeros((2, 2), np.uint8), bad, 1)
    img, payload = stage.exchange(np.ones((2, 2), np.uint8), lambda im: im.fill(7), 2)
    assert payload == 1 and (img == 0).all()
    img, payload = stage.close()
    assert payload == 2 and (img == 7).all() and not stage.alive


def run(images, two_stage: bool, monkeypatch, n: int = 24):
    """The frames the live callback returns and the panel after each, for the first `n` frames."""
    from coaching.live import Measurement

    monkeypatch.setattr(Measurement, "two_stage", two_stage)
    live = session(record=True)
    out, views = [], []
    for vf in frames(images[:n]):
        out.append(live.callback(vf).to_ndarray(format="bgr24"))
        snap = live.snapshot()
        views.append((snap["t"], snap["label"], snap["hands"], snap["cue"], snap["counts"], snap["frames"]))
    return live, out, views


def test_two_stage_frames_are_the_one_thread_frames_one_frame_later_with_their_own_panel(tmp, images, monkeypatch):
    _, one, one_views = run(images, False, monkeypatch)
    one_result = _.stop()
    live, two, two_views = run(images, True, monkeypatch)
    stage = live.measurement.stage
    assert stage.alive  # drawing in its own thread while the stream runs
    # The first frame comes back undrawn (nothing drawn yet), the panel still empty.
    assert np.array_equal(two[0], images[0]) and two_views[0][0] is None
    for k in range(1, len(two)):
        # Frame k-1, drawn with frame k-1's own update: the one-thread path's pixels exactly.
        assert np.array_equal(two[k], one[k - 1]), k
        assert two_views[k] == one_views[k - 1], k  # the panel shows that same frame's moment
    assert not np.array_equal(one[5], images[5])  # (the overlay is drawn at all)
    result = live.stop()
    assert ended(stage)
    # The recording has every frame, the last one too (taken from the stage as it closes).
    assert result.frames == one_result.frames == len(two)
    assert result.report.summary == one_result.report.summary
    assert decoded_frames(result.video)[0] == decoded_frames(one_result.video)[0] == len(two)


def test_the_stage_thread_ends_when_the_track_ends_and_comes_back_with_frames(tmp, images, monkeypatch):
    from coaching.live import Measurement

    monkeypatch.setattr(Measurement, "two_stage", True)
    live = session(record=False)
    before = len(stage_threads())
    for vf in frames(images[:6]):
        live.callback(vf)
    first = live.measurement.stage
    assert first.alive and len(stage_threads()) == before + 1
    live.ended()  # streamlit-webrtc's on_video_ended
    assert ended(first) and live.measurement.stage is None
    for vf in frames(images[6:10], 6 * 3000):
        live.callback(vf)
    second = live.measurement.stage
    assert second is not first and second.alive
    live.release()  # the watchdog's way (no frames for a while)
    assert ended(second)
    for vf in frames(images[10:12], 10 * 3000):
        live.callback(vf)
    third = live.measurement.stage
    assert live.stop() is not None
    assert ended(third) and len(stage_threads()) == before
    # A new session (START again) finishes the old measurement: its thread ends too.
    live.begin("beginner", record=False)
    for vf in frames(images[12:15], 12 * 3000):
        live.callback(vf)
    fourth = live.measurement.stage
    live.begin("beginner", record=False)
    assert ended(fourth)
