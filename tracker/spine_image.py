"""The spine line from still pictures of the person lying face down (no hands needed).

Two kinds of evidence, each from a few stills spread over the session:
- pose: MediaPipe Pose, trained on upright people, sees a person lying across the picture
  best when the picture is turned so that the person stands in it. Each still is tried at
  0/90/180/270 degrees; each torso found (shoulders, hips) is turned back into the picture's
  coordinates. The torsos that agree with the majority (direction and head end) are kept and
  combined by the median; their agreement and number are the evidence features.
- outline: the person-vs-background mask (Selfie Segmentation); its long axis by image
  moments, the head end by where the mask is narrower (neck and head against the shoulders'
  width), measured along the axis.

Image work at the tracker's edge (OpenCV on the pictures and the models' outputs); the models
themselves live in tracker/body.py. What it returns, ImageEvidence, is a plain type the analysis
core fuses (feedback.spine_auto).
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .types import ImageEvidence, SpinePoints

_ROTATIONS = (None, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE)

# Pose's mid-shoulders and mid-hips are not the base of the neck and the sacrum: the line
# through them is right, its ends are not. Fitted on the tune views (studio.spineviews):
# neck = hips + POSE_NECK * (shoulders - hips), sacrum = hips + POSE_SACRUM * (shoulders - hips).
POSE_NECK, POSE_SACRUM = 1.11, -0.02
MIN_VISIBILITY = 0.5
AGREE_DEG = 20.0


def unrotate(p: np.ndarray, k: int) -> np.ndarray:
    """Normalised points found in a picture turned by `k` quarter turns clockwise -> the
    original picture's normalised coordinates."""
    x, y = p[..., 0], p[..., 1]
    if k == 0:
        return np.stack([x, y], -1)
    if k == 1:
        return np.stack([y, 1 - x], -1)
    if k == 2:
        return np.stack([1 - x, 1 - y], -1)
    return np.stack([1 - y, x], -1)


def rotate(frame: np.ndarray, k: int) -> np.ndarray:
    return frame if k == 0 else cv2.rotate(frame, _ROTATIONS[k])


def _angle(v: np.ndarray) -> float:
    return float(np.degrees(np.arctan2(v[1], v[0])))


def _ang_diff(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def spine_from_pose(frames: Sequence[np.ndarray], pose) -> ImageEvidence:
    """`pose` has `.torso(frame) -> Torso | None` (tracker.body.PoseModel)."""
    if not frames:
        return ImageEvidence(None, "pose", {"found": 0, "tries": 0})
    h, w = frames[0].shape[:2]
    scale = np.array([w, h], float)
    found = []  # (neck px, sacrum px, visibility)
    for frame in frames:
        for k in range(4):
            torso = pose.torso(rotate(frame, k))
            if torso is None or float(torso.visibility.min()) < MIN_VISIBILITY:
                continue
            p = unrotate(torso.points, k) * scale
            neck, hips = p[:2].mean(axis=0), p[2:].mean(axis=0)
            if np.linalg.norm(neck - hips) < 0.06 * max(w, h):
                continue
            found.append((neck, hips, float(torso.visibility.min())))
    tries = 4 * len(frames)
    if not found:
        return ImageEvidence(None, "pose", {"found": 0, "tries": tries})
    angles = [_angle(n - s) for n, s, _ in found]
    # The largest group agreeing in direction (head end included) within AGREE_DEG.
    groups = [[j for j, b in enumerate(angles) if _ang_diff(a, b) <= AGREE_DEG] for a in angles]
    best = max(groups, key=len)
    # Opposed torsos (head end flipped) count against the winners.
    opposed = sum(1 for a in angles if _ang_diff(a, angles[best[0]]) >= 180 - AGREE_DEG)
    necks = np.array([found[j][0] for j in best])
    hips = np.array([found[j][1] for j in best])
    neck, hip = np.median(necks, axis=0), np.median(hips, axis=0)
    axis = neck - hip
    length = float(np.linalg.norm(axis))
    spread = float(np.median(np.r_[np.linalg.norm(necks - neck, axis=1), np.linalg.norm(hips - hip, axis=1)]))
    head = hip + POSE_NECK * axis
    sacrum = hip + POSE_SACRUM * axis
    feats = {"found": len(found), "tries": tries, "agree": len(best), "opposed": opposed,
             "spread": spread / max(length, 1e-6), "visibility": float(np.median([found[j][2] for j in best])),
             "length_share": length / max(w, h)}
    try:
        pts = SpinePoints(tuple(float(x) for x in head / scale), tuple(float(x) for x in sacrum / scale))
    except ValueError:
        return ImageEvidence(None, "pose", feats)
    return ImageEvidence(pts, "pose", feats)


OPEN_SHARE = 0.09   # opening kernel, share of the picture's larger side: removes the giver's arms


def outline_axis(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float, float] | None:
    """(centre px, unit long axis toward the narrower end, elongation 0..1, head clarity 0..1,
    area share) of the biggest body-like blob of a person mask; None if there is none."""
    h, w = mask.shape[:2]
    m = (mask > 0.5).astype(np.uint8)
    k = max(3, int(OPEN_SHARE * max(w, h)) | 1)
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m)
    if n < 2:
        return None
    i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    ys, xs = np.nonzero(labels == i)
    if len(xs) < 0.02 * w * h:
        return None
    p = np.column_stack([xs, ys]).astype(float)
    c = p.mean(axis=0)
    cov = np.cov((p - c).T)
    vals, vecs = np.linalg.eigh(cov)
    axis = vecs[:, 1]
    elong = float(1 - np.sqrt(max(vals[0], 1e-9) / max(vals[1], 1e-9)))
    # Width profile along the axis: the head and neck end is narrower than the shoulders, but
    # the hips end (under the towel) narrows too, so compare the outer fifths.
    a = (p - c) @ axis
    b = (p - c) @ np.array([-axis[1], axis[0]])
    lo, hi = np.percentile(a, [2, 98])
    def width(sel):
        return float(np.percentile(b[sel], 95) - np.percentile(b[sel], 5)) if sel.sum() > 20 else 0.0
    span = hi - lo
    w_lo = width((a > lo) & (a < lo + 0.2 * span))
    w_hi = width((a < hi) & (a > hi - 0.2 * span))
    if max(w_lo, w_hi) <= 0:
        return None
    clarity = abs(w_hi - w_lo) / max(w_hi, w_lo)
    if w_lo < w_hi:
        axis = -axis
    return c, axis, elong, float(clarity), len(xs) / (w * h)


