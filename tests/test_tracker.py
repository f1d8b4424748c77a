"""Tests of the tracker package: track files, smoothing, video sources, CLI, and MediaPipe on
real pixels (skipped when ../shared/real_hands is absent)."""
from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tracker import (Hand, HandFrame, HandSmoother, OneEuroFilter, SpinePoints,  # noqa: E402
                     TrackFormatError, TrackHeader, TrackWriter, iter_track, read_track,
                     write_track)

REAL = ROOT.parent / "shared" / "real_hands"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="shared/real_hands not available")


def _hand(x: float, y: float, handedness: str = "Right", seed: int = 0) -> Hand:
    rng = np.random.default_rng(seed)
    lm = np.column_stack([x + rng.uniform(-0.05, 0.05, 21), y + rng.uniform(-0.05, 0.05, 21),
                          rng.uniform(-0.1, 0.1, 21)])
    return Hand(lm, handedness, 0.93)


def _write_video(path: Path, n: int, fps: float = 25.0, size: tuple[int, int] = (160, 120)) -> None:
    """Frame i is uniformly grey at level 4*i, so a decoded frame tells which one it is."""
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    assert w.isOpened()
    for i in range(n):
        w.write(np.full((size[1], size[0], 3), 4 * i, np.uint8))
    w.release()


# ------------------------------------------------------------------ track file


def test_track_round_trip(tmp_path: Path) -> None:
    header = TrackHeader(640, 480, 30.0, SpinePoints((0.5, 0.2), (0.52, 0.85)))
    frames = [HandFrame(0.0, []), HandFrame(0.0333, [_hand(0.3, 0.4)]),
              HandFrame(0.0333, [_hand(0.3, 0.4, "Left", 1), _hand(0.7, 0.5, "Right", 2)])]
    path = tmp_path / "t.jsonl"
    assert write_track(path, header, frames) == 3
    h2, f2 = read_track(path)
    assert h2 == header
    assert [f.t for f in f2] == [0.0, 0.0333, 0.0333]
    for a, b in zip(frames, f2):
        assert [h.handedness for h in a.hands] == [h.handedness for h in b.hands]
        for ha, hb in zip(a.hands, b.hands):
            np.testing.assert_allclose(ha.landmarks, hb.landmarks, atol=5e-6)
            assert hb.score == pytest.approx(0.93)
    first = json.loads(path.read_text().splitlines()[0])
    assert first == {"format": "massage-track", "version": 1, "width": 640, "height": 480,
                     "fps": 30.0, "spine": {"head": [0.5, 0.2], "sacrum": [0.52, 0.85]}}

    # Streaming writer into a text buffer, read back lazily from bytes (as an upload would be).
    buf = io.StringIO()
    with TrackWriter(buf, TrackHeader(320, 240, 25.0)) as w:
        for f in frames:
            w.write(f)
    h3, it = iter_track(io.BytesIO(buf.getvalue().encode()))
    assert h3.spine is None and "spine" not in buf.getvalue().splitlines()[0]
    assert len(list(it)) == 3


def test_writer_rejects_bad_frames() -> None:
    w = TrackWriter(io.StringIO(), TrackHeader(10, 10, 30.0))
    w.write(HandFrame(1.0, []))
    with pytest.raises(TrackFormatError):
        w.write(HandFrame(0.5, []))  # going back in time
    bad = _hand(0.5, 0.5)
    bad.landmarks[3, 1] = math.nan
    with pytest.raises(TrackFormatError):
        w.write(HandFrame(2.0, [bad]))


_HEAD = '{"format": "massage-track", "version": 1, "width": 640, "height": 480, "fps": 30}'
_LM = json.dumps([[0.5, 0.5, 0.0]] * 21)
_FRAME = '{"t": %s, "hands": [{"handedness": "Left", "score": 0.9, "landmarks": %s}]}'


