"""How fluid the massage was, in four plain measures, each against a stated reference.

The guide: "Try to keep one hand on the person at all times", "keep your hands moving on fluid
motions without stopping and starting", effleurage in "long, even strokes".

- Contact breaks: stretches with no hand seen for longer than guide.CONTACT_GAP_S.
- Smoothness of glides: spectral arc length (SPARC; Balasubramanian, Melendez-Calderon, Roby-Brami
  & Burdet 2015, "On the analysis of movement smoothness", J NeuroEng Rehabil 12:112). Computed
  here from its definition; a minimum-jerk glide (the smoothest point-to-point movement) scores
  -1.40 whatever its amplitude or duration (the paper's figures are near -1.4 to -1.6 depending on
  the profile and padding), and stops and restarts make it more negative (-1.9 for a glide that
  slows to a fifth of its speed midway, -3.0 for one that stops and starts again).
- Evenness of effleurage: coefficient of variation (CV = standard deviation / mean) of the
  pressing glides' length and duration.
- Rhythm of kneading and tapping: CV of the cycle periods inside each bout.

Numpy only; fed by a HandTrace (coverage.py) and the SessionReport.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import guide

SPARC_PAD = 4          # zero padding: FFT length is 2**(ceil(log2 n) + 4)
SPARC_FC_HZ = 10.0     # highest frequency considered (human movement lies below it)
SPARC_AMP_TH = 0.05    # adaptive cut-off: the last frequency where the normalised spectrum is >= this
SPARC_MIN_JERK = -1.40  # a minimum-jerk glide (checked in tests at several amplitudes and durations)
SPARC_SMOOTH = -1.70    # our line, not a published norm: between a minimum-jerk glide (-1.40) and one
                        # that slows to a fifth of its speed midway (-1.94; see tests)
RESAMPLE_HZ = 30.0
EVEN_CV = 0.25         # our line: glides within about a quarter of each other read as "even"
STEADY_CV = 0.2        # our line: cycle periods varying less than this read as a steady rhythm


def sparc(speed: np.ndarray, fs: float, pad: int = SPARC_PAD, fc: float = SPARC_FC_HZ,
          amp_th: float = SPARC_AMP_TH) -> float:
    """Spectral arc length of a speed profile sampled at fs Hz (more negative: less smooth).

    The magnitude spectrum of the zero-padded speed profile, normalised to its peak, is cut at
    the last frequency (<= fc) where it is still >= amp_th; the arc length of that curve, with
    frequency normalised to the cut-off, is returned negated."""
    v = np.asarray(speed, float)
    if v.ndim != 1 or len(v) < 4 or not np.all(np.isfinite(v)) or fs <= 0:
        raise ValueError("sparc wants a finite 1-D speed profile of at least 4 samples")
    if np.max(np.abs(v)) == 0:
        raise ValueError("sparc of a profile that never moves is undefined")
    nfft = int(2 ** (np.ceil(np.log2(len(v))) + pad))
    f = np.arange(nfft) * fs / nfft
    mag = np.abs(np.fft.fft(v, nfft))
    mag = mag / mag.max()
    keep = f <= fc
    f, mag = f[keep], mag[keep]
    above = np.flatnonzero(mag >= amp_th)
    f, mag = f[: above[-1] + 1], mag[: above[-1] + 1]
    if len(f) < 2:
        return 0.0
    df = np.diff(f) / (f[-1] - f[0])
    return -float(np.sum(np.sqrt(df ** 2 + np.diff(mag) ** 2)))


def min_jerk_speed(n: int) -> np.ndarray:
    """Speed profile of a minimum-jerk movement over n samples (Flash & Hogan 1985), peak 1."""
    tau = np.linspace(0.0, 1.0, n)
    v = 30 * tau ** 2 * (1 - tau) ** 2
    return v / v.max()


def cv(xs) -> float | None:
    xs = np.asarray([x for x in xs if x is not None and np.isfinite(x)], float)
    if len(xs) < 2 or xs.mean() <= 0:
        return None
    return float(xs.std(ddof=1) / xs.mean())


def contact_breaks(t: np.ndarray, xy: np.ndarray, gap_s: float = guide.CONTACT_GAP_S) -> list[tuple[float, float]]:
    """(start, end) of each run of frames with no hand seen lasting more than gap_s, after the
    first hand was seen (a session starting before the hands arrive is not a break). A run lasts
    from its first frame to the end of its last one, each frame standing for its time capped as in
    the report, so frames dropped by a busy computer are not taken for a hand lifted off."""
    from .report import frame_durations

    t = np.asarray(t, float)
    if not len(t):
        return []
    seen = np.isfinite(xy).all(axis=2).any(axis=1)
    if not seen.any():
        return []
    dur = frame_durations(t)
    first = int(np.flatnonzero(seen)[0])
    unseen = ~seen
    unseen[:first] = False
    d = np.diff(np.r_[0, unseen.astype(np.int8), 0])
    out = []
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        end = float(t[b - 1] + dur[b - 1])
        if end - t[a] > gap_s:
            out.append((float(t[a]), end))
    return out


def _uniform(t: np.ndarray, pos: np.ndarray, fs: float) -> np.ndarray | None:
    """Positions (n, 2) resampled at fs over the frames that have them (short gaps bridged)."""
    ok = np.isfinite(pos).all(axis=1)
    if ok.sum() < 4:
        return None
    tt, pp = t[ok], pos[ok]
    grid = np.arange(tt[0], tt[-1] + 1e-9, 1.0 / fs)
    if len(grid) < 4:
        return None
    return np.stack([np.interp(grid, tt, pp[:, k]) for k in range(2)], axis=1)


def glide_speed(t: np.ndarray, xy: np.ndarray, start: float, end: float, slot: int,
                fs: float = RESAMPLE_HZ) -> np.ndarray | None:
    """Speed (spine lengths per second) of one hand over [start, end], lightly smoothed: the
    landmark jitter of a tracked palm (about 1% of the spine a frame) would otherwise read as
    tremor. A 5-sample moving average at 30 Hz keeps everything below about 3 Hz."""
    sel = (t >= start) & (t <= end)
    if slot not in (0, 1) or sel.sum() < 4:
        return None
    pos = _uniform(t[sel], xy[sel, slot], fs)
    if pos is None:
        return None
    k = np.ones(5) / 5
    pos = np.stack([np.convolve(np.pad(pos[:, i], 2, mode="edge"), k, "valid") for i in range(2)], axis=1)
    v = np.hypot(*np.diff(pos, axis=0).T) * fs
    return v if len(v) >= 4 and v.max() > 0 else None


def cycle_periods(t: np.ndarray, xy: np.ndarray, start: float, end: float, slot: int,
                  fs: float = RESAMPLE_HZ) -> np.ndarray:
    """Periods (s) of a repeated movement: times between upward crossings of the mean of the
    hand's dominant coordinate (along or across, whichever moves more)."""
    sel = (t >= start) & (t <= end)
    pos = _uniform(t[sel], xy[sel, slot], fs) if slot in (0, 1) and sel.sum() >= 4 else None
    if pos is None:
        return np.zeros(0)
    # Remove the slow drift over the back (a 1 s moving mean): only the cycles stay.
    w = int(fs)
    if len(pos) <= w:
        return np.zeros(0)
    k = np.ones(w) / w
    x = pos - np.stack([np.convolve(np.pad(pos[:, i], (w // 2, w - 1 - w // 2), mode="edge"), k, "valid")
                        for i in range(2)], axis=1)
    x = x[:, int(np.argmax(x.std(axis=0)))]
    up = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
    return np.diff(up) / fs


@dataclass(frozen=True)
class Measure:
    name: str
    value: float | None
    text: str          # the figure in words
    reference: str     # what it is compared with, and where that comes from
    good: bool | None  # None: not enough to judge

    def to_dict(self) -> dict:
        return {"name": self.name, "value": None if self.value is None else round(self.value, 3),
                "text": self.text, "reference": self.reference, "good": self.good}


def measures(report, t: np.ndarray, xy: np.ndarray) -> list[Measure]:
    """The four flow measures of a session. t, xy: a HandTrace's arrays (same frames as the report)."""
    t = np.asarray(t, float)
    out = []
    breaks = contact_breaks(t, xy)
    n = len(breaks)
    out.append(Measure(
        "Contact", float(n),
        "No break: a hand was on the back all the time it was seen." if n == 0 else
        f"{n} break{'s' * (n != 1)} with no hand on the back for more than {guide.CONTACT_GAP_S:g} s.",
        "The guide: “keep one hand on the person at all times”. Reference: 0 breaks.",
        n == 0 if np.isfinite(xy).any() else None))

    pressing = [s for s in report.strokes if s.type == "effleurage" and s.phase == "stroke"]
    scores = []
    for s in pressing:
        v = glide_speed(t, xy, s.start, s.end, s.slot)
        if v is not None and len(v) >= 8:
            scores.append(sparc(v, RESAMPLE_HZ))
    if scores:
        med = float(np.median(scores))
        out.append(Measure(
            "Smoothness of glides", med,
            f"SPARC {med:.1f} (median of {len(scores)} glide{'s' * (len(scores) != 1)}; closer to zero is smoother).",
            f"A perfectly smooth glide (minimum jerk) scores {SPARC_MIN_JERK:.1f}; slowing almost to a stop midway "
            f"brings it to about -1.9, a stop and restart to -3. Above {SPARC_SMOOTH:.1f} reads as fluid (our line).",
            med >= SPARC_SMOOTH))
    else:
        out.append(Measure("Smoothness of glides", None, "No pressing glide long enough to measure.",
                           "Spectral arc length (SPARC) of each glide's speed.", None))

    c_len, c_dur = cv([s.length for s in pressing]), cv([s.duration for s in pressing])
    if c_len is not None and c_dur is not None:
        worst = max(c_len, c_dur)
        out.append(Measure(
            "Even glides", worst,
            f"Glide length varies by {c_len:.0%} and glide time by {c_dur:.0%} (coefficient of variation).",
            f"The guide asks for “long, even strokes”. Under {EVEN_CV:.0%} reads as even (our line).",
            worst < EVEN_CV))
    else:
        out.append(Measure("Even glides", None, "Fewer than 2 pressing glides: nothing to compare.",
                           "Coefficient of variation of glide length and time.", None))

    for name, what in (("petrissage", "kneading circles"), ("tapotement", "taps")):
        periods = []
        for s in report.strokes:
            if s.type != name:
                continue
            for slot in (0, 1):
                p = cycle_periods(t, xy, s.start, s.end, slot)
                if len(p) >= 3:
                    periods.append(cv(p))
        periods = [p for p in periods if p is not None]
        if periods:
            val = float(np.median(periods))
            out.append(Measure(
                f"Rhythm of {name}", val,
                f"The time between {what} varies by {val:.0%} (median over {len(periods)} hand-bout"
                f"{'s' * (len(periods) != 1)}).",
                f"Steady, unhurried repetition; under {STEADY_CV:.0%} reads as steady (our line: the camera's "
                "frame timing alone adds about 5-10%).", val < STEADY_CV))
    return out
