"""The automatic spine line: the evidence of the pictures and of the hands, checked against each
other, with a confidence that means what it says.

Sources of evidence (each a small estimator returning a line and its features):
- hands (feedback.spine_from_hands): once the massage runs, the midline between the two hands
  and the direction of the pressing glides; the most precise once there are strokes;
- pose (tracker.spine_image.spine_from_pose): MediaPipe Pose on turned stills;
- outline (tracker.spine_image.spine_from_outline): the body mask's long axis.
- bare back (tracker.spine_image.skin_ends): where the back's skin begins and ends along the
  strokes' line in the stills; with the pose's middle, it places the line along the back.

`fuse` takes the hands' line when there is one (its head end from the glides, or from the pose
when the glides do not say and the pose agrees with the line), else the pose's. Its confidence
is a logistic function of agreement and quality features, fitted on rendered tune views (see
`fit` and bench/spine_views.py) and checked on held-out views: P(line is good).

A line is presented as found only at CONFIRM_AT or more; below that the user is asked to
confirm it or set it by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracker.types import ImageEvidence, SpinePoints

from .spine_from_hands import HandsEvidence
from .spine_confidence import WEIGHTS

CONFIRM_AT = 0.9   # at or above: the line is given as found; below: the user is asked
HEAD_FROM_HANDS = 0.5  # a glide vote clearer than this decides the head end by itself
POSE_HEAD_AGREE = 0.25  # else the pose does, if this share of the turned stills agree on it
AGREE_DEG = 25.0

FEATURES = ("bias", "hands", "straightness", "pairs", "head_votes", "head_score", "pose", "pose_agree",
            "pose_axis_cos", "pose_head", "outline_axis_cos", "disagree", "head_conflict", "hands_axis_off",
            "pose_angle_off", "fingers", "hands_head_conflict", "coverage", "pose_neck_agree", "ends",
            "ends_agree", "mids_agree")
# Where the line sits along the back: the strokes know its ends only over the part of the back
# worked so far, so its middle is the median of three estimates where the pictures give them:
# the strokes' own, the bare back's (tracker.spine_image.skin_ends) and the pose's (less
# POSE_MID_BIAS, in line lengths: the pose's middle sits that much toward the head). With the
# strokes and one picture source only, the line moves ENDS_SHIFT of the way toward it. On the
# 320 tune and spent views after 20 s: middle within 8% in 83% (strokes) -> 90% (median).
ENDS_SHIFT = 0.35
POSE_MID_BIAS = 0.024
# The line's direction: the strokes' turned this share of the way toward the pose's when they
# agree within AGREE_DEG (work on one side of the back tilts the strokes' line). Angle off by
# more than 10 deg after 20 s, tune and spent views: 4.7% -> 4.1%; on `famd` (spent, looked at
# once, then used to choose 0.5 over 0.25): 20% -> 14%.
POSE_TURN = 0.5
# When the strokes and a pose found in the turned stills disagree about the line or its head
# end, the line is not given as found, whatever the fitted model says (too few such views to learn it from).
DISAGREE_CAP = 0.6
# The strokes alone cannot tell a massage given toward the head from one given toward the feet
# with the hands turned round (wrong-way glides, or work from the head of the table): both the
# glides and the fingers then point to the feet. Without a picture to check the head end
# against, a line from the hands alone is never given as found.
HANDS_ALONE_CAP = 0.85


@dataclass(frozen=True)
class AutoSpine:
    """The automatic line, where it came from, and P(good) from the calibrated model."""

    points: SpinePoints | None
    confidence: float
    source: str                          # "hands", "hands+pose", "pose", or "none"
    reason: str                          # one line a person reads
    features: dict = field(default_factory=dict)

    @property
    def confident(self) -> bool:
        return self.points is not None and self.confidence >= CONFIRM_AT


def _dir(p: SpinePoints, scale: np.ndarray) -> np.ndarray:
    v = (np.asarray(p.head) - np.asarray(p.sacrum)) * scale
    return v / max(np.linalg.norm(v), 1e-9)


def _flip(p: SpinePoints) -> SpinePoints:
    return SpinePoints(p.sacrum, p.head)


def features(hands: HandsEvidence | None, pose: ImageEvidence | None, outline: ImageEvidence | None,
             width: int, height: int, ends: ImageEvidence | None = None) -> tuple[SpinePoints | None, str, dict]:
    """The fused line, its source name and the features of the evidence behind it."""
    scale = np.array([width, height], float)
    f = dict.fromkeys(FEATURES, 0.0)
    f["bias"] = 1.0
    pose_pts = pose.points if pose is not None else None
    if pose_pts is not None:
        f["pose"] = 1.0
        f["pose_agree"] = pose.features["agree"] / max(pose.features["tries"], 1) \
            - pose.features["opposed"] / max(pose.features["tries"], 1)
    line, source = None, "none"
    if hands is not None and hands.points is not None:
        line, source = hands.points, "hands"
        f["hands"] = 1.0
        f["straightness"] = hands.straightness
        f["pairs"] = float(np.log1p(hands.pairs) / 5.0)
        f["head_votes"] = float(np.log1p(hands.features.get("glides", 0)) / 3.0)
        f["head_score"] = hands.head_score
        f["fingers"] = abs(hands.finger_score)
        f["hands_head_conflict"] = float(hands.head_conflict)
        # How much of the back the hands have covered, in palm sizes (a back is about 6-8): the
        # line's ends and midpoint are only as good as this; its direction is good much earlier.
        f["coverage"] = min(float(hands.features.get("extent_palms", 0.0)) / 8.0, 1.5)
        # The midpoints' axis against the glides' axis: apart when the hands work unevenly.
        f["hands_axis_off"] = float(np.degrees(np.arccos(min(1.0, hands.axis_agreement)))) / 20.0
        if pose_pts is not None:
            c = float(_dir(line, scale) @ _dir(pose_pts, scale))
            f["pose_axis_cos"] = abs(c)
            f["pose_angle_off"] = float(np.degrees(np.arccos(min(1.0, abs(c))))) / 20.0
            if abs(c) < np.cos(np.radians(AGREE_DEG)):
                f["disagree"] = 1.0
                f["pose_agree"] = 0.0  # a confident pose elsewhere is no support for this line
            else:
                pose_says = f["pose_agree"] >= POSE_HEAD_AGREE
                if hands.head_score < HEAD_FROM_HANDS and pose_says and c < 0:
                    line, c = _flip(line), -c  # the glides hardly said; the pose does
                    source = "hands+pose"
                elif hands.head_score < HEAD_FROM_HANDS and pose_says:
                    source = "hands+pose"
                f["pose_head"] = 1.0 if c > 0 else -1.0
                if c > 0:
                    f["pose_neck_agree"] = _neck_agreement(line, pose_pts, scale)
                if c < 0 and pose_says:
                    f["head_conflict"] = 1.0  # glides one way, body the other: a wrong-way stroke?
        offs = [0.0]
        if ends is not None and ends.points is not None:
            off = _along(line, ends.points, scale)
            offs.append(off)
            f["ends"] = 1.0
            f["ends_agree"] = max(0.0, 1.0 - abs(off) / 0.1)
        if pose_pts is not None and not f["disagree"]:
            offs.append(_along(line, pose_pts, scale) - POSE_MID_BIAS)
            line = _turned(line, pose_pts, POSE_TURN, scale)
        if len(offs) > 1:
            # (The strokes and the pose alone: not measured to help, the line stays.)
            move = float(np.median(offs)) if len(offs) == 3 else ENDS_SHIFT * offs[1] if f["ends"] else 0.0
            line = _moved(line, move, scale)
            # How well the three (or two) estimates of the line's middle agree: 1 = within 1%.
            f["mids_agree"] = max(0.0, 1.0 - max(0.0, (max(offs) - min(offs)) - 0.01) / 0.1)
    elif pose_pts is not None:
        line, source = pose_pts, "pose"
        f["pose_axis_cos"] = 1.0
        f["pose_head"] = 1.0
    if line is not None and outline is not None and outline.points is not None:
        f["outline_axis_cos"] = abs(float(_dir(line, scale) @ _dir(outline.points, scale)))
    return line, source, f


def _along(line: SpinePoints, other: SpinePoints, scale: np.ndarray) -> float:
    """How far `other`'s middle is from the line's, along the line, in line lengths (+ = toward its head)."""
    head, sacrum = np.asarray(line.head) * scale, np.asarray(line.sacrum) * scale
    vec = head - sacrum
    mid = (np.asarray(other.head) + np.asarray(other.sacrum)) / 2 * scale
    return float((mid - (head + sacrum) / 2) @ vec) / max(float(vec @ vec), 1e-9)


def _turned(line: SpinePoints, toward: SpinePoints, share: float, scale: np.ndarray) -> SpinePoints:
    """The line turned about its middle `share` of the way toward `toward`'s direction (either way up)."""
    head, sacrum = np.asarray(line.head) * scale, np.asarray(line.sacrum) * scale
    v, w = head - sacrum, (np.asarray(toward.head) - np.asarray(toward.sacrum)) * scale
    diff = (np.arctan2(w[1], w[0]) - np.arctan2(v[1], v[0]) + np.pi / 2) % np.pi - np.pi / 2
    a = share * diff
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    mid, half = (head + sacrum) / 2, rot @ (v / 2)
    return SpinePoints(tuple(float(x) for x in (mid + half) / scale), tuple(float(x) for x in (mid - half) / scale))


