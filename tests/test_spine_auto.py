"""The automatic spine line: each estimator, the fusion and its confidence, the live refiner."""
from __future__ import annotations

import dataclasses
import cv2
import numpy as np
import pytest

from feedback.spine_auto import CONFIRM_AT, FEATURES, ConfidenceModel, SpineRefiner, fuse
from feedback.spine_from_hands import estimate_from_hands
from tracker.spine_image import ImageEvidence, outline_axis, rotate, spine_from_pose, unrotate
from feedback.spine_score import score_line
from studio.session import Segment, random_rig, simulate
from tracker.body import Torso
from tracker.types import PALM, Hand, HandFrame, SpinePoints

W, H = 640, 480


def _sim(seed, script):
    rng = np.random.default_rng(seed)
    rig = random_rig(rng)
    return simulate(script, rig, rng)


@pytest.fixture(scope="module")
def effleurage():
    """Glides over the length of the back, as the guide asks ("start at the bottom of the
    person's back, moving upward"; "don't forget the shoulders and neck"): only then do the hands
    show where the spine ends. Shorter glides show its direction, not its ends."""
    from studio import choreography

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(choreography.TECHNIQUES, "effleurage",
                   lambda t, rng, spine_cm: choreography.effleurage(t, rng, spine_cm, span=(0.05, 0.97)))
        return [_sim(s, [Segment("effleurage", 25)]) for s in (31, 32, 33)]


# ------------------------------------------------------------------ score


def test_score_line_measures_angle_midpoint_and_head_end():
    truth = SpinePoints((0.8, 0.5), (0.2, 0.5))
    assert score_line(truth, truth, W, H).good
    flipped = score_line(SpinePoints(truth.sacrum, truth.head), truth, W, H)
    assert flipped.line_good and not flipped.head_right and not flipped.good
    shifted = score_line(SpinePoints((0.8, 0.55), (0.2, 0.55)), truth, W, H)  # 24 px of a 384 px spine
    assert shifted.angle_deg < 1 and shifted.mid_share == pytest.approx(24 / 384) and shifted.good
    tilted = score_line(SpinePoints((0.8, 0.65), (0.2, 0.35)), truth, W, H)  # same midpoint, 20.6 degrees off
    assert tilted.mid_share < 0.01 and tilted.angle_deg == pytest.approx(20.56, abs=0.1) and not tilted.good


# ------------------------------------------------------------------ hands


def test_hands_find_the_line_and_the_head_end_from_effleurage(effleurage):
    for sim in effleurage:
        ev = estimate_from_hands(sim.frames, W, H)
        s = score_line(ev.points, sim.spine, W, H)
        assert s.good, s
        assert ev.head_score > 0.5 and ev.features["glides"] >= 3


@pytest.mark.parametrize("seed", [41, 54])
def test_wrong_way_strokes_are_never_a_confident_line(seed):
    # Wrong-way effleurage presses down and returns up. Seed 41 keeps the fingers toward the head
    # (the glides and the fingers disagree); seed 54 turns the hands round as well (both point
    # to the feet: from the hands alone that is a massage given the other way up).
    sim = _sim(seed, [Segment("wrong_way", 25)])
    ev = estimate_from_hands(sim.frames, W, H)
    s = score_line(ev.points, sim.spine, W, H)
    assert s.line_good
    if seed == 41:
        assert ev.head_conflict and ev.head_score == 0.0
    else:
        assert not ev.head_conflict and not s.head_right
    alone = fuse(ev, None, None, W, H)
    assert not alone.confident
    # With the picture's pose of the real body, the head-end conflict is seen: asked again.
    checked = fuse(ev, _pose_ev(sim.spine), None, W, H)
    assert not checked.confident and (checked.features["head_conflict"] or checked.features["hands_head_conflict"])


def test_kneading_gives_a_line_and_the_fingers_give_its_head_end():
    # No glide says which end is the head; the fingers, pointing up and across the back, do.
    sim = _sim(40, [Segment("petrissage", 25)])  # both hands in view (a line needs both)
    assert sim.visible.all()
    ev = estimate_from_hands(sim.frames, W, H)
    s = score_line(ev.points, sim.spine, W, H)
    assert ev.features["glides"] == 0 and s.good and ev.finger_score > 0.3
    # The same kneading with every hand turned round about its palm (fingers toward the feet):
    # the line stays, its head end follows the fingers.
    turned = [HandFrame(f.t, [_turned(h) for h in f.hands]) for f in sim.frames]
    flipped = score_line(estimate_from_hands(turned, W, H).points, sim.spine, W, H)
    assert flipped.line_good and not flipped.head_right


