"""Whole simulated sessions: a script of techniques, a camera, and what a tracker would report.

`simulate` returns the clean 3-D hands (for rendering), the exact truth (technique per frame,
hand over the spine per frame, strokes) and the observed track: MediaPipe-like normalised
landmarks with the faults real tracking has (jitter, missed frames and half-second gaps,
handedness swaps, uneven timestamps, any frame rate from 15 to 60).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from feedback import guide
from tracker.types import Hand, HandFrame, SpinePoints

from .camera import Camera
from .choreography import TECHNIQUES, Motion, hand_landmarks, min_jerk, spine_drift
from .hand_model import KNUCKLE_WIDTH_CM, PALM_IDS


@dataclass
class Segment:
    technique: str  # a key of choreography.TECHNIQUES
    duration: float
    drifts: list[tuple[float, float]] = field(default_factory=list)  # (start, duration) onto the spine


@dataclass
class Rig:
    """The person, the hands and the camera of one session."""

    camera: Camera
    spine_cm: float = 52.0
    hand_sizes: tuple[float, float] = (1.0, 1.0)
    fps: float = 30.0


@dataclass
class Noise:
    """Tracking faults. Fractions of hand length for jitter."""

    jitter: float = 0.01
    wobble: float = 0.01
    miss_rate: float = 0.08        # single missed detections per hand
    gap_rate: float = 0.1          # gaps of up to max_gap_s per hand, per second (one in 10 s)
    max_gap_s: float = 0.5
    timestamp_jitter: float = 0.15  # fraction of a frame interval
    drop_frames: float = 0.02       # frames the stream never delivers
    handedness_swap: float = 0.05

    @classmethod
    def none(cls) -> "Noise":
        return cls(0, 0, 0, 0, 0, 0, 0, 0)


@dataclass
class Simulation:
    t: np.ndarray                # (T,) frame times (s)
    hands_back: np.ndarray       # (2, T, 21, 3) clean landmarks in back coordinates (cm)
    visible: np.ndarray          # (2, T)
    labels: np.ndarray           # (T,) truth technique
    over_spine: np.ndarray       # (T,) truth: a visible hand's palm is over the spine
    strokes: list[dict]
    spine: SpinePoints           # normalised image coordinates
    frames: list[HandFrame]      # what a tracker would report (with the faults in Noise)
    frame_index: np.ndarray      # index into t / labels of each delivered frame
    rig: Rig

    def truth_labels(self) -> np.ndarray:
        """Truth technique of each delivered frame."""
        return self.labels[self.frame_index]

    def truth_over_spine(self) -> np.ndarray:
        return self.over_spine[self.frame_index]


def random_camera(rng: np.random.Generator, spine_cm: float, width: int = 640, height: int = 480,
                  azimuth_deg: float | None = None, distance=(75.0, 125.0), elevation=(38.0, 78.0)) -> Camera:
    """A laptop camera somewhere around the table, looking at the back, the back in view."""
    centre = np.array([0.0, 0.5 * spine_cm, 0.0])
    for _ in range(200):
        az = np.radians(rng.uniform(0, 360) if azimuth_deg is None else azimuth_deg + rng.normal(0, 12))
        elev = np.radians(rng.uniform(*elevation))
        dist = rng.uniform(*distance)
        hfov = rng.uniform(55, 72)
        eye = centre + dist * np.array([np.cos(elev) * np.cos(az), np.cos(elev) * np.sin(az), np.sin(elev)])
        target = centre + np.array([rng.normal(0, 4), rng.normal(0, 4), 0])
        cam = Camera.look_at(width, height, hfov, eye, target, roll_deg=rng.normal(0, 5))
        corners = np.array([[u, v, 0] for u in (-20, 20) for v in (-5, spine_cm + 5)])
        px, z = cam.project(corners)
        if (z > 0).all() and (px[:, 0] > 0.03 * width).all() and (px[:, 0] < 0.97 * width).all() \
                and (px[:, 1] > 0.03 * height).all() and (px[:, 1] < 0.97 * height).all():
            return cam
    raise RuntimeError("no camera pose keeps the back in view")


def random_rig(rng: np.random.Generator, fps: float | None = None, width: int = 640, height: int = 480,
               azimuth_deg: float | None = None) -> Rig:
    spine_cm = rng.uniform(44, 60)
    return Rig(random_camera(rng, spine_cm, width, height, azimuth_deg), spine_cm,
               (rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15)),
               float(fps if fps is not None else rng.choice([15, 20, 24, 25, 30, 30, 50, 60])))


def random_script(rng: np.random.Generator, minutes: float = 1.5) -> list[Segment]:
    """Techniques in a loose guide order with idle breaks, other moves and spine drifts."""
    segs: list[Segment] = []
    total = 0.0
    order = ["effleurage", "petrissage", "tapotement"]
    guided = ["lifting", "fanning", "twist"]  # long enough for a pass or repetition or more
    while total < minutes * 60:
        kind = rng.choice(order + ["wrong_way"] + guided + ["idle", "other"],
                          p=[0.16, 0.15, 0.15, 0.08, 0.1, 0.1, 0.1, 0.1, 0.06])
        dur = float(rng.uniform(6, 16) if kind in order + ["wrong_way"] else rng.uniform(7, 18) if kind in guided
                    else rng.uniform(2.5, 6))
        drifts = []
        if kind in ("effleurage", "petrissage") and rng.random() < 0.35:
            drifts.append((float(rng.uniform(1.0, dur - 3.0)), float(rng.uniform(0.5, 1.5))))
        segs.append(Segment(str(kind), dur, drifts))
        total += dur
    return segs


def _concat(parts: list[Motion]) -> tuple[Motion, np.ndarray]:
    labels = np.concatenate([np.full(p.palm.shape[1], p.label, dtype=object) for p in parts])
    cat = Motion(*(np.concatenate([getattr(p, k) for p in parts], axis=1)
                   for k in ("palm", "heading", "lift", "curl", "pitch", "cup", "visible")), label="mixed")
    cat.crossing_ok = np.concatenate([p.crossing_ok if p.crossing_ok is not None else np.zeros(p.palm.shape[1], bool)
                                      for p in parts])
    return cat, labels


def _transition(a: Motion, b: Motion, t: np.ndarray) -> Motion:
    """Move the hands from where one segment ended to where the next begins ("other")."""
    s = min_jerk((t - t[0]) / max(t[-1] - t[0], 1e-6))
    m = Motion(np.zeros((2, len(t), 2)), *(np.zeros((2, len(t))) for _ in range(5)),
               visible=np.ones((2, len(t)), bool), label="other")
    for k in ("heading", "lift", "curl", "pitch", "cup"):
        x0, x1 = getattr(a, k)[:, -1:], getattr(b, k)[:, :1]
        getattr(m, k)[:] = x0 + (x1 - x0) * s
    m.palm[:] = a.palm[:, -1:] + (b.palm[:, :1] - a.palm[:, -1:]) * s[None, :, None]
    m.visible[:] = a.visible[:, -1:] & b.visible[:, :1]
    return m


def simulate(script: list[Segment], rig: Rig, rng: np.random.Generator, noise: Noise | None = None) -> Simulation:
    noise = noise or Noise()
    dt = 1.0 / rig.fps
    parts: list[Motion] = []
    strokes: list[dict] = []
    t0 = 0.0
    for i, seg in enumerate(script):
        n = max(int(round(seg.duration / dt)), 2)
        t = t0 + dt * np.arange(n)
        m = TECHNIQUES[seg.technique](t, rng, rig.spine_cm)
        for start, dur in seg.drifts:
            spine_drift(m, t, rng, t0 + start, dur)
        if parts:
            nt = int(round(rng.uniform(0.4, 1.0) / dt))
            tt = t0 + dt * np.arange(nt)
            parts.append(_transition(parts[-1], m, tt))
            shift = nt * dt
            for s in m.strokes:
                s["start"] += shift
                s["end"] += shift
            t0 += shift
        parts.append(m)
        strokes.extend(m.strokes)
        t0 += n * dt
    motion, labels = _concat(parts)
    n = len(labels)
    t = dt * np.arange(n)
    hands = np.stack([hand_landmarks(motion, h, rig.hand_sizes[h]) for h in (0, 1)])
    visible = motion.visible.copy()
    # With no hand in view for longer than tracking bridges, the truth is "no hands", not a technique.
    labels = np.where(out_of_view(t, visible.any(axis=0)), "no_hands", labels.astype(str))
    # Truth over the spine: the palm centre within the band, between neck and sacrum, touching.
    palm = hands[:, :, list(PALM_IDS), :].mean(axis=2)
    band = guide.SPINE_BAND_PALM_WIDTHS * KNUCKLE_WIDTH_CM * np.asarray(rig.hand_sizes)[:, None]
    on = (np.abs(palm[..., 0]) < band) & (palm[..., 1] >= 0) & (palm[..., 1] <= rig.spine_cm) \
        & visible & (motion.lift < 2.5)
    # A twist's palms pass over the spine by design: a pass shorter than 0.5 s is not a hand on it.
    for h in (0, 1):
        d = np.diff(np.r_[0, on[h].astype(np.int8), 0])
        for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
            if motion.crossing_ok[a:b].all() and (b - a) * dt < 0.5:
                on[h, a:b] = False
    over = on.any(axis=0)
    cam = rig.camera
    head_px, _ = cam.project(np.array([[0.0, rig.spine_cm, 0.0], [0.0, 0.0, 0.0]]))
    spine = SpinePoints(head=(head_px[0, 0] / cam.width, head_px[0, 1] / cam.height),
                        sacrum=(head_px[1, 0] / cam.width, head_px[1, 1] / cam.height))
    frames, index = observe(t, hands, visible, cam, rng, noise)
    return Simulation(t, hands, visible, labels.astype(str), over, strokes, spine, frames, index, rig)


def out_of_view(t: np.ndarray, any_visible: np.ndarray) -> np.ndarray:
    """Frames more than the bridging gap after the last frame with a hand in view, or before
    any hand was in view (as the analyzer counts them)."""
    from feedback.tracks import BRIDGE_GAP_S

    seen = np.asarray(any_visible, bool)
    return t - np.maximum.accumulate(np.where(seen, t, -np.inf)) > BRIDGE_GAP_S


def observe(t: np.ndarray, hands: np.ndarray, visible: np.ndarray, cam: Camera,
            rng: np.random.Generator, noise: Noise) -> tuple[list[HandFrame], np.ndarray]:
    """What a hand tracker reports: normalised landmarks with its faults."""
    n = len(t)
    period = float(np.median(np.diff(t))) if n > 1 else 1 / 30
    seen = visible.copy()
    for h in (0, 1):
        seen[h] &= rng.random(n) >= noise.miss_rate
        for _ in range(rng.poisson(noise.gap_rate * n * period)):
            a = int(rng.integers(n))
            seen[h, a:a + int(rng.uniform(0.1, noise.max_gap_s) / period)] = False
    keep = rng.random(n) >= noise.drop_frames
    times = t + rng.normal(0, noise.timestamp_jitter * period, n)
    times = np.maximum.accumulate(np.maximum(times, 0))
    labels = ["Left", "Right"]
    if rng.random() < 0.5:
        labels.reverse()
    wob = np.zeros((2, 2))
    frames = []
    for i in range(n):
        if rng.random() < noise.handedness_swap / 30:
            labels.reverse()
        hs = []
        for h in (0, 1):
            lm = cam.to_mediapipe(hands[h, i])
            size = np.linalg.norm(lm[0, :2] - lm[9, :2]) * 2.0  # about the hand's length
            wob[h] = 0.9 * wob[h] + rng.normal(0, noise.wobble * size * 0.44, 2)
            if not seen[h, i]:
                continue
            lm[:, :2] += wob[h] + rng.normal(0, noise.jitter * size, (21, 2))
            lm[:, 2] += rng.normal(0, noise.jitter * size, 21)
            hs.append(Hand(lm, labels[h], float(rng.uniform(0.8, 1.0))))
        if rng.random() < 0.5:
            hs.reverse()
        if keep[i]:
            frames.append(HandFrame(float(times[i]), hs))
    return frames, np.flatnonzero(keep)
