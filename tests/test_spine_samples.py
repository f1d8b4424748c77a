"""The automatic spine line on real pixels: bundled samples copied away from their calibration
(the `.spine.json` sidecar), analysed by the command line as a new user would."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from feedback.spine_score import score_line
from tracker.types import SpinePoints

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"


def analyze(video: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MASSAGE_COACH_HOME": tempfile.mkdtemp()}  # no saved calibration leaks in
    return subprocess.run([sys.executable, "-m", "feedback", "analyze", str(video), "--stride", "2",
                           "--out", str(out), *extra], capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)


def truth_line(name: str) -> SpinePoints:
    t = json.loads((SAMPLES / f"{name}.truth.json").read_text())["spine"]
    return SpinePoints(tuple(t["head"]), tuple(t["sacrum"]))


@pytest.mark.parametrize("name", ["effleurage_up", "mini_session", "petrissage"])
def test_without_its_calibration_the_sample_gets_a_good_line_and_the_same_spine_events(name, tmp_path):
    copy = tmp_path / f"{name}.mp4"
    shutil.copy(SAMPLES / f"{name}.mp4", copy)
    assert not copy.with_name(f"{name}.spine.json").exists()
    p = analyze(copy, tmp_path / "auto.json")
    assert p.returncode == 0, p.stderr
    auto = json.loads((tmp_path / "auto.json").read_text())["summary"]["spine"]
    line = auto["line"]
    assert line["source"].startswith("auto:") and line["confidence"] >= 0.9
    found = SpinePoints(tuple(line["head"]), tuple(line["sacrum"]))
    assert score_line(found, truth_line(name), 640, 480).good
    # The same video with its calibration beside it: the spine events must be the same.
    p = analyze(SAMPLES / f"{name}.mp4", tmp_path / "cal.json")
    assert p.returncode == 0, p.stderr
    cal = json.loads((tmp_path / "cal.json").read_text())["summary"]["spine"]
    assert cal["line"]["source"] == "calibration"
    if name == "mini_session":
        # Its one drift is borderline: the palm stays about 0.65 palm sizes from the spine (the
        # alert enters at 0.575), below the threshold in about 8 of 59 frames, so a found line
        # 0.7 degrees and 3.7% of the spine off may count it or miss it (measured: 1 event, 1.8 s,
        # as with the calibration). More than one event apart would be a real difference.
        assert abs(auto["events"] - cal["events"]) <= 1
        assert abs(auto["seconds_over"] - cal["seconds_over"]) <= 2.0
    else:
        assert auto["events"] == cal["events"]
        assert abs(auto["seconds_over"] - cal["seconds_over"]) <= 0.5


def test_glides_against_the_picture_are_asked_about_not_presented(tmp_path):
    # Wrong-way effleurage presses toward the hips: the strokes alone would put the head at the
    # hips. The pose in the stills says otherwise, so the user is asked.
    copy = tmp_path / "ww.mp4"
    shutil.copy(SAMPLES / "effleurage_wrong_way.mp4", copy)
    p = analyze(copy, tmp_path / "r.json")
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert "no spine line" in p.stderr and "--spine" in p.stderr and "editor" in p.stderr
    assert not (tmp_path / "r.json").exists()
