"""The guide's six techniques, tapping across rates and frame rates, "unsure", twists and the
spine, passes and repetitions: on synthetic tracks from the simulator (family a), and the
second motion family's generator itself (family b is held out: no accuracy is asserted on it)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from feedback import guide
from feedback.analyzer import count_passes
from feedback.analyzer import analyse_frames
from feedback.safety import SpineGuard
from feedback.spine import SpineLine
from feedback.technique import ClassifierParams, HandWindow, classify
from studio import choreography
from studio.motion_b import simulate_b
from studio.session import Segment, random_rig, simulate


def run(script, seed, fps=None):
    rng = np.random.default_rng(seed)
    rig = random_rig(rng, fps=fps)
    sim = simulate(script, rig, rng)
    return sim, analyse_frames(sim.frames, SpineLine.from_points(sim.spine, rig.camera.width, rig.camera.height))


def test_the_guide_labels_are_all_there():
    assert set(guide.TECHNIQUES) == {"effleurage", "petrissage", "tapotement", "lifting", "fanning", "twist"}
    assert {"idle", "other", "unsure"} <= set(guide.LABELS)
    assert guide.REPETITIONS == {"lifting": (2, 3), "twist": (3, 3)}


@pytest.fixture
def slow_lifting(monkeypatch):
    """Muscle lifting working once up and down the back in 14 s (a bite every second or so,
    a few cm on each): the pace the recognition is made for. Faster progressions (a round trip
    in 7 s) are often missed: see the README's accuracy notes."""
    monkeypatch.setitem(choreography.TECHNIQUES, "lifting",
                        lambda t, rng, spine_cm: choreography.lifting(t, rng, spine_cm, reps=1))


@pytest.mark.parametrize("technique,seed", [("fanning", 2), ("fanning", 3), ("twist", 1), ("twist", 3)])
def test_fanning_and_twists_are_recognised(technique, seed):
    sim, rep = run([Segment(technique, 14)], seed)
    assert (rep.labels == technique).mean() > 0.85
    assert getattr(rep.summary, technique).bouts >= 1


def test_muscle_lifting_is_recognised(slow_lifting):
    shares = []
    for seed in range(1, 7):
        sim, rep = run([Segment("lifting", 14)], seed)
        shares.append((rep.labels == "lifting").mean())
    assert np.median(shares) > 0.9
    assert min(shares) > 0.5


def test_twist_repetitions_and_lifting_passes_are_counted(slow_lifting):
    sim, rep = run([Segment("twist", 14)], 1)
    truth = sum(s["type"] == "twist" for s in sim.strokes)
    assert truth == 3
    assert rep.summary.twist.repetitions == 3
    assert rep.summary.twist.status == "in range"
    sim, rep = run([Segment("lifting", 14)], 2)
    passes = sum(s["type"] == "lifting" for s in sim.strokes)  # one-way traversals
    assert rep.summary.lifting.passes == passes


def test_count_passes_counts_one_way_runs_with_a_deadband():
    x = np.r_[np.linspace(0.1, 0.9, 20), np.linspace(0.9, 0.1, 20), np.linspace(0.1, 0.9, 20)]
    jitter = 0.03 * np.sin(np.arange(len(x)) * 2.7)  # below the deadband: not a reversal
    along = np.stack([x + jitter, np.full_like(x, np.nan)], axis=1)
    assert count_passes(along) == 3
    assert count_passes(np.stack([np.full(30, 0.5), np.full(30, 0.5)], axis=1)) == 0


@pytest.mark.parametrize("rate", [2.0, 3.5, 6.0, 9.0, 12.0])
def test_tapping_is_found_from_2_to_12_hz(monkeypatch, rate):
    monkeypatch.setitem(choreography.TECHNIQUES, "tap_at",
                        lambda t, rng, spine_cm: choreography.tapotement(t, rng, spine_cm, rate=rate))
    sim, rep = run([Segment("tap_at", 10)], 2, fps=60)
    assert (rep.labels == "tapotement").mean() > 0.85
    spans = [s for s in rep.strokes if s.type == "tapotement"]
    if rate <= 10:  # well below the window's top bin, the measured rate is the tapping rate
        assert abs(np.median([s.rate_hz for s in spans]) - rate) < 1.0


