"""The guide's techniques as two-hand kinematics on a back, with exact ground truth.

Each technique is a function of time that moves the two palm centres over the back (cm, back
coordinates: u across, v along the spine from the sacrum toward the neck) and articulates the
hands. Parameters are drawn per session from ranges wide enough to stand for many people:
speeds, circle sizes, tapping rates, hand headings, where on the back they work.

What the guide asks, and so what is simulated (guide Part 2, steps 10-15):
- effleurage: long even glides from the bottom of the back upward, then the hands come down
  the outside of the back lightly, keeping contact;
- petrissage: shorter circular kneading strokes across the entire back;
- tapotement: brief repetitive contacts with relaxed, flexing wrists;
- muscle lifting ("lobster claw", twisting lift, hands alternating like windshield wipers, up and
  down the back 2-3 times); fanning (thumbs either side of the spine, from the top of the back
  down to the hips); twists (hands sliding past each other in opposite directions, up to the
  shoulders and back, three times).
Plus what a learner also does: the wrong-way glide (down the middle), resting hands, hands
off the back, repositioning ("other"), and hands that drift over the spine.
Ranges are those of people: tapping 2-12 Hz with lifts of 1-4 cm, one hand or both, alternating
or together; kneading circles 1.5-7 cm across (thumbs, fingertips) up to palm-sized, 0.4-2 Hz,
sometimes one hand working while the other rests; glides slow to brisk, short to full length.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .hand_model import HandPose, PALM_IDS, local_landmarks, place

LEFT, RIGHT = 0, 1  # the hand on the -u side and on the +u side


@dataclass
class Motion:
    """Per-frame state of both hands for one segment: arrays with a leading (2, T) hand axis."""

    palm: np.ndarray      # (2, T, 2) palm-centre u, v (cm)
    heading: np.ndarray   # (2, T) radians from +v, counter-clockwise seen from above
    lift: np.ndarray      # (2, T) height of the hand above the skin (cm)
    curl: np.ndarray      # (2, T)
    pitch: np.ndarray     # (2, T)
    cup: np.ndarray       # (2, T)
    visible: np.ndarray   # (2, T) bool: the hand is in view
    label: str
    strokes: list = field(default_factory=list)  # truth strokes, times relative to segment start
    crossing_ok: np.ndarray | None = None  # (T,) the palms pass over the spine by design (twists)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a boolean array."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def min_jerk(x: np.ndarray) -> np.ndarray:
    """Smooth 0->1 profile of human reaching movements (Flash & Hogan 1985)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10 - 15 * x + 6 * x * x)


def _blank(n: int, label: str) -> Motion:
    z = np.zeros((2, n))
    return Motion(np.zeros((2, n, 2)), z.copy(), z.copy(), z + 0.1, z.copy(), z.copy(),
                  np.ones((2, n), bool), label)


def _waypoints(t: np.ndarray, times: list[float], points: list) -> np.ndarray:
    """Piecewise min-jerk path through waypoints reached at the given times."""
    pts = np.asarray(points, float)
    out = np.empty((len(t),) + pts.shape[1:])
    for i in range(len(times) - 1):
        a, b = times[i], times[i + 1]
        sel = (t >= a) & (t < b) if i < len(times) - 2 else (t >= a)
        s = min_jerk((t[sel] - a) / max(b - a, 1e-6))
        out[sel] = pts[i] + (pts[i + 1] - pts[i]) * s[:, None]
    return out


