"""The spine line from the massage itself: where the two hands work and which way they press.

The guide's strokes are symmetric about the spine: in effleurage the two hands glide up on
either side of it toward the head and come back down the outside lightly; in petrissage they
knead on both sides. So, over some seconds of massage (landmarks only, no pixels):
- the midpoint between the two hands, in frames that show both, stays on the spine line while
  it travels along it: the line through those midpoints (a robust principal axis) is the spine,
  and the hands' own glides (the direction of fastest motion) confirm its direction;
- the line ends where the hands' work ends: the spread of the palms along the line (2nd to
  98th percentile) stands for most of the spine from sacrum to neck;
- the head end, from two cues that must agree: where the fingers point (wrist to knuckles: a
  giver beside the table glides with the fingers toward the head and kneads with them across
  the back, so along the line they point to the head on average), and the glides (a pressing
  glide runs toward the head close to the spine and the return runs back down farther out).
  When the two clearly disagree (wrong-way strokes, or work from the head of the table, where
  the fingers point to the feet) the head end is reported as unclear and in conflict.

`estimate_from_hands` returns the line and the evidence features; how sure that makes it is
the calibrated mapping's job (feedback.spine_auto), fitted on rendered views with known truth.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from tracker.types import PALM, HandFrame, SpinePoints

# Share of the spine the palms' 2nd-98th percentile spread along it covers (effleurage runs
# from just above the sacrum to the shoulders; kneading covers the back): fitted on the tune
# views (studio.spineviews), see README "Finding the spine line".
SPREAD_TO_SPINE = 1.05
# Where the middle of the worked region sits on the spine (0 sacrum .. 1 neck).
WORK_CENTRE = 0.5
MAX_STEP_S = 0.25          # consecutive detections farther apart than this give no velocity
MAX_JUMP_PALMS = 2.5       # a palm moving more than this between frames is another hand
MIN_PAIRS = 12             # two-hand frames needed before a line is tried
SIDES = True              # refine the line by the palms on either side (see estimate_from_hands)


@dataclass(frozen=True)
class HandsEvidence:
    """A line from the hands with what it rests on (features for the calibrated confidence)."""

    points: SpinePoints | None
    seconds: float               # span of massage seen
    pairs: int                   # frames with both hands
    straightness: float          # 0..1: how well the midpoints lie on one line (1 = a line)
    axis_agreement: float        # |cos| between the midpoints' axis and the glides' axis
    head_score: float            # 0..1: how clearly the hands say which end is the head
    spread_ratio: float          # palms' across spread / along spread (low = a clear long axis)
    features: dict = field(default_factory=dict)
    finger_score: float = 0.0    # -1..1: mean cosine of the fingers' direction with head - sacrum
    head_conflict: bool = False  # the fingers and the glides clearly point to opposite ends


def _palms(frames: Iterable[HandFrame], width: int, height: int, until: float | None):
    """Per frame: time, palm centres (k, 2) in pixels and palm sizes (k,) (sqrt of the palm
    polygon's area), computed for all hands at once; and every hand's finger direction (unit
    vector from the wrist to the mean of the four knuckles, pixels), in the same order."""
    scale = np.array([width, height], float)
    times, counts, lms = [], [], []
    for f in frames:
        if until is not None and f.t > until:
            break
        hands = f.hands[:2]
        times.append(f.t)
        counts.append(len(hands))
        lms.extend(h.landmarks for h in hands)
    centres, sizes, fingers = np.empty((0, 2)), np.empty(0), np.empty((0, 2))
    if lms:
        p = np.asarray(lms)[:, list(PALM), :2] * scale  # (n, 5, 2)
        centres = p.mean(axis=1)
        v = p[:, 1:].mean(axis=1) - p[:, 0]
        fingers = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
        x, y = p[..., 0], p[..., 1]
        area = 0.5 * np.abs((x * np.roll(y, 1, axis=1)).sum(1) - (y * np.roll(x, 1, axis=1)).sum(1))
        sizes = np.sqrt(np.maximum(area, 1.0))
    out, k = [], 0
    for t, n in zip(times, counts):
        out.append((t, centres[k:k + n], sizes[k:k + n]))
        k += n
    return out, fingers


def _axis(vectors: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Orientation (unit vector, sign-free) of 2-D vectors by their second moment, and its
    anisotropy 0..1 (0: no preferred direction)."""
    c = (vectors * weights[:, None]).T @ vectors / max(weights.sum(), 1e-9)
    vals, vecs = np.linalg.eigh(c)
    aniso = float((vals[1] - vals[0]) / max(vals[1] + vals[0], 1e-12))
    return vecs[:, 1], aniso


def _tracks(palms) -> list[list[tuple[float, np.ndarray]]]:
    """Detections linked into tracks by position (handedness is unreliable, see NOTES)."""
    done, live = [], []
    for t, c, s in palms:
        taken = set()
        for p, sz in zip(c, s):
            best, bd = None, MAX_JUMP_PALMS * sz
            for k, tr in enumerate(live):
                lt, lp = tr[-1]
                d = float(np.linalg.norm(lp - p))
                if k not in taken and 0 < t - lt <= MAX_STEP_S and d < bd:
                    best, bd = k, d
            if best is None:
                live.append([(t, p)])
                taken.add(len(live) - 1)
            else:
                live[best].append((t, p))
                taken.add(best)
        keep = []
        for tr in live:
            (done if t - tr[-1][0] > MAX_STEP_S else keep).append(tr)
        live = keep
    return done + live


# A glide: a run one way along the line of at least this many palm sizes, at least this fast
# (kneading circles go back and forth by less; the slow drift of kneading over the back is slower).
GLIDE_MIN_PALMS = 2.5
GLIDE_MIN_SPEED_PALMS = 1.5
TURN_PALMS = 0.5  # hysteresis before a run counts as turned
PAIR_GAP_S = 2.0  # a glide and the return that follows it
PAIR_MIN_REL = 0.15  # the return runs at least this much farther out (relative difference)
# The fingers' mean cosine with the line: at this much they decide the head end, at FINGERS_SURE
# they are as clear as can be; glides at GLIDES_CLEAR against them are a conflict. On the tune
# views (studio.spineviews) the fingers' sign was right in 119-120 of 120 views at 10-40 s, the
# glides' in 74-88%. Both generators hold the fingers toward the head in effleurage and across in
# kneading, as a giver beside the table does; that is an assumption about people, not a measurement.
FINGERS_CLEAR, FINGERS_SURE, GLIDES_CLEAR = 0.3, 0.6, 0.34


def _glides(track, centre, axis, normal, palm):
    """(direction +-1 along the axis, mean distance from the line) of each glide of a track."""
    if len(track) < 4:
        return []
    t = np.array([x[0] for x in track])
    p = np.array([x[1] for x in track])
    a = (p - centre) @ axis
    d = np.abs((p - centre) @ normal)
    out, start, ext, direction = [], 0, 0, 0
    for i in range(1, len(a)):
        if direction >= 0 and a[i] >= a[ext] or direction <= 0 and a[i] <= a[ext]:
            ext = i
            if direction == 0 and abs(a[i] - a[start]) > TURN_PALMS * palm:
                direction = 1 if a[i] > a[start] else -1
            continue
        if abs(a[i] - a[ext]) < TURN_PALMS * palm:
            continue
        out.append((start, ext, direction))
        start, ext, direction = ext, i, (1 if a[i] > a[ext] else -1)
    out.append((start, ext, direction))
    res = []
    for s, e, k in out:
        travel, dur = abs(a[e] - a[s]), t[e] - t[s]
        if k and travel >= GLIDE_MIN_PALMS * palm and dur > 0 and travel / dur >= GLIDE_MIN_SPEED_PALMS * palm:
            res.append((k, float(np.mean(d[s:e + 1])), float(t[s]), float(t[e])))
    return res


def _head_score(palms, centre, axis, normal, palm) -> tuple[float, int]:
    """Signed clarity (-1..1) that +axis is the head, and the number of votes it rests on.

    Each glide followed (within PAIR_GAP_S) by a glide of the same hand the other way is one
    vote: the one nearer the line is the pressing glide, which runs toward the head. A pair at
    about the same distance (kneading travelling over the back, tapping) does not vote."""
    votes = []
    for tr in _tracks(palms):
        g = _glides(tr, centre, axis, normal, palm)
        for (k1, d1, _, e1), (k2, d2, s2, _) in zip(g, g[1:]):
            if k1 == k2 or s2 - e1 > PAIR_GAP_S:
                continue
            rel = (d2 - d1) / max(d1 + d2, 1e-9)
            if abs(rel) >= PAIR_MIN_REL:
                votes.append(k1 if rel > 0 else k2)
    if not votes:
        return 0.0, 0
    return float(np.sum(votes)) / (len(votes) + 2.0), len(votes)


def estimate_from_hands(frames: Iterable[HandFrame], width: int, height: int,
                        seconds: float | None = None) -> HandsEvidence:
    """The spine line from the hands in `frames` (normalised landmarks of an image of
    `width` x `height`), using the first `seconds` after the first hand is seen (all if None)."""
    frames = list(frames)
    start = next((f.t for f in frames if f.hands), None)
    if start is None:
        return HandsEvidence(None, 0.0, 0, 0.0, 0.0, 0.0, 1.0)
    palms, fingers = _palms(frames, width, height, None if seconds is None else start + seconds)
    t_end = palms[-1][0] if palms else start
    mids, pts, vel, vpos, sizes = [], [], [], [], []
    prev_t, prev = None, np.empty((0, 2))
    for t, c, s in palms:
        if len(c) == 2 and np.linalg.norm(c[0] - c[1]) > 1.5 * s.mean():  # two hands, not one seen twice
            mids.append(c.mean(axis=0))
        pts.extend(c)
        sizes.extend(s)
        if prev_t is not None and 0 < t - prev_t <= MAX_STEP_S and len(prev) and len(c):
            for p, sz in zip(c, s):
                d = np.linalg.norm(prev - p, axis=1)
                j = int(np.argmin(d))
                if d[j] < MAX_JUMP_PALMS * sz:
                    vel.append((p - prev[j]) / (t - prev_t))
                    vpos.append((p + prev[j]) / 2)
        prev_t, prev = t, c
    seen = float(t_end - start)
    if len(mids) < MIN_PAIRS or len(vel) < MIN_PAIRS:
        return HandsEvidence(None, seen, len(mids), 0.0, 0.0, 0.0, 1.0)
    mids, pts, vel, vpos = np.array(mids), np.array(pts), np.array(vel), np.array(vpos)
    palm = float(np.median(sizes))

    # Direction: the midpoints' principal axis, and the glides' (fast motion) axis.
    centre = np.median(mids, axis=0)
    d_mid, aniso_mid = _axis(mids - centre, np.ones(len(mids)))
    speed = np.linalg.norm(vel, axis=1)
    if float(np.percentile(speed, 90)) < 0.5 * palm:
        return HandsEvidence(None, seen, len(mids), 0.0, 0.0, 0.0, 1.0)  # resting hands: no strokes yet
    d_vel, aniso_vel = _axis(vel, speed)  # weight by speed: the long glides dominate
    agree = abs(float(d_mid @ d_vel))
    # Combine the two as doubled angles, each weighted by how clear it is.
    ang = [2 * np.arctan2(d[1], d[0]) for d in (d_mid, d_vel)]
    w = [aniso_mid, 0.5 * aniso_vel]
    a = 0.5 * np.arctan2(sum(wi * np.sin(x) for wi, x in zip(w, ang)), sum(wi * np.cos(x) for wi, x in zip(w, ang)))
    axis = np.array([np.cos(a), np.sin(a)])
    normal = np.array([-axis[1], axis[0]])
    if SIDES:
        # Refine by the two sides: the palms on each side of the line spread along it whether or
        # not the hands move together; the spine bisects the two sides' axes (which converge in
        # perspective) and runs midway between them.
        for _ in range(2):
            side = (pts - centre) @ normal
            parts = [pts[side < 0], pts[side > 0]]
            if min(len(q) for q in parts) < MIN_PAIRS:
                break
            axes = []
            for q in parts:
                d, _ = _axis(q - np.median(q, axis=0), np.ones(len(q)))
                axes.append(d if d @ axis >= 0 else -d)
            bis = axes[0] + axes[1]
            axis = bis / max(np.linalg.norm(bis), 1e-9)
            normal = np.array([-axis[1], axis[0]])
            m0, m1 = (np.median(q, axis=0) for q in parts)
            centre = centre + (((m0 + m1) / 2 - centre) @ normal) * normal

    # Position across: the midpoints' median offset; straightness from their scatter across.
    across_m = (mids - centre) @ normal
    off = float(np.median(across_m))
    centre = centre + off * normal
    along_p = (pts - centre) @ axis
    across_p = (pts - centre) @ normal
    lo, hi = np.percentile(along_p, [2, 98])
    extent = max(float(hi - lo), 1e-6)
    scatter = float(np.median(np.abs(across_m - off)))
    straightness = float(np.clip(1.0 - scatter / (0.15 * extent), 0.0, 1.0))
    spread_ratio = float(np.percentile(np.abs(across_p), 90) / extent)

    # Head end: glides toward the head run inside, returns run outside; the fingers point to the head.
    glide_score, glides = _head_score(palms, centre, axis, normal, palm)
    finger_score = float(np.mean(fingers @ axis))
    conflict = abs(finger_score) >= FINGERS_CLEAR and abs(glide_score) >= GLIDES_CLEAR \
        and finger_score * glide_score < 0
    if abs(finger_score) >= FINGERS_CLEAR:
        sign = 1.0 if finger_score > 0 else -1.0
        head_score = 0.0 if conflict else min(1.0, max(abs(finger_score) / FINGERS_SURE, abs(glide_score)))
    else:
        sign = 1.0 if glide_score >= 0 else -1.0
        head_score = abs(glide_score)
    length = SPREAD_TO_SPINE * extent
    mid = centre + axis * (0.5 * (lo + hi) + sign * (0.5 - WORK_CENTRE) * length)
    head = mid + sign * axis * length / 2
    sacrum = mid - sign * axis * length / 2
    scale = np.array([width, height], float)
    points = SpinePoints(tuple(float(x) for x in head / scale), tuple(float(x) for x in sacrum / scale))
    feats = {"glides": glides, "pairs": len(mids), "seconds": seen, "aniso_mid": aniso_mid, "aniso_vel": aniso_vel,
             "extent_palms": extent / max(palm, 1e-6), "glide_score": sign * glide_score}
    return HandsEvidence(points, seen, len(mids), straightness, agree, head_score,
                         spread_ratio, feats, sign * finger_score, conflict)
