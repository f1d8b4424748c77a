"""Strokes as events: effleurage glides with their direction, kneading and tapping spans.

A glide is a run of travel along the spine in one direction. The guide asks for the pressing
glide upward "toward the heart" and the light return "down the outside of the back", so within
a bout the glides of the direction that runs further from the spine are the returns. A glide
going down nearer the spine than the returns beside it is the wrong way; one going down with no
return beside it (hands moving to a new place, or up and down one line) is only a move, since
nothing shows which way was pressed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .labels import HandSide


@dataclass(frozen=True)
class StrokeParams:
    deadband: float = 0.035          # spine lengths of reversal before a run is over (jitter)
    min_length: float = 0.22         # spine lengths: a glide, not a reposition
    min_duration_s: float = 0.35
    max_duration_s: float = 8.0
    return_ratio: float = 1.15       # a return runs this many times further out than the glides
                                     # of the other direction (a ratio: oblique views shrink both)
    bout_gap_s: float = 4.0          # glides further apart than this belong to different bouts
    merge_overlap: float = 0.4       # two hands' glides overlapping this much are one stroke


@dataclass
class Stroke:
    type: str
    start: float
    end: float
    hands: list[HandSide] = field(default_factory=list)  # one entry a hand: its side of the spine
    direction: str | None = None     # effleurage: up (toward the head) or down
    phase: str = "stroke"            # effleurage: "stroke" (pressing), "return" (the light way
                                     # back, further out) or "move" (neither can be told)
    length: float | None = None      # spine lengths
    across: float | None = None      # mean distance from the spine, spine lengths
    radius: float | None = None      # petrissage: circle radius, palm sizes
    tempo_hz: float | None = None    # petrissage circles per second
    rate_hz: float | None = None     # tapotement taps per second
    passes: int | None = None        # lifting, fanning, twists: one-way runs up or down the back
    slot: int = -1

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def is_return(self) -> bool:
        return self.phase == "return"

    def to_dict(self) -> dict:
        d = {"type": self.type, "start": round(self.start, 3), "end": round(self.end, 3),
             "duration": round(self.duration, 3), "hands": self.hands}
        if self.type == "effleurage":
            d.update(direction=self.direction, phase=self.phase,
                     length_spine=round(self.length or 0.0, 3),
                     speed_spine_per_s=round((self.length or 0.0) / max(self.duration, 1e-6), 3))
        if self.radius is not None:
            d["radius_palm"] = round(self.radius, 3)
        if self.tempo_hz is not None:
            d["tempo_hz"] = round(self.tempo_hz, 3)
        if self.rate_hz is not None:
            d["rate_hz"] = round(self.rate_hz, 2)
        if self.passes is not None:
            d["passes"] = self.passes
        return d


class GlideTracker:
    """Online segmentation of one hand's along-spine position into monotonic runs."""

    def __init__(self, slot: int, params: StrokeParams) -> None:
        self.slot = slot
        self.p = params
        self._dir = 0
        self._start: tuple[float, float] | None = None   # (t, along) where the run began
        self._ext: tuple[float, float] | None = None     # (t, along) furthest point so far
        self._across_sum = 0.0
        self._n = 0

    def reset(self) -> None:
        self._dir, self._start, self._ext, self._across_sum, self._n = 0, None, None, 0.0, 0

    def update(self, t: float, along: float, across: float) -> Stroke | None:
        """Feed one sample; returns a glide when a run long enough has just ended."""
        done = None
        if self._start is None:
            self._start = self._ext = (t, along)
            self._dir = 0
        elif self._dir == 0:
            if abs(along - self._start[1]) >= self.p.deadband:
                self._dir = 1 if along > self._start[1] else -1
                self._ext = (t, along)
            elif abs(along - self._start[1]) < 1e-3:
                self._start = (t, along) if t - self._start[0] > 1.0 else self._start
        else:
            if (along - self._ext[1]) * self._dir > 0:
                self._ext = (t, along)
            elif abs(along - self._ext[1]) >= self.p.deadband:
                done = self._finish()
                self._start = self._ext
                self._dir = -self._dir
                self._ext = (t, along)
                self._across_sum, self._n = 0.0, 0
        self._across_sum += abs(across)
        self._n += 1
        return done

    def _finish(self) -> Stroke | None:
        (t0, a0), (t1, a1) = self._start, self._ext
        length = abs(a1 - a0)
        dur = t1 - t0
        if length < self.p.min_length or not (self.p.min_duration_s <= dur <= self.p.max_duration_s):
            return None
        return Stroke("effleurage", t0, t1, direction="up" if a1 > a0 else "down", length=length,
                      across=self._across_sum / max(self._n, 1), slot=self.slot)

    def flush(self) -> Stroke | None:
        out = self._finish() if self._start is not None and self._dir != 0 else None
        self.reset()
        return out


