"""python -m bench [--quick] [--sample PATH] [--json]

Prints each measurement as it is made, the targets with PASS/MISS, and ends with one summary
line of `name value` pairs (with --json: one JSON object instead). Exit 2 with a one-line
message when there is no sample video.
"""
from __future__ import annotations

import json
import math
import os
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tracker.console import OneLineParser  # first: no FFmpeg chatter between the bench's lines

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"


@dataclass(frozen=True)
class Plan:
    video_frames: int             # frames for bare MediaPipe vs the pipeline
    pairs: int                    # runs of each, back to back
    review_seconds: float         # video reviewed per row (less if the sample is shorter)
    analysis_sessions: int
    analysis_minutes: float
    memory_minutes: tuple[float, float]


QUICK = Plan(video_frames=120, pairs=2, review_seconds=5.0, analysis_sessions=1, analysis_minutes=1.0,
             memory_minutes=(5.0, 15.0))
FULL = Plan(video_frames=300, pairs=5, review_seconds=60.0, analysis_sessions=4, analysis_minutes=2.0,
            memory_minutes=(20.0, 60.0))

REVIEW_SETTINGS = ((1, 1), (0, 1), (1, 2), (0, 2))  # (model_complexity, stride); the first is the default
TARGETS = {"ratio": 0.90, "analysis_fps": 20_000, "analysis_p99_ms": 1.0, "review_x": 1.5, "peak_mb": 400,
           "live_mb_per_hour": 5.0, "review_parts_x": 3.0}


def main(argv: list[str] | None = None) -> int:
    ap = OneLineParser(prog="python -m bench", description="Benchmarks of the massage coach.")
    ap.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    ap.add_argument("--sample", type=Path, help="video to use (default: the longest 640x480 mp4 in sample_videos/)")
    ap.add_argument("--json", action="store_true", help="print all results as one JSON object")
    a = ap.parse_args(argv)

    from . import video

    sample = a.sample if a.sample is not None else video.find_sample(SAMPLES)
    info = video.probe(sample) if sample is not None and sample.is_file() else None
    if info is None:
        where = a.sample if a.sample is not None else f"{SAMPLES}/*.mp4"
        sys.stderr.write(f"python -m bench: no readable sample video at {where} (render the samples first, "
                         "or give one with --sample PATH)\n")
        return 2
    from tracker.hands import native_logs_hidden

    with native_logs_hidden():
        results = run(QUICK if a.quick else FULL, sample, info, say=(lambda *_: None) if a.json else _say)
    if a.json:
        print(json.dumps(results, indent=2, default=float))
    return 0


def _say(line: str = "") -> None:
    print(line, flush=True)


class OtherLoad:
    """Share of the machine's CPUs that other processes used since start(): busy time of all
    CPUs (/proc/stat) less this process's and its finished children's. The machine is shared:
    wall-clock figures taken while this is high are pessimistic."""

    def __init__(self) -> None:
        self.start()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait
        own = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for f in ("ru_utime", "ru_stime"))
        return time.monotonic(), busy, own

    def start(self) -> None:
        self._t0 = self._now()

    def share(self) -> float:
        (t0, b0, o0), (t1, b1, o1) = self._t0, self._now()
        return max(0.0, ((b1 - b0) - (o1 - o0)) / (max(t1 - t0, 1e-9) * (os.cpu_count() or 1)))


