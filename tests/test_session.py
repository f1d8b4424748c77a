"""One Session for every path: the command line, the review page's code and the live page's code
give the same report; results do not change once handed out; the live counters are the
report's; the spine line's chain has one order and one set of checks."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from coaching.session import Session, SessionFinished
from feedback.spine import SpineError, SpineLine
from studio.session import Segment, random_rig, simulate

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"


def sim_session(script, seed):
    rng = np.random.default_rng(seed)
    rig = random_rig(rng, fps=30)
    sim = simulate(script, rig, rng)
    return sim, SpineLine.from_points(sim.spine, rig.camera.width, rig.camera.height, "track")


SCRIPT = [Segment("effleurage", 10), Segment("petrissage", 6, [(2.0, 1.0)]), Segment("effleurage", 8)]


def snapshot(update) -> tuple:
    r = update.result
    return (r.t, r.label, r.over_spine, tuple(dataclasses.astuple(h) for h in r.hands),
            None if r.stroke is None else json.dumps(r.stroke.to_dict(), sort_keys=True), dict(r.counts),
            update.cue)


# -- the session's contract, on simulated tracks ----------------------------------------------------

def test_finish_twice_gives_the_same_result_and_changes_nothing_handed_out():
    sim, spine = sim_session(SCRIPT, 3)
    session = Session(spine)
    updates = [session.push_hands(f) for f in sim.frames]
    before = [snapshot(u) for u in updates]
    assert any(u.result.stroke is not None for u in updates)  # glides were handed out live
    first = session.finish()
    again = session.finish()
    assert again is first and first.report.to_json() == again.report.to_json()
    assert [snapshot(u) for u in updates] == before  # finish() did not touch what was handed out
    with pytest.raises(SessionFinished):
        session.push_hands(sim.frames[-1])
    with pytest.raises(SessionFinished):
        session.change_spine(SpineLine((0.5, 0.2), (0.5, 0.8), spine.width, spine.height))
    with pytest.raises(dataclasses.FrozenInstanceError):
        updates[0].result.label = "tapotement"
    with pytest.raises(TypeError):
        updates[0].result.counts["effleurage_up"] = 99
    with pytest.raises(ValueError):  # the report's arrays are read-only
        first.report.labels[0] = "twist"


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_live_counters_at_the_end_equal_the_report(seed):
    script = [Segment("effleurage", 12), Segment("wrong_way", 8),
              Segment("petrissage", 6, [(1.0, 1.5)]), Segment("tapotement", 5)]
    sim, spine = sim_session(script, seed)
    session = Session(spine)
    shown = []
    for f in sim.frames:
        shown.append(dict(session.push_hands(f).result.counts))
    live, seconds = session.counters(fresh=True), session.technique_seconds(fresh=True)
    result = session.finish()
    e = result.report.summary.effleurage
    assert (live.glides_up, live.wrong_way, live.returns) == (e.up, e.down_wrong_way, e.returns)
    assert live.spine_alerts == result.report.summary.spine.events == len(result.report.spine_events)
    assert seconds == pytest.approx({k: result.report.summary.seconds_per_label[k] for k in seconds}, abs=1e-9)
    # The panel and the overlay showed the same counts during the session, by the same rules
    # (provisional: a glide's phase may be judged again once the glides beside it are in).
    assert e.up > 0 and max(c["effleurage_up"] for c in shown) > 0


@pytest.mark.parametrize("seed", [9, 12])  # sessions that reach the lower back / the neck
def test_the_cues_of_another_level_come_from_the_stored_result(seed):
    sim, spine = sim_session(SCRIPT, seed)
    results = {}
    for level in ("beginner", "practised"):
        session = Session(spine, level)
        for f in sim.frames:
            session.push_hands(f)
        results[level] = session.finish()
    assert results["beginner"].cues != results["practised"].cues  # the levels do differ here
    assert results["beginner"].cues_for("practised") == results["practised"].cues
    assert results["practised"].cues_for("beginner") == results["beginner"].cues


def test_a_new_spine_line_mid_session_keeps_the_whole_session_and_marks_the_change():
    sim, spine = sim_session(SCRIPT, 6)
    session = Session(spine)
    half = len(sim.frames) // 2
    for f in sim.frames[:half]:
        session.push_hands(f)
    moved = SpineLine((spine.head[0] + 0.01, spine.head[1]), spine.sacrum, spine.width, spine.height, 1.0, "manual")
    session.change_spine(moved)
    parts = {session.push_hands(f).part for f in sim.frames[half:]}
    result = session.finish()
    assert parts == {1}
    assert len(result.report.t) == len(sim.frames)  # nothing before the change vanished
    changes = result.report.summary.spine.changes
    assert [c.line.source for c in changes] == ["track", "manual"]
    assert changes[1].t == pytest.approx(sim.frames[half - 1].t, abs=0.05)
    assert result.spine_notes() and "changed at" in result.spine_notes()[0]
    assert any(s.start < changes[1].t for s in result.report.strokes)  # the first part's strokes stay


# -- the spine line's chain ---------------------------------------------------------------------------

def test_the_chain_takes_the_first_source_that_has_a_line_and_checks_the_saved_size(tmp_path, monkeypatch):
    from coaching import calibration, spine_policy
    from tracker.types import SpinePoints

    monkeypatch.setenv("MASSAGE_COACH_HOME", str(tmp_path / "home"))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    (tmp_path / "v.spine.json").write_text(json.dumps({"head": [0.5, 0.2], "sacrum": [0.5, 0.8]}))
    calibration.save((0.4, 0.2), (0.4, 0.8), "manual", 1.0, (320, 240))
    asked = []

    def evidence():
        asked.append(True)
        return [], None, None

    auto = spine_policy.Automatic(evidence)
    header = SpinePoints((0.6, 0.2), (0.6, 0.8))
    pick = spine_policy.choose
    line = pick(640, 480, spine_policy.chain("0.3,0.2,0.3,0.8", "flag", header, video, automatic=auto))
    assert (line.source, line.head) == ("flag", (0.3, 0.2))
    line = pick(640, 480, spine_policy.chain(None, header=header, video=video, automatic=auto))
    assert (line.source, line.head) == ("track", (0.6, 0.2))
    line = pick(640, 480, spine_policy.chain(None, video=video, automatic=auto))
    assert (line.source, line.head) == ("calibration", (0.5, 0.2))
    line = pick(320, 240, spine_policy.chain(None, automatic=auto))  # the size it was saved for
    assert (line.source, line.head) == ("calibration", (0.4, 0.2))
    assert not asked  # the automatic link is not run while an earlier source has a line
    with pytest.raises(SpineError) as e:  # another size: not used, and the reason is said
        pick(640, 480, spine_policy.chain(None, automatic=auto))
    assert "320x240" in str(e.value) and asked


# -- real pixels: the same video through every path ---------------------------------------------------

@pytest.fixture(scope="module")
def home(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MASSAGE_COACH_HOME", str(tmp_path_factory.mktemp("home")))  # no saved calibration
    yield
    mp.undo()


@pytest.fixture(scope="module")
def cli_reports(home, tmp_path_factory):
    """Every bundled sample through `python -m feedback analyze` (in this process)."""
    from coaching.cli import main

    out = {}
    folder = tmp_path_factory.mktemp("reports")
    for video in sorted(SAMPLES.glob("*.mp4")):
        path = folder / f"{video.stem}.json"
        assert main(["analyze", str(video), "--out", str(path)]) == 0
        out[video.stem] = json.loads(path.read_text())
    return out


def live_report(video: Path, keep=lambda i: True):
    """The live page's code (LiveSession.callback, as streamlit-webrtc calls it) fed the video
    frame by frame; `keep(i)` False drops frame i, as a loaded browser stream does."""
    from fractions import Fraction

    import av

    from tracker.source import VideoSource
    from views.live import LiveSession
    from views.processing import sample_spine

    live = LiveSession()
    live.set_points(sample_spine(video))
    live.begin("beginner", record=False)
    with VideoSource(video) as src:
        for i, (t, img) in enumerate(src):
            if not keep(i):
                continue
            vf = av.VideoFrame.from_ndarray(img, format="bgr24")
            vf.time_base, vf.pts = Fraction(1, 90_000), int(round(t * 90_000))
            live.callback(vf)
    panel = live.snapshot()
    result = live.stop()
    assert result is not None and live.snapshot()["error"] is None
    return result, panel


def same_story(a: dict, b: dict) -> None:
    """Two reports of one video, tracked once in one process and once in parts: the same except
    at most a few frames at the join (README, 'Speed')."""
    la, lb = [f["label"] for f in a["frames"]], [f["label"] for f in b["frames"]]
    assert len(la) == len(lb)
    assert np.mean(np.array(la) == np.array(lb)) >= 0.99
    ea, eb = a["summary"]["effleurage"], b["summary"]["effleurage"]
    assert (ea["up"], ea["down_wrong_way"], ea["returns"]) == (eb["up"], eb["down_wrong_way"], eb["returns"])
    assert [(s["type"], s.get("direction"), s.get("phase")) for s in a["strokes"]] == \
        [(s["type"], s.get("direction"), s.get("phase")) for s in b["strokes"]]
    assert len(a["spine_events"]) == len(b["spine_events"])


def test_cli_review_page_and_live_page_give_the_same_report(cli_reports):
    from coaching.recording import analyse_path
    from views.processing import sample_spine

    video = SAMPLES / "effleurage_wrong_way.mp4"
    cli = cli_reports[video.stem]
    # The review page's call (views/review.py: analyse_sample), with its annotated video.
    review = analyse_path(video, points=sample_spine(video), points_source="calibration", use_saved=False,
                          annotate=True)
    assert review.video and review.video[4:8] == b"ftyp"
    assert json.loads(review.report.to_json()) == cli  # the same path: the same report, to the last digit
    live, panel = live_report(video)
    assert live.report.to_dict()["summary"]["frames"] == cli["summary"]["frames"]
    same_story(live.report.to_dict(), cli)
    # At STOP the panel's counters are the report's.
    e = live.report.summary.effleurage
    assert (panel["counts"]["effleurage_up"], panel["counts"]["effleurage_down"]) == (e.up, e.down_wrong_way)


@pytest.fixture(scope="module")
def dropped(cli_reports):
    """mini_session through the live page's code with a third of the frames dropped at random."""
    video = SAMPLES / "mini_session.mp4"
    keep = np.random.default_rng(9).random(4000) >= 1 / 3
    live, _ = live_report(video, lambda i: bool(keep[i]))
    return live.report, cli_reports[video.stem]


