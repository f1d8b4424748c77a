"""The static part of a synthetic massage video: a person lying face down on a massage table,
a sheet and towel, the room around, seen by a `Camera`.

Everything is drawn in back coordinates (cm; u across the back, v along the spine from the
sacrum, w up from the skin) and warped into the image: the top of the back (plane w=0) as a
shaded top-down texture through `camera.plane_homography()`, the table top and the arms at
their own heights through homographies of planes w=const, the flanks as projected strips, and
the room (floor, walls, table sides) by a low-resolution ray cast. The result is rendered once
per video and reused for every frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .camera import Camera

# Skin tones from very light to very dark (BGR), interpolated by `skin_tone`.
_SKIN_RAMP = np.array([
    [178, 199, 243],
    [150, 178, 228],
    [112, 146, 205],
    [80, 112, 170],
    [55, 82, 130],
    [40, 58, 96],
    [30, 42, 68],
], float)


def skin_tone(t: float, rng: np.random.Generator | None = None) -> tuple[int, int, int]:
    """A skin colour (BGR) for t in 0 (very light) .. 1 (very dark), with a small random hue."""
    t = float(np.clip(t, 0.0, 1.0)) * (len(_SKIN_RAMP) - 1)
    i = min(int(t), len(_SKIN_RAMP) - 2)
    c = _SKIN_RAMP[i] * (1 - (t - i)) + _SKIN_RAMP[i + 1] * (t - i)
    if rng is not None:
        c = c * (1 + rng.normal(0, 0.04)) + rng.normal(0, 4, 3) * np.array([1.0, 0.6, 0.6])
    return tuple(int(x) for x in np.clip(c, 0, 255))


@dataclass
class Body:
    """The person receiving the massage (cm, BGR)."""

    spine_length_cm: float = 52.0
    shoulder_width_cm: float = 44.0
    waist_width_cm: float = 31.0
    hip_width_cm: float = 36.0
    skin_bgr: tuple[int, int, int] = (112, 146, 205)
    hair_bgr: tuple[int, int, int] = (30, 35, 45)
    hair_length_cm: float = 4.0        # reaches past the neck when long
    thickness_cm: float = 21.0         # height of the back above the table top
    towel_edge_v_cm: float = 6.0       # the towel covers v below this (the hips and legs)
    arms: str = "sides"                # "sides" (along the body) or "hanging" (off the table)


@dataclass
class SceneLook:
    """Colours and light of the room (BGR); light_dir points toward the light, in back
    coordinates (u, v, w)."""

    sheet_bgr: tuple[int, int, int] = (235, 235, 232)    # the table cover
    towel_bgr: tuple[int, int, int] = (225, 215, 200)
    table_bgr: tuple[int, int, int] = (60, 75, 95)       # frame and legs
    floor_bgr: tuple[int, int, int] = (70, 100, 135)
    wall_bgr: tuple[int, int, int] = (200, 210, 215)
    floor_kind: str = "wood"                             # "wood", "tiles" or "plain"
    light_dir: tuple[float, float, float] = (0.25, 0.15, 0.95)
    light_intensity: float = 1.0                         # exposure gain
    ambient: float = 0.45                                # share of light that is not directional
    tint_bgr: tuple[float, float, float] = (1.0, 1.0, 1.0)  # colour of the light
    vignette: float = 0.25
    noise: float = 2.0                                   # static texture noise (grey levels)
    room_extent_cm: tuple[float, float] = (220.0, 300.0)  # half size of the room across / along


# --------------------------------------------------------------------------- geometry helpers

def _plane_h(camera: Camera, w: float) -> np.ndarray:
    """Homography of the plane w=const, (u, v, 1) -> pixels."""
    k = np.array([[camera.focal_px, 0, camera.width / 2], [0, camera.focal_px, camera.height / 2], [0, 0, 1]])
    r = camera.rotation
    t = -r @ camera.position
    return k @ np.column_stack([r[:, 0], r[:, 1], r[:, 2] * w + t])


class _Tex:
    """A top-down texture over u in [u0, u1], v in [v0, v1] at `ppc` pixels per cm."""

    def __init__(self, u0: float, u1: float, v0: float, v1: float, ppc: float):
        self.u0, self.v1, self.ppc = u0, v1, ppc
        self.w = int(round((u1 - u0) * ppc))
        self.h = int(round((v1 - v0) * ppc))
        x = (np.arange(self.w) + 0.5) / ppc + u0
        y = v1 - (np.arange(self.h) + 0.5) / ppc
        self.u, self.v = np.meshgrid(x.astype(np.float32), y.astype(np.float32))

    def to_uv(self) -> np.ndarray:
        """3x3: texture pixel (x, y, 1) -> (u, v, 1)."""
        p = 1.0 / self.ppc
        return np.array([[p, 0, self.u0], [0, -p, self.v1], [0, 0, 1]])

    def px(self, uv: np.ndarray) -> np.ndarray:
        uv = np.asarray(uv, float)
        return np.stack([(uv[..., 0] - self.u0) * self.ppc, (self.v1 - uv[..., 1]) * self.ppc], -1)


def _smooth_noise(shape, scale_px: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-ish noise with blobs of about scale_px pixels."""
    h, w = shape
    sh, sw = max(2, int(h / scale_px) + 2), max(2, int(w / scale_px) + 2)
    n = rng.standard_normal((sh, sw)).astype(np.float32)
    return cv2.resize(n, (w, h), interpolation=cv2.INTER_CUBIC)