@pytest.mark.parametrize("lines, line_no, words", [
    ([], 1, "empty"),
    (["not json"], 1, "JSON"),
    ([_HEAD, "{oops"], 2, "JSON"),
    ([_HEAD.replace("massage-track", "other")], 1, "format"),
    ([_HEAD.replace('"version": 1', '"version": 2')], 1, "version"),
    ([_HEAD.replace('"width": 640, ', "")], 1, "width"),
    ([_HEAD, '{"t": 0.0}'], 2, "hands"),
    ([_HEAD, '{"t": 0, "hands": [{"handedness": "Left", "landmarks": %s}]}' % _LM], 2, "score"),
    ([_HEAD, _FRAME % (0, json.dumps([[0.5, 0.5, 0.0]] * 20))], 2, "21"),
    ([_HEAD, _FRAME % (0, json.dumps([[0.5, 0.5]] * 21))], 2, "21"),
    ([_HEAD, _FRAME % (0, _LM.replace("0.0]", '"a"]', 1))], 2, "number"),
    ([_HEAD, _FRAME % (0, _LM.replace("0.0]", "NaN]", 1))], 2, "finite"),
    ([_HEAD, _FRAME % (0, _LM.replace("0.0]", "1e999]", 1))], 2, "finite"),
    ([_HEAD, _FRAME % (0.5, _LM), _FRAME % (0.4, _LM)], 3, "back in time"),
    ([_HEAD, (_FRAME % (0, _LM)).replace("Left", "Middle")], 2, "handedness"),
    ([_HEAD[:-1] + ', "spine": {"head": [0.5], "sacrum": [0.5, 0.9]}}'], 1, "spine"),
    ([_HEAD[:-1] + ', "spine": {"head": [0.5, 0.1]}}'], 1, "spine"),
])
def test_track_validation(tmp_path: Path, lines: list[str], line_no: int, words: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(TrackFormatError) as err:
        read_track(path)
    msg = str(err.value)
    assert msg.startswith(f"line {line_no}:") and words in msg and "\n" not in msg


def test_equal_timestamps_allowed(tmp_path: Path) -> None:
    path = tmp_path / "eq.jsonl"
    path.write_text("\n".join([_HEAD, _FRAME % (0.5, _LM), _FRAME % (0.5, _LM)]) + "\n")
    assert len(read_track(path)[1]) == 2


# ------------------------------------------------------------------ smoothing


def test_one_euro_cuts_jitter_and_follows_step() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(0, 4, 1 / 30)
    truth = np.where(t < 2, 0.3, 0.6)
    noisy = truth[:, None, None] + rng.normal(0, 0.004, (len(t), 21, 3))
    f = OneEuroFilter()
    out = np.array([f(x, ti) for x, ti in zip(noisy, t)])
    assert out.shape == noisy.shape
    still = (t > 0.5) & (t < 2)
    # Jitter at rest: variance at least 5x smaller than the raw input's.
    assert out[still].var() < noisy[still].var() / 5
    # The 0.3 step is followed: within 0.15 s the output is within 0.02 of the new level.
    after = (t >= 2.15) & (t < 2.5)
    assert np.abs(out[after] - 0.6).max() < 0.02


def test_one_euro_ramp_lag_bounded_and_uneven_dt() -> None:
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.uniform(0.02, 0.06, 200))  # uneven steps, like a dropping camera
    x = 0.8 * t  # a fast stroke: 0.8 image widths per second
    f = OneEuroFilter()
    out = np.array([f(np.array([v]), ti)[0] for v, ti in zip(x, t)])
    lag = x[50:] - out[50:]
    assert lag.max() < 1 / (2 * math.pi * f.beta) + 0.005
    assert f(np.array([9.0]), t[-1])[0] == out[-1]  # a repeated timestamp changes nothing


def test_hand_smoother_matches_by_position_not_label() -> None:
    sm = HandSmoother()
    a, b = _hand(0.2, 0.5, seed=1), _hand(0.8, 0.5, seed=2)
    for i in range(30):
        t = i / 30
        # Order and labels flip every frame; positions stay. Each output must stay on its hand.
        hands = [Hand(a.landmarks, "Left", 0.9), Hand(b.landmarks, "Left", 0.9)]
        if i % 2:
            hands = [Hand(b.landmarks, "Right", 0.9), Hand(a.landmarks, "Right", 0.9)]
        out = sm(HandFrame(t, hands))
        for raw, smooth in zip(hands, out.hands):
            np.testing.assert_allclose(smooth.landmarks, raw.landmarks, atol=1e-9)
    # Gone for 1 s, back elsewhere: a fresh filter, so the output is the raw input, not a drag.
    c = _hand(0.5, 0.2, seed=3)
    out = sm(HandFrame(2.0, [c]))
    np.testing.assert_allclose(out.hands[0].landmarks, c.landmarks)
    # Within the gap a moved hand is smoothed (pulled back toward where it was).
    moved = Hand(c.landmarks + 0.05)
    out = sm(HandFrame(2.2, [moved]))
    assert 0 < np.abs(out.hands[0].landmarks - moved.landmarks).max() < 0.05


