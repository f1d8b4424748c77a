"""Hand landmark detection behind one small interface.

Backed by MediaPipe's Tasks API `HandLandmarker` (mediapipe 1.2.x, every Python 3) on the palm
and landmark models of mediapipe 0.10.21, fetched once into the user's cache (tracker/models.py).
Only this file knows about MediaPipe hands. MediaPipe is imported lazily so that importing
`tracker` stays light.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Iterator

import cv2
import numpy as np

from .types import N_LANDMARKS, Hand, HandFrame


@dataclass(frozen=True)
class DetectorOptions:
    """Options of the hand detector (names and meanings as in legacy MediaPipe Hands).

    static_image_mode=False tracks landmarks from frame to frame and runs the palm
    detector only when a hand is lost: faster and steadier on video. Set it True for
    unrelated still images.
    """

    max_num_hands: int = 2
    model_complexity: int = 1  # 0 = lite, 1 = full (both from the 0.10.21 wheel)
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    static_image_mode: bool = False

    def __post_init__(self) -> None:
        if self.max_num_hands < 1:
            raise ValueError("max_num_hands must be >= 1")
        if self.model_complexity not in (0, 1):
            raise ValueError("model_complexity must be 0 or 1")
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")


class HandDetector:
    """Finds hands in BGR frames and returns them as a HandFrame.

    Landmarks are exactly MediaPipe's: x, y normalised by image width and height, z relative
    depth (wrist-origin, roughly the scale of x). Handedness is MediaPipe's label as given (the
    Tasks API's, opposite to the legacy API's, and it flips at times): do not build logic on it.
    Not thread safe; use one detector per video stream (video mode carries state between frames).
    """

    def __init__(self, options: DetectorOptions | None = None) -> None:
        from . import models

        self.options = options or DetectorOptions()
        o = self.options
        self._mp = models.import_mediapipe()
        # Legacy min_tracking_confidence was the threshold on the landmark model's hand-presence
        # score, below which the palm detector runs again: Tasks calls it presence confidence.
        self._hands: Any = models.hand_landmarker(
            num_hands=o.max_num_hands, full=o.model_complexity == 1, static=o.static_image_mode,
            min_detection_confidence=o.min_detection_confidence,
            min_presence_confidence=o.min_tracking_confidence,
            min_tracking_confidence=o.min_tracking_confidence)
        self._last_ms = -1
        self._quiet_frames = 2  # the graph's notes come with its first frame ("not aligned" ...)
        self._closed = False

    def _timestamp_ms(self, t: float) -> int:
        """Video mode wants strictly increasing integer milliseconds; frames closer than 1 ms,
        repeated or going back in time (a camera's clock, a seek) are moved just after the last."""
        ms = int(round(t * 1000.0)) if np.isfinite(t) else self._last_ms + 1
        ms = max(ms, self._last_ms + 1)
        self._last_ms = ms
        return ms

    def detect(self, frame_bgr: np.ndarray, t: float) -> HandFrame:
        """Hands in one frame taken at `t` seconds (the model sees t only as the video clock)."""
        if self._closed:
            raise RuntimeError("HandDetector is closed")
        if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR image, got {frame_bgr.shape} {frame_bgr.dtype}")
        rgb = np.ascontiguousarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB))
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        with self._notes_held():
            if self.options.static_image_mode:
                result = self._hands.detect(image)
            else:
                result = self._hands.detect_for_video(image, self._timestamp_ms(t))
        hands: list[Hand] = []
        for lms, handedness in zip(result.hand_landmarks or [], result.handedness or []):
            arr = np.array([(p.x, p.y, p.z) for p in lms], dtype=np.float64)
            if arr.shape != (N_LANDMARKS, 3) or not handedness:
                continue
            # As MediaPipe gives it: Tasks names the hand as seen (legacy assumed a mirrored
            # selfie, so the two disagree). Nothing may build logic on it (see NOTES).
            label = handedness[0]
            hands.append(Hand(arr, str(label.category_name), float(label.score)))
        return HandFrame(float(t), hands)

    def _notes_held(self) -> contextlib.AbstractContextManager[None]:
        if self._quiet_frames <= 0:
            return contextlib.nullcontext()
        self._quiet_frames -= 1
        from .models import native_notes_held

        return native_notes_held()

    def close(self) -> None:
        if not self._closed:
            from .models import native_notes_held

            with native_notes_held():  # "DestroyAccelerator" notes
                self._hands.close()
            self._closed = True

    def __enter__(self) -> HandDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def native_logs_hidden(expected: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Keeps MediaPipe's C++ start-up notes ("Created TensorFlow Lite XNNPACK delegate", absl
    warnings), which go straight to file descriptor 2 on every graph, off a command line's
    terminal. Python's own sys.stderr still reaches the terminal meanwhile (progress, errors).
    If the block raises, what was held back is shown, since it may explain why; unless the
    error is one of `expected` (which the caller reports in its own words)."""
    sys.stderr.flush()
    saved = os.dup(2)
    own = io.TextIOWrapper(os.fdopen(os.dup(saved), "wb", buffering=0), write_through=True)
    previous = sys.stderr
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        sys.stderr = own
        try:
            yield
        except BaseException as e:
            if not isinstance(e, expected):
                os.dup2(saved, 2)
                held.seek(0)
                os.write(saved, held.read())
            raise
        finally:
            sys.stderr = previous
            own.close()
            os.dup2(saved, 2)
            os.close(saved)
