"""Tracking a recording in parts on several processes gives the one-process track."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tracker.parallel import plan_parts

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


@pytest.mark.parametrize("count,parts,stride", [(1839, 2, 1), (1839, 2, 3), (600, 4, 1), (100, 2, 1), (0, 2, 1)])
def test_parts_cover_the_video_once_on_the_stride_grid(count, parts, stride):
    plan = plan_parts(count, parts, stride)
    assert plan[0][0] == 0 and plan[-1][1] == count
    assert all(b == c for (_, b), (c, _) in zip(plan, plan[1:]))  # consecutive, no overlap or hole
    assert all(a % stride == 0 for a, _ in plan)
    assert len(plan) == 1 or all(b - a >= 300 for a, b in plan)  # short videos stay in one process


def test_two_processes_give_the_one_process_analysis():
    from coaching.spine_policy import Sidecar
    from feedback.analyzer import analyse_frames
    from feedback.spine import SpineLine
    from tracker.parallel import track_video_parallel
    from tracker.pipeline import track_video

    video = SAMPLES / "effleurage_up.mp4"
    one = list(track_video(video))
    two, light = track_video_parallel(video, parts=2)
    assert len(light) == len(two) and all(b is not None and 0 <= b <= 255 for b in light)
    assert [f.t for f in two] == [f.t for f in one]  # every frame once, in order, same times
    found_one = np.array([len(f.hands) for f in one])
    found_two = np.array([len(f.hands) for f in two])
    assert (found_one != found_two).sum() <= 10  # only near the join, where the second graph warms up
    spine = SpineLine.from_points(Sidecar(video).points(), 640, 480)
    a, b = analyse_frames(one, spine), analyse_frames(two, spine)
    assert (a.labels != b.labels).mean() <= 0.01
    assert [(s.direction, s.phase) for s in a.strokes] == [(s.direction, s.phase) for s in b.strokes]
    assert len(a.spine_events) == len(b.spine_events)


def test_the_review_video_drawn_in_parts_is_the_one_pass_video(tmp_path, monkeypatch):
    """The annotated video drawn in two parts at once and joined without re-encoding has every
    frame once, in order, at the one-pass video's times, each drawn with its own frame's result."""
    import os
    from types import SimpleNamespace

    import av
    import cv2

    from coaching import recording
    from feedback.analyzer import FrameResult
    from feedback.spine import SpineLine

    n, size = 640, (160, 120)
    path = tmp_path / "clip.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, size)
    for i in range(n):
        w.write(np.full((size[1], size[0], 3), 60 + (i % 5) * 30, np.uint8))
    w.release()
    spine = SpineLine((0.8, 0.5), (0.2, 0.5), *size)
    # Over the spine on every 7th frame only: a frame drawn with a neighbour's result shows it.
    updates = [SimpleNamespace(result=FrameResult(i / 30, "effleurage", i % 7 == 0), cue=None) for i in range(n)]

    def decoded(data: bytes) -> list[tuple[float, np.ndarray]]:
        (tmp_path / "out.mp4").write_bytes(data)
        with av.open(str(tmp_path / "out.mp4")) as c:
            return [(float(f.pts * f.time_base), f.to_ndarray(format="bgr24")) for f in c.decode(video=0)]

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert len(recording.plan_parts_for_review(n)) == 2
    parts = decoded(recording._annotate(path, 1, updates, spine, 30.0, None))
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    whole = decoded(recording._annotate(path, 1, updates, spine, 30.0, None))
    assert len(parts) == len(whole) == n
    assert np.allclose([t for t, _ in parts], [t for t, _ in whole], atol=0.0015)
    for i, (_, img) in enumerate(parts):
        b, g, r = img[60, 100].astype(int)  # on the spine band: red when over, green when clear
        assert (r > g + 40) == (i % 7 == 0), i
    # A part whose seek lands past its start would leave a hole: the video is drawn in one pass.
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(recording, "LATE_SEEK_FRAMES", -1)
    fallback = decoded(recording._annotate(path, 1, updates, spine, 30.0, None))
    assert [t for t, _ in fallback] == [t for t, _ in whole]