@pytest.mark.parametrize("name", ["effleurage", "petrissage", "tapotement"])
def test_live_page_with_a_third_of_the_frames_dropped_gives_the_same_technique_times(dropped, name):
    report, cli = dropped
    assert 0.6 < report.summary.frames / cli["summary"]["frames"] < 0.73
    want = cli["summary"]["seconds_per_label"][name]
    assert report.summary.seconds_per_label[name] == pytest.approx(want, rel=0.05)


def test_live_page_with_a_third_of_the_frames_dropped_gives_the_same_glides_and_spine_events(dropped):
    report, cli = dropped
    e, want = report.summary.effleurage, cli["summary"]["effleurage"]
    assert (e.up, e.down_wrong_way) == (want["up"], want["down_wrong_way"])
    assert len(report.spine_events) == len(cli["spine_events"]) >= 1
    for ours, theirs in zip(report.spine_events, cli["spine_events"]):
        assert ours.start == pytest.approx(theirs["start"], abs=0.3)


# Partial glides at a clip's edges (under way when the hands come into view, or at the last frame)
# are not strokes, in the truth as in the report (feedback/analyzer.py: EDGE_S).
EXPECTED_MISMATCH = {
    "mini_session": "three glides in the moves between techniques (20-23 s, 49-53 s) are labelled effleurage; "
                    "the truth lists no glide there. The rule that dropped them also dropped whole glides on "
                    "family a's tune split (README: Stroke counts)",
}


