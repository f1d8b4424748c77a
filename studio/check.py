"""Run real MediaPipe on rendered samples and score the analysis against their truth.

    python -m studio.check [sample_videos/*.mp4]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from feedback.analyzer import analyse_frames
from feedback.report import label_spans
from feedback.spine import SpineLine
from tracker.types import SpinePoints


def load_truth(video: Path) -> dict:
    return json.loads(video.with_name(video.stem + ".truth.json").read_text())


def score(truth: dict, t: np.ndarray, labels: np.ndarray, over: np.ndarray) -> dict:
    """Per-frame technique F1 over the classes present in the truth, and spine events caught."""
    tt = np.array([f["t"] for f in truth["frames"]])
    idx = np.clip(np.searchsorted(tt, t), 0, len(tt) - 1)
    tl = np.array([f["label"] for f in truth["frames"]])[idx]
    to = np.array([f["over_spine"] for f in truth["frames"]])
    present = [c for c in ("effleurage", "petrissage", "tapotement", "idle") if (tl == c).any()]
    f1s = {}
    for c in present:
        tp = float(((tl == c) & (labels == c)).sum())
        prec = tp / max((labels == c).sum(), 1)
        rec = tp / max((tl == c).sum(), 1)
        f1s[c] = round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0
    events = caught = 0
    for a, b in label_spans(np.where(to, "on", "off"), "on"):
        if tt[b - 1] - tt[a] < 0.3:
            continue
        events += 1
        caught += bool((over & (t >= tt[a] - 0.05) & (t <= tt[b - 1] + 0.05)).any())
    truth_over = to[idx]
    return {"f1": f1s, "macro_f1": round(float(np.mean(list(f1s.values()))), 4) if f1s else None,
            "accuracy": round(float((tl == labels).mean()), 4), "spine_events": events, "spine_caught": caught,
            "false_spine_frames": int((over & ~truth_over).sum())}


def check(video: Path) -> dict:
    from tracker.pipeline import track_video

    truth = load_truth(video)
    spine = SpineLine.from_points(SpinePoints(tuple(truth["spine"]["head"]), tuple(truth["spine"]["sacrum"])),
                                  truth["width"], truth["height"], "calibration")
    frames = list(track_video(video, spine=spine.points()))
    hands = np.array([len(f.hands) for f in frames])
    rep = analyse_frames(frames, spine)
    out = {"sample": video.stem, "frames": len(frames), "hands_any": round(float((hands >= 1).mean()), 4),
           "hands_both": round(float((hands >= 2).mean()), 4)}
    out.update(score(truth, rep.t, rep.labels, rep.over_spine))
    return out


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])] or \
        sorted((Path(__file__).resolve().parents[1] / "sample_videos").glob("*.mp4"))
    for p in paths:
        print(json.dumps(check(p)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
