"""A 21-point articulated hand in MediaPipe's landmark order, posed in centimetres.

Local frame of a right hand lying palm-down: x toward the little finger, y from the wrist
toward the fingertips, z up out of the back of the hand. A left hand is the mirror image.
Proportions are those of an average adult hand (length ~18.5 cm, knuckle width ~7 cm).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Joint positions of a relaxed, flat right hand (cm), index = MediaPipe landmark id.
_FLAT = np.array([
    [0.0, 0.0, 1.6],     # 0 wrist (the wrist sits above the surface: forearm thickness)
    [-1.9, 1.9, 1.2],    # 1 thumb CMC
    [-3.6, 3.7, 0.9],    # 2 thumb MCP
    [-4.9, 5.6, 0.6],    # 3 thumb IP
    [-5.9, 7.3, 0.4],    # 4 thumb tip
    [-2.9, 8.6, 1.2],    # 5 index MCP
    [-3.3, 12.3, 0.8],   # 6 index PIP
    [-3.5, 14.6, 0.55],  # 7 index DIP
    [-3.6, 16.6, 0.4],   # 8 index tip
    [-0.8, 9.0, 1.25],   # 9 middle MCP
    [-0.9, 13.2, 0.8],   # 10
    [-0.95, 15.8, 0.55], # 11
    [-1.0, 18.0, 0.4],   # 12 middle tip
    [1.2, 8.6, 1.2],     # 13 ring MCP
    [1.4, 12.4, 0.8],    # 14
    [1.55, 14.8, 0.55],  # 15
    [1.65, 16.8, 0.4],   # 16 ring tip
    [3.0, 7.8, 1.1],     # 17 pinky MCP
    [3.5, 10.7, 0.75],   # 18
    [3.8, 12.5, 0.5],    # 19
    [4.0, 14.1, 0.4],    # 20 pinky tip
])
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
PALM_IDS = (0, 5, 9, 13, 17)
KNUCKLE_WIDTH_CM = float(np.linalg.norm(_FLAT[5, :2] - _FLAT[17, :2]))


@dataclass
class HandPose:
    """Articulation of one hand. Angles in radians.

    curl: finger flexion 0 (flat) .. 1 (fist); spread: finger abduction scale;
    wrist_pitch: rotation about the wrist's x axis (positive lifts the fingers, as in a tap's
    back-swing); cup: hollowing of the palm for cupped tapotement.
    """

    curl: float = 0.1
    spread: float = 1.0
    thumb_abduction: float = 0.0
    wrist_pitch: float = 0.0
    cup: float = 0.0


def _rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def local_landmarks(pose: HandPose, size: float = 1.0, left: bool = False) -> np.ndarray:
    """(21, 3) landmarks in the hand's local frame (cm), wrist at the origin's x-y."""
    p = _FLAT.copy()
    # Spread: fan fingers around the middle finger's axis at their knuckles.
    for f, chain in enumerate(FINGERS[1:]):
        angle = (f - 1.0) * 0.06 * (pose.spread - 1.0) * -1
        base = p[chain[0]].copy()
        p[list(chain)] = (p[list(chain)] - base) @ _rot_z(angle).T + base
    # Thumb abduction swings the thumb away from the palm about its CMC joint.
    cmc = p[1].copy()
    p[2:5] = (p[2:5] - cmc) @ _rot_z(pose.thumb_abduction).T + cmc
    # Flexion: each joint bends toward -z (into the back), more at PIP than at MCP.
    for chain in FINGERS[1:]:
        for j, share in zip(chain[:3], (0.45, 0.95, 0.65)):
            a = -pose.curl * share * 1.4
            pivot = p[j].copy()
            rest = [k for k in chain if k > j]
            p[rest] = (p[rest] - pivot) @ _rot_x(a).T + pivot
    # Cupping lowers the palm centre relative to the rim: pull knuckles in and up.
    if pose.cup:
        p[[5, 17], 0] *= 1.0 - 0.18 * pose.cup
        p[[9, 13], 2] += 0.6 * pose.cup
    # Wrist pitch about the wrist joint.
    wrist = p[0].copy()
    p[1:] = (p[1:] - wrist) @ _rot_x(pose.wrist_pitch).T + wrist
    p *= size
    if left:
        p[:, 0] = -p[:, 0]
    return p


def place(local: np.ndarray, wrist_xy: np.ndarray, heading: float, lift: float = 0.0) -> np.ndarray:
    """Put a local-frame hand on the back plane (back coordinates, cm).

    heading: direction the fingers point, as an angle from the +v (toward-the-head) axis,
    counter-clockwise seen from above; lift: extra height of the whole hand above the skin.
    """
    out = local @ _rot_z(heading).T
    out[:, 0] += wrist_xy[0]
    out[:, 1] += wrist_xy[1]
    out[:, 2] += lift
    return out


def palm_centre_offset(size: float = 1.0) -> np.ndarray:
    """Wrist-to-palm-centre vector in the local frame (cm) for a flat hand."""
    return _FLAT[list(PALM_IDS), :2].mean(axis=0) * size
