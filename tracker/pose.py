"""Where the spine is: mid-shoulders (base of the neck) to mid-hips (sacrum), from body pose.

MediaPipe's Tasks PoseLandmarker on the full pose model of the 0.10.21 wheel (tracker/models.py;
the same model as legacy Pose with model_complexity=1) on a few frames of the session. The person
lies face down and is seen from a laptop camera, a view the model was not trained for, and
the practitioner's own body may be the "most prominent person" it picks. Checked on a real
clip of one open hand (shared/real_hands): Pose "found" a whole body in the hand and forearm,
with visibility 1.0 on every torso landmark. So: a frame whose spine is not clearly longer
than a detected hand is rejected; per-frame spines are combined by the median over the frames
where a body is found; the confidence drops with low landmark visibility, with few frames
found, and with disagreement between frames. None when no body is found. The user can always
give the spine by hand (--spine).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from .hands import DetectorOptions, HandDetector
from .types import SpinePoints

# MediaPipe Pose landmark indices.
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 11, 12, 23, 24
_TORSO = (LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP)

# A spine shorter than this (normalised) is a detection of something else, or a body seen
# end-on; either way no direction can be trusted.
MIN_SPINE_LENGTH = 0.05


@dataclass(frozen=True)
class SpineEstimate:
    head: tuple[float, float]  # base of the neck (mid-shoulders), normalised x, y
    sacrum: tuple[float, float]  # mid-hips, normalised x, y
    confidence: float  # 0..1: visibility x fraction of frames found x agreement between frames
    frames_used: int  # frames in which a torso was found

    @property
    def points(self) -> SpinePoints:
        return SpinePoints(self.head, self.sacrum)


def _torso(landmarks: Any, min_visibility: float) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(head, sacrum, visibility) of one pose result, or None if the torso is not clearly seen."""
    pts = [landmarks[i] for i in _TORSO]
    vis = min(float(p.visibility or 0.0) for p in pts)
    if vis < min_visibility:
        return None
    xy = np.array([(p.x, p.y) for p in pts], dtype=np.float64)
    head, sacrum = xy[:2].mean(axis=0), xy[2:].mean(axis=0)
    if np.linalg.norm(head - sacrum) < MIN_SPINE_LENGTH:
        return None
    if not all(np.all((p >= 0.0) & (p <= 1.0)) for p in (head, sacrum)):
        return None  # an end out of the picture is a guess, and no use to coach around
    return head, sacrum, vis


def _smaller_than_a_hand(head: np.ndarray, sacrum: np.ndarray, hands: HandDetector,
                         frame: np.ndarray) -> bool:
    """True when a hand in the frame is about as big as the spine: then the "body" is a hand
    and forearm (seen on real video). A real spine (~50 cm) is 2.5x a hand's length (~19 cm);
    1.2x leaves room for perspective. Lengths in pixels, so the image aspect does not skew them."""
    scale = np.array(frame.shape[1::-1], dtype=np.float64)  # (width, height)
    spine_px = float(np.linalg.norm((head - sacrum) * scale))
    for hand in hands.detect(frame, 0.0).hands:
        xy = hand.landmarks[:, :2] * scale
        if spine_px < 1.2 * float(np.linalg.norm(xy.max(axis=0) - xy.min(axis=0))):
            return True
    return False


def estimate_spine(frames_bgr: Iterable[np.ndarray], min_visibility: float = 0.5,
                   min_detection_confidence: float = 0.5) -> SpineEstimate | None:
    """Median spine over `frames_bgr` (a few frames spread over the session is enough)."""
    from . import models  # lazy: MediaPipe is a heavy import

    found: list[tuple[np.ndarray, np.ndarray, float]] = []
    n_frames = 0
    # Image mode: the sampled frames are far apart in time, so tracking between them is meaningless.
    # A few frames in all: the graph's native notes are held back the whole time.
    with models.native_notes_held(), \
            models.pose_landmarker(static=True, min_detection_confidence=min_detection_confidence) as pose, \
            HandDetector(DetectorOptions(static_image_mode=True)) as hands:
        for frame in frames_bgr:
            n_frames += 1
            result = pose.detect(models.rgb_image(frame))
            if result.pose_landmarks:
                torso = _torso(result.pose_landmarks[0], min_visibility)
                if torso is not None and not _smaller_than_a_hand(torso[0], torso[1], hands, frame):
                    found.append(torso)
    if not found:
        return None
    heads = np.array([f[0] for f in found])
    sacra = np.array([f[1] for f in found])
    head, sacrum = np.median(heads, axis=0), np.median(sacra, axis=0)
    length = float(np.linalg.norm(head - sacrum))
    if length < MIN_SPINE_LENGTH:
        return None  # medians of disagreeing frames collapsed: no usable direction
    visibility = float(np.median([f[2] for f in found]))
    # Agreement: typical distance of a frame's endpoints from the medians, relative to the spine
    # length; 1 when all frames agree, 0 when frames scatter by half a spine or more.
    spread = float(np.median(np.r_[np.linalg.norm(heads - head, axis=1),
                                   np.linalg.norm(sacra - sacrum, axis=1)]))
    agreement = max(0.0, 1.0 - spread / (0.5 * length))
    confidence = visibility * (len(found) / n_frames) * agreement
    return SpineEstimate(
        head=(float(head[0]), float(head[1])),
        sacrum=(float(sacrum[0]), float(sacrum[1])),
        confidence=round(confidence, 3),
        frames_used=len(found),
    )
