"""A third family of massage motion ("d"), written apart from the other two, for TUNING checks.

Family a (choreography.py / session.py) is what the thresholds were tuned on; family b
(motion_b.py) is held out and never tuned on. A rule that only helps family a may be fitted to
it; family d is a second tuning family with its own kinematics, hand model, camera and tracker
faults, so that a change is kept only when it holds on both a and d (b stays held out).

What differs from a and b (each a fact about people or cameras, not a copy of either):
- every stroke is a chain of minimum-jerk moves between key poses (Flash & Hogan), so a glide
  slows to a stop at each end; timing varies cycle to cycle (people are not metronomes);
- a stick hand of its own: rectangular palm, straight finger segments that flex together,
  a thumb that can be aimed at a point (thumb kneading: the tip circles, the palm stays still),
  a roll about the hand's long axis (hacking on the hand's edge), hand sizes of small to large
  adults (palm 7-11 cm);
- tapping as bounces (|sin|: contact, lift, contact) from the wrist or from the elbow, by
  hacking, cupping, fingertips or a flat hand, 2-12 Hz, one hand, both together or alternating;
- kneading by the palm, the thumbs (palm still, thumb tips circle 1.5-4 cm across), fingertips
  or knuckles, 0.4-2 Hz; fanning from the head of the table (fingers to the feet, thumbs beside
  the spine, hands spreading outward and coming back in lifted, working down); lifting by
  rocking across in opposite phase; twists crossing the spine; repositioning moves lifted 2-8 cm;
- a look-at pinhole camera anywhere around the table (35-80 degrees above it, 0.9-1.8 m),
  a tracker that smooths (an exponential filter: fast taps come out weaker) with heavy-tailed
  landmark noise, whole-hand shake and short runs of missed detections, 15-60 fps with jitter.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracker.types import Hand, HandFrame, SpinePoints

from .simulated import Camera, Rig, SimulatedSession

KINDS_D = ("effleurage", "wrong_way", "petrissage", "tapotement", "lifting", "fanning", "twist", "idle")


def mj(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk 0 -> 1 profile."""
    s = np.clip(s, 0.0, 1.0)
    return s ** 3 * (10 - 15 * s + 6 * s * s)


