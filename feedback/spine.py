"""The spine line and the spine-relative ("back") frame the analysis works in.

Landmarks arrive normalised by image width and height separately, so geometry is done in
pixels (aspect kept) and then expressed in scale-free units: `along` in spine lengths from the
sacrum (0) to the base of the neck (1), `across` in spine lengths, positive on the person's
right (seen from above, head up), and distances to the spine in palm sizes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.types import SpinePoints


class SpineError(ValueError):
    """No usable spine line (missing, degenerate or outside the image)."""


@dataclass(frozen=True)
class SpineLine:
    head: tuple[float, float]    # base of the neck, normalised image coordinates
    sacrum: tuple[float, float]
    width: int                   # image size in pixels, to undo the normalisation
    height: int
    confidence: float = 1.0
    source: str = "manual"       # flag, track, calibration or pose

    def __post_init__(self) -> None:
        for name in ("head", "sacrum"):
            x, y = getattr(self, name)
            if not (np.isfinite(x) and np.isfinite(y)) or not (-0.5 <= x <= 1.5 and -0.5 <= y <= 1.5):
                raise SpineError(f"spine {name} point ({x}, {y}) is not in normalised image coordinates")
        if self.width <= 0 or self.height <= 0:
            raise SpineError("image size must be positive")
        if self.length_px < 0.05 * max(self.width, self.height):
            raise SpineError("spine line is too short: neck and sacrum points nearly coincide")
        # Plain floats for the per-frame path (numpy on two numbers costs more than the maths).
        sx, sy = self.sacrum[0] * self.width, self.sacrum[1] * self.height
        ax, ay = self.head[0] * self.width - sx, self.head[1] * self.height - sy
        object.__setattr__(self, "_fast", (sx, sy, ax, ay, ax * ax + ay * ay))

    @classmethod
    def from_points(cls, pts: SpinePoints, width: int, height: int, source: str = "track",
                    confidence: float = 1.0) -> "SpineLine":
        return cls(tuple(pts.head), tuple(pts.sacrum), width, height, confidence, source)

    @classmethod
    def parse(cls, text: str, width: int, height: int, source: str = "flag") -> "SpineLine":
        """From 'HX,HY,SX,SY' (normalised), as the command-line flag gives it."""
        try:
            hx, hy, sx, sy = (float(v) for v in text.split(","))
        except ValueError:
            raise SpineError(f"--spine wants four numbers HX,HY,SX,SY, got {text!r}") from None
        return cls((hx, hy), (sx, sy), width, height, 1.0, source)

    def points(self) -> SpinePoints:
        return SpinePoints(tuple(self.head), tuple(self.sacrum))

    @property
    def _px(self) -> tuple[np.ndarray, np.ndarray]:
        scale = np.array([self.width, self.height], float)
        return np.asarray(self.sacrum) * scale, np.asarray(self.head) * scale

    @property
    def length_px(self) -> float:
        s, h = self._px
        return float(np.hypot(*(h - s)))

    def to_back(self, xy_px: np.ndarray) -> np.ndarray:
        """Pixel points (..., 2) -> (..., 2) of (along, across) in spine lengths."""
        s, h = self._px
        axis = h - s
        l2 = axis @ axis
        d = np.asarray(xy_px, float) - s
        along = (d @ axis) / l2
        # Image y points down, so this sign puts the person's right (head up) at +across.
        across = (axis[1] * d[..., 0] - axis[0] * d[..., 1]) / l2
        return np.stack([along, -across], axis=-1)


    def point_to_back(self, x: float, y: float) -> tuple[float, float]:
        """One pixel point -> (along, across), as `to_back`, without numpy."""
        sx, sy, ax, ay, l2 = self._fast
        dx, dy = x - sx, y - sy
        return (dx * ax + dy * ay) / l2, -(ay * dx - ax * dy) / l2


def palm_size_px(landmarks_px: np.ndarray) -> float:
    """sqrt of the area of the palm polygon (wrist and the four knuckles), in pixels.

    Area shrinks by the same factor whatever way the hand points on an obliquely seen back,
    so its square root is a steadier scale than any single bone length.
    """
    p = landmarks_px[[0, 5, 9, 13, 17], :2]
    x, y = p[:, 0], p[:, 1]
    area = 0.5 * abs(x @ np.roll(y, 1) - y @ np.roll(x, 1))
    return float(np.sqrt(area))


# An adult's knuckle width (index to little-finger knuckle) is about 1.15 palm sizes as
# defined above; guide values given in palm widths are converted with it.
PALM_WIDTH_PER_SIZE = 1.15
