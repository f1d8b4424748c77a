"""Drawing a hand (and its forearm) from its 21 landmarks, seen by a `Camera`.

The hand is built around the landmarks in 3D (back coordinates, cm): the forearm and the back
of the hand as one shaded body, each finger as a chain of tapered capsules whose width comes
from the per-point pixel scale (focal / depth), the thumb likewise, with knuckles, joint
creases, nails, faint tendons and a soft cast shadow on the skin below (skin on skin is
MediaPipe's weak spot, so the rim and the shadow matter). Shading is a stack of nested shapes
from a darker rim to a lighter, light-facing core; the hand is drawn into a small region of
interest, softened, and composited with an anti-aliased mask. The rest of the arm is drawn
straight into the image.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .camera import Camera
from .hand_model import FINGERS

_SHIFT = 4
_ONE = 1 << _SHIFT

# Half widths (cm) of each finger at its four landmarks (base joint .. tip), size 1.
_RADII = np.array([
    [1.45, 1.12, 1.02, 0.92],  # thumb: CMC, MCP, IP, tip
    [1.00, 0.92, 0.81, 0.71],  # index
    [1.03, 0.95, 0.84, 0.74],  # middle
    [0.97, 0.88, 0.78, 0.69],  # ring
    [0.86, 0.77, 0.69, 0.62],  # pinky
])
_PALM_LEN_CM = 9.042  # |wrist -> middle MCP| of the size-1 hand in hand_model


@dataclass
class HandLook:
    """How the giving hand looks (BGR colours, cm, degrees)."""

    skin_bgr: tuple[int, int, int] = (112, 146, 205)
    nail_bgr: tuple[int, int, int] | None = None   # None: derived from the skin
    shading: float = 1.15           # strength of the shading (0 flat .. 1.5 strong)
    rim: float = 0.55               # darkening of the outline (0 none .. 0.7 strong)
    shadow: float = 0.55            # strength of the cast shadow on the surface below
    light_dir: tuple[float, float, float] = (0.25, 0.15, 0.95)
    light_intensity: float = 1.0
    tint_bgr: tuple[float, float, float] = (1.0, 1.0, 1.0)
    finger_width: float = 1.0       # scale of finger thickness
    forearm_elevation_deg: float = 28.0
    forearm_length_cm: float = 26.0
    sleeve_bgr: tuple[int, int, int] | None = (110, 80, 60)
    sleeve_from_cm: float = 34.0    # the sleeve starts this far from the wrist (past the elbow: short)
    detail: float = 0.6             # creases, tendons, knuckles (0 none .. 1)
    sheen: float = 0.15             # additive highlight on the tops of fingers and hand
    size: float = 1.0               # hand size for hand_model.local_landmarks (drawing reads the landmarks)


# --------------------------------------------------------------------------- small helpers

def _unit(v):
    n = math.sqrt(float(v @ v))
    return v / n if n > 1e-9 else v


def _cross(a, b):
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _ip(p) -> np.ndarray:
    return np.rint(np.clip(p, -4000, 8000) * _ONE).astype(np.int32)


def _chaikin(poly: np.ndarray, it: int = 2) -> np.ndarray:
    for _ in range(it):
        q = np.roll(poly, -1, axis=0)
        poly = np.stack([0.75 * poly + 0.25 * q, 0.25 * poly + 0.75 * q], 1).reshape(-1, poly.shape[1])
    return poly


def _col(c, f=1.0) -> tuple:
    return (min(255.0, max(0.0, float(c[0]) * f)), min(255.0, max(0.0, float(c[1]) * f)),
            min(255.0, max(0.0, float(c[2]) * f)))


def _quad(img, x0, y0, x1, y1, r0, r1, colour) -> None:
    dx, dy = x1 - x0, y1 - y0
    ln = math.hypot(dx, dy)
    if ln > 1e-3:
        nx, ny = -dy / ln * _ONE, dx / ln * _ONE
        X0, Y0, X1, Y1 = x0 * _ONE, y0 * _ONE, x1 * _ONE, y1 * _ONE
        poly = np.array([[X0 + r0 * nx, Y0 + r0 * ny], [X1 + r1 * nx, Y1 + r1 * ny],
                         [X1 - r1 * nx, Y1 - r1 * ny], [X0 - r0 * nx, Y0 - r0 * ny]])
        cv2.fillConvexPoly(img, np.rint(poly).astype(np.int32), colour, cv2.LINE_AA, _SHIFT)


def _disc(img, x, y, r, colour) -> None:
    if r > 0.3:
        cv2.circle(img, (int(round(x * _ONE)), int(round(y * _ONE))), int(round(r * _ONE)), colour, -1,
                   cv2.LINE_AA, _SHIFT)


def _chain(img, pts, radii, colour, first_cap=True) -> None:
    """A chain of tapered capsules through pixel points `pts` (N, 2) with radii (N,)."""
    xs = [min(8000.0, max(-4000.0, v)) for v in pts[:, 0].tolist()]
    ys = [min(8000.0, max(-4000.0, v)) for v in pts[:, 1].tolist()]
    rs = [float(r) for r in radii]
    for i in range(len(xs) - 1):
        _quad(img, xs[i], ys[i], xs[i + 1], ys[i + 1], rs[i], rs[i + 1], colour)
    for i in range(0 if first_cap else 1, len(xs)):
        _disc(img, xs[i], ys[i], rs[i], colour)


def _clip_near(a: np.ndarray, b: np.ndarray, camera: Camera, zmin: float = 8.0):
    """Cut the 3D segment a-b to the part at camera depth >= zmin (None if nothing left)."""
    za = camera.to_camera(a[None])[0, 2]
    zb = camera.to_camera(b[None])[0, 2]
    if za < zmin and zb < zmin:
        return None
    if za < zmin:
        a = a + (b - a) * (zmin - za) / (zb - za)
    elif zb < zmin:
        b = b + (a - b) * (zmin - zb) / (za - zb)
    return a, b


def _layers(look: HandLook, skin: np.ndarray, n: int = 5):
    """Nested shading layers from the rim inward: (radius fraction, colour). A darker rim, a
    lighter core, and an additive sheen on the inner layers (it shows on dark skin)."""
    gain = look.light_intensity * np.asarray(look.tint_bgr, float)
    out = []
    for k in range(n):
        t = k / (n - 1)                      # 0 rim .. 1 core
        fr = 1.0 - 0.76 * t
        b = 1.0 - look.rim * (1 - t) ** 2.2  # darkening near the rim
        b = 1.0 + (b - 1.0) * look.shading + 0.06 * look.shading * t ** 2
        c = skin * b + look.sheen * max(0.0, t - 0.35) * 60.0 * gain
        out.append((fr, _col(c)))
    return out


# --------------------------------------------------------------------------- the hand

def draw_hand(img: np.ndarray, pts_back: np.ndarray, camera: Camera, look: HandLook, left: bool) -> None:
    """Draw one hand with its forearm into `img` (BGR uint8, in place).

    pts_back: (21, 3) landmarks in back coordinates (cm), as `hand_model.place` gives them;
    left: whether it is a left hand (the thumb side and the back of the hand follow from it).
    """
    P = np.asarray(pts_back, float)
    H, W = img.shape[:2]
    # ---- the hand's own frame
    y_ax = _unit(P[9] - P[0])
    x_ax = P[17] - P[5]
    x_ax = _unit(x_ax - (x_ax @ y_ax) * y_ax)                 # toward the little finger
    z_ax = _cross(x_ax, y_ax) * (-1.0 if left else 1.0)      # out of the back of the hand
    s = math.sqrt(float((P[9] - P[0]) @ (P[9] - P[0]))) / _PALM_LEN_CM

    light = _unit(np.asarray(look.light_dir, float))
    gain = look.light_intensity * np.asarray(look.tint_bgr, float)
    skin = np.asarray(look.skin_bgr, float) * gain
    eye = camera.position
    f_px = camera.focal_px

    # ---- forearm and upper arm (3D axis with radii)
    yh = np.array([y_ax[0], y_ax[1], 0.0])
    yh = _unit(yh) if yh @ yh > 0.04 else y_ax
    up = np.array([0.0, 0.0, 1.0])
    el = math.radians(look.forearm_elevation_deg)
    d_fa = _unit(-math.cos(el) * yh + math.sin(el) * up)
    wrist_c = P[0] - y_ax * 0.6 * s - z_ax * 0.2 * s
    fl = look.forearm_length_cm * s
    elbow = wrist_c + d_fa * fl
    el2 = math.radians(min(80.0, look.forearm_elevation_deg + 35.0))
    d_ua = _unit(-math.cos(el2) * yh + math.sin(el2) * up)
    arm_axis = [wrist_c, wrist_c + d_fa * fl * 0.35, wrist_c + d_fa * fl * 0.7, elbow,
                elbow + d_ua * 10.0 * s, elbow + d_ua * 45.0 * s]
    arm_r = np.array([2.75, 3.5, 3.95, 3.6, 4.4, 4.7]) * s
    arm_dist = np.concatenate([np.array([0, 0.35, 0.7, 1.0]) * fl, fl + np.array([10.0, 45.0]) * s])

    # ---- outline of the back of the hand (3D), rounded
    def fdir(m):
        return _unit(P[m + 1] - P[m])

    dirs = {m: fdir(m) for m in (5, 9, 13, 17)}

    def web(a, b):
        return (P[a] + P[b]) / 2 + _unit(dirs[a] + dirs[b]) * 0.9 * s

    palm = np.array([
        P[0] + s * (2.75 * x_ax - 0.4 * y_ax),
        P[0] + s * (3.3 * x_ax + 2.6 * y_ax),
        P[17] + s * (0.95 * x_ax - 1.6 * y_ax),
        P[17] + s * 0.85 * x_ax + dirs[17] * 0.2 * s,
        P[17] + dirs[17] * 0.55 * s + 0.35 * s * x_ax,
        web(17, 13),
        P[13] + dirs[13] * 0.6 * s,
        web(13, 9),
        P[9] + dirs[9] * 0.6 * s,
        web(9, 5),
        P[5] + dirs[5] * 0.5 * s - 0.4 * s * x_ax,
        P[5] - s * (0.95 * x_ax + 0.3 * y_ax),
        0.36 * P[5] + 0.34 * P[2] + 0.3 * P[3] + 0.3 * s * x_ax,
        P[2] - 0.55 * s * x_ax,
        P[1] - s * (1.15 * x_ax + 0.1 * y_ax),
        P[0] + s * (-2.75 * x_ax - 0.4 * y_ax),
    ])
    palm = _chaikin(palm, 2)
    n_palm = len(palm)

    # ---- fingers: 4 points each with radii (3D); the tip point pulled in so the round end
    # of the capsule reaches the tip landmark
    fw = look.finger_width
    fingers = []
    for f, chain in enumerate(FINGERS):
        pts = P[list(chain)].copy()
        rad = _RADII[f] * s * fw
        pts[3] = pts[3] - _unit(pts[3] - pts[2]) * rad[3] * 0.55
        if f == 0:
            pts[0] = P[0] * 0.25 + P[1] * 0.75 - x_ax * 0.2 * s
        fingers.append((f, pts, rad))

    # ---- project the hand
    allp = np.vstack([palm] + [fp for _, fp, _ in fingers])
    px_all, z_all = camera.project(allp)
    if np.any(z_all <= 1.0):
        return
    palm2d = px_all[:n_palm]
    fingers2d = []
    for i, (f, fp, rad) in enumerate(fingers):
        k = n_palm + 4 * i
        fingers2d.append((f, px_all[k:k + 4], f_px * rad / z_all[k:k + 4], float(z_all[k:k + 4].mean())))
    zc = float(z_all.mean())
    ppc = f_px / max(zc, 1.0)  # pixels per cm at the hand

    # ---- project the arm, clipped in front of the camera
    sleeve = None if look.sleeve_bgr is None else np.asarray(look.sleeve_bgr, float) * gain
    arm2d = []
    for i in range(len(arm_axis) - 1):
        seg = _clip_near(arm_axis[i], arm_axis[i + 1], camera)
        if seg is None:
            break
        pp, zz = camera.project(np.array(seg))
        is_sleeve = sleeve is not None and arm_dist[i] >= look.sleeve_from_cm * s - 1e-6
        arm2d.append((pp[0], pp[1], f_px * arm_r[i] / zz[0], f_px * arm_r[i + 1] / zz[1], is_sleeve))
        if not np.allclose(seg[1], arm_axis[i + 1]):
            break

    # light direction in the image, with a magnitude that fades when the light comes from the camera
    c3 = P[[0, 5, 9, 13, 17]].mean(axis=0)
    pl, zl = camera.project(np.array([c3, c3 + light]))
    lo = (pl[1] - pl[0]) / (f_px / zl[0])
    nlo = math.hypot(lo[0], lo[1])
    if nlo > 1.0:
        lo = lo / nlo

    # ---- region of interest: the hand and the first stretch of the forearm
    rmax_f = max(float(np.max(r)) for _, _, r, _ in fingers2d)
    pts_roi = [palm2d] + [pp for _, pp, _, _ in fingers2d] + [np.array([a, b]) for a, b, _, _, _ in arm2d]
    pxs = np.vstack(pts_roi)
    rmax = max([rmax_f, 5.0] + [max(a[2], a[3]) for a in arm2d])
    margin = rmax + 1.5 * ppc + 4
    x0 = int(max(0, math.floor(pxs[:, 0].min() - margin)))
    y0 = int(max(0, math.floor(pxs[:, 1].min() - margin)))
    x1 = int(min(W, math.ceil(pxs[:, 0].max() + margin)))
    y1 = int(min(H, math.ceil(pxs[:, 1].max() + margin)))

    # ---- 1. cast shadow on the surface below (points dropped to w=0 along the light)
    if look.shadow > 0:
        _shadow(img, palm, fingers, arm_axis, arm_r, light, camera, look.shadow, ppc, rmax)

    if x1 <= x0 + 1 or y1 <= y0 + 1:
        return
    off = np.array([x0, y0], float)
    rw, rh = x1 - x0, y1 - y0
    roi = img[y0:y1, x0:x1]

    # ---- 3. the hand in its region: canvas (colour) and mask (coverage)
    layers = _layers(look, skin, 5)
    canvas = np.empty((rh, rw, 3), np.uint8)
    canvas[:] = np.array(layers[0][1], np.uint8)
    mask = np.zeros((rh, rw), np.uint8)
    palm_l = palm2d - off
    centre2d = palm_l.mean(axis=0)
    pr = 0.5 * float(np.ptp(palm_l, axis=0).max()) + 1e-3
    arm_l = [(a - off, b - off, ra, rb, sl) for a, b, ra, rb, sl in arm2d]
    sleeve_layers = None
    if sleeve is not None:
        sleeve_layers = [(fr, _col(np.asarray(c) / np.maximum(skin, 1.0) * sleeve))
                         for fr, c in layers]

    def draw_body():
        # forearm and back of the hand as one body: each layer over both, the rim first,
        # so that no outline separates the wrist from the hand
        if sleeve_layers is not None:  # the sleeve is farther than the forearm: first
            for li, (fr, c) in enumerate(sleeve_layers):
                for a, b, ra, rb, sl in arm_l:
                    if sl:
                        o = lo * (1 - fr) * 0.25 * (ra + rb)
                        _chain(canvas, np.array([a + o, b + o]), (ra * fr * 1.12, rb * fr * 1.12), c)
                        if li == 0:
                            _chain(mask, np.array([a, b]), (ra * 1.12, rb * 1.12), 255)
        for li, (fr, c) in enumerate(layers):
            skin_arm = [(a, b, ra, rb) for a, b, ra, rb, sl in arm_l if not sl]
            if skin_arm:
                # one chain through the skin segments (they are contiguous)
                pts_a = np.array([skin_arm[0][0]] + [t[1] for t in skin_arm])
                rad_a = np.array([skin_arm[0][2]] + [t[3] for t in skin_arm])
                o = lo * (1 - fr) * 0.5 * float(rad_a.mean())
                _chain(canvas, pts_a + o, rad_a * fr, c)
                if li == 0:
                    _chain(mask, pts_a, rad_a, 255)
            if li == 0:
                poly = palm_l
            else:
                sc = max(0.2, 1 - (1 - fr) * 0.55 * rmax_f / pr)
                poly = centre2d + (palm_l - centre2d) * sc + lo * (1 - fr) * rmax_f * 0.4
            cv2.fillPoly(canvas, [_ip(poly)], c, cv2.LINE_AA, _SHIFT)
            if li == 0:
                cv2.fillPoly(mask, [_ip(palm_l)], 255, cv2.LINE_AA, _SHIFT)
            elif thumb_base is not None:
                # the thumb's metacarpal is part of the hand's body: no rim over the palm
                tp, tr = thumb_base
                o = lo * (1 - fr) * float(tr.mean()) * 0.5
                _chain(canvas, tp + o, tr * fr, c)

    thumb_base = None
    for f, pp, rr, _ in fingers2d:
        if f == 0:
            thumb_base = (pp[:2] - off, rr[:2])

    def draw_finger(f, pp, rr):
        pp = pp - off
        if f == 0:  # the thumb from its MCP on; its base belongs to the body
            pp, rr = pp[1:], rr[1:]
        mean_r = float(rr.mean())
        for li, (fr, c) in enumerate(layers):
            o = lo * (1 - fr) * mean_r * 0.5
            r = rr * fr
            if li == 0:
                r = r.copy()
                r[0] *= 0.8  # no rim where the finger leaves the hand
            _chain(canvas, pp + o, r, c, first_cap=li > 0)
        _chain(mask, pp, rr, 255)

    # fingers tucked under the palm (seen from the back) first, the rest far to near
    view_dorsal = (eye - P[9]) @ z_ax > 0
    under, over = [], []
    for (f, pp, rr, zm), (_, fp, _) in zip(fingers2d, fingers):
        tucked = view_dorsal and ((fp[3] - P[9]) @ z_ax < -3.0 * s)
        (under if tucked else over).append((zm, f, pp, rr))
    for _, f, pp, rr in sorted(under, key=lambda t: -t[0]):
        draw_finger(f, pp, rr)
    draw_body()
    for _, f, pp, rr in sorted(over, key=lambda t: -t[0]):
        draw_finger(f, pp, rr)

    if look.detail > 0 and view_dorsal:
        _details(canvas, P, fingers, camera, off, skin, s, x_ax, z_ax, ppc, look.detail)
    canvas = cv2.GaussianBlur(canvas, (0, 0), max(0.6, 0.12 * rmax_f))
    _nails(canvas, fingers, camera, off, skin, look, x_ax, z_ax)

    # ---- composite: copy where covered, blend the anti-aliased edge
    full = mask == 255
    np.copyto(roi, canvas, where=full[..., None])
    ey, ex = np.nonzero((mask > 0) & ~full)
    if len(ey):
        a = mask[ey, ex].astype(np.float32)[:, None] * (1.0 / 255.0)
        roi[ey, ex] = (roi[ey, ex] * (1 - a) + canvas[ey, ex] * a + 0.5).astype(np.uint8)


def _shadow(img, palm, fingers, arm_axis, arm_r, light, camera, strength, ppc, rmax) -> None:
    """Darken the surface under the hand: its silhouette dropped to w=0 along the light, blurred."""
    H, W = img.shape[:2]
    lz = max(float(light[2]), 0.3)
    f_px = camera.focal_px
    pts = [palm] + [fp for _, fp, _ in fingers]
    seg = _clip_near(arm_axis[0], arm_axis[1], camera)
    if seg is not None:
        pts.append(np.array(seg))
    p = np.vstack(pts)
    q = p - light[None, :] * (p[:, 2:3] / lz)
    q[:, 2] = 0.0
    spx, sz = camera.project(q)
    if np.any(sz <= 1.0):
        return
    sig = max(1.0, 0.45 * ppc)
    m = 3 * sig + rmax
    sx0 = int(max(0, math.floor(spx[:, 0].min() - m)))
    sy0 = int(max(0, math.floor(spx[:, 1].min() - m)))
    sx1 = int(min(W, math.ceil(spx[:, 0].max() + m)))
    sy1 = int(min(H, math.ceil(spx[:, 1].max() + m)))
    if sx1 <= sx0 + 1 or sy1 <= sy0 + 1:
        return
    so = np.array([sx0, sy0], float)
    sh = np.zeros((sy1 - sy0, sx1 - sx0), np.uint8)
    n_palm = len(palm)
    cv2.fillPoly(sh, [_ip(spx[:n_palm] - so)], 255, cv2.LINE_AA, _SHIFT)
    for i, (f, fp, rad) in enumerate(fingers):
        k = n_palm + 4 * i
        _chain(sh, spx[k:k + 4] - so, f_px * rad / sz[k:k + 4], 255)
    if seg is not None:
        k = n_palm + 4 * len(fingers)
        _chain(sh, spx[k:k + 2] - so, (f_px * arm_r[0] / sz[k], f_px * arm_r[1] / sz[k + 1]), 200)
    shf = cv2.GaussianBlur(sh, (0, 0), sig)
    lut = np.clip(np.round(256.0 * (1.0 - np.arange(256) / 255.0 * strength)), 0, 256).astype(np.uint16)
    sub = img[sy0:sy1, sx0:sx1]
    sub[:] = ((sub.astype(np.uint16) * lut[shf][..., None]) >> 8).astype(np.uint8)


def _finger_dorsal(seg_dir, x_ax, z_ax, thumb: bool):
    """Unit vector out of the back of a finger segment."""
    if thumb:
        d = 0.6 * z_ax - 0.8 * x_ax
    else:
        d = _cross(x_ax, seg_dir)
        if d @ z_ax < 0:
            d = -d
    d = d - (d @ seg_dir) * seg_dir
    return _unit(d)


_ARC_T = np.linspace(-1, 1, 7)


def _details(canvas, P, fingers, camera, off, skin, s, x_ax, z_ax, ppc, det) -> None:
    """Faint tendons, knuckle bumps and joint creases on the back of the hand."""
    pts = []   # 3D points, projected in one go
    # tendons: a faint light ridge from the wrist toward each knuckle
    for m in (5, 9, 13, 17):
        pts += [P[0] * 0.7 + P[m] * 0.3 + z_ax * 0.5 * s, P[0] * 0.12 + P[m] * 0.88 + z_ax * 0.7 * s]
    arcs = []  # (start index, n points, kind)
    knuckles = []
    for f, fp, rad in fingers[1:]:
        mcp, pip, dip, tip = fp
        d1 = _unit(pip - mcp)
        dors = _finger_dorsal(d1, x_ax, z_ax, False)
        side = _unit(_cross(dors, d1))
        kc = mcp + dors * rad[0] * 0.9 - d1 * rad[0] * 0.1
        knuckles.append(len(pts))
        pts += [kc, kc + side * rad[0] * 0.55, kc + d1 * rad[0] * 0.45]
        for jp, nxt, prev, r, ns in ((pip, dip, mcp, rad[1], 3), (dip, tip, pip, rad[2], 2)):
            dj = _unit(nxt - jp)
            dorsj = _finger_dorsal(_unit(_unit(jp - prev) + dj), x_ax, z_ax, False)
            sidej = _unit(_cross(dorsj, dj))
            c = jp + dorsj * r * 0.92
            for q in range(ns):
                oq = (q - (ns - 1) / 2) * r * 0.32
                half = r * (0.55 - 0.1 * abs(q - (ns - 1) / 2))
                bend = (1 - _ARC_T ** 2)
                arc = (c + dj * oq)[None] + sidej[None] * (_ARC_T * half)[:, None] \
                    + dj[None] * (r * 0.12 * bend)[:, None] + dorsj[None] * (0.15 * half * bend)[:, None]
                arcs.append((len(pts), len(_ARC_T)))
                pts += list(arc)
    px, _ = camera.project(np.array(pts))
    px = px - off
    w = max(1, int(round(0.3 * ppc * det)))
    ridge = _col(skin, 1.0 + 0.035 * det)
    for i in range(0, 8, 2):
        cv2.line(canvas, tuple(_ip(px[i])), tuple(_ip(px[i + 1])), ridge, w, cv2.LINE_AA, _SHIFT)
    bump = _col(skin, 1.0 + 0.07 * det)
    for k in knuckles:
        c, a1, a2 = px[k], px[k + 1], px[k + 2]
        ax1 = math.hypot(*(a1 - c))
        ax2 = math.hypot(*(a2 - c))
        ang = math.degrees(math.atan2(a1[1] - c[1], a1[0] - c[0]))
        cv2.ellipse(canvas, ((float(c[0]), float(c[1])), (2 * ax1, 2 * max(ax2, 0.5)), ang), bump, -1, cv2.LINE_AA)
    crease = _col(skin, 1.0 - 0.3 * det)
    cv2.polylines(canvas, [_ip(px[k:k + n]) for k, n in arcs], False, crease, 1, cv2.LINE_AA, _SHIFT)


_TH = np.linspace(0, 2 * np.pi, 18, endpoint=False)
_EX = np.sign(np.cos(_TH)) * np.abs(np.cos(_TH)) ** 0.6
_EY = np.sign(np.sin(_TH)) * np.abs(np.sin(_TH)) ** 0.6


def _nails(canvas, fingers, camera, off, skin, look, x_ax, z_ax) -> None:
    """Nails on the back of the fingertips: a rounded plate, lighter toward the free edge."""
    gain = look.light_intensity * np.asarray(look.tint_bgr, float)
    if look.nail_bgr is not None:
        nail = np.asarray(look.nail_bgr, float) * gain
    else:
        nail = 0.62 * skin + 0.38 * np.array([185.0, 180.0, 225.0]) * gain
    eye = camera.position
    shapes = []
    pts = []
    for f, fp, rad in fingers:
        dip, tip = fp[2], fp[3]
        d = _unit(tip - dip)
        dors = _finger_dorsal(d, x_ax, z_ax, f == 0)
        side = _unit(_cross(dors, d))
        r = rad[3]
        seg_len = math.sqrt(float((tip - dip) @ (tip - dip))) + r * 0.55
        centre = dip + d * (seg_len * 0.62) + dors * r * 0.88
        v = eye - centre
        facing = float(v @ dors) / math.sqrt(float(v @ v))
        if facing < 0.05:
            continue
        hl = seg_len * (0.34 if f else 0.3)
        hw = r * (0.66 if f else 0.62)
        k = len(pts)
        pts += list(centre[None] + side[None] * (hw * _EX)[:, None] + d[None] * (hl * _EY)[:, None])
        pts += list(centre[None] + side[None] * (hw * 0.8 * _EX)[:, None] + d[None] * (hl * 0.85 * _EY + hl * 0.08)[:, None])
        pts += list(centre[None] + side[None] * (hw * 0.78 * _EX)[:, None] + d[None] * (hl * 0.2 * _EY + hl * 0.78)[:, None])
        pts += [centre + side * hw * 0.25 - d * hl * 0.35, centre + side * hw * 0.25 + d * hl * 0.25]
        shapes.append((k, min(1.0, facing * 1.6)))
    if not pts:
        return
    px, _ = camera.project(np.array(pts))
    px = px - off
    n = len(_TH)
    for k, kf in shapes:
        base = skin * (1 - kf) + nail * kf
        cv2.fillPoly(canvas, [_ip(px[k:k + n])], _col(base, 0.9), cv2.LINE_AA, _SHIFT)
        cv2.fillPoly(canvas, [_ip(px[k + n:k + 2 * n])], _col(base, 1.04), cv2.LINE_AA, _SHIFT)
        edge = base * 0.75 + np.array([225.0, 228.0, 235.0]) * 0.25 * gain
        cv2.fillPoly(canvas, [_ip(px[k + 2 * n:k + 3 * n])], _col(edge), cv2.LINE_AA, _SHIFT)
        g = px[k + 3 * n:k + 3 * n + 2]
        cv2.line(canvas, tuple(_ip(g[0])), tuple(_ip(g[1])), _col(base, 1.15), 1, cv2.LINE_AA, _SHIFT)
