"""Hand landmark detection behind one small interface.

Backed by MediaPipe's legacy `mp.solutions.hands` because mediapipe 0.10.21 is the last
release whose wheel ships the palm and landmark models: everything runs offline. Only this
file knows about MediaPipe hands, so moving to the Tasks API HandLandmarker (see NOTES: the
shipped .tflite files zipped as a .task work there too) changes nothing outside it.
MediaPipe is imported lazily so that importing `tracker` stays light.
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
    """Options of the hand detector (names and meanings as in MediaPipe Hands).

    static_image_mode=False tracks landmarks from frame to frame and runs the palm
    detector only when a hand is lost: faster and steadier on video. Set it True for
    unrelated still images.
    """

    max_num_hands: int = 2
    model_complexity: int = 1  # 0 = lite, 1 = full; both ship in the 0.10.21 wheel
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
    depth (wrist-origin, roughly the scale of x). Handedness is MediaPipe's label as given,
    which assumes a mirrored selfie image and flips at times: do not build logic on it.
    Not thread safe; use one detector per video stream (video mode carries state between frames).
    """

    def __init__(self, options: DetectorOptions | None = None) -> None:
        import mediapipe as mp  # lazy: heavy import, and only this file should need it

        self.options = options or DetectorOptions()
        o = self.options
        self._hands: Any = mp.solutions.hands.Hands(
            static_image_mode=o.static_image_mode,
            max_num_hands=o.max_num_hands,
            model_complexity=o.model_complexity,
            min_detection_confidence=o.min_detection_confidence,
            min_tracking_confidence=o.min_tracking_confidence,
        )
        self._closed = False

    def detect(self, frame_bgr: np.ndarray, t: float) -> HandFrame:
        """Hands in one frame taken at `t` seconds (t is passed through, not used by the model)."""
        if self._closed:
            raise RuntimeError("HandDetector is closed")
        if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR image, got {frame_bgr.shape} {frame_bgr.dtype}")
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        # Lets MediaPipe wrap the buffer without copying it.
        rgb.flags.writeable = False
        result = self._hands.process(rgb)
        hands: list[Hand] = []
        for lms, handedness in zip(result.multi_hand_landmarks or [], result.multi_handedness or []):
            arr = np.array([(p.x, p.y, p.z) for p in lms.landmark], dtype=np.float64)
            if arr.shape != (N_LANDMARKS, 3):
                continue
            label = handedness.classification[0]
            hands.append(Hand(arr, label.label, float(label.score)))
        return HandFrame(float(t), hands)

    def close(self) -> None:
        if not self._closed:
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
