"""Honest when hands are lost: past the bridging gap, no technique and no spine alert."""
from __future__ import annotations

import numpy as np

from feedback.analyzer import SessionAnalyzer
from feedback.spine import SpineLine
from feedback.tracks import BRIDGE_GAP_S
from studio.session import Noise, Segment, random_rig, simulate
from tracker.types import HandFrame


def _session_with_a_blackout(seed=44, blackout_s=1.2, after=()):
    """Effleurage ending over the spine, then `blackout_s` of frames with no hand, then `after`."""
    rng = np.random.default_rng(seed)
    rig = random_rig(rng)
    sim = simulate([Segment("effleurage", 8, [(6.6, 1.4)])], rig, rng, Noise.none())
    frames = list(sim.frames)
    dt = 1 / rig.fps
    t0 = frames[-1].t
    frames += [HandFrame(t0 + dt * (i + 1), []) for i in range(int(blackout_s / dt))]
    if after:
        sim2 = simulate(list(after), rig, rng, Noise.none())
        t1 = frames[-1].t + dt
        frames += [HandFrame(t1 + f.t, f.hands) for f in sim2.frames]
    spine = SpineLine.from_points(sim.spine, rig.camera.width, rig.camera.height)
    return frames, spine


def _lost(frames):
    last = -np.inf
    out = []
    for f in frames:
        if f.hands:
            last = f.t
        out.append(f.t - last > BRIDGE_GAP_S)
    return np.array(out)


def test_no_label_nor_alert_held_past_the_gap():
    frames, spine = _session_with_a_blackout()
    an = SessionAnalyzer(spine)
    live = [an.push(f) for f in frames]
    rep = an.finish()
    lost = _lost(frames)
    assert lost.sum() > 10
    # The hands vanish over the spine: the alert was on just before.
    seen = np.array([bool(f.hands) for f in frames])
    assert rep.over_spine[seen][-5:].any()
    assert all(r.label == "no_hands" and not r.over_spine for r, x in zip(live, lost) if x)
    assert (rep.labels[lost] == "no_hands").all()
    assert not rep.over_spine[lost].any()
    # Within the gap, the technique of the last frames with hands is still bridged (a short miss is
    # not a loss, and a window of stale samples is not read as some other motion).
    bridged = ~seen & ~lost
    last_with_hands = rep.labels[np.flatnonzero(seen)[-1]]
    assert last_with_hands not in ("idle", "no_hands", "unsure")
    assert bridged.sum() > 5 and (rep.labels[bridged] == last_with_hands).all()
    # Counted apart in the summary, as its own time, not as any technique.
    s = rep.summary
    lost_s = frames[-1].t - (frames[np.flatnonzero(seen)[-1]].t + BRIDGE_GAP_S)
    assert abs(s.seconds_no_hands - lost_s) < 0.1
    assert s.seconds_per_label["no_hands"] == s.seconds_no_hands
    assert s.seconds_per_label["effleurage"] <= 8.0 + BRIDGE_GAP_S + 0.05


def test_labels_come_back_with_the_hands():
    frames, spine = _session_with_a_blackout(seed=45, after=[Segment("petrissage", 8)])
    an = SessionAnalyzer(spine)
    live = [an.push(f).label for f in frames]
    rep = an.finish()
    lost = _lost(frames)
    assert (rep.labels[lost] == "no_hands").all()
    tail = rep.labels[-100:]
    assert (tail == "petrissage").mean() > 0.7
    assert live[-1] == "petrissage"
    # A frame with a hand is never called "no hands" in the live label.
    assert all(lab != "no_hands" for lab, f in zip(live, frames) if f.hands)


def test_no_hands_until_the_first_hand_is_seen():
    spine = SpineLine((0.5, 0.2), (0.5, 0.8), 640, 480)
    an = SessionAnalyzer(spine)
    res = [an.push(HandFrame(i / 15, [])) for i in range(45)]
    rep = an.finish()
    assert (rep.labels == "no_hands").all() and all(r.label == "no_hands" for r in res)
    assert not rep.over_spine.any()


def test_real_pixels_black_frames_after_a_rendered_sample():
    """A rendered sample cut while a hand is over the spine, then 1 s of black frames (a lens
    covered, a light switched off), through MediaPipe and the live session."""
    import json
    from pathlib import Path

    from coaching.session import Session
    from tracker.source import VideoSource
    from tracker.types import SpinePoints

    video = Path(__file__).resolve().parents[1] / "sample_videos" / "spine_drift.mp4"
    truth = json.loads(video.with_name("spine_drift.truth.json").read_text())
    spine = SpineLine.from_points(SpinePoints(tuple(truth["spine"]["head"]), tuple(truth["spine"]["sacrum"])),
                                  truth["width"], truth["height"])
    over_t = [f["t"] for f in truth["frames"] if f["over_spine"]]
    cut = over_t[0] + 0.7  # well inside the drift onto the spine
    proc = Session(spine)
    results = []
    frame = None
    with VideoSource(video) as src:
        for t, frame in src:
            if t > cut:
                break
            if t >= cut - 5.0:  # 5 s of context is enough for the labels
                results.append(proc.push(frame, t).result)
    black = np.zeros_like(frame)
    for i in range(30):
        results.append(proc.push(black, cut + (i + 1) / 30).result)
    rep = proc.finish().report
    t = np.array([r.t for r in results])
    seen_t = max(r.t for r in results if r.hands)
    assert seen_t >= cut - 0.1, "MediaPipe lost the hands before the black frames"
    assert any(r.over_spine for r in results if cut - 0.3 <= r.t <= cut), "the drift was not flagged"
    lost = t > seen_t + BRIDGE_GAP_S
    assert lost.sum() >= 10
    assert all(r.label == "no_hands" and not r.over_spine for r, x in zip(results, lost) if x)
    assert (rep.labels[lost] == "no_hands").all() and not rep.over_spine[lost].any()
    assert rep.spine_events and all(e.end is not None and e.end <= seen_t + BRIDGE_GAP_S for e in rep.spine_events)
