"""The typed session summary: frozen named fields, and JSON exactly as the report wrote it before
(key for key, in the same order), so report files, the command line's JSON and the history's
session ids do not change."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from coaching import history
from coaching.session import Session
from feedback import guide
from feedback.analyzer import SessionAnalyzer
from feedback.camera_check import check
from feedback.report import frame_durations, label_spans, summarise
from feedback.spine import SpineLine
from feedback.summary import Summary
from studio.session import Segment, random_rig, simulate


def old_summary(t, labels, over, nhands, strokes, events, spine) -> dict:
    """The summary as feedback/report.py built it as a nested dict before it was typed (kept
    here, word for word, as the reference of the JSON format)."""
    def mean(xs):
        xs = [x for x in xs if x is not None]
        return round(float(np.mean(xs)), 3) if xs else None

    def median(xs):
        xs = [x for x in xs if x is not None]
        return round(float(np.median(xs)), 3) if xs else None

    def passes_of(name):
        passes = sum(s.passes or 0 for s in strokes if s.type == name)
        out = {"bouts": sum(s.type == name for s in strokes), "passes": passes}
        if name in guide.REPETITIONS:
            lo, hi = guide.REPETITIONS[name]
            reps = passes // 2
            out.update(repetitions=reps, guide_repetitions=[lo, hi],
                       status="short" if reps < lo else "long" if reps > hi else "in range")
        return out

    dur = frame_durations(t)
    seconds = {name: float(dur[np.asarray(labels) == name].sum()) for name in guide.LABELS}
    against = {}
    for name, target in guide.TARGETS.items():
        s = seconds.get(name, 0.0)
        status = "short" if s < target.min_s else "long" if s > target.max_s else "in range"
        against[name] = {"seconds": round(s, 1), "target_min_s": target.min_s, "target_max_s": target.max_s,
                         "status": status}
    eff = [s for s in strokes if s.type == "effleurage"]
    pressing = [s for s in eff if s.phase == "stroke"]
    breaks = 0
    for a, b in label_spans(np.where(nhands == 0, "none", "hand"), "none"):
        if t[b - 1] - t[a] + dur[b - 1] >= guide.CONTACT_GAP_S:
            breaks += 1
    fps = 1.0 / float(np.median(np.diff(t))) if len(t) > 2 else 0.0
    return {
        "duration_s": round(float(t[-1] - t[0] + dur[-1]) if len(t) else 0.0, 3),
        "frames": int(len(t)),
        "hands_seen_fraction": round(float((nhands > 0).mean()) if len(t) else 0.0, 4),
        "seconds_per_label": {k: round(v, 2) for k, v in seconds.items()},
        "against_guide": against,
        "effleurage": {
            "strokes": len(pressing),
            "up": sum(s.direction == "up" for s in pressing),
            "down_wrong_way": sum(s.direction == "down" for s in pressing),
            "returns": sum(s.phase == "return" for s in eff),
            "moves": sum(s.phase == "move" for s in eff),
            "mean_length_spine": mean([s.length for s in pressing]),
            "mean_duration_s": mean([s.duration for s in pressing]),
        },
        "petrissage": {
            "bouts": sum(s.type == "petrissage" for s in strokes),
            "median_radius_palm": median([s.radius for s in strokes if s.type == "petrissage"]),
            "median_tempo_hz": median([s.tempo_hz for s in strokes if s.type == "petrissage"]),
        },
        "tapotement": {
            "bouts": sum(s.type == "tapotement" for s in strokes),
            "median_rate_hz": median([s.rate_hz for s in strokes if s.type == "tapotement"]),
        },
        **{name: passes_of(name) for name in ("lifting", "fanning", "twist")},
        "unsure_fraction": round(float(dur[np.asarray(labels) == "unsure"].sum() / max(dur.sum(), 1e-9)), 4)
        if len(t) else 0.0,
        "spine": {
            "events": len(events),
            "seconds_over": round(float(dur[np.asarray(over, bool)].sum()) if len(t) else 0.0, 2),
            "line": {"head": list(spine.head), "sacrum": list(spine.sacrum), "source": spine.source,
                     "confidence": round(spine.confidence, 3)},
        },
        "contact_breaks": breaks,
        "seconds_no_hands": round(seconds.get("no_hands", 0.0), 2),
        "frame_rate": {"fps": round(fps, 1), "tapping_measurable_up_to_hz": round(fps / 2, 1),
                       "fast_tapping_aliased": bool(0 < fps < 24.0)},
    }


def simulated(script, seed):
    rng = np.random.default_rng(seed)
    rig = random_rig(rng, fps=30)
    sim = simulate(script, rig, rng)
    return sim, SpineLine.from_points(sim.spine, rig.camera.width, rig.camera.height, "track")


SCRIPTS = [
    ([Segment("effleurage", 8), Segment("petrissage", 6, [(2.0, 1.0)]), Segment("tapotement", 5)], 3),
    ([Segment("twist", 12), Segment("lifting", 8), Segment("fanning", 6)], 1),
]


@pytest.mark.parametrize("script,seed", SCRIPTS)
def test_the_summary_json_is_the_old_format_key_for_key(script, seed):
    sim, spine = simulated(script, seed)
    an = SessionAnalyzer(spine)
    for f in sim.frames:
        an.push(f)
    rep = an.finish()
    nhands = np.frombuffer(an._nhands, dtype=np.uint8).astype(int)
    want = old_summary(rep.t, rep.labels, rep.over_spine, nhands, rep.strokes, rep.spine_events, spine)
    figures = an.camera.figures((tuple(spine.head), tuple(spine.sacrum)))
    want["camera"] = {"figures": figures.to_dict(), "problems": [p.to_dict() for p in check(figures)]}
    # Compared as text: the same keys, values and order (dict equality would ignore the order).
    assert json.dumps(rep.summary.to_dict()) == json.dumps(want)
    assert json.loads(rep.to_json())["summary"] == json.loads(json.dumps(want))
    # A preview has no camera check yet: no "camera" key, as before.
    again = summarise(rep.t, rep.labels, rep.over_spine, nhands, rep.strokes, rep.spine_events, spine)
    assert "camera" not in again.summary.to_dict() and again.summary.camera is None
    # The history's id is the hash of that same JSON: ids kept before stay the same.
    key = json.dumps({"name": "x", "summary": want}, sort_keys=True, default=str)
    import hashlib
    assert history.session_id(rep.summary, "x") == hashlib.sha1(key.encode()).hexdigest()[:12]


def test_a_changed_spine_line_is_written_as_before():
    sim, spine = simulated(SCRIPTS[0][0], 4)
    session = Session(spine)
    half = len(sim.frames) // 2
    for f in sim.frames[:half]:
        session.push_hands(f)
    moved = SpineLine((spine.head[0] + 0.01, spine.head[1]), spine.sacrum, spine.width, spine.height, 0.87654, "manual")
    session.change_spine(moved)
    for f in sim.frames[half:]:
        session.push_hands(f)
    d = session.finish().report.to_dict()["summary"]
    assert list(d)[-2:] == ["frame_rate", "camera"]
    assert list(d["spine"]) == ["events", "seconds_over", "line", "changes"]
    first, second = d["spine"]["changes"]
    assert list(second) == ["t", "head", "sacrum", "source", "confidence"]
    assert second["head"] == [spine.head[0] + 0.01, spine.head[1]] and second["source"] == "manual"
    assert second["confidence"] == 0.877 and first["source"] == "track"
    assert second["t"] == pytest.approx(sim.frames[half].t, abs=0.05)
    assert d["spine"]["line"] == {k: second[k] for k in ("head", "sacrum", "source", "confidence")}


def test_the_summary_is_frozen():
    sim, spine = simulated(SCRIPTS[0][0], 3)
    rep = Session(spine)
    for f in sim.frames:
        rep.push_hands(f)
    s = rep.finish().report.summary
    assert isinstance(s, Summary)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.frames = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.effleurage.up = 99
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.spine.events = 0
    with pytest.raises(TypeError):
        s.seconds_per_label["effleurage"] = 0.0
    with pytest.raises(TypeError):
        s.against_guide["effleurage"] = None
    assert s.seconds("effleurage") == s.seconds_per_label["effleurage"] > 0
    assert s.seconds("not a label") == 0.0


# -- one way to name a hand: the side of the person's spine ------------------------------------

def test_hands_are_named_by_their_side_of_the_spine_in_words():
    from feedback.labels import hands_text

    assert hands_text(["left"]) == "left-side hand"
    assert hands_text(["left", "right"]) == "both hands (one each side)"
    assert hands_text(["right", "right"]) == "both hands (right side)"
    assert hands_text([]) == hands_text(None) == ""


def test_the_strokes_table_names_every_hand_by_the_side_it_worked_on():
    from views.widgets import strokes_frame

    sim, spine = simulated(SCRIPTS[0][0], 3)
    an = SessionAnalyzer(spine)
    seen: dict[int, list[tuple[float, str]]] = {0: [], 1: []}
    for f in sim.frames:
        for h in an.push(f).hands:
            seen[h.slot].append((f.t, h.side))
    rep = an.finish()
    kinds = {s.type for s in rep.strokes}
    assert {"effleurage", "petrissage", "tapotement"} <= kinds
    for s in rep.strokes:
        assert s.hands and set(s.hands) <= {"left", "right"}, (s.type, s.hands)
    # A single hand's glide carries the side that hand was on during it (the live view's side).
    for g in (s for s in rep.strokes if s.type == "effleurage" and len(s.hands) == 1):
        sides = [side for t, side in seen[g.slot] if g.start <= t <= g.end]
        assert g.hands == [max(set(sides), key=sides.count)]
    column = strokes_frame(rep)["Hands"].tolist()
    words = {"left-side hand", "right-side hand", "both hands (one each side)", "both hands (left side)",
             "both hands (right side)"}
    assert column and set(column) <= words, set(column) - words
    assert not any(w in " ".join(column) for w in ("hand 1", "hand 2", "one hand", "Left", "Right"))


def test_the_summary_pickles_and_comes_back_equal():
    """The review page's cache pickles the session result, summary included."""
    import pickle

    sim, spine = simulated(SCRIPTS[0][0], 3)
    an = SessionAnalyzer(spine)
    for f in sim.frames:
        an.push(f)
    s = an.finish().summary
    back = pickle.loads(pickle.dumps(s))
    assert back == s and json.dumps(back.to_dict()) == json.dumps(s.to_dict())
    with pytest.raises(TypeError):
        back.seconds_per_label["effleurage"] = 0.0
