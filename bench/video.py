"""Frames per second of bare MediaPipe Hands, of the full frame pipeline, and of the review path.

The first frame of the MediaPipe and pipeline runs is a warm-up (graph start-up, first palm
detection) and is not timed, in both runs alike. The review rows are timed end to end: opening
the video, creating the detector, every frame, and finish().
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import cv2
import numpy as np

from coaching.session import Session
from coaching.video import OverlayStage
from drawing.overlay import draw_overlay
from feedback.spine import SpineLine
from tracker.hands import DetectorOptions
from tracker.source import VideoSource

# When a sample has no spine calibration beside it: a plausible line down the middle of the image.
DEFAULT_SPINE = ((0.5, 0.25), (0.5, 0.75))


def probe(path: Path) -> tuple[int, int, float, int] | None:
    """(width, height, fps, frames) of a readable video, else None."""
    cap = cv2.VideoCapture(str(path))
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            return None
        fps = cap.get(cv2.CAP_PROP_FPS)
        return frame.shape[1], frame.shape[0], fps if math.isfinite(fps) and fps > 0 else 30.0, \
            int(max(cap.get(cv2.CAP_PROP_FRAME_COUNT), 0))
    finally:
        cap.release()


def find_sample(folder: Path) -> Path | None:
    """The longest readable 640x480 video of the folder (any size if none is 640x480)."""
    found = [(p, probe(p)) for p in sorted(folder.glob("*.mp4"))]
    found = [(p, info) for p, info in found if info is not None]
    if not found:
        return None
    vga = [x for x in found if x[1][:2] == (640, 480)] or found
    return max(vga, key=lambda x: x[1][3])[0]


def sample_spine(path: Path, width: int, height: int) -> SpineLine:
    """The spine that comes with the sample, as the app finds it (NAME.spine.json, else the
    truth file's), else DEFAULT_SPINE."""
    from coaching.spine_policy import Sidecar

    pts = Sidecar(path).points()
    if pts is None:
        return SpineLine(*DEFAULT_SPINE, width, height, source="default (no calibration with the sample)")
    return SpineLine.from_points(pts, width, height, source="the sample's calibration")


def decode(path: Path, n: int) -> list[tuple[float, np.ndarray]]:
    src = VideoSource(path)
    frames = []
    for item in src:
        frames.append(item)
        if len(frames) >= n:
            break
    src.close()
    return frames


def bare_mediapipe(frames: list[tuple[float, np.ndarray]], opts: DetectorOptions) -> dict:
    """The Tasks HandLandmarker's detect_for_video alone, on frames decoded and wrapped as
    mp.Image beforehand (same models and options as HandDetector)."""
    from tracker import models

    mp = models.import_mediapipe()
    images = [mp.Image(image_format=mp.ImageFormat.SRGB,
                       data=np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))) for _, bgr in frames]
    hands = models.hand_landmarker(
        num_hands=opts.max_num_hands, full=opts.model_complexity == 1, static=False,
        min_detection_confidence=opts.min_detection_confidence,
        min_presence_confidence=opts.min_tracking_confidence, min_tracking_confidence=opts.min_tracking_confidence)
    try:
        with models.native_notes_held():
            hands.detect_for_video(images[0], 0)
        found = 0
        t0, c0 = time.perf_counter(), time.process_time()
        for i, image in enumerate(images[1:], start=1):
            found += len(hands.detect_for_video(image, int(round(1000 * frames[i][0]))).hand_landmarks or [])
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        with models.native_notes_held():
            hands.close()
    n = len(images) - 1
    return {"frames": n, "fps": n / wall, "ms_per_frame": 1e3 * wall / n, "cpu_ms_per_frame": 1e3 * cpu / n,
            "hands_per_frame": found / n}


def pipeline(path: Path, n: int, spine: SpineLine, opts: DetectorOptions, draw: bool, overlap: bool = True,
             frames: list[tuple[float, np.ndarray]] | None = None) -> dict:
    """Session.push (region detector and light check, MediaPipe, analysis, coach) and the
    overlay, per frame. On `frames` given (bare MediaPipe's own frames, decoded beforehand, as a
    live stream's frames arrive decoded), neither side decodes; without, the video is decoded
    here too, ahead in a thread (`VideoSource`), as a recording is annotated. With `overlap`
    (the product's way for a recording) drawing runs behind in its own thread while MediaPipe
    tracks; without, all in turn in one thread (the live page's way)."""
    proc = Session(spine, detector_options=opts)
    src = None
    if frames is not None:
        # Drawn in place: copies, made before the clock starts (the source's frames are its own).
        it = iter([(t, f.copy()) for t, f in frames[:n]] if draw else frames[:n])
    else:
        src = VideoSource(path) if overlap else VideoSource(path, read_ahead=0)
        it = iter(src)
    stage = OverlayStage(spine) if draw and overlap else None
    t, frame = next(it)
    proc.push(frame, t)
    done, found = 0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    for t, frame in it:
        update = proc.push(frame, t)
        result = update.result
        if stage is not None:
            stage.put(frame, result, update.cue)
        elif draw:
            draw_overlay(frame, result, spine, update.cue)
        found += len(result.hands)
        done += 1
        if done >= n - 1:
            break
    if stage is not None:
        stage.close()  # the last frames drawn count too
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if src is not None:
        src.close()
    proc.finish()
    return {"frames": done, "fps": done / wall, "ms_per_frame": 1e3 * wall / done, "cpu_ms_per_frame": 1e3 * cpu / done,
            "hands_per_frame": found / done, "draw": draw, "overlap": overlap, "decode": frames is None}


