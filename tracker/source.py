"""Frame sources: a video file or a camera, yielding (t_seconds, frame_bgr) at native size.

Time comes from the video's own timestamps, never from an assumed frame rate: variable-rate
phone videos and dropped camera frames would otherwise skew every speed and rate the
analysis measures.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Iterator, Protocol

import cv2
import numpy as np

# Used only when a container reports no (or an absurd) frame rate, to space fallback times.
DEFAULT_FPS = 30.0


class SourceError(Exception):
    """A frame source cannot be opened or read; the message is one line, fit for a user."""


class FrameSource(Protocol):
    width: int
    height: int
    fps: float

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]: ...

    def close(self) -> None: ...


def _check_stride(stride: int) -> int:
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    return stride


class _Capture:
    """What both sources share: an OpenCV capture released on close or on leaving a `with`."""

    _cap: cv2.VideoCapture

    def close(self) -> None:
        self._cap.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoSource(_Capture):
    """Frames of a video file, every `stride`-th one, with the container's timestamps.

    Single pass: iterate once. The first frame is decoded on open, so an unreadable file
    fails here with a SourceError rather than later as an empty video.
    """

    def __init__(self, path: str | Path, stride: int = 1) -> None:
        self.path = Path(path)
        self.stride = _check_stride(stride)
        if not self.path.exists():
            raise SourceError(f"no such file: {self.path}")
        if not self.path.is_file():
            raise SourceError(f"not a file: {self.path}")
        if self.path.stat().st_size == 0:
            raise SourceError(f"empty file (0 bytes): {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"not a readable video: {self.path}")
        ok, first = self._cap.read()
        if not ok or first is None or first.ndim != 3:
            self._cap.release()
            raise SourceError(f"not a readable video (first frame cannot be decoded): {self.path}")
        self._first: np.ndarray | None = first
        self.height, self.width = first.shape[:2]
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps_known = math.isfinite(fps) and 0 < fps <= 1000
        self.fps = float(fps) if self.fps_known else DEFAULT_FPS
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        # Container estimate (exact for most mp4s, approximate for some webm/avi); 0 if unknown.
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else 0
        self._used = False

    def _time(self, index: int, prev: float | None) -> float:
        """Seconds of the frame just read: the container's time if it has one, kept increasing."""
        msec = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        fallback = index / self.fps
        # OpenCV reports 0 (or garbage) when the container carries no timestamps.
        t = msec / 1000.0 if math.isfinite(msec) and (msec > 0 or index == 0) else fallback
        if prev is not None and t <= prev:
            # A repeated or backward stamp (broken muxers do this) must not break monotonicity.
            t = prev + 1.0 / self.fps
        return t

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        if self._used:
            raise SourceError(f"video already read (sources are single pass): {self.path}")
        self._used = True
        prev: float | None = None
        frame = self._first
        self._first = None
        index = 0
        try:
            while frame is not None:
                t = self._time(index, prev)
                prev = t
                yield t, frame
                # Skipped frames are only grabbed (demuxed and decoded, not converted to BGR).
                for _ in range(self.stride - 1):
                    if not self._cap.grab():
                        return
                    index += 1
                ok, frame = self._cap.read()
                index += 1
                if not ok:
                    frame = None
        finally:
            self.close()



class CameraSource(_Capture):
    """Frames of a local camera with wall-clock time since the first frame.

    A camera has no container clock; time.monotonic() at read time is the best stamp we
    have (it includes the driver's buffering delay, which is constant and so harmless).
    """

    def __init__(self, index: int = 0, stride: int = 1) -> None:
        self.index = index
        self.stride = _check_stride(stride)
        self._cap = cv2.VideoCapture(index)
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"camera {index} not available")
        self._start = time.monotonic()
        self._first: np.ndarray | None = first
        self.height, self.width = first.shape[:2]
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if math.isfinite(fps) and 0 < fps <= 1000 else DEFAULT_FPS

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        frame, t = self._first, 0.0
        self._first = None
        try:
            while frame is not None:
                yield t, frame
                for _ in range(self.stride - 1):
                    if not self._cap.grab():
                        return
                ok, frame = self._cap.read()
                t = time.monotonic() - self._start
                if not ok:
                    frame = None
        finally:
            self.close()