def further_out(across: float, others: list[float], p: StrokeParams) -> bool:
    """Does a glide at mean distance `across` from the spine run outside glides at `others`?"""
    return across > p.return_ratio * float(np.mean(others)) + 0.01


def mark_returns(glides: list[Stroke], p: StrokeParams) -> None:
    """Sets each glide's phase. A glide is a return when it runs further from the spine than the
    glides of the other direction just before and after it (same hand): local, so a change from
    one way of doing effleurage to another in the same session is judged on its own strokes. A
    glide going down is a pressing stroke (the wrong way) only when a return goes up beside it;
    otherwise it is a move."""
    by_slot: dict[int, list[Stroke]] = {}
    for g in sorted(glides, key=lambda s: s.start):
        by_slot.setdefault(g.slot, []).append(g)
    for seq in by_slot.values():
        beside = [_beside(seq, i, p) for i in range(len(seq))]
        for g, near in zip(seq, beside):
            g.phase = "return" if near and further_out(g.across, [o.across for o in near], p) else "stroke"
        for g, near in zip(seq, beside):
            if g.direction == "down" and g.phase == "stroke" and not any(o.is_return for o in near):
                g.phase = "move"


def _beside(seq: list[Stroke], i: int, p: StrokeParams) -> list[Stroke]:
    """The nearest glides of the other direction before and after seq[i], within a bout."""
    g = seq[i]
    near = []
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(seq) and seq[j].direction == g.direction:
            j += step
        if 0 <= j < len(seq):
            o = seq[j]
            gap = g.start - o.end if step < 0 else o.start - g.end
            if gap <= p.bout_gap_s:
                near.append(o)
    return near


def same_stroke(a: Stroke, b: Stroke, p: StrokeParams) -> bool:
    """Two hands' glides that make one stroke: the same way, overlapping in time by at least
    `merge_overlap` of the shorter (the one rule for the report and the live counts)."""
    overlap = min(a.end, b.end) - max(a.start, b.start)
    return a.direction == b.direction and overlap > 0 and overlap >= p.merge_overlap * min(a.duration, b.duration)


def merge_hands(glides: list[Stroke], p: StrokeParams) -> list[Stroke]:
    """Two hands gliding together make one stroke. When the hands disagree on its phase, the
    stroke is not called the wrong way on one hand's word: a glide down is a pressing stroke
    only if both hands say so, a glide up is a pressing stroke if either does."""
    out: list[Stroke] = []
    slots: list[set[int]] = []  # the hands (tracker slots) already in each stroke of `out`
    for g in sorted(glides, key=lambda s: s.start):
        for o, mine in zip(out[-3:], slots[-3:]):
            # Another hand, not the side name: two hands on one side of the spine glide together too.
            if same_stroke(o, g, p) and g.slot not in mine:
                o.start, o.end = min(o.start, g.start), max(o.end, g.end)
                o.length = max(o.length or 0, g.length or 0)
                o.hands = sorted(o.hands + g.hands)  # one entry a hand: two on one side are two
                mine.add(g.slot)
                if o.phase != g.phase:
                    o.phase = agreed_phase(o, g)
                break
        else:
            out.append(g)
            slots.append({g.slot})
    return out


def agreed_phase(a: Stroke, b: Stroke) -> str:
    """The phase of one stroke made by two hands that disagree (see merge_hands)."""
    phases = {a.phase, b.phase}
    if a.direction == "up":
        return "stroke" if "stroke" in phases else "return"
    return "return" if "return" in phases else "move"