def _turned(hand: Hand) -> Hand:
    """The hand turned half round about its palm centre, in pixels (aspect kept)."""
    lm = hand.landmarks.copy()
    c = lm[list(PALM), :2].mean(axis=0)
    lm[:, :2] = 2 * c - lm[:, :2]  # a half turn keeps the aspect: no pixel scaling needed
    return Hand(lm, hand.handedness, hand.score)


def test_hands_need_both_hands_and_some_seconds(effleurage):
    sim = effleurage[0]
    assert estimate_from_hands([], W, H).points is None
    assert estimate_from_hands(sim.frames, W, H, seconds=0.3).points is None
    one = [type(f)(f.t, f.hands[:1]) for f in sim.frames]
    assert estimate_from_hands(one, W, H).points is None


# ------------------------------------------------------------------ pictures


@pytest.mark.parametrize("k", range(4))
def test_points_found_in_a_turned_picture_map_back(k):
    img = np.zeros((H, W, 3), np.uint8)
    cv2.circle(img, (100, 60), 4, (255, 255, 255), -1)
    r = rotate(img, k)
    ys, xs = np.nonzero(r[..., 0])
    found = np.array([[xs.mean() / r.shape[1], ys.mean() / r.shape[0]]])
    back = unrotate(found, k)[0] * [W, H]
    assert np.allclose(back, (100, 60), atol=1.5)


class _FakePose:
    """A person upright only in the picture turned a quarter clockwise (the second of the four
    turns tried): shoulders at the top."""

    calls = 0

    def torso(self, frame):
        self.calls += 1
        if frame.shape[:2] != (W, H) or self.calls % 4 != 2:
            return None
        # In the turned picture (W tall, H wide): shoulders near the top, hips lower down.
        pts = np.array([[0.4, 0.2], [0.6, 0.2], [0.42, 0.7], [0.58, 0.7]])
        return Torso(pts, np.ones(4))


def test_pose_on_turned_stills_gives_the_line_in_the_pictures_coordinates():
    stills = [np.zeros((H, W, 3), np.uint8)] * 2
    ev = spine_from_pose(stills, _FakePose())
    assert ev.features["found"] == 2 and ev.features["agree"] == 2 and ev.features["opposed"] == 0
    # Turned back (a quarter turn clockwise brings the picture's left side to the top): the
    # picture's x runs along the body and the head (shoulders) is to the left.
    assert ev.points.head[0] < ev.points.sacrum[0]
    assert abs(ev.points.head[1] - ev.points.sacrum[1]) < 0.02


def test_outline_long_axis_and_head_end():
    mask = np.zeros((H, W), np.float32)
    cv2.ellipse(mask, (300, 240), (170, 70), 0, 0, 360, 1.0, -1)  # torso along x
    cv2.circle(mask, (510, 240), 45, 1.0, -1)                      # head at +x
    cv2.line(mask, (200, 100), (330, 240), 1.0, 12)                # a giver's arm: thin
    c, axis, elong, clarity, _ = outline_axis(mask)
    assert abs(axis[1]) < 0.1 and axis[0] > 0 and elong > 0.4


# ------------------------------------------------------------------ fusion and confidence


def _pose_ev(pts, agree=10, tries=12):
    return ImageEvidence(pts, "pose", {"found": agree, "tries": tries, "agree": agree, "opposed": 0,
                                       "spread": 0.05, "visibility": 0.9})


def test_fusion_takes_the_head_end_from_the_pose_when_the_strokes_do_not_say():
    sim = _sim(41, [Segment("petrissage", 25)])  # both hands in view (a line needs both)
    assert sim.visible.all()
    # Kneading with the fingers straight across the back: no glide and no finger says where the head is.
    hands = dataclasses.replace(estimate_from_hands(sim.frames, W, H), head_score=0.0, finger_score=0.0)
    truth = sim.spine
    found = fuse(hands, _pose_ev(truth), None, W, H)
    assert found.source == "hands+pose"
    assert score_line(found.points, truth, W, H).head_right
    wrong = fuse(hands, _pose_ev(SpinePoints(truth.sacrum, truth.head)), None, W, H)
    assert not score_line(wrong.points, truth, W, H).head_right  # it follows the pose, as it should


def test_disagreeing_sources_are_not_presented_as_found(effleurage):
    sim = effleurage[0]
    hands = estimate_from_hands(sim.frames, W, H)
    agree = fuse(hands, _pose_ev(sim.spine), None, W, H)
    across = SpinePoints((0.5, 0.1), (0.5, 0.9))  # a pose line at right angles to the strokes
    disagree = fuse(hands, _pose_ev(across), None, W, H)
    assert agree.confidence > disagree.confidence
    assert not disagree.confident and "disagree" in disagree.reason
    assert fuse(None, None, None, W, H).points is None


