"""Which technique one hand is doing, from a short window of its history.

Features are scale-free (palm sizes, spine lengths, Hz, turns), so they do not depend on
camera distance, resolution or frame rate; the window is resampled to a fixed rate first, so
uneven timestamps and short gaps do not matter either.

- tapotement: a fast oscillation (the guide's "brief, repetitive contacts") of the hand's
  position, apparent size and finger reach, in the band above `tap_min_hz`;
- petrissage: the palm going round ("short, circular strokes"): signed area swept about the
  window's trend, in turns, at a kneading tempo, with a small radius;
- effleurage: sustained travel along the spine ("long, even strokes");
- idle: hands still, or no hand.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tracks import ALONG, EXT, SIZE, T, X, Y


@dataclass(frozen=True)
class ClassifierParams:
    """Explicit, physically meaningful thresholds (tuned on the simulator's tuning split only)."""

    window_s: float = 1.6           # oscillation and circles
    travel_window_s: float = 2.6    # long strokes need a longer look
    rate_hz: float = 30.0           # resampling rate of the windows
    min_coverage: float = 0.45      # of the window in which the hand must be seen
    tap_min_hz: float = 2.4
    tap_max_hz: float = 12.0
    tap_min_amp: float = 0.09       # palm sizes, RMS in the tap band
    tap_dominance: float = 0.5      # tap-band share of all oscillation power
    tap_peakiness: float = 0.45     # share of the tap band in its strongest peak (taps are regular)
    circle_min_turns_per_s: float = 0.3
    circle_min_radius: float = 0.15  # palm sizes
    circle_max_radius: float = 2.2
    glide_min_travel: float = 0.33  # spine lengths along the spine within travel_window_s
    still_max_speed: float = 0.35   # palm sizes per second, over 0.2 s steps (jitter-proof)


@dataclass
class HandWindow:
    """Features of one hand over the window, and the label they give."""

    label: str
    coverage: float
    speed: float = 0.0           # palm sizes / s
    tap_amp: float = 0.0         # palm sizes
    tap_hz: float = 0.0
    tap_share: float = 0.0
    tap_peak: float = 0.0
    turns: float = 0.0           # turns about the trend inside the window
    radius: float = 0.0          # palm sizes
    knead_hz: float = 0.0        # circles per second
    travel: float = 0.0          # spine lengths along the spine in the travel window
    score: float = 0.0


_OFFSETS: dict[tuple[float, float], np.ndarray] = {}


def _grid(t: np.ndarray, t_now: float, span: float, rate: float) -> tuple[np.ndarray, float]:
    """Grid times inside [t_now - span, t_now] covered by samples, and the covered share."""
    offs = _OFFSETS.get((span, rate))
    if offs is None:
        offs = _OFFSETS[(span, rate)] = (np.arange(int(round(span * rate))) + 0.5) / rate
    grid = (t_now - span) + offs
    # The grid increases, so the covered part is one run: two binary searches, no masks.
    lo = int(grid.searchsorted(t[0] - 0.5 / rate, "left"))
    hi = max(int(grid.searchsorted(t[-1] + 0.5 / rate, "right")), lo)
    return grid[lo:hi], (hi - lo) / len(grid)


def _median(x: np.ndarray) -> float:
    """np.median of a 1-D array without its generic machinery (same value)."""
    n = len(x)
    k = n // 2
    if n % 2:
        return float(np.partition(x, k)[k])
    part = np.partition(x, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2)


_SPECTRAL: dict[tuple, tuple] = {}


def _spectral(m: int, p: "ClassifierParams") -> tuple:
    """Per window length: trend basis k and k @ k, Hann window and its scale, tap band."""
    key = (m, p.rate_hz, p.tap_min_hz, p.tap_max_hz)
    c = _SPECTRAL.get(key)
    if c is None:
        k = np.arange(m) - (m - 1) / 2
        win = np.hanning(m)
        freqs = np.fft.rfftfreq(m, 1 / p.rate_hz)
        band = (freqs >= p.tap_min_hz) & (freqs <= p.tap_max_hz)
        c = _SPECTRAL[key] = (k, float(k @ k), win, 2.0 / (m * (win @ win)), band, freqs[band], bool(band.any()))
    return c


def _lerp(t: np.ndarray, rows: np.ndarray, g: np.ndarray) -> np.ndarray:
    """All columns of `rows` at times g at once (np.interp one column at a time costs more).
    Clipping by maximum/minimum in place: np.clip's dispatch costs more than its work here."""
    last = len(t) - 1
    j = t.searchsorted(g)
    np.maximum(j, 1, out=j)
    np.minimum(j, last, out=j)
    t0, t1 = t[j - 1], t[j]
    w = (g - t0) / np.maximum(t1 - t0, 1e-9)
    np.maximum(w, 0.0, out=w)
    np.minimum(w, 1.0, out=w)
    w = w[:, None]
    return rows[j - 1] * (1 - w) + rows[j] * w


_LERP_COLS = [ALONG, X, Y, EXT, SIZE]


def window_features(hist: np.ndarray, t_now: float, p: ClassifierParams) -> HandWindow:
    """Classify one hand from its history rows (tracks.py columns) up to t_now."""
    if len(hist) < 4:
        return HandWindow("absent", 0.0)
    t = hist[:, T]
    first = int(t.searchsorted(t_now - p.window_s))
    if len(t) - first < 4:
        return HandWindow("absent", 0.0)
    g, coverage = _grid(t[first:], t_now, p.window_s, p.rate_hz)
    if coverage < p.min_coverage:
        return HandWindow("absent", coverage)
    unit = _median(hist[:, SIZE])
    if unit <= 0:
        return HandWindow("absent", 0.0)
    # Travel along the spine over the longer window; one interpolation for both grids.
    g_long, _ = _grid(t, t_now, p.travel_window_s, p.rate_hz)
    n_long = len(g_long)
    both = _lerp(t, hist[:, _LERP_COLS], np.concatenate((g_long, g)))
    along = both[:n_long, 0]
    travel = float(along.max() - along.min())

    cols = both[n_long:, 1:]
    xs = cols[:, 0] / unit
    ys = cols[:, 1] / unit
    ext = cols[:, 2]
    lsz = np.log(cols[:, 3] / unit)
    m = len(g)
    dur = m / p.rate_hz
    lag = max(1, int(0.2 * p.rate_hz))
    speed = float(_median(np.hypot(xs[lag:] - xs[:-lag], ys[lag:] - ys[:-lag])) * p.rate_hz / lag) if m > lag else 0.0

    # Oscillation: remove the linear trend, then look at the spectrum of what is left.
    k, kk, win, scale, band, band_freqs, any_band = _spectral(m, p)
    sig = np.empty((4, m))
    sig[0], sig[1], sig[2], sig[3] = xs, ys, ext, lsz
    sig -= sig.sum(axis=1, keepdims=True) / m
    sig = sig - np.outer(sig @ k / kk, k)
    spec = (np.abs(np.fft.rfft(sig * win, axis=1)) ** 2).sum(axis=0) * scale
    total = spec[1:].sum() + 1e-12
    tap_pow = float(spec[band].sum())
    tap_amp = float(np.sqrt(tap_pow))
    if any_band:
        b = spec[band]
        j = int(np.argmax(b))
        tap_hz = float(band_freqs[j])
        tap_peak = float(b[max(j - 1, 0):j + 2].sum() / (b.sum() + 1e-12))
    else:
        tap_hz = tap_peak = 0.0

    # Circles: signed area swept by the detrended palm path, in turns of its mean radius.
    r = sig[:2]
    area = 0.5 * float(np.sum(r[0, :-1] * r[1, 1:] - r[1, :-1] * r[0, 1:]))
    rms2 = float((r * r).sum(axis=0).mean()) + 1e-12
    turns = abs(area) / (np.pi * rms2)
    radius = float(np.sqrt(rms2))

    w = HandWindow("other", coverage, speed, tap_amp, tap_hz, tap_pow / total, tap_peak, turns, radius,
                   turns / dur, travel)
    if tap_amp >= p.tap_min_amp and w.tap_share >= p.tap_dominance and tap_peak >= p.tap_peakiness:
        w.label, w.score = "tapotement", w.tap_share
    elif (w.knead_hz >= p.circle_min_turns_per_s and p.circle_min_radius <= radius <= p.circle_max_radius
          and travel < 1.5 * p.glide_min_travel):
        w.label, w.score = "petrissage", min(turns, 2.0)
    elif travel >= p.glide_min_travel and speed > p.still_max_speed:  # long travel, still moving now
        w.label, w.score = "effleurage", travel
    elif speed <= p.still_max_speed:
        w.label, w.score = "idle", 1.0
    return w


# When the two hands disagree, the more specific evidence wins.
_PRIORITY = {"tapotement": 4, "petrissage": 3, "effleurage": 2, "other": 1, "idle": 0, "absent": -1}


def combine(windows: list[HandWindow]) -> str:
    """One label for the frame from both hands' windows."""
    present = [w for w in windows if w.label != "absent"]
    if not present:
        return "idle"
    active = [w for w in present if w.label != "idle"]
    if not active:
        return "idle"
    if len(active) == 2 and active[0].label != active[1].label:
        # One hand resting, one working is the working hand's technique; two different
        # techniques: the more specific, unless the other is clearly not moving in kind.
        return max(active, key=lambda w: (_PRIORITY[w.label], w.score)).label
    return active[0].label