def spine_from_outline(frames: Sequence[np.ndarray], body_mask) -> ImageEvidence:
    """`body_mask` has `.mask(frame) -> (H, W) probabilities` (tracker.body.BodyMask). The line
    is the long axis; its ends at OUTLINE_ENDS of the blob's extent (fitted on the tune views)."""
    if not frames:
        return ImageEvidence(None, "outline", {"found": 0})
    h, w = frames[0].shape[:2]
    scale = np.array([w, h], float)
    res = [r for r in (outline_axis(body_mask.mask(f)) for f in frames) if r is not None]
    if not res:
        return ImageEvidence(None, "outline", {"found": 0})
    ref = res[0][1]
    axes = np.array([r[1] if r[1] @ ref >= 0 else -r[1] for r in res])
    axis = axes.mean(axis=0)
    axis /= np.linalg.norm(axis)
    votes = [np.sign(r[1] @ axis) for r in res]
    if sum(votes) < 0:  # the head end most stills show
        axis = -axis
    heads_agree = abs(float(np.mean(votes)))
    centre = np.median([r[0] for r in res], axis=0)
    area = float(np.median([r[4] for r in res]))
    length = OUTLINE_LENGTH * np.sqrt(area * w * h)
    mid = centre + OUTLINE_SHIFT * length * axis
    head, sacrum = mid + axis * length / 2, mid - axis * length / 2
    feats = {"found": len(res), "elongation": float(np.median([r[2] for r in res])),
             "head_clarity": float(np.median([r[3] for r in res])), "heads_agree": heads_agree, "area": area}
    try:
        return ImageEvidence(SpinePoints(tuple(head / scale), tuple(sacrum / scale)), "outline", feats)
    except ValueError:
        return ImageEvidence(None, "outline", feats)


# The spine's length against the square root of the blob's area, and the spine's midpoint
# shift from the blob's centre toward the head (in spine lengths): fitted on the tune views.
OUTLINE_LENGTH, OUTLINE_SHIFT = 0.95, 0.0


