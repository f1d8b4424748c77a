"""Timestamped hand landmarks: the tracker's output and the analysis core's input.

Plain dataclasses over numpy arrays, shaped after MediaPipe's own result objects, so the
analysis never imports MediaPipe and can be fed from a track file, a simulator or a camera.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

N_LANDMARKS = 21

# MediaPipe hand landmark indices used by the analysis.
WRIST = 0
THUMB_TIP = 4
INDEX_MCP, MIDDLE_MCP, RING_MCP, PINKY_MCP = 5, 9, 13, 17
FINGERTIPS = (8, 12, 16, 20)
PALM = (WRIST, INDEX_MCP, MIDDLE_MCP, RING_MCP, PINKY_MCP)


@dataclass
class Hand:
    """One detected hand. `landmarks` is (21, 3): x, y normalised to [0, 1] by the image
    width and height, z relative depth, exactly as MediaPipe gives them."""

    landmarks: np.ndarray
    handedness: str = "Right"  # unreliable (see NOTES): never build logic on it
    score: float = 1.0

    def __post_init__(self) -> None:
        self.landmarks = np.asarray(self.landmarks, dtype=np.float64).reshape(N_LANDMARKS, 3)


@dataclass
class HandFrame:
    """All hands seen in one video frame, at `t` seconds from the video's own timestamps."""

    t: float
    hands: list[Hand] = field(default_factory=list)


@dataclass(frozen=True)
class SpinePoints:
    """The spine segment in normalised image coordinates: `head` is the base of the neck."""

    head: tuple[float, float]
    sacrum: tuple[float, float]


@dataclass
class TrackHeader:
    """First line of a massage-track file."""

    width: int
    height: int
    fps: float
    spine: SpinePoints | None = None


@dataclass(frozen=True)
class ImageEvidence:
    """A spine line seen in still pictures (tracker.spine_image), with the features the
    automatic line's confidence uses; `points` is None when nothing was found."""

    points: SpinePoints | None
    source: str                          # "pose" or "outline"
    features: dict = field(default_factory=dict)