@pytest.mark.parametrize("name", [
    pytest.param(p.stem, marks=pytest.mark.xfail(strict=True, reason=EXPECTED_MISMATCH[p.stem]))
    if p.stem in EXPECTED_MISMATCH else p.stem for p in sorted(SAMPLES.glob("*.mp4"))])
def test_no_glide_is_counted_twice(cli_reports, name):
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    if any(seg["technique"] == "effleurage" for seg in truth["script"]) and not truth.get("strokes"):
        pytest.skip("its truth lists no glides (rendered by studio/conditions.py, which does not record them)")
    report = cli_reports[name]
    glides = [s for s in report["strokes"] if s["type"] == "effleurage"]
    starts = [round(s["start"], 2) for s in glides]
    assert len(starts) == len(set(starts))
    assert len(glides) == sum(s["type"] == "effleurage" for s in truth.get("strokes", []))


def test_the_report_shows_the_places_of_a_session_with_a_twist():
    """A recognised twist (the guide names no places for it) once broke the rest of the report
    page, live and review alike."""
    from streamlit.testing.v1 import AppTest

    sim, spine = sim_session([Segment("effleurage", 8), Segment("twist", 8)], 2)
    session = Session(spine)
    for f in sim.frames:
        session.push_hands(f)
    result = session.finish()
    assert "twist" in set(result.report.labels)

    def script():
        import streamlit as st

        from views.widgets import show_report

        r = st.session_state["result"]
        show_report(r.report, "t", cues=list(r.cues), trace=r.trace)

    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["result"] = result
    at.run()
    assert not at.exception and not [e.value for e in at.error]
    assert any("dashed red line" in c.value for c in at.caption)  # the coverage section ran to its end


def test_the_label_types_name_exactly_the_guides_labels():
    from typing import get_args

    from feedback import guide
    from feedback.coach import LEVELS
    from feedback.labels import Label, Level, Technique

    assert get_args(Technique) == guide.TECHNIQUES
    assert get_args(Label) == guide.LABELS
    assert set(get_args(Level)) == set(LEVELS)


def test_the_live_page_measures_only_on_pictures_of_the_size_its_line_was_set_on():
    """The spine policy's size check, on the live path: a line saved for 320x240 pictures is not
    used on a 640x480 camera (the frame says why); on 320x240 frames it is."""
    from fractions import Fraction

    import av

    from coaching.live import LiveSession
    from tracker.types import SpinePoints

    live = LiveSession()
    live.set_points(SpinePoints((0.5, 0.2), (0.5, 0.8)), (320, 240))
    live.begin("beginner", record=False)
    for i, size in enumerate([(480, 640), (480, 640), (240, 320)]):
        vf = av.VideoFrame.from_ndarray(np.full((*size, 3), 90, np.uint8), format="bgr24")
        vf.time_base, vf.pts = Fraction(1, 90_000), i * 3000
        out = live.callback(vf).to_ndarray(format="bgr24")
        if i == 0:
            assert live.measurement is None and (out != 90).any()  # not measured, and the frame says why
    assert live.measurement is not None and live.measurement.size == (320, 240)
    assert live.stop().frames == 1