def _shade(height: np.ndarray, ppc: float, light: np.ndarray, ambient: float) -> np.ndarray:
    """Lambert shading of a height field (cm) seen from above."""
    gy, gx = np.gradient(height)
    du = gx * ppc          # dh/du (x grows with u)
    dv = -gy * ppc         # dh/dv (y grows with -v)
    inv = 1.0 / np.sqrt(du * du + dv * dv + 1.0)
    lam = (-du * light[0] - dv * light[1] + light[2]) * inv
    return ambient + (1.0 - ambient) * np.clip(lam, 0.0, 1.0) / max(light[2], 0.3)


def _half_width(v: np.ndarray, body: Body) -> np.ndarray:
    """Half width of the torso (cm) along the spine."""
    L = body.spine_length_cm
    s = np.clip(v / L, -0.5, 1.2)
    hip, waist, sh = body.hip_width_cm / 2, body.waist_width_cm / 2, body.shoulder_width_cm / 2
    knots_s = np.array([-0.5, -0.1, 0.05, 0.32, 0.55, 0.72, 0.86, 0.93, 0.985, 1.02, 1.2])
    knots_w = np.array([hip * 0.9, hip, hip * 0.97, waist, waist * 1.12, sh * 0.92, sh, sh * 0.93,
                        sh * 0.62, 6.0, 5.8])
    return np.interp(s, knots_s, knots_w)


# --------------------------------------------------------------------------- textures

