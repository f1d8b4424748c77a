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
