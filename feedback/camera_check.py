"""Is the camera set up so that the feedback can be trusted? A check over measured figures.

`check(figures)` is a pure function: each problem it finds says what is wrong, with the
measured figure, and what to do. `CameraWatch` gathers the figures from frames (hand sizes and
how often hands are found from the analysis, brightness from the detector's light measurement,
frame rate from the timestamps) in fixed memory: histograms, not per-frame lists. The best
form-feedback apps warn about camera placement this way before anyone trusts a count.

Thresholds (what MediaPipe needs, measured on the renderer's tuning conditions, see README;
`python -m studio.real_room --set tune`):
- hands: with a palm (index to little-finger knuckle) 12-16 px wide, bare MediaPipe found a
  hand in 61% of frames, the region-of-interest detector (tracker/roi.py) in 98%; nothing
  smaller was measured, so below MIN_PALM_PX the answer is to move closer;
- light: down to a mean luma of about 45 (of 255) the detector, on a brightened copy, still
  found hands in 97-99% of frames; below MIN_BRIGHTNESS nothing was measured, and webcams
  slow down and blur there;
- frame rate: a repetitive motion is measured only below half the frame rate (Nyquist), and
  the guide's tapotement, "brief, repetitive contacts", runs up to about TAPPING_MAX_HZ per hand.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

MIN_PALM_PX = 14.0
MIN_BRIGHTNESS = 40.0
TAPPING_MAX_HZ = 10.0
MIN_HANDS_FOUND = 0.6      # of the frames, once MIN_SECONDS have been seen
MIN_SECONDS = 5.0
EDGE_MARGIN = 0.03         # of the frame: the neck or sacrum this close to the edge is cut off


@dataclass(frozen=True)
class CameraFigures:
    seconds: float
    fps: float | None             # frames per second delivered
    brightness: float | None      # median of the frames' mean luma, 0-255 (None: not measured)
    palm_px: float | None         # median palm width of the hands found, pixels
    hands_found: float | None     # share of frames with at least one hand
    spine: tuple | None = None    # ((hx, hy), (sx, sy)) normalised, or None

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


@dataclass(frozen=True)
class CameraProblem:
    code: str      # hands_small, too_dark, low_fps, back_cut_off, hands_rarely_found
    message: str   # what is wrong, with the figure, then what to do

    def to_dict(self) -> dict:
        return asdict(self)


def check(f: CameraFigures) -> list[CameraProblem]:
    """The problems with this camera set-up, most important first (empty: all fine)."""
    out: list[CameraProblem] = []
    if f.spine is not None:
        pts = np.asarray(f.spine, float)
        if (pts < EDGE_MARGIN).any() or (pts > 1 - EDGE_MARGIN).any():
            out.append(CameraProblem("back_cut_off", "The back is not fully in view (the neck or the hips are at "
                                     "the edge of the picture): turn or move the laptop so the whole back, neck "
                                     "to hips, is in the picture."))
    if f.palm_px is not None and f.palm_px < MIN_PALM_PX:
        out.append(CameraProblem("hands_small", f"The hands are small in the picture (about {f.palm_px:.0f} px "
                                 "across the palm): move the laptop closer, about 1 m or less from the back, or "
                                 "raise it so it looks down on the back."))
    if f.brightness is not None and f.brightness < MIN_BRIGHTNESS:
        out.append(CameraProblem("too_dark", f"The light is too low for the camera (brightness {f.brightness:.0f} "
                                 "of 255): more light, or a lamp behind the camera pointing at the back."))
    if f.fps is not None and f.fps < 2 * TAPPING_MAX_HZ:
        out.append(CameraProblem("low_fps", f"The camera gives {f.fps:.0f} fps: tapping cannot be judged (it "
                                 f"needs more than {2 * TAPPING_MAX_HZ:.0f} fps). More light lets most webcams "
                                 "run faster; close other programs using the camera."))
    if f.hands_found is not None and f.seconds >= MIN_SECONDS and f.hands_found < MIN_HANDS_FOUND:
        small = any(p.code in ("hands_small", "too_dark") for p in out)
        out.append(CameraProblem("hands_rarely_found", f"Hands were found in only {100 * f.hands_found:.0f}% of "
                                 "the frames: " + ("fix the above first. " if small else "")
                                 + "Keep your hands and wrists in view, bare to the wrist; a plain, contrasting "
                                 "sheet or towel around the back helps."))
    return out


def palm_widths_px(frame, width: int, height: int) -> list[float]:
    """Palm width (index to little-finger knuckle) of each hand of a HandFrame, in pixels."""
    out = []
    for h in frame.hands:
        a, b = h.landmarks[5], h.landmarks[17]
        out.append(math.hypot((a[0] - b[0]) * width, (a[1] - b[1]) * height))
    return out


class CameraWatch:
    """Gathers CameraFigures from frames in fixed memory. With `window_s`, figures cover about
    the last window_s to 2 * window_s seconds (for the live page: the check follows the set-up
    as the user moves the laptop); without, the whole session."""

    def __init__(self, window_s: float | None = None) -> None:
        self.window_s = window_s
        self._cur = _Tally()
        self._prev = _Tally()

    def add(self, t: float, palm_widths_px: list[float], brightness: float | None = None) -> None:
        if self.window_s is not None and self._cur.t0 is not None and t - self._cur.t0 >= self.window_s:
            self._prev, self._cur = self._cur, _Tally()
        self._cur.add(t, palm_widths_px, brightness)

    def add_brightness(self, brightness: float) -> None:
        """The brightness of the frame last added (measured elsewhere, e.g. by the detector)."""
        self._cur.add_brightness(brightness)

    def figures(self, spine: tuple | None = None) -> CameraFigures:
        a = self._prev.merged(self._cur)
        if a.frames == 0:
            return CameraFigures(0.0, None, None, None, None, spine)
        span = (a.t1 - a.t0) if a.t1 is not None and a.t0 is not None else 0.0
        fps = (a.frames - 1) / span if span > 0 and a.frames > 1 else None
        seconds = round(span + (1 / fps if fps else 0.0), 3)
        return CameraFigures(seconds, fps, _hist_median(a.luma), _hist_median(a.palm), a.found / a.frames, spine)


class _Tally:
    def __init__(self) -> None:
        self.frames = 0
        self.found = 0
        self.t0: float | None = None
        self.t1: float | None = None
        self.luma = np.zeros(256, np.int64)
        self.palm = np.zeros(512, np.int64)  # 1 px bins; wider palms in the last bin

    def add(self, t: float, palm_widths_px: list[float], brightness: float | None) -> None:
        self.frames += 1
        self.t0 = t if self.t0 is None else self.t0
        self.t1 = t
        if palm_widths_px:
            self.found += 1
            for w in palm_widths_px:
                self.palm[min(max(int(w), 0), 511)] += 1
        if brightness is not None:
            self.add_brightness(brightness)

    def add_brightness(self, brightness: float) -> None:
        self.luma[min(max(int(brightness), 0), 255)] += 1

    def merged(self, other: "_Tally") -> "_Tally":
        m = _Tally()
        m.frames, m.found = self.frames + other.frames, self.found + other.found
        ts0 = [x for x in (self.t0, other.t0) if x is not None]
        ts1 = [x for x in (self.t1, other.t1) if x is not None]
        m.t0, m.t1 = (min(ts0) if ts0 else None), (max(ts1) if ts1 else None)
        m.luma, m.palm = self.luma + other.luma, self.palm + other.palm
        return m


def _hist_median(h: np.ndarray) -> float | None:
    n = int(h.sum())
    if n == 0:
        return None
    return float(np.searchsorted(np.cumsum(h), (n + 1) / 2)) + 0.5
