"""Follow each hand over time by where it is, never by MediaPipe's handedness label.

Two slots, one per hand. Each detection is matched to the slot whose last position is
nearest (in palm sizes); a slot not seen for `max_gap_s` is free again, so gaps of up to half a
second (blur, skin-on-skin) keep a hand's history. Histories are ring buffers of a fixed
length, so memory stays flat however long a session runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The longest gap without a hand that tracking bridges (blur, skin on skin). Past it a hand is
# lost: its history restarts, and the analysis claims no technique and no spine alert.
BRIDGE_GAP_S = 0.6

# Columns of a slot's history.
T, X, Y, ALONG, ACROSS, SIZE, EXT, TIPX, TIPY, AXL, AXC, THX, THY = range(13)
N_COLS = 13


@dataclass
class HandSample:
    """One hand in one frame, in the measures the analysis uses."""

    x: float        # palm centre, pixels
    y: float
    along: float    # spine lengths from the sacrum
    across: float   # spine lengths, + on the person's right
    size: float     # palm size, pixels
    ext: float      # mean fingertip distance from the wrist, in palm sizes
    spine_dist: float  # distance of the palm centre to the spine segment, in palm sizes
    tip_x: float = 0.0  # mean fingertip minus palm centre, image axes, palm sizes (a tap's flick)
    tip_y: float = 0.0
    axis_along: float = 0.0   # unit wrist-to-middle-knuckle direction, along the spine (+ toward
    axis_across: float = 0.0  # the head) and across it: where the fingers point
    thumb_x: float = 0.0  # thumb tip minus palm centre, image axes, palm sizes (thumb kneading
    thumb_y: float = 0.0  # circles the thumb tip while the palm stays put)


class Slot:
    """History of one tracked hand (a ring buffer written twice so any window is a view)."""

    def __init__(self, capacity: int) -> None:
        self.cap = capacity
        self.buf = np.zeros((2 * capacity, N_COLS))
        self.n = 0          # samples written ever
        self.last_t = -np.inf
        self.last_xys = (0.0, 0.0, 1.0)  # the last sample's x, y and size as floats (fast to read)

    def add(self, t: float, s: HandSample) -> None:
        row = (t, s.x, s.y, s.along, s.across, s.size, s.ext, s.tip_x, s.tip_y, s.axis_along, s.axis_across,
               s.thumb_x, s.thumb_y)
        i = self.n % self.cap
        self.buf[i] = row
        self.buf[i + self.cap] = row
        self.n += 1
        self.last_t = t
        self.last_xys = (s.x, s.y, s.size)

    def window(self, t_from: float) -> np.ndarray:
        """Samples with time >= t_from, oldest first (a view, do not modify)."""
        k = min(self.n, self.cap)
        end = self.n % self.cap + self.cap
        view = self.buf[end - k:end]
        start = np.searchsorted(view[:, T], t_from)
        return view[start:]

    def alive(self, t: float, max_gap_s: float) -> bool:
        return self.n > 0 and t - self.last_t <= max_gap_s


class HandTracks:
    """Assigns each frame's hands to two slots by position."""

    def __init__(self, capacity: int = 512, max_gap_s: float = BRIDGE_GAP_S, max_jump: float = 4.0) -> None:
        self.slots = [Slot(capacity), Slot(capacity)]
        self.max_gap_s = max_gap_s
        self.max_jump = max_jump  # palm sizes a hand may move between sightings and stay itself

    def assign(self, t: float, samples: list[HandSample]) -> list[tuple[int, HandSample]]:
        samples = samples[:2]
        alive = [s.alive(t, self.max_gap_s) for s in self.slots]
        inf = float("inf")
        cost = []
        for smp in samples:
            row = []
            for j, slot in enumerate(self.slots):
                if alive[j]:
                    x, y, size = slot.last_xys
                    row.append(math.hypot(smp.x - x, smp.y - y) / max(size, 1e-6))
                else:
                    row.append(inf)
            cost.append(row)
        if len(samples) == 2:
            pairs = [(0, 0), (1, 1)] if cost[0][0] + cost[1][1] <= cost[0][1] + cost[1][0] else [(0, 1), (1, 0)]
        elif len(samples) == 1:
            c = cost[0]
            pairs = [(0, 0 if c[0] <= c[1] else 1)] if min(c) < inf else [(0, 0 if not alive[0] else 1)]
        else:
            pairs = []
        out = []
        used = set()
        for i, j in pairs:
            if cost[i][j] == inf or cost[i][j] > self.max_jump:
                # Too far from that hand's last place (or slot free): a free slot takes it.
                free = [k for k in (j, 1 - j) if not alive[k] and k not in used]
                if not free:
                    if cost[i][j] < inf:
                        free = [j]  # both slots busy: still the nearest is the best guess
                    else:
                        continue
                j = free[0]
            if j in used:
                continue
            used.add(j)
            self.slots[j].add(t, samples[i])
            out.append((j, samples[i]))
        return out