def _torso_texture(body: Body, look: SceneLook, rng: np.random.Generator, tex: _Tex):
    """BGR float texture (0..1 scaled colours) and alpha of torso, neck, head and towel (w=0)."""
    L = body.spine_length_cm
    u, v = tex.u, tex.v
    light = np.asarray(look.light_dir, float)
    light = light / np.linalg.norm(light)
    hw = _half_width(v, body)
    au = np.abs(u)

    # ---- torso silhouette (shoulders round off toward the neck)
    torso = (au < hw) & (v < L + 9)
    # head (seen from behind, in the face cradle)
    hc_v, ha, hb = L + 17.0, 8.3, 11.0
    head = ((u / ha) ** 2 + ((v - hc_v) / hb) ** 2) < 1.0
    neck = (au < 5.8) & (v > L - 2) & (v < hc_v)
    body_mask = torso | neck

    # ---- height field for shading (cm)
    s = np.clip(au / np.maximum(hw, 1e-3), 0, 1)
    hgt = 7.0 * np.sqrt(np.clip(1 - s ** 2.2, 0, 1))
    sv = v / L
    spine = (sv > 0.02) & (sv < 0.98)
    hgt -= 0.9 * np.exp(-(u / 1.4) ** 2) * spine
    hgt += 1.0 * np.exp(-((au - 4.2) / 2.6) ** 2) * np.clip(1.2 - sv * 1.5, 0, 1)  # erector ridges
    for side in (-1, 1):  # shoulder blades: a raised plate with a ridge along the medial border
        cu, cv_ = side * (body.shoulder_width_cm * 0.22), 0.73 * L
        d = ((u - cu) / 6.5) ** 2 + ((v - cv_) / (0.16 * L)) ** 2
        hgt += 1.1 * np.exp(-d * 1.6)
        hgt += 0.5 * np.exp(-((u - side * 5.2 - (v - cv_) * side * 0.15) / 1.0) ** 2) * (np.abs(v - cv_) < 0.13 * L)
        hgt += 0.8 * np.exp(-(((u - side * body.shoulder_width_cm * 0.47) / 4.0) ** 2 + ((v - 0.9 * L) / 5.0) ** 2))
    # head: a dome
    hd = np.clip(1 - (u / ha) ** 2 - ((v - hc_v) / hb) ** 2, 0, 1)
    hgt = np.where(head, 8.0 + 5.0 * np.sqrt(hd), hgt)
    hgt = np.where(neck & ~torso & ~head, 4.0 - 2.0 * (au / 5.8) ** 2, hgt)

    shade = _shade(cv2.GaussianBlur(hgt.astype(np.float32), (0, 0), tex.ppc * 0.6), tex.ppc, light, look.ambient)

    # ---- albedo
    skin = np.asarray(body.skin_bgr, np.float32) / 255.0
    n1 = _smooth_noise(u.shape, tex.ppc * 4, rng)
    n2 = rng.standard_normal(u.shape).astype(np.float32)
    col = np.empty(u.shape + (3,), np.float32)
    mott = 1.0 + 0.035 * n1 + 0.015 * n2
    col[:] = skin * mott[..., None]
    # a little redness over the shoulders, a few moles
    red = np.exp(-((v - 0.9 * L) / 8.0) ** 2)[..., None] * np.array([-0.03, -0.02, 0.02], np.float32)
    col += red
    for _ in range(int(rng.integers(2, 9))):
        mu, mv = rng.uniform(-12, 12), rng.uniform(0.1, 0.95) * L
        r = rng.uniform(0.12, 0.3)
        m = ((u - mu) ** 2 + (v - mv) ** 2) < r * r
        col[m] *= 0.6

    # hair
    hair = np.asarray(body.hair_bgr, np.float32) / 255.0
    ang = np.arctan2(v - (hc_v + 3), u)
    rad = np.sqrt(u ** 2 + (v - hc_v - 3) ** 2)
    strands = 0.5 * np.sin(ang * 60 + 3 * np.sin(rad * 0.7)) + 0.5 * np.sin(ang * 23 + 1.7)
    hair_mask = head | (neck & (v > L + 5.0 - body.hair_length_cm) & (au < 6.5 + 0.3 * body.hair_length_cm))
    hcol = hair * (1.0 + 0.18 * strands + 0.1 * n1)[..., None]
    hcol += 0.10 * np.clip(shade - 0.9, 0, 1)[..., None]  # sheen
    col = np.where(hair_mask[..., None], hcol, col)

    # ---- towel over the hips and legs
    te = body.towel_edge_v_cm + 1.2 * np.sin(u * 0.25 + rng.uniform(0, 6))
    tw = body.hip_width_cm / 2 + 7.0
    towel = (v < te) & (au < tw + 1.5 * np.sin(v * 0.15)) & (v > -150)
    towel_h = 3.0 + 2.0 * np.sqrt(np.clip(1 - (au / tw) ** 2, 0, 1))
    folds = sum(a * np.sin(u * fu + v * fv + ph) for a, fu, fv, ph in
                [(0.6, 0.35, 0.05, rng.uniform(0, 6)), (0.35, 0.8, 0.18, rng.uniform(0, 6)),
                 (0.5, 0.12, 0.3, rng.uniform(0, 6))])
    towel_h = towel_h + folds * np.clip((te - v) / 10, 0, 1)
    tshade = _shade(cv2.GaussianBlur(towel_h.astype(np.float32), (0, 0), tex.ppc * 0.5), tex.ppc, light, look.ambient)
    tcol = np.asarray(look.towel_bgr, np.float32) / 255.0 * (1 + 0.05 * n2 + 0.03 * n1)[..., None]
    hem = np.clip(1 - np.abs(v - te + 1.0) / 0.6, 0, 1)
    tcol *= (1 - 0.15 * hem)[..., None]
    # skin just above the towel edge lies in its shadow
    shade = np.where(towel, tshade, shade * (1 - 0.35 * np.clip(1 - (v - te) / 2.0, 0, 1) * (v >= te)))
    col = np.where(towel[..., None], tcol, col)

    alpha = (body_mask | head | towel).astype(np.float32)
    alpha = cv2.GaussianBlur(alpha, (0, 0), tex.ppc * 0.25)
    side_mask = (body_mask & ~head) | towel
    albedo = col.copy()
    col *= shade[..., None]
    return col, alpha, albedo, side_mask


