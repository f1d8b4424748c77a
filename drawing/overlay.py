"""What the coach draws on each frame (in place, OpenCV): the spine line and its band, the
hands, the technique in progress, stroke counts and the current cue.

Sized from the frame height, so it reads the same at 640x480 as at 1080p.
"""
from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from feedback import guide
from feedback.safety import SafetyParams
from feedback.story import mmss

from .colors import SEVERITY_COLORS, TECHNIQUE_COLORS

# MediaPipe's hand skeleton (mp.solutions.hands.HAND_CONNECTIONS), kept here so that drawing
# does not import MediaPipe.
HAND_CONNECTIONS = ((0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10),
                    (10, 11), (11, 12), (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (17, 18),
                    (18, 19), (19, 20), (0, 17))

SPINE_OK = "#27ae60"
SPINE_ALERT = "#ff2a2a"
SLOT_COLORS = ("#00e5ff", "#ffd400")

# Without a hand in view, the band is drawn for a typical palm: a palm size (sqrt of the palm
# polygon's area) is about this fraction of the neck-to-sacrum length on an adult.
TYPICAL_PALM_PER_SPINE = 0.14

FONT = cv2.FONT_HERSHEY_SIMPLEX
_BONES = np.array(HAND_CONNECTIONS)
_PALM = [0, 5, 9, 13, 17]  # the palm polygon's landmarks (wrist and knuckles)


@functools.lru_cache(maxsize=64)
def bgr(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return (b, g, r)


def _blend(roi: np.ndarray, color, alpha: float) -> None:
    """roi (a view into the frame) becomes (1 - alpha) * roi + alpha * color, in place, rounded.
    Two OpenCV calls over the region (no float copy of it, no GIL held): the overlay runs beside
    the tracker, on the live page in the same thread."""
    cv2.convertScaleAbs(roi, dst=roi, alpha=1.0 - alpha)
    if any(color):
        cv2.add(roi, (color[0] * alpha, color[1] * alpha, color[2] * alpha, 0.0), dst=roi)


WHITE = (255, 255, 255)


@functools.lru_cache(maxsize=256)
def _text_sprite(text: str, scale: float, thick: int) -> tuple[np.ndarray, int, int]:
    """White anti-aliased text rendered once on black, kept as what it leaves of the background
    (255 - coverage, BGR), with its margin and height above the baseline."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    m = thick + 2  # room for the strokes' width and their anti-aliased edge
    canvas = np.zeros((th + base + 2 * m, tw + 2 * m), np.uint8)
    cv2.putText(canvas, text, (m, m + th), FONT, scale, 255, thick, cv2.LINE_AA)
    return cv2.cvtColor(cv2.bitwise_not(canvas), cv2.COLOR_GRAY2BGR), m, th


def _white_text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, thick: int) -> None:
    """cv2.putText(img, text, org, FONT, scale, WHITE, thick, LINE_AA), from a cached sprite:
    white over a background b at coverage c is 255 - (255 - b)(1 - c), three OpenCV calls on
    the text's box. putText redraws every stroke anti-aliased, 0.1-0.35 ms for a banner's line,
    on every frame; the sprite is within a few levels of it."""
    keep, m, th = _text_sprite(text, scale, thick)
    x0, y0 = int(org[0]) - m, int(org[1]) - th - m
    h, w = img.shape[:2]
    ax, ay, bx, by = max(x0, 0), max(y0, 0), min(x0 + keep.shape[1], w), min(y0 + keep.shape[0], h)
    if bx <= ax or by <= ay:
        return
    roi = img[ay:by, ax:bx]
    cv2.bitwise_not(roi, dst=roi)
    cv2.multiply(roi, keep[ay - y0:by - y0, ax - x0:bx - x0], dst=roi, scale=1 / 255)
    cv2.bitwise_not(roi, dst=roi)


def _text_box(img, text, org, scale, thick, fg=(255, 255, 255), bg=(0, 0, 0), alpha=0.55, pad=6):
    """Text on a translucent box; org is the top-left corner of the box. Returns the box."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    x, y = int(org[0]), int(org[1])
    x2, y2 = x + tw + 2 * pad, y + th + base + 2 * pad
    h, w = img.shape[:2]
    x2c, y2c = min(x2, w), min(y2, h)
    if x2c > x and y2c > y:
        _blend(img[y:y2c, x:x2c], bg, alpha)
    if tuple(fg) == WHITE:
        _white_text(img, text, (x + pad, y + pad + th), scale, thick)
    else:
        cv2.putText(img, text, (x + pad, y + pad + th), FONT, scale, fg, thick, cv2.LINE_AA)
    return x, y, x2, y2


def _palm_size(ring: list, w: int, h: int) -> float:
    """feedback.spine.palm_size_px of the ring's normalised points, in plain floats (numpy's
    per-call cost was a tenth of the overlay's time for five points)."""
    pts = [(x * w, y * h) for x, y in ring]
    area = sum(pts[i - 1][0] * pts[i][1] - pts[i][0] * pts[i - 1][1] for i in range(len(pts)))
    return math.sqrt(abs(area) / 2)


def _palm_px(result, w: int, h: int, spine) -> float:
    sizes = []
    raw = getattr(result, "raw", None)
    for hand in (raw.hands if raw is not None else []):
        sizes.append(_palm_size(np.asarray(hand.landmarks)[_PALM, :2].tolist(), w, h))
    if sizes:
        return float(np.mean(sizes))
    length = float(np.hypot((spine.head[0] - spine.sacrum[0]) * w, (spine.head[1] - spine.sacrum[1]) * h))
    return TYPICAL_PALM_PER_SPINE * length


def draw_spine(img: np.ndarray, spine, alert: bool = False, palm_px: float | None = None,
               labels: bool = True) -> None:
    """The spine segment (sacrum -> base of the neck) with the band hands must stay out of."""
    h, w = img.shape[:2]
    s = h / 480.0
    head = np.array([spine.head[0] * w, spine.head[1] * h])
    sacrum = np.array([spine.sacrum[0] * w, spine.sacrum[1] * h])
    axis = head - sacrum
    length = float(np.hypot(*axis))
    if length < 1:
        return
    u = axis / length
    n = np.array([-u[1], u[0]])
    palm = palm_px if palm_px else TYPICAL_PALM_PER_SPINE * length
    half = SafetyParams().enter * palm  # the distance at which a hand counts as over the spine
    color = bgr(SPINE_ALERT if alert else SPINE_OK)
    band = np.array([sacrum + n * half, head + n * half, head - n * half, sacrum - n * half], np.int32)
    x0, y0 = np.maximum(band.min(axis=0), 0)
    x1, y1 = np.minimum(band.max(axis=0) + 1, (w, h))
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        layer = roi.copy()
        cv2.fillPoly(layer, [band - (x0, y0)], color)
        cv2.addWeighted(layer, 0.45 if alert else 0.22, roi, 0.55 if alert else 0.78, 0, dst=roi)
    cv2.polylines(img, [band], True, color, max(1, int(round(1.5 * s))), cv2.LINE_AA)
    cv2.line(img, tuple(sacrum.astype(int)), tuple(head.astype(int)), color, max(2, int(round(3 * s))),
             cv2.LINE_AA)
    # The end of the lower back (gentle there) as a tick across the line.
    lb = sacrum + axis * guide.LOWER_BACK_END
    cv2.line(img, tuple((lb - n * half * 1.4).astype(int)), tuple((lb + n * half * 1.4).astype(int)),
             color, max(1, int(round(2 * s))), cv2.LINE_AA)
    for p in (head, sacrum):
        cv2.circle(img, tuple(p.astype(int)), max(4, int(round(6 * s))), color, -1, cv2.LINE_AA)
        cv2.circle(img, tuple(p.astype(int)), max(4, int(round(6 * s))), (255, 255, 255), 1, cv2.LINE_AA)
    if labels:
        scale = 0.45 * s
        for p, text in ((head, "neck"), (sacrum, "sacrum"), (lb, "lower back")):
            q = p + n * (half * 1.5 + 6 * s)
            (tw, th), _ = cv2.getTextSize(text, FONT, scale, 1)
            _text_box(img, text, (np.clip(q[0] - tw / 2, 0, w - tw - 8), np.clip(q[1] - th / 2, 0, h - th - 8)),
                      scale, 1, alpha=0.45, pad=3)


def draw_hands(img: np.ndarray, result) -> None:
    raw = getattr(result, "raw", None)
    if raw is None:
        return
    h, w = img.shape[:2]
    s = h / 480.0
    # Colour each detected hand by the analysis slot whose palm centre is nearest.
    centres = [(st.slot, np.array([st.x * w, st.y * h])) for st in (result.hands or [])]
    lw, r_pt, r_palm = max(1, int(round(2 * s))), max(2, int(round(3 * s))), max(4, int(round(7 * s)))
    for i, hand in enumerate(raw.hands):
        pts = (np.asarray(hand.landmarks)[:, :2] * (w, h)).astype(np.int32)
        palm = pts[[0, 5, 9, 13, 17]].mean(axis=0)
        slot = min(centres, key=lambda c: np.hypot(*(c[1] - palm)))[0] if centres else i
        color = bgr(SLOT_COLORS[slot % len(SLOT_COLORS)])
        # All 21 bones in one call (same lines as one cv2.line each).
        cv2.polylines(img, list(pts[_BONES]), False, (255, 255, 255), lw, cv2.LINE_AA)
        for p in pts.tolist():
            cv2.circle(img, p, r_pt, color, -1, cv2.LINE_AA)
        cv2.circle(img, tuple(palm.astype(int).tolist()), r_palm, color, 2, cv2.LINE_AA)


def draw_status(img: np.ndarray, result) -> None:
    """Top left: the technique in progress; under it the stroke counts."""
    h, w = img.shape[:2]
    s = h / 480.0
    label = getattr(result, "label", "idle") or "idle"
    color = bgr(TECHNIQUE_COLORS.get(label, TECHNIQUE_COLORS["other"]))
    x0, y0 = int(8 * s), int(8 * s)
    text = label.replace("_", " ").upper()  # "no_hands" reads "NO HANDS"
    _, _, _, y1 = _text_box(img, text, (x0, y0), 0.8 * s, max(1, int(round(2 * s))), bg=color, alpha=0.8)
    counts = getattr(result, "counts", None) or {}
    line = (f"glides  up {counts.get('effleurage_up', 0)}  wrong way {counts.get('effleurage_down', 0)}  "
            f"returns {counts.get('returns', 0)}")
    _text_box(img, line, (x0, y1 + int(4 * s)), 0.5 * s, 1, alpha=0.6, pad=5)
    # Top right: time into the session.
    t = float(getattr(result, "t", 0.0))
    clock = mmss(t)
    (tw, _), _ = cv2.getTextSize(clock, FONT, 0.6 * s, 1)
    _text_box(img, clock, (w - tw - int(20 * s), y0), 0.6 * s, 1, alpha=0.55)


def draw_cue(img: np.ndarray, cue) -> None:
    """The cue as a full-width banner along the bottom edge."""
    if cue is None:
        return
    h, w = img.shape[:2]
    s = h / 480.0
    scale, thick = 0.8 * s, max(1, int(round(2 * s)))
    (tw, th), base = cv2.getTextSize(cue.text, FONT, scale, thick)
    while tw > w - 24 * s and scale > 0.4 * s:  # long cues shrink to fit
        scale *= 0.92
        (tw, th), base = cv2.getTextSize(cue.text, FONT, scale, thick)
    bar_h = th + base + int(22 * s)
    y = h - bar_h
    color = bgr(SEVERITY_COLORS.get(cue.severity, SEVERITY_COLORS["info"]))
    _blend(img[y:h, 0:w], color, 0.85)
    _white_text(img, cue.text, (int((w - tw) / 2), y + int(11 * s) + th), scale, thick)


def draw_overlay(frame_bgr: np.ndarray, result, spine, cue=None) -> np.ndarray:
    """Draw everything on `frame_bgr` in place (and return it, for chaining). Needs only the
    frame's own result, so it can run in another thread than the analysis."""
    h, w = frame_bgr.shape[:2]
    over = bool(getattr(result, "over_spine", False))
    draw_spine(frame_bgr, spine, alert=over, palm_px=_palm_px(result, w, h, spine))
    draw_hands(frame_bgr, result)
    draw_status(frame_bgr, result)
    draw_cue(frame_bgr, cue)
    return frame_bgr


def draw_message(frame_bgr: np.ndarray, text: str, severity: str = "info") -> np.ndarray:
    """A banner with a plain message (e.g. 'Set the spine line first'), for frames not analysed."""
    from feedback.coach import Cue

    draw_cue(frame_bgr, Cue(text, severity, "message"))
    return frame_bgr


def draw_proposal(img: np.ndarray, pts) -> None:
    """A proposed spine line (SpinePoints), dashed, with its head end marked, until the user answers."""
    h, w = img.shape[:2]
    a = np.array([pts.sacrum[0] * w, pts.sacrum[1] * h])
    b = np.array([pts.head[0] * w, pts.head[1] * h])
    for s0 in np.arange(0.0, 1.0, 0.1):
        p, q = a + (b - a) * s0, a + (b - a) * (s0 + 0.05)
        cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), (0, 215, 255), 3, cv2.LINE_AA)
    cv2.circle(img, tuple(int(v) for v in b), 7, (0, 215, 255), -1, cv2.LINE_AA)
    draw_message(img, "New spine line from your strokes: confirm it below the video", "warn")