def live_page(n: int, spine: SpineLine, frames: list[tuple[float, np.ndarray]],
              two_stage: bool = True) -> dict:
    """The live page's own code, `LiveSession.callback` (coaching/live.py, as streamlit-webrtc
    calls it in its one worker thread) on bare MediaPipe's frames, handed to it as the browser's
    arrive (av.VideoFrames in yuv420p, made before the clock starts): the conversion to BGR,
    region and light, tracking, analysis, the panel's view, the overlay (`two_stage`: drawn in
    the live page's second thread, coaching/live_stage.py; else in turn) and the frame handed
    back. No recording. The first frame is a warm-up, and the person-finding that the first
    frame starts (about a second of MediaPipe Pose, once a session) is waited for before timing."""
    import threading
    from fractions import Fraction

    import av

    from coaching.live import LiveSession, Measurement
    from tracker.types import SpinePoints

    h, w = frames[0][1].shape[:2]
    given = []
    for t, bgr in frames[:n]:
        vf = av.VideoFrame.from_ndarray(bgr, format="bgr24").reformat(format="yuv420p")
        vf.time_base, vf.pts = Fraction(1, 90_000), int(round(t * 90_000))
        given.append(vf)
    live = LiveSession()
    live.set_points(SpinePoints(tuple(spine.head), tuple(spine.sacrum)), (w, h))
    live.begin("beginner", record=False)
    old = Measurement.two_stage
    Measurement.two_stage = two_stage
    try:
        live.callback(given[0])  # the live page's own detector options (the bench's `opts` are the defaults too)
        for th in threading.enumerate():
            if th.name == "spine-evidence":
                th.join(30.0)
        t0, c0 = time.perf_counter(), time.process_time()
        for vf in given[1:]:
            live.callback(vf)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        found = live.snapshot()["hands"]
    finally:
        Measurement.two_stage = old
        live.stop()
    done = len(given) - 1
    return {"frames": done, "fps": done / wall, "ms_per_frame": 1e3 * wall / done, "cpu_ms_per_frame": 1e3 * cpu / done,
            "hands_per_frame": float("nan"), "last_hands": found, "two_stage": two_stage}


def review(path: Path, spine: SpineLine, model_complexity: int, stride: int, max_seconds: float | None) -> dict:
    """A recording analysed in one process, frame by frame (VideoSource -> Session.push ->
    finish(), the live page's way), timed end to end; `max_seconds` stops after that much video."""
    opts = DetectorOptions(model_complexity=model_complexity)
    t0, c0 = time.perf_counter(), time.process_time()
    src = VideoSource(path, stride=stride)
    proc = Session(spine, detector_options=opts)
    done = 0
    for t, frame in src:
        if max_seconds is not None and t >= max_seconds:
            break
        proc.push(frame, t)
        done += 1
    report = proc.finish().report
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    src.close()
    full = src.frame_count / src.fps if src.frame_count else report.summary.duration_s
    video_s = min(full, max_seconds) if max_seconds is not None else full
    return {"resolution": f"{src.width}x{src.height}", "video_fps": round(src.fps, 3),
            "model_complexity": model_complexity, "stride": stride, "frames": done, "video_s": video_s,
            "wall_s": wall, "cpu_s": cpu, "x_realtime": video_s / wall, "analysed_fps": done / wall}


def review_on_every_core(path: Path, spine: SpineLine, annotate: bool = False) -> dict:
    """The review of the command line (annotate=False) and of the review page (annotate=True:
    the annotated video drawn and encoded too), both coaching.recording.analyse_path: the
    recording tracked in parts on every core (tracker/parallel.py), then analysed; timed end to
    end, child processes included."""
    from coaching.recording import analyse_path

    flag = ",".join(f"{v:.6f}" for v in (*spine.head, *spine.sacrum))
    t0 = time.perf_counter()
    result = analyse_path(path, spine_flag=flag, annotate=annotate)
    wall = time.perf_counter() - t0
    video_s = result.expected_frames / result.fps if result.expected_frames else result.report.summary.duration_s
    return {"frames": result.frames, "video_s": video_s, "wall_s": wall, "x_realtime": video_s / wall}
