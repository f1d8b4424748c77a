"""Command line: bad input gets exit code 2 and one line on stderr, never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from feedback import guide
from studio.session import Segment, random_rig, simulate
from tracker.trackfile import write_track
from tracker.types import TrackHeader

ROOT = Path(__file__).resolve().parents[1]


def cli(*args):
    # An empty home: no spine calibration saved by the app on this machine can leak in.
    env = {**os.environ, "MASSAGE_COACH_HOME": tempfile.mkdtemp()}
    return subprocess.run([sys.executable, "-m", "feedback", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env=env)


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    rng = np.random.default_rng(7)
    rig = random_rig(rng)
    sim = simulate([Segment("effleurage", 6), Segment("tapotement", 5)], rig, rng)
    d = tmp_path_factory.mktemp("t")
    with_spine = d / "with.jsonl"
    write_track(with_spine, TrackHeader(640, 480, rig.fps, sim.spine), sim.frames)
    without = d / "without.jsonl"
    write_track(without, TrackHeader(640, 480, rig.fps, None), sim.frames)
    return with_spine, without, sim


def test_track_to_json_on_stdout(track):
    with_spine, _, sim = track
    p = cli("analyze", with_spine)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)
    assert len(rep["frames"]) == len(sim.frames)
    assert {f["label"] for f in rep["frames"]} <= set(guide.LABELS)
    assert rep["summary"]["seconds_per_label"]["tapotement"] > 2


def test_summary_alone_is_a_few_lines_for_a_person(track):
    with_spine, _, sim = track
    p = cli("analyze", with_spine, "--summary")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert 4 <= len(lines) <= 10 and not p.stdout.lstrip().startswith("{")
    assert lines[0].startswith("session ") and any(line.split()[0] == "tapotement" for line in lines[1:])


def test_mediapipe_notes_are_kept_off_the_terminal_unless_something_fails():
    code = """if True:
        import os, sys
        from tracker.hands import native_logs_hidden
        with native_logs_hidden():
            os.write(2, b"native note\\n")
            print("progress", file=sys.stderr)
        try:
            with native_logs_hidden(expected=(KeyError,)):
                os.write(2, b"expected failure note\\n")
                raise KeyError
        except KeyError:
            pass
        with native_logs_hidden():
            os.write(2, b"why it failed\\n")
            raise RuntimeError("boom")
    """
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "progress" in p.stderr and "native note" not in p.stderr
    assert "expected failure note" not in p.stderr
    assert "why it failed" in p.stderr and "boom" in p.stderr and p.returncode == 1


def test_spine_flag_overrides_and_missing_spine_is_an_error(track):
    _, without, sim = track
    p = cli("analyze", without)
    assert p.returncode == 2 and "no spine line" in p.stderr and p.stderr.count("\n") == 1
    s = sim.spine
    p = cli("analyze", without, "--spine", f"{s.head[0]},{s.head[1]},{s.sacrum[0]},{s.sacrum[1]}")
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("content,name,needle", [
    (None, "missing.mp4", "no such file"),
    (b"", "empty.mp4", "empty"),
    (b"this is not a video", "text.mp4", "not a readable video"),
    (b'{"format": "massage-track", "version": 2, "width": 640, "height": 480, "fps": 30}\n', "v2.jsonl", "version"),
    (b'{"format": "other"}\n', "fmt.jsonl", "format"),
    (b'{"format": "massage-track", "version": 1, "width": 640, "height": 480, "fps": 30, '
     b'"spine": {"head": [0.5, 0.2], "sacrum": [0.5, 0.8]}}\n{"t": 0, "hands": [{"landmarks": [[0, 0, 0]]}]}\n',
     "short.jsonl", "line 2"),
    (b"not json\n", "bad.jsonl", "line 1"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, content, name, needle):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    p = cli("analyze", path)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1, p.stderr
    assert needle in p.stderr.lower()
    assert "Traceback" not in p.stderr


def test_bad_flags_exit_2(track):
    with_spine, _, _ = track
    for args in (["analyze", with_spine, "--spine", "1,2,3"], ["analyze", with_spine, "--stride", "0"],
                 ["analyze", with_spine, "--out", "/no/such/folder/r.json"], ["frobnicate"]):
        p = cli(*args)
        assert p.returncode == 2, args
        assert p.stderr.count("\n") == 1, p.stderr


def test_saved_calibration_of_the_same_camera_is_used(track, tmp_path, monkeypatch):
    from coaching import calibration

    _, without, sim = track
    monkeypatch.setenv("MASSAGE_COACH_HOME", str(tmp_path))
    calibration.save(sim.spine.head, sim.spine.sacrum, image_size=(640, 480))
    p = subprocess.run([sys.executable, "-m", "feedback", "analyze", str(without)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["summary"]["spine"]["line"]["source"] == "calibration"