def effleurage(t: np.ndarray, rng: np.random.Generator, spine_cm: float, wrong_way: bool = False,
               span: tuple[float, float] | None = None, alternate: bool | None = None) -> Motion:
    """Cycles of a pressing glide beside the spine and a light return down the outside.

    Correct: glide up toward the head, return down the outside. Wrong way: the mirror, a
    glide down beside the spine and the return up the outside. `span` (shares of the spine from
    the sacrum) fixes where the glides start and end, for tests (the same draws otherwise).
    """
    n = len(t)
    m = _blank(n, "effleurage")
    u_in = rng.uniform(5.5, 9.0)
    u_out = rng.uniform(14.0, 19.0)
    v_lo = rng.uniform(0.03, 0.3) * spine_cm
    v_hi = min(v_lo + rng.uniform(0.4, 0.95) * spine_cm, 1.02 * spine_cm)
    if span is not None:
        v_lo, v_hi = span[0] * spine_cm, span[1] * spine_cm
    glide_speed = rng.uniform(8.0, 40.0)
    return_speed = glide_speed * rng.uniform(1.0, 1.8)
    length = v_hi - v_lo
    t_glide = length / glide_speed
    t_turn = rng.uniform(0.35, 0.7)
    t_return = length / return_speed
    cycle = t_glide + t_return + 2 * t_turn
    # One path for the +u hand: bottom-in -> top-in -> top-out -> bottom-out -> bottom-in.
    times = [0.0, t_glide, t_glide + t_turn, t_glide + t_turn + t_return, cycle]
    path = [(u_in, v_lo), (u_in + rng.uniform(0, 3), v_hi), (u_out, v_hi - 3), (u_out, v_lo + 2), (u_in, v_lo)]
    phase0 = (t + rng.uniform(0, 0.3) * cycle) % cycle
    # Hands glide together, mirrored, or alternate: one presses up while the other comes back
    # down the outside (half a cycle apart), as people also do.
    drawn = rng.random() < 0.25
    alternate = drawn if alternate is None else alternate  # tests fix it (the same draws otherwise)
    heading_glide = rng.normal(0, 0.15) + (np.pi if wrong_way and rng.random() < 0.5 else 0.0)
    heading_out = heading_glide + rng.uniform(0.3, 1.2)
    phases = []
    for hand, sign in ((LEFT, -1.0), (RIGHT, 1.0)):
        phase = (phase0 + (0.5 * cycle if alternate and hand == RIGHT else 0.0)) % cycle
        if wrong_way:
            phase = cycle - phase  # time-reversed: pressing glide runs down, return runs up
        phases.append(phase)
        p = _waypoints(phase, times, path)
        h = np.where(phase < t_glide, heading_glide,
                     np.where(phase < t_glide + t_turn,
                              heading_glide + (heading_out - heading_glide) * (phase - t_glide) / t_turn,
                              np.where(phase < t_glide + t_turn + t_return, heading_out, heading_glide)))
        m.palm[hand, :, 0] = sign * p[:, 0]
        m.palm[hand, :, 1] = p[:, 1]
        m.heading[hand] = -sign * (h - heading_glide) + heading_glide
        m.lift[hand] = np.where(((phase > t_glide + t_turn) & (phase < t_glide + t_turn + t_return)), 0.3, 0.0)
    m.curl[:] = rng.uniform(0.0, 0.15)
    # Truth strokes: each pressing glide and each return, as runs of the path parameter (once for
    # hands gliding together, for each hand when they alternate; not for a hand that rests).
    rest = int(rng.integers(2)) if rng.random() < 0.25 else None  # one hand glides, the other rests
    if rest is not None:
        _rest_hand(m, rest, rng, spine_cm)
    for hand, phase in enumerate(phases[:2 if alternate else 1]):
        if alternate and hand == rest:
            continue
        if not alternate and rest == 0:
            phase = phases[1]  # the same phase: the working hand's strokes
        glide = phase < t_glide
        back = (phase >= t_glide + t_turn) & (phase < t_glide + t_turn + t_return)
        for mask, ret in ((glide, False), (back, True)):
            for a, b in _runs(mask):
                up = (not ret) != wrong_way
                m.strokes.append({"type": "effleurage", "start": float(t[a]), "end": float(t[b - 1]),
                                  "direction": "up" if up else "down", "return": ret,
                                  # cut by the segment's edges: part of a stroke, not a whole one
                                  "partial": a == 0 or b == n})
    return m


def _rest_hand(m: Motion, hand: int, rng: np.random.Generator, spine_cm: float) -> None:
    """The guide's 'keep one hand on the person': one hand resting still while the other works."""
    if rng.random() < 0.3:
        m.visible[hand] = False
        return
    sign = -1.0 if hand == LEFT else 1.0
    m.palm[hand, :, 0] = sign * rng.uniform(6, 14)
    m.palm[hand, :, 1] = rng.uniform(0.2, 0.8) * spine_cm
    m.lift[hand] = m.pitch[hand] = 0.0
    m.curl[hand] = rng.uniform(0.05, 0.3)


