"""The guided session through the guide's Part 2, driven by synthetic label streams."""
from __future__ import annotations

import numpy as np
import pytest

from feedback import guide
from feedback.routine import STEPS, SWITCH_CONFIRM_S, Routine


def feed(r: Routine, plan, fps=15.0, t0=0.0):
    """plan: (label, seconds) pairs, fed frame by frame. Returns the last state and end time."""
    t = t0
    state = r.state()
    for label, secs in plan:
        for _ in range(int(round(secs * fps))):
            state = r.update(t, label)
            t += 1 / fps
    return state, t


def test_steps_follow_the_guides_order_and_minutes():
    assert [s.name for s in STEPS] == [name for name, _ in guide.SEQUENCE]
    for s in STEPS[:3]:
        assert (s.min_s, s.max_s) == (guide.TARGETS[s.name].min_s, guide.TARGETS[s.name].max_s)


def test_effleurage_times_against_the_guide_and_says_when_to_move_on():
    r = Routine()
    assert r.state().status == "start" and "Effleurage" in r.state().text
    state, t = feed(r, [("effleurage", 121)])
    assert state.status == "keep going" and state.seconds == pytest.approx(121, abs=0.2)
    assert "2:00 of 3-5 min" in state.text
    state, t = feed(r, [("effleurage", 60)], t0=t)
    assert state.status == "can move on" and "move on to petrissage" in state.text
    state, t = feed(r, [("effleurage", 120)], t0=t)
    assert state.status == "move on" and "now" in state.text and state.index == 0


def test_switching_to_the_next_technique_moves_on_only_when_held():
    r = Routine()
    state, t = feed(r, [("effleurage", 200), ("petrissage", SWITCH_CONFIRM_S - 1), ("effleurage", 3)])
    assert state.index == 0  # a few seconds of kneading is not the next step yet
    state, t = feed(r, [("petrissage", SWITCH_CONFIRM_S + 1)], t0=t)
    assert state.index == 1 and state.step.name == "petrissage"
    assert state.seconds == pytest.approx(SWITCH_CONFIRM_S + 1, abs=0.3)
    assert r.skipped_early == []
    # Effleurage during petrissage is the guide's alternation: it stays on petrissage.
    state, t = feed(r, [("effleurage", 30), ("petrissage", 20)], t0=t)
    assert state.index == 1 and state.seconds == pytest.approx(SWITCH_CONFIRM_S + 21, abs=0.5)


def test_leaving_a_step_early_is_remembered_and_the_summary_says_short():
    r = Routine()
    feed(r, [("effleurage", 60), ("petrissage", 150), ("tapotement", 130)])
    assert r.index == 2 and r.skipped_early == ["effleurage"]
    rows = {x["step"]: x for x in r.summary()}
    assert rows["effleurage"]["status"] == "short"
    assert rows["petrissage"]["status"] == "in range"
    assert rows["tapotement"]["status"] == "in range"


def test_steps_counted_in_passes_wait_for_the_learner_then_finish():
    r = Routine()
    feed(r, [("effleurage", 190), ("petrissage", 130), ("tapotement", 130)])
    r.advance()
    state = r.state()
    assert state.step.name == "muscle lifting" and state.status == "do passes" and "2-3 times" in state.text
    state, _ = feed(r, [("other", 60)])  # nothing recognised: still waiting
    assert state.index == 3
    r.advance()
    r.advance()
    assert "3 times" in r.state().text
    r.advance()
    assert r.finished and r.state().status == "finished" and "slowly" in r.state().text


def test_a_stall_in_the_stream_adds_little_time():
    r = Routine()
    r.update(0.0, "effleurage")
    r.update(30.0, "effleurage")  # 30 s with no frame
    assert r.state().seconds <= 0.5 + 1e-9


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_label_noise_never_moves_backwards(seed):
    rng = np.random.default_rng(seed)
    r = Routine()
    last = 0
    t = 0.0
    for _ in range(4000):
        label = rng.choice(["effleurage", "petrissage", "tapotement", "idle", "other"])
        for _ in range(int(rng.integers(1, 30))):
            state = r.update(t, str(label))
            t += 1 / 15
            assert state.index >= last
            last = state.index
