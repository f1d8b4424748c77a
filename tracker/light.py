"""Dim and flat frames: measure the light, and brighten a copy for the hand detector.

What is drawn for the user is never changed: `for_detector` returns a new image (or the same
one untouched when the light is fine). The default enhancement is a gamma on the
L channel of LAB chosen from the measured mean luminance: it lifts the dark range where a dim
webcam puts the hands. Contrast-limited adaptive histogram equalisation (CLAHE) of L is kept as
an option: on the rendered tuning conditions it made MediaPipe find fewer hands (at brightness
0.45, both hands in 79-89% of frames against 94-97% with the gamma alone), since it amplifies the
sensor noise that dim light brings.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Below this mean luma (0-255) or this spread (95th - 5th percentile), the frame is enhanced.
DARK_MEAN = 90.0
FLAT_SPREAD = 90.0
TARGET_MEAN = 120.0


@dataclass(frozen=True)
class Light:
    mean: float     # mean luma, 0-255
    p05: float
    p95: float

    @property
    def spread(self) -> float:
        return self.p95 - self.p05

    @property
    def dim(self) -> bool:
        return self.mean < DARK_MEAN or self.spread < FLAT_SPREAD


def measure(frame_bgr: np.ndarray) -> Light:
    """Luma statistics on an 8x subsampled grey image (80x60 at 640x480, under 0.1 ms: it runs on
    every frame of the live pipeline). Nearest-neighbour resizing, since OpenCV copies a strided
    view before converting it; the mean comes from the histogram."""
    h, w = frame_bgr.shape[:2]
    small = cv2.resize(frame_bgr, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_NEAREST)
    counts = np.bincount(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).ravel(), minlength=256)
    hist = counts.cumsum()
    n = hist[-1]
    mean = float(counts @ _LEVELS) / float(n)
    return Light(mean, float(np.searchsorted(hist, 0.05 * n)), float(np.searchsorted(hist, 0.95 * n)))


_LEVELS = np.arange(256, dtype=np.float64)
_LUTS: dict[int, np.ndarray] = {}


def _gamma_lut(mean: float) -> np.ndarray:
    """A gamma that brings the measured mean to TARGET_MEAN (bounded), as a lookup table."""
    m = min(max(mean, 8.0), 250.0) / 255.0
    g = float(np.clip(np.log(TARGET_MEAN / 255.0) / np.log(m), 0.35, 1.0))
    key = int(round(g * 50))
    lut = _LUTS.get(key)
    if lut is None:
        lut = _LUTS[key] = np.clip(255.0 * (np.arange(256) / 255.0) ** (key / 50), 0, 255).astype(np.uint8)
    return lut


def denoise_sigma(light: Light) -> float:
    """Gaussian sigma (px of the camera's frame) to smooth a dim frame with before brightening:
    the webcam's gain makes sensor noise grow as light falls, and a gamma that lifts the dark
    range lifts that noise with it. On the rendered tuning clips at brightness 0.33-0.40 and
    170 cm, the palm detector on a crop around the hands fired in 0-10% of frames after the gamma
    alone and in 26-100% with this smoothing first (raw, unbrightened: 0-23%)."""
    if light.mean >= DARK_MEAN:
        return 0.0
    return 1.0 if light.mean < 60.0 else 0.7


def for_detector(frame_bgr: np.ndarray, light: Light | None = None, mode: str = "gamma",
                 denoise: bool = True) -> np.ndarray:
    """The image the detector should see: `frame_bgr` itself when the light is fine, else an
    enhanced copy (smoothed first when dark, see `denoise_sigma`). `light` may be measured on a
    larger image than `frame_bgr` (a crop of it). mode: "gamma", "clahe" or "gamma+clahe"."""
    light = light or measure(frame_bgr)
    if not light.dim or mode == "none":
        return frame_bgr
    sigma = denoise_sigma(light) if denoise else 0.0
    if sigma > 0:
        frame_bgr = cv2.GaussianBlur(frame_bgr, (5, 5), sigma)
    lab = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2LAB)
    l_chan = lab[:, :, 0]
    if "gamma" in mode:
        l_chan = cv2.LUT(l_chan, _gamma_lut(light.mean))
    if "clahe" in mode:
        # One per call: CLAHE objects keep state and the app may run two streams in threads.
        l_chan = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(l_chan)
    lab[:, :, 0] = l_chan
    out: np.ndarray = cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
    return out
