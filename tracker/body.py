"""The receiving person's body in a still: MediaPipe Pose (torso landmarks) and Selfie
Segmentation (a person-vs-background mask), each behind one small class.

Both models ship inside the mediapipe 0.10.21 wheel (modules/pose_landmark, modules/
selfie_segmentation) behind the legacy `mp.solutions` API; these two classes are the only place
that API is used for them, so a port to the Tasks API changes this file alone. Results are in the
image's own normalised coordinates; turning the image (the person lying across the picture) is
the caller's business (feedback.spine_from_image).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

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
        import mediapipe as mp  # lazy: heavy import

        self._pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1,
                                            min_detection_confidence=min_detection_confidence)

    def torso(self, frame_bgr: np.ndarray) -> Torso | None:
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None
        lm = result.pose_landmarks.landmark
        ids = (LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP)
        return Torso(np.array([(lm[i].x, lm[i].y) for i in ids], float),
                     np.array([lm[i].visibility for i in ids], float))

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> "PoseModel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BodyMask:
    """MediaPipe Selfie Segmentation: probability (H, W) float32 that a pixel is a person.
    model_selection=1 is the landscape model (256x144 input), for a wide picture."""

    def __init__(self, model_selection: int = 1) -> None:
        import mediapipe as mp

        self._seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=model_selection)

    def mask(self, frame_bgr: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        return np.asarray(self._seg.process(rgb).segmentation_mask, np.float32)

    def close(self) -> None:
        self._seg.close()

    def __enter__(self) -> "BodyMask":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
