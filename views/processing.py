"""The work behind the pages, without Streamlit: samples, spine lines, annotating a video.

Kept free of `st.*` so it can be tested and reused directly; the pages only display.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

import tracker.console  # noqa: F401  first: FFmpeg stays quiet about a bad upload ("moov atom not found")
from feedback.coach import Coach
from feedback.coverage import HandTrace
from feedback.report import SessionReport
from feedback.spine import SpineError, SpineLine
from tracker.filestore import private_folder, remove_folder
from tracker.types import SpinePoints

ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = ROOT / "sample_videos"
VIDEO_TYPES = ("mp4", "mov", "avi", "webm")
DEFAULT_SAMPLE = "mini_session"  # the session the README runs

Progress = Callable[[int, int], None]


# -- bundled samples ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    about: str

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()


def list_samples(folder: Path = SAMPLES_DIR) -> list[Sample]:
    """Bundled sample videos (those that exist and are not empty), the default one first."""
    out = []
    for p in sorted(folder.glob("*.mp4")):
        try:
            if p.stat().st_size == 0:
                continue
        except OSError:
            continue
        about = ""
        truth = p.with_name(p.stem + ".truth.json")
        try:
            about = str(json.loads(truth.read_text()).get("about", ""))
        except (OSError, ValueError, AttributeError):
            pass
        out.append(Sample(p.stem, p, about))
    out.sort(key=lambda s: (s.name != DEFAULT_SAMPLE, s.name))
    return out


def sample_spine(video: Path) -> SpinePoints | None:
    """The spine calibration that comes with a bundled sample: `<name>.spine.json` (read and
    checked by the same code as the command line: a malformed one raises InputError, shown on
    the page), else the "spine" of `<name>.truth.json`."""
    from feedback.calibration import CalibrationError, spine_points
    from feedback.pipeline import sidecar_spine

    pts = sidecar_spine(video)
    if pts is not None:
        return pts
    try:
        return spine_points(json.loads(video.with_name(video.stem + ".truth.json").read_text())["spine"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError, CalibrationError):
        return None


def still_frame(path: Path, where: float = 0.5) -> np.ndarray:
    """One BGR frame from `where` (0-1) into the video, for drawing a spine line on.
    Raises SourceError for an unreadable file."""
    import cv2

    from tracker.source import SourceError, VideoSource

    with VideoSource(path) as src:
        count, first = src.frame_count, None
        for _, frame in src:
            first = frame
            break
    if count > 1:
        cap = cv2.VideoCapture(str(path))
        try:
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(where * (count - 1)))
            ok, frame = cap.read()
            if ok and frame is not None:
                return frame
        finally:
            cap.release()
    if first is None:
        raise SourceError(f"not a readable video: {path.name}")
    return first


def auto_spine(path: Path, width: int, height: int) -> SpineLine:
    """The automatic spine line (feedback.spine_auto) from a few stills and the hands' strokes
    (a first pass over every other frame); SpineError when it is not sure enough."""
    from feedback.pipeline import STILLS, resolve_spine
    from tracker.pipeline import sample_frames, track_video

    hands = list(track_video(path, stride=2))
    return resolve_spine(width, height, pose_frames=sample_frames(path, n=STILLS), hand_frames=hands)


def spine_from_frame(frame_bgr: np.ndarray) -> tuple[SpinePoints, float] | None:
    """A spine line from one still (pose and body outline) and its calibrated confidence, which
    from a still alone is usually low: the caller shows it for confirmation. None if no person."""
    from feedback.pipeline import auto_spine as find

    h, w = frame_bgr.shape[:2]
    found = find(w, h, stills=[frame_bgr])
    if found.points is None:
        return None
    return found.points, float(found.confidence)


# -- writing the annotated video ------------------------------------------------------------------

class VideoWriter:
    """H.264 mp4 (plays in every browser) with each frame stamped at its own time, so a video
    with dropped or uneven frames plays back at the right speed."""

    def __init__(self, path: str | Path, width: int, height: int, fps: float = 30.0) -> None:
        import av

        self.path = Path(path)
        self._container = av.open(str(self.path), "w", options={"movflags": "+faststart"})
        rate = Fraction(max(1, int(round(fps or 30))), 1)
        self._stream = self._container.add_stream("libx264", rate=rate)
        # Even sizes: yuv420p needs them.
        self.width, self.height = width - width % 2, height - height % 2
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = Fraction(1, 1000)
        self._stream.codec_context.time_base = Fraction(1, 1000)
        # No B-frames: with uneven frame times (a live stream drops frames) reordered frames
        # would give the muxer non-increasing timestamps.
        self._stream.options = {"crf": "26", "preset": "veryfast", "bf": "0"}
        self._last_pts = -1
        self._t0: float | None = None
        self.frames = 0

    def write(self, frame_bgr: np.ndarray, t: float) -> None:
        import av

        if self._t0 is None:
            self._t0 = t
        pts = max(int(round((t - self._t0) * 1000)), self._last_pts + 1)
        self._last_pts = pts
        img = frame_bgr[: self.height, : self.width]
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
        vf.pts = pts
        vf.time_base = Fraction(1, 1000)
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._container is None:
            return
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None


@dataclass
class ReviewResult:
    """What the review page shows: the report, the annotated video and the cues given."""

    report: SessionReport
    video: bytes | None                 # annotated mp4, None if it could not be written
    spine: SpineLine
    width: int
    height: int
    fps: float
    frames: int
    expected_frames: int                # what the container announced (0: unknown)
    cues: list = field(default_factory=list)   # (t, text, severity)
    technique_seconds: dict = field(default_factory=dict)
    trace: HandTrace | None = None      # where the hands were, frame by frame (coverage, flow)

    @property
    def truncated(self) -> bool:
        """The container announced clearly more frames than could be decoded."""
        return self.expected_frames > 0 and self.frames < 0.9 * self.expected_frames - 2


def annotate_video(path: str | Path, spine_points: SpinePoints | None, level: str = "beginner",
                   progress: Progress | None = None, stride: int = 1, write_video: bool = True,
                   spine_source: str = "calibration") -> ReviewResult:
    """Run the live pipeline (FrameProcessor + Coach + overlay) over a video file.

    The annotated video goes to a temporary file that is read back and deleted at once: nothing
    is left on disk. Without `spine_points` MediaPipe Pose looks for the person (SpineError if
    it finds none). Raises SourceError for a file that cannot be read."""
    from feedback.pipeline import FrameProcessor, OverlayStage
    from tracker.source import VideoSource

    path = Path(path)
    src = VideoSource(path, stride=stride)
    try:
        if spine_points is not None:
            spine = SpineLine.from_points(spine_points, src.width, src.height, spine_source)
        else:
            spine = auto_spine(path, src.width, src.height)
        expected = -(-src.frame_count // stride) if src.frame_count else 0
        processor = FrameProcessor(spine)
        coach = Coach(level)
        trace = HandTrace()
        tmp_path = None
        writer = None
        if write_video:  # in a private folder, removed below (or at exit, or by the next start's sweep)
            tmp_path = private_folder("review") / "annotated.mp4"
            writer = VideoWriter(tmp_path, src.width, src.height, src.fps / stride)
        frames = 0
        video = None
        # Drawing and encoding run in a second thread while MediaPipe tracks the next frame.
        stage = OverlayStage(spine, writer.write) if writer is not None else None
        try:
            for t, frame in src:
                result = processor.process(frame, t)
                cue = coach.update(result, processor.analyzer)
                trace.add(result)
                if stage is not None:
                    stage.put(frame, result, cue)
                frames += 1
                if progress is not None and (frames % 5 == 0 or frames == expected):
                    progress(frames, expected)
            report = processor.finish()
            if stage is not None:
                stage.close()
                stage = None
                writer.close()
                writer = None
                video = tmp_path.read_bytes() if frames else None
        finally:
            processor.close()
            if stage is not None:
                stage.abandon()  # an error is on its way out: do not hide it
            if writer is not None:
                try:
                    writer.close()
                except Exception:  # noqa: BLE001 - the file is deleted anyway
                    pass
            if tmp_path is not None:
                remove_folder(tmp_path.parent)
    finally:
        src.close()
    cues = [(round(float(t), 2), c.text, c.severity) for t, c in coach.history]
    return ReviewResult(report, video, spine, src.width, src.height, src.fps, frames, expected, cues,
                        dict(coach.technique_seconds), trace)


def write_upload(name: str, data: bytes) -> Path:
    """The uploaded bytes in a file of a private temporary folder; the caller removes it with
    `remove_upload` (and the folder goes at exit, or at the next start after a kill)."""
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in {f".{t}" for t in VIDEO_TYPES} else ".mp4"
    folder = private_folder("upload")
    path = folder / f"upload{suffix}"
    try:
        path.write_bytes(data)
    except BaseException:
        remove_folder(folder)
        raise
    return path


def remove_upload(path: Path) -> None:
    """Removes an upload written by `write_upload`, with its folder."""
    remove_folder(path.parent)


def check_video(path: Path, name: str | None = None) -> None:
    """Raise SourceError with a plain reason when `path` is not a video we can analyse."""
    from tracker.source import SourceError, VideoSource

    label = name or path.name
    if path.stat().st_size == 0:
        raise SourceError(f"“{label}” is empty (0 bytes).")
    try:
        with VideoSource(path):
            pass
    except SourceError as e:
        if "too small" in str(e):
            raise SourceError(f"“{label}” is {str(e).split(',')[0]}: too small to see hands.") from None
        raise SourceError(f"“{label}” is not a video that can be read (the file may be damaged, "
                          "cut short, or not a video at all).") from None


__all__ = ["Sample", "list_samples", "sample_spine", "still_frame", "auto_spine", "spine_from_frame",
           "VideoWriter", "ReviewResult", "annotate_video", "write_upload", "remove_upload", "check_video", "SpineError"]
