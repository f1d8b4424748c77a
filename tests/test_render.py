"""Fast checks of the synthetic-video drawing (no MediaPipe here)."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.camera import Camera
from studio.hand_art import HandLook, draw_hand
from studio.hand_model import HandPose, local_landmarks, place
from studio.render import compose, exposure_gain, random_look
from studio.scene import Body, SceneLook, render_background, skin_tone

L = 52.0


def side_camera(w=320, h=240):
    return Camera.look_at(w, h, 65, (80, L / 2, 60), (0, L / 2, 0))


def head_camera(w=320, h=240):
    return Camera.look_at(w, h, 65, (0, L + 70, 65), (0, L / 2, 0))


def hand_pts(u=0.0, v=0.4 * L, heading=0.0, lift=0.0, left=False, size=1.0):
    return place(local_landmarks(HandPose(), size, left), np.array([u, v]), heading, lift)


def grey(cam, value=128):
    return np.full((cam.height, cam.width, 3), value, np.uint8)


def test_background_shape_dtype_and_content():
    cam = side_camera()
    img = render_background(cam, Body(spine_length_cm=L), SceneLook(), seed=0)
    assert img.shape == (240, 320, 3) and img.dtype == np.uint8
    assert img.std() > 10  # not a flat fill
    # the back's centre is skin coloured: red channel above blue
    (x, y), = np.round(cam.project(np.array([[0.0, L / 2, 0.0]]))[0]).astype(int)
    b, g, r = img[y, x].astype(int)
    assert r > b


def test_background_deterministic_with_seed():
    cam = side_camera()
    body, look = Body(spine_length_cm=L), SceneLook()
    a = render_background(cam, body, look, seed=3)
    b = render_background(cam, body, look, seed=3)
    c = render_background(cam, body, look, seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("cam_fn", [side_camera, head_camera])
@pytest.mark.parametrize("left", [False, True])
def test_hand_changes_pixels_where_the_landmarks_are(cam_fn, left):
    cam = cam_fn()
    img = grey(cam)
    pts = hand_pts(u=-6.0 if left else 6.0, left=left)
    draw_hand(img, pts, cam, HandLook(skin_bgr=skin_tone(0.3)), left)
    px, _ = cam.project(pts)
    changed = np.any(img != 128, axis=2)
    for i in (0, 5, 9, 13, 17, 6, 10, 14, 18):  # wrist, knuckles, finger middles
        x, y = np.round(px[i]).astype(int)
        assert changed[y, x], f"landmark {i} not covered"
    # the image far from the hand is untouched
    assert not changed[:8, :8].any() or not changed[-8:, -8:].any()


def test_draw_hand_in_place_and_robust_to_edges():
    cam = side_camera()
    img = grey(cam)
    before = img.copy()
    assert draw_hand(img, hand_pts(), cam, HandLook(), False) is None
    assert not np.array_equal(img, before)
    # a hand mostly outside the frame, and one behind the camera, do not raise
    draw_hand(img, hand_pts(u=200.0, v=300.0), cam, HandLook(), False)
    draw_hand(img, hand_pts(u=80.0, v=L / 2, lift=70.0), cam, HandLook(), False)


def test_compose_draws_far_to_near():
    cam = side_camera()
    bg = grey(cam)
    far = hand_pts(lift=0.0)
    near = hand_pts(lift=6.0)  # the same hand lifted toward the camera
    red = HandLook(skin_bgr=(40, 40, 200), shadow=0.0, detail=0.0)
    blue = HandLook(skin_bgr=(200, 60, 40), shadow=0.0, detail=0.0)
    # the near hand is blue; whichever order they are given in, blue wins where they overlap
    px, _ = cam.project(near)
    x, y = np.round(px[[0, 5, 9, 13, 17]].mean(axis=0)).astype(int)
    for hands in ([(far, False, red), (near, False, blue)], [(near, False, blue), (far, False, red)]):
        frame = compose(bg, hands, cam)
        b, g, r = frame[y, x].astype(int)
        assert b > r, (b, g, r)


def test_compose_deterministic_with_seed_and_keeps_background():
    cam = side_camera()
    bg = render_background(cam, Body(spine_length_cm=L), SceneLook(), seed=1)
    bg_copy = bg.copy()
    hands = [(hand_pts(u=-7, left=True), True, HandLook()), (hand_pts(u=7), False, HandLook())]
    a = compose(bg, hands, cam, np.random.default_rng(5))
    b = compose(bg, hands, cam, np.random.default_rng(5))
    assert a.shape == bg.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert np.array_equal(bg, bg_copy)  # the background is reused, never drawn on
    c = compose(bg, hands, cam, np.random.default_rng(5), motion_blur_px=5, exposure=0.8)
    assert c.shape == bg.shape and not np.array_equal(a, c)


def test_exposure_gain_brings_bright_scenes_down():
    bright = np.full((10, 10, 3), 220, np.uint8)
    dark = np.full((10, 10, 3), 40, np.uint8)
    assert exposure_gain(bright) < 1.0 < exposure_gain(dark)


def test_random_look_varies_and_stays_in_range():
    rng = np.random.default_rng(0)
    looks = [random_look(rng) for _ in range(40)]
    body_lum = [np.mean(b.skin_bgr) for b, _, _ in looks]
    hand_lum = [np.mean(h.skin_bgr) for _, _, h in looks]
    assert min(body_lum) < 90 and max(body_lum) > 160  # dark to light, receiving
    assert min(hand_lum) < 90 and max(hand_lum) > 160  # and giving
    assert all(0.85 <= h.size <= 1.15 for _, _, h in looks)
    assert all(45 <= b.spine_length_cm <= 60 for b, _, _ in looks)
    # the same generator state gives the same look
    a = random_look(np.random.default_rng(7))
    b = random_look(np.random.default_rng(7))
    assert dataclasses.asdict(a[2]) == dataclasses.asdict(b[2]) and a[0] == b[0]


def test_hand_size_changes_drawn_area():
    cam = side_camera()
    areas = []
    for size in (0.85, 1.15):
        img = grey(cam)
        look = HandLook(forearm_length_cm=1.0, sleeve_bgr=None, shadow=0.0)
        draw_hand(img, hand_pts(size=size), cam, look, False)
        areas.append(int(np.any(img != 128, axis=2).sum()))
    assert areas[1] > areas[0] * 1.2
