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
MIN_LENGTH = 0.05   # neck to sacrum, in image widths: shorter is a mis-click, not a spine


MAX_FILE_BYTES = 64 * 1024   # a calibration is some 200 bytes
MAX_SIDE = 16384
LATEST_SAVED_AT = 4102444800.0   # 2100-01-01: a later (or infinite) time is a broken file
SOURCES = ("manual", "pose", "strokes")  # set by hand, from a still, from the strokes (live)


class CalibrationError(ValueError):
    """A calibration that cannot be saved or read (points missing or outside the image, a
    broken file); the message is one line a person can act on."""


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
    def from_dict(cls, d: object) -> "Calibration":
        """Strictly validated (CalibrationError with a one-line reason): the file may have been
        edited by hand or damaged, and a wrong line is worse than none."""
        pts = spine_points(d)
        if d.get("version", VERSION) != VERSION:
            raise CalibrationError(f"unknown version {str(d.get('version'))[:20]}")
        source = d.get("source", "manual")
        if source not in SOURCES:
            raise CalibrationError(f"source must be one of {', '.join(SOURCES)}")
        confidence = _number(d.get("confidence", 1.0), "confidence", 0.0, 1.0)
        size = d.get("image_size")
        if size is not None:
            if not (isinstance(size, list) and len(size) == 2
                    and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_SIDE for v in size)):
                raise CalibrationError(f"image_size must be [width, height] in pixels (1 to {MAX_SIDE})")
            size = (size[0], size[1])
        saved_at = _number(d.get("saved_at", 0.0), "saved_at", 0.0, LATEST_SAVED_AT)
        return cls(pts.head, pts.sacrum, source, confidence, size, saved_at)


def _number(v: object, name: str, lo: float, hi: float) -> float:
    # bool is an int in Python; "0.5" is a string: neither is a number in this file.
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:  # NaN fails too
        raise CalibrationError(f"{name} must be a number from {lo:g} to {hi:g}")
    return float(v)


def _point(v: object, name: str) -> tuple[float, float]:
    if not (isinstance(v, (list, tuple)) and len(v) == 2
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in v)):
        raise CalibrationError(f"the {name} point is missing or not two numbers [x, y]")
    if not all(0.0 <= c <= 1.0 for c in v):  # NaN, infinities and huge integers fail too (no float() first)
        shown = ", ".join(f"{c:.3g}" if isinstance(c, float) or abs(c) < 1e6 else "huge" for c in v)
        raise CalibrationError(f"the {name} point ({shown}) is outside the picture (0 to 1)")
    return (float(v[0]), float(v[1]))


def _floats(v: object) -> tuple | None:
    """A point given by code (numpy floats welcome) as plain floats; None if it is not numbers."""
    try:
        return tuple(float(c) for c in v)
    except (TypeError, ValueError):
        return None


def spine_points(d: object) -> SpinePoints:
    """{"head": [x, y], "sacrum": [x, y], ...} -> SpinePoints, or CalibrationError saying why.
    The one check for every spine calibration read from a file: the saved calibration, and a
    video's `<name>.spine.json` (read by the command line and the app alike)."""
    if not isinstance(d, dict):
        raise CalibrationError("not a JSON object with \"head\" and \"sacrum\"")
    head, sacrum = _point(d.get("head"), "head"), _point(d.get("sacrum"), "sacrum")
    if math.dist(head, sacrum) < MIN_LENGTH:
        raise CalibrationError("the base of the neck and the sacrum are almost the same point")
    return SpinePoints(head, sacrum)


def read_json(path: Path) -> object:
    """A small JSON file, or CalibrationError (FileNotFoundError passes through: no file)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise CalibrationError(f"{path} is a folder, not a spine calibration file") from None
    except OSError as e:
        raise CalibrationError(f"{path}: cannot read it ({e.strerror or e})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise CalibrationError(f"{path}: too large for a spine calibration (over {MAX_FILE_BYTES // 1024} kB)")
    try:
        return json.loads(raw)
    except RecursionError:
        raise CalibrationError(f"{path}: not a spine calibration (JSON nested too deeply)") from None
    except ValueError:  # bad JSON, bad UTF-8
        raise CalibrationError(f"{path}: not a spine calibration (not valid JSON)") from None


def config_dir() -> Path:
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "massage-coach"


def calibration_path() -> Path:
    return config_dir() / FILE_NAME


def load() -> Calibration | None:
    """The saved calibration, or None when there is none. A broken file raises
    CalibrationError naming the file and the reason: the pages show it with a button to forget
    it, the command line exits 2 with it (silently ignoring it would hide a lost calibration)."""
    path = calibration_path()
    try:
        data = read_json(path)
    except FileNotFoundError:
        return None
    try:
        return Calibration.from_dict(data)
    except CalibrationError as e:
        raise CalibrationError(f"{path}: {e}") from None


def save(head, sacrum, source: str = "manual", confidence: float = 1.0,
         image_size: tuple[int, int] | None = None) -> Calibration:
    """Validate and save (atomically: a crash never leaves half a file). Returns what was saved."""
    head, sacrum = _point(_floats(head), "head"), _point(_floats(sacrum), "sacrum")
    if math.dist(head, sacrum) < MIN_LENGTH:
        raise CalibrationError("the base of the neck and the sacrum are almost the same point")
    cal = Calibration(head, sacrum, source, float(confidence),
                      (int(image_size[0]), int(image_size[1])) if image_size else None, time.time())
    path = calibration_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        json.dump(cal.to_dict(), f, indent=2)
    return cal


def clear() -> bool:
    """Forget the saved calibration, broken or not. True if there was one. An empty folder in
    its place is removed too; a folder with files in it is left (CalibrationError says so)."""
    path = calibration_path()
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False
    except IsADirectoryError:
        try:
            path.rmdir()
            return True
        except OSError:
            raise CalibrationError(f"{path} is a folder with files in it: remove it by hand") from None
    except OSError as e:
        raise CalibrationError(f"{path}: cannot remove it ({e.strerror or e})") from None