def keyed(t: np.ndarray, times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Minimum-jerk moves between key values at key times (times increasing, values (k, d))."""
    times = np.asarray(times, float)
    values = np.asarray(values, float)
    j = np.clip(np.searchsorted(times, t, "right") - 1, 0, len(times) - 2)
    s = (t - times[j]) / np.maximum(times[j + 1] - times[j], 1e-9)
    w = mj(s)[:, None]
    return values[j] * (1 - w) + values[j + 1] * w


@dataclass
class Act:
    """Per-frame state of both hands: arrays (2, n)."""

    n: int
    label: str
    u: np.ndarray = None        # cm across, + person's right
    v: np.ndarray = None        # cm along from the sacrum
    z: np.ndarray = None        # cm above the skin (palm centre)
    yaw: np.ndarray = None      # radians: direction the fingers point in the back plane (0 = +v, to the head)
    roll: np.ndarray = None     # radians about the hand's long axis (1.4: on the edge)
    flex: np.ndarray = None     # 0 straight fingers .. 1 fist
    thumb: np.ndarray = None    # (2, n, 2) thumb-tip offset from its rest, cm in the hand frame
    vis: np.ndarray = None
    strokes: list = field(default_factory=list)
    crossing_ok: np.ndarray = None
    style: str = ""             # how the technique is done (for diagnosis)

    def __post_init__(self) -> None:
        z = np.zeros((2, self.n))
        for k in ("u", "v", "z", "yaw", "roll", "flex"):
            if getattr(self, k) is None:
                setattr(self, k, z.copy())
        if self.thumb is None:
            self.thumb = np.zeros((2, self.n, 2))
        if self.vis is None:
            self.vis = np.ones((2, self.n), bool)
        if self.crossing_ok is None:
            self.crossing_ok = np.zeros(self.n, bool)


SIDE = (-1.0, 1.0)  # hand 0 works on the -u side, hand 1 on the +u side


def _rest(a: Act, h: int, rng, L: float) -> None:
    a.u[h] = SIDE[h] * rng.uniform(5, 15)
    a.v[h] = rng.uniform(0.2, 0.8) * L
    a.z[h] = 0.0
    a.yaw[h] = rng.normal(0, 0.4)
    a.flex[h] = rng.uniform(0.05, 0.3)


def _cycles(t: np.ndarray, rng, period: float, vary: float = 0.12) -> np.ndarray:
    """Phase in cycles with tempo drifting cycle to cycle (people are not metronomes)."""
    dt = np.diff(t, prepend=t[0])
    rate = 1.0 / period * (1 + vary * np.sin(2 * np.pi * t / rng.uniform(3, 8) + rng.uniform(0, 6)))
    return np.cumsum(rate * dt) + rng.uniform(0, 1)


def d_effleurage(t, rng, L, wrong=False) -> Act:
    n = len(t)
    a = Act(n, "effleurage")
    v_lo = rng.uniform(0.03, 0.3) * L
    v_hi = min(L, v_lo + rng.uniform(0.4, 0.95) * L)
    length = v_hi - v_lo
    speed = rng.uniform(8, 40)
    t_g = length / speed  # the mean speed (a minimum-jerk move peaks at 1.875 times it)
    t_turn = rng.uniform(0.3, 0.8)
    t_ret = length / rng.uniform(20, 50)
    u_in, u_out = rng.uniform(2.5, 7), rng.uniform(11, 19)
    lift = rng.uniform(0.3, 2.0)
    alternate = rng.random() < 0.3
    one = rng.random() < 0.25
    stand = rng.choice([-1.0, 1.0])  # the person stands on this side: headings lean toward it
    lean = stand * rng.uniform(0.0, 0.5)
    cyc = t_g + t_turn + t_ret + t_turn
    keys = np.array([0, t_g, t_g + t_turn, t_g + t_turn + t_ret, cyc])
    phase0 = _cycles(t, rng, cyc, 0.08)
    for h in range(2):
        s = SIDE[h]
        ph = (phase0 + (0.5 if alternate and h == 1 else 0.0)) % 1.0 * cyc
        if not wrong:
            vals = [(s * u_in, v_lo, 0), (s * u_in, v_hi, 0), (s * u_out, v_hi - 3, lift),
                    (s * u_out, v_lo + 2, lift), (s * u_in, v_lo, 0)]
        else:  # pressing down the middle, back up the sides lifted
            vals = [(s * u_in, v_hi, 0), (s * u_in, v_lo, 0), (s * u_out, v_lo + 3, lift),
                    (s * u_out, v_hi - 2, lift), (s * u_in, v_hi, 0)]
        p = keyed(ph, keys, np.array(vals))
        a.u[h], a.v[h], a.z[h] = p[:, 0], p[:, 1], p[:, 2]
        out = (ph > t_g) & (ph < t_g + t_turn + t_ret)
        a.yaw[h] = lean + np.where(out, -s * rng.uniform(0.3, 1.0), 0.0) + (np.pi if wrong and rng.random() < 0.4 else 0)
        a.flex[h] = rng.uniform(0.0, 0.2)
        glide = ph < t_g
        ret = (ph >= t_g + t_turn) & (ph < t_g + t_turn + t_ret)
        if h == 0 or alternate:  # hands together: one list; alternating: each hand's own
            for mask, is_ret in ((glide, False), (ret, True)):
                for s0, e0 in _runs(mask):
                    up = (not is_ret) != wrong
                    a.strokes.append({"type": "effleurage", "start": float(t[s0]), "end": float(t[e0 - 1]),
                                      "direction": "up" if up else "down", "return": bool(is_ret),
                                      "partial": bool(s0 == 0 or e0 == n), "hand": h})
    if one:  # one hand glides, the other rests on the back (its strokes are not truth)
        h = int(rng.integers(2))
        _rest(a, h, rng, L)
        if alternate:
            a.strokes = [x for x in a.strokes if x["hand"] != h]
    return a


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def d_petrissage(t, rng, L, style: str | None = None) -> Act:
    n = len(t)
    a = Act(n, "petrissage")
    drawn = str(rng.choice(["palm", "thumb", "fingertips", "knuckles"]))
    style = style or drawn  # tests may fix it (the same draws either way)
    hz = rng.uniform(0.4, 2.0)
    r = rng.uniform(0.75, 3.5) if style != "thumb" else rng.uniform(0.75, 2.0)
    v0 = rng.uniform(0.2, 0.8) * L
    drift = rng.normal(0, 0.8, 2)
    rel = rng.uniform(0, 1)
    ecc = rng.uniform(0.6, 1.0)
    for h in range(2):
        ph = 2 * np.pi * (_cycles(t, rng, 1 / hz, 0.1) + (rel if h else 0.0)) * (1 if rng.random() < 0.7 else -1)
        cu, cv = SIDE[h] * rng.uniform(4, 14), v0 + rng.normal(0, 4)
        du, dv = r * np.cos(ph), ecc * r * np.sin(ph)
        base_u = cu + drift[0] * (t - t[0])
        base_v = np.clip(cv + drift[1] * (t - t[0]), 2, L - 2)
        a.yaw[h] = rng.normal(0, 0.5)
        if style == "thumb":  # the palm rests, the thumb tip circles
            a.u[h], a.v[h] = base_u + 0.08 * du, base_v + 0.08 * dv
            a.thumb[h, :, 0], a.thumb[h, :, 1] = du, dv
            a.flex[h] = rng.uniform(0.2, 0.5)
        else:
            a.u[h], a.v[h] = base_u + du, base_v + dv
            a.flex[h] = {"palm": 0.1, "fingertips": 0.55, "knuckles": 0.95}[style] + rng.uniform(-0.05, 0.1)
        a.z[h] = 0.2 * np.abs(np.sin(ph / 2))
    a.style = f"{style} {hz:.2f} Hz r {r:.2f} cm"
    if rng.random() < 0.3:
        _rest(a, int(rng.integers(2)), rng, L)
    return a


def d_tapotement(t, rng, L, style: str | None = None, rate: float | None = None) -> Act:
    n = len(t)
    a = Act(n, "tapotement")
    drawn = str(rng.choice(["hacking", "cupping", "fingertips", "flat"]))
    style = style or drawn
    hz = rng.uniform(2, 12)
    hz = rate or hz
    amp = rng.uniform(1, 4)
    wrist = rng.random() < 0.6  # from the wrist: the palm moves a fraction of the fingers' lift
    mode = rng.choice(["together", "alternate", "one"])
    v0 = rng.uniform(0.2, 0.8) * L
    drift = rng.normal(0, 1.5, 2)
    for h in range(2):
        ph = np.pi * _cycles(t, rng, 1 / hz, 0.06) + (np.pi / 2 if mode == "alternate" and h else 0.0)
        bounce = np.abs(np.sin(ph))  # contact at 0, lift in between
        a.u[h] = SIDE[h] * rng.uniform(4, 12) + drift[0] * (t - t[0])
        a.v[h] = np.clip(v0 + rng.normal(0, 3) + drift[1] * (t - t[0]), 2, L - 2)
        a.yaw[h] = rng.normal(0, 0.5) + (SIDE[h] * rng.uniform(0.8, 1.4) if style == "hacking" else 0)
        a.roll[h] = rng.uniform(1.2, 1.5) if style == "hacking" else 0.0
        base_flex = {"hacking": 0.05, "cupping": 0.35, "fingertips": 0.6, "flat": 0.05}[style]
        if wrist:
            a.z[h] = amp * rng.uniform(0.15, 0.5) * bounce
            a.flex[h] = base_flex - 0.25 * bounce  # the fingers flick up with the lift
        else:
            a.z[h] = amp * bounce
            a.flex[h] = base_flex
    a.style = f"{style} {hz:.1f} Hz {amp:.1f} cm {'wrist' if wrist else 'arm'} {mode}"
    if mode == "one":
        _rest(a, int(rng.integers(2)), rng, L)
    return a


def d_lifting(t, rng, L) -> Act:
    n = len(t)
    a = Act(n, "lifting")
    hz = rng.uniform(0.6, 1.3)
    amp = rng.uniform(2.5, 6)
    v_lo, v_hi = rng.uniform(0.1, 0.3) * L, rng.uniform(0.7, 0.9) * L
    # 2-3 passes, but each squeeze-and-lift moves on at most about a hand's width (8 cm)
    passes = int(np.clip(min(int(rng.integers(2, 4)), (t[-1] - t[0]) * 8 * hz // (v_hi - v_lo)), 1, 3))
    k = np.linspace(0, t[-1] - t[0] + 1e-6, passes + 1)
    vs = [v_lo if i % 2 == 0 else v_hi for i in range(passes + 1)]
    v = keyed(t - t[0], k, np.array(vs)[:, None])[:, 0]
    ph = 2 * np.pi * _cycles(t, rng, 1 / hz, 0.1)
    swing = rng.uniform(0.3, 0.6)
    for h in range(2):
        sgn = 1.0 if h == 0 else -1.0  # opposite phase
        rock = np.sin(ph) * sgn
        a.u[h] = SIDE[h] * rng.uniform(5, 10) + amp * rock
        a.v[h] = v + rng.normal(0, 2)
        a.yaw[h] = SIDE[h] * rng.uniform(1.0, 1.5) + swing * rock  # hands across the back, wiping
        a.flex[h] = rng.uniform(0.4, 0.7) + 0.15 * np.cos(ph)
        a.z[h] = 0.5 * (1 + np.cos(ph + sgn)) * rng.uniform(0.3, 1.2)
    a.style = f"lift {hz:.2f} Hz {passes} passes amp {amp:.1f} cm"
    return a


def d_fanning(t, rng, L) -> Act:
    n = len(t)
    a = Act(n, "fanning")
    per = rng.uniform(1.2, 2.5)
    v_top = rng.uniform(0.8, 0.95) * L
    spread = rng.uniform(6, 13)
    u_in = rng.uniform(1.5, 4)
    c = _cycles(t, rng, per, 0.08)
    c -= np.floor(c[0])
    ph, cyc = c % 1.0, np.floor(c)  # where in a fan, and which fan (each a step further down)
    step = (v_top - rng.uniform(0.05, 0.25) * L) / max(float(c[-1]), 1.0)  # from the top down to the hips
    for h in range(2):
        s = SIDE[h]
        keys = [0, 0.55, 0.75, 1.0]
        vals = [(u_in, 0, 0), (u_in + spread, -step * 0.7, 0), (u_in + spread * 0.5, -step * 0.8, 1.5), (u_in, -step, 0)]
        p = keyed(ph, keys, np.array(vals))
        a.u[h] = s * p[:, 0]
        a.v[h] = np.clip(v_top - step * cyc + p[:, 1], 0.05 * L, L)
        a.z[h] = p[:, 2]
        a.yaw[h] = np.pi + s * rng.uniform(0.1, 0.5)  # fingers toward the feet
        a.flex[h] = rng.uniform(0.0, 0.25)
        a.thumb[h, :, 1] = -1.5  # thumbs pressing beside the spine
    a.style = f"fan {per:.1f} s spread {spread:.0f} cm"
    return a


def d_twist(t, rng, L) -> Act:
    n = len(t)
    a = Act(n, "twist")
    hz = rng.uniform(0.5, 1.0)
    amp = rng.uniform(8, 14)
    k = np.linspace(0, t[-1] - t[0] + 1e-6, 7)
    vs = np.array([0.15, 0.85, 0.15, 0.85, 0.15, 0.85, 0.15])[:, None] * L
    v = keyed(t - t[0], k, vs)[:, 0]
    ph = 2 * np.pi * _cycles(t, rng, 1 / hz, 0.08)
    for h in range(2):
        a.u[h] = amp * np.sin(ph) * (1 if h == 0 else -1)
        a.v[h] = v + (3 if h == 0 else -3)
        a.yaw[h] = SIDE[h] * rng.uniform(1.2, 1.6)
        a.flex[h] = rng.uniform(0.05, 0.3)
    a.crossing_ok[:] = True
    a.style = f"twist {hz:.2f} Hz"
    return a


def d_idle(t, rng, L) -> Act:
    n = len(t)
    a = Act(n, "idle")
    for h in range(2):
        _rest(a, h, rng, L)
        a.u[h] += 0.15 * np.sin(2 * np.pi * t * rng.uniform(0.1, 0.4))  # breathing under the hands
        a.v[h] += 0.25 * np.sin(2 * np.pi * t * rng.uniform(0.15, 0.3))
    if rng.random() < 0.3:
        a.vis[int(rng.integers(2))] = False
    return a


MAKERS = {"effleurage": d_effleurage, "wrong_way": lambda t, r, L: d_effleurage(t, r, L, True),
          "petrissage": d_petrissage, "tapotement": d_tapotement, "lifting": d_lifting, "fanning": d_fanning,
          "twist": d_twist, "idle": d_idle}


def d_move(prev: Act, nxt: Act, t, rng) -> Act:
    """Repositioning: short, fast, lifted, without pressure ("other")."""
    n = len(t)
    a = Act(n, "other")
    s = mj((t - t[0]) / max(t[-1] - t[0], 1e-6))
    for k in ("u", "v", "z", "yaw", "roll", "flex"):
        x0, x1 = getattr(prev, k)[:, -1:], getattr(nxt, k)[:, :1]
        getattr(a, k)[:] = x0 + (x1 - x0) * s[None]
    a.thumb[:] = prev.thumb[:, -1:] + (nxt.thumb[:, :1] - prev.thumb[:, -1:]) * s[None, :, None]
    a.z += rng.uniform(2, 8) * np.sin(np.pi * s)[None]
    a.vis[:] = prev.vis[:, -1:] & nxt.vis[:, :1]
    return a


# -- the hand ---------------------------------------------------------------------------------------

@dataclass
class StickHand:
    palm: float     # wrist to the middle knuckle, cm
    width: float    # knuckle span, cm
    finger: float   # middle finger, cm

    @classmethod
    def random(cls, rng) -> "StickHand":
        p = rng.uniform(7.0, 11.0)
        return cls(p, p * rng.uniform(0.75, 0.9), p * rng.uniform(0.8, 0.98))


def hand_points(hs: StickHand, u, v, z, yaw, roll, flex, thumb, right: bool) -> np.ndarray:
    """(21, 3) world points (u, v, height) of one hand; the palm centre at (u, v, z)."""
    e1 = np.array([-np.sin(yaw), np.cos(yaw), 0.0])       # toward the fingers
    e2 = np.array([np.cos(yaw), np.sin(yaw), 0.0])        # the hand's right (seen from above)
    e3 = np.array([0.0, 0.0, 1.0])
    pts = np.zeros((21, 3))
    pts[0] = (-0.5 * hs.palm, 0, 1.5)                    # wrist (local: along, thumb side, up)
    fl = (0.92, 1.0, 0.93, 0.75)
    for f in range(4):
        across = (0.5 - f / 3) * hs.width                 # index on the thumb side
        base = np.array([0.5 * hs.palm - 0.05 * abs(f - 1.5) * hs.palm, across, 0.3])
        pts[5 + 4 * f] = base
        ang = 0.0
        p = base
        for j, share in enumerate((0.45, 0.3, 0.25)):
            ang += flex * (0.6, 1.1, 0.9)[j]
            p = p + fl[f] * hs.finger * share * np.array([np.cos(ang), 0.0, -np.sin(ang)])
            pts[6 + 4 * f + j] = p
    cmc = np.array([-0.3 * hs.palm, 0.35 * hs.width, 0.8])
    pts[1] = cmc
    # thumb offset (cm, hand frame: along the hand, toward the thumb side)
    tip = np.array([0.25 * hs.palm + thumb[0], 0.85 * hs.width + thumb[1], -0.2])
    for j, w in enumerate((0.4, 0.7, 1.0)):
        pts[2 + j] = cmc + (tip - cmc) * w + np.array([0, 0, 0.6 * np.sin(np.pi * w)])
    # local (along, thumb side, up) -> world; a right hand palm down has its thumb on its left
    tv = (-1.0 if right else 1.0) * e2
    c, s = np.cos(roll), np.sin(roll)  # roll: the thumb side goes up (hacking on the little finger's edge)
    tr, up = c * tv + s * e3, -s * tv + c * e3
    world = np.outer(pts[:, 0], e1) + np.outer(pts[:, 1], tr) + np.outer(pts[:, 2], up)
    world[:, 2] += z + 1.0 - min(0.0, float(world[:, 2].min()) + 1.0)
    world[:, 0] += u
    world[:, 1] += v
    return world


# -- camera and tracker --------------------------------------------------------------------------

@dataclass
class LookAt:
    width: int
    height: int
    focal: float
    pos: np.ndarray
    r: np.ndarray
    d: np.ndarray
    f: np.ndarray

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = pts - self.pos
        depth = q @ self.f
        x = self.width / 2 + self.focal * (q @ self.r) / depth
        y = self.height / 2 + self.focal * (q @ self.d) / depth
        return np.stack([x, y], -1), depth


def random_lookat(rng, L: float) -> LookAt:
    w, h = [(640, 480), (960, 540), (1280, 720), (640, 360)][int(rng.integers(4))]
    az = rng.uniform(0, 2 * np.pi)
    el = np.radians(rng.uniform(35, 80))
    dist = rng.uniform(90, 180)
    target = np.array([rng.normal(0, 3), L * rng.uniform(0.4, 0.6), 0.0])
    pos = target + dist * np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    f = (target - pos) / dist
    r = np.cross(f, [0, 0, 1.0])
    r /= np.linalg.norm(r)
    d = np.cross(f, r)
    roll = np.radians(rng.normal(0, 6))
    r, d = np.cos(roll) * r + np.sin(roll) * d, -np.sin(roll) * r + np.cos(roll) * d
    hfov = np.radians(rng.uniform(55, 75))
    return LookAt(w, h, w / 2 / np.tan(hfov / 2), pos, r, d, f)


def script_d(rng, minutes: float) -> list[tuple[str, float]]:
    out, total = [], 0.0
    while total < minutes * 60:
        k = str(rng.choice(["effleurage", "effleurage", "wrong_way", "petrissage", "petrissage", "tapotement",
                            "tapotement", "lifting", "fanning", "twist", "idle"]))
        dur = float(rng.uniform(3, 8) if k == "idle" else rng.uniform(6, 18))
        out.append((k, dur))
        total += dur
    return out


def simulate_d(rng: np.random.Generator, minutes: float = 1.5, script: list | None = None) -> SimulatedSession:
    L = rng.uniform(40, 64)
    fps = float(rng.choice([15, 20, 24, 25, 30, 30, 30, 48, 60]))
    acts: list[Act] = []
    for k, dur in script or script_d(rng, minutes):
        t = np.arange(max(int(dur * fps), 4)) / fps
        act = MAKERS[k](t, rng, L)
        if k in ("effleurage", "petrissage") and rng.random() < 0.3:  # a palm strays onto the spine
            h = int(rng.integers(2))
            s0 = rng.uniform(0.3, max(dur - 2.0, 0.4))
            w = mj((t - s0) / 0.3) * (1 - mj((t - s0 - rng.uniform(0.6, 1.6)) / 0.3))
            act.u[h] = act.u[h] * (1 - w) + rng.normal(0, 0.6) * w
        if acts:
            acts.append(d_move(acts[-1], act, np.arange(max(int(rng.uniform(0.3, 1.2) * fps), 2)) / fps, rng))
            if rng.random() < 0.3:  # a still hold before starting
                hold = Act(max(int(rng.uniform(0.3, 1.0) * fps), 2), "other")
                for key in ("u", "v", "z", "yaw", "roll", "flex"):
                    getattr(hold, key)[:] = getattr(act, key)[:, :1]
                hold.z[:] += 1.0
                hold.vis[:] = act.vis[:, :1]
                acts.append(hold)
        acts.append(act)
    n = sum(x.n for x in acts)
    times = np.cumsum(np.r_[0.0, (1 + rng.uniform(-0.15, 0.15, n - 1)) / fps])
    labels = np.concatenate([[x.label] * x.n for x in acts]).astype(str)
    cat = {k: np.concatenate([getattr(x, k) for x in acts], axis=1) for k in ("u", "v", "z", "yaw", "roll", "flex", "thumb", "vis")}
    crossing_ok = np.concatenate([x.crossing_ok for x in acts])
    strokes, off = [], 0
    for x in acts:
        for s in x.strokes:
            i0 = min(off + int(round(s["start"] * fps)), n - 1)
            i1 = min(off + int(round(s["end"] * fps)), n - 1)
            strokes.append({**s, "start": float(times[i0]), "end": float(times[i1])})
        off += x.n
    hands = [StickHand.random(rng), StickHand.random(rng)]
    cam = random_lookat(rng, L)
    world = np.empty((2, n, 21, 3))
    for h in range(2):
        for i in range(n):
            world[h, i] = hand_points(hands[h], cat["u"][h, i], cat["v"][h, i], cat["z"][h, i], cat["yaw"][h, i],
                                      cat["roll"][h, i], cat["flex"][h, i], cat["thumb"][h, i], right=(h == 1))
    # Truth over the spine: a palm (touching) within half its knuckle span of the spine line. The
    # palm centre is the middle of the wrist and the four knuckles, as the guide's distance is
    # stated (not the point the hand is driven by, which lies nearer the wrist).
    half = np.array([0.5 * x.width for x in hands])[:, None]
    palm = world[:, :, [0, 5, 9, 13, 17], :2].mean(axis=2)
    on = (np.abs(palm[..., 0]) < half) & (palm[..., 1] >= 0) & (palm[..., 1] <= L) & cat["vis"] & (cat["z"] < 2.0)
    for h in range(2):
        for s, e in _runs(on[h]):
            if crossing_ok[s:e].all() and times[e - 1] - times[s] < 0.5:
                on[h, s:e] = False
    frames = _tracker(world, cat["vis"], times, cam, rng)
    from feedback.tracks import BRIDGE_GAP_S  # the label's definition
    last = np.maximum.accumulate(np.where(cat["vis"].any(axis=0), times, -np.inf))
    labels = np.where(times - last > BRIDGE_GAP_S, "no_hands", labels)
    px, _ = cam.project(np.array([[0.0, L, 0.0], [0.0, 0.0, 0.0]]))
    spine = SpinePoints(head=(px[0, 0] / cam.width, px[0, 1] / cam.height),
                        sacrum=(px[1, 0] / cam.width, px[1, 1] / cam.height))
    keep = rng.random(n) >= rng.uniform(0.0, 0.08)  # frames the stream never delivered
    idx = np.flatnonzero(keep)
    return SimulatedSession(times[idx], labels[idx], on.any(axis=0)[idx], strokes, spine, [frames[i] for i in idx],
                    Rig(Camera(cam.width, cam.height), fps, L))


def _tracker(world, vis, times, cam: LookAt, rng) -> list[HandFrame]:
    """A smoothing tracker: exponential filter, heavy-tailed noise, shake, short missed runs."""
    n = world.shape[1]
    alpha = rng.uniform(0.45, 1.0)       # 1: no smoothing
    noise = rng.uniform(0.008, 0.025)    # palm sizes: a still hand's landmarks jitter 1-2% of its size
    shake = rng.uniform(0.003, 0.015)    # and the whole hand wanders a little (AR: up to 0.025)
    miss_p = rng.uniform(0.0, 0.06)
    frames = []
    state = [None, None]
    wob = np.zeros((2, 2))
    missing = [0, 0]
    for i in range(n):
        hands = []
        for h in range(2):
            if not vis[h, i]:
                state[h] = None
                continue
            px, depth = cam.project(world[h, i])
            size = np.linalg.norm(px[0] - px[9]) + 1e-6
            if missing[h] == 0 and rng.random() < miss_p:
                missing[h] = int(rng.integers(1, 6))
            if missing[h]:
                missing[h] -= 1
                state[h] = None
                continue
            wob[h] = 0.8 * wob[h] + rng.normal(0, shake * size, 2)
            p = px + wob[h] + rng.standard_t(3, (21, 2)).clip(-6, 6) * noise * size * 0.6
            state[h] = p if state[h] is None else alpha * p + (1 - alpha) * state[h]
            q = state[h]
            lm = np.empty((21, 3))
            lm[:, 0] = q[:, 0] / cam.width
            lm[:, 1] = q[:, 1] / cam.height
            lm[:, 2] = (depth - depth[0]) / depth[0] * cam.focal / cam.width
            hands.append(Hand(lm, ("Left", "Right")[h] if rng.random() > 0.05 else ("Left", "Right")[1 - h],
                              float(rng.uniform(0.5, 1.0))))
        if rng.random() < 0.5:
            hands.reverse()
        frames.append(HandFrame(float(times[i]), hands))
    return frames
