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

from .tracks import ACROSS, ALONG, AXC, AXL, EXT, SIZE, THX, THY, TIPX, TIPY, T, X, Y


@dataclass(frozen=True)
class ClassifierParams:
    """Explicit, physically meaningful thresholds (tuned on the simulator's tuning split only)."""

    window_s: float = 1.6           # oscillation and circles
    travel_window_s: float = 2.6    # long strokes need a longer look
    rate_hz: float = 30.0           # resampling rate of the windows
    min_coverage: float = 0.45      # of the window in which the hand must be seen
    tap_min_hz: float = 1.8         # tapping is 2-12 Hz (the window's bins are 0.6 Hz wide)
    tap_max_hz: float = 12.0
    tap_min_amp: float = 0.09       # palm sizes, RMS in the tap band
    tap_small_amp: float = 0.045    # smaller taps (lifts of 1 cm) count when they are very regular:
    tap_small_peak: float = 0.7     # this share of the band in its strongest peak
    tap_strong_amp: float = 0.15
    tap_strong_share: float = 0.6
    tap_regular_peak: float = 0.75
    tap_travel_share: float = 0.3
    tap_dominance: float = 0.5      # tap-band share of all oscillation power
    tap_peakiness: float = 0.45     # share of the tap band in its strongest peak (taps are regular)
    tap_long_peak: float = 0.45     # ... over the travel window (bins of 0.38 Hz), at the same rate
    tap_long_hz: float = 0.7        # (within about one short-window bin), and above 4 Hz: a
    tap_long_min_hz: float = 4.0    # tracker's wander is slow, so a regular peak below is not told from it
    tap_max_circ: float = 0.55      # a palm going round below 2.5 Hz is kneading, not tapping
    plausible_tap_hz: float = 12.0  # fastest tapping people do: below twice this frame rate,
    alias_share: float = 0.35       # this much tap-band power is not called anything else
    tap_alias_amp: float = 0.1      # ... and this much, dominating the motion, is tapping
    tap_alias_share: float = 0.7
    alias_lift_share: float = 0.7   # ... and this share of the motion in size, reach and fingertips
    alias_lift_amp: float = 0.2     # with this much tap-band energy, is not called anything else
    fan_max_pointing: float = -0.5  # fingers toward the feet (from the head of the table)
    fan_max_drift: float = -0.02    # spine lengths / s: creeping down the back ("push gently"),
    fan_min_drift: float = -0.25    # not a glide down
    fan_max_speed: float = 2.2      # palm sizes / s: not a glide
    fan_max_across: float = 0.25    # spine lengths: thumbs either side of the spine, palms beside it
    fan_max_along: float = 0.3      # share of the motion along the spine: hands spreading across
    lift_min_wiggle: float = 0.16   # rad RMS: the windshield-wiper swing of the heading
    lift_max_circ: float = 0.45
    lift_max_along: float = 0.5     # share of the palm's motion along the spine (glides run along)
    lift_max_travel: float = 0.45   # spine lengths in the travel window: lifting works its way
                                    # slowly; the turn at the end of a long glide swings the hand too
    twist_max_corr: float = -0.45   # across velocities of the two hands: opposite directions
    twist_min_range: float = 0.14   # spine lengths each hand travels across the back
    twist_max_near: float = 0.08    # spine lengths: each hand reaches the spine
    twist_min_radius: float = 0.3   # palm sizes each palm swings about its path, at the least
    alt_max_corr: float = -0.5     # the two hands alternate: their distances from the spine
    alt_max_head: float = -0.3     # (and side-mirrored headings) move in opposite phase
    alt_lift_max_along: float = 0.6  # lifting rocks across the back; alternating glides run along it
    alt_glide_min_along: float = 0.7
    alt_strong: float = -0.8       # both correlations this clear: alternation whatever the path
    wiper_min_wiggle: float = 0.2   # rad RMS each hand's heading swings, and the swings in clear
    wiper_max_head: float = -0.6    # opposite phase: lifting, whatever loops a palm draws
    circle_min_turns_per_s: float = 0.3
    knead_max_hz: float = 2.2       # kneading circles 0.4-2 Hz (one spectral bin of slack)
    circle_min_radius: float = 0.15  # palm sizes
    circle_max_radius: float = 2.2
    small_circle_radius: float = 0.06  # thumb or fingertip circles move the palm only a little:
    small_circle_turns: float = 1.2    # then a round, coherent path of more turns than jitter makes
    small_circle_circ: float = 0.6
    thumb_min_turns: float = 0.8     # thumb kneading: the thumb tip loops about the palm (its own
    thumb_min_radius: float = 0.06   # circles, palm sizes), rounder than a flick,
    thumb_min_circ: float = 0.35
    thumb_palm_ratio: float = 2.0    # while the palm stays where it is: it moves less than the
    thumb_max_speed: float = 0.8     # thumb, in no circle of its own, slowly (palm sizes / s)
    loop_min_along: float = 0.7
    loop_max_circ: float = 0.5
    glide_min_travel: float = 0.33  # spine lengths along the spine within travel_window_s
    glide_max_still: float = 0.35   # share of travel_window_s held still (a reach and a hold)
    still_max_speed: float = 0.35   # palm sizes per second, over 0.2 s steps (jitter-proof)
    # A hand still for most of the window whose "circle" is too slow for its size is a rest and
    # a move at one end of it (the hand setting off or arriving), not kneading: a steady circle of
    # radius r turning f times a second moves the palm at about 2*pi*r*f; this share of that at least.
    rest_min_circle_speed: float = 0.35


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
    fps: float = 30.0            # frames per second the hand was seen at in the window
    pointing: float = 0.0        # mean finger direction along the spine (+1 head, -1 feet)
    wiggle: float = 0.0          # rad, RMS swing of the hand's heading about its trend
    drift: float = 0.0           # spine lengths per second along the spine (signed, + toward the head)
    tap_circ: float = 0.0        # circularity of the palm path (0 back-and-forth .. 1 round)
    along: float = float("nan")  # spine lengths from the sacrum, the window's middle (for passes)
    along_share: float = 0.0     # share of the palm's motion that runs along the spine (glides)
    across: float = 0.0          # spine lengths from the spine (mean, signed: + person's right)
    along_share_long: float = 0.0  # the same over the travel window
    still_share: float = 0.0       # share of the travel window the palm holds still
    lift_share: float = 0.0        # share of the motion (above 1 Hz) in size, reach and fingertips
    tap_peak_long: float = 0.0     # tap_peak over the travel window
    tap_hz_long: float = 0.0
    thumb_turns: float = 0.0       # loops of the thumb tip about the palm centre in the window
    thumb_radius: float = 0.0      # palm sizes, RMS of the thumb tip's path about the palm
    thumb_circ: float = 0.0        # roundness of that path (0 back and forth .. 1 round)
    fallback: str = "other"      # the label without the fanning rule (one hand alone is not fanning)


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


