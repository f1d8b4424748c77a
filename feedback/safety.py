"""Hands over the spine: flagged fast, cleared cleanly, with hysteresis against jitter.

The guide: "Avoid putting any pressure on the spine" and work "on either side of the spine,
not directly on the spine itself". A hand is over the spine while the spine segment (not an
infinite line: neck to sacrum) passes under the middle of its palm.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import guide
from .labels import HandSide
from .spine import PALM_WIDTH_PER_SIZE
from .tracks import BRIDGE_GAP_S


@dataclass(frozen=True)
class SafetyParams:
    enter: float = guide.SPINE_BAND_PALM_WIDTHS * PALM_WIDTH_PER_SIZE      # palm sizes
    release: float = guide.SPINE_RELEASE_PALM_WIDTHS * PALM_WIDTH_PER_SIZE
    confirm_s: float = guide.SPINE_CONFIRM_S
    clear_s: float = guide.SPINE_CLEAR_S
    lost_s: float = 0.5  # a hand unseen this long no longer holds the alert
    # A tapping hand is lifted several cm between contacts, and seen obliquely its image swings
    # by about that much (parallax): it is placed at its last contact (analyzer._safety_input),
    # and must come this much closer to count.
    tapping_enter_scale: float = 0.5
    # ... and its release band shrinks alike: a tapping hand whose lifted image once crossed the
    # band is not held by the wide release distance while its contacts land beside the line.
    tapping_release_scale: float = 0.5
    contact_window_s: float = 0.3  # about one tap cycle at the slowest tapping rate
    # A hand bouncing on and off the back is tapping whatever the technique's label says (the label
    # comes about 1 s after tapping starts, and in that second a lifted hand seen obliquely can
    # appear over the spine): its height in the image reverses at least `bounce_turns` times
    # within `bounce_window_s`, each reversal at least `bounce_swing` palm sizes. Kneading circles
    # (about 1 Hz) reverse at most twice in that time; a glide or a drift not at all.
    bounce_window_s: float = 0.6
    bounce_turns: int = 3
    bounce_swing: float = 0.15
    # A hand labelled tapping is taken at its contact only while it moves up and down at all (at
    # least this many reversals): the label lags by up to a second, and a hand that has stopped
    # tapping and slid onto or off the line is where it is seen (its lowest point of the last
    # tap cycle would hold a hand that left the line on it).
    labelled_bounce_turns: int = 1
    # In a recognised twist the hands slide past each other across the spine by design (guide
    # step 15): a pass shorter than this is not a hand resting or pressing on the spine (a little
    # under the 0.5 s the evaluation calls brief, so a stay of 0.5 s is caught).
    passing_confirm_s: float = 0.4
    # Frames missing (a live stream under load drops them): a hand seen inside the band and, in
    # the next frame that arrives, outside it changed place somewhere in the gap, taken as its middle, so the time it was
    # inside does not hang on which frames arrived. Only for gaps longer than one frame interval
    # (with every frame there nothing changes) and up to the gap tracking bridges (beyond it the
    # hand was lost: no evidence).
    max_gap_s: float = BRIDGE_GAP_S


@dataclass
class SpineEvent:
    start: float
    end: float | None = None
    closest: float = float("inf")  # nearest approach, palm widths
    along: float = 0.0             # where on the spine (fraction from the sacrum) it was nearest
    # The hands on the spine by the side of it each came from, one entry a hand (the report's;
    # named by the analyzer from `slots`, the tracking slots the guard saw).
    hands: list[HandSide] = field(default_factory=list)
    slots: set[int] = field(default_factory=set)

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": None if self.end is None else round(self.end, 3),
                "duration": None if self.end is None else round(self.end - self.start, 3),
                "closest_palm_widths": round(self.closest / PALM_WIDTH_PER_SIZE, 3),
                "region": region(self.along), "hands": sorted(self.hands)}


def bounce_turns(y: np.ndarray, swing: float) -> int:
    """Reversals of direction in the series `y`, counting only those that go back by at least
    `swing` (hysteresis, so landmark jitter does not count)."""
    if len(y) < 3:
        return 0
    ext, heading, turns = float(y[0]), 0, 0
    for v in y[1:].tolist():
        if heading == 0:
            if abs(v - ext) >= swing:
                heading, ext = (1 if v > ext else -1), v
        elif (v - ext) * heading > 0:
            ext = v
        elif (ext - v) * heading >= swing:
            heading, ext, turns = -heading, v, turns + 1
    return turns


def bounce_count(y_px: np.ndarray, size_px: np.ndarray, params: SafetyParams) -> int:
    """Reversals of a hand's image height (px, over the last `bounce_window_s`) of at least
    `bounce_swing` palm sizes: a hand in contact slides, a tapping hand lifts and drops."""
    if len(y_px) < 4:
        return 0
    # The median by sorting a list: on a few dozen samples, every frame, np.median's overhead
    # was a quarter of the whole analysis.
    s = sorted(size_px.tolist())
    size = 0.5 * (s[(len(s) - 1) // 2] + s[len(s) // 2])
    return bounce_turns(np.asarray(y_px) / max(size, 1e-6), params.bounce_swing)


def region(along: float) -> str:
    if along < guide.LOWER_BACK_END:
        return "lower back"
    if along > 0.8:
        return "upper back and shoulders"
    return "mid back"


class SpineGuard:
    """Per-hand hysteresis: candidate -> confirmed after `confirm_s`; clear after `clear_s`
    beyond the wider release distance (or once the hand is lost)."""

    def __init__(self, params: SafetyParams | None = None) -> None:
        self.p = params or SafetyParams()
        self._inside_since: dict[int, float | None] = {}
        self._outside_since: dict[int, float | None] = {}
        self._over: dict[int, bool] = {}
        self._last_seen: dict[int, float] = {}
        self._last_t: float | None = None
        self._looks: dict[int, tuple] = {}  # each hand's last two (time, distance / entry distance)
        self._steps: list[float] = []   # recent intervals between updates (the frame interval)
        self._step = 0.0                # their median, refreshed now and then
        self.active: SpineEvent | None = None
        self.events: list[SpineEvent] = []

    def update(self, t: float, hands: list[tuple]) -> bool:
        """hands: (slot, distance to spine in palm sizes, between neck and sacrum, along, tapping[,
        passing]); passing: the hand is in a recognised twist, so only a stay on the spine counts."""
        previous = self._last_t
        self._frame_interval(t)
        for slot, dist, on_seg, along, tapping, *rest in hands:
            confirm_s = self.p.passing_confirm_s if rest and rest[0] else self.p.confirm_s
            confirmed = t
            # If the stream's frames are missing since the last one (which saw this hand), the hand
            # changed place in the gap (see SafetyParams.max_gap_s): `changed` is the first missing
            # frame taken to be in the new place, `before` the last in the old one (as a full
            # stream's frames would show them: with every frame, now and the frame before). It
            # left at the middle of the gap, or sooner if it was already moving out at its last
            # two looks (at that speed). A frame that came without this hand is a look that found
            # nothing, not a gap.
            gap = t - self._last_seen.get(slot, t)
            stream_gap = gap if previous is not None and self._last_seen.get(slot) == previous else 0.0
            credit = 1.5 * self._step < stream_gap <= self.p.max_gap_s
            depth = dist / (self.p.enter * (self.p.tapping_enter_scale if tapping else 1.0))  # < 1 inside
            looks = self._looks.get(slot, ())
            changed, before = t, None
            if credit:
                changed = t - 0.5 * (gap - self._step)
                left = t - 0.5 * gap
                if len(looks) == 2 and looks[1][1] > looks[0][1] and looks[1][0] > looks[0][0]:
                    speed = (looks[1][1] - looks[0][1]) / (looks[1][0] - looks[0][0])
                    left = min(left, looks[1][0] + max(0.0, 1.0 - looks[1][1]) / speed)
                before = left - 0.5 * self._step
            self._looks[slot] = (looks[-1], (t, depth)) if looks else ((t, depth),)
            if gap > self.p.max_gap_s:
                self._inside_since[slot] = None  # lost in between: its time inside starts again
            self._last_seen[slot] = t
            inside = on_seg and depth < 1.0
            outside = (not on_seg) or dist > self.p.release * (self.p.tapping_release_scale if tapping else 1.0)
            if self._over.get(slot):
                if outside:
                    since = self._outside_since.get(slot)
                    if since is None:
                        self._outside_since[slot] = since = changed
                    if t - since >= self.p.clear_s:
                        self._over[slot] = False
                else:
                    self._outside_since[slot] = None
            else:
                since = self._inside_since.get(slot)
                if inside:
                    if since is None:
                        self._inside_since[slot] = since = changed
                    if t - since >= confirm_s:
                        self._over[slot] = True
                        self._outside_since[slot] = self._inside_since[slot] = None
                elif since is not None and before is not None and before - since >= confirm_s - 1e-3:
                    # Inside long enough before it moved on, somewhere in the frames that are
                    # missing: an alert from when it was confirmed, now counting toward its
                    # clearing if the hand is outside. (1 ms: track files keep 0.1 ms.)
                    self._over[slot] = True
                    confirmed = min(t, since + confirm_s)
                    self._outside_since[slot] = changed if outside else None
                    self._inside_since[slot] = None
                else:
                    self._inside_since[slot] = None
            if self._over.get(slot) and self.active is not None and dist < self.active.closest:
                self.active.closest, self.active.along = dist, along
            if self._over.get(slot) and self.active is None:
                self.active = SpineEvent(start=confirmed, closest=dist, along=along)
            if self._over.get(slot) and self.active is not None:
                self.active.slots.add(slot)
        for slot, over in list(self._over.items()):
            if over and t - self._last_seen.get(slot, t) > self.p.lost_s:
                self._over[slot] = False
                self._inside_since[slot] = None
        over_now = any(self._over.values())
        if not over_now and self.active is not None:
            self.active.end = t
            self.events.append(self.active)
            self.active = None
        return over_now

    def _frame_interval(self, t: float) -> None:
        """The stream's frame interval: the median interval between updates (with a third of
        the frames dropped at random, most intervals are still one frame), refreshed every 16
        updates (a median every frame would cost more than the rest of the guard)."""
        if self._last_t is not None and t > self._last_t:
            self._steps.append(t - self._last_t)
            if len(self._steps) >= 32:
                del self._steps[:16]
            if len(self._steps) % 16 == 0 or not self._step:
                s = sorted(self._steps)
                self._step = s[len(s) // 2]
        self._last_t = t

    def close(self, t: float) -> None:
        if self.active is not None:
            self.active.end = t
            self.events.append(self.active)
            self.active = None