def test_a_still_alone_is_not_presented_as_found():
    found = fuse(None, _pose_ev(SpinePoints((0.8, 0.5), (0.2, 0.5))), None, W, H)
    assert found.points is not None and not found.confident


def test_confidence_model_fit_orders_and_calibrates():
    rng = np.random.default_rng(0)
    rows, good = [], []
    for _ in range(800):
        q = rng.uniform(0, 1)
        rows.append({"bias": 1.0, "straightness": q})
        good.append(bool(rng.random() < q))  # P(good) = q exactly
    m = ConfidenceModel.fit([{**dict.fromkeys(FEATURES, 0.0), **r} for r in rows], good, l2=0.01)
    p = np.array([m(r) for r in rows])
    q = np.array([r["straightness"] for r in rows])
    assert m({"bias": 1, "straightness": 0.9}) > m({"bias": 1, "straightness": 0.2})
    hi = p >= 0.8
    assert abs(np.mean(np.array(good)[hi]) - p[hi].mean()) < 0.08
    assert np.corrcoef(p, q)[0, 1] > 0.95


# ------------------------------------------------------------------ live refinement


def test_refiner_proposes_the_line_from_the_first_strokes_once(effleurage):
    sim = effleurage[1]
    # The still gave a rough line: the right direction, but its middle 20% of the spine off.
    h, s = np.array(sim.spine.head), np.array(sim.spine.sacrum)
    rough = SpinePoints(tuple(h + 0.2 * (h - s)), tuple(s + 0.2 * (h - s)))
    assert not score_line(rough, sim.spine, W, H).good
    ref = SpineRefiner(W, H, rough, pose=_pose_ev(rough))
    proposals = [p for p in (ref.push(f) for f in sim.frames) if p is not None]
    assert proposals, "no line proposed after 25 s of effleurage"
    first = proposals[0]
    assert first.confidence >= CONFIRM_AT and score_line(first.points, sim.spine, W, H).good
    assert len(proposals) <= 2  # the same line is not proposed again and again
    assert ref.current == rough and not ref.refined  # nothing changes before the user confirms
    assert ref.accept() == ref.current and ref.refined and ref.proposal is None


def test_refiner_says_nothing_before_there_are_strokes(effleurage):
    sim = effleurage[2]
    ref = SpineRefiner(W, H)
    assert all(ref.push(f) is None for f in sim.frames if f.t < 3.0)
    with pytest.raises(ValueError):
        ref.accept()


def test_live_page_shows_the_refined_line_and_uses_it_only_once_confirmed(effleurage, monkeypatch, tmp_path):
    from coaching import calibration
    from drawing.overlay import draw_proposal as _draw_proposal
    from views.live import LiveSession, Measurement

    monkeypatch.setenv("MASSAGE_COACH_HOME", str(tmp_path))
    sim = effleurage[1]
    h, s = np.array(sim.spine.head), np.array(sim.spine.sacrum)
    rough = SpinePoints(tuple(h + 0.2 * (h - s)), tuple(s + 0.2 * (h - s)))
    live = LiveSession()
    live.set_points(rough)
    m = Measurement(rough, "beginner", False, (W, H))
    m.refiner = SpineRefiner(W, H, rough, pose=_pose_ev(rough))
    live.measurement = m
    for f in sim.frames:  # what Measurement.process does with each analysed frame
        if m.refiner.push(f) is not None:
            m.proposal = m.refiner.proposal
    snap = live.snapshot()
    assert snap["proposal"] is not None and snap["proposal"][1] >= CONFIRM_AT
    assert live.points == rough and calibration.load() is None  # nothing changes before the click
    img = np.zeros((H, W, 3), np.uint8)
    _draw_proposal(img, snap["proposal"][0])
    assert (img[..., 2] > 200).sum() > 500  # the dashed yellow line and its banner are drawn
    pts = live.accept_proposal()
    assert live.points == pts and score_line(pts, sim.spine, W, H).good
    saved = calibration.load()
    assert saved.source == "strokes" and saved.points() == pts and saved.image_size == (W, H)
    assert live.snapshot()["proposal"] is None and live.accept_proposal() is None


def test_resting_hands_give_no_line(effleurage):
    f = next(f for f in effleurage[0].frames if len(f.hands) == 2)
    still = [type(f)(i / 15, f.hands) for i in range(60)]  # the same two hands for 4 s
    assert estimate_from_hands(still, W, H).points is None


