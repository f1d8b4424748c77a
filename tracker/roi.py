"""Small hands and dim light: hand detection on an enlarged region of interest.

MediaPipe's palm detector sees the whole image shrunk to 192x192, so a hand 60 px long in a
640x480 frame is 18 px to it, below what it finds reliably; a laptop 1-1.6 m from the back gives
exactly such hands. Once the back is known (the spine line and the body's width around it) there
is no need to show the detector the room: `RegionDetector` crops the back (with a margin for the
hands and forearms), scales the crop up to a working size, runs the detector on it, and maps the
landmarks back to full-frame coordinates (x, y exactly; z, which MediaPipe scales like x, by the
crop's width). The crop stays put while the back does, so the detector's own video-mode tracking
(a box around the last landmarks, expanded, the next frame) follows the hands inside it as it
would on the full frame. Without a back, the region follows the hands: the union of their recent
boxes, expanded, moved only when a hand nears its edge (a moving crop confuses that tracking).

When nothing is found for `full_frame_after_s`, the views take turns: the back's region, the
full frame (a hand outside the region, or a wrong region, is not missed for good) and four
overlapping squares over the back, 0.6 of its longer side each (on tuning clips at 160-175 cm in
dim light the palm detector, shown a region 8-14 palm widths across, fired far more often than
on the whole back). The region and the full frame have a detector each, the squares share one.
A second zoom level that followed the hands once found was tried and measured worse: MediaPipe's
frame-to-frame tracking loses hands in a moving crop.
When the region is nearly the whole frame (the near cameras of the bundled samples), the full
frame is used as before, at no extra cost.

Dim or flat frames are enhanced for the detector only (`tracker.light`); the caller's frame is
never changed. Backend-agnostic: this calls only `detect(image, t)` and `close()` of detectors
made by `make_detector` (tracker.hands.HandDetector by default).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import cv2
import numpy as np

from . import light as light_mod
from .types import Hand, HandFrame, SpinePoints


class Detector(Protocol):
    def detect(self, frame_bgr: np.ndarray, t: float) -> HandFrame: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RoiOptions:
    # Zoom as the palm detector sees it: it scales the image's longer side to 192 px, so a crop
    # enlarges hands by (frame's longer side / crop's longer side). Even a little zoom found both
    # hands more often (tuning conditions, head of the table: 74% -> 96% at 1.3); below 1.2 (the
    # near cameras of the bundled samples) the full frame is used.
    min_zoom: float = 1.2
    max_zoom: float = 3.0            # beyond this, upscaling adds pixels, not detail
    work_long_side: int = 640        # the crop is resized so that its longer side has this many pixels
    back_width: float = 0.8          # the back's width, in spine lengths (shoulders 40-48 cm, spine 45-60 cm)
    margin: float = 0.2              # spine lengths around the back for the hands (0.35 found fewer)
    follow_margin: float = 1.5       # hand sizes around the hands when following them
    follow_min_side: float = 5.0     # hand sizes: the smallest region when following hands
    follow_memory_s: float = 1.0     # hands seen this recently make the followed region
    full_frame_after_s: float = 0.5  # nothing found this long: the views take turns (and squares over the back)
    light_every: int = 3             # frames: the light is measured on one in this many
    tile_fraction: float = 0.6       # squares searched while lost: this much of the back box's longer side
    enhance: str = "gamma"           # tracker.light.for_detector mode (CLAHE measured worse); "none": as they are
    denoise: bool = True             # smooth dark frames before brightening (tracker.light.denoise_sigma)

    def __post_init__(self) -> None:
        if not (1.0 <= self.min_zoom <= self.max_zoom):
            raise ValueError("need 1 <= min_zoom <= max_zoom")
        if self.light_every < 1:
            raise ValueError("light_every must be >= 1")
        if self.work_long_side < 64:
            raise ValueError("work_long_side must be >= 64")
        if self.enhance not in ("none", "gamma", "clahe", "gamma+clahe"):
            raise ValueError(f"unknown enhance mode {self.enhance!r}")


Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive


def back_box(spine: SpinePoints, width: int, height: int, o: RoiOptions) -> Box:
    """The image box around the back: the spine segment widened by the body's half width on
    each side and lengthened, plus the margin for hands, as an axis-aligned box in the frame."""
    h = np.array([spine.head[0] * width, spine.head[1] * height])
    s = np.array([spine.sacrum[0] * width, spine.sacrum[1] * height])
    d = h - s
    length = float(np.hypot(*d)) or 1.0
    u = d / length
    n = np.array([-u[1], u[0]])
    half_w = (o.back_width / 2 + o.margin) * length
    ends = (s - o.margin * length * u, h + o.margin * length * u)
    pts = np.array([e + k * half_w * n for e in ends for k in (-1, 1)])
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


def _hand_box(hand: Hand, width: int, height: int) -> tuple[np.ndarray, np.ndarray, float]:
    lm = hand.landmarks
    x, y = lm[:, 0], lm[:, 1]
    lo = np.array((x.min() * width, y.min() * height))
    hi = np.array((x.max() * width, y.max() * height))
    return lo, hi, float(max(hi - lo))


class RegionDetector:
    """Hands in full-frame coordinates, detected on an enlarged region of interest (see module doc).

    `make_detector()` makes one detector (video mode); up to two are made: one for the crops and,
    when needed, one for full frames, so neither's frame-to-frame tracking sees the other's images.
    """

    def __init__(self, make_detector: Callable[[], Detector] | None = None, spine: SpinePoints | None = None,
                 options: RoiOptions | None = None, follow: bool = True) -> None:
        if make_detector is None:
            from .hands import HandDetector

            make_detector = HandDetector
        self._make = make_detector
        self.o = options or RoiOptions()
        self.spine = spine
        self.follow = follow
        # One per view: "region", "full", and one shared by the squares ("tile0".."tile3"): a
        # square is looked at only while nothing is found, when the palm detector runs on every
        # frame anyway, so nothing is tracked from one square to the next (a detector costs ~35 MB).
        self._dets: dict[str, Detector] = {}
        self._box: Box | None = None       # the followed region
        self._back: tuple[tuple, Box] | None = None  # (spine, width, height) and its back_box
        self._recent: list[tuple[float, np.ndarray, np.ndarray, float]] = []  # t, lo, hi, size
        self._last_found = -np.inf
        self._frames = 0
        self._turn = -1  # the first view taken while lost is the main one
        self.last_light: light_mod.Light | None = None
        self.last_region: Box | None = None   # the crop used for the last frame (None: full frame)
        self.last_level = ""                  # which view: "region", "full", "tile0".."tile3"
        self.crop_frames = 0
        self.full_frames = 0

    # -- regions --------------------------------------------------------------------------
    def _follow_box(self, width: int, height: int) -> Box | None:
        """The union of the hands' recent boxes, expanded; kept while the hands stay well inside
        it (a moving crop makes the detector's frame-to-frame tracking look in the wrong place)."""
        if not self._recent:
            return None
        lo = np.min([r[1] for r in self._recent], axis=0)
        hi = np.max([r[2] for r in self._recent], axis=0)
        size = float(np.median([r[3] for r in self._recent]))
        box = self._box
        inside = box is not None and lo[0] >= box[0] + 0.5 * size and lo[1] >= box[1] + 0.5 * size \
            and hi[0] <= box[2] - 0.5 * size and hi[1] <= box[3] - 0.5 * size
        too_big = box is not None and max(box[2] - box[0], box[3] - box[1]) > 2.5 * max(
            max(hi - lo) + 2 * self.o.follow_margin * size, self.o.follow_min_side * size)
        if inside and not too_big:
            return box
        c = (lo + hi) / 2
        half = np.maximum((hi - lo) / 2 + self.o.follow_margin * size, self.o.follow_min_side * size / 2)
        x0, y0 = np.floor(c - half).astype(int)
        x1, y1 = np.ceil(c + half).astype(int)
        self._box = (max(x0, 0), max(y0, 0), min(x1, width), min(y1, height))
        return self._box

    def _region(self, width: int, height: int) -> Box | None:
        """The region when hands are being found: the back; without a back, the hands' region."""
        if self.spine is not None:
            key = (self.spine, width, height)
            if self._back is None or self._back[0] != key:  # the same box while the line stays
                self._back = (key, back_box(self.spine, width, height, self.o))
            return self._back[1]
        if not self.follow:
            return None
        return self._follow_box(width, height)

    def _zoom(self, box: Box | None, width: int, height: int) -> float:
        if box is None or box[2] - box[0] < 16 or box[3] - box[1] < 16:
            return 0.0
        return max(width, height) / max(box[2] - box[0], box[3] - box[1])

    def _plan(self, width: int, height: int, t: float) -> tuple[str, Box | None]:
        """Which image the detector sees this frame: (view, box); box None is the full frame.
        The region and the full frame have a detector each, so frame-to-frame tracking never
        mixes the two. Lost for a while: every view in turn, including squares over the back (more zoom)."""
        box = self._region(width, height)
        use_region = self._zoom(box, width, height) >= self.o.min_zoom and box != (0, 0, width, height)
        main: tuple[str, Box | None] = ("region", box) if use_region else ("full", None)
        if t - self._last_found <= self.o.full_frame_after_s:
            return main
        views = [main]
        if use_region:
            views.append(("full", None))
            if self.spine is not None and box is not None:
                views.extend(self._tiles(box))
        self._turn = (self._turn + 1) % len(views)
        return views[self._turn]

    def _tiles(self, box: Box) -> list[tuple[str, Box]]:
        """Overlapping squares over the back's box, `tile_fraction` of its longer side each."""
        x0, y0, x1, y1 = box
        side = int(round(self.o.tile_fraction * max(x1 - x0, y1 - y0)))
        xs = sorted({x0, max(x0, x1 - side)})
        ys = sorted({y0, max(y0, y1 - side)})
        return [(f"tile{i}", (x, y, min(x + side, x1), min(y + side, y1)))
                for i, (x, y) in enumerate((x, y) for y in ys for x in xs)]

    # -- detection ------------------------------------------------------------------------
    def detect(self, frame_bgr: np.ndarray, t: float) -> HandFrame:
        height, width = frame_bgr.shape[:2]
        # Light changes slowly next to a frame period: measured on every few frames (it is a
        # fixed cost on every frame of the live pipeline, bright or not).
        if self.last_light is None or self._frames % self.o.light_every == 0:
            self.last_light = light_mod.measure(frame_bgr)
        self._frames += 1
        level, box = self._plan(width, height, t)
        key = "squares" if level.startswith("tile") else level
        det = self._dets.get(key)
        if det is None:
            det = self._dets[key] = self._make()
        if box is not None:
            result = self._detect_crop(det, frame_bgr, box, t, width, height)
            self.crop_frames += 1
        else:
            result = det.detect(self._enhanced(frame_bgr), t)
            self.full_frames += 1
        self.last_region = box
        self.last_level = level
        if result.hands:
            self._last_found = t
            for h in result.hands:
                lo, hi, size = _hand_box(h, width, height)
                self._recent.append((t, lo, hi, size))
        self._recent = [r for r in self._recent if t - r[0] <= self.o.follow_memory_s]
        return result

    def _detect_crop(self, det: Detector, image: np.ndarray, box: Box, t: float, width: int, height: int) -> HandFrame:
        x0, y0, x1, y1 = box
        bw, bh = x1 - x0, y1 - y0
        scale = min(self.o.work_long_side / max(bw, bh), self.o.max_zoom)
        # Enhanced after cropping: the same light (measured on the whole frame), less work.
        crop = self._enhanced(image[y0:y1, x0:x1])
        size = (max(1, int(round(bw * scale))), max(1, int(round(bh * scale))))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
        found = det.detect(crop, t)
        hands = []
        for h in found.hands:
            lm = h.landmarks.copy()
            lm[:, 0] = (x0 + lm[:, 0] * bw) / width
            lm[:, 1] = (y0 + lm[:, 1] * bh) / height
            lm[:, 2] = lm[:, 2] * bw / width
            hands.append(Hand(lm, h.handedness, h.score))
        return HandFrame(found.t, hands)

    def _enhanced(self, image: np.ndarray) -> np.ndarray:
        return light_mod.for_detector(image, self.last_light, self.o.enhance, self.o.denoise)

    def close(self) -> None:
        for det in self._dets.values():
            det.close()
        self._dets = {}

    def __enter__(self) -> "RegionDetector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
