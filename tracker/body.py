"""The receiving person's body in a still: MediaPipe Pose (torso landmarks) and selfie
segmentation (a person-vs-background mask), each behind one small class.

Both run on the Tasks API with models from the mediapipe 0.10.21 wheel (tracker/models.py): the
full pose model (PoseLandmarker) and the selfie-segmentation model (ImageSegmenter). Results are
in the image's own normalised coordinates; turning the image (the person lying across the
picture) is the caller's business (tracker.spine_image).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import models

# MediaPipe Pose landmark indices of the torso.
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 11, 12, 23, 24


@dataclass(frozen=True)
class Torso:
    """Shoulders and hips (4, 2) normalised x, y, and their visibilities (4,)."""

    points: np.ndarray
    visibility: np.ndarray

    @property
    def neck(self) -> np.ndarray:
        return self.points[:2].mean(axis=0)

    @property
    def sacrum(self) -> np.ndarray:
        return self.points[2:].mean(axis=0)


class PoseModel:
    """MediaPipe Pose (full model, still images)."""

    def __init__(self, min_detection_confidence: float = 0.3) -> None:
        self._pose = models.pose_landmarker(static=True, min_detection_confidence=min_detection_confidence)

    def torso(self, frame_bgr: np.ndarray) -> Torso | None:
        with models.native_notes_held():
            result = self._pose.detect(models.rgb_image(frame_bgr))
        if not result.pose_landmarks:
            return None
        lm = result.pose_landmarks[0]
        ids = (LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP)
        return Torso(np.array([(lm[i].x, lm[i].y) for i in ids], float),
                     np.array([float(lm[i].visibility or 0.0) for i in ids], float))

    def close(self) -> None:
        with models.native_notes_held():
            self._pose.close()

    def __enter__(self) -> "PoseModel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BodyMask:
    """Selfie segmentation: probability (H, W) float32 that a pixel is a person. The general
    model (256x256 input) of the 0.10.21 wheel, the one the model cache keeps."""

    def __init__(self) -> None:
        self._seg = models.image_segmenter(static=True)

    def mask(self, frame_bgr: np.ndarray) -> np.ndarray:
        h, w = frame_bgr.shape[:2]
        with models.native_notes_held():
            result = self._seg.segment(models.rgb_image(frame_bgr))
        # A copy: numpy_view() points into memory MediaPipe frees with the result.
        return np.array(result.confidence_masks[0].numpy_view(), np.float32).reshape(h, w)

    def close(self) -> None:
        with models.native_notes_held():
            self._seg.close()

    def __enter__(self) -> "BodyMask":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
