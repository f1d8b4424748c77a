"""What `studio/evaluate.py` reads of a simulated session, whichever motion family made it: the
delivered frames' times, tracks and truth, and the rig it was seen with. The families
(`motion_b`, `motion_d`) write their motion apart; they share only this interface."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.types import HandFrame, SpinePoints


@dataclass(frozen=True)
class Camera:
    width: int
    height: int


@dataclass(frozen=True)
class Rig:
    camera: Camera
    fps: float
    spine_cm: float


@dataclass
class SimulatedSession:
    t: np.ndarray            # delivered frame times (truth is per delivered frame)
    labels: np.ndarray
    over_spine: np.ndarray
    strokes: list
    spine: SpinePoints
    frames: list[HandFrame]
    rig: Rig
    crossing: np.ndarray | None = None  # truth: a palm passes over the spine inside a twist (no event)

    def truth_labels(self) -> np.ndarray:
        return self.labels

    def truth_over_spine(self) -> np.ndarray:
        return self.over_spine