def _table_texture(body: Body, look: SceneLook, rng: np.random.Generator, tex: _Tex, half_w: float,
                   v_lo: float, v_hi: float):
    L = body.spine_length_cm
    u, v = tex.u, tex.v
    light = np.asarray(look.light_dir, float)
    light /= np.linalg.norm(light)
    r = 5.0
    du = np.clip(np.abs(u) - (half_w - r), 0, None)
    dv = np.clip(np.maximum(v_lo + r - v, v - (v_hi - r)), 0, None)
    table = (du ** 2 + dv ** 2) < r * r
    # face cradle: a padded horseshoe beyond the head end of the table
    cv_ = L + 22.0
    d = np.sqrt((u / 12.0) ** 2 + ((v - cv_) / 13.0) ** 2)
    cradle = (d < 1.0) & (v > L + 8)
    hole = (np.sqrt((u / 6.5) ** 2 + ((v - cv_ + 1) / 8.0) ** 2) < 1.0)
    hgt = 0.8 * np.sqrt(np.clip(1 - np.maximum(du, dv) / r, 0, 1)) * table
    wr = sum(a * np.sin(u * fu + v * fv + ph) for a, fu, fv, ph in
             [(0.35, 0.3, 0.1, rng.uniform(0, 6)), (0.25, 0.1, 0.4, rng.uniform(0, 6))])
    hgt = hgt + wr * 0.5
    hgt = np.where(cradle, 5 * np.clip(1.2 - d, 0, 1) * ~hole, hgt)
    sh = _shade(cv2.GaussianBlur(hgt.astype(np.float32), (0, 0), tex.ppc * 0.6), tex.ppc, light, look.ambient)
    n = rng.standard_normal(u.shape).astype(np.float32)
    col = (np.asarray(look.sheet_bgr, np.float32) / 255.0) * (1 + 0.03 * n)[..., None]
    col = np.where(hole[..., None] & cradle[..., None], col * 0.25, col)
    # contact shadow around where the body lies (soft)
    body_u = _half_width(v, body) + 1.0
    occl = np.exp(-np.clip(np.abs(u) - body_u, 0, None) / 6.0) * ((v > -120) & (v < L + 3))
    sh = sh * (1 - 0.45 * occl)
    col *= sh[..., None]
    alpha = (table | cradle).astype(np.float32)
    return col, cv2.GaussianBlur(alpha, (0, 0), tex.ppc * 0.3)


# --------------------------------------------------------------------------- room (ray cast)

