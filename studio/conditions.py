"""Real-room conditions for rendered clips: dim light with the sensor noise and motion blur it
brings, low frame rates, a laptop 60-160 cm away beside the table or at its head, a 720p webcam
downscaled, dark hands on a dark back, long sleeves.

Clips are rendered in memory (never written unless asked) with exact truth: per-frame
technique, hand over the spine, which hands are in view and their palm width in pixels.

Two sets that share no condition values and no seeds (see HELDOUT_SEED / TUNE_SEED):
- TUNE: the conditions thresholds and detection settings were chosen on;
- HELDOUT: other values of the same factors, reported in the README, looked at only to report;
  drawn three times: HELDOUT_SEED (looked at once, then the detector changed), HELDOUT2_SEED
  (looked at twice, then the recognition and the spine safety changed) and HELDOUT3_SEED.
Both come from this renderer and simulator (new seeds, other distances and light), not from a
separately written generator.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .session import Noise, Rig, Segment, random_camera, simulate


@dataclass(frozen=True)
class Condition:
    name: str
    brightness: float = 1.0          # of a normal exposure (the webcam's gain is already at its limit)
    fps: int = 30
    distance: tuple = (60.0, 70.0)   # cm from the middle of the back
    azimuth_deg: float = 0.0         # 0 = beside the table, 90 = at its head
    elevation: tuple = (40.0, 60.0)
    hd_source: bool = False          # rendered at 960x720 (a 720p webcam's 4:3 mode), downscaled to 640x480
    dark: bool = False               # dark hands on a dark back
    sleeves: bool = False            # long sleeves down to the wrist

    @property
    def noise_sigma(self) -> float:
        """Sensor noise (grey levels) grows as light falls: the gain amplifies it."""
        return 1.0 + 7.0 * (1.0 - self.brightness) / 0.7

    @property
    def blur_subframes(self) -> int:
        """Exposure time grows in dim light: at 15 fps and below half the light, the shutter is
        open for most of the frame and moving hands smear (rendered as sub-frames averaged)."""
        return 3 if self.brightness < 0.6 and self.fps <= 20 else 1


TUNE = (
    Condition("tune_near", 1.0, 30, (62, 72)),
    Condition("tune_beside_130", 1.0, 30, (125, 135)),
    Condition("tune_head_110", 1.0, 30, (105, 115), azimuth_deg=90),
    Condition("tune_dim_045_15fps", 0.45, 15, (85, 95)),
    Condition("tune_dark_sleeves", 0.8, 30, (95, 105), dark=True, sleeves=True),
    Condition("tune_hd_140", 0.7, 30, (135, 145), hd_source=True),
    Condition("tune_far_dim_175", 0.4, 15, (170, 180), azimuth_deg=30),
    Condition("tune_dim_033_170", 0.33, 15, (165, 175)),
)

HELDOUT = (
    Condition("near_bright", 1.0, 30, (60, 70)),
    Condition("beside_100", 1.0, 30, (95, 105)),
    Condition("beside_160", 1.0, 30, (155, 165)),
    Condition("head_120", 1.0, 30, (115, 125), azimuth_deg=90),
    Condition("head_160", 1.0, 30, (155, 165), azimuth_deg=90),
    Condition("dim_035_15fps", 0.35, 15, (95, 105)),
    Condition("dim_060", 0.6, 30, (95, 105)),
    Condition("dim_035_160_15fps", 0.35, 15, (155, 165)),
    Condition("hd_720p_120", 1.0, 30, (115, 125), hd_source=True),
    Condition("dark_on_dark_100", 0.7, 30, (95, 105), dark=True),
    Condition("sleeves_120", 1.0, 30, (115, 125), sleeves=True),
)

TUNE_SEED = 31_000
HELDOUT_SEED = 7_700_000
# A second held-out draw of the same conditions, seeds never used by any set (evaluate's splits:
# 1,000+, 900,000+, 5,000,000+, family b 7,000,000+; spine views below 10,000): made after the
# first held-out set had been looked at and the detector changed.
HELDOUT2_SEED = 8_800_000
# A third draw, seeds never used by any set (nor by the tuning clips of round 3, 36,000+), made
# after heldout2 had been looked at twice and the idle, 15 fps and tapping-contact rules changed.
HELDOUT3_SEED = 9_900_000

# Scripts of about 11 s: two techniques (with a spine drift now and then) and a rest.
_SCRIPTS = (
    (("effleurage", 6.0, ((3.0, 1.2),)), ("petrissage", 5.0, ())),
    (("petrissage", 5.0, ((2.0, 1.2),)), ("tapotement", 5.0, ())),
    (("tapotement", 5.0, ()), ("idle", 2.0, ()), ("effleurage", 5.0, ())),
    (("effleurage", 5.5, ()), ("tapotement", 5.0, ())),
)


@dataclass
class Clip:
    condition: Condition
    seed: int
    frames: list            # BGR 640x480 uint8
    t: np.ndarray
    labels: np.ndarray      # truth technique per frame
    over_spine: np.ndarray  # truth
    in_view: np.ndarray     # (T,) number of hands in view
    palm_px: np.ndarray     # (T,) median palm width (index to little-finger knuckle) of hands in view, px (nan: none)
    spine: tuple            # ((hx, hy), (sx, sy)) normalised
    brightness: float
    width: int = 640
    height: int = 480
    palm_xy: np.ndarray | None = None  # (T, 2, 2) palm centre of each hand in px (nan: not in view)


def script_for(seed: int) -> list[Segment]:
    rng = np.random.default_rng(seed)
    choice = _SCRIPTS[int(rng.integers(len(_SCRIPTS)))]
    return [Segment(k, d, list(dr)) for k, d, dr in choice]


def render_clip(cond: Condition, seed: int, script: list[Segment] | None = None,
                width: int = 640, height: int = 480) -> Clip:
    from .render import compose, exposure_gain, random_look
    from .scene import render_background, skin_tone

    rng = np.random.default_rng(seed)
    script = script if script is not None else script_for(seed)
    body, look, hand_look = random_look(rng)
    if cond.dark:
        body = replace(body, skin_bgr=skin_tone(float(rng.uniform(0.8, 1.0)), rng))
        hand_look = replace(hand_look, skin_bgr=skin_tone(float(rng.uniform(0.8, 1.0)), rng))
    if cond.sleeves:
        hand_look = replace(hand_look, sleeve_bgr=(int(rng.integers(20, 200)),) * 3 if rng.random() < 0.5
                            else hand_look.sleeve_bgr or (110, 80, 60), sleeve_from_cm=float(rng.uniform(1.0, 4.0)))
    rw, rh = (960, 720) if cond.hd_source else (width, height)
    cam = random_camera(rng, body.spine_length_cm, rw, rh, cond.azimuth_deg, cond.distance, cond.elevation)
    k = cond.blur_subframes
    rig = Rig(cam, body.spine_length_cm, (hand_look.size, hand_look.size), float(cond.fps * k))
    sim = simulate(script, rig, rng, Noise.none())
    background = render_background(cam, body, look, seed=seed)
    gain = exposure_gain(background) * cond.brightness
    n = len(sim.t) // k
    frames, idx = [], []
    for i in range(n):
        acc = None
        for j in range(k):
            s = i * k + j
            hands = [(sim.hands_back[h, s], h == 0, hand_look) for h in (0, 1) if sim.visible[h, s]]
            f = compose(background, hands, cam, None, exposure=gain)
            acc = f.astype(np.float32) if acc is None else acc + f
        frame = (acc / k).astype(np.float32)
        if cond.hd_source:
            frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        frame += rng.normal(0.0, cond.noise_sigma, frame.shape).astype(np.float32)
        frames.append(np.clip(frame + 0.5, 0, 255).astype(np.uint8))
        idx.append(i * k + k // 2)
    idx = np.array(idx)
    # Hands in view and their palm width, from the exact landmarks.
    scale = width / rw
    in_view = np.zeros(n, int)
    palm = np.full(n, np.nan)
    palm_xy = np.full((n, 2, 2), np.nan)
    for out_i, s in enumerate(idx):
        widths = []
        for h in (0, 1):
            if not sim.visible[h, s]:
                continue
            px, z = cam.project(sim.hands_back[h, s])
            px = px * scale
            c = px[[0, 5, 9, 13, 17]].mean(axis=0)
            if (z > 0).all() and 0 <= c[0] < width and 0 <= c[1] < height:
                in_view[out_i] += 1
                palm_xy[out_i, h] = c
                widths.append(float(np.linalg.norm(px[5] - px[17])))
        if widths:
            palm[out_i] = float(np.median(widths))
    return Clip(cond, seed, frames, sim.t[idx] - sim.t[idx[0]], sim.labels[idx], sim.over_spine[idx], in_view,
                palm, (tuple(sim.spine.head), tuple(sim.spine.sacrum)), cond.brightness, width, height, palm_xy)