@pytest.mark.parametrize("rate", [9.0, 11.0])
def test_fast_tapping_at_15_fps_is_never_called_another_technique(monkeypatch, rate):
    monkeypatch.setitem(choreography.TECHNIQUES, "tap_at",
                        lambda t, rng, spine_cm: choreography.tapotement(t, rng, spine_cm, rate=rate))
    for seed in (1, 3):
        sim, rep = run([Segment("tap_at", 10)], seed, fps=15)
        confident_other = np.isin(rep.labels, ["effleurage", "petrissage", "lifting", "fanning", "twist"])
        assert confident_other.mean() < 0.03
        assert np.isin(rep.labels, ["tapotement", "unsure"]).mean() > 0.85
        assert rep.summary.frame_rate.fast_tapping_aliased
        assert rep.summary.frame_rate.tapping_measurable_up_to_hz < rate


def _tap_energy_window(fps: float) -> HandWindow:
    """Strong tap-band energy that does not pass as regular tapping, on a hand that travels."""
    return HandWindow("other", 1.0, speed=2.0, tap_amp=0.2, tap_hz=5.0, tap_share=0.45, tap_peak=0.3, turns=0.1,
                      radius=0.3, knead_hz=0.06, travel=0.5, fps=fps, pointing=0.9, wiggle=0.05,
                      tap_circ=0.2, along_share=0.9)


def test_aliased_tap_energy_is_unsure_at_low_frame_rates_only():
    p = ClassifierParams()
    low, high = _tap_energy_window(15.0), _tap_energy_window(60.0)
    classify(low, p)
    classify(high, p)
    assert low.label == "unsure"
    assert high.label == "effleurage"


def test_thumb_sized_circles_are_kneading_not_tapping():
    p = ClassifierParams()
    w = HandWindow("other", 1.0, speed=0.5, tap_amp=0.08, tap_hz=1.9, tap_share=0.6, tap_peak=0.8, turns=2.0,
                   radius=0.1, knead_hz=1.25, travel=0.05, fps=30.0, pointing=0.5, wiggle=0.05, tap_circ=0.8,
                   along_share=0.5)
    classify(w, p)
    assert w.label == "petrissage"


def test_a_glide_and_its_return_are_not_circles():
    p = ClassifierParams()
    w = HandWindow("other", 1.0, speed=3.0, tap_amp=0.05, tap_hz=2.5, tap_share=0.05, tap_peak=0.4, turns=0.8,
                   radius=0.9, knead_hz=0.5, travel=0.45, fps=30.0, pointing=0.9, wiggle=0.1, tap_circ=0.35,
                   along_share=0.85)
    classify(w, p)
    assert w.label == "effleurage"


def test_brief_twist_crossings_are_not_spine_events_but_a_stay_is():
    sim, rep = run([Segment("twist", 14)], 1)
    crossing = np.zeros(len(sim.t), bool)
    palm = sim.hands_back[:, :, [0, 5, 9, 13, 17], 0].mean(axis=2)
    crossing = (np.abs(palm) < 3.0).any(axis=0)[sim.frame_index]
    assert crossing.mean() > 0.1  # the palms really do pass over the spine
    assert not sim.truth_over_spine().any()
    assert rep.over_spine.mean() < 0.03
    # The guard itself: a hand passing in 0.3 s is no event in a twist, a 0.8 s stay is.
    for stay, events in ((0.3, 0), (0.8, 1)):
        guard = SpineGuard()
        for t in np.arange(0.0, 2.0, 1 / 30):
            on = 0.5 <= t < 0.5 + stay
            guard.update(t, [(0, 0.1 if on else 2.0, True, 0.5, False, True)])
        guard.close(2.0)
        assert len(guard.events) == events
    guard = SpineGuard()  # outside a twist the same 0.3 s is flagged
    for t in np.arange(0.0, 2.0, 1 / 30):
        guard.update(t, [(0, 0.1 if 0.5 <= t < 0.8 else 2.0, True, 0.5, False, False)])
    guard.close(2.0)
    assert len(guard.events) == 1


def test_unsure_stays_rare_on_mixed_sessions():
    from studio.evaluate import evaluate

    m = evaluate("tune", 2, minutes=1.0)
    assert m["unsure_share"] <= 0.05


