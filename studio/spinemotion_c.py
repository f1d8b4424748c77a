"""A third motion family for the spine-line views (`famc` in studio.spineviews).

The confidence of the automatic spine line is fitted on two motion families (studio.choreography
for `tune`, `spineviews._other_motion` for the sets once held out) and checked on this one, so
that a held-out figure is measured on strokes neither the estimator nor its calibration saw.
It is written from the guide's text with habits the other two lack:
- both hands kneading on the SAME side of the spine for a while (a giver working the far side
  from one side of the table), then the other side;
- one hand resting still on the lower back while the other works ("keep one hand on the person");
- glides that cover only part of the back (the upper or the lower half) before the full length;
- tapping that sweeps along the back with the hands across it;
- hands dropping out of view for seconds (an arm in front of the camera).
Same author as the other two, so it is a check across families, not an independent generator.
"""
from __future__ import annotations

import numpy as np

from .choreography import Motion


def third_motion(rng: np.random.Generator, spine_cm: float, t: np.ndarray) -> Motion:
    n = len(t)
    z = np.zeros((2, n))
    m = Motion(np.zeros((2, n, 2)), z.copy(), z.copy(), z + 0.15, z.copy(), z.copy(), np.ones((2, n), bool), "famc")
    L = spine_cm
    t0 = 0.0
    kinds = ["glide", "glide_part", "same_side", "one_hand", "tap", "knead"]
    while t0 < t[-1] + 0.5:
        d = float(rng.uniform(6, 14))
        kind = str(rng.choice(kinds, p=[0.25, 0.15, 0.15, 0.15, 0.1, 0.2]))
        sel = (t >= t0) & (t < t0 + d)
        tt = t[sel] - t0
        k = int(sel.sum())
        if k:
            _block(m, sel, tt, kind, rng, L)
        t0 += d
    for h in (0, 1):  # an arm in front of the camera, or the hand lifted off
        for _ in range(int(rng.integers(0, 3))):
            a = rng.uniform(0, t[-1])
            m.visible[h, (t > a) & (t < a + rng.uniform(0.5, 3.0))] = False
    return m


def _glide(tt, rng, v0, v1, inner, outer, phase):
    """One hand's glide cycle: up near the spine (pressing), back down the outside."""
    up_s = (v1 - v0) / rng.uniform(10, 35)
    down_s = (v1 - v0) / rng.uniform(20, 50)
    turn = rng.uniform(0.2, 0.6)
    cyc = up_s + down_s + 2 * turn
    ph = (tt + phase * cyc) % cyc
    v = np.where(ph < up_s, v0 + (v1 - v0) * ph / up_s,
                 np.where(ph < up_s + turn, v1,
                          np.where(ph < up_s + turn + down_s, v1 - (v1 - v0) * (ph - up_s - turn) / down_s, v0)))
    u = np.where(ph < up_s, inner, np.where(ph < up_s + turn, inner + (outer - inner) * (ph - up_s) / turn,
                                           np.where(ph < up_s + turn + down_s, outer,
                                                    outer + (inner - outer) * (ph - up_s - turn - down_s) / turn)))
    pressing = ph < up_s
    return u, v, pressing