def _has_gaps(t: np.ndarray) -> bool:
    """Many frames missing inside the window (a loaded stream drops them at random): at least
    MISSING_SHARE of the frames the stream's usual interval would have brought. A detection
    missed now and then costs little when interpolated over; a third of the frames missing
    smooths away the tap band."""
    d = np.diff(t)
    if len(d) < 3:
        return False
    return _gaps(t, d, _median(d))


def _gaps(t: np.ndarray, d: np.ndarray, md: float) -> bool:
    """_has_gaps with the intervals `d` and their median `md` already at hand (len(d) >= 3)."""
    expected = (t[-1] - t[0]) / max(md, 1e-6)
    return float(d.max()) > 1.5 * md and 1 - len(d) / max(expected, 1.0) >= MISSING_SHARE


MISSING_SHARE = 0.1
FALSE_SIZE = 2.0  # see window_features


_HANN: dict[int, tuple] = {}


def _hann_entry(m: int) -> tuple:
    c = _HANN.get(m)
    if c is None:
        win = np.hanning(m)
        c = _HANN[m] = (win, float(win.sum()), {})
    return c


def _hann(m: int) -> np.ndarray:
    return _hann_entry(m)[0]


def _hann_sum(m: int) -> float:
    return _hann_entry(m)[1]


def _rfftfreq(m: int, rate: float) -> np.ndarray:
    cache = _hann_entry(m)[2]
    f = cache.get(rate)
    if f is None:
        f = cache[rate] = np.fft.rfftfreq(m, 1 / rate)
    return f