def _room(camera: Camera, body: Body, look: SceneLook, rng: np.random.Generator, table_box, scale: float = 0.3):
    """Low-resolution ray cast of floor, walls and the table's body; returns a full-size float image."""
    W, H = camera.width, camera.height
    w, h = int(W * scale), int(H * scale)
    xs = (np.arange(w, dtype=np.float32) + 0.5) / scale - W / 2
    ys = (np.arange(h, dtype=np.float32) + 0.5) / scale - H / 2
    X, Y = np.meshgrid(xs, ys)
    r = camera.rotation.astype(np.float32)
    d = (X[..., None] * r[0] + Y[..., None] * r[1] + camera.focal_px * r[2]) / camera.focal_px
    e = camera.position.astype(np.float32)
    T = body.thickness_cm
    floor_w = -T - 72.0
    Rx, Rv = look.room_extent_cm
    L = body.spine_length_cm
    vc = L * 0.3
    big = np.float32(1e9)
    tbest = np.full((h, w), big, np.float32)
    kind = np.zeros((h, w), np.int8)  # 0 floor 1 wall-u 2 wall-v 3 table
    with np.errstate(divide="ignore", invalid="ignore"):
        tf = (floor_w - e[2]) / d[..., 2]
        ok = tf > 0
        tbest = np.where(ok, tf, tbest)
        for k, (axis, lim) in enumerate([(0, -Rx), (0, Rx), (1, vc - Rv), (1, vc + Rv)]):
            tw = (lim - e[axis]) / d[..., axis]
            ok = (tw > 0) & (tw < tbest)
            tbest = np.where(ok, tw, tbest)
            kind = np.where(ok, 1 + axis, kind)
        # the table as an axis-aligned box
        lo, hi = np.array(table_box[0], np.float32), np.array(table_box[1], np.float32)
        t1 = (lo - e) / d
        t2 = (hi - e) / d
        tmin = np.nanmax(np.minimum(t1, t2), axis=-1)
        tmax = np.nanmin(np.maximum(t1, t2), axis=-1)
        hit = (tmax >= tmin) & (tmin > 0) & (tmin < tbest)
        # which face of the box was hit: the axis whose entry t equals tmin
        face = np.argmax(np.isclose(np.minimum(t1, t2), tmin[..., None], rtol=1e-4), axis=-1)
        tbest = np.where(hit, tmin, tbest)
        kind = np.where(hit, 3, kind)
    p = e + d * tbest[..., None]
    col = np.empty((h, w, 3), np.float32)
    floor = np.asarray(look.floor_bgr, np.float32) / 255
    wall = np.asarray(look.wall_bgr, np.float32) / 255
    # floor pattern
    if look.floor_kind == "wood":
        plank = np.floor(p[..., 0] / 14.0)
        pat = 1 + 0.08 * np.sin(plank * 12.9898) + 0.04 * np.sin(p[..., 1] * 0.05 + plank * 3.1)
        pat *= 1 - 0.25 * (np.abs((p[..., 0] / 14.0) - np.round(p[..., 0] / 14.0)) < 0.03)
    elif look.floor_kind == "tiles":
        fu = np.abs(p[..., 0] / 40.0 - np.round(p[..., 0] / 40.0))
        fv = np.abs(p[..., 1] / 40.0 - np.round(p[..., 1] / 40.0))
        pat = 1 - 0.2 * ((fu < 0.02) | (fv < 0.02))
    else:
        pat = np.ones((h, w), np.float32)
    # light pool around the table, darker under it
    rr = np.sqrt(p[..., 0] ** 2 + ((p[..., 1] - vc) / 1.5) ** 2)
    pool = 0.55 + 0.45 * np.exp(-(rr / 160.0) ** 2)
    under = (np.abs(p[..., 0]) < table_box[1][0] + 8) & (p[..., 1] > table_box[0][1] - 8) & (p[..., 1] < table_box[1][1] + 8)
    fshade = pool * np.where(under, 0.55, 1.0)
    col[:] = floor * (pat * fshade)[..., None]
    wall_sh = (0.7 + 0.3 * np.clip((p[..., 2] - floor_w) / 200.0, 0, 1)) * np.where(kind == 1, 0.92, 1.0)
    wm = (kind == 1) | (kind == 2)
    skirting = wm & (p[..., 2] < floor_w + 8)
    col = np.where(wm[..., None], wall * wall_sh[..., None], col)
    col = np.where(skirting[..., None], col * 0.8, col)
    # table body: sheet drape on the upper sides, the frame below
    tb = kind == 3
    sheet = np.asarray(look.sheet_bgr, np.float32) / 255
    frame = np.asarray(look.table_bgr, np.float32) / 255
    top_w = table_box[1][2]
    drape = p[..., 2] > top_w - 14
    face_sh = np.where(face == 2, 1.0, np.where(face == 0, 0.72, 0.62))
    tcol = np.where(drape[..., None], sheet * 0.8, frame) * face_sh[..., None]
    col = np.where(tb[..., None], tcol, col)
    col = cv2.resize(col, (W, H), interpolation=cv2.INTER_LINEAR)
    return col