def test_the_pose_neck_where_the_strokes_end_raises_the_confidence(effleurage):
    sim = effleurage[0]
    hands = estimate_from_hands(sim.frames, W, H)
    h, s = np.array(hands.points.head), np.array(hands.points.sacrum)
    same = fuse(hands, _pose_ev(hands.points), None, W, H)
    # A pose on the same line whose shoulders sit 15% of the line farther toward the head.
    off = fuse(hands, _pose_ev(SpinePoints(tuple(h + 0.15 * (h - s)), tuple(s))), None, W, H)
    assert same.features["pose_neck_agree"] == pytest.approx(1.0)
    assert off.features["pose_neck_agree"] == 0.0
    assert same.confidence > off.confidence


def test_the_third_motion_family_works_one_side_and_rests_a_hand():
    from studio.spinemotion_c import third_motion

    t = np.arange(600) / 15
    seen = {"same_side": False, "resting": False}
    for seed in range(6):
        m = third_motion(np.random.default_rng(seed), 50.0, t)
        u = m.palm[..., 0]
        seen["same_side"] |= bool((np.sign(u[0]) == np.sign(u[1])).mean() > 0.1)
        speed = np.linalg.norm(np.diff(m.palm, axis=1), axis=2) * 15
        seen["resting"] |= bool(((speed[0] < 0.5) & (speed[1] > 5)).mean() > 0.1
                                or ((speed[1] < 0.5) & (speed[0] > 5)).mean() > 0.1)
        assert m.visible.mean() > 0.7 and np.isfinite(m.palm).all()
    assert all(seen.values()), seen


def _bare_back_picture():
    """A bare back along x from 150 to 450 px (skin), hair beyond 450, a towel below 150, on a sheet."""
    img = np.full((H, W, 3), (200, 205, 210), np.uint8)        # sheet (BGR)
    img[170:310, 60:150] = (60, 40, 150)                        # towel over the hips
    img[170:310, 150:450] = (120, 150, 200)                     # skin
    img[190:290, 450:540] = (30, 30, 35)                        # hair
    img[150:175, 260:330] = (140, 165, 215)                     # a hand resting on the back's edge
    return img


def test_the_bare_back_gives_the_line_ends_along_the_strokes_line():
    from tracker.spine_image import SKIN_SACRUM, skin_ends

    # The strokes covered only the upper half of the back: their line is right across, short along.
    strokes = SpinePoints((420 / W, 240 / H), (300 / W, 240 / H))
    ends = skin_ends([_bare_back_picture()] * 3, strokes)
    head, sacrum = np.array(ends.points.head) * [W, H], np.array(ends.points.sacrum) * [W, H]
    assert ends.features["found"] == 3
    assert head[0] == pytest.approx(450, abs=6) and abs(head[1] - 240) < 1
    assert sacrum[0] == pytest.approx(150 - SKIN_SACRUM * 300, abs=8)
    # A line whose far end is out of the picture gives nothing rather than a guess.
    off = skin_ends([_bare_back_picture()[:, :400]] * 3, SpinePoints((380 / 400, 240 / H), (300 / 400, 240 / H)))
    assert off.points is None


def test_the_pictures_ends_move_the_strokes_line_along_itself_and_count_as_agreement():
    from feedback.spine_auto import ENDS_SHIFT, POSE_MID_BIAS

    strokes = SpinePoints((0.7, 0.5), (0.5, 0.5))   # middle at x 0.6, length 0.2
    hands = dataclasses.replace(estimate_from_hands([], W, H), points=strokes, pairs=200, straightness=1.0)
    far = ImageEvidence(SpinePoints((0.6, 0.5), (0.4, 0.5)), "skin", {"found": 3})   # middle 0.5: half a line back
    same = ImageEvidence(SpinePoints((0.8, 0.4), (0.4, 0.4)), "skin", {"found": 3})  # middle 0.6 (across does not count)

    def mid(found):
        return (np.array(found.points.head) + found.points.sacrum) / 2

    # The strokes and the bare back: the line moves ENDS_SHIFT of the way.
    assert mid(fuse(hands, None, None, W, H, ends=far)) == pytest.approx([0.6 - ENDS_SHIFT * 0.1, 0.5])
    # With the pose too, the median of the three middles: here the pose's (it sits with the strokes'
    # line shifted 0.3 line lengths back, between the strokes' and the back's).
    pose = _pose_ev(SpinePoints((0.64, 0.5), (0.44, 0.5)))
    m = mid(fuse(hands, pose, None, W, H, ends=far))
    assert m == pytest.approx([0.54 - POSE_MID_BIAS * 0.2, 0.5])
    moved, kept = fuse(hands, _pose_ev(strokes), None, W, H, ends=far), fuse(hands, _pose_ev(strokes), None, W, H, ends=same)
    assert moved.features["ends_agree"] == 0.0 and kept.features["ends_agree"] == pytest.approx(1.0)
    assert kept.features["mids_agree"] > 0.8 and moved.features["mids_agree"] == 0.0
    assert kept.confidence > moved.confidence
