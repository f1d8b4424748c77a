"""The automatic spine line: the evidence of the pictures and of the hands, checked against each
other, with a confidence that means what it says.

Sources of evidence (each a small estimator returning a line and its features):
- hands (feedback.spine_from_hands): once the massage runs, the midline between the two hands
  and the direction of the pressing glides; the most precise once there are strokes;
- pose (feedback.spine_from_image.spine_from_pose): MediaPipe Pose on turned stills;
- outline (feedback.spine_from_image.spine_from_outline): the body mask's long axis.

`fuse` takes the hands' line when there is one (its head end from the glides, or from the pose
when the glides do not say and the pose agrees with the line), else the pose's. Its confidence
is a logistic function of agreement and quality features, fitted on rendered tune views (see
`fit` and bench/spine_views.py) and checked on held-out views: P(line is good).

A line is presented as found only at CONFIRM_AT or more; below that the user is asked to
confirm it or set it by hand.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tracker.types import SpinePoints

from .spine_from_hands import HandsEvidence
from .spine_from_image import ImageEvidence

CONFIRM_AT = 0.9   # at or above: the line is given as found; below: the user is asked
HEAD_FROM_HANDS = 0.3  # a glide vote clearer than this decides the head end by itself
AGREE_DEG = 25.0
MODEL_PATH = Path(__file__).with_name("spine_confidence.json")

FEATURES = ("bias", "hands", "straightness", "pairs", "head_votes", "head_score", "pose", "pose_agree",
            "pose_axis_cos", "pose_head", "outline_axis_cos")


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
             width: int, height: int) -> tuple[SpinePoints | None, str, dict]:
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
        if pose_pts is not None:
            c = float(_dir(line, scale) @ _dir(pose_pts, scale))
            f["pose_axis_cos"] = abs(c)
            if abs(c) >= np.cos(np.radians(AGREE_DEG)):
                if hands.head_score < HEAD_FROM_HANDS and c < 0:
                    line, c = _flip(line), -c  # the glides did not say; the pose does
                    source = "hands+pose"
                elif hands.head_score < HEAD_FROM_HANDS:
                    source = "hands+pose"
                f["pose_head"] = 1.0 if c > 0 else -1.0
    elif pose_pts is not None:
        line, source = pose_pts, "pose"
        f["pose_axis_cos"] = 1.0
        f["pose_head"] = 1.0
    if line is not None and outline is not None and outline.points is not None:
        f["outline_axis_cos"] = abs(float(_dir(line, scale) @ _dir(outline.points, scale)))
    return line, source, f


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

    def save(self, path: Path = MODEL_PATH) -> None:
        path.write_text(json.dumps({"features": list(FEATURES), "weights": self.weights}, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "ConfidenceModel":
        return cls(json.loads(path.read_text())["weights"])


_MODEL: ConfidenceModel | None = None


def model() -> ConfidenceModel:
    global _MODEL
    if _MODEL is None:
        _MODEL = ConfidenceModel.load()
    return _MODEL


def fuse(hands: HandsEvidence | None, pose: ImageEvidence | None, outline: ImageEvidence | None,
         width: int, height: int, confidence: ConfidenceModel | None = None) -> AutoSpine:
    line, source, f = features(hands, pose, outline, width, height)
    if line is None:
        return AutoSpine(None, 0.0, "none", "no person lying face down was found, and no strokes to learn from", f)
    p = (confidence or model())(f)
    if p >= CONFIRM_AT:
        reason = f"spine line found from the {source.replace('+', ' and the ')} ({p:.0%} sure)"
    elif source == "pose":
        reason = f"a possible spine line from the picture alone, only {p:.0%} sure"
    elif f["pose"] and f["pose_axis_cos"] < np.cos(np.radians(AGREE_DEG)):
        reason = f"the strokes and the picture disagree about the spine line ({p:.0%} sure)"
    else:
        reason = f"the strokes so far give only a rough spine line ({p:.0%} sure)"
    return AutoSpine(line, p, source, reason, f)