def _raster(t: np.ndarray, rng: np.random.Generator, spine_cm: float, speed: float, u_range) -> np.ndarray:
    """A slow sweep over one side of the back (the guide: 'across the entire back')."""
    v_lo, v_hi = 0.1 * spine_cm, 0.9 * spine_cm
    span = v_hi - v_lo
    period = 2 * span / speed
    tri = np.abs(((t - t[0]) / period + rng.random()) % 1.0 * 2 - 1)  # 0..1..0
    v = v_lo + span * tri
    u = u_range[0] + (u_range[1] - u_range[0]) * (0.5 + 0.5 * np.sin(2 * np.pi * (t - t[0]) / rng.uniform(6, 14) + rng.uniform(0, 6)))
    return np.stack([u, v], axis=-1)


def petrissage(t: np.ndarray, rng: np.random.Generator, spine_cm: float) -> Motion:
    """Each hand kneads in small circles while the circles travel slowly over the back."""
    m = _blank(len(t), "petrissage")
    rate = rng.uniform(0.4, 2.0)
    same_direction = rng.random() < 0.5
    small = rng.random() < 0.35  # thumbs or fingertips: circles 1.5-7 cm across
    # The two hands' circles in any relative phase: together, opposite (one hand pushing out
    # while the other draws in, alternating) or anywhere between.
    lag = rng.uniform(0, 2 * np.pi)
    for hand, sign in ((LEFT, -1.0), (RIGHT, 1.0)):
        r = (rng.uniform(1.0, 3.0) if small else rng.uniform(2.5, 5.5)) * (1 + 0.15 * np.sin(2 * np.pi * t / rng.uniform(3, 7)))
        c = _raster(t, rng, spine_cm, rng.uniform(1.5, 4.0), (r.max() + 5.5, r.max() + 11.0))
        turn = 1.0 if (same_direction or hand == RIGHT) else -1.0
        ang = turn * 2 * np.pi * rate * t + (lag if hand == RIGHT else 0.0) + rng.uniform(-0.3, 0.3)
        ang += 0.25 * np.sin(2 * np.pi * t / rng.uniform(2, 5))  # uneven tempo
        m.palm[hand, :, 0] = sign * c[:, 0] + r * np.cos(ang)
        m.palm[hand, :, 1] = c[:, 1] + r * np.sin(ang)
        m.heading[hand] = sign * rng.uniform(0.0, 1.4) + 0.2 * np.sin(ang)
        m.curl[hand] = rng.uniform(0.15, 0.6) + 0.1 * np.sin(ang + 1)
        m.lift[hand] = 0.0
    if rng.random() < 0.25:
        _rest_hand(m, int(rng.integers(2)), rng, spine_cm)
    return m


def tapotement(t: np.ndarray, rng: np.random.Generator, spine_cm: float, rate: float | None = None) -> Motion:
    """Alternating hands tap the back a few times a second with relaxed, flexing wrists."""
    m = _blank(len(t), "tapotement")
    rate = rng.uniform(2.0, 12.0) if rate is None else rate
    amp = rng.uniform(1.0, 4.0)
    pitch_amp = rng.uniform(0.1, 0.45)
    cup = rng.uniform(0.0, 1.0)
    together = rng.random() < 0.3
    # Often the lift comes from the wrist alone (hacking, fingertips): the forearm stays, the hand
    # turns about the wrist, the fingertips travel the 1-4 cm and the palm centre a fraction of it.
    lift_share = 1.0 if rng.random() < 0.5 else rng.uniform(0.1, 0.35)
    if lift_share < 1.0:
        pitch_amp = max(pitch_amp, amp / 16.0)  # fingertips about 16 cm from the wrist
    for hand, sign in ((LEFT, -1.0), (RIGHT, 1.0)):
        c = _raster(t, rng, spine_cm, rng.uniform(3.0, 8.0), (6.0, 13.0))
        f = rate * (1 + 0.05 * np.sin(2 * np.pi * t / 3.0 + hand))
        phase = 2 * np.pi * np.cumsum(np.r_[0.0, np.diff(t)] * f) + (np.pi if hand and not together else 0.0)
        up = 0.5 - 0.5 * np.cos(phase)  # 0 at the contact
        m.palm[hand, :, 0] = sign * c[:, 0]
        m.palm[hand, :, 1] = c[:, 1]
        m.lift[hand] = amp * lift_share * up
        m.pitch[hand] = pitch_amp * up
        m.heading[hand] = sign * rng.uniform(0.0, 1.6)
        m.curl[hand] = rng.uniform(0.05, 0.35)
        m.cup[hand] = cup
    if rng.random() < 0.25:
        _rest_hand(m, int(rng.integers(2)), rng, spine_cm)
    return m


