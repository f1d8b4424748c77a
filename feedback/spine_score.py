"""Is a spine line good? The measure of issue #10, in one place for the tests and the evaluation.

Good = its angle within 10 degrees of the true line, its midpoint within 8% of the true spine's
length from the true midpoint, and the head at the right end (all in pixels, aspect kept).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.types import SpinePoints

MAX_ANGLE_DEG = 10.0
MAX_MID_SHARE = 0.08


@dataclass(frozen=True)
class LineScore:
    angle_deg: float      # between the lines, ignoring which end is the head (0..90)
    mid_share: float      # midpoint distance / true length
    head_right: bool      # head end on the true head's side

    @property
    def line_good(self) -> bool:
        return self.angle_deg <= MAX_ANGLE_DEG and self.mid_share <= MAX_MID_SHARE

    @property
    def good(self) -> bool:
        return self.line_good and self.head_right


def score_line(found: SpinePoints, truth: SpinePoints, width: int, height: int) -> LineScore:
    s = np.array([width, height], float)
    fh, fs = np.asarray(found.head) * s, np.asarray(found.sacrum) * s
    th, ts = np.asarray(truth.head) * s, np.asarray(truth.sacrum) * s
    fa, ta = fh - fs, th - ts
    cos = float(fa @ ta / max(np.linalg.norm(fa) * np.linalg.norm(ta), 1e-9))
    angle = float(np.degrees(np.arccos(min(1.0, abs(cos)))))
    mid = float(np.linalg.norm((fh + fs) / 2 - (th + ts) / 2) / max(np.linalg.norm(ta), 1e-9))
    return LineScore(angle, mid, cos > 0)