# ------------------------------------------------------------------ sources


def test_video_source_timestamps(tmp_path: Path) -> None:
    from tracker import VideoSource

    path = tmp_path / "v.mp4"
    _write_video(path, 50)
    src = VideoSource(path)
    assert (src.width, src.height, src.fps, src.frame_count) == (160, 120, 25.0, 50)
    items = list(src)
    ts = np.array([t for t, _ in items])
    assert len(ts) == 50 and np.all(np.diff(ts) > 0)
    np.testing.assert_allclose(ts, np.arange(50) / 25.0, atol=1e-3)

    strided = list(VideoSource(path, stride=3))
    assert len(strided) == 17
    for k, (t, frame) in enumerate(strided):
        assert t == pytest.approx(3 * k / 25.0, abs=1e-3)
        assert abs(frame.mean() - 4 * 3 * k) < 4  # the frame really is frame 3k


def test_read_ahead_gives_the_same_frames_and_stops_its_thread(tmp_path: Path) -> None:
    import threading

    from tracker import VideoSource

    path = tmp_path / "v.mp4"
    _write_video(path, 50)
    for stride in (1, 3):
        plain = list(VideoSource(path, stride=stride, read_ahead=0))
        ahead = list(VideoSource(path, stride=stride, read_ahead=2))
        assert [t for t, _ in ahead] == [t for t, _ in plain]
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(ahead, plain))

    def readers() -> int:
        return sum(th.name == "video-read-ahead" for th in threading.enumerate())

    before = readers()
    src = VideoSource(path, read_ahead=2)
    for i, _ in enumerate(src):
        if i == 3:
            assert readers() == before + 1
            break
    src.close()  # leaving a loop early: close() ends the decoding thread
    assert readers() == before
    with pytest.raises(ValueError):
        VideoSource(path, read_ahead=-1)


def test_read_ahead_hands_a_decoding_failure_to_the_reader(tmp_path: Path) -> None:
    from tracker import VideoSource

    path = tmp_path / "v.mp4"
    _write_video(path, 10)
    src = VideoSource(path, read_ahead=2)

    def broken() -> None:
        raise OSError("disk gone")

    src._read_next = broken  # type: ignore[method-assign]
    frames = iter(src)
    next(frames)  # the first frame was decoded on open
    with pytest.raises(OSError, match="disk gone"):
        next(frames)


class _ScriptedStamps:
    """A capture whose container timestamps (ms) are scripted: to test the fallbacks."""

    def __init__(self, cap: Any, stamps: list[float]) -> None:
        self.cap, self.stamps = cap, iter(stamps)

    def get(self, prop: int) -> float:
        import cv2

        return next(self.stamps) if prop == cv2.CAP_PROP_POS_MSEC else float(self.cap.get(prop))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cap, name)


@pytest.mark.parametrize("stamps, expected", [
    ([0.0] * 6, [0.0, 0.04, 0.08, 0.12, 0.16, 0.2]),  # no timestamps: index / fps
    ([0.0, 40.0, 80.0, 40.0, 80.0, 200.0], [0.0, 0.04, 0.08, 0.12, 0.16, 0.2]),  # kept increasing
    ([0.0, 50.0, 90.0, 150.0, 180.0, 240.0], [0.0, 0.05, 0.09, 0.15, 0.18, 0.24]),  # own times win
])
@pytest.mark.parametrize("read_ahead", [0, 4])
def test_video_source_timestamp_fallbacks(tmp_path: Path, stamps: list[float],
                                          expected: list[float], read_ahead: int) -> None:
    from tracker import VideoSource

    _write_video(tmp_path / "v.mp4", 6)
    src = VideoSource(tmp_path / "v.mp4", read_ahead=read_ahead)
    # The first frame is read (and stamped, at 0 by the real container) on open.
    src._cap = _ScriptedStamps(src._cap, stamps[1:])  # type: ignore[assignment]
    assert [t for t, _ in src] == pytest.approx(expected)


def test_source_errors(tmp_path: Path) -> None:
    from tracker import CameraSource, SourceError, VideoSource

    (tmp_path / "zero.mp4").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a video\n")
    for p, words in [(tmp_path / "missing.mp4", "no such file"), (tmp_path / "zero.mp4", "0 bytes"),
                     (tmp_path / "notes.txt", "not a readable video"), (tmp_path, "not a file")]:
        with pytest.raises(SourceError, match=words):
            VideoSource(p)
    with pytest.raises(SourceError, match="camera 97"):
        CameraSource(97)
    with pytest.raises(ValueError):
        VideoSource(tmp_path / "zero.mp4", stride=0)