def _uneven_spectrum(spec_ch: np.ndarray, raw: np.ndarray, detrended: np.ndarray, t: np.ndarray,
                     rows: np.ndarray, g: np.ndarray, unit: float, p: "ClassifierParams") -> None:
    """Replace the tap band and above of `spec_ch` (the resampled window's power per channel)
    by the power measured at the samples' own times. The slow motion below the tap band is
    well resampled; it is taken from the grid and subtracted first, because unevenly timed
    samples spread a strong slow motion's power over every frequency. Each sample is weighted
    by the time it stands for and tapered at its own time; frequencies above half the
    samples' usual rate are not measured (they would only be images of lower ones)."""
    m = len(g)
    half = 0.5 / p.rate_hz
    inside = (t >= g[0] - half) & (t <= g[-1] + half)
    ts, r = t[inside], rows[inside]
    freqs = _rfftfreq(m, p.rate_hz)
    # The tap band, where the samples' usual rate measures it well (below 0.8 of half of it).
    high = (freqs >= p.tap_min_hz) & (freqs <= min(p.tap_max_hz, 0.4 / _median(np.diff(ts)) if len(ts) > 1 else 0))
    if len(ts) < 4 or not high.any():
        return
    f = np.fft.rfft(detrended, axis=1)
    f[:, high] = 0
    slow = raw - detrended + np.fft.irfft(f, m, axis=1)  # trend + the motion below the tap band
    sig = np.empty((6, len(ts)))
    sig[0], sig[1] = r[:, X] / unit, r[:, Y] / unit
    sig[2], sig[3] = r[:, EXT], np.log(np.maximum(r[:, SIZE], 1e-9) / unit)
    sig[4], sig[5] = r[:, TIPX], r[:, TIPY]
    for c in range(6):
        sig[c] -= np.interp(ts, g, slow[c])
    edges = np.concatenate(([g[0] - half], (ts[1:] + ts[:-1]) / 2, [g[-1] + half]))
    w = np.diff(edges) * p.rate_hz  # samples' worth of time each stands for (1 when none is missing)
    u = (ts - (g[0] - half)) / (m / p.rate_hz)
    taper = 0.5 - 0.5 * np.cos(2 * np.pi * np.clip(u, 0.0, 1.0))
    taper *= _hann_sum(m) / max(float((taper * w).sum()), 1e-12)  # the grid's taper sum
    fh = freqs[high]
    phase = np.exp(-2j * np.pi * np.outer(ts - g[0], fh))
    ww = w * taper
    # Unevenly timed samples also spread a strong tap's own power over the band (and so blunt
    # its peak): take each channel's strongest tones out by a least-squares fit at the samples,
    # and count them as an evenly sampled window would see them (two rounds of CLEAN).
    # All six channels at once: each one's 2x2 normal equations solved in closed form (the same
    # least squares as np.linalg.solve one channel at a time, to rounding), one rfft per round.
    out = np.zeros((6, len(fh)), complex)
    win = _hann(m)
    gk = g - g[0]
    dt = ts - g[0]
    for _ in range(2):
        spec = (sig * ww) @ phase
        f0 = 2 * np.pi * fh[np.argmax(np.abs(spec), axis=1)]
        arg = f0[:, None] * dt
        cs, sn = np.cos(arg), np.sin(arg)
        cw, sw = cs * ww, sn * ww
        g11 = np.einsum("ij,ij->i", cw, cs) + 1e-9
        g12 = np.einsum("ij,ij->i", cw, sn)
        g22 = np.einsum("ij,ij->i", sw, sn) + 1e-9
        r1 = np.einsum("ij,ij->i", cw, sig)
        r2 = np.einsum("ij,ij->i", sw, sig)
        det = g11 * g22 - g12 * g12
        a = (g22 * r1 - g12 * r2) / det
        b = (g11 * r2 - g12 * r1) / det
        sig -= a[:, None] * cs + b[:, None] * sn
        argg = f0[:, None] * gk
        out += np.fft.rfft((a[:, None] * np.cos(argg) + b[:, None] * np.sin(argg)) * win, axis=1)[:, high]
    spec_ch[:, high] = np.abs(out + (sig * ww) @ phase) ** 2


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


_LERP_COLS = [ALONG, X, Y, EXT, SIZE, TIPX, TIPY, AXL, AXC, ACROSS, THX, THY]


