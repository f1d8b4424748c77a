"""A pinhole camera looking at the back, and the projection of back coordinates into it.

Back coordinates (cm): u across the back, v along the spine from the sacrum (v=0) toward the
base of the neck (v=L), w up from the skin. The back is modelled as the plane w=0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Camera:
    width: int
    height: int
    focal_px: float
    rotation: np.ndarray  # world -> camera (3, 3); camera looks along +z, image y down
    position: np.ndarray  # camera centre in back coordinates (cm)

    @classmethod
    def look_at(cls, width: int, height: int, hfov_deg: float, eye, target, roll_deg: float = 0.0) -> "Camera":
        eye = np.asarray(eye, float)
        target = np.asarray(target, float)
        fwd = target - eye
        fwd /= np.linalg.norm(fwd)
        up = np.array([0.0, 0.0, 1.0])
        if abs(fwd @ up) > 0.99:  # looking straight down: pick the spine axis as "up" in the image
            up = np.array([0.0, 1.0, 0.0])
        right = np.cross(fwd, up)
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        r = np.stack([right, down, fwd])
        if roll_deg:
            c, s = np.cos(np.radians(roll_deg)), np.sin(np.radians(roll_deg))
            r = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ r
        f = 0.5 * width / np.tan(np.radians(hfov_deg) / 2)
        return cls(width, height, f, r, eye)

    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        return (np.asarray(pts, float) - self.position) @ self.rotation.T

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Back points (N, 3) -> pixel coordinates (N, 2) and camera depth (N,)."""
        c = self.to_camera(pts)
        z = c[:, 2]
        px = self.focal_px * c[:, :2] / z[:, None] + np.array([self.width / 2, self.height / 2])
        return px, z

    def plane_homography(self) -> np.ndarray:
        """3x3 map from back-plane (u, v, 1) in cm to image pixels (for warping a texture)."""
        k = np.array([[self.focal_px, 0, self.width / 2], [0, self.focal_px, self.height / 2], [0, 0, 1]])
        t = -self.rotation @ self.position
        return k @ np.column_stack([self.rotation[:, 0], self.rotation[:, 1], t])

    def to_mediapipe(self, pts: np.ndarray) -> np.ndarray:
        """Back points of one hand (21, 3) -> landmarks as MediaPipe reports them: x, y
        normalised by width and height, z depth relative to the wrist in about x's scale."""
        px, z = self.project(pts)
        out = np.empty((len(pts), 3))
        out[:, 0] = px[:, 0] / self.width
        out[:, 1] = px[:, 1] / self.height
        out[:, 2] = (z - z[0]) * self.focal_px / z[0] / self.width
        return out
