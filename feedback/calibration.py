"""The spine calibration, remembered between runs in one small JSON file.

The live page needs the spine line (base of the neck -> sacrum) of the person on the table as
the camera sees them. It is found automatically (MediaPipe Pose on a still) or clicked by hand,
and saved here only when the user presses save/calibrate: this is the only thing the app
writes to disk without an explicit download.

Where: $MASSAGE_COACH_HOME/calibration.json when that variable is set (tests), otherwise
$XDG_CONFIG_HOME/massage-coach/calibration.json, i.e. ~/.config/massage-coach/calibration.json.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from tracker.filestore import atomic_write
from tracker.types import SpinePoints

ENV_HOME = "MASSAGE_COACH_HOME"
FILE_NAME = "calibration.json"
VERSION = 1


class CalibrationError(ValueError):
    """A calibration that cannot be saved (points missing or outside the image)."""


@dataclass(frozen=True)
class Calibration:
    head: tuple[float, float]      # base of the neck, normalised image coordinates
    sacrum: tuple[float, float]
    source: str = "manual"         # "manual" (clicked) or "pose" (MediaPipe Pose)
    confidence: float = 1.0
    image_size: tuple[int, int] | None = None   # (width, height) of the still it was set on
    saved_at: float = 0.0          # unix time

    def points(self) -> SpinePoints:
        return SpinePoints(tuple(self.head), tuple(self.sacrum))

    def to_dict(self) -> dict:
        return {"version": VERSION, "head": list(self.head), "sacrum": list(self.sacrum),
                "source": self.source, "confidence": round(float(self.confidence), 3),
                "image_size": list(self.image_size) if self.image_size else None,
                "saved_at": self.saved_at}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        head = _point(d.get("head"), "head")
        sacrum = _point(d.get("sacrum"), "sacrum")
        size = d.get("image_size")
        size = (int(size[0]), int(size[1])) if isinstance(size, (list, tuple)) and len(size) == 2 else None
        return cls(head, sacrum, str(d.get("source", "manual")), float(d.get("confidence", 1.0)),
                   size, float(d.get("saved_at", 0.0)))


def _point(v, name: str) -> tuple[float, float]:
    try:
        x, y = (float(c) for c in v)
    except (TypeError, ValueError):
        raise CalibrationError(f"the {name} point is missing or not two numbers") from None
    if not (math.isfinite(x) and math.isfinite(y) and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise CalibrationError(f"the {name} point ({x:.3g}, {y:.3g}) is outside the picture")
    return (x, y)


def config_dir() -> Path:
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "massage-coach"


def calibration_path() -> Path:
    return config_dir() / FILE_NAME


def load() -> Calibration | None:
    """The saved calibration, or None when there is none (or the file is unreadable: a broken
    file is treated as no calibration, never as an error the user cannot fix)."""
    path = calibration_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return None
        return Calibration.from_dict(data)
    except (OSError, ValueError):
        return None


def save(head, sacrum, source: str = "manual", confidence: float = 1.0,
         image_size: tuple[int, int] | None = None) -> Calibration:
    """Validate and save (atomically: a crash never leaves half a file). Returns what was saved."""
    head, sacrum = _point(head, "head"), _point(sacrum, "sacrum")
    if math.dist(head, sacrum) < 0.05:
        raise CalibrationError("the base of the neck and the sacrum are almost the same point")
    cal = Calibration(head, sacrum, source, float(confidence),
                      (int(image_size[0]), int(image_size[1])) if image_size else None, time.time())
    path = calibration_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        json.dump(cal.to_dict(), f, indent=2)
    return cal


def clear() -> bool:
    """Forget the saved calibration. True if there was one."""
    path = calibration_path()
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False