def window_features(hist: np.ndarray, t_now: float, p: ClassifierParams,
                    frame_rate: float | None = None) -> HandWindow:
    """Classify one hand from its history rows (tracks.py columns) up to t_now. `frame_rate`:
    the stream's (frames per second); without it, the rate this hand's samples came at."""
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
    # A palm does not grow or shrink twofold against its own median within a few seconds at
    # the same place on the back: such a sample is a false detection (a fleeting tiny "hand"),
    # and one of them reads as a burst of tapping. Leave it out.
    sane = (hist[:, SIZE] >= unit / FALSE_SIZE) & (hist[:, SIZE] <= unit * FALSE_SIZE)
    if not sane.all():
        hist = hist[sane]
        t = hist[:, T]
        first = int(t.searchsorted(t_now - p.window_s))
        if len(t) - first < 4:
            return HandWindow("absent", 0.0)
    # Travel along the spine over the longer window; one interpolation for both grids.
    g_long, _ = _grid(t, t_now, p.travel_window_s, p.rate_hz)
    n_long = len(g_long)
    both = _lerp(t, hist[:, _LERP_COLS], np.concatenate((g_long, g)))
    along = both[:n_long, 0]
    travel = float(along.max() - along.min())
    # Share of the motion along the spine over the long window too: a glide's turn at the top
    # and its way back out are a short stretch of across motion, the rest of the cycle runs along.
    acr = both[:n_long, 9]
    lg = max(1, int(0.2 * p.rate_hz))
    dal_l, dac_l = along[lg:] - along[:-lg], acr[lg:] - acr[:-lg]
    va_l, vc_l = float(dal_l @ dal_l), float(dac_l @ dac_l)
    # Share of the long window the palm holds still: effleurage keeps moving ("fluid motion"),
    # a move to a new place is one reach and a hold.
    xl, yl = both[:n_long, 1], both[:n_long, 2]
    sp_l = np.hypot(xl[lg:] - xl[:-lg], yl[lg:] - yl[:-lg]) * (p.rate_hz / lg / unit)
    still_share = float((sp_l <= p.still_max_speed).mean()) if len(sp_l) else 1.0

    # Drift along the spine: least-squares slope over the long window (fanning creeps down).
    kl = g_long - g_long.mean()
    drift = float(kl @ (along - along.mean()) / (kl @ kl + 1e-12)) if n_long > 2 else 0.0

    cols = both[n_long:, 1:]
    xs = cols[:, 0] / unit
    ys = cols[:, 1] / unit
    ext = cols[:, 2]
    lsz = np.log(cols[:, 3] / unit)
    m = len(g)
    dur = m / p.rate_hz
    lag = max(1, int(0.2 * p.rate_hz))
    speed = float(_median(np.hypot(xs[lag:] - xs[:-lag], ys[lag:] - ys[:-lag])) * p.rate_hz / lag) if m > lag else 0.0

    # Oscillation: remove the linear trend, then look at the spectrum of what is left. Several
    # cues of a tap, all scale-free: the palm's image position, its apparent size (the hand
    # nearing the camera), the fingers' reach and the fingertips' flick about the palm.
    k, kk, win, scale, band, band_freqs, any_band = _spectral(m, p)
    sig = np.empty((6, m))
    sig[0], sig[1], sig[2], sig[3], sig[4], sig[5] = xs, ys, ext, lsz, cols[:, 4], cols[:, 5]
    # Only where the stream's own rate measures the whole tap band (at least twice the fastest
    # tapping): below that, the aliasing rules judge the band, on the resampled window.
    # The intervals between this window's samples and their median, once (at least 3: see above).
    d_win = np.diff(t[first:])
    md_win = _median(d_win)
    gaps = _gaps(t[first:], d_win, md_win) and 1.0 / max(md_win, 1e-6) >= 2 * p.plausible_tap_hz
    raw = sig.copy() if gaps else None
    sig -= sig.sum(axis=1, keepdims=True) / m
    sig = sig - np.outer(sig @ k / kk, k)
    spec_ch = np.abs(np.fft.rfft(sig * win, axis=1)) ** 2
    if gaps:
        # Frames missing (a loaded stream drops them): interpolating across a gap smooths away
        # the very tap band we look for, so that band comes from the samples themselves.
        _uneven_spectrum(spec_ch, raw, sig, t[first:], hist[first:], g, unit, p)
    spec = spec_ch.sum(axis=0) * scale
    # Where the oscillation is: a tap brings the hand toward the camera and flicks the fingers
    # (size, reach, fingertips about the palm); a kneading circle moves the palm over the back.
    # Holds at any frame rate: folding moves a frequency, not the channel it is in.
    moving = spec_ch[:, 2:].sum(axis=1)
    lift_share = float(moving[2:].sum() / (moving.sum() + 1e-12))
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
    # The same band over the longer window: a tap repeats at one rate for seconds, so its peak
    # stands out more over a longer look while noise spreads over more bins (small or smoothed
    # taps, near the noise in the short window, are regular in the long one).
    tap_peak_long = tap_hz_long = 0.0
    if n_long >= m + 8:
        kl_, kkl, winl, _, bandl, freqsl, anyl = _spectral(n_long, p)
        if anyl:
            ll = both[:n_long, 1:7].T.copy()
            ll[0] /= unit
            ll[1] /= unit
            ll[3] = np.log(np.maximum(ll[3], 1e-9) / unit)
            ll -= ll.sum(axis=1, keepdims=True) / n_long
            ll -= np.outer(ll @ kl_ / kkl, kl_)
            bl = (np.abs(np.fft.rfft(ll * winl, axis=1)) ** 2).sum(axis=0)[bandl]
            jl = int(np.argmax(bl))
            tap_hz_long = float(freqsl[jl])
            tap_peak_long = float(bl[max(jl - 1, 0):jl + 2].sum() / (bl.sum() + 1e-12))

    # Circles: signed area swept by the detrended palm path, in turns of its mean radius.
    r = sig[:2]
    area = 0.5 * float(np.sum(r[0, :-1] * r[1, 1:] - r[1, :-1] * r[0, 1:]))
    cxx, cyy, cxy = float(r[0] @ r[0]), float(r[1] @ r[1]), float(r[0] @ r[1])
    rms2 = (cxx + cyy) / m + 1e-12
    turns = abs(area) / (np.pi * rms2)
    radius = float(np.sqrt(rms2))
    # Path shape: minor over major axis of the palm's scatter (0 back and forth, 1 round).
    tr, det = cxx + cyy, cxx * cyy - cxy * cxy
    disc = np.sqrt(max(tr * tr / 4 - det, 0.0))
    circ = float(np.sqrt(max(tr / 2 - disc, 0.0) / max(tr / 2 + disc, 1e-12)))

    # Heading: where the fingers point; its swing about the trend (windshield wipers).
    # Angles from the window's mean heading (no unwrapping needed: a swing is well under 180°).
    axl, axc = cols[:, 6], cols[:, 7]
    ml, mc = float(axl.sum()), float(axc.sum())
    ang = np.arctan2(ml * axc - mc * axl, ml * axl + mc * axc)
    ang = ang - ang.sum() / m
    ang = ang - (ang @ k / kk) * k
    wiggle = float(np.sqrt(ang @ ang / m))
    # The camera's frame rate: the stream's, or the median interval between this hand's samples
    # (missed detections now and then do not read as a slower camera).
    fps = frame_rate or 1.0 / max(md_win, 1e-6)
    # Which way the palm moves: along the spine (glides) or across it (wipers, twists).
    al, ac = both[n_long:, 0], cols[:, 8]
    dal, dac = al[lag:] - al[:-lag], ac[lag:] - ac[:-lag]
    va, vc = float(dal @ dal), float(dac @ dac)

    w = HandWindow("other", coverage, speed, tap_amp, tap_hz, tap_pow / total, tap_peak, turns, radius,
                   turns / dur, travel, 0.0, fps, ml / m, wiggle, drift, circ, float(al.sum()) / m,
                   va / (va + vc + 1e-12), float(ac.sum()) / m)
    w.along_share_long = va_l / (va_l + vc_l + 1e-12)
    w.still_share = still_share
    w.lift_share = lift_share
    w.tap_peak_long, w.tap_hz_long = tap_peak_long, tap_hz_long
    # The thumb tip about the palm centre (thumb kneading: small loops of the thumb, palm still).
    w.thumb_turns, w.thumb_radius, w.thumb_circ = _loops(cols[:, 9], cols[:, 10], k, kk)
    classify(w, p)
    return w


