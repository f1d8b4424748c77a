"""Memory of long sessions, one fresh subprocess per session length.

    python -m bench.memory MINUTES     # worker: prints one JSON line

The worker simulates a 2-minute session at 30 fps once and streams it into a SessionAnalyzer
again and again with shifted timestamps (fresh landmark arrays each time, as a real track
gives) until MINUTES of session have been pushed; RSS is sampled every simulated minute (the
live path: push() only), then finish() builds the report and VmHWM gives the peak.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BASE_MINUTES = 2.0
FPS = 30.0
WARMUP_MINUTES = 2  # RSS samples before this are not used for the slope


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{key} not in /proc/self/status")


def worker(minutes: float, seed: int = 5) -> dict:
    import gc

    import numpy as np

    from feedback import SessionAnalyzer, SpineLine
    from studio.session import random_rig, random_script, simulate
    from tracker.types import Hand, HandFrame

    rng = np.random.default_rng(seed)
    rig = random_rig(rng, fps=FPS)
    sim = simulate(random_script(rng, BASE_MINUTES), rig, rng)
    base = [(f.t, [(h.landmarks, h.handedness, h.score) for h in f.hands]) for f in sim.frames]
    period = base[-1][0] + 1.0 / FPS
    spine = SpineLine.from_points(sim.spine, rig.camera.width, rig.camera.height)
    del sim
    gc.collect()
    baseline = _status_mb("VmRSS")
    try:  # reset VmHWM to the current RSS, so the peak is that of the analysis, not the simulation
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass

    analyzer = SessionAnalyzer(spine)
    end, next_sample, samples, frames = minutes * 60.0, 60.0, [], 0
    t0 = time.perf_counter()
    for k in range(int(end // period) + 1):
        offset = k * period
        for t, hands in base:
            t += offset
            if t >= end:
                break
            analyzer.push(HandFrame(t, [Hand(lm.copy(), hd, sc) for lm, hd, sc in hands]))
            frames += 1
            if t >= next_sample:
                samples.append((round(t / 60.0, 3), _status_mb("VmRSS")))
                next_sample += 60.0
    push_s = time.perf_counter() - t0
    live_end, live_peak = _status_mb("VmRSS"), _status_mb("VmHWM")
    t0 = time.perf_counter()
    report = analyzer.finish()
    finish_s = time.perf_counter() - t0
    return {"minutes": minutes, "frames": frames, "report_frames": int(len(report.t)),
            "baseline_mb": baseline, "samples": samples, "live_end_mb": live_end, "live_peak_mb": live_peak,
            "peak_mb": _status_mb("VmHWM"), "push_s": push_s, "finish_s": finish_s}


def slope_mb_per_hour(samples: list[tuple[float, float]]) -> float:
    import numpy as np

    pts = np.array([s for s in samples if s[0] >= WARMUP_MINUTES], float)
    if len(pts) < 2:
        return float("nan")
    return float(np.polyfit(pts[:, 0] / 60.0, pts[:, 1], 1)[0])


def measure(lengths: tuple[float, float]) -> dict:
    """Runs the two session lengths side by side (memory, not time, is measured here)."""
    root = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen([sys.executable, "-m", "bench.memory", str(m)], cwd=root,
                              stdout=subprocess.PIPE, text=True) for m in lengths]
    runs = []
    for m, p in zip(lengths, procs):
        out, _ = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"memory worker for {m} min failed with exit code {p.returncode}")
        runs.append(json.loads(out.strip().splitlines()[-1]))
    short, long = runs
    hours = (long["minutes"] - short["minutes"]) / 60.0
    finish_slope = (long["peak_mb"] - short["peak_mb"]) / hours
    peak_60 = long["peak_mb"] + finish_slope * (60.0 - long["minutes"]) / 60.0
    return {"runs": runs, "live_mb_per_hour": slope_mb_per_hour(long["samples"]),
            "finish_mb_per_hour": finish_slope, "peak_60min_mb": peak_60,
            "peak_60min_measured": long["minutes"] == 60}


if __name__ == "__main__":
    print(json.dumps(worker(float(sys.argv[1]))))
