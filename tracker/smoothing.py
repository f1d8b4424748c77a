"""Landmark smoothing: the One Euro filter and a per-hand smoother for HandFrames.

One Euro filter: Casiez, Roussel, Vogel, "1€ Filter: A Simple Speed-based Low-pass Filter for
Noisy Input in Interactive Systems", CHI 2012. A first-order low-pass whose cutoff rises with
the signal's speed: heavy smoothing when the hand rests (kills jitter), little lag when it moves.

Defaults are chosen for MediaPipe's normalised coordinates (1.0 = the image width/height), not
pixels; the paper's beta=0.007 assumes pixel units (it equals ~4.5 in normalised units at
640 px wide), so a pixel-tuned beta would barely open the filter here:
- min_cutoff=1.0 Hz: at rest the time constant is 1/(2*pi*1.0) = 0.16 s, which removes the
  few-pixel frame-to-frame jitter of MediaPipe while a resting hand still settles in ~0.3 s.
- beta=10: a massage stroke moves at ~0.2-1.0 image widths per second, raising the cutoff to
  3-11 Hz. The lag on a ramp of speed v is v / (2*pi*(min_cutoff + beta*v)), never more than
  1/(2*pi*beta) = 0.016 of the image (about 10 px at 640 wide) however fast the hand moves.
  Jitter alone (derivative ~0.05/s after the d_cutoff low-pass) lifts the cutoff by only ~0.5 Hz.
- d_cutoff=1.0 Hz: the paper's value for the speed estimate.
Checked on simulated strokes (30 fps, noise sd 0.003 like MediaPipe's jitter): at rest the
speed noise drops ~5x; on a 0.4-wide effleurage stroke the speed error drops ~40% with a
position lag under 0.01; fast small circles (1.2 Hz petrissage) lag by ~0.01 and their speed
is rounded off, so analysis of rates and percussion (tapotement) should use raw landmarks.
"""
from __future__ import annotations

import math

import numpy as np

from .types import PALM, Hand, HandFrame


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    """Smoothing factor of an exponential low-pass with the given cutoff (Hz) at step dt (s)."""
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over an array of any shape (each element filtered independently).

    Call with explicit timestamps; steps may be uneven. A repeated or earlier timestamp
    returns the previous estimate unchanged (a zero step carries no speed information).
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 10.0, d_cutoff: float = 1.0) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError("min_cutoff and d_cutoff must be > 0 and beta >= 0")
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    @property
    def last_t(self) -> float | None:
        return self._t

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        if x.shape != self._x.shape:
            raise ValueError(f"shape changed from {self._x.shape} to {x.shape}")
        dt = t - self._t
        if dt <= 0:
            return self._x.copy()
        assert self._dx is not None
        # Speed is estimated from the raw input against the last estimate, then low-passed.
        dx = (x - self._x) / dt
        self._dx = self._dx + _alpha(self.d_cutoff, dt) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        self._x = self._x + _alpha(cutoff, dt) * (x - self._x)
        self._t = t
        return self._x.copy()


def palm_centre(landmarks: np.ndarray) -> np.ndarray:
    """Image-plane centre of the palm (wrist and four knuckles): steadier than the wrist alone."""
    centre: np.ndarray = np.asarray(landmarks)[list(PALM), :2].mean(axis=0)
    return centre


class _Track:
    def __init__(self, filt: OneEuroFilter, centre: np.ndarray, t: float) -> None:
        self.filter, self.centre, self.last_seen = filt, centre, t


class HandSmoother:
    """Smooths the landmarks of successive HandFrames, one One Euro filter per physical hand.

    Hands are matched to the previous frame's hands by palm-centre distance (greedy nearest
    pairs), never by handedness, which MediaPipe flips between frames and between APIs.
    A hand unseen for more than `max_gap` seconds loses its filter, so a hand that comes back
    elsewhere is not dragged from its old place; within the gap the filter bridges the miss.
    A detection farther than `max_match_dist` (normalised) from every track starts a new track.
    """

    def __init__(
        self,
        min_cutoff: float = 1.0,
        beta: float = 10.0,
        d_cutoff: float = 1.0,
        max_gap: float = 0.5,
        max_match_dist: float = 0.25,
    ) -> None:
        self._params = (min_cutoff, beta, d_cutoff)
        OneEuroFilter(*self._params)  # validate once, early
        self.max_gap = max_gap
        self.max_match_dist = max_match_dist
        self._tracks: list[_Track] = []

    def reset(self) -> None:
        self._tracks = []

    def __call__(self, frame: HandFrame) -> HandFrame:
        t = frame.t
        self._tracks = [tr for tr in self._tracks if t - tr.last_seen <= self.max_gap]
        centres = [palm_centre(h.landmarks) for h in frame.hands]
        assignment = self._match(centres)
        out: list[Hand] = []
        for i, hand in enumerate(frame.hands):
            track = assignment.get(i)
            if track is None:
                track = _Track(OneEuroFilter(*self._params), centres[i], t)
                self._tracks.append(track)
            smoothed = track.filter(hand.landmarks, t)
            track.centre, track.last_seen = centres[i], t
            out.append(Hand(smoothed, hand.handedness, hand.score))
        return HandFrame(t, out)

    def _match(self, centres: list[np.ndarray]) -> dict[int, _Track]:
        """Greedy assignment, closest pair first; with <= 2 hands this is the optimum in practice."""
        pairs = sorted(
            (float(np.linalg.norm(c - tr.centre)), i, j)
            for i, c in enumerate(centres)
            for j, tr in enumerate(self._tracks)
        )
        used_hands: set[int] = set()
        used_tracks: set[int] = set()
        result: dict[int, _Track] = {}
        for dist, i, j in pairs:
            if dist > self.max_match_dist:
                break
            if i in used_hands or j in used_tracks:
                continue
            used_hands.add(i)
            used_tracks.add(j)
            result[i] = self._tracks[j]
        return result
