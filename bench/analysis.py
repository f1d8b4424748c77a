"""The analysis core alone: SessionAnalyzer.push on simulated sessions, each push timed (wall
clock, perf_counter_ns, for the targets; and the thread's CPU time, which other processes on
the machine do not inflate)."""
from __future__ import annotations

import gc
import time

import numpy as np

from feedback import SessionAnalyzer, SpineLine


def run(sessions: int, minutes: float) -> dict:
    """Simulated sessions of the tuning split (realistic tracking noise, 24-60 fps)."""
    from studio.evaluate import session

    times, cpu_times, finish_ms, rates = [], [], [], []
    for i in range(sessions):
        sim = session("tune", i, minutes)
        cam = sim.rig.camera
        analyzer = SessionAnalyzer(SpineLine.from_points(sim.spine, cam.width, cam.height))
        push, clock, cpu_clock = analyzer.push, time.perf_counter_ns, time.thread_time_ns
        ns = np.empty(len(sim.frames), np.int64)
        cpu = np.empty(len(sim.frames), np.int64)
        gc.collect()
        for k, frame in enumerate(sim.frames):
            c0 = cpu_clock()
            t0 = clock()
            push(frame)
            ns[k] = clock() - t0
            cpu[k] = cpu_clock() - c0
        t0 = clock()
        analyzer.finish()
        finish_ms.append((clock() - t0) / 1e6)
        times.append(ns)
        cpu_times.append(cpu)
        rates.append(sim.rig.fps)
    ns = np.concatenate(times)
    ms = ns / 1e6
    cpu_ms = np.concatenate(cpu_times) / 1e6
    return {"sessions": sessions, "minutes_each": minutes, "frames": int(len(ns)),
            "session_fps": [float(r) for r in rates], "fps": len(ns) / (ns.sum() / 1e9),
            "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max()), "finish_ms": float(np.mean(finish_ms)),
            # CPU time of the pushing thread: what the figures would be with the CPU to itself.
            "cpu_fps": len(cpu_ms) / (cpu_ms.sum() / 1e3), "cpu_p99_ms": float(np.percentile(cpu_ms, 99))}