def idle(t: np.ndarray, rng: np.random.Generator, spine_cm: float) -> Motion:
    """Hands resting on the back (moving only with the partner's breathing) or out of view."""
    m = _blank(len(t), "idle")
    if rng.random() < 0.4:
        m.visible[:] = False
    breath = 0.4 * np.sin(2 * np.pi * t / rng.uniform(3.5, 5.5))
    for hand, sign in ((LEFT, -1.0), (RIGHT, 1.0)):
        m.palm[hand, :, 0] = sign * rng.uniform(6, 14) + rng.normal(0, 0.05, len(t)).cumsum() * 0.05
        m.palm[hand, :, 1] = rng.uniform(0.2, 0.8) * spine_cm + breath
        m.heading[hand] = rng.normal(0, 0.4)
    if rng.random() < 0.3:  # one hand resting, the other off the back
        m.visible[rng.integers(2)] = False
    return m


def lifting(t: np.ndarray, rng: np.random.Generator, spine_cm: float, reps: int | None = None) -> Motion:
    """Muscle lifting: 'lobster claw' hands grip, lift and twist, alternating like windshield
    wipers, while working up and down the back (guide step 13: 'up and down the back 2-3 times')."""
    m = _blank(len(t), "lifting")
    dur = t[-1] - t[0] + 1e-6
    reps = int(rng.integers(1, 3)) if reps is None else reps
    lo, hi = rng.uniform(0.1, 0.3) * spine_cm, rng.uniform(0.7, 0.9) * spine_cm
    trip = np.abs(((t - t[0]) / dur * reps) % 1.0 * 2 - 1)  # 1 -> 0 -> 1 per round trip
    v = hi + (lo - hi) * min_jerk(trip)
    rate = rng.uniform(0.4, 1.2)
    side = rng.choice([-1.0, 1.0])
    u0 = side * rng.uniform(6, 13)
    for hand in (LEFT, RIGHT):
        ph = 2 * np.pi * rate * (t - t[0]) + np.pi * hand
        grip = 0.5 + 0.5 * np.sin(ph)
        m.palm[hand, :, 0] = u0 + rng.uniform(2, 5) * np.sin(ph)
        m.palm[hand, :, 1] = v + (hand - 0.5) * rng.uniform(4, 8)
        m.heading[hand] = side * 1.4 + rng.uniform(0.3, 0.7) * np.sin(ph)
        m.curl[hand] = 0.4 + 0.3 * grip
        m.lift[hand] = rng.uniform(0.5, 2.0) * grip
        m.pitch[hand] = 0.15 * grip
    for i in range(2 * reps):
        m.strokes.append({"type": "lifting", "start": float(t[0] + dur * i / (2 * reps)),
                          "end": float(t[0] + dur * (i + 1) / (2 * reps)), "direction": "down" if i % 2 == 0 else "up"})
    return m


def fanning(t: np.ndarray, rng: np.random.Generator, spine_cm: float) -> Motion:
    """From the head of the table, thumbs either side of the spine fan outward, alternating,
    while the hands work from the top of the back down to the hips (guide step 14)."""
    m = _blank(len(t), "fanning")
    dur = t[-1] - t[0] + 1e-6
    top, bottom = rng.uniform(0.8, 0.97) * spine_cm, rng.uniform(0.03, 0.15) * spine_cm
    s = (t - t[0]) / dur
    v = top + (bottom - top) * (0.8 * s + 0.2 * min_jerk(s))
    rate = rng.uniform(0.4, 1.3)
    for hand, sign in ((LEFT, -1.0), (RIGHT, 1.0)):
        push = np.abs(np.sin(np.pi * rate * (t - t[0]) + hand * np.pi / 2))
        m.palm[hand, :, 0] = sign * (rng.uniform(5.5, 8.0) + rng.uniform(1.5, 4.0) * push)
        m.palm[hand, :, 1] = v
        m.heading[hand] = np.pi + sign * (rng.uniform(0.1, 0.4) + 0.3 * push)
        m.curl[hand] = rng.uniform(0.2, 0.45)
    m.strokes.append({"type": "fanning", "start": float(t[0]), "end": float(t[-1]), "direction": "down"})
    return m


