"""Soak: the live page's processing path and the command line, run for a long time, with the
memory printed every minute. Not part of the test suite.

    nice -n 19 python -m bench.soak MINUTES [--fps 15] [--record] [--session-minutes 5]

Frames of a bundled sample (looped, with steady timestamps as a webcam gives) go through
`LiveSession.callback`, the very function streamlit-webrtc calls for each frame, at `--fps`;
every `--session-minutes` the session is stopped (its report built, its recording closed)
and a new one begun, as a user pressing STOP and START would. Meanwhile `python -m feedback
analyze` of a track runs again and again in a subprocess, from a thread beside the live path
(its memory is its own: its peak RSS is printed). Each minute prints one line: minute, frames, the process's RSS
and thread count, the open files, and our temporary folders; the last line is a JSON summary.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "effleurage_up.mp4"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def cli_peak_mb(track: Path) -> tuple[int, float]:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
    code = ("import sys, runpy; sys.argv = ['feedback', 'analyze', sys.argv[1], '--summary']\n"
            "try:\n runpy.run_module('feedback', run_name='__main__')\n"
            "except SystemExit as e:\n"
            " print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0],"
            " file=sys.stderr); raise")
    p = subprocess.run([sys.executable, "-c", code, str(track)], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "MASSAGE_COACH_HOME": tempfile.mkdtemp()}, timeout=300)
    return p.returncode, int(p.stderr.strip().splitlines()[-1]) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soak")
    ap.add_argument("minutes", type=float)
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--record", action="store_true", help="record the annotated video, as the toggle does")
    ap.add_argument("--session-minutes", type=float, default=5.0)
    a = ap.parse_args()

    import av
    import cv2
    import numpy as np

    from coaching import calibration
    from coaching.spine_policy import Sidecar
    from tracker.trackfile import write_track
    from tracker.types import TrackHeader
    from coaching import live as live_page

    cap = cv2.VideoCapture(str(SAMPLE))
    frames = []
    while len(frames) < 300:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    spine = Sidecar(SAMPLE).points()
    home = tempfile.mkdtemp(prefix="soak-home-")
    os.environ["MASSAGE_COACH_HOME"] = home
    calibration.save(spine.head, spine.sacrum, image_size=(frames[0].shape[1], frames[0].shape[0]))

    # A track for the command line, from the simulator (no MediaPipe needed in the CLI run).
    from studio.session import random_rig, random_script, simulate

    rng = np.random.default_rng(11)
    rig = random_rig(rng)
    sim = simulate(random_script(rng, 2.0), rig, rng)
    track = Path(home) / "soak.jsonl"
    write_track(track, TrackHeader(640, 480, rig.fps, sim.spine), sim.frames)
    del sim

    session = live_page.LiveSession()
    session.set_points(spine)
    session.begin("beginner", a.record)
    start = time.monotonic()
    n, sessions, rows = 0, 1, []
    next_minute, next_session = 60.0, a.session_minutes * 60.0
    cli, cli_result = None, {}
    print("minute frames sessions rss_mb threads fds tmp_ours cli_rc cli_peak_mb", flush=True)
    while True:
        now = time.monotonic() - start
        if now >= a.minutes * 60:
            break
        frame = av.VideoFrame.from_ndarray(frames[n % len(frames)], format="bgr24")
        frame.pts, frame.time_base = n, Fraction(1, int(round(a.fps)))
        session.callback(frame)
        n += 1
        if now >= next_session:
            session.stop()
            session.begin("beginner", a.record)
            sessions += 1
            next_session += a.session_minutes * 60.0
        if cli is None or not cli.is_alive():  # the command line runs beside the live path, never blocking it
            cli = threading.Thread(target=lambda: cli_result.update(zip(("rc", "peak"), cli_peak_mb(track))),
                                   daemon=True)
            cli.start()
        if now >= next_minute:
            gc.collect()
            rc, peak = cli_result.get("rc"), cli_result.get("peak", float("nan"))
            ours = len([p for p in Path(tempfile.gettempdir()).glob("massage-coach-*")])
            row = dict(minute=round(now / 60), frames=n, sessions=sessions, rss_mb=round(rss_mb(), 1),
                       threads=threads(), fds=open_files(), tmp_ours=ours, cli_rc=rc, cli_peak_mb=round(peak, 1))
            rows.append(row)
            print(" ".join(str(v) for v in row.values()), flush=True)
            next_minute += 60.0
        delay = start + n / a.fps - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    session.stop()
    rss = [r["rss_mb"] for r in rows]
    later = rss[len(rss) // 3:] if len(rss) >= 3 else rss
    summary = {"minutes": a.minutes, "frames": n, "sessions": sessions, "record": a.record,
               "rss_first_mb": rss[0] if rss else None, "rss_last_mb": rss[-1] if rss else None,
               "rss_max_mb": max(rss) if rss else None,
               "rss_slope_mb_per_min_after_first_third":
                   round(float(np.polyfit(range(len(later)), later, 1)[0]), 3) if len(later) >= 2 else None,
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
