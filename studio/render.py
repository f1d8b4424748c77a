"""Compositing frames of a synthetic massage video: the static background, the hands drawn
far to near, a little sensor noise; and random but plausible looks for a video."""
from __future__ import annotations

import cv2
import numpy as np

from .camera import Camera
from .hand_art import HandLook, draw_hand
from .scene import Body, SceneLook, skin_tone


def exposure_gain(background: np.ndarray, target: float = 112.0) -> float:
    """The gain a camera's auto exposure would apply so that the mean luma is `target`
    (computed on the static background, so it does not flicker with the hands)."""
    b, g, r, _ = cv2.mean(background)
    luma = 0.114 * b + 0.587 * g + 0.299 * r
    return float(np.clip(target / max(luma, 1.0), 0.6, 1.6))


def compose(background: np.ndarray, hands: list[tuple[np.ndarray, bool, HandLook]], camera: Camera,
            rng: np.random.Generator | None = None, noise_sigma: float = 2.0,
            motion_blur_px: float = 0.0, motion_angle_deg: float = 0.0,
            exposure: float | None = None) -> np.ndarray:
    """One BGR frame: `background` with each (landmarks (21, 3) in back coordinates, left, look)
    hand drawn on it, farthest first. `exposure` scales the whole frame (a camera's exposure;
    see `exposure_gain`); `motion_blur_px` > 0 smears the frame along `motion_angle_deg`; with
    `rng`, Gaussian sensor noise of `noise_sigma` grey levels is added."""
    frame = background.copy()
    order = sorted(hands, key=lambda h: -float(camera.project(np.asarray(h[0], float))[1].mean()))
    for pts, left, look in order:
        draw_hand(frame, pts, camera, look, left)
    if exposure is not None and abs(exposure - 1.0) > 1e-3:
        frame = cv2.convertScaleAbs(frame, alpha=float(exposure))
    if motion_blur_px > 0.5:
        n = int(np.ceil(motion_blur_px)) | 1
        k = np.zeros((n, n), np.float32)
        c = n // 2
        a = np.radians(motion_angle_deg)
        for t in np.linspace(-motion_blur_px / 2, motion_blur_px / 2, 2 * n):
            k[int(round(c + t * np.sin(a))), int(round(c + t * np.cos(a)))] += 1
        frame = cv2.filter2D(frame, -1, k / k.sum())
    if rng is not None and noise_sigma > 0:
        cv2.setRNGSeed(int(rng.integers(1 << 31)))
        noise = np.empty(frame.shape, np.int16)
        cv2.randn(noise, 0.0, float(noise_sigma))
        frame = np.clip(cv2.add(frame.astype(np.int16), noise), 0, 255).astype(np.uint8)
    return frame


_SHEETS = [(235, 235, 232), (215, 230, 240), (230, 215, 190), (200, 220, 200), (190, 190, 190),
           (60, 60, 140), (120, 110, 100), (225, 225, 245)]
_TOWELS = [(240, 240, 240), (225, 215, 200), (210, 190, 150), (180, 200, 170), (200, 200, 205),
           (90, 90, 160), (160, 150, 200), (120, 140, 150)]
_FLOORS = [((70, 100, 135), "wood"), ((50, 70, 100), "wood"), ((110, 140, 170), "wood"),
           ((150, 150, 150), "tiles"), ((190, 195, 200), "tiles"), ((90, 90, 95), "plain"), ((80, 110, 120), "plain")]
_WALLS = [(200, 210, 215), (225, 230, 235), (170, 190, 200), (180, 200, 185), (150, 170, 200), (210, 200, 200)]
_TABLES = [(60, 75, 95), (40, 40, 40), (180, 180, 180), (90, 110, 140), (30, 35, 50)]
_HAIR = [(20, 22, 28), (30, 40, 55), (45, 65, 95), (80, 120, 160), (150, 150, 155), (40, 60, 120), (15, 15, 18)]
_SLEEVES = [(110, 80, 60), (240, 240, 240), (40, 40, 40), (140, 120, 40), (90, 130, 90), (60, 60, 150),
            (200, 190, 170), (120, 60, 110)]


def random_look(rng: np.random.Generator) -> tuple[Body, SceneLook, HandLook]:
    """A plausible, varied person, room and pair of giving hands. Skin tones of the person and
    of the hands are drawn independently over the whole range (now and then equal: skin on
    skin); `HandLook.size` is the hand size to give `hand_model.local_landmarks` (0.85-1.15)."""
    def pick(seq):
        return seq[int(rng.integers(len(seq)))]

    body_t = float(rng.uniform(0, 1))
    hand_t = body_t if rng.random() < 0.25 else float(rng.uniform(0, 1))
    sw = float(rng.uniform(37, 48))
    body = Body(
        spine_length_cm=float(rng.uniform(45, 60)),
        shoulder_width_cm=sw,
        waist_width_cm=float(rng.uniform(0.66, 0.8) * sw),
        hip_width_cm=float(rng.uniform(0.78, 0.95) * sw),
        skin_bgr=skin_tone(body_t, rng),
        hair_bgr=pick(_HAIR),
        hair_length_cm=float(rng.choice([1.0, 3.0, 6.0, 12.0])),
        thickness_cm=float(rng.uniform(18, 25)),
        towel_edge_v_cm=float(rng.uniform(-2, 10)),
        arms=str(rng.choice(["sides", "hanging"])),
    )
    elev = np.radians(rng.uniform(50, 85))
    az = rng.uniform(0, 2 * np.pi)
    light = (float(np.cos(elev) * np.cos(az)), float(np.cos(elev) * np.sin(az)), float(np.sin(elev)))
    intensity = float(rng.uniform(0.75, 1.2))
    warm = rng.uniform(-1, 1)
    tint = (float(1 - 0.08 * warm), 1.0, float(1 + 0.06 * warm))
    floor, kind = pick(_FLOORS)
    look = SceneLook(
        sheet_bgr=pick(_SHEETS), towel_bgr=pick(_TOWELS), table_bgr=pick(_TABLES),
        floor_bgr=floor, floor_kind=kind, wall_bgr=pick(_WALLS),
        light_dir=light, light_intensity=intensity, ambient=float(rng.uniform(0.35, 0.6)),
        tint_bgr=tint, vignette=float(rng.uniform(0.1, 0.4)), noise=float(rng.uniform(1.0, 3.0)),
    )
    sleeve = None if rng.random() < 0.2 else pick(_SLEEVES)
    hand = HandLook(
        skin_bgr=skin_tone(hand_t, rng),
        shading=float(rng.uniform(1.0, 1.3)),
        rim=float(rng.uniform(0.5, 0.65)),
        shadow=float(rng.uniform(0.5, 0.7)),
        sheen=float(rng.uniform(0.05, 0.25)),
        detail=float(rng.uniform(0.4, 0.8)),
        light_dir=light, light_intensity=intensity, tint_bgr=tint,
        finger_width=float(rng.uniform(0.9, 1.1)),
        forearm_elevation_deg=float(rng.uniform(18, 40)),
        forearm_length_cm=float(rng.uniform(24, 29)),
        sleeve_bgr=sleeve,
        sleeve_from_cm=float(rng.uniform(30, 40)) if rng.random() < 0.8 else float(rng.uniform(12, 20)),
        size=float(rng.uniform(0.85, 1.15)),
    )
    return body, look, hand