# ------------------------------------------------------------------ CLI


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tracker", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_imports_stay_light() -> None:
    code = ("import sys, tracker, tracker.types, tracker.trackfile, tracker.smoothing; "
            "print('cv2' in sys.modules, 'mediapipe' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("video, extra", [
    ("missing.mp4", []), ("zero.mp4", []), ("notes.txt", []),
    ("ok.mp4", ["--spine", "0.5,0.2,0.5"]), ("ok.mp4", ["--spine", "0.5,0.2,0.5,1.2"]),
    ("ok.mp4", ["--spine", "0.5,0.5,0.5,0.5"]), ("ok.mp4", ["--spine", "a,b,c,d"]),
    ("ok.mp4", ["--stride", "0"]), ("ok.mp4", ["--no-such-option"]),
])
def test_cli_bad_input(tmp_path: Path, video: str, extra: list[str]) -> None:
    (tmp_path / "zero.mp4").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "ok.mp4").write_bytes(b"\0" * 10)  # never opened: the arguments fail first
    out = tmp_path / "out.jsonl"
    res = _cli("track", video, "--out", str(out), *extra, cwd=tmp_path)
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert not out.exists()


def test_cli_writes_track(tmp_path: Path) -> None:
    _write_video(tmp_path / "v.mp4", 20)
    out = tmp_path / "v.jsonl"
    res = _cli("track", "v.mp4", "--out", str(out), "--spine", "0.5,0.1,0.5,0.9",
               "--stride", "2", "--smooth", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    header, frames = read_track(out)
    assert (header.width, header.height, header.fps) == (160, 120, 12.5)
    assert header.spine == SpinePoints((0.5, 0.1), (0.5, 0.9))
    assert len(frames) == 10 and all(not f.hands for f in frames)  # grey frames: no hands
    assert [f.t for f in frames] == pytest.approx([0.08 * k for k in range(10)], abs=1e-3)

    # No --spine: the pose estimate runs, finds no body in grey frames, and says so.
    res = _cli("track", "v.mp4", "--out", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "no body found" in res.stderr and read_track(out)[0].spine is None


# ------------------------------------------------------------------ real pixels


@needs_real
def test_detector_two_hands_on_photo() -> None:
    import cv2
    from tracker import DetectorOptions, HandDetector

    img = cv2.imread(str(REAL / "two_hands_back.jpg"))
    with HandDetector(DetectorOptions(static_image_mode=True)) as det:
        frame = det.detect(img, 1.5)
        assert frame.t == 1.5 and len(frame.hands) == 2
        for hand in frame.hands:
            assert hand.landmarks.shape == (21, 3) and hand.handedness in ("Left", "Right")
            assert np.all((hand.landmarks[:, :2] > -0.05) & (hand.landmarks[:, :2] < 1.05))
        centres = sorted(h.landmarks[:, 0].mean() for h in frame.hands)
        assert centres[1] - centres[0] > 0.2  # two distinct hands, not one found twice
        assert det.detect(np.zeros((240, 320, 3), np.uint8), 2.0).hands == []
        with pytest.raises(ValueError):
            det.detect(np.zeros((240, 320), np.uint8), 3.0)


@needs_real
def test_detector_on_video_and_no_body_in_a_hand() -> None:
    from coaching.spine_policy import auto_spine
    from feedback.spine_auto import CONFIRM_AT
    from tracker import sample_frames, track_video

    calls: list[tuple[int, int]] = []
    frames = list(track_video(REAL / "open_hand_reaching.mp4", progress=lambda d, n: calls.append((d, n))))
    assert calls[-1] == (len(frames), len(frames))
    found = sum(1 for f in frames if f.hands)
    assert len(frames) >= 200 and found / len(frames) >= 0.9
    assert all(b.t > a.t for a, b in zip(frames, frames[1:]))
    # Pose alone "finds" a whole body inside this open hand (visibility 1.0 on every torso
    # landmark): the automatic line may propose it, but never as found.
    stills = sample_frames(REAL / "open_hand_reaching.mp4", 6)
    found = auto_spine(stills[0].shape[1], stills[0].shape[0], stills=stills)
    assert found.confidence < CONFIRM_AT and not found.confident
