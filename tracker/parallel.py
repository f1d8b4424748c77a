"""Track a recording on every core: its parts in separate processes, the landmarks joined.

MediaPipe keeps one core busy per graph, so a recording is cut into consecutive parts by frame
index and each part is tracked by its own process (its own decoder and graph). A part after the
first starts `warmup_frames` early and throws those results away, so that its graph is already
tracking the hands when its own frames begin: the joined track then differs from a one-process
run by at most a few frames at each join (the graph's smoothing state), not by a cold start.

Timestamps are the container's, as in `VideoSource`, so the parts join in time exactly.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from .hands import DetectorOptions
from .pipeline import Progress, region_detector, track_frames, track_video
from .source import SourceError, VideoSource
from .types import HandFrame, SpinePoints

# Below this many frames a second process costs more (start-up, model load) than it saves.
MIN_FRAMES_PER_PART = 300
# Frames a later part tracks before its own first frame (about a second at 30 fps).
WARMUP_FRAMES = 30


def plan_parts(frame_count: int, parts: int, stride: int = 1,
               min_frames: int = MIN_FRAMES_PER_PART) -> list[tuple[int, int]]:
    """[start, end) frame indices of each part: as many parts as asked that keep at least
    `min_frames` each, starts on the stride's grid so that the joined track samples the same
    frames as a one-process run."""
    if frame_count <= 0 or parts <= 1:
        return [(0, max(frame_count, 0))]
    parts = max(1, min(parts, frame_count // max(min_frames, 1)))
    cuts = [round(frame_count * k / parts) // stride * stride for k in range(parts + 1)]
    cuts[-1] = frame_count
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


Tracked = tuple[list[HandFrame], list[float | None]]  # the frames, and each frame's brightness


def _track_part(path: str, start: int, end: int, warmup: int, stride: int,
                options: DetectorOptions | None, spine: SpinePoints | None) -> Tracked:
    """One part, in its own process: frames [start, end) of the video, every stride-th, tracked
    as the product tracks (`region_detector`), with each frame's brightness for the camera check."""
    first = max(0, start - warmup * stride)
    first -= first % stride
    out: list[HandFrame] = []
    light: list[float | None] = []
    keep_from: list[float] = []  # the time of frame `start`, once it has been read
    with VideoSource(path, stride=stride, start_frame=first) as source:
        def frames() -> Iterator[tuple[float, object]]:
            index = first
            for t, frame in source:
                if index >= end:
                    return
                if index >= start and not keep_from:
                    keep_from.append(t)
                yield t, frame
                index += stride

        # Frames before `start` only warm the graph up; each result comes back after its frame
        # was read, so `keep_from` is known by the time the first frame to keep is tracked.
        detector = region_detector(options, spine)
        for hand_frame in track_frames(frames(), detector=detector):
            if keep_from and hand_frame.t >= keep_from[0]:
                out.append(hand_frame)
                light.append(None if detector.last_light is None else detector.last_light.mean)
    return out, light


class _Worker:
    """One part tracked by a child Python (`python -m tracker.parallel`), its HandFrames pickled
    back on stdout. A plain child process rather than multiprocessing: multiprocessing's spawn
    re-runs the parent's `__main__`, which inside Streamlit (and its AppTest) is the page script."""

    def __init__(self, path: Path, start: int, end: int, warmup: int, stride: int,
                 options: DetectorOptions | None, spine: SpinePoints | None) -> None:
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        # MediaPipe's native notes go to a file, read only if the part fails: a pipe nobody reads
        # while the part runs could fill and stall it.
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tracker.parallel"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, env=env)
        assert self._proc.stdin is not None
        self._proc.stdin.write(pickle.dumps((str(path), start, end, warmup, stride, options, spine)))
        self._proc.stdin.close()

    def result(self) -> Tracked:
        assert self._proc.stdout is not None
        data = self._proc.stdout.read()
        code = self._proc.wait()
        if code == 0:
            return pickle.loads(data)
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        reason = next((ln[len(_SOURCE_ERROR):] for ln in reversed(lines) if ln.startswith(_SOURCE_ERROR)), None)
        if reason is not None:
            raise SourceError(reason)
        raise RuntimeError("tracking a part of the video failed:\n" + "\n".join(lines[-20:]))

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._log.close()


_SOURCE_ERROR = "SourceError: "


def _child() -> int:
    """The child's side of `_Worker`: arguments pickled on stdin, HandFrames pickled on stdout."""
    args = pickle.loads(sys.stdin.buffer.read())
    try:
        tracked = _track_part(*args)
    except SourceError as e:
        print(_SOURCE_ERROR + str(e), file=sys.stderr)
        return 2
    sys.stdout.buffer.write(pickle.dumps(tracked, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


def track_video_parallel(path: str | Path, detector_options: DetectorOptions | None = None,
                         stride: int = 1, parts: int | None = None, progress: Progress | None = None,
                         spine: SpinePoints | None = None) -> Tracked:
    """The HandFrames of a whole video and each frame's brightness, tracked in `parts` processes
    (default: one per core) on the region around the back when the spine is known.

    Falls back to one process when the video is short or its frame count unknown (a container
    that does not say cannot be cut by index). Raises SourceError for an unreadable video."""
    path = Path(path)
    with VideoSource(path, stride=stride, read_ahead=0) as probe:
        count = probe.frame_count
    plan = plan_parts(count, parts or os.cpu_count() or 1, stride)
    if len(plan) == 1:
        return _track_whole(path, detector_options, stride, progress, spine)
    expected = sum(-(-(b - a) // stride) for a, b in plan)
    workers = [_Worker(path, a, b, 0 if a == 0 else WARMUP_FRAMES, stride, detector_options, spine)
               for a, b in plan]
    results: list[Tracked] = []
    try:
        for k, worker in enumerate(workers):
            try:
                results.append(worker.result())
            except SourceError:
                if k == 0:
                    raise
                # A damaged file that ends before the frames it announces: keep what was read up
                # to there, as a one-process run does.
                break
            if progress is not None:
                progress(sum(len(r[0]) for r in results), expected)
            if len(results[-1][0]) < -(-(plan[k][1] - plan[k][0]) // stride):
                break  # this part ended early: what follows would leave a hole in time
    finally:
        for worker in workers:
            worker.stop()
    # A container's index and its timestamps can disagree by a frame at a seek: keep time increasing.
    frames: list[HandFrame] = []
    light: list[float | None] = []
    for part_frames, part_light in results:
        for hf, b in zip(part_frames, part_light):
            if not frames or hf.t > frames[-1].t:
                frames.append(hf)
                light.append(b)
    return frames, light


def _track_whole(path: Path, options: DetectorOptions | None, stride: int, progress: Progress | None,
                 spine: SpinePoints | None) -> Tracked:
    """In this process (a short video, or one whose length is unknown), with progress per frame."""
    detector = region_detector(options, spine)
    frames: list[HandFrame] = []
    light: list[float | None] = []
    for hf in track_video(path, stride=stride, progress=progress, detector=detector):
        frames.append(hf)
        light.append(None if detector.last_light is None else detector.last_light.mean)
    return frames, light


if __name__ == "__main__":
    sys.exit(_child())
