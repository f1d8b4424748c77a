"""The whole chain in real-room conditions: rendered clips (studio.conditions) through real
MediaPipe, the bare full-frame detector ("before") against the product's region-of-interest
detector with dim-light enhancement ("after"), then the analysis, scored against the truth.

    python -m studio.real_room --set heldout3 --clips 2 [--out results.json]

Per condition: hands found (in frames with a hand in view), both hands found, macro-F1 over
effleurage / petrissage / tapotement / idle, spine events caught, clear frames flagged, frames
more than 0.6 s after the last hand seen that still carry a technique or a spine alert (must be
0), the camera check's findings, and the detector's milliseconds per frame. Then the curves of
hands found against palm width (px) and against brightness, before and after.

Rendering and MediaPipe are slow on a small machine: about a minute a clip. Nothing is written
but the results (clips stay in memory).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict

import numpy as np

from feedback.analyzer import SessionAnalyzer
from feedback.camera_check import check as camera_check
from feedback.report import label_spans
from feedback.spine import SpineLine
from feedback.tracks import BRIDGE_GAP_S
from tracker.types import SpinePoints

from .conditions import HELDOUT, HELDOUT2_SEED, HELDOUT3_SEED, HELDOUT_SEED, TUNE, TUNE_SEED, Clip, render_clip

CLASSES = ("effleurage", "petrissage", "tapotement", "idle")
PALM_BINS = (0, 12, 16, 20, 25, 30, 40, 1000)
VARIANTS = ("before", "after")


def _detector(variant: str, spine: SpinePoints):
    from tracker.hands import HandDetector
    from tracker.pipeline import region_detector

    return HandDetector() if variant == "before" else region_detector(None, spine)


def run_clip(clip: Clip, variant: str) -> dict:
    spine_pts = SpinePoints(*clip.spine)
    spine = SpineLine.from_points(spine_pts, clip.width, clip.height, "calibration")
    det = _detector(variant, spine_pts)
    an = SessionAnalyzer(spine)
    found = []
    t0 = time.perf_counter()
    det_s = 0.0
    for i, frame in enumerate(clip.frames):
        a = time.perf_counter()
        hf = det.detect(frame, float(clip.t[i]))
        det_s += time.perf_counter() - a
        an.push(hf)
        light = getattr(det, "last_light", None)
        if light is None:
            from tracker.light import measure

            light = measure(frame)
        an.camera.add_brightness(light.mean)
        found.append(len(hf.hands))
    det.close()
    rep = an.finish()
    wall = time.perf_counter() - t0
    found = np.array(found)
    # Frames past the bridging gap after the last detection that still claim something.
    seen_t = np.maximum.accumulate(np.where(found > 0, clip.t, -np.inf))
    lost = clip.t - seen_t > BRIDGE_GAP_S
    violations = int((lost & ((rep.labels != "no_hands") | rep.over_spine)).sum())
    return {"found": found, "labels": rep.labels, "over": rep.over_spine, "violations": violations,
            "ms_per_frame": 1000 * det_s / len(found), "wall_s": wall,
            "camera": [p.code for p in camera_check(an.camera.figures(clip.spine))],
            "camera_figures": an.camera.figures(clip.spine).to_dict()}


def spine_score(clip: Clip, over: np.ndarray, min_event_s: float = 0.3,
                grace_s: float = 0.3) -> tuple[int, int, int, int]:
    """(events, caught, clear frames, clear frames flagged), as studio.evaluate counts them."""
    t, truth = clip.t, clip.over_spine
    events = caught = 0
    for a, b in label_spans(np.where(truth, "on", "off"), "on"):
        if t[b - 1] - t[a] < min_event_s:
            continue
        events += 1
        caught += bool((over & (t >= t[a] - 0.05) & (t <= t[b - 1] + 0.05)).any())
    last_on = np.maximum.accumulate(np.where(truth, t, -np.inf))
    clear = ~truth & (t - last_on > grace_s)
    return events, caught, int(clear.sum()), int((over & clear).sum())


def macro_f1(truth: np.ndarray, pred: np.ndarray) -> tuple[float | None, dict]:
    f1s = {}
    for c in CLASSES:
        if not (truth == c).any():
            continue
        tp = float(((truth == c) & (pred == c)).sum())
        prec = tp / max((pred == c).sum(), 1)
        rec = tp / max((truth == c).sum(), 1)
        f1s[c] = round(2 * prec * rec / (prec + rec), 3) if prec + rec else 0.0
    return (round(float(np.mean(list(f1s.values()))), 3) if f1s else None), f1s


def evaluate(conditions, base_seed: int, clips: int, say=print) -> dict:
    per_cond = {}
    curve = {v: defaultdict(lambda: [0, 0]) for v in VARIANTS}
    bright_curve = {v: defaultdict(lambda: [0, 0]) for v in VARIANTS}
    for ci, cond in enumerate(conditions):
        acc = {v: defaultdict(list) for v in VARIANTS}
        for k in range(clips):
            seed = base_seed + 100 * ci + k
            clip = render_clip(cond, seed)
            view = clip.in_view > 0
            for v in VARIANTS:
                r = run_clip(clip, v)
                a = acc[v]
                a["view"].append(int(view.sum()))
                a["found"].append(int(((r["found"] > 0) & view).sum()))
                a["both_view"].append(int((clip.in_view == 2).sum()))
                a["both"].append(int(((r["found"] >= 2) & (clip.in_view == 2)).sum()))
                a["truth"].append(clip.labels)
                a["pred"].append(r["labels"])
                ev, ca, cl, fl = spine_score(clip, r["over"])
                a["events"].append(ev)
                a["caught"].append(ca)
                a["clear"].append(cl)
                a["flagged"].append(fl)
                a["violations"].append(r["violations"])
                a["ms"].append(r["ms_per_frame"])
                a["camera"].extend(r["camera"])
                a["palm"].append(float(np.nanmedian(clip.palm_px)) if np.isfinite(clip.palm_px).any() else None)
                a["luma"].append(r["camera_figures"]["brightness"])
                for lo, hi in zip(PALM_BINS[:-1], PALM_BINS[1:]):
                    sel = view & (clip.palm_px >= lo) & (clip.palm_px < hi)
                    c = curve[v][f"{lo}-{hi}"]
                    c[0] += int(sel.sum())
                    c[1] += int(((r["found"] > 0) & sel).sum())
                b = bright_curve[v][f"{cond.brightness:.2f}"]
                b[0] += int(view.sum())
                b[1] += int(((r["found"] > 0) & view).sum())
            say(f"  {cond.name} clip {k}: " + ", ".join(
                f"{v} found {acc[v]['found'][-1] / max(acc[v]['view'][-1], 1):.2f}" for v in VARIANTS), file=sys.stderr)
        row = {"condition": cond.name, "brightness": cond.brightness, "fps": cond.fps,
               "distance_cm": list(cond.distance), "azimuth_deg": cond.azimuth_deg}
        for v in VARIANTS:
            a = acc[v]
            f1, f1s = macro_f1(np.concatenate(a["truth"]), np.concatenate(a["pred"]))
            row[v] = {
                "hands_found": round(sum(a["found"]) / max(sum(a["view"]), 1), 3),
                "both_found": round(sum(a["both"]) / max(sum(a["both_view"]), 1), 3),
                "macro_f1": f1, "f1": f1s,
                "spine_events": sum(a["events"]), "spine_caught": sum(a["caught"]),
                "clear_flagged": round(sum(a["flagged"]) / max(sum(a["clear"]), 1), 4),
                "lost_violations": sum(a["violations"]),
                "ms_per_frame": round(float(np.mean(a["ms"])), 1),
                "camera_check": sorted(set(a["camera"])),
                "palm_px": [round(p, 1) if p is not None else None for p in a["palm"]],
                "brightness": a["luma"],
            }
        per_cond[cond.name] = row
        say(json.dumps(row))
    curves = {"palm_px": {v: {k: (c[1] / c[0] if c[0] else None, c[0]) for k, c in curve[v].items()} for v in VARIANTS},
              "brightness": {v: {k: (c[1] / c[0] if c[0] else None, c[0]) for k, c in bright_curve[v].items()}
                             for v in VARIANTS}}
    say(json.dumps({"curves": curves}))
    return {"conditions": per_cond, "curves": curves}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studio.real_room", description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=("tune", "heldout", "heldout2", "heldout3"), default="tune",
                    help="heldout3: the held-out conditions with new seeds (heldout, heldout2: earlier draws)")
    ap.add_argument("--clips", type=int, default=2, help="clips per condition")
    ap.add_argument("--only", action="append", help="only this condition (repeatable)")
    ap.add_argument("--out", help="also write the results as JSON here")
    a = ap.parse_args(argv)
    conds, seed = {"tune": (TUNE, TUNE_SEED), "heldout": (HELDOUT, HELDOUT_SEED),
                   "heldout2": (HELDOUT, HELDOUT2_SEED), "heldout3": (HELDOUT, HELDOUT3_SEED)}[a.set]
    if a.only:
        conds = tuple(c for c in conds if c.name in a.only)
    from tracker.hands import native_logs_hidden

    with native_logs_hidden():
        res = evaluate(conds, seed, a.clips, say=lambda *x, **k: print(*x, **k, flush=True))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