def test_second_family_makes_every_technique_in_the_track_format():
    rng = np.random.default_rng(11)
    script = [(k, 9.0) for k in ("effleurage", "wrong_way", "petrissage", "tapotement", "lifting", "fanning",
                                  "twist", "idle")]
    sim = simulate_b(rng, script=script)
    assert set(sim.labels) == {"effleurage", "petrissage", "tapotement", "lifting", "fanning", "twist", "idle",
                               "other"}
    assert 15 <= sim.rig.fps <= 60
    assert len(sim.frames) == len(sim.labels) == len(sim.over_spine)
    assert all(np.diff([f.t for f in sim.frames]) > 0)
    seen = [h for f in sim.frames for h in f.hands]
    assert seen and all(h.landmarks.shape == (21, 3) for h in seen)
    xy = np.concatenate([h.landmarks[:, :2] for h in seen])
    assert (np.abs(xy - 0.5) < 0.7).mean() > 0.99  # normalised image coordinates
    kinds = {s["type"] for s in sim.strokes}
    assert {"effleurage", "lifting", "fanning", "twist"} <= kinds
    # Twists cross the spine by design: those passes are marked, not truth spine events.
    assert sim.crossing[sim.labels == "twist"].any()


def test_params_are_explicit_and_frozen():
    p = ClassifierParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.tap_min_hz = 1.0  # type: ignore[misc]
    assert p.tap_min_hz < 2.0 < p.tap_max_hz and p.tap_max_hz >= 12.0


def test_second_family_truth_says_no_hands_when_no_hand_is_in_view():
    """Hands taken off the person and out of the picture are "no_hands" in the truth (after the
    bridging gap), as the label is defined; a frame with a hand delivered never is."""
    from feedback.tracks import BRIDGE_GAP_S

    sim = simulate_b(np.random.default_rng(1), script=[("idle", 4.0)] * 6 + [("effleurage", 6.0)])
    lost = sim.labels == "no_hands"
    assert lost.any() and (sim.labels == "idle").any()
    delivered = np.array([len(f.hands) > 0 for f in sim.frames])
    assert not (lost & delivered).any()
    # Each run of "no_hands" starts at least the bridging gap after the last hand delivered.
    t = sim.t
    for i in np.flatnonzero(lost & ~np.r_[False, lost[:-1]]):
        before = np.flatnonzero(delivered[:i])
        assert not len(before) or t[i] - t[before[-1]] > BRIDGE_GAP_S - 0.1


def test_lifting_at_a_brisk_pace_is_recognised_by_the_hands_alternating():
    """Lifting that works up and down the back twice in 14 s travels like a slow glide; the hands
    rocking in opposite phase ("keep alternating hands") still say lifting."""
    shares = [(run([Segment("lifting", 14)], seed)[1].labels == "lifting").mean() for seed in range(1, 5)]
    assert np.median(shares) > 0.8 and min(shares) > 0.5


def test_alternating_effleurage_is_effleurage_with_its_directions(monkeypatch):
    monkeypatch.setitem(choreography.TECHNIQUES, "alternating",
                        lambda t, rng, spine_cm: choreography.effleurage(t, rng, spine_cm, alternate=True))
    for seed in (3, 5):
        sim, rep = run([Segment("alternating", 16)], seed, fps=30)
        assert (rep.labels == "effleurage").mean() > 0.8
        pressing = [s for s in rep.strokes if s.type == "effleurage" and s.phase == "stroke"]
        assert pressing and all(s.direction == "up" for s in pressing)


def _pair(alt: float, alt_head: float):
    from feedback.technique import PairWindow

    return PairWindow(corr=-0.9, span=0.05, near=0.2, alt=alt, alt_head=alt_head)


def _moving(label: str, along_share: float, pointing: float = 0.2, across: float = 0.2) -> HandWindow:
    return HandWindow(label, 1.0, speed=2.0, travel=0.35, along_share=along_share, pointing=pointing, across=across)


def test_hands_in_opposite_phase_rock_or_glide_and_mirrored_hands_do_neither():
    from feedback.technique import combine

    rocking = [_moving("effleurage", 0.4), _moving("other", 0.5)]
    assert combine(rocking, _pair(-0.95, -0.9)) == "lifting"
    # Mirrored about the spine (both glide up together): no alternation, the hands' own labels.
    assert combine([_moving("effleurage", 0.4), _moving("effleurage", 0.5)], _pair(0.9, 0.9)) == "effleurage"
    # Alternating along the spine, one up while the other comes back: effleurage.
    gliding = [_moving("lifting", 0.9), _moving("other", 0.85)]
    assert combine(gliding, _pair(-0.6, 0.2)) == "effleurage"
    # Fanning alternates too, fingers toward the feet: not lifting.
    fans = [_moving("other", 0.4, pointing=-0.9, across=-0.1), _moving("other", 0.4, pointing=-0.9, across=0.1)]
    assert combine(fans, _pair(-0.95, -0.9)) != "lifting"


