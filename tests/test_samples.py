"""Real pixels: MediaPipe runs on the bundled rendered samples and the analysis is scored
against their ground truth."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
REQUIRED = ("effleurage_up", "effleurage_wrong_way", "petrissage", "tapotement", "spine_drift", "mini_session")


def test_every_sample_is_bundled_small_and_documented():
    readme = (SAMPLES / "README.md").read_text()
    for name in REQUIRED:
        video = SAMPLES / f"{name}.mp4"
        assert video.exists(), name
        assert video.stat().st_size <= 2_000_000, name
        truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
        assert truth["frames"] and truth["spine"]["head"] != truth["spine"]["sacrum"]
        assert name in readme


@pytest.fixture(scope="module")
def spine_drift():
    from studio.check import check

    return check(SAMPLES / "spine_drift.mp4")


def test_mediapipe_finds_the_drawn_hands(spine_drift):
    assert spine_drift["hands_any"] >= 0.90
    assert spine_drift["hands_both"] >= 0.80


def test_analysis_of_real_pixels_matches_truth(spine_drift):
    assert spine_drift["macro_f1"] >= 0.85
    assert spine_drift["spine_events"] >= 1
    assert spine_drift["spine_caught"] == spine_drift["spine_events"]


def test_cli_analyses_a_video_end_to_end(tmp_path):
    """The README's main job: a bundled sample through MediaPipe to a JSON report."""
    truth = json.loads((SAMPLES / "effleurage_wrong_way.truth.json").read_text())
    spine = ",".join(str(v) for v in truth["spine"]["head"] + truth["spine"]["sacrum"])
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "feedback", "analyze", str(SAMPLES / "effleurage_wrong_way.mp4"),
                           "--spine", spine, "--out", str(out)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-500:]
    # With --out the summary goes to the terminal, and MediaPipe's own start-up notes do not.
    assert "the wrong way" in proc.stderr and "XNNPACK" not in proc.stderr
    report = json.loads(out.read_text())
    assert len(report["frames"]) == len(truth["frames"])
    pressing = [s for s in report["strokes"] if s["type"] == "effleurage" and s["phase"] == "stroke"]
    assert pressing and sum(s["direction"] == "down" for s in pressing) >= 0.8 * len(pressing)
