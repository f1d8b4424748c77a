"""The coach's reading of a session: the summary's times and places against the samples' truth
(MediaPipe on the rendered samples), the coverage map, and the flow measures (SPARC from its
definition)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from feedback import coverage, flow, story
from feedback.report import summarise
from feedback.safety import SpineEvent
from feedback.spine import SpineLine

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"


# -- wording ---------------------------------------------------------------------------------------

def test_plurals_times_and_shares_read_as_a_person_says_them():
    assert story.plural(1, "time") == "1 time" and story.plural(2, "time") == "2 times"
    assert story.plural(0, "glide") == "0 glides" and story.plural(1, "bout") == "1 bout"
    assert story.mmss(28.93) == "0:28" and story.mmss(61) == "1:01" and story.mmss(None) == "–"
    assert story.span_text(28.9, 30.6) == "0:28-0:30" and story.span_text(3.1, 3.9) == "0:03"
    assert story.share_text(0.0456) == "5%" and story.share_text(0.004) == "<1%" and story.share_text(0) == "0%"


def _report(n_up=1, n_down=0, events=(), nhands=None, t=None):
    from feedback.strokes import Stroke

    t = np.arange(0, 20, 1 / 30) if t is None else t
    labels = np.array(["effleurage"] * len(t), dtype=object)
    strokes = [Stroke("effleurage", 1 + 2 * i, 2.5 + 2 * i, direction="up", length=0.8) for i in range(n_up)]
    strokes += [Stroke("effleurage", 12 + 2 * i, 13 + 2 * i, direction="down", length=0.8) for i in range(n_down)]
    nh = np.full(len(t), 2) if nhands is None else nhands
    spine = SpineLine((0.8, 0.5), (0.2, 0.5), 640, 480)
    return summarise(t, labels, np.zeros(len(t), bool), nh, strokes, list(events), spine)


def test_one_glide_is_not_all_1_glides_and_counts_are_singular():
    rep = _report(n_up=1)
    texts = [s for _, s in story.summary(rep)]
    assert "The pressing glide went upward, toward the heart." in texts
    assert not any("All 1" in s or "1 times" in s or "(s)" in s for s in texts)
    rep = _report(n_up=3, n_down=1, events=[SpineEvent(5.2, 7.9, along=0.1, hands=["left"])])
    texts = " ".join(s for _, s in story.summary(rep))
    assert "over the spine 1 time: 0:05-0:07, left-side hand on the spine over the lower back" in texts
    assert "1 pressing glide went down toward the hips (0:12-0:13)" in texts


def test_no_hands_means_no_contact_advice():
    t = np.arange(0, 5, 1 / 30)
    rep = _report(n_up=0, nhands=np.zeros(len(t), int), t=t)
    out = story.summary(rep, breaks=[(0.0, 5.0)])
    assert len(out) == 1 and "No hands were found" in out[0][1]
    from views.widgets import advice

    assert not any("Contact was broken" in s for _, s in advice(rep.summary))


# -- against the samples' truth (real pixels) -----------------------------------------------------

def _truth_drift(name: str) -> tuple[float, float, set[str]]:
    """Start, end and the regions the drifting palm passed over, as the renderer recorded them
    in the sample's truth file (studio.__main__.spine_drifts)."""
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    (drift,) = truth["spine_drifts"]
    over = np.array([f["over_spine"] for f in truth["frames"]])
    t = np.array([f["t"] for f in truth["frames"]])
    assert abs(t[over][0] - drift["start"]) < 1e-3 and abs(t[over][-1] - drift["end"]) < 1e-3
    return drift["start"], drift["end"], set(drift["regions"])


@pytest.fixture(scope="module")
def analysed():
    from coaching.recording import analyse_path
    from views.processing import sample_spine

    out = {}
    for name in ("mini_session", "spine_drift"):
        path = SAMPLES / f"{name}.mp4"
        if not path.exists():
            pytest.skip("the bundled sample videos are not there")
        out[name] = analyse_path(path, points=sample_spine(path), points_source="calibration", use_saved=False)
    return out


@pytest.mark.parametrize("name", ["mini_session", "spine_drift"])
def test_summary_says_when_and_where_the_hand_was_on_the_spine(analysed, name):
    result = analysed[name]
    start, end, regions = _truth_drift(name)
    spine = story.spine_moments(result.report)
    assert len(spine) == 1
    m = spine[0]
    assert abs(m.start - start) <= 0.3 and abs(m.end - end) <= 0.6
    said = m.text.split("over the ")[1]
    assert said in regions, (said, regions)
    alert = next(s for sev, s in story.summary(result.report) if sev == "alert")
    # The hand is named as everywhere in the report: by the side of the spine it came from.
    assert [e.hands for e in result.report.spine_events] in ([["left"]], [["right"]])
    side = result.report.spine_events[0].hands[0]
    assert f"{story.span_text(m.start, m.end)}, {side}-side hand on the spine over the {said}" in alert
    if name == "mini_session":  # the README's session: the drift is wholly in the lumbar third
        assert regions == {"lower back"} and "0:28-0:30" in alert


def test_moments_are_in_time_order_and_include_the_strokes(analysed):
    rep = analysed["mini_session"].report
    ms = story.moments(rep, analysed["mini_session"].cues)
    assert [m.start for m in ms] == sorted(m.start for m in ms)
    kinds = {m.kind for m in ms}
    assert {"spine", "cue", "stroke"} <= kinds
    assert sum(m.kind == "stroke" for m in ms) == len(rep.strokes)