def test_hands_swinging_like_windshield_wipers_are_lifting_whatever_loops_a_hand_makes():
    """A claw lift rocks across and up, so one palm draws loops and reads as kneading; two hands
    whose headings swing in opposite phase are lifting all the same."""
    from feedback.technique import combine

    def hand(label: str, wiggle: float, pointing: float = 0.2, across: float = 0.2) -> HandWindow:
        return HandWindow(label, 1.0, speed=2.0, travel=0.1, along_share=0.8, wiggle=wiggle, pointing=pointing,
                          across=across, turns=1.0, score=1.0)

    # The torn pair (one hand kneading, one lifting) and a kneading hand beside a "glide".
    assert combine([hand("petrissage", 0.3), hand("lifting", 0.25)], _pair(0.0, -0.8)) == "lifting"
    assert combine([hand("petrissage", 0.3), hand("petrissage", 0.3)], _pair(0.0, -0.8)) == "lifting"
    assert combine([hand("petrissage", 0.22), hand("effleurage", 0.25)], _pair(0.0, -0.7)) == "lifting"
    # Kneading does not swing the heading: no lifting then, nor when the swings are in phase.
    assert combine([hand("petrissage", 0.05), hand("lifting", 0.25)], _pair(0.0, -0.8)) == "unsure"
    assert combine([hand("petrissage", 0.05), hand("petrissage", 0.05)], _pair(0.0, -0.8)) == "petrissage"
    assert combine([hand("petrissage", 0.3), hand("lifting", 0.25)], _pair(0.0, 0.6)) == "unsure"
    # Fingers toward the feet (fanning from the head of the table alternates too): not lifting.
    fans = [hand("petrissage", 0.3, -0.9, -0.1), hand("petrissage", 0.3, -0.9, 0.1)]
    assert combine(fans, _pair(0.0, -0.8)) == "petrissage"
    # A tap beside it keeps its own rule.
    assert combine([hand("petrissage", 0.3), hand("tapotement", 0.3)], _pair(0.0, -0.8)) != "lifting"


def test_a_tap_at_kneading_tempo_beside_a_kneading_hand_is_kneading_or_unsure():
    from feedback.technique import combine

    def hands(fps, tap_hz):
        return [HandWindow("petrissage", 1.0, score=1.0, fps=fps),
                HandWindow("tapotement", 1.0, tap_hz=tap_hz, score=0.8, fps=fps)]

    assert combine(hands(30.0, 1.9)) == "petrissage"
    assert combine(hands(15.0, 1.9)) == "petrissage"  # at 15 fps taps of up to 12 Hz fold to 3 Hz or more
    assert combine(hands(13.0, 1.9)) == "unsure"      # at 13 fps a 11 Hz tap folds down to 2 Hz
    assert combine(hands(30.0, 5.0)) == "tapotement"  # a tapping tempo: the more specific evidence


def test_folded_taps_are_not_called_kneading_at_low_frame_rates():
    """Motion mostly in the hand's apparent size, reach and fingertips (a tap), circling at a
    kneading tempo: kneading at 60 fps, unsure at 15 fps where a fast tap folds down to any tempo."""
    p = ClassifierParams()

    def window(fps):
        return HandWindow("other", 1.0, speed=1.5, tap_amp=0.5, tap_hz=1.9, tap_share=0.3, tap_peak=0.5, turns=1.0,
                          radius=0.3, knead_hz=0.6, travel=0.1, fps=fps, pointing=0.5, wiggle=0.05, tap_circ=0.6,
                          along_share=0.5, lift_share=0.9)

    low, high = window(15.0), window(60.0)
    classify(low, p)
    classify(high, p)
    assert high.label == "petrissage"
    assert low.label == "unsure"


# -- family d (studio/motion_d.py): a third motion family, tuned on beside family a ----------------

def _run_d(monkeypatch, technique, maker, seeds, dur=12.0):
    from studio import motion_d
    from studio.evaluate import analyse

    monkeypatch.setitem(motion_d.MAKERS, technique, maker)
    shares = []
    for seed in seeds:
        sim = motion_d.simulate_d(np.random.default_rng(seed), script=[(technique, dur)])
        rep = analyse(sim)
        truth = sim.truth_labels() == technique
        shares.append(float((rep.labels[truth] == technique).mean()))
    return shares


