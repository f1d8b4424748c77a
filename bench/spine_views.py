"""Score the automatic spine line on rendered views (studio.spineviews).

    python -m bench.spine_views fit DIR [SETS]  fit the confidence model on DIR/SET for each of
                                                the comma-separated SETS (default tune), write it
    python -m bench.spine_views report DIR SET  figures on DIR/SET

Per view: the still-only line (pose and outline on the 3 stills: real pixels through
MediaPipe) and the fused line after 10, 20 and 40 s of massage (hands from the view's
landmark track: simulated tracking, no pixels). A line is good as feedback.spine_score says.
"""
from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import numpy as np

from feedback.spine_auto import CONFIRM_AT, ConfidenceModel, fuse, model
from feedback.spine_from_hands import estimate_from_hands
from feedback.spine_score import score_line
from tracker.filestore import write_text
from tracker.trackfile import read_track
from tracker.types import SpinePoints

STAGES = (None, 10.0, 20.0, 40.0)  # None: a still alone, before the massage


def image_evidence(views: list[Path], cache: Path) -> dict:
    """Pose and outline evidence per view, computed once (MediaPipe on the stills)."""
    done = pickle.loads(cache.read_bytes()) if cache.exists() else {}
    todo = [v for v in views if str(v) not in done]
    if todo:
        import cv2

        from tracker.spine_image import spine_from_outline, spine_from_pose
        from tracker.body import BodyMask, PoseModel

        with PoseModel() as pose, BodyMask() as mask:
            for v in todo:
                stills = [cv2.imread(str(p)) for p in sorted(v.glob("still_*.png"))]
                done[str(v)] = (spine_from_pose(stills, pose), spine_from_outline(stills, mask))
        cache.write_bytes(pickle.dumps(done))
    return done


def rows(root: Path, name: str) -> list[dict]:
    import cv2

    from tracker.spine_image import skin_ends

    views = sorted(p for p in (root / name).iterdir() if (p / "truth.json").exists())
    img = image_evidence(views, root / f"image_evidence_{name}.pkl")
    out = []
    for v in views:
        truth = json.loads((v / "truth.json").read_text())
        w, h = truth["width"], truth["height"]
        true = SpinePoints(tuple(truth["spine"]["head"]), tuple(truth["spine"]["sacrum"]))
        _, frames = read_track(v / "track.jsonl")
        pose, outline = img[str(v)]
        stills = [cv2.imread(str(p)) for p in sorted(v.glob("still_*.png"))]
        for stage in STAGES:
            hands = None if stage is None else estimate_from_hands(frames, w, h, stage)
            # The picture's ends along the strokes' line (as coaching.spine_policy.auto_spine does).
            ends = None if hands is None or hands.points is None else skin_ends(stills, hands.points)
            hands_only = None if hands is None or hands.points is None else score_line(hands.points, true, w, h)
            out.append({"view": v.name, "set": name, "stage": stage, "where": truth["where"], "light": truth["light"],
                        "hands": hands, "pose": pose, "outline": outline, "ends": ends, "w": w, "h": h, "truth": true,
                        "hands_only_good": None if hands_only is None else hands_only.good})
    return out


def evaluate(rs: list[dict], confidence: ConfidenceModel | None = None) -> list[dict]:
    for r in rs:
        a = fuse(r["hands"], r["pose"], r["outline"], r["w"], r["h"], confidence, ends=r["ends"])
        r["auto"] = a
        r["score"] = None if a.points is None else score_line(a.points, r["truth"], r["w"], r["h"])
        r["good"] = bool(r["score"] is not None and r["score"].good)
        # The hands' evidence alone, through the same calibrated model (no stills).
        r["hands_auto"] = None if r["hands"] is None else fuse(r["hands"], None, None, r["w"], r["h"], confidence)
        # The model's own P(good) for the hands alone, before the product's cap (HANDS_ALONE_CAP).
        r["hands_p"] = 0.0 if r["hands_auto"] is None or r["hands_auto"].points is None \
            else (confidence or model())(r["hands_auto"].features)
    return rs