# --------------------------------------------------------------------------- flanks

def _flanks(img: np.ndarray, camera: Camera, mask: np.ndarray, colour_at, tex: _Tex, w_top: float, w_bot: float,
            light: np.ndarray, ambient: float, bulge: float = 1.5, bands: int = 8) -> None:
    """Draw the sides of a slab whose top (at w_top) is `mask` in texture space: rounded (bulging
    in the middle, the normal turning from up to down), only the parts facing the camera."""
    m8 = (mask > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(m8, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    Ht = tex.to_uv()
    eye = camera.position
    tb = np.linspace(0, 1, bands + 1)
    th = np.radians(55 + 110 * (tb[:-1] + tb[1:]) / 2)
    ws = w_top + (w_bot - w_top) * tb
    outs = bulge * np.sin(np.pi * tb)
    for c in contours:
        if len(c) < 8:
            continue
        c = cv2.approxPolyDP(c, 0.5 * tex.ppc, True)[:, 0, :].astype(np.float64)
        uv = (np.column_stack([c, np.ones(len(c))]) @ Ht.T)[:, :2]
        a, b = uv, np.roll(uv, -1, axis=0)
        seg = b - a
        ln = np.hypot(seg[:, 0], seg[:, 1])
        keep = ln > 1e-6
        a, b, seg, ln = a[keep], b[keep], seg[keep], ln[keep]
        nrm = np.column_stack([seg[:, 1], -seg[:, 0]]) / ln[:, None]
        mid = (a + b) / 2
        # outward: the contour from findContours is consistently oriented; check with the mask
        probe = tex.px(mid + nrm * 1.0)
        px_i = np.clip(probe[:, 0].astype(int), 0, tex.w - 1)
        py_i = np.clip(probe[:, 1].astype(int), 0, tex.h - 1)
        inside = m8[py_i, px_i] > 0
        nrm[inside] *= -1
        facing = ((eye[:2] - mid) * nrm).sum(1) > 0
        if not facing.any():
            continue
        a, b, nrm, mid = a[facing], b[facing], nrm[facing], mid[facing]
        n = len(a)
        # quads: (n, bands, 4, 3)
        q = np.empty((n, bands, 4, 3))
        for k in range(bands):
            q[:, k, 0, :2] = a + nrm * outs[k]
            q[:, k, 1, :2] = b + nrm * outs[k]
            q[:, k, 2, :2] = b + nrm * outs[k + 1]
            q[:, k, 3, :2] = a + nrm * outs[k + 1]
            q[:, k, :2, 2] = ws[k]
            q[:, k, 2:, 2] = ws[k + 1]
        px, z = camera.project(q.reshape(-1, 3))
        px = np.round(px.reshape(n, bands, 4, 2) * 16).astype(np.int32)
        zok = (z.reshape(n, bands, 4) > 1).all(-1)
        lam = np.clip(np.sin(th)[None] * (nrm @ light[:2])[:, None] + np.cos(th)[None] * light[2], 0, None)
        f = (ambient + (1 - ambient) * lam / max(light[2], 0.3)) * (1 - 0.35 * tb[1:] ** 3)[None]
        base = np.array([colour_at(m - d * 0.8) for m, d in zip(mid, nrm)])
        cols = np.clip(base[:, None, :] * f[..., None] * 255, 0, 255)
        for i in range(n):
            for k in range(bands):
                if zok[i, k]:
                    cv2.fillConvexPoly(img, px[i, k], tuple(cols[i, k].tolist()), cv2.LINE_AA, 4)


def _ellipsoid_sides(img, camera, centre, radii, col, light, ambient, w_bot):
    """Side of an ellipsoid (the head) from its equator down to w_bot, as stacked slices."""
    ang = np.linspace(0, 2 * np.pi, 28, endpoint=False)
    for t in np.linspace(1.0, 0.0, 7):
        w = centre[2] + (w_bot - centre[2]) * t
        rr = np.sqrt(max(0.0, 1 - ((w - centre[2]) / radii[2]) ** 2)) if radii[2] else 1.0
        if rr < 0.05:
            continue
        pts = np.column_stack([centre[0] + radii[0] * rr * np.cos(ang), centre[1] + radii[1] * rr * np.sin(ang),
                               np.full_like(ang, w)])
        px, z = camera.project(pts)
        if np.any(z <= 1):
            continue
        f = ambient + (1 - ambient) * 0.5 * (1 - t)
        c = tuple(float(x) for x in np.clip(np.asarray(col) * f * 255, 0, 255))
        cv2.fillPoly(img, [np.round(px * 16).astype(np.int32)], c, cv2.LINE_AA, 4)


# --------------------------------------------------------------------------- public

def _warp_over(dst: np.ndarray, col: np.ndarray, alpha: np.ndarray, Htex: np.ndarray, size) -> None:
    rgba = np.dstack([col * alpha[..., None], alpha]).astype(np.float32)
    out = cv2.warpPerspective(rgba, Htex, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    a = out[..., 3:4]
    dst *= 1 - a
    dst += out[..., :3]


def _capsule(img, camera, a, b, ra, rb, col, light):
    """A shaded 3D cylinder with round ends (for the receiver's arms)."""
    pts = np.array([a, b], float)
    px, z = camera.project(pts)
    if np.any(z < 5):
        return
    rpa, rpb = camera.focal_px * ra / z[0], camera.focal_px * rb / z[1]
    d = px[1] - px[0]
    ln = np.hypot(*d) + 1e-6
    nrm = np.array([-d[1], d[0]]) / ln
    # light offset in image space
    lp, _ = camera.project(np.array([(a + b) / 2, (a + b) / 2 + np.asarray(light) * 3]))
    lo = lp[1] - lp[0]
    lo = lo / (np.hypot(*lo) + 1e-6)
    for frac, f in ((1.0, 0.62), (0.85, 0.75), (0.65, 0.87), (0.4, 0.97), (0.2, 1.03)):
        off = lo * (1 - frac) * 0.5 * (rpa + rpb) / 2
        c = tuple(float(x) for x in np.clip(np.asarray(col) * f, 0, 255))
        p0, p1 = px[0] + off, px[1] + off
        poly = np.array([p0 + nrm * rpa * frac, p1 + nrm * rpb * frac, p1 - nrm * rpb * frac, p0 - nrm * rpa * frac])
        cv2.fillConvexPoly(img, np.round(poly * 16).astype(np.int32), c, cv2.LINE_AA, 4)
        for p, r in ((p0, rpa), (p1, rpb)):
            cv2.circle(img, tuple(np.round(p * 16).astype(int)), int(round(r * frac * 16)), c, -1, cv2.LINE_AA, 4)


def _arms(body: Body):
    """The receiver's arms as capsule chains [(a, b, ra, rb, is_skin)] in back coordinates."""
    L, T = body.spine_length_cm, body.thickness_cm
    sh = body.shoulder_width_cm / 2
    out = []
    for side in (-1, 1):
        s0 = np.array([side * (sh - 3.5), 0.9 * L, -6.0])
        if body.arms == "hanging":
            elbow = np.array([side * (sh + 14.0), 0.86 * L, -T - 2.0])
            hand = np.array([side * (sh + 16.0), 0.84 * L, -T - 32.0])
            out += [(s0, elbow, 5.5, 4.2), (elbow, hand, 4.2, 3.2)]
        else:
            elbow = np.array([side * (sh + 4.0), 0.9 * L - 28.0, -T + 5.0])
            hand = np.array([side * (sh + 2.0), 0.9 * L - 52.0, -T + 4.0])
            out += [(s0, elbow, 5.5, 4.3), (elbow, hand, 4.3, 3.3)]
    return out


def render_background(camera: Camera, body: Body, look: SceneLook, seed: int = 0) -> np.ndarray:
    """The static scene as a BGR uint8 image of the camera's size."""
    rng = np.random.default_rng(seed)
    W, H = camera.width, camera.height
    L, T = body.spine_length_cm, body.thickness_cm
    light = np.asarray(look.light_dir, float)
    light = light / np.linalg.norm(light)
    table_hw = max(33.0, body.shoulder_width_cm / 2 + 11.0)
    t_lo, t_hi = -125.0, L + 12.0
    table_box = ((-table_hw, t_lo, -T - 18.0), (table_hw, t_hi, -T))

    img = _room(camera, body, look, rng, table_box)

    # table top (sheet) at w = -T
    ttex = _Tex(-table_hw - 2, table_hw + 2, t_lo - 2, L + 40, 1.5)
    tcol, talpha = _table_texture(body, look, rng, ttex, table_hw, t_lo, t_hi)
    _warp_over(img, tcol, talpha, _plane_h(camera, -T) @ ttex.to_uv(), (W, H))

    # the receiver's arms (far ones before the torso sides, near ones after)
    skin = np.asarray(body.skin_bgr, float) / 255.0
    arms = _arms(body)
    cam_u = camera.position[0]
    is_far = [np.sign(a[0][0]) != np.sign(cam_u) or abs(cam_u) < 30 for a in arms]
    far = [a for a, f in zip(arms, is_far) if f]
    near = [a for a, f in zip(arms, is_far) if not f]
    img255 = img * 255.0
    for a, b, ra, rb in far:
        _capsule(img255, camera, a, b, ra, rb, skin * 255 * 0.95, light)

    # torso, head and towel at w = 0, with their sides down to the table
    tex = _Tex(-table_hw - 4, table_hw + 4, -100.0, L + 30.0, 2.5)
    col, alpha, albedo, side_mask = _torso_texture(body, look, rng, tex)

    def colour_at(uv):
        x, y = tex.px(uv)
        return albedo[int(np.clip(y, 0, tex.h - 1)), int(np.clip(x, 0, tex.w - 1))]

    hair = np.asarray(body.hair_bgr, float) / 255.0
    _ellipsoid_sides(img255, camera, (0.0, L + 17.0, 0.0), (8.3, 11.0, T * 0.9), hair, light, look.ambient, -T * 0.8)
    _flanks(img255, camera, side_mask, colour_at, tex, 0.0, -T, light, look.ambient)
    for a, b, ra, rb in near:
        _capsule(img255, camera, a, b, ra, rb, skin * 255 * 0.95, light)
    img = img255 / 255.0
    _warp_over(img, col, alpha, camera.plane_homography() @ tex.to_uv(), (W, H))

    # light colour, exposure, vignette, a touch of blur and noise
    tint = np.asarray(look.tint_bgr, np.float32) * look.light_intensity
    img *= tint
    if look.vignette:
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        rr = ((xx - W / 2) ** 2 + (yy - H / 2) ** 2) / (0.25 * (W * W + H * H))
        img *= (1 - look.vignette * rr)[..., None]
    img = cv2.GaussianBlur(img, (0, 0), 0.7)
    out = img * 255.0
    if look.noise:
        n = np.empty(out.shape, np.float32)
        cv2.setRNGSeed(int(rng.integers(1 << 30)))
        cv2.randn(n, 0.0, float(look.noise))
        out += n
    return np.clip(out, 0, 255).astype(np.uint8)