def _loops(x: np.ndarray, y: np.ndarray, k: np.ndarray, kk: float) -> tuple[float, float, float]:
    """Turns, RMS radius and roundness of a detrended 2-D path (see the palm's circles)."""
    m = len(x)
    x = x - x.sum() / m
    x = x - (x @ k / kk) * k
    y = y - y.sum() / m
    y = y - (y @ k / kk) * k
    area = 0.5 * float(x[:-1] @ y[1:] - y[:-1] @ x[1:])
    cxx, cyy, cxy = float(x @ x), float(y @ y), float(x @ y)
    rms2 = (cxx + cyy) / m + 1e-12
    tr, det = cxx + cyy, cxx * cyy - cxy * cxy
    disc = np.sqrt(max(tr * tr / 4 - det, 0.0))
    circ = float(np.sqrt(max(tr / 2 - disc, 0.0) / max(tr / 2 + disc, 1e-12)))
    return abs(area) / (np.pi * rms2), float(np.sqrt(rms2)), circ


def classify(w: HandWindow, p: ClassifierParams) -> None:
    """One hand's label from its features (sets w.label and w.score): small physical rules."""
    # Regular taps, small but very regular ones, or strong tap-band energy that dominates the
    # motion (near the Nyquist rate, uneven frame times smear the peak).
    steady = w.tap_share >= p.tap_dominance and (
        (w.tap_amp >= p.tap_min_amp and w.tap_peak >= p.tap_peakiness)
        or (w.tap_amp >= p.tap_small_amp and w.tap_peak >= p.tap_small_peak)
        or (w.tap_amp >= p.tap_strong_amp and w.tap_share >= p.tap_strong_share))
    # Strong, very regular taps while the hand also travels over the back (the travel takes
    # the larger share of the motion).
    steady = steady or (w.tap_amp >= p.tap_strong_amp and w.tap_peak >= p.tap_regular_peak
                        and w.tap_share >= p.tap_travel_share)
    # Below twice the tapping rate the peak cannot be sharp (few, unevenly timed samples a cycle):
    # then tap-band energy that dominates the motion is enough.
    steady = steady or (w.fps < 2 * p.plausible_tap_hz and w.tap_amp >= p.tap_alias_amp
                        and w.tap_share >= p.tap_alias_share)
    round_slow = w.tap_circ > p.tap_max_circ and w.tap_hz < 2.5 and w.turns > 0.5
    # A loop stretched along the spine is a glide up and its return down the outside, not a circle.
    loop = w.along_share >= p.loop_min_along and w.tap_circ < p.loop_max_circ
    circling = (w.knead_hz >= p.circle_min_turns_per_s and p.circle_min_radius <= w.radius <= p.circle_max_radius
                and w.travel < 1.5 * p.glide_min_travel and not loop)
    circling = circling or (p.small_circle_radius <= w.radius < p.circle_min_radius and w.turns >= p.small_circle_turns
                            and w.tap_circ >= p.small_circle_circ and w.travel < 1.5 * p.glide_min_travel)
    # Thumb kneading: the thumb tip loops about a palm that stays where it is.
    thumbing = (w.thumb_turns >= p.thumb_min_turns and w.thumb_radius >= p.thumb_min_radius
                and w.thumb_circ >= p.thumb_min_circ and w.thumb_radius >= p.thumb_palm_ratio * w.radius
                and w.radius < p.circle_min_radius and w.speed <= p.thumb_max_speed and w.travel < p.glide_min_travel)
    # Small or smoothed taps, near the noise in the short window: the same rate for the whole
    # longer window, most of the band in that one peak (noise spreads over the band), and no circles.
    steady = steady or (w.tap_peak_long >= p.tap_long_peak and abs(w.tap_hz_long - w.tap_hz) <= p.tap_long_hz
                        and w.tap_hz_long >= p.tap_long_min_hz and w.tap_amp >= p.tap_small_amp
                        and w.tap_share >= p.tap_dominance and not (circling or thumbing))
    tapping = steady and not round_slow
    # Rest: held still most of the window, and no circle steady enough to explain the motion.
    circling = circling and not (w.speed <= p.still_max_speed
                                 and w.speed < p.rest_min_circle_speed * 2 * np.pi * w.radius * w.knead_hz)
    # Guide step 14: from the head of the table (fingers toward the feet), thumbs either side of
    # the spine, working down toward the hips. combine() asks the two hands to be on either side.
    # Not a glide: slow, or the hands spreading outward ("fan your hands out"), the motion
    # mostly across the back while the hands creep down (a glide's motion runs along it).
    fanning = (w.pointing <= p.fan_max_pointing and p.fan_min_drift <= w.drift <= p.fan_max_drift
               and (w.speed <= p.fan_max_speed or w.along_share_long <= p.fan_max_along)
               and w.speed > p.still_max_speed and abs(w.across) <= p.fan_max_across)
    # The windshield-wiper swing of the heading, the palm rocking across rather than gliding along.
    lifting = (w.wiggle >= p.lift_min_wiggle and w.tap_circ <= p.lift_max_circ and w.speed > p.still_max_speed
               and max(w.along_share, w.along_share_long) <= p.lift_max_along and w.travel <= p.lift_max_travel)
    gliding = w.travel >= p.glide_min_travel and w.speed > p.still_max_speed and w.still_share <= p.glide_max_still
    if tapping:
        w.label, w.score = "tapotement", w.tap_share
    elif circling and not (lifting and w.turns < 0.6):
        w.label, w.score = "petrissage", min(w.turns, 2.0)
    elif thumbing and not lifting:
        w.label, w.score = "petrissage", min(w.thumb_turns, 2.0)
    elif lifting:
        w.label, w.score = "lifting", w.wiggle
    elif gliding:  # long travel, still moving now
        w.label, w.score = "effleurage", w.travel
    elif w.speed <= p.still_max_speed:
        w.label, w.score = "idle", 1.0
    w.fallback = w.label
    if fanning and not tapping:
        w.label, w.score = "fanning", -w.pointing
    # Aliasing: below twice the fastest tapping rate, a fast tap folds down to any frequency,
    # so strong tap-band energy that did not pass as tapping is not called anything else.
    if (w.label not in ("tapotement", "idle") and w.fps < 2 * p.plausible_tap_hz and not round_slow
            and w.tap_hz >= 2.5 and w.tap_share >= p.alias_share and w.tap_amp >= p.tap_min_amp):
        w.label, w.score = "unsure", 0.0
    # The same below twice the tapping rate when the motion is mostly the hand nearing the camera
    # and the fingers flicking, not the palm travelling: a folded tap lands at any tempo, even a
    # kneading one, so no kneading is claimed (a glide travels further than a tap moves).
    # Small taps from the wrist that dominate a moving hand's motion, likewise.
    if w.label in ("petrissage", "other") and w.fps < 2 * p.plausible_tap_hz and (
            (w.lift_share >= p.alias_lift_share and w.tap_amp >= p.alias_lift_amp)
            or (w.label == "other" and w.tap_share >= p.tap_dominance and w.tap_amp >= p.tap_small_amp)):
        w.label, w.score = "unsure", 0.0