def twist(t: np.ndarray, rng: np.random.Generator, spine_cm: float) -> Motion:
    """Hands on both hips pull and push in opposite directions, sliding past each other across
    the spine, working up to the shoulders and back down (guide step 15: 'Repeat three times')."""
    m = _blank(len(t), "twist")
    dur = t[-1] - t[0] + 1e-6
    reps = int(rng.integers(1, 4))
    lo, hi = rng.uniform(0.05, 0.15) * spine_cm, rng.uniform(0.75, 0.92) * spine_cm
    trip = np.abs(((t - t[0]) / dur * reps) % 1.0 * 2 - 1)
    v = hi + (lo - hi) * min_jerk(trip)
    amp = rng.uniform(8.0, 15.0)
    ph = 2 * np.pi * rng.uniform(0.35, 1.0) * (t - t[0]) + rng.uniform(0, 2 * np.pi)
    gap = rng.uniform(3.0, 7.0)
    side = rng.choice([-1.0, 1.0])  # the side of the table the person stands at
    for hand, sign in ((LEFT, -1.0), (RIGHT, 1.0)):
        m.palm[hand, :, 0] = sign * amp * np.sin(ph)
        m.palm[hand, :, 1] = v + sign * gap / 2
        m.heading[hand] = side * rng.normal(1.4, 0.2) + 0.2 * np.sin(ph)
        m.curl[hand] = rng.uniform(0.05, 0.3)
    m.crossing_ok = np.ones(len(t), bool)
    for i in range(reps):
        m.strokes.append({"type": "twist", "start": float(t[0] + dur * i / reps), "end": float(t[0] + dur * (i + 1) / reps)})
    return m


def other(t: np.ndarray, rng: np.random.Generator, spine_cm: float) -> Motion:
    """Repositioning: quick moves (0.5-1.5 s) of the hands to new places, lifted or sliding,
    with holds between them."""
    m = _blank(len(t), "other")
    dur = t[-1] - t[0] + 1e-6
    moves = int(rng.integers(1, 4))
    starts = np.sort(rng.uniform(0, max(dur - 1.5, 0.1), moves))
    for hand, sign in ((LEFT, -1.0), (RIGHT, 1.0)):
        p = np.array([sign * rng.uniform(5, 15), rng.uniform(0.1, 0.9) * spine_cm])
        m.palm[hand] = p
        m.heading[hand] = rng.normal(0, 0.6)
        for s0 in starts:
            q = np.array([sign * rng.uniform(5, 15), rng.uniform(0.1, 0.9) * spine_cm])
            s = min_jerk((t - t[0] - s0) / rng.uniform(0.5, 1.5))
            m.palm[hand] = m.palm[hand] + (q - p) * s[:, None]
            m.lift[hand] += rng.uniform(0.0, 5.0) * np.sin(np.pi * s)
            p = q
    return m


TECHNIQUES = {
    "effleurage": effleurage,
    "wrong_way": lambda t, rng, L: effleurage(t, rng, L, wrong_way=True),
    "petrissage": petrissage,
    "tapotement": tapotement,
    "idle": idle,
    "lifting": lifting,
    "fanning": fanning,
    "twist": twist,
    "other": other,
}


def spine_drift(m: Motion, t: np.ndarray, rng: np.random.Generator, start: float, duration: float) -> None:
    """One hand slides onto the spine (palm centre on the line) and back off."""
    hand = int(rng.integers(2))
    ramp = rng.uniform(0.25, 0.5)
    a = min_jerk((t - start) / ramp) * (1 - min_jerk((t - start - duration - ramp) / ramp))
    target = rng.normal(0.0, 0.6)
    m.palm[hand, :, 0] = m.palm[hand, :, 0] * (1 - a) + target * a


def hand_landmarks(m: Motion, hand: int, size: float) -> np.ndarray:
    """(T, 21, 3) back-coordinate landmarks of one hand through a segment."""
    n = m.palm.shape[1]
    out = np.empty((n, 21, 3))
    left = hand == LEFT
    for i in range(n):
        pose = HandPose(curl=m.curl[hand, i], wrist_pitch=m.pitch[hand, i], cup=m.cup[hand, i])
        loc = local_landmarks(pose, size, left=left)
        # Control the palm centre: put the wrist behind it along the heading.
        centre = loc[list(PALM_IDS), :2].mean(axis=0)
        c, s = np.cos(m.heading[hand, i]), np.sin(m.heading[hand, i])
        rot = np.array([[c, -s], [s, c]])
        wrist = m.palm[hand, i] - rot @ centre
        out[i] = place(loc, wrist, m.heading[hand, i], m.lift[hand, i])
    return out