def test_coverage_of_the_mini_session_on_real_pixels(analysed):
    result = analysed["mini_session"]
    cov = coverage.coverage(result.trace.t, result.trace.xy, result.report.labels)
    assert set(cov.seconds) == {"effleurage", "petrissage", "tapotement"}
    total = sum(g.sum() for g in cov.seconds.values())
    # Hand-seconds: about two hands over the worked minute (some frames miss a hand).
    assert 40 < total < 2 * result.report.summary.duration_s
    # The rendered effleurage glides run sacrum to neck on both sides of the spine.
    eff = cov.zone_seconds["effleurage"]
    for side in ("left", "right"):
        assert eff[f"lower back ({side})"] > 2 and eff[f"mid back ({side})"] > 2
    for name in cov.missed:
        assert set(cov.missed[name]) | set(cov.worked[name]) == {z.name for z in coverage.ASKED[name]}


def test_coverage_flags_what_a_one_place_session_missed():
    t = np.arange(0, 30, 1 / 30)
    xy = np.full((len(t), 2, 2), np.nan)
    xy[:, 0] = (0.15, -0.15)  # one hand kneading the left lower back only
    cov = coverage.coverage(t, xy, np.array(["petrissage"] * len(t), dtype=object))
    assert cov.worked["petrissage"] == ["lower back (left)"]
    assert len(cov.missed["petrissage"]) == 5 and cov.share_asked("petrissage") == pytest.approx(1 / 6)
    assert "not reached" in coverage.coverage_text(cov)[0]


# -- flow ------------------------------------------------------------------------------------------

def test_sparc_of_a_minimum_jerk_glide_is_the_reference_at_any_amplitude_and_duration():
    values = [flow.sparc(a * flow.min_jerk_speed(n), 30.0) for a in (0.1, 1.0, 7.0) for n in (20, 45, 120)]
    assert np.ptp(values) < 0.03
    assert np.mean(values) == pytest.approx(flow.SPARC_MIN_JERK, abs=0.03)


def test_sparc_falls_for_a_glide_that_stops_and_starts():
    smooth = flow.sparc(flow.min_jerk_speed(60), 30.0)
    v = flow.min_jerk_speed(60)
    slowed = v * (1 - 0.8 * np.exp(-((np.arange(60) - 30) / 4) ** 2))
    stop_start = np.r_[flow.min_jerk_speed(30), np.zeros(10), flow.min_jerk_speed(30)]
    assert flow.sparc(slowed, 30.0) < flow.SPARC_SMOOTH < smooth
    assert flow.sparc(stop_start, 30.0) < flow.sparc(slowed, 30.0) - 0.5
    with pytest.raises(ValueError):
        flow.sparc(np.zeros(30), 30.0)


def test_contact_breaks_are_gaps_with_no_hand_longer_than_the_guides_second():
    t = np.arange(0, 10, 0.1)
    xy = np.zeros((len(t), 2, 2))
    xy[:5] = np.nan           # before the hands arrive: not a break
    xy[30:36] = np.nan        # 0.7 s gap: shorter than the guide's second
    xy[60:75] = np.nan        # 1.6 s gap
    xy[40:50, 0] = np.nan     # one hand off: still contact
    assert flow.contact_breaks(t, xy) == [(pytest.approx(6.0), pytest.approx(7.5))]
    # A busy computer analysing one frame a second: one frame without a hand is not a 2 s break.
    t = np.arange(0, 10, 1.0)
    xy = np.zeros((len(t), 2, 2))
    xy[4] = np.nan
    assert flow.contact_breaks(t, xy) == []


def test_flow_measures_of_the_mini_session(analysed):
    result = analysed["mini_session"]
    ms = {m.name: m for m in flow.measures(result.report, result.trace.t, result.trace.xy)}
    assert ms["Contact"].value == 0 and ms["Contact"].good
    # Rendered glides are minimum-jerk moves seen through MediaPipe: close to the reference.
    assert -2.2 < ms["Smoothness of glides"].value < -1.3
    assert ms["Even glides"].value is not None and 0 <= ms["Even glides"].value < 1
    assert "Rhythm of petrissage" in ms and ms["Rhythm of petrissage"].value < 0.5
    for m in ms.values():
        assert m.reference and m.text


def test_rhythm_of_a_steady_and_an_uneven_kneading():
    t = np.arange(0, 12, 1 / 30)
    steady = np.cumsum(np.full(len(t), 2 * np.pi * 1.2 / 30))
    jitter = np.cumsum(2 * np.pi * (1.2 + 0.9 * np.sin(2 * np.pi * 0.13 * t)) / 30)
    out = []
    for phase in (steady, jitter):
        xy = np.full((len(t), 2, 2), np.nan)
        xy[:, 0, 0] = 0.5 + 0.05 * np.sin(phase)
        xy[:, 0, 1] = 0.15 + 0.05 * np.cos(phase)
        out.append(flow.cv(flow.cycle_periods(t, xy, 0, 12, 0)))
    assert out[0] < 0.05 < flow.STEADY_CV < out[1]


def test_story_needs_no_streamlit():
    import subprocess
    import sys

    code = ("import sys; import feedback.story, feedback.coverage, feedback.flow; "
            "sys.exit('streamlit' in sys.modules or 'cv2' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0