@dataclass
class PairWindow:
    """Both hands over the window: do they move across the back in opposite directions?"""

    corr: float = 0.0      # correlation of the hands' across-the-back velocities
    span: float = 0.0      # the smaller of the two hands' across ranges, spine lengths
    near: float = 1.0      # the larger of the two hands' closest approach to the spine
    twist: bool = False
    # Alternation, mirror-proof: correlation of the velocities of the hands' distances from the
    # spine, and of their headings' swings taken with the side's sign (hands mirrored about the
    # spine give +1, hands in opposite phase -1; "keep alternating hands" in lifting).
    alt: float = 0.0
    alt_head: float = 0.0


def pair_features(h0: np.ndarray, h1: np.ndarray, t_now: float, p: ClassifierParams,
                  radius: tuple[float, float] = (np.inf, np.inf)) -> PairWindow:
    """Twists: 'pull one hand towards you as the other one pushes away; in the middle, they
    should slide against each other'. Velocity correlation holds even if the tracker swaps the
    two hands where they cross (each then bounces back: still opposite)."""
    if len(h0) < 4 or len(h1) < 4:
        return PairWindow()
    t0, t1 = h0[:, T], h1[:, T]
    g, _ = _grid(t0, t_now, p.window_s, p.rate_hz)
    lo, hi = max(t0[0], t1[0]), min(t0[-1], t1[-1])
    g = g[(g >= lo) & (g <= hi)]
    if len(g) < p.min_coverage * p.window_s * p.rate_hz:
        return PairWindow()
    r0 = _lerp(t0, h0[:, _PAIR_COLS], g)
    r1 = _lerp(t1, h1[:, _PAIR_COLS], g)
    a0, a1 = r0[:, 0], r1[:, 0]
    lag = max(1, int(0.1 * p.rate_hz))
    w = PairWindow(_corr(a0, a1, lag), float(min(np.ptp(a0), np.ptp(a1))),
                   float(max(np.abs(a0).min(), np.abs(a1).min())))
    w.twist = (w.corr <= p.twist_max_corr and w.span >= p.twist_min_range and w.near <= p.twist_max_near
               and min(radius) >= p.twist_min_radius
               # each hand crosses the spine ("they slide against each other" in the middle)
               and a0.min() < 0 < a0.max() and a1.min() < 0 < a1.max())
    s0, s1 = np.sign(a0.sum()) or 1.0, np.sign(a1.sum()) or 1.0
    w.alt = _corr(s0 * a0, s1 * a1, lag)
    w.alt_head = _detrended_corr(s0 * _heading_swing(r0), s1 * _heading_swing(r1))
    return w