def _moved(line: SpinePoints, share: float, scale: np.ndarray) -> SpinePoints:
    """The line moved along itself by `share` of its length (+ = toward its head)."""
    head, sacrum = np.asarray(line.head) * scale, np.asarray(line.sacrum) * scale
    move = share * (head - sacrum)
    return SpinePoints(tuple(float(x) for x in (head + move) / scale), tuple(float(x) for x in (sacrum + move) / scale))


def _neck_agreement(line: SpinePoints, pose: SpinePoints, scale: np.ndarray) -> float:
    """The pose's neck (mid-shoulders, its most reliable point: along the line within about 2%
    of the spine in views from beside the table) against the line's head end, along the line:
    an independent check of where the strokes put the line's ends, which they know least well.
    1 = the same place, 0 = 10% of the line's length or more apart."""
    vec = (np.asarray(line.head) - np.asarray(line.sacrum)) * scale
    off = abs(float(((np.asarray(pose.head) - np.asarray(line.head)) * scale) @ vec)) / max(float(vec @ vec), 1e-9)
    return max(0.0, 1.0 - off / 0.1)


class ConfidenceModel:
    """Logistic P(good) over FEATURES, with weights fitted on tune views."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = {k: float(weights.get(k, 0.0)) for k in FEATURES}

    def __call__(self, f: dict) -> float:
        z = sum(self.weights[k] * float(f.get(k, 0.0)) for k in FEATURES)
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    @classmethod
    def fit(cls, rows: list[dict], good: list[bool], l2: float = 1.0, iters: int = 50) -> "ConfidenceModel":
        """L2-regularised logistic regression by Newton steps (the bias is not penalised)."""
        x = np.array([[r[k] for k in FEATURES] for r in rows], float)
        y = np.asarray(good, float)
        w = np.zeros(x.shape[1])
        pen = np.full(x.shape[1], l2)
        pen[0] = 1e-6
        for _ in range(iters):
            p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
            g = x.T @ (p - y) + pen * w
            h = (x * (p * (1 - p))[:, None]).T @ x + np.diag(pen)
            step = np.linalg.solve(h, g)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(dict(zip(FEATURES, w.tolist())))


_MODEL = ConfidenceModel(WEIGHTS)


def model() -> ConfidenceModel:
    """The fitted model (feedback/spine_confidence.py)."""
    return _MODEL


def fuse(hands: HandsEvidence | None, pose: ImageEvidence | None, outline: ImageEvidence | None,
         width: int, height: int, confidence: ConfidenceModel | None = None,
         ends: ImageEvidence | None = None) -> AutoSpine:
    """`ends`: the picture's ends along the strokes' line (tracker.spine_image.skin_ends on that
    line), when there are stills."""
    line, source, f = features(hands, pose, outline, width, height, ends)
    if line is None:
        return AutoSpine(None, 0.0, "none", "no person lying face down was found, and no strokes to learn from", f)
    p = (confidence or model())(f)
    if f["disagree"] or f["head_conflict"] or f["hands_head_conflict"]:
        p = min(p, DISAGREE_CAP)
    if source == "hands" and not f["pose"]:
        p = min(p, HANDS_ALONE_CAP)
    if p >= CONFIRM_AT:
        reason = f"spine line found from the {source.replace('+', ' and the ')} ({p:.0%} sure)"
    elif source == "pose":
        reason = f"a possible spine line from the picture alone, only {p:.0%} sure"
    elif f["head_conflict"]:
        reason = (f"the strokes and the picture disagree about which end is the head ({p:.0%} sure): "
                  "glides running toward the hips?")
    elif f["hands_head_conflict"]:
        reason = (f"the glides run one way and the fingers point the other ({p:.0%} sure): "
                  "glides running toward the hips, or work from the head of the table?")
    elif f["disagree"]:
        reason = f"the strokes and the picture disagree about the spine line ({p:.0%} sure)"
    elif source == "hands" and not f["pose"]:
        reason = (f"a spine line from the strokes alone ({p:.0%} sure): with no picture of the person "
                  "to check which end is the head, please confirm it")
    else:
        reason = f"the strokes so far give only a rough spine line ({p:.0%} sure)"
    return AutoSpine(line, p, source, reason, f)


class SpineRefiner:
    """A live session's line, refined from the first strokes.

    Start from a rough line (or none), `push` every tracked frame; every `every_s` seconds the
    hands' line is re-estimated from all the strokes so far and fused with the stills'
    evidence. When that is sure (CONFIRM_AT) and differs from the line in use, it becomes the
    `proposal` (returned once by `push`), to be shown on the video for one-click confirmation
    (`accept`) before alerts count against it."""

    def __init__(self, width: int, height: int, rough: SpinePoints | None = None,
                 pose: ImageEvidence | None = None, outline: ImageEvidence | None = None,
                 every_s: float = 3.0, window_s: float = 40.0) -> None:
        self.width, self.height = width, height
        self.current = rough
        self.pose, self.outline = pose, outline
        self.every_s, self.window_s = every_s, window_s
        self.proposal: AutoSpine | None = None
        self.refined = False           # the line in use came from the strokes and was accepted
        self._frames: list = []
        self._last_try: float | None = None

    def push(self, frame) -> AutoSpine | None:
        from .spine_from_hands import estimate_from_hands

        # At most 15 frames a second are kept (the rate the confidence was fitted at), and the
        # last `window_s` seconds: an estimate costs about 0.1 s of the frame thread's time.
        if not self._frames or frame.t - self._frames[-1].t >= 1 / 15 - 1e-3:
            self._frames.append(frame)
        while self._frames and frame.t - self._frames[0].t > self.window_s:
            self._frames.pop(0)
        if self._last_try is None:
            self._last_try = frame.t
        if frame.t - self._last_try < self.every_s:
            return None
        self._last_try = frame.t
        hands = estimate_from_hands(self._frames, self.width, self.height)
        found = fuse(hands, self.pose, self.outline, self.width, self.height)
        if not found.confident or not self._differs(found.points):
            return None
        if self.proposal is not None and not self._differs(found.points, self.proposal.points):
            self.proposal = found  # the same line, surer: keep it without asking again
            return None
        self.proposal = found
        return found

    def _differs(self, pts: SpinePoints, ref: SpinePoints | None = None) -> bool:
        from .spine_score import score_line

        ref = ref if ref is not None else self.current
        if ref is None:
            return True
        s = score_line(pts, ref, self.width, self.height)
        return not (s.head_right and s.angle_deg <= 5.0 and s.mid_share <= 0.04)

    def accept(self) -> SpinePoints:
        """The user confirmed the proposal: it is the line from now on."""
        if self.proposal is None:
            raise ValueError("no proposed line to accept")
        self.current, self.proposal, self.refined = self.proposal.points, None, True
        return self.current

    def reject(self) -> None:
        self.proposal = None
