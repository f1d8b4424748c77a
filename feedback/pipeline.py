"""From a source to a report: the path shared by the command line, the app and the benchmark.

video file or camera frames -> tracker (MediaPipe) -> SessionAnalyzer -> SessionReport
track file (.jsonl)         ------------------------^

`FrameProcessor` is the one frame processor for live and recorded video: give it a BGR frame
and its time, it returns the analysis of that frame (and draws the overlay when asked).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from tracker.types import HandFrame, SpinePoints

from .analyzer import AnalyzerOptions, FrameResult, SessionAnalyzer
from .camera_check import CameraProblem, CameraWatch, palm_widths_px
from .camera_check import check as camera_check
from .report import SessionReport
from .spine import SpineError, SpineLine

TRACK_SUFFIXES = (".jsonl",)
STILLS = 3  # stills for the automatic spine line (as on the views its confidence was fitted on)
Progress = Callable[[int, int], None]


class InputError(Exception):
    """Input that cannot be analysed; the message is one line a person can act on."""


def resolve_spine(width: int, height: int, flag: str | None = None, header: SpinePoints | None = None,
                  calibration: SpinePoints | None = None, pose_frames: Iterable[np.ndarray] | None = None,
                  hand_frames: list[HandFrame] | None = None) -> SpineLine:
    """The spine line, from (in this order) the flag, the track header, a calibration (the
    video's sidecar file or the app's saved one, as the caller found it), or the automatic
    estimate (feedback.spine_auto: the stills `pose_frames` and the tracked `hand_frames`).
    Raises SpineError with a one-line reason when none can be had, or when the automatic line
    is not sure enough to be given as found (the user is asked to set it)."""
    if flag:
        return SpineLine.parse(flag, width, height, "flag")
    if header is not None:
        return SpineLine.from_points(header, width, height, "track")
    if calibration is not None:
        return SpineLine.from_points(calibration, width, height, "calibration")
    if pose_frames is None and not hand_frames:
        raise SpineError("no spine line (none given, none in the track file); give it with --spine HX,HY,SX,SY "
                         "(base of the neck then sacrum, 0-1 image coordinates)")
    found = auto_spine(width, height, pose_frames, hand_frames)
    if not found.confident:
        raise SpineError(f"no spine line: {found.reason}; check it and give it with --spine HX,HY,SX,SY "
                         "(base of the neck then sacrum, 0-1 image coordinates), or set it in the app's editor")
    return SpineLine.from_points(found.points, width, height, f"auto:{found.source}", found.confidence)


def auto_spine(width: int, height: int, stills: Iterable[np.ndarray] | None = None,
               hand_frames: list[HandFrame] | None = None, seconds: float | None = None):
    """The automatic line (feedback.spine_auto.AutoSpine) from stills and/or tracked hands."""
    from .spine_auto import fuse
    from .spine_from_hands import estimate_from_hands

    pose, outline = body_evidence(list(stills or []))
    hands = estimate_from_hands(hand_frames, width, height, seconds) if hand_frames else None
    return fuse(hands, pose, outline, width, height)


def body_evidence(stills: list[np.ndarray]):
    """(pose, outline) evidence (feedback.spine_from_image) from stills; (None, None) without."""
    if not stills:
        return None, None
    from tracker.body import BodyMask, PoseModel

    from .spine_from_image import spine_from_outline, spine_from_pose

    with PoseModel() as model:
        pose = spine_from_pose(stills, model)
    with BodyMask() as mask:
        outline = spine_from_outline(stills, mask)
    return pose, outline


def sidecar_spine(video: Path) -> SpinePoints | None:
    """A spine calibration kept next to a video as `<name>.spine.json`:
    {"head": [x, y], "sacrum": [x, y]} in 0-1 image coordinates (the bundled samples have one)."""
    from .calibration import CalibrationError, read_json, spine_points

    side = video.with_name(video.stem + ".spine.json")
    try:
        return spine_points(read_json(side))
    except FileNotFoundError:
        return None
    except CalibrationError as e:
        text = str(e)
        raise InputError(text if text.startswith(str(side)) else f"{side}: not a usable spine calibration ({text})") \
            from None


def saved_calibration(width: int, height: int) -> SpinePoints | None:
    """The app's saved spine calibration, if it was set on images of this size (a calibration
    belongs to one camera set-up; for a video of another size it would be a guess)."""
    from .calibration import CalibrationError, load

    try:
        cal = load()
    except CalibrationError as e:
        raise InputError(f"saved spine calibration {e}; save a new line in the app, or delete the file") from None
    if cal is None or (cal.image_size is not None and tuple(cal.image_size) != (width, height)):
        return None
    return cal.points()


def analyse_frames(frames: Iterable[HandFrame], spine: SpineLine,
                   options: AnalyzerOptions | None = None) -> SessionReport:
    analyzer = SessionAnalyzer(spine, options)
    for f in frames:
        analyzer.push(f)
    return analyzer.finish()


@dataclass
class Analysis:
    report: SessionReport
    spine: SpineLine
    width: int
    height: int
    fps: float
    frames: int = 0             # frames analysed
    expected_frames: int = 0    # frames the video container announced (0: unknown, or a track)


class _Counted:
    """Counts the items that pass through an iterator."""

    def __init__(self, items: Iterable) -> None:
        self._items, self.n = items, 0

    def __iter__(self):
        for item in self._items:
            self.n += 1
            yield item


def analyse_path(path: str | Path, spine_flag: str | None = None, calibration: SpinePoints | None = None,
                 progress: Progress | None = None, stride: int = 1,
                 options: AnalyzerOptions | None = None) -> Analysis:
    """Analyse a video or a track file. Raises InputError or SpineError with a one-line reason."""
    from tracker.trackfile import TrackFormatError, iter_track

    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a video or a track file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file (a device or a pipe); give a video or a track file")
    if st.st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes)")
    if path.suffix.lower() in TRACK_SUFFIXES:
        try:
            header, frames = iter_track(path)
            if calibration is None and not spine_flag and header.spine is None:
                calibration = saved_calibration(header.width, header.height)
            if not (spine_flag or header.spine or calibration):
                frames = list(frames)  # the hands may tell where the spine is
                spine = resolve_spine(header.width, header.height, hand_frames=frames)
            else:
                spine = resolve_spine(header.width, header.height, spine_flag, header.spine, calibration)
            counted = _Counted(frames)
            report = analyse_frames(counted, spine, options)
        except TrackFormatError as e:
            raise InputError(f"{path}: {e}") from None
        except OSError as e:
            raise InputError(f"{path}: cannot read it ({e.strerror or e})") from None
        if counted.n == 0:
            raise InputError(f"{path}: the track has a header but no frames: nothing to analyse")
        return Analysis(report, spine, header.width, header.height, header.fps, counted.n, 0)

    from tracker.parallel import track_video_parallel
    from tracker.pipeline import sample_frames, video_header
    from tracker.source import SourceError

    if calibration is None and not spine_flag:
        calibration = sidecar_spine(path)
    try:
        header = video_header(path, stride=stride)
        if calibration is None and not spine_flag:
            calibration = saved_calibration(header.width, header.height)
        seen = [0, 0]  # frames done, frames the container announces

        def count(done: int, total: int) -> None:
            seen[:] = [done, total]
            if progress is not None:
                progress(done, total)

        explicit = bool(spine_flag or calibration)
        spine = resolve_spine(header.width, header.height, spine_flag, None, calibration) if explicit else None
        # On every core, on the region around the back (once the line is known), with each frame's
        # brightness for the camera check.
        frames, light = track_video_parallel(path, stride=stride, progress=count,
                                             spine=spine.points() if spine is not None else None)
        if spine is None:  # automatic: stills for the pose and outline, and the hands of the whole video
            spine = resolve_spine(header.width, header.height, pose_frames=sample_frames(path, n=STILLS),
                                  hand_frames=frames)
        analyzer = SessionAnalyzer(spine, options)
        for frame, brightness in zip(frames, light):
            analyzer.push(frame)
            if brightness is not None:
                analyzer.camera.add_brightness(brightness)
        report = analyzer.finish()
    except SourceError as e:
        raise InputError(str(e)) from None
    return Analysis(report, spine, header.width, header.height, header.fps, seen[0], seen[1])


class FrameProcessor:
    """One processor for live and recorded frames: detect hands, then analyse.

    The detector is created on first use, in the thread that uses it (streamlit-webrtc calls
    from a worker thread). Drawing is the caller's: `draw_overlay` on the live page (the frame
    goes straight back to the browser), an `OverlayStage` for recordings."""

    def __init__(self, spine: SpineLine, options: AnalyzerOptions | None = None, detector_options=None) -> None:
        self.analyzer = SessionAnalyzer(spine, options)
        self.spine = spine
        self._detector_options = detector_options
        self._detector = None
        self.last: FrameResult | None = None
        # The camera check of the last few seconds, for the live page (the report has the session's).
        self.live_camera = CameraWatch(window_s=5.0)

    def camera_problems(self) -> list[CameraProblem]:
        """What is wrong with the camera set-up lately (an empty list: nothing found)."""
        return camera_check(self.live_camera.figures((tuple(self.spine.head), tuple(self.spine.sacrum))))

    def process(self, frame_bgr: np.ndarray, t: float) -> FrameResult:
        if self._detector is None:
            from tracker.pipeline import region_detector

            self._detector = region_detector(self._detector_options, self.spine.points())
        hands = self._detector.detect(frame_bgr, t)
        result = self.analyzer.push(hands)
        light = getattr(self._detector, "last_light", None)
        if light is not None:
            self.analyzer.camera.add_brightness(light.mean)
        self.live_camera.add(t, palm_widths_px(hands, self.spine.width, self.spine.height),
                             light.mean if light is not None else None)
        result.raw = hands
        self.last = result
        return result

    def finish(self) -> SessionReport:
        self.close()
        return self.analyzer.finish()

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None


Sink = Callable[[np.ndarray, float], None]
STAGE_TIMEOUT_S = 60.0  # the longest a frame may wait to be drawn and encoded (a 4K frame takes < 1 s)


class OverlayStage:
    """Draws the overlay on analysed frames of a recording in a second thread, in order, and
    hands each drawn frame to `sink` (e.g. a video writer's `write(frame, t)`).

    MediaPipe releases the GIL while it tracks, so frame n is drawn (and encoded) on the other
    core while frame n+1 is tracked: the overlay costs next to no wall time. `put` blocks when
    `depth` frames are waiting, which bounds the memory. The frame passed to `put` belongs to
    the stage from then on. Use as a context manager, or call `close` (which waits for every
    frame put, and raises what the sink raised)."""

    def __init__(self, spine: SpineLine, sink: Sink | None = None, depth: int = 4) -> None:
        import queue
        import threading

        self.spine = spine
        self.sink = sink
        self.drawn = 0
        self._failed = False                        # the sink failed: frames are dropped from then on
        self._error: BaseException | None = None    # that failure, until it is raised once
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="overlay", daemon=True)
        self._thread.start()

    def put(self, frame_bgr: np.ndarray, result: FrameResult, cue=None) -> None:
        import queue

        self._raise()
        if not self._thread.is_alive():
            raise RuntimeError("OverlayStage is closed")
        try:  # bounded: a drawing or encoding thread that hangs must not hang the caller too
            self._queue.put((frame_bgr, result, cue), timeout=STAGE_TIMEOUT_S)
        except queue.Full:
            raise RuntimeError(f"drawing the overlay stalled for {STAGE_TIMEOUT_S:.0f} s") from None

    def _run(self) -> None:
        import time

        from tracker.source import HELPER_DELAY_S

        from .overlay import draw_overlay

        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._failed:
                continue  # keep taking frames so that put() never blocks on a failed stage
            time.sleep(HELPER_DELAY_S)  # the tracker's Python steps first (see HELPER_DELAY_S)
            frame, result, cue = item
            try:
                draw_overlay(frame, result, self.spine, cue)
                if self.sink is not None:
                    self.sink(frame, result.t)
                self.drawn += 1
            except BaseException as e:  # noqa: BLE001 - raised in the caller's thread
                self._failed, self._error = True, e

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        """Waits for every frame put, then raises what the sink raised, if anything."""
        self.abandon()
        self._raise()

    def abandon(self) -> None:
        """Stops the thread without raising: for a caller that is already failing. Waits at
        most STAGE_TIMEOUT_S (the thread is a daemon; a hung sink is logged, not waited for)."""
        import logging
        import queue

        if self._thread.is_alive():
            try:
                self._queue.put(None, timeout=STAGE_TIMEOUT_S)
            except queue.Full:
                pass
            self._thread.join(STAGE_TIMEOUT_S)
            if self._thread.is_alive():
                logging.getLogger("massage_coach.pipeline").error(
                    "the overlay thread did not finish within %.0f s", STAGE_TIMEOUT_S)
                if self._error is None:
                    self._error = RuntimeError(f"drawing the overlay stalled for {STAGE_TIMEOUT_S:.0f} s")

    def __enter__(self) -> "OverlayStage":
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:  # already failing: that first error is the one to see
            self.abandon()