_PAIR_COLS = [ACROSS, AXL, AXC]


def _corr(a: np.ndarray, b: np.ndarray, lag: int) -> float:
    """Correlation of two signals' velocities over `lag` samples."""
    va, vb = a[lag:] - a[:-lag], b[lag:] - b[:-lag]
    return float(va @ vb) / (float(np.sqrt((va @ va) * (vb @ vb))) + 1e-12)


def _heading_swing(r: np.ndarray) -> np.ndarray:
    """Heading angle about the window's mean heading (columns: across, axis along, axis across)."""
    ml, mc = float(r[:, 1].sum()), float(r[:, 2].sum())
    return np.arctan2(ml * r[:, 2] - mc * r[:, 1], ml * r[:, 1] + mc * r[:, 2])


def _detrended_corr(a: np.ndarray, b: np.ndarray) -> float:
    k = np.arange(len(a)) - (len(a) - 1) / 2
    kk = float(k @ k) + 1e-12
    a = a - a.mean()
    a = a - (a @ k / kk) * k
    b = b - b.mean()
    b = b - (b @ k / kk) * k
    return float(a @ b) / (float(np.sqrt((a @ a) * (b @ b))) + 1e-12)


# When the two hands disagree, the more specific evidence wins.
_PRIORITY = {"tapotement": 6, "fanning": 5, "lifting": 4, "petrissage": 3, "effleurage": 2, "unsure": 1.5,
             "other": 1, "idle": 0, "absent": -1}


