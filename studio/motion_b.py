"""A second, separately written family of massage motion: the held-out generator.

Nothing here is shared with choreography.py / hand_model.py / camera.py / session.py: its own
arm-driven kinematics, hand skeleton, lens and tracker faults. Thresholds of the analysis are
NEVER tuned on it; it exists to measure how the recognition holds on motion it was not tuned on.

Kinematics (each range a fact about people, not a guess):
- the hands are driven from where the person stands (beside the table, or at its head for
  fanning): the hand's heading follows the forearm from the shoulder to the hand, plus a wrist
  deviation, so it turns as the hand travels (coupled forearm/wrist rotation);
- travel is a chain of minimum-jerk point-to-point moves (quintic, zero end velocity);
- effleurage 8-40 cm/s (slow to brisk), 35-95% of the back, one or two hands, together or
  alternating; petrissage with palm, fingertips, thumbs or knuckles, circles 1.5-7 cm across at
  0.4-2 Hz, both hands or one working while the other rests; tapotement 2-12 Hz by hacking
  (edge of the hand), cupping, fingertips or flat fingers, contact lifts 1-4 cm, mostly from the
  wrist, one hand or both, alternating or together; muscle lifting (claw, twisting lift, hands
  alternating like windshield wipers, 2-3 passes up and down); fanning from the head of the
  table, thumbs either side of the spine, down to the hips; twists, hands sliding past each other
  across the spine, up to the shoulders and back; resting hands; repositioning between them.
Camera: pinhole with radial lens distortion and an off-centre principal point, 1-1.7 m from the
back, 640x480 to 1280x720. Tracker faults: correlated drift per hand, per-landmark dropout
(a landmark collapses toward its knuckle), finger-chain swaps, runs of missed detections,
15-60 fps with jittered intervals and dropped frames.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracker.types import Hand, HandFrame, SpinePoints

from .simulated import Camera, Rig, SimulatedSession

TECHNIQUES_B = ("effleurage", "wrong_way", "petrissage", "tapotement", "lifting", "fanning", "twist", "idle")


# -- hand skeleton ---------------------------------------------------------------------------------

@dataclass
class HandShape:
    palm_len: float   # wrist to middle knuckle, cm
    palm_wid: float   # index to little knuckle, cm
    finger_len: float  # middle finger, cm
    wrist_h: float    # wrist height above the skin (forearm), cm

    @classmethod
    def random(cls, rng: np.random.Generator) -> "HandShape":
        k = rng.uniform(0.85, 1.15)
        return cls(9.2 * k * rng.uniform(0.95, 1.05), 7.8 * k * rng.uniform(0.92, 1.08), 8.3 * k, rng.uniform(1.8, 3.2))


_MCP = ((1.0, 0.45), (1.03, 0.15), (0.98, -0.15), (0.9, -0.45))  # (along palm, across) fractions
_FINGER = (0.93, 1.0, 0.94, 0.76)                                 # finger length fractions
_PHAL = (0.5, 0.3, 0.2)


def skeleton(shape: HandShape, curl: float, thumb_open: float, cup: float, pitch: float, roll: float,
             right: bool) -> np.ndarray:
    """(21, 3) landmarks in the hand frame: e1 toward the fingers, e2 toward the thumb, e3 up
    out of the back of the hand; wrist at the origin."""
    out = np.zeros((21, 3))
    drop = shape.wrist_h - 1.1  # knuckles lie lower than the wrist
    for f, ((a, c), fl) in enumerate(zip(_MCP, _FINGER)):
        c = c * (1 - 0.25 * cup)
        base = np.array([a * shape.palm_len, c * shape.palm_wid, -drop + 0.5 * cup * (f in (1, 2))])
        out[5 + 4 * f] = base
        theta = 0.0
        p = base
        splay = (1.5 - f) * 0.06
        for j, (share, frac) in enumerate(zip((0.7, 1.2, 0.8), _PHAL)):
            theta += curl * share + 0.1 * cup
            d = np.array([np.cos(theta) * np.cos(splay), np.sin(splay), -np.sin(theta)])
            p = p + d * fl * shape.finger_len * frac
            out[6 + 4 * f + j] = p
    cmc = np.array([0.22 * shape.palm_len, 0.3 * shape.palm_wid, -0.4 * drop])
    out[1] = cmc
    ang = 0.45 + 0.75 * thumb_open
    p = cmc
    for j, ln in enumerate((4.0, 3.2, 2.6)):
        bend = ang - 0.25 * j * (1 - thumb_open)
        d = np.array([np.cos(bend), np.sin(bend), -0.35])
        d /= np.linalg.norm(d)
        p = p + d * ln * shape.palm_len / 9.2
        out[2 + j] = p
    # Wrist flexion (pitch, + lifts the fingers) about e2, then forearm roll about e1.
    cp, sp = np.cos(pitch), np.sin(pitch)
    x, z = out[:, 0].copy(), out[:, 2].copy()
    out[:, 0], out[:, 2] = cp * x - sp * z, sp * x + cp * z
    cr, sr = np.cos(roll), np.sin(roll)
    y, z = out[:, 1].copy(), out[:, 2].copy()
    out[:, 1], out[:, 2] = cr * y - sr * z, sr * y + cr * z
    if not right:
        out[:, 1] = -out[:, 1]
    return out


_PALM = [0, 5, 9, 13, 17]


def pose_world(shape: HandShape, palm_uv, heading_vec, lift, curl, thumb_open, cup, pitch, roll, right) -> np.ndarray:
    """Landmarks in back coordinates (u, v, w cm) with the palm centre at palm_uv."""
    loc = skeleton(shape, curl, thumb_open, cup, pitch, roll, right)
    d = np.array([heading_vec[0], heading_vec[1], 0.0])
    d /= np.linalg.norm(d) + 1e-12
    e2 = np.array([-d[1], d[0], 0.0])  # thumb side of a right hand lying palm down is to its left
    rot = np.column_stack([d, e2, [0.0, 0.0, 1.0]])
    world = loc @ rot.T
    c = world[_PALM].mean(axis=0)
    world[:, 0] += palm_uv[0] - c[0]
    world[:, 1] += palm_uv[1] - c[1]
    world[:, 2] += shape.wrist_h + lift
    return world


# -- lens ---------------------------------------------------------------------------------------

@dataclass
class Lens:
    width: int
    height: int
    f: float
    cx: float
    cy: float
    k1: float
    k2: float
    R: np.ndarray   # back -> camera
    C: np.ndarray   # camera centre, back coordinates

    def pixels(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = (np.asarray(pts, float) - self.C) @ self.R.T
        zc = q[..., 2]
        xn, yn = q[..., 0] / zc, q[..., 1] / zc
        r2 = xn * xn + yn * yn
        g = 1 + self.k1 * r2 + self.k2 * r2 * r2
        return np.stack([self.f * g * xn + self.cx, self.f * g * yn + self.cy], axis=-1), zc


def random_lens(rng: np.random.Generator, spine_cm: float) -> Lens:
    width, height = [(640, 480), (640, 480), (960, 540), (1280, 720)][int(rng.integers(4))]
    mid = np.array([0.0, spine_cm / 2, 0.0])
    for _ in range(500):
        dist = rng.uniform(100, 170)
        elev = np.radians(rng.uniform(25, 80))
        az = rng.uniform(-np.pi, np.pi)
        C = mid + dist * np.array([np.cos(elev) * np.cos(az), np.cos(elev) * np.sin(az), np.sin(elev)])
        aim = mid + np.array([rng.normal(0, 6), rng.normal(0, 6), 0.0]) - C
        zax = aim / np.linalg.norm(aim)
        xax = np.cross(zax, [0.0, 0.0, 1.0])
        if np.linalg.norm(xax) < 1e-3:
            xax = np.array([1.0, 0.0, 0.0])
        xax /= np.linalg.norm(xax)
        yax = np.cross(zax, xax)
        roll = np.radians(rng.normal(0, 7))
        xr, yr = np.cos(roll) * xax + np.sin(roll) * yax, -np.sin(roll) * xax + np.cos(roll) * yax
        hfov = np.radians(rng.uniform(58, 80))
        f = width / 2 / np.tan(hfov / 2)
        lens = Lens(width, height, f, width / 2 + rng.normal(0, 0.02 * width), height / 2 + rng.normal(0, 0.02 * height),
                    rng.uniform(-0.28, 0.04), rng.uniform(-0.02, 0.06), np.stack([xr, yr, zax]), C)
        box = np.array([[u, v, 0.0] for u in (-22, 22) for v in (-6, spine_cm + 6)])
        px, z = lens.pixels(box)
        if (z > 0).all() and (px[:, 0] > 0.04 * width).all() and (px[:, 0] < 0.96 * width).all() \
                and (px[:, 1] > 0.04 * height).all() and (px[:, 1] < 0.96 * height).all():
            return lens
    raise RuntimeError("no lens pose keeps the back in view")


# -- motion primitives ------------------------------------------------------------------------------

def quintic(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return s ** 3 * (6 * s * s - 15 * s + 10)


def via(t: np.ndarray, knots: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """Point-to-point minimum-jerk moves through (time, point) knots; holds after the last."""
    pts = [np.asarray(p, float) for _, p in knots]
    out = np.tile(pts[0], (len(t), 1)).astype(float)
    for (ta, pa), (tb, pb) in zip(knots[:-1], knots[1:]):
        pa, pb = np.asarray(pa, float), np.asarray(pb, float)
        sel = t >= ta
        out[sel] = pa + (pb - pa) * quintic((t[sel] - ta) / max(tb - ta, 1e-6))[:, None]
    return out


@dataclass
class Act:
    """Two hands through one stretch: per hand arrays over time."""

    label: np.ndarray                 # (T,) truth label per frame
    palm: np.ndarray                  # (2, T, 2)
    lift: np.ndarray                  # (2, T)
    curl: np.ndarray
    thumb: np.ndarray
    cup: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray
    dev: np.ndarray                   # wrist deviation from the forearm's line (rad)
    visible: np.ndarray               # (2, T) bool
    stance: np.ndarray                # (2,) where the person stands (u, v), cm
    strokes: list = field(default_factory=list)
    crossing_ok: np.ndarray | None = None  # (T,) palms may pass over the spine briefly (twists)


def _act(n: int, label: str, stance) -> Act:
    z = np.zeros((2, n))
    return Act(np.full(n, label, dtype=object), np.zeros((2, n, 2)), z.copy(), z + 0.15, z + 0.1, z.copy(),
               z.copy(), z.copy(), z.copy(), np.ones((2, n), bool), np.asarray(stance, float))


def _side_stance(rng, L) -> np.ndarray:
    return np.array([rng.choice([-1.0, 1.0]) * rng.uniform(38, 50), rng.uniform(0.3, 0.7) * L])


def _rest(a: Act, h: int, rng, L) -> None:
    """Hand h rests still on the back (breathing moves it a little)."""
    n = a.palm.shape[1]
    a.palm[h, :, 0] = rng.uniform(5, 15) * rng.choice([-1, 1])
    a.palm[h, :, 1] = rng.uniform(0.15, 0.85) * L + 0.25 * np.sin(np.linspace(0, rng.uniform(2, 5), n) * 2 * np.pi / 4)
    a.curl[h] = rng.uniform(0.05, 0.3)


def b_effleurage(t, rng, L, wrong=False) -> Act:
    n = len(t)
    a = _act(n, "effleurage", _side_stance(rng, L))
    speed = rng.uniform(8, 40)
    v_lo = rng.uniform(0.02, 0.3) * L
    v_hi = min(v_lo + rng.uniform(0.35, 0.95) * L, 1.0 * L)
    length = v_hi - v_lo
    t_up = length / speed
    t_dn = length / (speed * rng.uniform(1.0, 2.0))
    pause = rng.uniform(0.1, 0.4)
    cycle = t_up + t_dn + 2 * pause
    hands = [0, 1] if rng.random() < 0.7 else [int(rng.integers(2))]
    alternate = len(hands) == 2 and rng.random() < 0.25
    for h in range(2):
        if h not in hands:
            if rng.random() < 0.5:
                _rest(a, h, rng, L)
            else:
                a.visible[h] = False
            continue
        side = -1.0 if h == 0 else 1.0
        # Two palms side by side cannot both run closer than about half a palm width to the
        # spine (they would overlap); one hand alone may run right beside it.
        u_in = side * rng.uniform(4.5 if len(hands) == 2 else 3.5, 9.0)
        u_out = u_in + side * rng.uniform(5.0, 10.0)
        shift = (0.5 * cycle if alternate and h == 1 else 0.0) + (rng.uniform(0, 0.2) * cycle if not alternate else 0)
        ph = (t - t[0] + shift) % cycle
        k = [(0.0, (u_in, v_lo)), (t_up, (u_in, v_hi)), (t_up + pause, (u_out, v_hi)),
             (t_up + pause + t_dn, (u_out, v_lo)), (cycle, (u_in, v_lo))]
        if wrong:
            ph = cycle - ph
        p = via(ph, [(tk, np.array(pk)) for tk, pk in k])
        a.palm[h] = p
        ret = (ph > t_up + pause) & (ph < t_up + pause + t_dn)
        a.lift[h] = np.where(ret, rng.uniform(0.1, 0.6), 0.0)
        a.curl[h] = rng.uniform(0.0, 0.2)
        a.dev[h] = rng.normal(0, 0.25)
        if h == hands[0] or alternate:
            for mask, is_ret in ((ph < t_up, False), (ret, True)):
                d = np.diff(np.r_[0, mask.astype(np.int8), 0])
                for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
                    up = (not is_ret) != wrong
                    a.strokes.append({"type": "effleurage", "start": float(t[s]), "end": float(t[e - 1]),
                                      "direction": "up" if up else "down", "return": is_ret,
                                      "partial": bool(s == 0 or e == n)})
    return a


def b_petrissage(t, rng, L) -> Act:
    n = len(t)
    a = _act(n, "petrissage", _side_stance(rng, L))
    tool = ["palm", "fingertips", "thumbs", "knuckles"][int(rng.integers(4))]
    radius = {"palm": (1.6, 3.5), "fingertips": (0.9, 2.5), "thumbs": (0.75, 1.6), "knuckles": (1.0, 2.5)}[tool]
    follow = {"palm": 1.0, "fingertips": 0.7, "thumbs": 0.45, "knuckles": 1.0}[tool]
    rate = rng.uniform(0.4, 2.0)
    one = rng.random() < 0.3
    worker = int(rng.integers(2))
    for h in range(2):
        if one and h != worker:
            _rest(a, h, rng, L)
            continue
        side = -1.0 if h == 0 else 1.0
        r = rng.uniform(*radius)
        walk = np.cumsum(rng.normal(0, 1, (n, 2)), axis=0)
        walk = walk / (np.abs(walk).max() + 1e-9) * rng.uniform(1, 6)
        c = np.array([side * rng.uniform(4.5, 13), rng.uniform(0.15, 0.85) * L]) + walk
        sense = rng.choice([-1.0, 1.0])
        tempo = rate * (1 + 0.15 * np.sin(2 * np.pi * t / rng.uniform(2, 6) + h))
        ang = sense * 2 * np.pi * np.cumsum(np.r_[0, np.diff(t)] * tempo) + rng.uniform(0, 2 * np.pi)
        circ = np.stack([r * np.cos(ang), 0.8 * r * np.sin(ang)], axis=-1)
        a.palm[h] = c + follow * circ
        a.thumb[h] = 0.7 if tool == "thumbs" else rng.uniform(0, 0.4)
        a.curl[h] = {"palm": 0.15, "fingertips": 0.5, "thumbs": 0.35, "knuckles": 0.95}[tool] + 0.05 * np.sin(ang)
        a.pitch[h] = 0.05 * np.sin(ang + 1) if tool != "fingertips" else 0.25 + 0.05 * np.sin(ang)
        a.dev[h] = rng.normal(0, 0.3) + 0.1 * np.sin(ang)
    return a


def b_tapotement(t, rng, L) -> Act:
    n = len(t)
    a = _act(n, "tapotement", _side_stance(rng, L))
    style = ["hacking", "cupping", "fingertips", "flat"][int(rng.integers(4))]
    rate = rng.uniform(2.0, 12.0)
    lift_cm = rng.uniform(1.0, 4.0)
    arm_share = rng.uniform(0.0, 0.5)  # the rest of the lift comes from flexing the wrist
    mode = ["alternate", "together", "one"][int(rng.choice(3, p=[0.5, 0.25, 0.25]))]
    worker = int(rng.integers(2))
    for h in range(2):
        if mode == "one" and h != worker:
            _rest(a, h, rng, L)
            continue
        side = -1.0 if h == 0 else 1.0
        drift = via(t - t[0], [(0.0, np.array([side * rng.uniform(5, 13), rng.uniform(0.2, 0.8) * L])),
                               (t[-1] - t[0], np.array([side * rng.uniform(5, 13), rng.uniform(0.2, 0.8) * L]))])
        f = rate * (1 + 0.06 * np.sin(2 * np.pi * t / rng.uniform(1.5, 4)))
        ph = 2 * np.pi * np.cumsum(np.r_[0, np.diff(t)] * f) + (np.pi if mode == "alternate" and h else 0.0)
        up = np.abs(np.sin(ph / 2)) ** rng.uniform(0.7, 1.5)  # brief contact at each zero
        reach = 12.0 if style != "hacking" else 14.0
        a.palm[h] = drift
        a.lift[h] = arm_share * lift_cm * up
        a.pitch[h] = (1 - arm_share) * lift_cm / reach * up + rng.uniform(0, 0.1)
        a.roll[h] = (side * rng.uniform(1.2, 1.5)) if style == "hacking" else rng.normal(0, 0.1)
        a.cup[h] = 1.0 if style == "cupping" else 0.0
        a.curl[h] = {"hacking": 0.1, "cupping": 0.3, "fingertips": 0.7, "flat": 0.05}[style]
        a.dev[h] = rng.normal(0, 0.3)
    return a


def _passes(t, L, n_pass, lo, hi, down_first=False):
    """Travel along the back: n_pass one-way traversals between lo and hi (cm)."""
    dur = t[-1] - t[0]
    knots = []
    for i in range(n_pass + 1):
        at_hi = (i % 2 == 0) == down_first
        knots.append((dur * i / n_pass, np.array([hi if at_hi else lo])))
    return via(t - t[0], knots)[:, 0]


def b_lifting(t, rng, L) -> Act:
    n = len(t)
    a = _act(n, "lifting", _side_stance(rng, L))
    reps = int(rng.integers(1, 3))  # round trips up and down in this stretch
    v = _passes(t, L, 2 * reps, rng.uniform(0.08, 0.25) * L, rng.uniform(0.7, 0.92) * L)
    side = -np.sign(a.stance[0]) if rng.random() < 0.7 else np.sign(a.stance[0])  # the far side, mostly
    u0 = side * rng.uniform(6, 13)
    rate = rng.uniform(0.4, 1.2)
    sweep = rng.uniform(0.35, 0.8)
    arm = rng.uniform(3, 7)
    ph = 2 * np.pi * rate * (t - t[0])
    for h in range(2):
        s = np.sin(ph + np.pi * h)  # the two hands alternate
        a.palm[h, :, 0] = u0 + arm * np.sin(sweep * s) + (h - 0.5) * rng.uniform(2, 6)
        a.palm[h, :, 1] = v + (h - 0.5) * rng.uniform(4, 9)
        a.dev[h] = sweep * s
        grip = 0.5 + 0.5 * np.sin(ph + np.pi * h + 0.6)
        a.lift[h] = rng.uniform(0.5, 2.0) * grip
        a.roll[h] = rng.uniform(0.25, 0.7) * s
        a.curl[h] = 0.35 + 0.25 * grip
        a.thumb[h] = 0.9 - 0.5 * grip
    for i in range(2 * reps):
        a0, a1 = t[0] + (t[-1] - t[0]) * i / (2 * reps), t[0] + (t[-1] - t[0]) * (i + 1) / (2 * reps)
        a.strokes.append({"type": "lifting", "start": float(a0), "end": float(a1), "direction": "up" if i % 2 == 0 else "down"})
    return a


def b_fanning(t, rng, L) -> Act:
    n = len(t)
    a = _act(n, "fanning", np.array([rng.normal(0, 5), L + rng.uniform(30, 45)]))
    dur = t[-1] - t[0]
    n_pass = 1 if dur < 9 else int(rng.integers(1, 3))
    t_back = rng.uniform(0.8, 1.4)
    t_pass = dur / n_pass - (t_back if n_pass > 1 else 0)
    rate = rng.uniform(0.4, 1.2)
    top, bottom = rng.uniform(0.85, 0.98) * L, rng.uniform(0.02, 0.15) * L
    knots = []
    for i in range(n_pass):
        t0 = i * (t_pass + t_back)
        knots += [(t0, np.array([top])), (t0 + t_pass, np.array([bottom]))]
        a.strokes.append({"type": "fanning", "start": float(t[0] + t0), "end": float(t[0] + t0 + t_pass), "direction": "down"})
    # The pass goes down at an even pace, not a single reach: linear, with a soft start and end.
    tt = t - t[0]
    v = np.empty(n)
    back = np.zeros(n, bool)
    for i in range(n_pass):
        t0 = i * (t_pass + t_back)
        sel = (tt >= t0) & (tt < t0 + t_pass + (t_back if i < n_pass - 1 else 1e9))
        s = np.clip((tt[sel] - t0) / t_pass, 0, 1)
        v[sel] = top + (bottom - top) * (0.15 * quintic(s) + 0.85 * s)
        rb = tt[sel] > t0 + t_pass
        if rb.any():
            v[np.flatnonzero(sel)[rb]] = bottom + (top - bottom) * quintic((tt[sel][rb] - t0 - t_pass) / t_back)
            back[np.flatnonzero(sel)[rb]] = True
    ph = 2 * np.pi * rate * tt
    for h in range(2):
        side = -1.0 if h == 0 else 1.0
        push = 0.5 + 0.5 * np.sin(ph + np.pi * h)  # alternate the pressure on either thumb
        a.palm[h, :, 0] = side * (rng.uniform(4.5, 7.5) + rng.uniform(1.0, 3.0) * push)
        a.palm[h, :, 1] = v - 1.5 * push
        a.thumb[h] = 0.6 + 0.3 * push
        a.dev[h] = side * 0.4 * push
        a.curl[h] = rng.uniform(0.2, 0.5)
        a.lift[h] = np.where(back, rng.uniform(3, 7), 0.0)
    a.label[back] = "other"  # lifting the hands back to the top is a reposition
    return a


def b_twist(t, rng, L) -> Act:
    n = len(t)
    a = _act(n, "twist", _side_stance(rng, L))
    reps = int(rng.integers(1, 4))
    v = _passes(t, L, 2 * reps, rng.uniform(0.05, 0.18) * L, rng.uniform(0.78, 0.95) * L)
    amp = rng.uniform(8, 16)
    rate = rng.uniform(0.35, 1.0)
    ph = 2 * np.pi * rate * (t - t[0]) + rng.uniform(0, 2 * np.pi)
    gap = rng.uniform(2.5, 6.0)
    for h in range(2):
        sign = 1.0 if h == 0 else -1.0  # opposite directions
        a.palm[h, :, 0] = sign * amp * np.cos(ph)
        a.palm[h, :, 1] = v + (h - 0.5) * gap
        a.dev[h] = 0.25 * sign * np.sin(ph)
        a.curl[h] = rng.uniform(0.05, 0.3)
    a.crossing_ok = np.ones(n, bool)
    for i in range(reps):
        a.strokes.append({"type": "twist", "start": float(t[0] + (t[-1] - t[0]) * i / reps),
                          "end": float(t[0] + (t[-1] - t[0]) * (i + 1) / reps)})
    return a


def b_idle(t, rng, L) -> Act:
    n = len(t)
    a = _act(n, "idle", _side_stance(rng, L))
    kind = rng.choice(["rest", "one", "off", "edge"], p=[0.45, 0.25, 0.2, 0.1])
    for h in range(2):
        _rest(a, h, rng, L)
        a.palm[h] += np.cumsum(rng.normal(0, 0.01, (n, 2)), axis=0)
    if kind == "one":
        a.visible[int(rng.integers(2))] = False
    elif kind == "off":
        a.visible[:] = False
    elif kind == "edge":  # hands resting on the table beside the person
        a.palm[:, :, 0] = np.sign(a.palm[:, :, 0]) * rng.uniform(22, 28)
    return a


_MAKERS = {"effleurage": b_effleurage, "wrong_way": lambda t, r, L: b_effleurage(t, r, L, True),
           "petrissage": b_petrissage, "tapotement": b_tapotement, "lifting": b_lifting, "fanning": b_fanning,
           "twist": b_twist, "idle": b_idle}


def _move(prev: Act, nxt: Act, t, rng) -> Act:
    """Repositioning between techniques: a lifted minimum-jerk move ("other")."""
    n = len(t)
    a = _act(n, "other", nxt.stance)
    s = quintic((t - t[0]) / max(t[-1] - t[0], 1e-6))
    for k in ("palm", "lift", "curl", "thumb", "cup", "pitch", "roll", "dev"):
        x0, x1 = getattr(prev, k)[:, -1:], getattr(nxt, k)[:, :1]
        sh = s[None, :, None] if k == "palm" else s[None, :]
        getattr(a, k)[:] = x0 + (x1 - x0) * sh
    a.lift += rng.uniform(0.5, 5.0) * np.sin(np.pi * s)[None, :]
    a.visible[:] = prev.visible[:, -1:] & nxt.visible[:, :1]
    return a


# -- a whole session ---------------------------------------------------------------------------------

def script_b(rng: np.random.Generator, minutes: float) -> list[tuple[str, float]]:
    """A loose guide order, effleurage between the others, rests now and then."""
    out, total = [], 0.0
    core = ["petrissage", "tapotement", "lifting", "fanning", "twist"]
    while total < minutes * 60:
        k = str(rng.choice(["effleurage"] * 3 + ["wrong_way"] + core * 2 + ["idle"] * 2))
        dur = float(rng.uniform(3, 7) if k == "idle" else rng.uniform(8, 20) if k in ("lifting", "fanning", "twist")
                    else rng.uniform(5, 16))
        out.append((k, dur))
        total += dur
    return out


def simulate_b(rng: np.random.Generator, minutes: float = 1.5, fps: float | None = None,
               script: list[tuple[str, float]] | None = None) -> SimulatedSession:
    L = rng.uniform(42, 62)
    fps = float(fps if fps is not None else rng.choice([15, 15, 20, 24, 25, 30, 30, 30, 50, 60]))
    # Capture times: jittered intervals, some frames never delivered.
    script = script or script_b(rng, minutes)
    acts: list[Act] = []
    for k, dur in script:
        n = max(int(dur * fps), 4)
        t = np.arange(n) / fps
        act = _MAKERS[k](t, rng, L)
        if k in ("effleurage", "petrissage") and rng.random() < 0.3:  # a hand strays onto the spine
            h = int(rng.integers(2))
            s0 = rng.uniform(0.5, max(dur - 2.5, 0.6))
            w = quintic((t - s0) / 0.35) * (1 - quintic((t - s0 - rng.uniform(0.6, 1.5)) / 0.35))
            act.palm[h, :, 0] = act.palm[h, :, 0] * (1 - w) + rng.normal(0, 0.8) * w
        if acts:
            m = max(int(rng.uniform(0.4, 1.5) * fps), 2)
            acts.append(_move(acts[-1], act, np.arange(m) / fps, rng))
        acts.append(act)
    n = sum(len(x.label) for x in acts)
    ideal = np.arange(n) / fps
    jitter = np.cumsum(rng.normal(0, 0.12 / fps, n)) * 0.3 + rng.normal(0, 0.15 / fps, n)
    times = np.maximum.accumulate(np.maximum(ideal + jitter, 0.0))
    labels = np.concatenate([x.label for x in acts]).astype(str)
    crossing_ok = np.concatenate([x.crossing_ok if x.crossing_ok is not None else np.zeros(len(x.label), bool) for x in acts])
    cat = {k: np.concatenate([getattr(x, k) for x in acts], axis=1)
           for k in ("palm", "lift", "curl", "thumb", "cup", "pitch", "roll", "dev", "visible")}
    stance = np.concatenate([np.repeat(x.stance[None], len(x.label), axis=0) for x in acts])
    strokes = []
    off = 0
    for x in acts:
        for s in x.strokes:
            strokes.append({**s, "start": float(times[min(off + int(round((s["start"] - 0) * fps)), n - 1)]),
                            "end": float(times[min(off + int(round(s["end"] * fps)), n - 1)])})
        off += len(x.label)
    shapes = [HandShape.random(rng), HandShape.random(rng)]
    lens = random_lens(rng, L)
    world = np.empty((2, n, 21, 3))
    for h in range(2):
        for i in range(n):
            fw = cat["palm"][h, i] - stance[i]
            ang = np.arctan2(fw[1], fw[0]) + cat["dev"][h, i]
            world[h, i] = pose_world(shapes[h], cat["palm"][h, i], (np.cos(ang), np.sin(ang)), cat["lift"][h, i],
                                     cat["curl"][h, i], cat["thumb"][h, i], cat["cup"][h, i], cat["pitch"][h, i],
                                     cat["roll"][h, i], right=(h == 1))
    # Truth over the spine: a touching palm centre within half a knuckle width, neck to sacrum; in
    # a twist the palms pass over the spine by design, and a pass under 0.5 s is no event.
    palm = world[:, :, _PALM, :].mean(axis=2)
    # Half the knuckle width (index to little-finger knuckle), as the guide constant is stated.
    half = 0.5 * np.array([s.palm_wid * (_MCP[0][1] - _MCP[3][1]) for s in shapes])[:, None]
    on = (np.abs(palm[..., 0]) < half) & (palm[..., 1] >= 0) & (palm[..., 1] <= L) & cat["visible"] & (cat["lift"] < 2.5)
    crossing = np.zeros(n, bool)
    for h in range(2):
        d = np.diff(np.r_[0, on[h].astype(np.int8), 0])
        for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
            if crossing_ok[s:e].all() and times[e - 1] - times[s] < 0.5:
                on[h, s:e] = False
                crossing[s:e] = True
    over = on.any(axis=0)
    # No hand in view (hands off the person, out of the picture) for longer than the label
    # "no_hands" is defined by (guide.LABELS: no hand seen for longer than the bridging gap), or
    # none in view yet: then the truth is "no_hands", not the act's label. Taken from what is in
    # view in this generator's world (`visible`), not from what its tracker happened to miss.
    labels = np.where(_out_of_view(times, cat["visible"].any(axis=0)), "no_hands", labels)
    frames = _track(world, cat["visible"], times, lens, rng)
    keep = rng.random(n) >= rng.uniform(0.0, 0.05)
    px, _ = lens.pixels(np.array([[0.0, L, 0.0], [0.0, 0.0, 0.0]]))
    spine = SpinePoints(head=(px[0, 0] / lens.width, px[0, 1] / lens.height),
                        sacrum=(px[1, 0] / lens.width, px[1, 1] / lens.height))
    idx = np.flatnonzero(keep)
    return SimulatedSession(times[idx], labels[idx], over[idx], strokes, spine, [frames[i] for i in idx],
                    Rig(Camera(lens.width, lens.height), fps, L), crossing[idx])


def _out_of_view(times: np.ndarray, in_view: np.ndarray) -> np.ndarray:
    from feedback.tracks import BRIDGE_GAP_S  # the label's definition, not a tuned figure

    last = np.maximum.accumulate(np.where(in_view, times, -np.inf))
    return times - last > BRIDGE_GAP_S


_CHAINS = [[5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16], [17, 18, 19, 20]]


def _track(world: np.ndarray, visible: np.ndarray, times: np.ndarray, lens: Lens, rng) -> list[HandFrame]:
    """What a hand tracker reports, with faults unlike the first simulator's."""
    n = world.shape[1]
    drift_sd = rng.uniform(0.01, 0.03)
    white_sd = rng.uniform(0.004, 0.015)
    tau = rng.uniform(0.6, 2.5)
    seen = visible.copy()
    for h in range(2):  # missed detections come in runs (a two-state chain)
        miss = False
        p_on, p_off = rng.uniform(0.01, 0.05), rng.uniform(0.15, 0.5)
        for i in range(n):
            miss = (rng.random() < p_on) if not miss else (rng.random() >= p_off)
            if miss:
                seen[h, i] = False
    names = ["Left", "Right"]
    frames = []
    drift = np.zeros((2, 2))
    swap_left = [0, 0]
    prev = [None, None]
    for i in range(n):
        dt = times[i] - times[i - 1] if i else 0.03
        hands = []
        for h in range(2):
            px, z = lens.pixels(world[h, i])
            scale = np.linalg.norm(px[0] - px[9]) + 1e-6
            a = np.exp(-dt / tau)
            drift[h] = a * drift[h] + np.sqrt(1 - a * a) * rng.normal(0, drift_sd * scale, 2)
            if not seen[h, i]:
                prev[h] = None
                continue
            p = px + drift[h] + rng.normal(0, white_sd * scale, (21, 2)) * np.r_[0.6, np.ones(20)][:, None]
            drop = rng.random(21) < 0.02
            for j in np.flatnonzero(drop):  # an occluded landmark is guessed: pulled toward its knuckle
                base = 0 if j < 5 else ((j - 1) // 4) * 4 + 1
                p[j] = 0.5 * (p[j] + p[base])
            if swap_left[h] == 0 and rng.random() < 0.004:
                swap_left[h] = int(rng.integers(3, 10))
            if swap_left[h]:
                swap_left[h] -= 1
                a_, b_ = _CHAINS[1], _CHAINS[2]
                p[a_ + b_] = p[b_ + a_]
            lm = np.empty((21, 3))
            lm[:, 0] = p[:, 0] / lens.width
            lm[:, 1] = p[:, 1] / lens.height
            lm[:, 2] = (z - z[0]) / z[0] * lens.f / lens.width + rng.normal(0, 0.01, 21)
            hands.append(Hand(lm, names[h] if rng.random() > 0.03 else names[1 - h], float(rng.uniform(0.6, 1.0))))
            prev[h] = lm
        if rng.random() < 0.5:
            hands.reverse()
        frames.append(HandFrame(float(times[i]), hands))
    return frames