def table(rs: list[dict]) -> str:
    lines = ["stage      n  found&sure  good  asked  wrong&sure  head-right|good  hands-alone good  "
             "mean conf | good rate, conf>=0.9 bins"]
    hands_line: list[str] = []
    for stage in STAGES:
        s = [r for r in rs if r["stage"] == stage]
        n = len(s)
        sure = [r for r in s if r["auto"].confident]
        good_sure = sum(r["good"] for r in sure)
        asked = n - len(sure)
        wrong_sure = len(sure) - good_sure
        line_good = [r for r in s if r["score"] is not None and r["score"].line_good]
        head = sum(r["score"].head_right for r in line_good)
        ho = sum(bool(r["hands_only_good"]) for r in s)
        conf = np.array([r["auto"].confidence for r in s])
        good = np.array([r["good"] for r in s])
        hi = conf >= CONFIRM_AT
        hs = [r for r in s if r["hands_p"] >= CONFIRM_AT]
        hs_good = sum(bool(r["hands_only_good"]) for r in hs)
        if stage is not None:
            hands_line.append(f"{stage:.0f} s: hands alone (model P >= {CONFIRM_AT}, before the no-picture cap), "
                              f"sure {len(hs)}, good&sure {hs_good}, wrong&sure "
                              f"{len(hs) - hs_good}, asked {n - len(hs)}; any line good {ho} of {n}")
        lines.append(f"{'still' if stage is None else f'{stage:.0f} s':6s} {n:4d}  {len(sure):10d}  {good_sure:4d}  "
                     f"{asked:5d}  {wrong_sure:10d}  {head:4d}/{len(line_good):<4d}       {ho:4d}        "
                     f"{conf.mean():.2f} | {good[hi].mean() if hi.any() else float('nan'):.2f} of {hi.sum()}")
    return "\n".join(lines + hands_line)


def reliability(rs: list[dict]) -> str:
    conf = np.array([r["auto"].confidence for r in rs if r["auto"].points is not None])
    good = np.array([r["good"] for r in rs if r["auto"].points is not None])
    out = []
    for lo, hi in ((0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 0.95), (0.95, 1.01)):
        m = (conf >= lo) & (conf < hi)
        if m.any():
            out.append(f"  conf {lo:.2f}-{min(hi, 1):.2f}: {m.sum():4d} lines, mean conf {conf[m].mean():.2f}, "
                       f"good {good[m].mean():.2f}")
    return "\n".join(out)


def write_weights(m: ConfidenceModel) -> None:
    """The fitted weights as the analysis core's code (feedback/spine_confidence.py), atomically."""
    import feedback.spine_confidence as target

    head = target.__doc__.strip()
    body = "".join(f"    {k!r}: {v!r},\n" for k, v in m.weights.items()).replace("'", '"')
    write_text(Path(target.__file__), f'"""{head}"""\n\nWEIGHTS = {{\n{body}}}\n')


def main(argv: list[str]) -> int:
    cmd, root = argv[0], Path(argv[1])
    if cmd == "fit":
        sets = (argv[2] if len(argv) > 2 else "tune").split(",")
        rs = evaluate([r for name in sets for r in rows(root, name)], ConfidenceModel({}))
        # Each view twice: with the stills' evidence and with the hands alone (a track file
        # without pictures, or a live session before the pose is in), so both are calibrated.
        fused = [(r["auto"], r["good"]) for r in rs if r["auto"].points is not None]
        alone = [(r["hands_auto"], bool(r["hands_only_good"])) for r in rs
                 if r["hands_auto"] is not None and r["hands_auto"].points is not None]
        feats = [a.features for a, _ in fused + alone]
        good = [g for _, g in fused + alone]
        m = ConfidenceModel.fit(feats, good)
        write_weights(m)
        print(json.dumps(m.weights, indent=1))
        for name in sets:
            part = evaluate([r for r in rs if r["set"] == name], m)
            print(f"{name}: {len({r['view'] for r in part})} views (fitted on)")
            print(table(part))
            print(reliability(part))
        return 0
    rs = evaluate(rows(root, argv[2]))
    print(f"{argv[2]}: {len({r['view'] for r in rs})} views")
    print(table(rs))
    print(reliability(rs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