def test_third_family_makes_every_technique_in_the_track_format():
    from studio.motion_d import KINDS_D, simulate_d

    sim = simulate_d(np.random.default_rng(3), script=[(k, 8.0) for k in KINDS_D])
    assert set(sim.labels) == {"effleurage", "petrissage", "tapotement", "lifting", "fanning", "twist", "idle",
                               "other"}
    assert len(sim.frames) == len(sim.labels) == len(sim.over_spine)
    assert all(np.diff([f.t for f in sim.frames]) > 0)
    seen = [h for f in sim.frames for h in f.hands]
    assert seen and all(h.landmarks.shape == (21, 3) for h in seen)
    glides = [s for s in sim.strokes if s["type"] == "effleurage" and not s["return"]]
    assert {"up", "down"} <= {s["direction"] for s in glides}  # effleurage and the wrong way


def test_thumb_kneading_with_a_still_palm_is_kneading(monkeypatch):
    """Thumb kneading moves the thumb tips in small loops while the palms stay put: before the
    thumb tip was followed this read as `other` or `idle` on every such session of family d."""
    from studio.motion_d import d_petrissage

    shares = _run_d(monkeypatch, "petrissage", lambda t, r, L: d_petrissage(t, r, L, style="thumb"), (101, 107, 3))
    assert min(shares) > 0.7


def test_thumb_loops_need_a_still_palm_and_round_loops():
    p = ClassifierParams()

    def window(**kw):
        base = dict(speed=0.3, tap_amp=0.03, tap_hz=1.9, tap_share=0.5, tap_peak=0.4, turns=0.3, radius=0.03,
                    knead_hz=0.2, travel=0.03, fps=30.0, pointing=0.9, wiggle=0.02, tap_circ=0.4, along_share=0.5)
        w = HandWindow("other", 1.0, **{**base, **{k: v for k, v in kw.items() if k in base}})
        w.thumb_turns, w.thumb_radius, w.thumb_circ = kw.get("thumb", (1.5, 0.15, 0.7))
        classify(w, p)
        return w.label

    assert window() == "petrissage"
    assert window(thumb=(1.5, 0.15, 0.1)) != "petrissage"   # a flick back and forth is no loop
    assert window(thumb=(0.3, 0.15, 0.7)) != "petrissage"   # under one loop: jitter makes that much
    assert window(speed=2.0, radius=0.12) != "petrissage"   # the whole hand moving is not thumb kneading


def test_fanning_is_the_hands_spreading_across_while_creeping_down_at_any_speed():
    p = ClassifierParams()

    def window(speed, along_long):
        w = HandWindow("other", 1.0, speed=speed, tap_amp=0.05, tap_hz=1.9, tap_share=0.05, tap_peak=0.5,
                       turns=0.05, radius=0.5, knead_hz=0.03, travel=0.15, fps=30.0, pointing=-0.95, wiggle=0.02,
                       drift=-0.05, tap_circ=0.1, along_share=0.1, across=0.12)
        w.along_share_long = along_long
        classify(w, p)
        return w.label

    assert window(1.5, 0.5) == "fanning"
    assert window(2.5, 0.1) == "fanning"    # brisk, but spreading across: "fan your hands out"
    assert window(2.5, 0.8) != "fanning"    # brisk and running along the spine: not creeping down


def test_a_tap_rate_held_over_the_long_window_is_tapping_above_the_wander_of_a_tracker():
    p = ClassifierParams()

    def window(hz, hz_long, peak_long):
        w = HandWindow("other", 1.0, speed=0.5, tap_amp=0.06, tap_hz=hz, tap_share=0.8, tap_peak=0.35, turns=0.1,
                       radius=0.04, knead_hz=0.06, travel=0.04, fps=30.0, pointing=0.9, wiggle=0.02, tap_circ=0.4,
                       along_share=0.5)
        w.tap_hz_long, w.tap_peak_long = hz_long, peak_long
        classify(w, p)
        return w.label

    assert window(10.0, 10.4, 0.6) == "tapotement"
    assert window(10.0, 10.4, 0.25) != "tapotement"  # spread over the band: noise
    assert window(10.0, 6.2, 0.6) != "tapotement"    # two rates: not one tap held
    assert window(2.7, 2.7, 0.6) != "tapotement"     # slow: a tracker's wander looks like that

