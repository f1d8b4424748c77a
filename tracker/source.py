"""Frame sources: a video file or a camera, yielding (t_seconds, frame_bgr) at native size.

Time comes from the video's own timestamps, never from an assumed frame rate: variable-rate
phone videos and dropped camera frames would otherwise skew every speed and rate the
analysis measures.
"""
from __future__ import annotations

import logging
import math
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

LOG = logging.getLogger("massage_coach.source")

# Used only when a container reports no (or an absurd) frame rate, to space fallback times.
DEFAULT_FPS = 30.0
# Frames a file source decodes ahead of its reader (about 0.9 MB each at 640x480).
DEFAULT_READ_AHEAD = 4
# A helper thread (decoding ahead, drawing behind) waits this long after the tracker takes or
# hands over a frame, so that the tracker's few Python steps (colour conversion, MediaPipe's
# packet) run first and it is inside MediaPipe, which runs without the GIL, when the helper
# starts. Starting at once, the helper held the GIL the tracker needed: +0.3 to +0.6 ms a
# frame (bench, 640x480). It bounds a helper to some 300 frames/s, far above the tracker.
HELPER_DELAY_S = 0.002
# Frames larger than this (long side, pixels) are scaled down as they are decoded: a 4000x3000
# phone video would otherwise hold 36 MB a frame in every queue and cost MediaPipe a full-size
# colour conversion, for no gain (the palm detector works at 192 px). 1080p stays as it is.
MAX_SIDE = 1920
# Smaller than this (either side) no hand can be seen: refused with a reason.
MIN_SIDE = 32
# The longest a reader waits for the next decoded frame before it says the decoder is stuck.
READ_TIMEOUT_S = 30.0


class SourceError(Exception):
    """A frame source cannot be opened or read; the message is one line, fit for a user."""


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


def _decoder_params(read_ahead: int) -> list[int]:
    """Decoding off the critical path needs no threads of its own: one decoding thread costs
    30% less CPU than FFmpeg's default (one per core), CPU the tracker would otherwise lose."""
    return [cv2.CAP_PROP_N_THREADS, 1] if read_ahead else []


def fit_frame(frame: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """`frame` scaled down (area averaging) so that its long side is at most `max_side`."""
    h, w = frame.shape[:2]
    if max(h, w) <= max_side:
        return frame
    k = max_side / max(h, w)
    return cv2.resize(frame, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)


class _ReadAhead:
    """Calls `read` in a thread, up to `depth` results ahead of the consumer.

    OpenCV releases the GIL while it demuxes and decodes, so on a machine with two cores the
    next frame is decoded while MediaPipe works on this one. `read` returns None at the end.
    """

    def __init__(self, read: Callable[[], object], depth: int) -> None:
        self._read = read
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="video-read-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self._queue.qsize():  # the reader has a frame to work on: let it go first
                    time.sleep(HELPER_DELAY_S)
                item = self._read()
                self._put(item)
                if item is None:
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(_Failed(e))

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def get(self, timeout: float = READ_TIMEOUT_S):
        """The next result; SourceError if the reading thread gives none within `timeout`
        (a stuck decoder or file system must not hang the caller for ever)."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise SourceError(f"the video gave no frame for {timeout:.0f} s (the decoder or the disk is stuck)") \
                from None
        if isinstance(item, _Failed):
            raise item.error
        return item

    def stop(self, timeout: float = READ_TIMEOUT_S) -> bool:
        """Ends the thread; after this `read` is no longer called (the capture can be released).
        False if the thread is still inside a stuck `read` after `timeout` (it is a daemon)."""
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class VideoSource(_Capture):
    """Frames of a video file, every `stride`-th one, with the container's timestamps.

    Single pass: iterate once. The first frame is decoded on open, so an unreadable file
    fails here with a SourceError rather than later as an empty video. With `read_ahead` > 0
    the next frames are decoded in a thread while the caller works (at most that many frames
    wait in memory); 0 decodes each frame when it is asked for.
    """

    def __init__(self, path: str | Path, stride: int = 1, read_ahead: int = DEFAULT_READ_AHEAD,
                 start_frame: int = 0) -> None:
        self.path = Path(path)
        self.stride = _check_stride(stride)
        if isinstance(read_ahead, bool) or not isinstance(read_ahead, int) or read_ahead < 0:
            raise ValueError(f"read_ahead must be a non-negative integer, got {read_ahead!r}")
        self.read_ahead = read_ahead
        if not self.path.exists():
            raise SourceError(f"no such file: {self.path}")
        if self.path.is_dir():
            raise SourceError(f"not a file but a folder: {self.path}")
        if not self.path.is_file():
            raise SourceError(f"not a regular file (a device or a pipe), not a video: {self.path}")
        if self.path.stat().st_size == 0:
            raise SourceError(f"empty file (0 bytes): {self.path}")
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_ANY, _decoder_params(read_ahead))
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"not a readable video: {self.path}")
        if start_frame > 0:  # FFmpeg seeks to the key frame before and decodes up to this one
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, start_frame)
        self._index = start_frame
        ok, first = self._cap.read()
        if not ok or first is None or first.ndim != 3:
            self._cap.release()
            raise SourceError(f"not a readable video (first frame cannot be decoded): {self.path}")
        self.source_height, self.source_width = first.shape[:2]
        if min(self.source_width, self.source_height) < MIN_SIDE:
            self._cap.release()
            raise SourceError(f"only {self.source_width}x{self.source_height} pixels, too small to see hands: "
                              f"{self.path}")
        first = fit_frame(first)
        self.height, self.width = first.shape[:2]  # what the frames yielded measure (scaled down if huge)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if math.isfinite(fps) and 0 < fps <= 1000 else DEFAULT_FPS
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        # Container estimate (exact for most mp4s, approximate for some webm/avi); 0 if unknown.
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else 0
        self._prev: float | None = None
        self._first: tuple[float, np.ndarray] | None = (self._time(), first)
        self._reader: _ReadAhead | None = None
        self._used = False

    def _time(self) -> float:
        """Seconds of the frame just read: the container's time if it has one, kept increasing."""
        msec = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        fallback = self._index / self.fps
        # OpenCV reports 0 (or garbage) when the container carries no timestamps.
        t = msec / 1000.0 if math.isfinite(msec) and (msec > 0 or self._index == 0) else fallback
        if self._prev is not None and t <= self._prev:
            # A repeated or backward stamp (broken muxers do this) must not break monotonicity.
            t = self._prev + 1.0 / self.fps
        self._prev = t
        return t

    def _read_next(self) -> tuple[float, np.ndarray] | None:
        """The next frame to yield with its time, or None at the end. Skipped frames are only
        grabbed (demuxed and decoded, not converted to BGR)."""
        for _ in range(self.stride - 1):
            if not self._cap.grab():
                return None
            self._index += 1
        ok, frame = self._cap.read()
        self._index += 1
        return (self._time(), fit_frame(frame)) if ok and frame is not None else None

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        if self._used:
            raise SourceError(f"video already read (sources are single pass): {self.path}")
        self._used = True
        item, self._first = self._first, None
        try:
            if self.read_ahead:
                self._reader = _ReadAhead(self._read_next, self.read_ahead)
                following = self._reader.get
            else:
                following = self._read_next
            while item is not None:
                yield item
                item = following()
        finally:
            self.close()

    def close(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            if not reader.stop():  # before the release: the thread may be inside read()
                # Releasing the capture under a thread stuck in read() could crash the process;
                # a stuck daemon thread and one capture are the lesser harm.
                LOG.error("video reader of %s did not stop; leaving its capture open", self.path)
                return
        self._cap.release()


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