def run(plan: Plan, sample: Path, info: tuple[int, int, float, int], say) -> dict:
    import mediapipe

    from tracker.hands import DetectorOptions

    from . import analysis, memory, video

    width, height, fps, count = info
    duration = count / fps
    spine = video.sample_spine(sample, width, height)
    opts = DetectorOptions()
    sample = sample.resolve()
    rel = sample.relative_to(ROOT) if sample.is_relative_to(ROOT) else sample
    say(f"bench ({'quick' if plan is QUICK else 'full'}): {rel}, {width}x{height}, {fps:g} fps, {duration:.1f} s; "
        f"spine from {spine.source}; {os.cpu_count()} CPUs; mediapipe {mediapipe.__version__}")
    say(f"detector: {opts}")
    if (width, height) != (640, 480):
        say(f"NOTE the sample is {width}x{height}: the targets are set for 640x480")
    res: dict = {"mode": "quick" if plan is QUICK else "full",
                 "sample": {"path": str(rel), "width": width, "height": height, "fps": fps, "seconds": duration},
                 "detector_options": vars(opts), "other_processes_cpu_share": {}}
    others = OtherLoad()

    def busy(section: str) -> None:
        share = res["other_processes_cpu_share"][section] = others.share()
        say(f"  other processes used {share:.0%} of the CPUs meanwhile")

    # -- bare MediaPipe against the full pipeline, on the same frames --------------------------
    frames = video.decode(sample, plan.video_frames)
    others.start()
    say()
    say(f"MediaPipe vs the live page: first {len(frames)} frames, decoded beforehand for both (the first untimed "
        f"in both), {plan.pairs} pairs of runs back to back (order alternating), ratio within each pair, median")
    # The headline is the live page's own code (LiveSession.callback), as streamlit-webrtc runs it.
    variants = {"live": dict(live=True)}
    if plan is FULL:
        # Where the time goes: the live page drawing in turn, the recording path's Session.push with the
        # OverlayStage (the old headline), the same without the overlay, and decoding the file too.
        variants.update(live_one_thread=dict(live=True, two_stage=False), pipeline=dict(draw=True),
                        no_overlay=dict(draw=False), with_decoding=dict(draw=True, decode=True))
    runs: dict[str, list[dict]] = {"mediapipe": [], **{k: [] for k in variants}}
    for i in range(plan.pairs):
        # A shared machine's load drifts: pairing runs that follow each other cancels most of it.
        order = ["mediapipe", *variants] if i % 2 == 0 else [*variants, "mediapipe"]
        for name in order:
            if name == "mediapipe":
                runs[name].append(video.bare_mediapipe(frames, opts))
            elif variants[name].get("live"):
                runs[name].append(video.live_page(len(frames), spine, frames,
                                                  two_stage=variants[name].get("two_stage", True)))
            else:
                kw = dict(variants[name])
                given = None if kw.pop("decode", False) else frames  # decoded beforehand, as bare MediaPipe's
                runs[name].append(video.pipeline(sample, len(frames), spine, opts, frames=given, **kw))
    del frames
    ratios = {k: [p["fps"] / b["fps"] for p, b in zip(runs[k], runs["mediapipe"])] for k in variants}

    def row(name: str, key: str) -> dict:
        r = sorted(runs[key], key=lambda x: x["fps"])[len(runs[key]) // 2]  # the median run
        ratio = f"  x{statistics.median(ratios[key]):.3f}" if key in ratios else ""
        hands = "" if math.isnan(r["hands_per_frame"]) else f"  {r['hands_per_frame']:.2f} hands/frame"
        say(f"  {name:50s} {r['fps']:6.1f} fps  {r['ms_per_frame']:5.1f} ms/frame (CPU {r['cpu_ms_per_frame']:4.1f})"
            f"{hands}{ratio}")
        return r

    bare = row("bare MediaPipe Hands: process() on RGB frames", "mediapipe")
    pipe = row("the live page as it runs (LiveSession.callback)", "live")
    say("    (yuv420p in, BGR, region and light, tracking, analysis, panel, overlay drawn in a second thread, "
        "one frame late)")
    if plan is FULL:
        res["live_one_thread"] = row("  the same drawing in turn in one thread", "live_one_thread")
        res["pipeline_overlay_stage"] = row("Session.push, overlay in the OverlayStage (a recording's way)",
                                            "pipeline")
        res["pipeline_no_overlay"] = row("  the same without the overlay", "no_overlay")
        res["pipeline_with_decoding"] = row("  the same decoding the file too (bare MediaPipe does not)",
                                            "with_decoding")
        res["ratios"] = {k: [round(x, 4) for x in v] for k, v in ratios.items()}
    ratio = statistics.median(ratios["live"])
    say(f"  live page / MediaPipe {ratio:.3f} (pairs: {min(ratios['live']):.3f} to {max(ratios['live']):.3f})")
    busy("mediapipe_vs_pipeline")
    res.update(mediapipe=bare, pipeline=pipe, pipeline_vs_mediapipe=ratio)

    # -- analysis only --------------------------------------------------------------------------
    others.start()
    an = analysis.run(plan.analysis_sessions, plan.analysis_minutes)
    say()
    say(f"Analysis only: SessionAnalyzer.push on {an['sessions']} simulated session(s) x {an['minutes_each']:g} min "
        f"(tracks at {', '.join(f'{r:g}' for r in an['session_fps'])} fps), {an['frames']} frames, each push timed")
    say(f"  {an['fps']:8.0f} frames/s   p50 {an['p50_ms']:.3f} ms   p99 {an['p99_ms']:.3f} ms   "
        f"max {an['max_ms']:.2f} ms   finish() {an['finish_ms']:.1f} ms per session")
    say(f"  in CPU time of the thread: {an['cpu_fps']:.0f} frames/s, p99 {an['cpu_p99_ms']:.3f} ms")
    busy("analysis")
    res["analysis"] = an

    # -- review of a recording ------------------------------------------------------------------
    seconds = min(plan.review_seconds, duration)
    say()
    say(f"Review in one process, frame by frame: VideoSource -> Session.push -> finish(), end to end, on {seconds:g} s "
        "of video")
    say("  resolution  complexity  stride  frames  video s  wall s  CPU s  x real time")
    rows = []
    others.start()
    for mc, stride in REVIEW_SETTINGS:
        r = video.review(sample, spine, mc, stride, seconds if seconds < duration else None)
        rows.append(r)
        say(f"  {r['resolution']:10s}  {mc:10d}  {stride:6d}  {r['frames']:6d}  {r['video_s']:7.1f}  "
            f"{r['wall_s']:6.2f}  {r['cpu_s']:5.1f}  {r['x_realtime']:11.2f}")
    r = video.review_on_every_core(sample, spine)  # the whole sample, the command line's way
    say(f"  command line (analyse_path, tracked in parts on every core): {r['frames']} frames, "
        f"{r['wall_s']:.2f} s wall, {r['x_realtime']:.2f}x real time")
    res["review_every_core"] = r
    r = video.review_on_every_core(sample, spine, annotate=True)  # the review page's way
    say(f"  review page (analyse_path with the annotated video drawn and encoded): {r['frames']} frames, "
        f"{r['wall_s']:.2f} s wall, {r['x_realtime']:.2f}x real time")
    res["review_page"] = r
    busy("review")
    res["review"] = rows
    # The target is for a 30 fps recording: frames of video handled per second / 30.
    review_x = rows[0]["x_realtime"] * rows[0]["video_fps"] / 30.0
    if abs(rows[0]["video_fps"] - 30.0) > 0.5:
        say(f"  (the sample is {rows[0]['video_fps']:g} fps: at 30 fps the default row would be {review_x:.2f}x)")

    # -- memory of long sessions ----------------------------------------------------------------
    mem = memory.measure(plan.memory_minutes)
    say()
    say(f"Memory: {memory.FPS:g} fps simulated tracks streamed into push(), one subprocess per length, "
        "RSS every simulated minute")
    for r in mem["runs"]:
        say(f"  {r['minutes']:4g} min  {r['frames']:6d} frames  baseline {r['baseline_mb']:5.1f} MB  "
            f"after push() {r['live_end_mb']:5.1f} MB  peak with finish() {r['peak_mb']:5.1f} MB  "
            f"(push {r['push_s']:.1f} s, finish {r['finish_s']:.2f} s)")
    how = "measured" if mem["peak_60min_measured"] else \
        f"extrapolated from {plan.memory_minutes[0]:g} and {plan.memory_minutes[1]:g} min"
    say(f"  growth: live use (push only) {mem['live_mb_per_hour']:+.1f} MB/hour, with finish() "
        f"{mem['finish_mb_per_hour']:+.1f} MB/hour; 60-minute peak {mem['peak_60min_mb']:.0f} MB ({how})")
    res["memory"] = mem

    # -- targets --------------------------------------------------------------------------------
    checks = [
        ("the live page >= 0.90 of bare MediaPipe's fps",
         ratio >= TARGETS["ratio"], f"{ratio:.3f}"),
        ("analysis >= 20,000 frames/s", an["fps"] >= TARGETS["analysis_fps"], f"{an['fps']:.0f}"),
        ("analysis p99 <= 1 ms per frame", an["p99_ms"] <= TARGETS["analysis_p99_ms"], f"{an['p99_ms']:.3f} ms"),
        ("review of a 30 fps recording >= 1.5x real time (complexity 1, stride 1)",
         review_x >= TARGETS["review_x"], f"{review_x:.2f}x"),
        ("review on every core, the command line's way, >= 3x real time",
         res["review_every_core"]["x_realtime"] >= TARGETS["review_parts_x"],
         f"{res['review_every_core']['x_realtime']:.2f}x"),
        ("review page's way (with the annotated video) >= 3x real time",
         res["review_page"]["x_realtime"] >= TARGETS["review_parts_x"], f"{res['review_page']['x_realtime']:.2f}x"),
        ("60-minute session peak RSS <= 400 MB", mem["peak_60min_mb"] <= TARGETS["peak_mb"],
         f"{mem['peak_60min_mb']:.0f} MB"),
        (f"flat in live use (push() growth <= {TARGETS['live_mb_per_hour']:g} MB/hour)",
         mem["live_mb_per_hour"] <= TARGETS["live_mb_per_hour"], f"{mem['live_mb_per_hour']:+.1f} MB/hour"),
    ]
    say()
    worst = max(res["other_processes_cpu_share"].values())
    if worst > 0.1:
        say(f"NOTE other processes used up to {worst:.0%} of the CPUs during the timed parts: wall-clock figures "
            "are pessimistic (compare the CPU figures)")
    say("Targets")
    for name, ok, value in checks:
        say(f"  {'PASS' if ok else 'MISS'}  {name}: {value}")
    res["targets"] = [{"target": name, "pass": ok, "value": value} for name, ok, value in checks]
    summary = {
        "pipeline_vs_mediapipe": round(ratio, 3), "mediapipe_fps": round(bare["fps"], 1),
        "pipeline_fps": round(pipe["fps"], 1), "analysis_fps": round(an["fps"]),
        "analysis_p50_ms": round(an["p50_ms"], 3), "analysis_p99_ms": round(an["p99_ms"], 3),
        "review_x_realtime": round(review_x, 2), "peak_rss_mb": round(mem["peak_60min_mb"]),
        "live_mb_per_hour": round(mem["live_mb_per_hour"], 1), "targets_missed": sum(not ok for _, ok, _ in checks),
    }
    res["summary"] = summary
    say(" ".join(f"{k} {v}" for k, v in summary.items()))
    return res


if __name__ == "__main__":
    sys.exit(main())
