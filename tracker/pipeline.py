"""Video in, HandFrames out: the one processing path shared by the CLI and the app."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import cv2
import numpy as np

from .hands import DetectorOptions, HandDetector
from .smoothing import HandSmoother
from .source import SourceError, VideoSource, fit_frame
from .types import HandFrame, SpinePoints, TrackHeader

if TYPE_CHECKING:
    from .roi import RegionDetector

# progress(frames_done, frames_expected); frames_expected is 0 when the container does not say.
Progress = Callable[[int, int], None]


def header_for(source: VideoSource, spine: SpinePoints | None = None) -> TrackHeader:
    """Track header for frames read from `source`. fps is the rate of the track itself
    (video fps / stride), since that is the sampling the analysis receives."""
    return TrackHeader(source.width, source.height, source.fps / source.stride, spine)


def video_header(path: str | Path, spine: SpinePoints | None = None, stride: int = 1) -> TrackHeader:
    with VideoSource(path, stride=stride) as source:
        return header_for(source, spine)


def region_detector(detector_options: DetectorOptions | None = None,
                    spine: SpinePoints | None = None) -> "RegionDetector":
    """The hand detector the product runs: MediaPipe on an enlarged region around the back
    (the whole frame when the back fills it), on a brightened copy of dim frames (tracker.roi)."""
    from .roi import RegionDetector

    return RegionDetector(lambda: HandDetector(detector_options), spine)


def track_frames(frames: Iterable[tuple[float, np.ndarray]],
                 detector_options: DetectorOptions | None = None,
                 smooth: bool = False, spine: SpinePoints | None = None,
                 detector: "RegionDetector | None" = None) -> Iterator[HandFrame]:
    """Detects (and optionally smooths) hands in timestamped BGR frames from any source; with
    the spine, on the region around the back (see `region_detector`). A `detector` given is
    used (and closed at the end) instead, so that the caller can read its light measurements."""
    smoother = HandSmoother() if smooth else None
    with detector or region_detector(detector_options, spine) as running:
        for t, frame in frames:
            hand_frame = running.detect(frame, t)
            yield smoother(hand_frame) if smoother else hand_frame


def track_video(path: str | Path, detector_options: DetectorOptions | None = None,
                smooth: bool = False, stride: int = 1,
                progress: Progress | None = None, spine: SpinePoints | None = None,
                detector: "RegionDetector | None" = None) -> Iterator[HandFrame]:
    """HandFrames of a video file, lazily. The file is opened (and checked) now, so a bad
    file raises SourceError at the call, not at the first frame."""
    source = VideoSource(path, stride=stride)
    expected = -(-source.frame_count // stride) if source.frame_count else 0

    def frames() -> Iterator[tuple[float, np.ndarray]]:
        for done, item in enumerate(source, start=1):
            yield item
            if progress is not None:
                progress(done, expected)

    def run() -> Iterator[HandFrame]:
        try:
            yield from track_frames(frames(), detector_options, smooth, spine, detector)
        finally:
            source.close()

    return run()


def sample_frames(path: str | Path, n: int = 8) -> list[np.ndarray]:
    """`n` frames spread evenly over a video (for the spine estimate). Seeks by frame index,
    which is approximate in some containers; exact positions do not matter here."""
    with VideoSource(path) as source:
        count = source.frame_count
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise SourceError(f"not a readable video: {path}")
        if count <= n:
            frames = [fit_frame(f) for ok, f in (cap.read() for _ in range(n)) if ok and f is not None]
        else:
            frames = []
            for i in np.linspace(0, count - 1, n + 2)[1:-1].round().astype(int):
                cap.set(cv2.CAP_PROP_POS_FRAMES, int(i))
                ok, frame = cap.read()
                if ok and frame is not None:
                    frames.append(fit_frame(frame))
        return frames
    finally:
        cap.release()