# -- the line's ends along a known direction: where the bare back begins and ends -------------
# The strokes give the line's direction and its place across the back well, but its ends only
# over the part of the back worked so far. The picture says where the bare back is: walking
# along the line from its middle, the back's skin gives way to the hair at the neck end and to
# the towel or clothes at the hips. Fitted on the tune views (studio.spineviews, README "Finding
# the spine line"): the skin's end at the neck is the base of the neck (bias about 0); at the
# hips it stops short of the sacrum by SKIN_SACRUM of the skin's length.
SKIN_BAND = 0.06       # half-width of the band sampled across the line, in line lengths
SKIN_REF = 0.3         # the reference colour: the band within this of the line's middle
SKIN_TOL = 2.5         # a pixel is "like the back" within this many median distances of it
SKIN_MIN_TOL = 8.0     # ... and never less than this (Lab units; L weighted by half)
SKIN_RUN = 0.06        # the back ends where under half the band is like it over this length
SKIN_SACRUM = 0.13
SKIN_REACH = 2.5       # how far out to look, in line lengths from the middle (strokes may cover half the back)


def _band(img: np.ndarray, centre: np.ndarray, axis: np.ndarray, ts: np.ndarray, ss: np.ndarray):
    normal = np.array([-axis[1], axis[0]])
    p = centre + ts[:, None, None] * axis + ss[None, :, None] * normal
    x, y = np.round(p[..., 0]).astype(int), np.round(p[..., 1]).astype(int)
    h, w = img.shape[:2]
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    return img[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)], inside


def _skin_end(like: np.ndarray, seen: np.ndarray, ts: np.ndarray, run: int, step: int) -> float | None:
    """From the middle outward (step +1 or -1): where the band stops being like the back."""
    i = int(np.argmin(np.abs(ts)))
    while 0 <= i < len(ts):
        if not seen[i]:
            return None  # the picture ends first: the end is not in view
        seg = like[i:i + run] if step > 0 else like[max(0, i - run + 1):i + 1]
        if float(np.mean(seg)) < 0.5:
            return float(ts[i])
        i += step
    return None


def skin_ends(frames: Sequence[np.ndarray], line: SpinePoints) -> ImageEvidence:
    """The line's ends along its own direction from where the bare back begins and ends in
    each still (median over the stills); `line` gives the direction, the place across and the
    head end (from the strokes). Features: stills with both ends found, and their spread (in
    line lengths)."""
    if not frames:
        return ImageEvidence(None, "skin", {"found": 0})
    h, w = frames[0].shape[:2]
    scale = np.array([w, h], float)
    head, sacrum = np.asarray(line.head) * scale, np.asarray(line.sacrum) * scale
    length = float(np.linalg.norm(head - sacrum))
    if length < 8:
        return ImageEvidence(None, "skin", {"found": 0})
    axis, centre = (head - sacrum) / length, (head + sacrum) / 2
    ts = np.arange(-SKIN_REACH * length, SKIN_REACH * length, 2.0)
    ss = np.linspace(-SKIN_BAND * length, SKIN_BAND * length, 9)
    run = max(1, int(SKIN_RUN * length / 2.0))
    ends = []
    for frame in frames:
        lab = cv2.cvtColor(frame, cv2.COLOR_BGR2LAB).astype(np.float32)
        val, inside = _band(lab, centre, axis, ts, ss)
        core = (np.abs(ts) < SKIN_REF * length)[:, None] & inside
        if core.sum() < 20:
            continue
        ref = np.median(val[core], axis=0)
        dist = np.linalg.norm((val - ref) * np.array([0.5, 1.0, 1.0], np.float32), axis=-1)
        tol = max(SKIN_TOL * float(np.median(dist[core])), SKIN_MIN_TOL)
        like = ((dist < tol) & inside).sum(1) / np.maximum(inside.sum(1), 1)
        seen = inside.mean(1) > 0.5
        top, bottom = _skin_end(like, seen, ts, run, 1), _skin_end(like, seen, ts, run, -1)
        if top is not None and bottom is not None and top - bottom > 0.2 * length:
            ends.append((top, bottom))
    if not ends:
        return ImageEvidence(None, "skin", {"found": 0})
    e = np.array(ends)
    top, bottom = float(np.median(e[:, 0])), float(np.median(e[:, 1]))
    bottom -= SKIN_SACRUM * (top - bottom)
    mids = (e[:, 0] + e[:, 1]) / 2
    feats = {"found": len(ends), "spread": float(np.median(np.abs(mids - np.median(mids)))) / length,
             "length": (top - bottom) / length}
    try:
        pts = SpinePoints(tuple(float(x) for x in (centre + top * axis) / scale),
                          tuple(float(x) for x in (centre + bottom * axis) / scale))
    except ValueError:
        return ImageEvidence(None, "skin", feats)
    return ImageEvidence(pts, "skin", feats)