def _block(m: Motion, sel, tt, kind: str, rng: np.random.Generator, L: float) -> None:
    side = float(rng.choice([-1.0, 1.0]))   # the side both hands work in "same_side"
    resting = int(rng.integers(0, 2))       # the hand that rests in "one_hand"
    for h, s in ((0, -1.0), (1, 1.0)):
        if kind in ("glide", "glide_part"):
            if kind == "glide":
                v0, v1 = rng.uniform(0.0, 0.15) * L, rng.uniform(0.8, 1.0) * L
            elif rng.random() < 0.5:
                v0, v1 = rng.uniform(0.0, 0.1) * L, rng.uniform(0.45, 0.6) * L
            else:
                v0, v1 = rng.uniform(0.4, 0.55) * L, rng.uniform(0.85, 1.0) * L
            u, v, pressing = _glide(tt, rng, v0, v1, rng.uniform(3, 9), rng.uniform(12, 20), rng.uniform(0, 0.5))
            m.palm[h, sel, 0], m.palm[h, sel, 1] = s * u, v
            m.heading[h, sel] = np.where(pressing, rng.normal(0, 0.25), s * rng.uniform(0.5, 1.5))
            m.lift[h, sel] = np.where(pressing, 0.0, rng.uniform(0, 1.0))
        elif kind == "same_side":  # both hands on one side, kneading in turn, drifting along it
            u0 = side * rng.uniform(6, 13) + (h - 0.5) * rng.uniform(3, 7)
            v_c = rng.uniform(0.25, 0.8) * L + rng.uniform(-4, 4)
            w = 2 * np.pi * rng.uniform(0.6, 1.4) * tt + h * np.pi
            r = rng.uniform(1.5, 4.0)
            drift = rng.uniform(0.1, 0.3) * L * np.sin(2 * np.pi * tt / rng.uniform(6, 12))
            m.palm[h, sel, 0] = u0 + r * np.cos(w)
            m.palm[h, sel, 1] = v_c + drift + r * np.sin(w) + (h - 0.5) * rng.uniform(4, 9)
            m.heading[h, sel] = side * rng.uniform(0.8, 1.7)  # fingers across, toward the far side
            m.curl[h, sel] = rng.uniform(0.1, 0.5)
        elif kind == "one_hand":
            if h == resting:  # this hand stays still on the lower back
                m.palm[h, sel, 0] = s * rng.uniform(4, 10)
                m.palm[h, sel, 1] = rng.uniform(0.08, 0.3) * L
                m.heading[h, sel] = rng.normal(0, 0.4)
            else:
                u, v, pressing = _glide(tt, rng, rng.uniform(0.1, 0.3) * L, rng.uniform(0.7, 1.0) * L,
                                        rng.uniform(3, 9), rng.uniform(11, 18), 0.0)
                m.palm[h, sel, 0], m.palm[h, sel, 1] = s * u, v
                m.heading[h, sel] = np.where(pressing, rng.normal(0, 0.3), s * rng.uniform(0.4, 1.2))
                m.lift[h, sel] = np.where(pressing, 0.0, rng.uniform(0, 0.8))
        elif kind == "tap":
            f = rng.uniform(4, 8)
            sweep = rng.uniform(0.2, 0.5) * L + rng.uniform(0.2, 0.4) * L * (0.5 - 0.5 * np.cos(2 * np.pi * tt / rng.uniform(5, 9)))
            m.palm[h, sel, 0] = s * rng.uniform(5, 12) + rng.normal(0, 0.8, len(tt))
            m.palm[h, sel, 1] = sweep + rng.normal(0, 0.8, len(tt))
            m.lift[h, sel] = 1.5 + 1.5 * np.sin(2 * np.pi * f * tt + h * np.pi)
            m.heading[h, sel] = s * rng.uniform(1.1, 1.7)
            m.cup[h, sel] = rng.uniform(0.0, 0.6)
        else:  # knead: both sides, circles of changing size, drifting up and down the back
            w = 2 * np.pi * rng.uniform(0.5, 1.2) * tt + rng.uniform(0, 6)
            r = rng.uniform(1.5, 5.0) * (1 + 0.3 * np.sin(tt))
            m.palm[h, sel, 0] = s * rng.uniform(7, 15) + r * np.cos(w)
            m.palm[h, sel, 1] = (rng.uniform(0.3, 0.7) * L + rng.uniform(0.1, 0.25) * L * np.sin(2 * np.pi * tt / rng.uniform(7, 14))
                                 + r * np.sin(w))
            m.heading[h, sel] = s * rng.uniform(0.3, 1.5)
            m.curl[h, sel] = rng.uniform(0.1, 0.5)