# A pair one person does not do at once with two hands (both rock and knead in place), so one
# of the two readings is wrong and neither is more specific.
_TORN = ({"petrissage", "lifting"},)


_DEFAULT = ClassifierParams()
_ALTERNATING = {"lifting", "effleurage", "other"}


def combine(windows: list[HandWindow], pair: PairWindow | None = None, p: ClassifierParams | None = None) -> str:
    """One label for the frame from both hands' windows (and the pair's, for twists and for
    hands that alternate)."""
    if pair is not None and pair.twist:
        return "twist"
    present = [w for w in windows if w.label != "absent"]
    fans = [w for w in present if w.label == "fanning"]
    if fans and (len(present) == 1 or len(fans) == 2 and fans[0].across * fans[1].across < 0):
        return "fanning"  # one thumb each side of the spine (or only one hand seen)
    for w in fans:  # a lone hand pointing to the feet beside a hand doing something else
        w.label = w.fallback
    alt = _alternation(present, pair, p or ClassifierParams())
    if alt is not None:
        return alt
    if _wipers(present, pair, p or _DEFAULT):
        return "lifting"
    if not present:
        return "idle"
    active = [w for w in present if w.label != "idle"]
    if not active:
        return "idle"
    if len(active) == 2 and active[0].label != active[1].label:
        # One hand resting, one working is the working hand's technique. Two hands doing two
        # different techniques, each with its own evidence, is no confident answer: unsure.
        # Otherwise the more specific evidence wins.
        if {w.label for w in active} in _TORN:
            return "unsure"
        # Kneading runs at up to 2 Hz and tapping from 2 Hz: a "tap" at a kneading tempo beside a
        # hand going round is the same circles seen edge-on.
        # Unless a tap could have folded down to that tempo: at f frames per second a tap of up
        # to 12 Hz folds to no less than f - 12 Hz (one spectral bin of slack); then unsure.
        q = p or _DEFAULT
        labels = {w.label: w for w in active}
        tap = labels.get("tapotement")
        if set(labels) == {"petrissage", "tapotement"} and tap.tap_hz < q.knead_max_hz:
            folded = tap.fps < 2 * q.plausible_tap_hz and tap.tap_hz >= tap.fps - q.plausible_tap_hz - 0.6
            return "unsure" if folded else "petrissage"
        return max(active, key=lambda w: (_PRIORITY[w.label], w.score)).label
    return active[0].label


def _wipers(present: list[HandWindow], pair: PairWindow | None, p: ClassifierParams) -> bool:
    """Lifting is both hands at work in turn, "like windshield wipers": two hands whose headings
    swing clearly in opposite phase are lifting, whatever loops each hand's palm makes (a claw
    lift rocking across and up draws loops in the image, so one hand alone reads as kneading).
    Kneading circles the palm without swinging its heading."""
    if pair is None or len(present) != 2:
        return False
    labels = {w.label for w in present}
    if "petrissage" not in labels or not labels <= _ALTERNATING | {"petrissage"}:
        return False
    toward_feet = all(w.pointing <= p.fan_max_pointing for w in present)
    return (pair.alt_head <= p.wiper_max_head and not toward_feet
            and all(w.wiggle >= p.wiper_min_wiggle for w in present))


def _alternation(present: list[HandWindow], pair: PairWindow | None, p: ClassifierParams) -> str | None:
    """Two moving hands in opposite phase. Rocking across the back ("keep alternating hands in a
    windshield wiper movement") is lifting; running along it, one hand pressing up while the
    other comes back, is effleurage. Hands mirrored about the spine are neither: no answer."""
    if pair is None or len(present) != 2 or not all(w.label in _ALTERNATING for w in present):
        return None
    if pair.alt > p.alt_max_corr:
        return None
    # Fanning alternates too ("alternate your pressure on either thumb"), from the head of the
    # table: fingers toward the feet. Its own rule decides; alternation is no lifting there.
    toward_feet = all(w.pointing <= p.fan_max_pointing for w in present)
    rocking = all(w.along_share <= p.alt_lift_max_along for w in present) or (
        pair.alt <= p.alt_strong and pair.alt_head <= p.alt_strong)  # in clear opposite phase
    if pair.alt_head <= p.alt_max_head and rocking and not toward_feet:
        return "lifting"
    if all(w.along_share >= p.alt_glide_min_along and w.travel >= p.glide_min_travel for w in present):
        return "effleurage"
    return None
